// System registers hvsim implements, by their MRS/MSR encoding (op0, op1, CRn, CRm,
// op2) as listed in the Arm ARM (D17, "AArch64 System Register Descriptions").
// The decoder turns an encoding into a dense `SysReg` so the access switch is a jump
// table; the raw encoding is kept beside it for trap syndromes (ESR EC 0x18).

public enum SysReg: UInt16, CaseIterable, Sendable {
    // Special-purpose and PSTATE
    case NZCV, DAIF, CurrentEL, SPSel, PAN, SP_EL0, SP_EL1, ELR_EL1, SPSR_EL1, ELR_EL2, SPSR_EL2
    case FPCR, FPSR
    // Identification (group 3 and friends)
    case MIDR_EL1, MPIDR_EL1, REVIDR_EL1, AIDR_EL1, CTR_EL0, DCZID_EL0, CLIDR_EL1, CCSIDR_EL1, CSSELR_EL1
    case ID_AA64PFR0_EL1, ID_AA64PFR1_EL1, ID_AA64DFR0_EL1, ID_AA64DFR1_EL1, ID_AA64AFR0_EL1, ID_AA64AFR1_EL1
    case ID_AA64ISAR0_EL1, ID_AA64ISAR1_EL1, ID_AA64MMFR0_EL1, ID_AA64MMFR1_EL1, ID_AA64MMFR2_EL1
    case ID_RAZ             // unallocated encodings of the ID space (op0=3, op1=0, CRn=0, CRm=1..7): RAZ
    // EL1&0 regime
    case SCTLR_EL1, ACTLR_EL1, CPACR_EL1, TTBR0_EL1, TTBR1_EL1, TCR_EL1, AFSR0_EL1, AFSR1_EL1, ESR_EL1
    case FAR_EL1, PAR_EL1, MAIR_EL1, AMAIR_EL1, VBAR_EL1, ISR_EL1, CONTEXTIDR_EL1, TPIDR_EL1, TPIDR_EL0
    case TPIDRRO_EL0, CNTKCTL_EL1
    // Generic timer
    case CNTFRQ_EL0, CNTPCT_EL0, CNTVCT_EL0, CNTP_TVAL_EL0, CNTP_CTL_EL0, CNTP_CVAL_EL0
    case CNTV_TVAL_EL0, CNTV_CTL_EL0, CNTV_CVAL_EL0
    case CNTHCTL_EL2, CNTVOFF_EL2, CNTHP_TVAL_EL2, CNTHP_CTL_EL2, CNTHP_CVAL_EL2
    // Debug
    case MDSCR_EL1, MDCCINT_EL1, OSLAR_EL1, OSLSR_EL1, OSDLR_EL1, DBGPRCR_EL1, MDCCSR_EL0
    case DBGBVR_EL1, DBGBCR_EL1, DBGWVR_EL1, DBGWCR_EL1  // index in CRm, kept in the slot
    // EL2
    case SCTLR_EL2, ACTLR_EL2, HCR_EL2, MDCR_EL2, CPTR_EL2, HSTR_EL2, HACR_EL2, TTBR0_EL2, TCR_EL2
    case VTTBR_EL2, VTCR_EL2, AFSR0_EL2, AFSR1_EL2, ESR_EL2, FAR_EL2, HPFAR_EL2, MAIR_EL2, AMAIR_EL2
    case VBAR_EL2, TPIDR_EL2, VPIDR_EL2, VMPIDR_EL2
    /// The GIC CPU interface (ICC_*, ICH_*): served by the interrupt controller attached
    /// to the CPU (`CPU.gicInterface`), UNDEFINED when there is none.
    case GIC
}

/// Packs an encoding the way the slot and the trap syndrome use it.
@inline(__always) func sysEncoding(_ op0: UInt32, _ op1: UInt32, _ crn: UInt32, _ crm: UInt32, _ op2: UInt32) -> UInt32 {
    op0 << 14 | op1 << 11 | crn << 7 | crm << 3 | op2
}

/// (register, op0, op1, CRn, CRm, op2)
private let sysRegEncodings: [(SysReg, UInt32, UInt32, UInt32, UInt32, UInt32)] = [
    (.NZCV, 3, 3, 4, 2, 0), (.DAIF, 3, 3, 4, 2, 1), (.CurrentEL, 3, 0, 4, 2, 2), (.SPSel, 3, 0, 4, 2, 0),
    (.PAN, 3, 0, 4, 2, 3), (.SP_EL0, 3, 0, 4, 1, 0), (.SP_EL1, 3, 4, 4, 1, 0),
    (.ELR_EL1, 3, 0, 4, 0, 1), (.SPSR_EL1, 3, 0, 4, 0, 0), (.ELR_EL2, 3, 4, 4, 0, 1), (.SPSR_EL2, 3, 4, 4, 0, 0),
    (.FPCR, 3, 3, 4, 4, 0), (.FPSR, 3, 3, 4, 4, 1),
    (.MIDR_EL1, 3, 0, 0, 0, 0), (.MPIDR_EL1, 3, 0, 0, 0, 5), (.REVIDR_EL1, 3, 0, 0, 0, 6),
    (.AIDR_EL1, 3, 1, 0, 0, 7), (.CTR_EL0, 3, 3, 0, 0, 1), (.DCZID_EL0, 3, 3, 0, 0, 7),
    (.CLIDR_EL1, 3, 1, 0, 0, 1), (.CCSIDR_EL1, 3, 1, 0, 0, 0), (.CSSELR_EL1, 3, 2, 0, 0, 0),
    (.ID_AA64PFR0_EL1, 3, 0, 0, 4, 0), (.ID_AA64PFR1_EL1, 3, 0, 0, 4, 1),
    (.ID_AA64DFR0_EL1, 3, 0, 0, 5, 0), (.ID_AA64DFR1_EL1, 3, 0, 0, 5, 1),
    (.ID_AA64AFR0_EL1, 3, 0, 0, 5, 4), (.ID_AA64AFR1_EL1, 3, 0, 0, 5, 5),
    (.ID_AA64ISAR0_EL1, 3, 0, 0, 6, 0), (.ID_AA64ISAR1_EL1, 3, 0, 0, 6, 1),
    (.ID_AA64MMFR0_EL1, 3, 0, 0, 7, 0), (.ID_AA64MMFR1_EL1, 3, 0, 0, 7, 1), (.ID_AA64MMFR2_EL1, 3, 0, 0, 7, 2),
    (.SCTLR_EL1, 3, 0, 1, 0, 0), (.ACTLR_EL1, 3, 0, 1, 0, 1), (.CPACR_EL1, 3, 0, 1, 0, 2),
    (.TTBR0_EL1, 3, 0, 2, 0, 0), (.TTBR1_EL1, 3, 0, 2, 0, 1), (.TCR_EL1, 3, 0, 2, 0, 2),
    (.AFSR0_EL1, 3, 0, 5, 1, 0), (.AFSR1_EL1, 3, 0, 5, 1, 1), (.ESR_EL1, 3, 0, 5, 2, 0),
    (.FAR_EL1, 3, 0, 6, 0, 0), (.PAR_EL1, 3, 0, 7, 4, 0), (.MAIR_EL1, 3, 0, 10, 2, 0),
    (.AMAIR_EL1, 3, 0, 10, 3, 0), (.VBAR_EL1, 3, 0, 12, 0, 0), (.ISR_EL1, 3, 0, 12, 1, 0),
    (.CONTEXTIDR_EL1, 3, 0, 13, 0, 1), (.TPIDR_EL1, 3, 0, 13, 0, 4), (.TPIDR_EL0, 3, 3, 13, 0, 2),
    (.TPIDRRO_EL0, 3, 3, 13, 0, 3), (.CNTKCTL_EL1, 3, 0, 14, 1, 0),
    (.CNTFRQ_EL0, 3, 3, 14, 0, 0), (.CNTPCT_EL0, 3, 3, 14, 0, 1), (.CNTVCT_EL0, 3, 3, 14, 0, 2),
    (.CNTP_TVAL_EL0, 3, 3, 14, 2, 0), (.CNTP_CTL_EL0, 3, 3, 14, 2, 1), (.CNTP_CVAL_EL0, 3, 3, 14, 2, 2),
    (.CNTV_TVAL_EL0, 3, 3, 14, 3, 0), (.CNTV_CTL_EL0, 3, 3, 14, 3, 1), (.CNTV_CVAL_EL0, 3, 3, 14, 3, 2),
    (.CNTHCTL_EL2, 3, 4, 14, 1, 0), (.CNTVOFF_EL2, 3, 4, 14, 0, 3),
    (.CNTHP_TVAL_EL2, 3, 4, 14, 2, 0), (.CNTHP_CTL_EL2, 3, 4, 14, 2, 1), (.CNTHP_CVAL_EL2, 3, 4, 14, 2, 2),
    (.MDSCR_EL1, 2, 0, 0, 2, 2), (.MDCCINT_EL1, 2, 0, 0, 2, 0), (.OSLAR_EL1, 2, 0, 1, 0, 4),
    (.OSLSR_EL1, 2, 0, 1, 1, 4), (.OSDLR_EL1, 2, 0, 1, 3, 4), (.DBGPRCR_EL1, 2, 0, 1, 4, 4),
    (.MDCCSR_EL0, 2, 3, 0, 1, 0),
    (.SCTLR_EL2, 3, 4, 1, 0, 0), (.ACTLR_EL2, 3, 4, 1, 0, 1), (.HCR_EL2, 3, 4, 1, 1, 0),
    (.MDCR_EL2, 3, 4, 1, 1, 1), (.CPTR_EL2, 3, 4, 1, 1, 2), (.HSTR_EL2, 3, 4, 1, 1, 3),
    (.HACR_EL2, 3, 4, 1, 1, 7), (.TTBR0_EL2, 3, 4, 2, 0, 0), (.TCR_EL2, 3, 4, 2, 0, 2),
    (.VTTBR_EL2, 3, 4, 2, 1, 0), (.VTCR_EL2, 3, 4, 2, 1, 2), (.AFSR0_EL2, 3, 4, 5, 1, 0),
    (.AFSR1_EL2, 3, 4, 5, 1, 1), (.ESR_EL2, 3, 4, 5, 2, 0), (.FAR_EL2, 3, 4, 6, 0, 0),
    (.HPFAR_EL2, 3, 4, 6, 0, 4), (.MAIR_EL2, 3, 4, 10, 2, 0), (.AMAIR_EL2, 3, 4, 10, 3, 0),
    (.VBAR_EL2, 3, 4, 12, 0, 0), (.TPIDR_EL2, 3, 4, 13, 0, 2), (.VPIDR_EL2, 3, 4, 0, 0, 0),
    (.VMPIDR_EL2, 3, 4, 0, 0, 5),
]

private let sysRegByEncoding: [UInt32: SysReg] = {
    var d: [UInt32: SysReg] = [:]
    for (r, a, b, c, e, f) in sysRegEncodings { d[sysEncoding(a, b, c, e, f)] = r }
    return d
}()

/// Number of hardware breakpoints and watchpoints (ID_AA64DFR0_EL1.BRPs/WRPs + 1).
public let debugBreakpoints = 6, debugWatchpoints = 4

/// The register a packed encoding names, or nil if hvsim does not implement it.
func sysRegLookup(_ enc: UInt32) -> SysReg? {
    if let r = sysRegByEncoding[enc] { return r }
    let op0 = enc >> 14, op1 = (enc >> 11) & 7, crn = (enc >> 7) & 15, crm = (enc >> 3) & 15, op2 = enc & 7
    if op0 == 3 && op1 == 0 && crn == 0 && crm >= 1 && crm <= 7 { return .ID_RAZ }
    // GICv3 system registers (Arm GIC architecture spec, 12.1): ICC_PMR_EL1 at CRn 4, the rest
    // of the ICC_* (op1 0, EL2's ICC_SRE_EL2 at op1 4) and the ICH_* registers at CRn 12, CRm 8-13.
    if op0 == 3 && (op1 == 0 || op1 == 4) && crn == 12 && crm >= 8 && crm <= 13 { return .GIC }
    if op0 == 3 && op1 == 0 && crn == 4 && crm == 6 && op2 == 0 { return .GIC }
    if op0 == 2 && op1 == 0 && crn == 0 {
        switch op2 {
        case 4 where crm < debugBreakpoints: return .DBGBVR_EL1
        case 5 where crm < debugBreakpoints: return .DBGBCR_EL1
        case 6 where crm < debugWatchpoints: return .DBGWVR_EL1
        case 7 where crm < debugWatchpoints: return .DBGWCR_EL1
        default: return nil
        }
    }
    return nil
}
