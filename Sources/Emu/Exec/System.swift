// Handlers for system instructions that leave the fast path: MSR (immediate), SYS
// (cache, TLB and address-translation maintenance), WFI/WFE traps, HVC and SMC routing.
// Each returns false if it took an exception (the PC is then already at a vector).

extension CPU {
    /// MSR (immediate) to SPSel, DAIFSet, DAIFClr or PAN (Arm ARM C5.2).
    @inline(never)
    func msrImmediate(_ s: Slot, pc: UInt64) -> Bool {
        let st = self.st
        let el = st.pointee.el
        switch s.x {
        case PStateField.spsel:
            if el == 0 { undefined(pc: pc); return false }
            bankSP(); st.pointee.spsel = UInt64(s.y & 1); unbankSP()
        case PStateField.daifSet, PStateField.daifClr:
            if el == 0 && st.pointee.sctlrEL1 & SCTLR.UMA == 0 {
                let enc = sysEncoding(0, 3, 4, UInt32(s.y), s.x == PStateField.daifSet ? 6 : 7)
                sysAccessFault(.trapEL1, enc: enc, rt: 31, read: false, pc: pc)
                return false
            }
            let bits = UInt64(s.y & 0xf) << 6
            if s.x == PStateField.daifSet { st.pointee.daif |= bits } else { st.pointee.daif &= ~bits }
            st.pointee.checkInterrupts = true
        default:
            if el == 0 { undefined(pc: pc); return false }
            setPAN(UInt64(s.y & 1))
        }
        return true
    }

    /// WFI/WFE trap checks (SCTLR_EL1.nTWI/nTWE at EL0, HCR_EL2.TWI/TWE at EL0/EL1).
    /// Returns false if the instruction trapped.
    @inline(never)
    func waitTrapped(wfe: Bool, pc: UInt64) -> Bool {
        let s = st.pointee
        let iss: UInt64 = 1 << 24 | 0xe << 20 | (wfe ? 1 : 0)
        if s.el == 0 && s.sctlrEL1 & (wfe ? SCTLR.nTWE : SCTLR.nTWI) == 0
            && !(hasEL2 && s.hcrEL2 & HCR.TGE != 0) {
            syncException(ec: EC.wfx, iss: iss, pc: pc, target: 1)
            return true
        }
        if hasEL2 && s.el < 2 && s.hcrEL2 & (wfe ? HCR.TWE : HCR.TWI) != 0 {
            syncException(ec: EC.wfx, iss: iss, pc: pc, target: 2)
            return true
        }
        return false
    }

    /// What became of an HVC or SMC.
    enum CallOutcome {
        case exit(Exit)     // served by the machine's firmware (PC is past the call)
        case taken          // the call's own exception was taken (the call retired)
        case trapped        // trapped to EL2 before executing (HCR_EL2.TSC)
        case undefined      // UNDEFINED was taken
    }

    /// HVC: UNDEFINED at EL0, without EL2 or with HCR_EL2.HCD; otherwise an exception
    /// to EL2, or an exit when firmware serves HVC (EL1 boot with no EL2 software).
    @inline(never)
    func hypervisorCall(_ imm: UInt16, pc: UInt64) -> CallOutcome {
        let s = st.pointee
        if s.el == 0 { undefined(pc: pc); return .undefined }
        if conduit == .hvc && s.el == 1 { st.pointee.pc = pc &+ 4; return .exit(.hvcFirmware(imm: imm)) }
        if !hasEL2 || (s.el == 1 && s.hcrEL2 & HCR.HCD != 0) { undefined(pc: pc); return .undefined }
        syncException(ec: EC.hvc, iss: UInt64(imm), pc: pc &+ 4, target: 2)
        return .taken
    }

    /// SMC: UNDEFINED at EL0, trapped to EL2 by HCR_EL2.TSC, served by firmware when
    /// SMC is the PSCI conduit and UNDEFINED otherwise (no EL3).
    @inline(never)
    func secureMonitorCall(_ imm: UInt16, pc: UInt64) -> CallOutcome {
        let s = st.pointee
        if s.el == 0 { undefined(pc: pc); return .undefined }
        if hasEL2 && s.el == 1 && s.hcrEL2 & HCR.TSC != 0 {
            syncException(ec: EC.smc, iss: UInt64(imm), pc: pc, target: 2)
            return .trapped
        }
        if conduit != .smc { undefined(pc: pc); return .undefined }
        st.pointee.pc = pc &+ 4
        return .exit(.smc(imm: imm))
    }

    /// The page a TLBI by VA names: its operand holds VA[55:12] in bits 43:0 (and an ASID
    /// above, which hvsim's TLB does not keep); bits 63:56 copy bit 55.
    private func tlbiAddress(_ operand: UInt64) -> UInt64 {
        let va = (operand & 0xfff_ffff_ffff) << 12
        return va & (1 << 55) != 0 ? va | 0xff00_0000_0000_0000 : va
    }

    /// SYS: DC, IC, AT and TLBI. Returns false if it took an exception.
    @inline(never)
    func systemOp(_ s: Slot, pc: UInt64) -> Bool {
        guard let op = SysOp(rawValue: UInt16(s.imm & 0xffff)) else { undefined(pc: pc); return false }
        let enc = UInt32(s.imm >> 16)
        let st = self.st.pointee
        let el = st.el
        if el < op.minimumEL { undefined(pc: pc); return false }
        if el == 0 {
            // DC ZVA, DC CVAU/CVAC/CIVAC and IC IVAU at EL0 trap to EL1 (EC 0x18) unless
            // SCTLR_EL1.DZE/UCI enable them; the EL1-only operations are UNDEFINED.
            let allowed: Bool
            switch op {
            case .dcZeroVA: allowed = st.sctlrEL1 & SCTLR.DZE != 0
            case .icInvalidateVA, .dcByVA: allowed = st.sctlrEL1 & SCTLR.UCI != 0
            default: undefined(pc: pc); return false
            }
            if !allowed { sysAccessFault(.trapEL1, enc: enc, rt: s.n, read: false, pc: pc); return false }
        }
        if hasEL2 && el < 2 {
            let hcr = st.hcrEL2
            let trap: Bool
            switch op {
            case .tlbiEL1, .tlbiEL1IS, .tlbiVAEL1, .tlbiVAEL1IS: trap = hcr & HCR.TTLB != 0
            case .dcBySetWay: trap = hcr & HCR.TSW != 0
            case .dcZeroVA: trap = hcr & HCR.TDZ != 0
            case .dcByVA, .dcInvalidateVA: trap = hcr & HCR.TPCP != 0
            case .icInvalidateAll, .icInvalidateAllIS, .icInvalidateVA: trap = hcr & HCR.TPU != 0
            default: trap = false
            }
            if trap {
                syncException(ec: EC.sysReg, iss: sysTrapISS(enc: enc, rt: s.n, read: false), pc: pc, target: 2)
                return false
            }
        }
        let value = x[Int(s.n)]
        switch op {
        case .icInvalidateAll, .icInvalidateAllIS, .icInvalidateVA, .dcBySetWay, .dcByVA, .dcInvalidateVA:
            return true   // the decoded-code cache is kept coherent with every store
        case .dcZeroVA:
            let base = value & ~63
            // A page the TLB lets this context write is RAM, holds no code and no watchpoint.
            let e = tlbEntry(Int(el), base)
            if e.pointee.tagW == base & ~0xfff, let host = UnsafeMutableRawPointer(bitPattern: UInt(base &+ e.pointee.addend)) {
                host.initializeMemory(as: UInt8.self, repeating: 0, count: 64)
                return true
            }
            for i in stride(from: UInt64(0), to: 64, by: 8) {
                if !store(base &+ i, 8, 0, ctx: Int(el), pc: pc, slot: s) { return false }
            }
            return true
        case .tlbiEL1: flushTLB(all: false, stage2: false)
        case .tlbiStage2: flushTLB(all: false)
        case .tlbiEL2: flushTLB(context: 2)
        case .tlbiEL1IS: for t in code.tlbs { TLB.clearGuest(t.entries, stage2: false) }
        case .tlbiStage2IS: for t in code.tlbs { TLB.clearGuest(t.entries, stage2: true) }
        case .tlbiEL2IS: for t in code.tlbs { TLB.clear(t.entries, contexts: 2..<3) }
        case .tlbiVAEL1: TLB.dropPage(tlbBase, tlbiAddress(value), contexts: 0..<2)
        case .tlbiVAEL1IS: for t in code.tlbs { TLB.dropPage(t.entries, tlbiAddress(value), contexts: 0..<2) }
        case .tlbiVAEL2: TLB.dropPage(tlbBase, tlbiAddress(value), contexts: 2..<3)
        case .tlbiVAEL2IS: for t in code.tlbs { TLB.dropPage(t.entries, tlbiAddress(value), contexts: 2..<3) }
        default:
            addressTranslate(op, value)
        }
        return true
    }

    /// AT: translate without faulting and report in PAR_EL1 (Arm ARM D17.2.103).
    private func addressTranslate(_ op: SysOp, _ va: UInt64) {
        let access: Access
        switch op {
        case .atS1E1W, .atS1E0W, .atS1E2W, .atS12E1W, .atS12E0W: access = .write
        default: access = .read
        }
        let ctx: Int
        switch op {
        case .atS1E0R, .atS1E0W, .atS12E0R, .atS12E0W: ctx = 0
        case .atS1E2R, .atS1E2W: ctx = 2
        default: ctx = 1
        }
        // AT S1E1*/S1E0* report the stage 1 output (an IPA when stage 2 is on).
        let stage1Only = op == .atS1E1R || op == .atS1E1W || op == .atS1E0R || op == .atS1E0W
        switch translate(va, access, context: ctx, stage1Only: stage1Only) {
        case .success(let t): st.pointee.parEL1 = t.pa & 0x0000_ffff_ffff_f000
        case .failure(let f):
            st.pointee.parEL1 = 1 | f.statusCode << 1 | (f.s1ptw ? 1 << 8 : 0) | (f.stage2 ? 1 << 9 : 0)
        }
    }
}
