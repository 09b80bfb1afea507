// SIMD&FP loads and stores (Arm ARM C7: LDR/STR/LDUR/STUR/LDP/STP/LDNP/STNP of B/H/S/D/Q
// registers, LD1-LD4/ST1-ST4 multiple and single structures, LD1R-LD4R). An access
// that lies in one page the soft TLB maps is done on host memory directly; anything else
// goes through the CPU's load/store paths in chunks of at most 8 bytes. Loads write no
// register before every access succeeded; stores that span two pages translate both
// pages first, so an abort leaves memory unchanged.

extension CPU {
    // MARK: Single registers and pairs

    func loadStoreSingle(_ s: Slot, ctx: Int, pc: UInt64) -> Bool {
        let base = x[Int(s.n)]
        let addr: UInt64
        switch s.y {
        case AddrMode.postIndex: addr = base
        case AddrMode.register: addr = base &+ extendReg(x[Int(s.m)], UInt8(truncatingIfNeeded: s.payload), s.a)
        case AddrMode.literal: addr = pc &+ s.offset
        default: addr = base &+ s.offset
        }
        let size = 1 << Int(s.x)
        let pair = s.fop == .ldp || s.fop == .stp
        switch s.fop {
        case .ldr, .ldp:
            guard let first = loadVector(addr, size, ctx: ctx, pc: pc, slot: s) else { return false }
            if pair {
                // Vt2 is written last, so it wins when Vt == Vt2 (CONSTRAINED UNPREDICTABLE; QEMU does the same).
                guard let second = loadVector(addr &+ UInt64(size), size, ctx: ctx, pc: pc, slot: s) else { return false }
                setVreg(s.d, first)
                setVreg(s.a, second)
            } else {
                setVreg(s.d, first)
            }
        default:
            let total = pair ? 2 * size : size
            guard probeWrite(addr, total, ctx: ctx, pc: pc, slot: s),
                  storeVector(addr, size, vreg(s.d), ctx: ctx, pc: pc, slot: s) else { return false }
            if pair {
                guard storeVector(addr &+ UInt64(size), size, vreg(s.a), ctx: ctx, pc: pc, slot: s) else { return false }
            }
        }
        if s.y == AddrMode.preIndex { x[Int(s.n)] = addr } else if s.y == AddrMode.postIndex { x[Int(s.n)] = addr &+ s.offset }
        return true
    }

    /// Loads a 1-16 byte register value (zero-extended to 128 bits).
    private func loadVector(_ addr: UInt64, _ size: Int, ctx: Int, pc: UInt64, slot: Slot) -> V128? {
        if addr & UInt64(size - 1) != 0 && alignmentChecked(ctx) { alignmentFault(addr, .read, pc: pc); return nil }
        if let p = hostPointer(addr, size, ctx: ctx, write: false) {
            if size < 16 { return V128(lo: loadLE(p, size), hi: 0) }
            return V128(lo: p.loadUnaligned(as: UInt64.self), hi: p.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        }
        if size <= 8 {
            guard let lo = load(addr, size, ctx: ctx, pc: pc, slot: slot) else { return nil }
            return V128(lo: lo, hi: 0)
        }
        guard let lo = load(addr, 8, ctx: ctx, pc: pc, slot: slot),
              let hi = load(addr &+ 8, 8, ctx: ctx, pc: pc, slot: slot) else { return nil }
        return V128(lo: lo, hi: hi)
    }

    private func storeVector(_ addr: UInt64, _ size: Int, _ v: V128, ctx: Int, pc: UInt64, slot: Slot) -> Bool {
        if addr & UInt64(size - 1) != 0 && alignmentChecked(ctx) { return alignmentFault(addr, .write, pc: pc) }
        if let p = hostPointer(addr, size, ctx: ctx, write: true) {
            if size < 16 { storeLE(p, size, v.lo); return true }
            p.storeBytes(of: v.lo, as: UInt64.self)
            p.storeBytes(of: v.hi, toByteOffset: 8, as: UInt64.self)
            return true
        }
        if size <= 8 { return store(addr, size, v.lo, ctx: ctx, pc: pc, slot: slot) }
        return store(addr, 8, v.lo, ctx: ctx, pc: pc, slot: slot)
            && store(addr &+ 8, 8, v.hi, ctx: ctx, pc: pc, slot: slot)
    }

    /// Host address of `len` bytes at `va` when they lie in one page the soft TLB maps
    /// for this access (any alignment); nil sends the access down the chunked path.
    @inline(__always)
    private func hostPointer(_ va: UInt64, _ len: Int, ctx: Int, write: Bool) -> UnsafeMutableRawPointer? {
        if (va & 0xfff) + UInt64(len) > 0x1000 { return nil }
        let e = tlbEntry(ctx, va)
        guard (write ? e.pointee.tagW : e.pointee.tagR) == va & ~0xfff else { return nil }
        return hostAddress(va, e)
    }

    /// For a store of `len` bytes that crosses a page, translates both pages for writing
    /// (taking the abort if either fails) before anything is written.
    private func probeWrite(_ addr: UInt64, _ len: Int, ctx: Int, pc: UInt64, slot: Slot) -> Bool {
        if (addr & 0xfff) + UInt64(len) <= 0x1000 { return true }
        return translateData(addr, .write, ctx: ctx, pc: pc, slot: slot) != nil
            && translateData((addr | 0xfff) &+ 1, .write, ctx: ctx, pc: pc, slot: slot) != nil
    }

    // MARK: Structures

    func loadStoreStructures(_ s: Slot, ctx: Int, pc: UInt64) -> Bool {
        let p = s.payload
        let selem = Int(p & 15), field = Int((p >> 4) & 15)
        let es = Int(s.x), ebytes = 1 << es
        let addr = x[Int(s.n)]
        let transferred: Int
        switch s.fop {
        case .ldMulti, .stMulti:
            let regBytes = s.y == Shape.q128 ? 16 : 8
            transferred = selem * field * regBytes
            let load = s.fop == .ldMulti
            if !(addr & UInt64(ebytes - 1) != 0 && alignmentChecked(ctx)),
               let p = hostPointer(addr, transferred, ctx: ctx, write: !load) {
                // The whole transfer lies in one mapped RAM page: work on it in place.
                let b = p.assumingMemoryBound(to: UInt8.self)
                if load { deinterleave(b, s, selem: selem, rpt: field, regBytes: regBytes) }
                else { interleave(b, s, selem: selem, rpt: field, regBytes: regBytes) }
                break
            }
            let ok = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { buf -> Bool in
                let b = buf.baseAddress!
                if load {
                    guard loadBlock(addr, transferred, into: b, chunk: ebytes, ctx: ctx, pc: pc, slot: s) else { return false }
                    deinterleave(b, s, selem: selem, rpt: field, regBytes: regBytes)
                    return true
                }
                interleave(b, s, selem: selem, rpt: field, regBytes: regBytes)
                return probeWrite(addr, transferred, ctx: ctx, pc: pc, slot: s)
                    && storeBlock(addr, transferred, from: b, chunk: ebytes, ctx: ctx, pc: pc, slot: s)
            }
            guard ok else { return false }
        case .ldLane, .ldRep:
            transferred = selem * ebytes
            var vals: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            for k in 0..<selem {
                guard let e = load(addr &+ UInt64(k * ebytes), ebytes, ctx: ctx, pc: pc, slot: s) else { return false }
                switch k { case 0: vals.0 = e; case 1: vals.1 = e; case 2: vals.2 = e; default: vals.3 = e }
            }
            for k in 0..<selem {
                let e = k == 0 ? vals.0 : k == 1 ? vals.1 : k == 2 ? vals.2 : vals.3
                let t = UInt8((Int(s.d) + k) & 31)
                if s.fop == .ldRep {
                    let r = V128(lo: e, hi: 0).broadcast(0, es)
                    setVreg(t, s.y == Shape.q128 ? r : V128(lo: r.lo, hi: 0))
                } else {
                    var r = vreg(t)
                    r.setElem(field, es, e)
                    setVreg(t, r)
                }
            }
        default:  // .stLane
            transferred = selem * ebytes
            guard probeWrite(addr, transferred, ctx: ctx, pc: pc, slot: s) else { return false }
            for k in 0..<selem {
                let e = vreg(UInt8((Int(s.d) + k) & 31)).elem(field, es)
                guard store(addr &+ UInt64(k * ebytes), ebytes, e, ctx: ctx, pc: pc, slot: s) else { return false }
            }
        }
        if p & (1 << 8) != 0 {
            x[Int(s.n)] = addr &+ (p & (1 << 9) != 0 ? UInt64(transferred) : x[Int(s.m)])
        }
        return true
    }

    /// Reads `len` bytes into `buf` through the load path, 8 bytes at a time
    /// (element-sized when alignment checking requires it).
    private func loadBlock(_ addr: UInt64, _ len: Int, into buf: UnsafeMutablePointer<UInt8>, chunk: Int,
                           ctx: Int, pc: UInt64, slot: Slot) -> Bool {
        if addr & UInt64(chunk - 1) != 0 && alignmentChecked(ctx) { return alignmentFault(addr, .read, pc: pc) }
        let step = alignmentChecked(ctx) && addr & 7 != 0 ? chunk : 8
        var off = 0
        while off < len {
            guard let v = load(addr &+ UInt64(off), step, ctx: ctx, pc: pc, slot: slot) else { return false }
            for i in 0..<step { buf[off + i] = UInt8(truncatingIfNeeded: v >> UInt64(8 * i)) }
            off += step
        }
        return true
    }

    private func storeBlock(_ addr: UInt64, _ len: Int, from buf: UnsafeMutablePointer<UInt8>, chunk: Int,
                            ctx: Int, pc: UInt64, slot: Slot) -> Bool {
        if addr & UInt64(chunk - 1) != 0 && alignmentChecked(ctx) { return alignmentFault(addr, .write, pc: pc) }
        let step = alignmentChecked(ctx) && addr & 7 != 0 ? chunk : 8
        var off = 0
        while off < len {
            var v: UInt64 = 0
            for i in 0..<step { v |= UInt64(buf[off + i]) << UInt64(8 * i) }
            guard store(addr &+ UInt64(off), step, v, ctx: ctx, pc: pc, slot: slot) else { return false }
            off += step
        }
        return true
    }

    /// Memory image to registers: LD1 of `rpt` registers is a plain copy; LD2-LD4 take
    /// element e of register t+k from structure e, member k.
    private func deinterleave(_ buf: UnsafeMutablePointer<UInt8>, _ s: Slot, selem: Int, rpt: Int, regBytes: Int) {
        let es = Int(s.x), ebytes = 1 << es, elements = regBytes >> es
        if selem == 1 {
            let raw = UnsafeRawPointer(buf)
            for r in 0..<rpt {
                let lo = raw.loadUnaligned(fromByteOffset: r * regBytes, as: UInt64.self)
                let hi = regBytes == 16 ? raw.loadUnaligned(fromByteOffset: r * regBytes + 8, as: UInt64.self) : 0
                setVreg(UInt8((Int(s.d) + r) & 31), V128(lo: lo, hi: hi))
            }
            return
        }
        for r in 0..<selem {
            var v = V128.zero
            for e in 0..<elements {
                let off = (e * selem + r) * ebytes
                var val: UInt64 = 0
                for i in 0..<ebytes { val |= UInt64(buf[off + i]) << UInt64(8 * i) }
                v.setElem(e, es, val)
            }
            setVreg(UInt8((Int(s.d) + r) & 31), v)
        }
    }

    private func interleave(_ buf: UnsafeMutablePointer<UInt8>, _ s: Slot, selem: Int, rpt: Int, regBytes: Int) {
        let es = Int(s.x), ebytes = 1 << es, elements = regBytes >> es
        if selem == 1 {
            let raw = UnsafeMutableRawPointer(buf)
            for r in 0..<rpt {
                let v = vreg(UInt8((Int(s.d) + r) & 31))
                raw.storeBytes(of: v.lo, toByteOffset: r * regBytes, as: UInt64.self)
                if regBytes == 16 { raw.storeBytes(of: v.hi, toByteOffset: r * regBytes + 8, as: UInt64.self) }
            }
            return
        }
        for r in 0..<selem {
            let v = vreg(UInt8((Int(s.d) + r) & 31))
            for e in 0..<elements {
                let off = (e * selem + r) * ebytes
                let val = v.elem(e, es)
                for i in 0..<ebytes { buf[off + i] = UInt8(truncatingIfNeeded: val >> UInt64(8 * i)) }
            }
        }
    }
}
