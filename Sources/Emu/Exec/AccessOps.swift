// The memory accesses the interpreter's load and store handlers are made of: address modes,
// writeback, single-register and pair accesses (each a constant op or mode at its call,
// so the compiler specialises them). All are inlined into the switch (CPU/Interpreter.swift).

extension CPU {
    /// Effective address of a single or pair load/store, before writeback, for the
    /// generic (runtime address mode) handlers. The specialised handlers use
    /// `effectiveAddress` below; routing these through it too inflated the interpreter
    /// and cost about 7% on the hash benchmark (measured A/B), so the two stay apart.
    @inline(__always) func address(_ s: Slot, pc: UInt64) -> UInt64 {
        switch s.x & 7 {
        case AddrMode.postIndex: return x[Int(s.n)]
        case AddrMode.register: return x[Int(s.n)] &+ extendReg(x[Int(s.m)], drop: s.y, keep: s.imm, shift: s.a)
        case AddrMode.literal: return pc &+ s.imm
        default: return x[Int(s.n)] &+ s.imm
        }
    }

    @inline(__always) func writeback(_ s: Slot, _ addr: UInt64) {
        let mode = s.x & 7
        if mode == AddrMode.preIndex { x[Int(s.n)] = addr }
        else if mode == AddrMode.postIndex { x[Int(s.n)] = addr &+ s.imm }
    }

    /// Address of a specialised single-register access (mode is a constant at each use).
    @_transparent
    func effectiveAddress(_ x: UnsafeMutablePointer<UInt64>, _ s: Slot,
                                  mode: UInt8) -> UInt64 {
        let base = x[Int(s.n)]
        switch mode {
        case AddrMode.postIndex: return base
        case AddrMode.register: return base &+ extendReg(x[Int(s.m)], drop: s.y, keep: s.imm, shift: s.a)
        default: return base &+ s.imm
        }
    }

    @_transparent
    func writeback(_ x: UnsafeMutablePointer<UInt64>, _ s: Slot, _ addr: UInt64,
                           mode: UInt8) {
        if mode == AddrMode.preIndex { x[Int(s.n)] = addr }
        if mode == AddrMode.postIndex { x[Int(s.n)] = addr &+ s.imm }
    }

    /// A single-register load specialised by the compiler for each size, extension and
    /// address mode (all constants at the call sites). Returns false after an abort.
    @_transparent
    func loadOp(_ x: UnsafeMutablePointer<UInt64>, _ tlb: UnsafeMutablePointer<TLBEntry>,
                        _ s: Slot, _ pc: UInt64, _ ctx: Int,
                        size: Int, signed: Bool, to32: Bool, mode: UInt8) -> Bool {
        let addr = effectiveAddress(x, s, mode: mode)
        guard let v = load(addr, size, tlb: tlb, ctx: ctx, pc: pc, slot: s) else { return false }
        writeback(x, s, addr, mode: mode)
        var r = signed ? signExtend(v, size * 8) : v
        if to32 { r &= 0xffff_ffff }
        x[Int(s.d)] = r
        return true
    }

    @_transparent
    func storeOp(_ x: UnsafeMutablePointer<UInt64>, _ tlb: UnsafeMutablePointer<TLBEntry>,
                         _ s: Slot, _ pc: UInt64, _ ctx: Int,
                         size: Int, mode: UInt8) -> Bool {
        let addr = effectiveAddress(x, s, mode: mode)
        guard store(addr, size, x[Int(s.d)], tlb: tlb, ctx: ctx, pc: pc, slot: s) else { return false }
        writeback(x, s, addr, mode: mode)
        return true
    }

    /// Host address of a 16-byte pair access at `va` when it is 8-byte aligned, within one
    /// page, and the TLB's entry allows it (as `load`/`store` check each half); else nil.
    @_transparent
    func pairHost(_ tlb: UnsafeMutablePointer<TLBEntry>, _ va: UInt64, write: Bool) -> UnsafeMutableRawPointer? {
        let e = tlb + TLB.index(va)
        let tag = write ? e.pointee.tagW : e.pointee.tagR
        guard tag == va & (~0xfff | 7) && va & 0xfff != 0xff8 else { return nil }
        return hostAddress(va, e)
    }

    /// LDP, LDPSW (`op`, a constant at each use) of the slot `s`. Returns false after an abort.
    @_transparent
    func loadPair(_ op: Op, _ x: UnsafeMutablePointer<UInt64>, _ tlb: UnsafeMutablePointer<TLBEntry>,
                          _ s: Slot, _ pc: UInt64, _ ctx: Int) -> Bool {
        let addr = address(s, pc: pc)
        // Both halves of an aligned 64-bit pair in one page: one TLB look-up.
        if op == .ldp64, let h = pairHost(tlb, addr, write: false) {
            let v1 = h.load(as: UInt64.self), v2 = (h + 8).load(as: UInt64.self)
            writeback(s, addr)
            x[Int(s.d)] = v1; x[Int(s.m)] = v2
            return true
        }
        let size = op == .ldp64 ? 8 : 4
        guard let v1 = load(addr, size, ctx: ctx, pc: pc, slot: s),
              let v2 = load(addr &+ UInt64(size), size, ctx: ctx, pc: pc, slot: s) else { return false }
        writeback(s, addr)
        if op == .ldpsw { x[Int(s.d)] = signExtend(v1, 32); x[Int(s.m)] = signExtend(v2, 32) }
        else { x[Int(s.d)] = v1; x[Int(s.m)] = v2 }
        return true
    }

    /// STP (`op`, a constant at each use) of the slot `s` (taken by value: the stores may
    /// rewrite the slots). Returns false after an abort.
    @_transparent
    func storePair(_ op: Op, _ x: UnsafeMutablePointer<UInt64>, _ tlb: UnsafeMutablePointer<TLBEntry>,
                           _ s: Slot, _ pc: UInt64, _ ctx: Int) -> Bool {
        let addr = address(s, pc: pc)
        if op == .stp64, let h = pairHost(tlb, addr, write: true) {
            storeLE(h, 8, x[Int(s.d)])
            storeLE(h + 8, 8, x[Int(s.m)])
        } else if op == .stp64 {
            guard store(addr, 8, x[Int(s.d)], ctx: ctx, pc: pc, slot: s),
                  store(addr &+ 8, 8, x[Int(s.m)], ctx: ctx, pc: pc, slot: s) else { return false }
        } else {
            guard store(addr, 8, (x[Int(s.d)] & 0xffff_ffff) | x[Int(s.m)] << 32, ctx: ctx, pc: pc, slot: s) else { return false }
        }
        writeback(s, addr)
        return true
    }
}
