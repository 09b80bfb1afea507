// Guest virtual memory access for the interpreter: an inlined soft-TLB fast path and
// an out-of-line slow path that walks the tables, fills the TLB, dispatches MMIO,
// splits page-crossing accesses and raises the architectural aborts.

extension CPU {
    // MARK: Fast paths (inlined into the interpreter)

    /// The host address of `va` through TLB entry `e`, whose tag matched: never null (a
    /// RAM bank's memory), so release builds skip the check.
    @inline(__always)
    func hostAddress(_ va: UInt64, _ e: UnsafeMutablePointer<TLBEntry>) -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(bitPattern: UInt(va &+ e.pointee.addend)).unsafelyUnwrapped
    }

    /// Fast path with the current context's TLB table already at hand.
    @inline(__always)
    func load(_ va: UInt64, _ size: Int, tlb: UnsafeMutablePointer<TLBEntry>, ctx: Int, pc: UInt64, slot: Slot) -> UInt64? {
        let e = tlb + TLB.index(va)
        if e.pointee.tagR == va & (~0xfff | UInt64(size - 1)) {
            return loadLE(hostAddress(va, e), size)
        }
        return loadSlow(va, size, ctx: ctx, pc: pc, slot: slot)
    }

    @inline(__always)
    func store(_ va: UInt64, _ size: Int, _ value: UInt64, tlb: UnsafeMutablePointer<TLBEntry>, ctx: Int, pc: UInt64,
               slot: Slot) -> Bool {
        let e = tlb + TLB.index(va)
        if e.pointee.tagW == va & (~0xfff | UInt64(size - 1)) {
            storeLE(hostAddress(va, e), size, value)
            return true
        }
        return storeSlow(va, size, value, ctx: ctx, pc: pc, slot: slot)
    }

    @inline(__always)
    func load(_ va: UInt64, _ size: Int, ctx: Int, pc: UInt64, slot: Slot) -> UInt64? {
        load(va, size, tlb: tlb(ctx), ctx: ctx, pc: pc, slot: slot)
    }

    @inline(__always)
    func store(_ va: UInt64, _ size: Int, _ value: UInt64, ctx: Int, pc: UInt64, slot: Slot) -> Bool {
        store(va, size, value, tlb: tlb(ctx), ctx: ctx, pc: pc, slot: slot)
    }

    // MARK: Slow paths

    /// ISS bits 24:14 of a data abort for the instruction in `slot` (ISV, SAS, SSE, SRT,
    /// SF, AR): valid only for single-register loads/stores without writeback.
    func dataAbortSyndrome(_ s: Slot) -> UInt64 {
        let sas: UInt64, sse: UInt64, sf: UInt64
        switch s.op.generic {
        case .ldrb, .strb: (sas, sse, sf) = (0, 0, 0)
        case .ldrh, .strh: (sas, sse, sf) = (1, 0, 0)
        case .ldrw, .strw: (sas, sse, sf) = (2, 0, 0)
        case .ldrx, .strx: (sas, sse, sf) = (3, 0, 1)
        case .ldrsb64: (sas, sse, sf) = (0, 1, 1)
        case .ldrsb32: (sas, sse, sf) = (0, 1, 0)
        case .ldrsh64: (sas, sse, sf) = (1, 1, 1)
        case .ldrsh32: (sas, sse, sf) = (1, 1, 0)
        case .ldrsw: (sas, sse, sf) = (2, 1, 1)
        default: return 0
        }
        let mode = s.x & 7
        if mode == AddrMode.preIndex || mode == AddrMode.postIndex { return 0 }
        let rt = UInt64(s.d >= 31 ? 31 : s.d)
        return 1 << 24 | sas << 22 | sse << 21 | rt << 16 | sf << 15
    }

    /// Translates for a data access, filling the TLB for RAM pages. Returns the PA, or
    /// nil after taking the abort.
    @inline(never)
    func translateData(_ va: UInt64, _ access: Access, ctx: Int, pc: UInt64, slot: Slot) -> (UInt64, RAMBank?)? {
        switch translate(va, access, context: ctx) {
        case .failure(let f):
            abort(f, va: va, access: access, pc: pc, iss: dataAbortSyndrome(slot))
            return nil
        case .success(let t):
            let b = bus.bank(t.pa)
            if let b = b { fillTLB(va, t, bank: b, ctx: ctx) }
            return (t.pa, b)
        }
    }

    func fillTLB(_ va: UInt64, _ t: Translation, bank b: RAMBank, ctx: Int) {
        if t.largeSpan != 0 { TLB.noteLarge(tlbBase, context: ctx, va: va, span: t.largeSpan) }
        let e = tlbEntry(ctx, va), p = tlbPage(e)
        let page = va & ~0xfff, paPage = t.pa & ~0xfff
        if p.pointee.pa != paPage || e.pointee.tagR != page && e.pointee.tagW != page && e.pointee.tagX != page {
            e.pointee = TLBEntry()
            p.pointee.code = nil
        }
        p.pointee.pa = paPage
        e.pointee.addend = UInt64(UInt(bitPattern: b.host + Int(paPage - b.base))) &- page
        if t.read { e.pointee.tagR = page }
        if t.write && !code.isCode(paPage, bank: b) { e.pointee.tagW = page; b.touch(paPage - b.base) }
        if t.exec && e.pointee.tagX != page { e.pointee.tagX = TLB.invalid; p.pointee.code = nil }
        if st.pointee.hasWatchpoints { keepWatchedPageOut(e, page) }
    }

    @inline(never)
    func loadSlow(_ va: UInt64, _ size: Int, ctx: Int, pc: UInt64, slot: Slot) -> UInt64? {
        if (va & 0xfff) + UInt64(size) > 0x1000 {
            var v: UInt64 = 0
            for i in 0..<size {
                guard let b = loadSlow(va &+ UInt64(i), 1, ctx: ctx, pc: pc, slot: slot) else { return nil }
                v |= b << UInt64(8 * i)
            }
            return v
        }
        if st.pointee.hasWatchpoints && watchpointStops(va, size, write: false, pc: pc) { return nil }
        if va & UInt64(size - 1) != 0 && alignmentChecked(ctx) {
            alignmentFault(va, .read, pc: pc)
            return nil
        }
        guard let (pa, bank) = translateData(va, .read, ctx: ctx, pc: pc, slot: slot) else { return nil }
        if let b = bank { return loadLE(b.host + Int(pa - b.base), size) }
        if let v = bus.read(pa, size: size, cpu: index) { return v }
        externalAbort(va, .read, pc: pc, slot: slot)
        return nil
    }

    @inline(never)
    func storeSlow(_ va: UInt64, _ size: Int, _ value: UInt64, ctx: Int, pc: UInt64, slot: Slot) -> Bool {
        if (va & 0xfff) + UInt64(size) > 0x1000 {
            // Check both pages before writing either, so a fault leaves memory unchanged.
            let second = (va | 0xfff) &+ 1
            guard translateData(va, .write, ctx: ctx, pc: pc, slot: slot) != nil,
                  translateData(second, .write, ctx: ctx, pc: pc, slot: slot) != nil else { return false }
            for i in 0..<size {
                guard storeSlow(va &+ UInt64(i), 1, value >> UInt64(8 * i), ctx: ctx, pc: pc, slot: slot) else {
                    return false
                }
            }
            return true
        }
        if st.pointee.hasWatchpoints && watchpointStops(va, size, write: true, pc: pc) { return false }
        if va & UInt64(size - 1) != 0 && alignmentChecked(ctx) { _ = alignmentFault(va, .write, pc: pc); return false }
        guard let (pa, bank) = translateData(va, .write, ctx: ctx, pc: pc, slot: slot) else { return false }
        if let b = bank {
            if code.isCode(pa & ~0xfff, bank: b) { code.invalidate(pa & ~0xfff, bank: b) }
            b.touch(pa - b.base)
            storeLE(b.host + Int(pa - b.base), size, value)
            return true
        }
        if bus.write(pa, size: size, value: value, cpu: index) { return true }
        externalAbort(va, .write, pc: pc, slot: slot)
        return false
    }

    /// SCTLR_ELx.A for the translation context.
    func alignmentChecked(_ ctx: Int) -> Bool {
        (ctx == 2 ? st.pointee.sctlrEL2 : st.pointee.sctlrEL1) & SCTLR.A != 0
    }

    /// Alignment fault (DFSC 0x21). Always returns false, for use in guards.
    @discardableResult
    func alignmentFault(_ va: UInt64, _ access: Access, pc: UInt64) -> Bool {
        abort(Fault(kind: .alignment), va: va, access: access, pc: pc)
        return false
    }

    /// Synchronous external abort on an access to unmapped physical memory (DFSC 0x10).
    func externalAbort(_ va: UInt64, _ access: Access, pc: UInt64, slot: Slot) {
        abort(Fault(kind: .external), va: va, access: access, pc: pc)
    }

    /// Physical page of the code at `pc` for the current EL, decoded lazily; nil after
    /// taking an instruction abort or PC alignment fault.
    @inline(never)
    func fetchPage(_ pc: UInt64, ctx: Int) -> UnsafeMutablePointer<Slot>? {
        if pc & 3 != 0 {
            syncException(ec: EC.pcAlign, iss: 0, pc: pc, far: pc)
            return nil
        }
        switch translate(pc, .exec, context: ctx) {
        case .failure(let f):
            abort(f, va: pc, access: .exec, pc: pc)
            return nil
        case .success(let t):
            let paPage = t.pa & ~0xfff
            guard let b = bus.bank(paPage) else {
                abort(Fault(kind: .external), va: pc, access: .exec, pc: pc)
                return nil
            }
            let slots = code.page(paPage)
            fillTLB(pc, t, bank: b, ctx: ctx)
            let e = tlbEntry(ctx, pc)
            e.pointee.tagX = pc & ~0xfff
            tlbPage(e).pointee.code = slots
            return slots
        }
    }

    /// Decodes the instruction for slot `i` of a code page (its PA is in the end slot).
    @inline(never)
    func decodeSlot(_ slots: UnsafeMutablePointer<Slot>, _ i: Int) {
        let pa = slots[CodeCache.slotsPerPage].imm
        guard let b = bus.bank(pa) else { slots[i] = Slot(.undefined); return }
        code.markCode(pa)
        Fusion.decode(slots, i, words: UnsafeRawPointer(b.host + Int(pa - b.base)))
    }
}

extension CPU {
    /// Reads guest virtual memory through the current translation without side
    /// effects or faults (debuggers, firmware, semihosting). Nil if unmapped.
    public func debugRead(_ va: UInt64, size: Int) -> UInt64? {
        guard case .success(let t) = translate(va, .read, context: Int(st.pointee.el)) else { return nil }
        return bus.read(t.pa, size: size, cpu: index)
    }

    /// Writes guest virtual memory through the current translation (debuggers,
    /// semihosting). Returns false if unmapped. Decoded code is kept coherent.
    public func debugWrite(_ va: UInt64, size: Int, value: UInt64) -> Bool {
        guard case .success(let t) = translate(va, .read, context: Int(st.pointee.el)) else { return false }
        if let b = bus.bank(t.pa), code.isCode(t.pa & ~0xfff, bank: b) { code.invalidate(t.pa & ~0xfff, bank: b) }
        return bus.write(t.pa, size: size, value: value, cpu: index)
    }

    /// Raises or lowers the physical IRQ/FIQ inputs (from the interrupt controller).
    /// Sets the virtual IRQ/FIQ inputs (a GICv3 virtual CPU interface drives them).
    public func setVirtualInterruptLines(irq: Bool, fiq: Bool) {
        if st.pointee.virqLine != irq || st.pointee.vfiqLine != fiq {
            st.pointee.virqLine = irq; st.pointee.vfiqLine = fiq
            st.pointee.checkInterrupts = true
        }
    }

    public func setInterruptLines(irq: Bool, fiq: Bool) {
        if st.pointee.irqLine != irq || st.pointee.fiqLine != fiq {
            st.pointee.irqLine = irq; st.pointee.fiqLine = fiq
            st.pointee.checkInterrupts = true
        }
    }
}
