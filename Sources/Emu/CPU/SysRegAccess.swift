// MRS/MSR: access checks (minimum EL, EL0 enables, EL2 traps from HCR_EL2, CPTR_EL2,
// CNTHCTL_EL2) and the register values, including the ID registers that describe
// exactly what hvsim implements: ARMv8.0-A with LSE atomics, CRC32 and PAN, 4K/16K/64K
// granules, 40-bit PA, FP and AdvSIMD (no FP16).

public enum IDRegs {
    /// EL0/EL1/EL2 AArch64 only, no EL3; FP and AdvSIMD implemented without half-precision
    /// arithmetic (both fields 0).
    /// GIC = 1 when a GICv3 CPU interface is attached (the system-register interface).
    public static func pfr0(hasEL2: Bool, gicv3: Bool) -> UInt64 {
        0x0000_0011 | (hasEL2 ? 0x100 : 0) | (gicv3 ? 0x100_0000 : 0)
    }
    public static let isar0: UInt64 = 0x0000_0000_0021_0000   // Atomic = 2 (LSE), CRC32 = 1
    public static let mmfr0: UInt64 = 0x0000_0000_0010_0022   // 4K/16K/64K, 16-bit ASID, 40-bit PA
    public static let mmfr1: UInt64 = 0x0000_0000_0010_0000   // PAN = 1, 8-bit VMID
    public static let dfr0: UInt64 = 0x0000_0000_0030_5006    // v8 debug, 6 BRPs, 4 WRPs
    // 64-byte lines, PIPT I-cache; DIC and IDC: instruction fetches see every write with no
    // cache maintenance (decoded code is forgotten by whoever writes, Bus.hostWrote).
    public static let ctr: UInt64 = 0xb444_c004
    public static let dczid: UInt64 = 4                       // DC ZVA block: 64 bytes
    public static let clidr: UInt64 = 0x0920_0003             // L1 split I/D only
}

/// Outcome of a system register access that did not complete.
enum SysAccessFault { case undefined, trapEL1, trapEL2 }

extension CPU {
    /// The generic counter: the machine's virtual time (this CPU's retired instructions plus
    /// `timeOffset`) scaled by `instructionsPerTick`.
    @inline(__always) public func counter(icount: UInt64) -> UInt64 { (icount &+ st.pointee.timeOffset) / instructionsPerTick }

    private func isVMControl(_ r: SysReg) -> Bool {
        switch r {
        case .SCTLR_EL1, .TTBR0_EL1, .TTBR1_EL1, .TCR_EL1, .ESR_EL1, .FAR_EL1, .AFSR0_EL1, .AFSR1_EL1,
             .MAIR_EL1, .AMAIR_EL1, .CONTEXTIDR_EL1: return true
        default: return false
        }
    }

    /// Checks whether the current EL may access `r`; nil means allowed.
    private func checkAccess(_ r: SysReg, enc: UInt32, write: Bool) -> SysAccessFault? {
        let s = st.pointee
        let el = s.el
        let op1 = (enc >> 11) & 7
        let trapsOn = hasEL2 && el < 2
        let hcr = s.hcrEL2
        // Minimum EL from op1 (Arm ARM C5.3: op1 = 4 is EL2, 3 is EL0, others EL1).
        if op1 == 4 && el < 2 { return .undefined }
        if op1 == 4 && !hasEL2 { return .undefined }
        if el == 0 {
            switch r {
            case .NZCV, .FPCR, .FPSR, .TPIDR_EL0, .DCZID_EL0, .MDCCSR_EL0: break
            // EL0 accesses disabled by SCTLR_EL1/CNTKCTL_EL1 trap to EL1 (EC 0x18), not UNDEFINED.
            case .TPIDRRO_EL0: if write { return .undefined }
            case .DAIF: if s.sctlrEL1 & SCTLR.UMA == 0 { return .trapEL1 }
            case .CTR_EL0: if s.sctlrEL1 & SCTLR.UCT == 0 { return .trapEL1 }
            case .CNTPCT_EL0: if s.cntkctlEL1 & 1 == 0 { return .trapEL1 }
            case .CNTVCT_EL0: if s.cntkctlEL1 & 2 == 0 { return .trapEL1 }
            case .CNTFRQ_EL0: if s.cntkctlEL1 & 3 == 0 { return .trapEL1 }
            case .CNTV_TVAL_EL0, .CNTV_CTL_EL0, .CNTV_CVAL_EL0: if s.cntkctlEL1 & (1 << 8) == 0 { return .trapEL1 }
            case .CNTP_TVAL_EL0, .CNTP_CTL_EL0, .CNTP_CVAL_EL0: if s.cntkctlEL1 & (1 << 9) == 0 { return .trapEL1 }
            default: return .undefined
            }
        }
        switch r {
        case .SP_EL0: if s.spsel == 0 { return .undefined }
        case .SP_EL1: if el < 2 { return .undefined }
        case .CurrentEL, .MIDR_EL1, .MPIDR_EL1, .DCZID_EL0, .CTR_EL0, .CLIDR_EL1, .CCSIDR_EL1, .AIDR_EL1,
             .REVIDR_EL1, .ISR_EL1, .CNTPCT_EL0, .CNTVCT_EL0, .OSLSR_EL1, .MDCCSR_EL0, .ID_RAZ,
             .ID_AA64PFR0_EL1, .ID_AA64PFR1_EL1, .ID_AA64DFR0_EL1, .ID_AA64DFR1_EL1, .ID_AA64AFR0_EL1,
             .ID_AA64AFR1_EL1, .ID_AA64ISAR0_EL1, .ID_AA64ISAR1_EL1, .ID_AA64MMFR0_EL1, .ID_AA64MMFR1_EL1,
             .ID_AA64MMFR2_EL1:
            if write { return .undefined }
        case .OSLAR_EL1: if !write { return .undefined }
        default: break
        }
        guard trapsOn else { return nil }
        if isVMControl(r) && hcr & (write ? HCR.TVM : HCR.TRVM) != 0 && el == 1 { return .trapEL2 }
        switch r {
        case .ID_RAZ, .ID_AA64PFR0_EL1, .ID_AA64PFR1_EL1, .ID_AA64DFR0_EL1, .ID_AA64DFR1_EL1, .ID_AA64AFR0_EL1,
             .ID_AA64AFR1_EL1, .ID_AA64ISAR0_EL1, .ID_AA64ISAR1_EL1, .ID_AA64MMFR0_EL1, .ID_AA64MMFR1_EL1,
             .ID_AA64MMFR2_EL1:
            if hcr & HCR.TID3 != 0 { return .trapEL2 }
        case .REVIDR_EL1, .AIDR_EL1: if hcr & HCR.TID1 != 0 { return .trapEL2 }
        case .CTR_EL0, .CCSIDR_EL1, .CLIDR_EL1, .CSSELR_EL1: if hcr & HCR.TID2 != 0 { return .trapEL2 }
        case .ACTLR_EL1: if hcr & HCR.TACR != 0 && el == 1 { return .trapEL2 }
        case .GIC:
            // Generating SGIs (ICC_SGI0R/SGI1R/ASGI1R_EL1) traps to EL2 while EL2 routes
            // interrupts (HCR_EL2.IMO/FMO): the hypervisor sends virtual SGIs itself.
            let crn = (enc >> 7) & 15, crm = (enc >> 3) & 15, op2 = enc & 7
            if op1 == 0 && crn == 12 && crm == 11 && op2 >= 5 && hcr & (HCR.IMO | HCR.FMO) != 0 { return .trapEL2 }
        case .CNTPCT_EL0: if s.cnthctlEL2 & 1 == 0 { return .trapEL2 }
        case .CNTP_TVAL_EL0, .CNTP_CTL_EL0, .CNTP_CVAL_EL0: if s.cnthctlEL2 & 2 == 0 { return .trapEL2 }
        default: break
        }
        return nil
    }

    /// Raises the exception for a failed access; `enc`/`rt`/`read` form the EC 0x18 syndrome.
    func sysAccessFault(_ f: SysAccessFault, enc: UInt32, rt: UInt8, read: Bool, pc: UInt64) {
        switch f {
        case .undefined: undefined(pc: pc)
        case .trapEL1:
            // To EL1, or to EL2 when HCR_EL2.TGE routes EL0 exceptions there.
            syncException(ec: EC.sysReg, iss: sysTrapISS(enc: enc, rt: rt, read: read), pc: pc)
        case .trapEL2:
            syncException(ec: EC.sysReg, iss: sysTrapISS(enc: enc, rt: rt, read: read), pc: pc, target: 2)
        }
    }

    /// ISS for EC 0x18: Op0, Op2, Op1, CRn, Rt, CRm, direction (Arm ARM D17.2.37).
    func sysTrapISS(enc: UInt32, rt: UInt8, read: Bool) -> UInt64 {
        let e = UInt64(enc)
        let op0 = e >> 14, op1 = (e >> 11) & 7, crn = (e >> 7) & 15, crm = (e >> 3) & 15, op2 = e & 7
        let t = UInt64(rt >= 31 ? 31 : rt)
        return op0 << 20 | op2 << 17 | op1 << 14 | crn << 10 | t << 5 | crm << 1 | (read ? 1 : 0)
    }

    /// MRS. Returns nil if an exception was taken instead.
    func readSysReg(_ r: SysReg, enc: UInt32, rt: UInt8, pc: UInt64) -> UInt64? {
        // The commonest reads, at EL1, which no EL2 control traps: Linux's `current` (SP_EL0,
        // SPSel = 1), its per-CPU offset (TPIDR_EL1) and the interrupt masks (DAIF).
        if st.pointee.el == 1 {
            switch r {
            case .SP_EL0: if st.pointee.spsel == 1 { return st.pointee.spEL0 }
            case .TPIDR_EL1: return st.pointee.tpidrEL1
            case .DAIF: return st.pointee.daif
            default: break
            }
        }
        // FPCR and FPSR follow the FP enable controls (CPACR_EL1.FPEN, CPTR_EL2.TFP).
        if (r == .FPCR || r == .FPSR) && fpAccessTrapped(pc: pc) { return nil }
        if let f = checkAccess(r, enc: enc, write: false) {
            sysAccessFault(f, enc: enc, rt: rt, read: true, pc: pc); return nil
        }
        let s = st.pointee
        let virt = hasEL2 && s.el < 2
        let count = counter(icount: s.icount)
        switch r {
        case .NZCV: return nzcv
        case .DAIF: return s.daif
        case .CurrentEL: return s.el << 2
        case .SPSel: return s.spsel
        case .PAN: return s.pan << 22
        case .SP_EL0: return s.spEL0
        case .SP_EL1: return s.spEL1
        case .ELR_EL1: return s.elrEL1
        case .SPSR_EL1: return s.spsrEL1
        case .ELR_EL2: return s.elrEL2
        case .SPSR_EL2: return s.spsrEL2
        case .FPCR: return s.fpcr
        case .FPSR: return s.fpsr
        case .MIDR_EL1: return virt ? s.vpidrEL2 : s.midr
        case .MPIDR_EL1: return virt ? s.vmpidrEL2 : s.mpidr
        case .REVIDR_EL1, .AIDR_EL1, .ID_RAZ, .ID_AA64PFR1_EL1, .ID_AA64DFR1_EL1, .ID_AA64AFR0_EL1,
             .ID_AA64AFR1_EL1, .ID_AA64ISAR1_EL1, .ID_AA64MMFR2_EL1: return 0
        case .CTR_EL0: return IDRegs.ctr
        case .DCZID_EL0: return IDRegs.dczid | (s.el == 0 && s.sctlrEL1 & SCTLR.DZE == 0 ? 0x10 : 0)
        case .CLIDR_EL1: return IDRegs.clidr
        case .CCSIDR_EL1: return s.csselrEL1 & 1 == 0 ? 0x000f_e01a : 0x001f_e01a
        case .CSSELR_EL1: return s.csselrEL1
        case .ID_AA64PFR0_EL1: return IDRegs.pfr0(hasEL2: hasEL2, gicv3: gicInterface != nil)
        case .ID_AA64DFR0_EL1: return IDRegs.dfr0
        case .ID_AA64ISAR0_EL1: return IDRegs.isar0
        case .ID_AA64MMFR0_EL1: return IDRegs.mmfr0
        case .ID_AA64MMFR1_EL1: return IDRegs.mmfr1
        case .SCTLR_EL1: return s.sctlrEL1
        case .ACTLR_EL1: return s.actlrEL1
        case .CPACR_EL1: return s.cpacrEL1
        case .TTBR0_EL1: return s.ttbr0EL1
        case .TTBR1_EL1: return s.ttbr1EL1
        case .TCR_EL1: return s.tcrEL1
        case .AFSR0_EL1: return s.afsr0EL1
        case .AFSR1_EL1: return s.afsr1EL1
        case .ESR_EL1: return s.esrEL1
        case .FAR_EL1: return s.farEL1
        case .PAR_EL1: return s.parEL1
        case .MAIR_EL1: return s.mairEL1
        case .AMAIR_EL1: return s.amairEL1
        case .VBAR_EL1: return s.vbarEL1
        case .ISR_EL1:
            let hcr = hasEL2 && s.el < 2 ? s.hcrEL2 : 0
            let i = hcr & HCR.IMO != 0 ? hcr & HCR.VI != 0 || s.virqLine : s.irqLine
            let f = hcr & HCR.FMO != 0 ? hcr & HCR.VF != 0 || s.vfiqLine : s.fiqLine
            let a = hcr & HCR.AMO != 0 ? hcr & HCR.VSE != 0 : s.serrorPending
            return (a ? 0x100 : 0) | (i ? 0x80 : 0) | (f ? 0x40 : 0)
        case .CONTEXTIDR_EL1: return s.contextidrEL1
        case .TPIDR_EL1: return s.tpidrEL1
        case .TPIDR_EL0: return s.tpidrEL0
        case .TPIDRRO_EL0: return s.tpidrroEL0
        case .CNTKCTL_EL1: return s.cntkctlEL1
        case .GIC:
            guard let g = gicInterface, let v = g.readRegister(self, encoding: enc) else { undefined(pc: pc); return nil }
            return v
        case .CNTFRQ_EL0: return s.cntfrq
        case .CNTPCT_EL0: return count
        case .CNTVCT_EL0: return count &- s.cntvoffEL2
        case .CNTP_TVAL_EL0: return signExtend((s.cntpCval &- count) & 0xffff_ffff, 32) & 0xffff_ffff
        case .CNTP_CTL_EL0: return timerCtl(s.cntpCtl, cval: s.cntpCval, count: count)
        case .CNTP_CVAL_EL0: return s.cntpCval
        case .CNTV_TVAL_EL0: return (s.cntvCval &- (count &- s.cntvoffEL2)) & 0xffff_ffff
        case .CNTV_CTL_EL0: return timerCtl(s.cntvCtl, cval: s.cntvCval, count: count &- s.cntvoffEL2)
        case .CNTV_CVAL_EL0: return s.cntvCval
        case .CNTHCTL_EL2: return s.cnthctlEL2
        case .CNTVOFF_EL2: return s.cntvoffEL2
        case .CNTHP_TVAL_EL2: return (s.cnthpCval &- count) & 0xffff_ffff
        case .CNTHP_CTL_EL2: return timerCtl(s.cnthpCtl, cval: s.cnthpCval, count: count)
        case .CNTHP_CVAL_EL2: return s.cnthpCval
        case .MDSCR_EL1: return s.mdscrEL1
        case .MDCCINT_EL1: return s.mdccintEL1
        case .OSLAR_EL1: return 0
        case .OSLSR_EL1: return s.oslsrEL1
        case .OSDLR_EL1: return s.osdlrEL1
        case .DBGPRCR_EL1: return s.dbgprcrEL1
        case .MDCCSR_EL0: return 0
        case .DBGBVR_EL1, .DBGBCR_EL1, .DBGWVR_EL1, .DBGWCR_EL1: return debugRegs[debugIndex(r, enc)]
        case .SCTLR_EL2: return s.sctlrEL2
        case .ACTLR_EL2: return s.actlrEL2
        case .HCR_EL2: return s.hcrEL2
        case .MDCR_EL2: return s.mdcrEL2
        case .CPTR_EL2: return s.cptrEL2
        case .HSTR_EL2: return s.hstrEL2
        case .HACR_EL2: return s.hacrEL2
        case .TTBR0_EL2: return s.ttbr0EL2
        case .TCR_EL2: return s.tcrEL2
        case .VTTBR_EL2: return s.vttbrEL2
        case .VTCR_EL2: return s.vtcrEL2
        case .AFSR0_EL2: return s.afsr0EL2
        case .AFSR1_EL2: return s.afsr1EL2
        case .ESR_EL2: return s.esrEL2
        case .FAR_EL2: return s.farEL2
        case .HPFAR_EL2: return s.hpfarEL2
        case .MAIR_EL2: return s.mairEL2
        case .AMAIR_EL2: return s.amairEL2
        case .VBAR_EL2: return s.vbarEL2
        case .TPIDR_EL2: return s.tpidrEL2
        case .VPIDR_EL2: return s.vpidrEL2
        case .VMPIDR_EL2: return s.vmpidrEL2
        }
    }

    private func timerCtl(_ ctl: UInt64, cval: UInt64, count: UInt64) -> UInt64 {
        (ctl & 3) | (count >= cval ? 4 : 0)
    }

    private func debugIndex(_ r: SysReg, _ enc: UInt32) -> Int {
        let crm = Int((enc >> 3) & 15)
        switch r {
        case .DBGBVR_EL1: return crm
        case .DBGBCR_EL1: return 16 + crm
        case .DBGWVR_EL1: return 32 + crm
        default: return 48 + crm
        }
    }

    /// MSR. Returns false if an exception was taken instead.
    func writeSysReg(_ r: SysReg, enc: UInt32, rt: UInt8, value v: UInt64, pc: UInt64) -> Bool {
        if (r == .FPCR || r == .FPSR) && fpAccessTrapped(pc: pc) { return false }
        if let f = checkAccess(r, enc: enc, write: true) {
            sysAccessFault(f, enc: enc, rt: rt, read: false, pc: pc); return false
        }
        let s = st
        let count = counter(icount: s.pointee.icount)
        switch r {
        case .NZCV: nzcv = v & 0xf000_0000
        case .DAIF: s.pointee.daif = v & 0x3c0; s.pointee.checkInterrupts = true
        case .SPSel: bankSP(); s.pointee.spsel = v & 1; unbankSP()
        case .PAN: setPAN((v >> 22) & 1)
        case .SP_EL0: s.pointee.spEL0 = v
        case .SP_EL1: s.pointee.spEL1 = v
        case .ELR_EL1: s.pointee.elrEL1 = v
        case .SPSR_EL1: s.pointee.spsrEL1 = v & 0xf0f0_03ff
        case .ELR_EL2: s.pointee.elrEL2 = v
        case .SPSR_EL2: s.pointee.spsrEL2 = v & 0xf0f0_03ff
        case .FPCR: s.pointee.fpcr = v & 0x07c0_0000   // AHP, DN, FZ, RMode; no trapped FP exceptions, no FP16
        case .FPSR: s.pointee.fpsr = v & 0xf800_009f
        case .CSSELR_EL1: s.pointee.csselrEL1 = v & 0xf
        case .SCTLR_EL1: s.pointee.sctlrEL1 = v; flushTLB(all: false, stage2: false)
        case .ACTLR_EL1: s.pointee.actlrEL1 = v
        case .CPACR_EL1: s.pointee.cpacrEL1 = v & 0x0030_0000
        case .TTBR0_EL1: s.pointee.ttbr0EL1 = v; flushTLB(all: false, stage2: false)
        case .TTBR1_EL1: s.pointee.ttbr1EL1 = v; flushTLB(all: false, stage2: false)
        case .TCR_EL1: s.pointee.tcrEL1 = v; flushTLB(all: false, stage2: false)
        case .AFSR0_EL1: s.pointee.afsr0EL1 = v
        case .AFSR1_EL1: s.pointee.afsr1EL1 = v
        case .ESR_EL1: s.pointee.esrEL1 = v
        case .FAR_EL1: s.pointee.farEL1 = v
        case .PAR_EL1: s.pointee.parEL1 = v
        case .MAIR_EL1: s.pointee.mairEL1 = v
        case .AMAIR_EL1: s.pointee.amairEL1 = v
        case .VBAR_EL1: s.pointee.vbarEL1 = v & ~0x7ff
        case .CONTEXTIDR_EL1: s.pointee.contextidrEL1 = v & 0xffff_ffff
        case .TPIDR_EL1: s.pointee.tpidrEL1 = v
        case .TPIDR_EL0: s.pointee.tpidrEL0 = v
        case .TPIDRRO_EL0: s.pointee.tpidrroEL0 = v
        case .CNTKCTL_EL1: s.pointee.cntkctlEL1 = v & 0x3ff
        case .CNTFRQ_EL0: if s.pointee.el < 2 && hasEL2 { return true } else { s.pointee.cntfrq = v & 0xffff_ffff }
        case .CNTP_TVAL_EL0: s.pointee.cntpCval = count &+ signExtend(v & 0xffff_ffff, 32); timerWritten()
        case .CNTP_CTL_EL0: s.pointee.cntpCtl = v & 3; timerWritten()
        case .CNTP_CVAL_EL0: s.pointee.cntpCval = v; timerWritten()
        case .CNTV_TVAL_EL0: s.pointee.cntvCval = count &- s.pointee.cntvoffEL2 &+ signExtend(v & 0xffff_ffff, 32); timerWritten()
        case .CNTV_CTL_EL0: s.pointee.cntvCtl = v & 3; timerWritten()
        case .CNTV_CVAL_EL0: s.pointee.cntvCval = v; timerWritten()
        case .CNTHCTL_EL2: s.pointee.cnthctlEL2 = v & 0xff
        case .CNTVOFF_EL2: s.pointee.cntvoffEL2 = v; timerWritten()
        case .CNTHP_TVAL_EL2: s.pointee.cnthpCval = count &+ signExtend(v & 0xffff_ffff, 32); timerWritten()
        case .CNTHP_CTL_EL2: s.pointee.cnthpCtl = v & 3; timerWritten()
        case .CNTHP_CVAL_EL2: s.pointee.cnthpCval = v; timerWritten()
        case .MDSCR_EL1: s.pointee.mdscrEL1 = v
        case .MDCCINT_EL1: s.pointee.mdccintEL1 = v
        case .OSLAR_EL1: s.pointee.oslsrEL1 = (s.pointee.oslsrEL1 & ~2) | (v & 1) << 1
        case .OSDLR_EL1: s.pointee.osdlrEL1 = v & 1
        case .DBGPRCR_EL1: s.pointee.dbgprcrEL1 = v & 1
        case .DBGBVR_EL1, .DBGBCR_EL1, .DBGWVR_EL1, .DBGWCR_EL1: debugRegs[debugIndex(r, enc)] = v
        case .SCTLR_EL2: s.pointee.sctlrEL2 = v; flushTLB(context: 2)
        case .ACTLR_EL2: s.pointee.actlrEL2 = v
        case .HCR_EL2:
            s.pointee.hcrEL2 = v | HCR.RW   // EL1 is always AArch64
            s.pointee.checkInterrupts = true
            flushTLB(all: false)
        case .MDCR_EL2: s.pointee.mdcrEL2 = v
        case .CPTR_EL2: s.pointee.cptrEL2 = (v & 0x8000_0400) | 0x33ff
        case .HSTR_EL2: s.pointee.hstrEL2 = v
        case .HACR_EL2: s.pointee.hacrEL2 = v
        case .TTBR0_EL2: s.pointee.ttbr0EL2 = v; flushTLB(context: 2)
        case .TCR_EL2: s.pointee.tcrEL2 = v; flushTLB(context: 2)
        case .VTTBR_EL2: s.pointee.vttbrEL2 = v; flushTLB(all: false)
        case .VTCR_EL2: s.pointee.vtcrEL2 = v; flushTLB(all: false)
        case .AFSR0_EL2: s.pointee.afsr0EL2 = v
        case .AFSR1_EL2: s.pointee.afsr1EL2 = v
        case .ESR_EL2: s.pointee.esrEL2 = v
        case .FAR_EL2: s.pointee.farEL2 = v
        case .HPFAR_EL2: s.pointee.hpfarEL2 = v
        case .MAIR_EL2: s.pointee.mairEL2 = v
        case .AMAIR_EL2: s.pointee.amairEL2 = v
        case .VBAR_EL2: s.pointee.vbarEL2 = v & ~0x7ff
        case .TPIDR_EL2: s.pointee.tpidrEL2 = v
        case .VPIDR_EL2: s.pointee.vpidrEL2 = v & 0xffff_ffff
        case .VMPIDR_EL2: s.pointee.vmpidrEL2 = v
        case .GIC:
            guard let g = gicInterface, g.writeRegister(self, encoding: enc, value: v) else { undefined(pc: pc); return false }
        default: break   // read-only registers were refused by checkAccess
        }
        return true
    }

    /// A timer register changed: the machine re-plans its next timer event before the
    /// CPU runs on (the current run ends at the next block boundary).
    private func timerWritten() {
        st.pointee.exitRequest = true
        st.pointee.checkInterrupts = true
    }
}
