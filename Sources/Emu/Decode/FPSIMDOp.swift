// Sub-operations of `.fpsimd` slots (floating point and Advanced SIMD, Arm ARM C7) and
// the slot layout they share. A slot's imm holds the FOp (its one-byte case tag) in
// bits 7:0, its handler group (the raw value's high byte) in bits 15:8 and a payload
// above, so `executeFPSIMD` is one switch on the group and each handler one switch on
// its operations, with no conversion from raw values.
//
// Common layout: d, n, m, a are V register numbers (or GPR indices as `Reg` defines,
// where noted); x = log2 of the element (or FP operand) size in bytes: 0 B, 1 H, 2 S,
// 3 D, 4 Q; y = `Shape`; payload = imm >> 16.

/// slot.y for data-processing operations.
enum Shape {
    static let d64: UInt8 = 0       // 64-bit vector (upper half of Vd cleared)
    static let q128: UInt8 = 1      // 128-bit vector
    static let scalar: UInt8 = 2    // one element (rest of Vd cleared)
    /// Narrowing and widening operations: bit 0 selects the upper half ("2" forms).
    static let upper: UInt8 = 1
}

/// Payload flag: operand m is element `index` (payload bits 11:8) of Vm, broadcast.
enum Indexed {
    static let flag: UInt64 = 1 << 15
    static func payload(_ index: UInt32) -> UInt64 { flag | UInt64(index) << 8 }
}

enum FOp: UInt16, CaseIterable {
    // Group 0: single-register loads/stores. x = log2 bytes (0-4), y = AddrMode, n = base
    // (GPR). ldr/str: d = Vt; register mode: m = Rm, a = shift, payload = extend option;
    // else payload = signed offset. ldp/stp: d = Vt, a = Vt2.
    case ldr = 0x000, str, ldp, stp

    // Group 1: structure loads/stores. d = first Vt, n = base, m = Rm for post-index by
    // register; x = es, y = Q. Payload: selem (bits 3:0), rpt or lane index (bits 7:4),
    // writeback (bit 8), post-index by the transfer size instead of Rm (bit 9).
    case ldMulti = 0x100, stMulti, ldLane, stLane, ldRep

    // Group 2: scalar FP. x = es (2 S, 3 D).
    case fnmul = 0x200                  // d = -(n × m)
    case fmadd, fmsub, fnmadd, fnmsub   // a = Ra
    case fcmp                           // payload bit 0 = E (signalling), bit 1 = against zero
    case fccmp                          // payload: cond (3:0), nzcv (7:4), E (bit 8)
    case fcsel                          // payload = cond
    case fmovImm                        // payload = imm8
    case fcvt                           // x = source es (1-3), payload = destination es

    // Group 3: FP <-> general register. x = FP es, y = 1 for X (sf), 0 for W.
    case fcvtToGPR = 0x300              // d = GPR; payload: FPRounding (3:0), unsigned (bit 4), fbits (15:8)
    case gprToFP                        // n = GPR; payload: unsigned (bit 0), fbits (15:8); FPCR rounding
    case fmovToGPR, fmovFromGPR         // payload bit 0: the upper 64 bits (D[1])

    // Group 4: FP two-operand element-wise (vector, scalar, pairwise). x = es, y = Shape;
    // m may be Indexed.
    case fadd = 0x400, fsub, fmul, fdiv, fmax, fmin, fmaxnm, fminnm, fmulx, fabd
    case fmla, fmls                     // accumulate into Vd
    case fcmeq, fcmge, fcmgt, facge, facgt, frecps, frsqrts
    case faddp, fmaxp, fminp, fmaxnmp, fminnmp   // scalar shape: the two elements of Vn

    // Group 5: FP one-operand element-wise, conversions and reductions. x = es, y = Shape.
    case fabs = 0x500, fneg, fsqrt
    case frint                          // payload: FPRounding (3:0, 7 = FPCR), exact (bit 4)
    case fcvtToInt                      // payload as fcvtToGPR
    case intToFP                        // payload as gprToFP
    case fcmgt0, fcmeq0, fcmlt0, fcmge0, fcmle0
    case frecpe, frsqrte, frecpx
    case fcvtn                          // x = destination es, y = Shape (upper); payload 1 = round to odd (FCVTXN)
    case fcvtl                          // x = destination es, y = upper
    case fmaxv, fminv, fmaxnmv, fminnmv

    // Group 6: integer two-operand element-wise. x = es, y = Shape; m may be Indexed.
    case add = 0x600, sub, mul, mla, mls, pmul
    case shadd, uhadd, srhadd, urhadd, shsub, uhsub, sqadd, uqadd, sqsub, uqsub
    case cmgt, cmge, cmhi, cmhs, cmeq, cmtst
    case sshl, ushl, sqshl, uqshl, srshl, urshl, sqrshl, uqrshl
    case smax, umax, smin, umin, sabd, uabd, saba, uaba, sqdmulh, sqrdmulh
    case addp, smaxp, umaxp, sminp, uminp
    case and, bic, orr, orn, eor, bsl, bit, bif   // whole register; y = Q

    // Group 7: integer one-operand element-wise and reductions. x = es, y = Shape.
    case not = 0x700, rev16, rev32, rev64, cls, clz, cnt, rbit
    case saddlp, uaddlp, sadalp, uadalp     // x = source es
    case suqadd, usqadd, sqabs, sqneg, abs, neg
    case cmgt0, cmeq0, cmlt0, cmge0, cmle0
    case urecpe, ursqrte
    case addv, saddlv, uaddlv, smaxv, umaxv, sminv, uminv

    // Group 8: widening and narrowing. x = the narrow element's es, y = Shape (bit 0 =
    // upper half, scalar for the scalar forms); m may be Indexed.
    case saddl = 0x800, uaddl, saddw, uaddw, ssubl, usubl, ssubw, usubw
    case addhn, raddhn, subhn, rsubhn
    case sabal, uabal, sabdl, uabdl, smlal, umlal, smlsl, umlsl, smull, umull
    case sqdmlal, sqdmlsl, sqdmull, pmull
    case xtn, sqxtn, uqxtn, sqxtun, shll

    // Group 9: copy, permute, table lookup, immediates. x = es, y = Shape.
    case dupElem = 0x900                // payload = index (scalar shape: DUP/MOV scalar, FMOV)
    case dupGen                         // n = GPR
    case insGen                         // n = GPR, payload = index
    case insElem                        // payload: destination index (7:0), source index (15:8)
    case umov, smov                     // d = GPR, payload = index; smov y = 1 for X
    case uzp1, uzp2, trn1, trn2, zip1, zip2
    case ext                            // payload = first byte index
    case tbl, tbx                       // n = first table register, payload = table length
    case movi, mvni, orrImm, bicImm     // payload: imm8 (7:0), cmode (11:8), op (bit 12)

    // Group 10: shifts by immediate. x = es (narrowing: destination es; widening: source
    // es), y = Shape, payload = shift amount.
    case sshr = 0xa00, ushr, ssra, usra, srshr, urshr, srsra, ursra
    case shl, sli, sri, sqshlImm, uqshlImm, sqshlu
    case shrn, rshrn, sqshrn, uqshrn, sqrshrn, uqrshrn, sqshrun, sqrshrun
    case sshll, ushll

    /// The handler group (the raw value's high byte).
    var group: UInt16 { rawValue >> 8 }
}

/// Builds an `.fpsimd` slot. (FOp has fewer than 256 cases, so its tag is one byte; the
/// unsafeBitCasts trap if it ever grows past that.)
func fslot(_ op: FOp, d: UInt8 = 0, n: UInt8 = 0, m: UInt8 = 0, a: UInt8 = 0, es: UInt32 = 0,
           shape: UInt8 = Shape.d64, payload: UInt64 = 0) -> Slot {
    let tag = UInt64(unsafeBitCast(op, to: UInt8.self))
    return Slot(.fpsimd, d: d, n: n, m: m, a: a, x: UInt8(es), y: shape,
                imm: tag | UInt64(op.group) << 8 | payload << 16)
}

extension Slot {
    /// The FP/SIMD sub-operation of an `.fpsimd` slot.
    @inline(__always) var fop: FOp { unsafeBitCast(UInt8(truncatingIfNeeded: imm), to: FOp.self) }
    /// The handler group of an `.fpsimd` slot.
    @inline(__always) var fgroup: UInt64 { (imm >> 8) & 0xff }
    /// The payload above the FOp.
    @inline(__always) var payload: UInt64 { imm >> 16 }
    /// The payload as a signed offset.
    @inline(__always) var offset: UInt64 { UInt64(bitPattern: Int64(bitPattern: imm) >> 16) }
}
