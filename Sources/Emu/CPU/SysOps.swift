// SYS instructions hvsim implements: cache maintenance (DC, IC), address translation
// (AT) and TLB maintenance (TLBI), by encoding (Arm ARM C5.3, "A64 System instructions
// for cache maintenance, address translation and TLB maintenance").

public enum SysOp: UInt16, Sendable {
    case icInvalidateAll, icInvalidateAllIS, icInvalidateVA
    case dcBySetWay, dcByVA, dcInvalidateVA, dcZeroVA
    case atS1E1R, atS1E1W, atS1E0R, atS1E0W, atS1E2R, atS1E2W, atS12E1R, atS12E1W, atS12E0R, atS12E0W
    // TLB maintenance; "IS" forms reach every CPU. hvsim's soft TLB keeps no ASID or VMID,
    // so by-ASID and whole-regime operations drop whole regimes, and the by-VA ones drop
    // the VA's page in every ASID (TLB.dropPage).
    case tlbiEL1, tlbiEL1IS        // VMALLE1, ASIDE1 (+IS)
    case tlbiVAEL1, tlbiVAEL1IS    // VAE1, VAAE1, VALE1, VAALE1 (+IS)
    case tlbiEL2, tlbiEL2IS        // ALLE2 (+IS)
    case tlbiVAEL2, tlbiVAEL2IS    // VAE2, VALE2 (+IS)
    case tlbiStage2, tlbiStage2IS  // IPAS2E1, IPAS2LE1, VMALLS12E1, ALLE1 (+IS)

    /// Lowest EL that may execute the op (EL0 ops still depend on SCTLR_EL1 controls).
    var minimumEL: UInt64 {
        switch self {
        case .icInvalidateVA, .dcByVA, .dcZeroVA: return 0
        case .atS1E2R, .atS1E2W, .atS12E1R, .atS12E1W, .atS12E0R, .atS12E0W,
             .tlbiEL2, .tlbiEL2IS, .tlbiVAEL2, .tlbiVAEL2IS, .tlbiStage2, .tlbiStage2IS: return 2
        default: return 1
        }
    }
}

/// (op, op1, CRn, CRm, op2); op0 is 1 for all of these.
private let sysOpEncodings: [(SysOp, UInt32, UInt32, UInt32, UInt32)] = [
    (.icInvalidateAllIS, 0, 7, 1, 0), (.icInvalidateAll, 0, 7, 5, 0), (.icInvalidateVA, 3, 7, 5, 1),
    (.dcInvalidateVA, 0, 7, 6, 1), (.dcBySetWay, 0, 7, 6, 2), (.dcBySetWay, 0, 7, 10, 2),
    (.dcBySetWay, 0, 7, 14, 2), (.dcZeroVA, 3, 7, 4, 1), (.dcByVA, 3, 7, 10, 1), (.dcByVA, 3, 7, 11, 1),
    (.dcByVA, 3, 7, 14, 1),
    (.atS1E1R, 0, 7, 8, 0), (.atS1E1W, 0, 7, 8, 1), (.atS1E0R, 0, 7, 8, 2), (.atS1E0W, 0, 7, 8, 3),
    (.atS1E2R, 4, 7, 8, 0), (.atS1E2W, 4, 7, 8, 1), (.atS12E1R, 4, 7, 8, 4), (.atS12E1W, 4, 7, 8, 5),
    (.atS12E0R, 4, 7, 8, 6), (.atS12E0W, 4, 7, 8, 7),
    (.tlbiEL1IS, 0, 8, 3, 0), (.tlbiVAEL1IS, 0, 8, 3, 1), (.tlbiEL1IS, 0, 8, 3, 2), (.tlbiVAEL1IS, 0, 8, 3, 3),
    (.tlbiVAEL1IS, 0, 8, 3, 5), (.tlbiVAEL1IS, 0, 8, 3, 7),
    (.tlbiEL1, 0, 8, 7, 0), (.tlbiVAEL1, 0, 8, 7, 1), (.tlbiEL1, 0, 8, 7, 2), (.tlbiVAEL1, 0, 8, 7, 3),
    (.tlbiVAEL1, 0, 8, 7, 5), (.tlbiVAEL1, 0, 8, 7, 7),
    (.tlbiStage2IS, 4, 8, 0, 1), (.tlbiStage2IS, 4, 8, 0, 5), (.tlbiEL2IS, 4, 8, 3, 0),
    (.tlbiVAEL2IS, 4, 8, 3, 1), (.tlbiStage2IS, 4, 8, 3, 4), (.tlbiVAEL2IS, 4, 8, 3, 5),
    (.tlbiStage2IS, 4, 8, 3, 6),
    (.tlbiStage2, 4, 8, 4, 1), (.tlbiStage2, 4, 8, 4, 5), (.tlbiEL2, 4, 8, 7, 0), (.tlbiVAEL2, 4, 8, 7, 1),
    (.tlbiStage2, 4, 8, 7, 4), (.tlbiVAEL2, 4, 8, 7, 5), (.tlbiStage2, 4, 8, 7, 6),
]

private let sysOpByEncoding: [UInt32: SysOp] = {
    var d: [UInt32: SysOp] = [:]
    for (op, a, b, c, e) in sysOpEncodings { d[sysEncoding(1, a, b, c, e)] = op }
    return d
}()

func sysOpLookup(_ enc: UInt32) -> SysOp? { sysOpByEncoding[enc] }
