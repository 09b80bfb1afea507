// Exception entry and return (Arm ARM D1.10, "Exception entry"; D1.11, "Exception
// return"), interrupt routing and masking (D1.13), and the syndromes of synchronous
// exceptions (D17.2.37, ESR_ELx).

public enum VectorKind: UInt64, Sendable { case sync = 0, irq = 0x80, fiq = 0x100, serror = 0x180 }

extension CPU {
    /// Where a synchronous exception from the current EL goes, unless routed elsewhere
    /// by its cause (stage 2 faults, EL2 traps).
    var syncTarget: UInt64 {
        let s = st.pointee
        if s.el == 2 { return 2 }
        if s.el == 0 && hasEL2 && s.hcrEL2 & HCR.TGE != 0 { return 2 }
        return 1
    }

    // MARK: Stack pointer banking

    /// Saves the live SP into the bank PSTATE currently selects.
    @inline(__always) func bankSP() {
        let v = x[Int(Reg.sp)]
        let s = st
        if s.pointee.spsel == 0 { s.pointee.spEL0 = v; return }
        switch s.pointee.el { case 0: s.pointee.spEL0 = v; case 1: s.pointee.spEL1 = v; default: s.pointee.spEL2 = v }
    }

    /// Loads the live SP from the bank PSTATE currently selects.
    @inline(__always) func unbankSP() {
        let s = st.pointee
        if s.spsel == 0 { x[Int(Reg.sp)] = s.spEL0; return }
        switch s.el { case 0: x[Int(Reg.sp)] = s.spEL0; case 1: x[Int(Reg.sp)] = s.spEL1; default: x[Int(Reg.sp)] = s.spEL2 }
    }

    // MARK: Entry

    /// Takes an exception to `target` (1 or 2). `returnPC` is the preferred return address.
    public func takeException(to target: UInt64, kind: VectorKind, esr: UInt64, returnPC: UInt64,
                              far: UInt64? = nil) {
        let s = st
        if userMode {
            userException = (esr, far ?? 0)
            s.pointee.pc = returnPC
            return
        }
        let from = s.pointee.el
        onException?(self, kind, esr, from, target, returnPC)
        let spsr = pstate
        bankSP()
        var vectorBase: UInt64
        if target == 2 {
            s.pointee.spsrEL2 = spsr; s.pointee.elrEL2 = returnPC; vectorBase = s.pointee.vbarEL2
            if kind == .sync || kind == .serror { s.pointee.esrEL2 = esr }
            if let f = far { s.pointee.farEL2 = f }
        } else {
            s.pointee.spsrEL1 = spsr; s.pointee.elrEL1 = returnPC; vectorBase = s.pointee.vbarEL1
            if kind == .sync || kind == .serror { s.pointee.esrEL1 = esr }
            if let f = far { s.pointee.farEL1 = f }
            if s.pointee.sctlrEL1 & SCTLR.SPAN == 0 { setPAN(1) }
        }
        let offset: UInt64
        if from == target { offset = s.pointee.spsel == 0 ? 0 : 0x200 } else { offset = 0x400 }
        s.pointee.el = target
        s.pointee.spsel = 1
        s.pointee.daif = 0x3c0
        s.pointee.illegal = 0
        s.pointee.exclusiveAddr = ~0
        unbankSP()
        vectorBase &= ~0x7ff
        s.pointee.pc = vectorBase &+ offset &+ kind.rawValue
        if target == 2 && s.pointee.hostedEL2 {
            // The Swift hypervisor takes it from here: stop before the vector's first instruction.
            s.pointee.hostedTrap = kind.rawValue &+ 1
            s.pointee.exitRequest = true
            s.pointee.checkInterrupts = true
        }
    }

    /// A hosted hypervisor's ERET: returns to the state SPSR_EL2 and ELR_EL2 describe.
    public func returnFromHypervisor() {
        precondition(st.pointee.el == 2, "returnFromHypervisor outside EL2")
        exceptionReturn()
    }

    /// A synchronous exception with class `ec` to the usual target (or `target`).
    func syncException(ec: UInt64, iss: UInt64, pc: UInt64, target: UInt64? = nil, far: UInt64? = nil) {
        takeException(to: target ?? syncTarget, kind: .sync, esr: ec << 26 | 1 << 25 | (iss & 0x1ff_ffff),
                      returnPC: pc, far: far)
    }

    /// UNDEFINED: EC 0 ("unknown reason"), to EL1 or EL2 as the EL and HCR_EL2.TGE say.
    public func undefined(pc: UInt64) {
        syncException(ec: EC.unknown, iss: 0, pc: pc)
    }

    /// PSTATE.PAN. The EL1 context's tags hold the permissions walked under the PAN of the
    /// time. Setting PAN takes EL1's data access to EL0-accessible pages away, so the context
    /// is emptied if a walk granted such access since it was last emptied. Clearing PAN needs
    /// nothing: the accesses it allows again were refused, so their tags miss and walk again.
    /// (Linux changes PAN on exceptions from EL0 and returns to it: 3715 times in a domU
    /// boot, and emptying the context each time made 9% of its walks.)
    func setPAN(_ v: UInt64) {
        guard st.pointee.pan != v else { return }
        st.pointee.pan = v
        if v != 0 && el1MayReachUserPages { flushTLB(context: 1) }
    }

    // MARK: Aborts

    /// Takes the abort for a failed translation or access of `va`.
    func abort(_ f: Fault, va: UInt64, access: Access, pc: UInt64, iss isv: UInt64 = 0) {
        let s = st.pointee
        let target: UInt64 = f.stage2 ? 2 : syncTarget
        let lower = s.el < target
        var iss = f.statusCode
        let ec: UInt64
        if access == .exec {
            ec = lower ? EC.instAbortLower : EC.instAbortSame
        } else {
            ec = lower ? EC.dataAbortLower : EC.dataAbortSame
            if access == .write { iss |= 1 << 6 }
            if f.stage2 && !f.s1ptw { iss |= isv }
        }
        if f.s1ptw { iss |= 1 << 7 }
        if f.stage2 { st.pointee.hpfarEL2 = (f.ipa >> 12) << 4 }
        syncException(ec: ec, iss: iss, pc: pc, target: target, far: va)
    }

    // MARK: Return

    /// ERET (Arm ARM D1.11): restores PSTATE from SPSR_ELx and jumps to ELR_ELx. An
    /// illegal return keeps EL and SP and sets PSTATE.IL.
    func exceptionReturn() {
        let s = st
        let el = s.pointee.el
        let spsr = el == 2 ? s.pointee.spsrEL2 : s.pointee.spsrEL1
        let elr = el == 2 ? s.pointee.elrEL2 : s.pointee.elrEL1
        let m = spsr & 0x1f
        let targetEL = (m >> 2) & 3
        var legal = m & 0x10 == 0 && m & 2 == 0 && targetEL <= el && !(targetEL == 0 && m & 1 != 0)
        if targetEL == 2 && !hasEL2 { legal = false }
        if targetEL == 1 && el == 2 && s.pointee.hcrEL2 & HCR.TGE != 0 { legal = false }
        if targetEL == 3 { legal = false }
        bankSP()
        nzcv = spsr & 0xf000_0000
        s.pointee.daif = spsr & 0x3c0
        if legal {
            s.pointee.el = targetEL
            s.pointee.spsel = m & 1
            s.pointee.illegal = (spsr >> 20) & 1
            setPAN((spsr >> 22) & 1)
        } else {
            s.pointee.illegal = 1
        }
        unbankSP()
        s.pointee.exclusiveAddr = ~0
        s.pointee.checkInterrupts = true
        // Bits 63:56 of ELR are ignored with TBI; keep the address as given otherwise.
        s.pointee.pc = elr
    }

    // MARK: Interrupts

    /// Takes a pending, unmasked asynchronous exception, if any. Returns true if taken.
    func takePendingInterrupt() -> Bool {
        let s = st.pointee
        let el = s.el
        let hcr = hasEL2 ? s.hcrEL2 : 0
        let tge = hcr & HCR.TGE != 0
        // Physical interrupts: routed to EL2 by IMO/FMO/AMO (or TGE), else to EL1.
        func physical(_ pending: Bool, route: UInt64, mask: UInt64, kind: VectorKind) -> Bool {
            guard pending else { return false }
            let toEL2 = hasEL2 && (hcr & route != 0 || tge)
            let target: UInt64 = toEL2 ? 2 : 1
            if el > target { return false }
            if el == target && s.daif & mask != 0 { return false }
            if target == 1 && s.daif & mask != 0 { return false }
            takeException(to: target, kind: kind, esr: kind == .serror ? EC.serror << 26 | 1 << 25 : 0,
                          returnPC: s.pc)
            return true
        }
        // Virtual interrupts: only at EL0/EL1 with the route bit set, masked by PSTATE.
        func virtual(_ pending: Bool, route: UInt64, mask: UInt64, kind: VectorKind) -> Bool {
            guard pending, el < 2, hcr & route != 0, !tge, s.daif & mask == 0 else { return false }
            // Taking a virtual SError consumes it (HCR_EL2.VSE is cleared); VI and VF are levels.
            if kind == .serror { st.pointee.hcrEL2 &= ~HCR.VSE }
            takeException(to: 1, kind: kind, esr: kind == .serror ? EC.serror << 26 | 1 << 25 : 0, returnPC: s.pc)
            return true
        }
        return physical(s.serrorPending, route: HCR.AMO, mask: 0x100, kind: .serror)
            || virtual(hcr & HCR.VSE != 0, route: HCR.AMO, mask: 0x100, kind: .serror)
            || physical(s.fiqLine, route: HCR.FMO, mask: 0x40, kind: .fiq)
            || physical(s.irqLine, route: HCR.IMO, mask: 0x80, kind: .irq)
            || virtual(hcr & HCR.VF != 0 || s.vfiqLine, route: HCR.FMO, mask: 0x40, kind: .fiq)
            || virtual(hcr & HCR.VI != 0 || s.virqLine, route: HCR.IMO, mask: 0x80, kind: .irq)
    }

    /// True if any interrupt is pending, masked or not (WFI wakes on these).
    public var interruptPending: Bool {
        let s = st.pointee
        let hcr = hasEL2 ? s.hcrEL2 : 0
        return s.irqLine || s.fiqLine || s.serrorPending
            || (s.el < 2 && hcr & (HCR.VI | HCR.VF | HCR.VSE) != 0)
            || (s.el < 2 && (s.virqLine && hcr & HCR.IMO != 0 || s.vfiqLine && hcr & HCR.FMO != 0))
    }
}
