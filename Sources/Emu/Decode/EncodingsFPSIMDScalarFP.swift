// Scalar floating point (Arm ARM C4.1.96: "Floating-point data-processing (1, 2, 3
// source)", compare, conditional compare and select, immediate, and the conversions
// between floating point and integer or fixed point). Single and double precision;
// half precision only as an FCVT operand (FEAT_FP16 is not implemented), so every other
// ftype = 11 encoding, like ftype = 10, is unallocated.

let fpScalarEncodings: [Encoding] = [
    Encoding("FP <-> fixed-point", "s0011110_tt0rrooossssssnnnnnddddd", decodeFixedConversion),
    Encoding("FP <-> integer", "s0011110_tt1rrooo000000nnnnnddddd", decodeIntConversion),
    Encoding("FP data-processing (1 source)", "00011110_tt1oooooo10000nnnnnddddd", decodeFP1Source),
    Encoding("FCMP/FCMPE", "00011110_tt1mmmmm001000nnnnnoo000", decodeFPCompare),
    Encoding("FMOV (scalar, immediate)", "00011110_tt1iiiiiiii10000000ddddd", decodeFPImmediate),
    Encoding("FCCMP/FCCMPE", "00011110_tt1mmmmmcccc01nnnnnovvvv", decodeFPCondCompare),
    Encoding("FP data-processing (2 source)", "00011110_tt1mmmmmoooo10nnnnnddddd", decodeFP2Source),
    Encoding("FCSEL", "00011110_tt1mmmmmcccc11nnnnnddddd", decodeFPCondSelect),
    Encoding("FP data-processing (3 source)", "00011111_ttommmmmOaaaaannnnnddddd", decodeFP3Source),
]

/// The operand es (2 single, 3 double) of ftype, or nil for half (no FEAT_FP16) and
/// the reserved value.
func fpType(_ w: UInt32) -> UInt32? {
    switch bits(w, 23, 22) {
    case 0: return 2
    case 1: return 3
    default: return nil
    }
}

@inline(__always) private func vd(_ w: UInt32) -> UInt8 { UInt8(bits(w, 4, 0)) }
@inline(__always) private func vn(_ w: UInt32) -> UInt8 { UInt8(bits(w, 9, 5)) }
@inline(__always) private func vm(_ w: UInt32) -> UInt8 { UInt8(bits(w, 20, 16)) }

private func decodeFP1Source(_ w: UInt32) -> Slot {
    let opcode = bits(w, 20, 15), ftype = bits(w, 23, 22)
    if opcode >> 2 == 1 {                   // FCVT: opc (bits 16:15) is the destination
        let esOf: [UInt32?] = [2, 3, nil, 1]
        let opc = opcode & 3
        guard ftype != 2, opc != ftype, let src = esOf[Int(ftype)], let dst = esOf[Int(opc)] else { return undef(w) }
        return fslot(.fcvt, d: vd(w), n: vn(w), es: src, shape: Shape.scalar, payload: UInt64(dst))
    }
    guard let es = fpType(w) else { return undef(w) }
    let d = vd(w), n = vn(w)
    switch opcode {
    case 0: return fslot(.dupElem, d: d, n: n, es: es, shape: Shape.scalar)          // FMOV (register)
    case 1: return fslot(.fabs, d: d, n: n, es: es, shape: Shape.scalar)
    case 2: return fslot(.fneg, d: d, n: n, es: es, shape: Shape.scalar)
    case 3: return fslot(.fsqrt, d: d, n: n, es: es, shape: Shape.scalar)
    case 8...15 where opcode != 13:
        return fslot(.frint, d: d, n: n, es: es, shape: Shape.scalar, payload: frintPayload(opcode & 7))
    default: return undef(w)
    }
}

/// The frint payload for FRINT{N,P,M,Z,A,-,X,I} (rmode field values 0-7).
func frintPayload(_ op: UInt32) -> UInt64 {
    let modes: [FPRounding?] = [.tieEven, .posInf, .negInf, .zero, .tieAway, nil, nil, nil]
    let mode = modes[Int(op)].map { UInt64($0.rawValue) } ?? 7
    return mode | (op == 6 ? 1 << 4 : 0)
}

private func decodeFPCompare(_ w: UInt32) -> Slot {
    guard let es = fpType(w) else { return undef(w) }
    let zero: UInt64 = bit(w, 3) ? 2 : 0, e: UInt64 = bit(w, 4) ? 1 : 0
    return fslot(.fcmp, n: vn(w), m: vm(w), es: es, shape: Shape.scalar, payload: e | zero)
}

private func decodeFPImmediate(_ w: UInt32) -> Slot {
    guard let es = fpType(w) else { return undef(w) }
    return fslot(.fmovImm, d: vd(w), es: es, shape: Shape.scalar, payload: UInt64(bits(w, 20, 13)))
}

private func decodeFPCondCompare(_ w: UInt32) -> Slot {
    guard let es = fpType(w) else { return undef(w) }
    let payload = UInt64(bits(w, 15, 12)) | UInt64(bits(w, 3, 0)) << 4 | (bit(w, 4) ? 1 << 8 : 0)
    return fslot(.fccmp, n: vn(w), m: vm(w), es: es, shape: Shape.scalar, payload: payload)
}

private func decodeFP2Source(_ w: UInt32) -> Slot {
    guard let es = fpType(w) else { return undef(w) }
    let ops: [FOp] = [.fmul, .fdiv, .fadd, .fsub, .fmax, .fmin, .fmaxnm, .fminnm, .fnmul]
    let opcode = Int(bits(w, 15, 12))
    guard opcode < ops.count else { return undef(w) }
    return fslot(ops[opcode], d: vd(w), n: vn(w), m: vm(w), es: es, shape: Shape.scalar)
}

private func decodeFPCondSelect(_ w: UInt32) -> Slot {
    guard let es = fpType(w) else { return undef(w) }
    return fslot(.fcsel, d: vd(w), n: vn(w), m: vm(w), es: es, shape: Shape.scalar, payload: UInt64(bits(w, 15, 12)))
}

private func decodeFP3Source(_ w: UInt32) -> Slot {
    guard let es = fpType(w) else { return undef(w) }
    let ops: [FOp] = [.fmadd, .fmsub, .fnmadd, .fnmsub]
    let op = ops[Int((bit(w, 21) ? 2 : 0) + (bit(w, 15) ? 1 : 0))]
    return fslot(op, d: vd(w), n: vn(w), m: vm(w), a: UInt8(bits(w, 14, 10)), es: es, shape: Shape.scalar)
}

/// FCVT{N,P,M,Z}{S,U} by rmode, and the A forms.
private let toIntRounding: [FPRounding] = [.tieEven, .posInf, .negInf, .zero]

private func decodeIntConversion(_ w: UInt32) -> Slot {
    let sf = bit(w, 31), rmode = bits(w, 20, 19), opcode = bits(w, 18, 16), ftype = bits(w, 23, 22)
    let y: UInt8 = sf ? 1 : 0
    // FMOV (general): W<->S, X<->D, X<->D[1].
    if opcode >> 1 == 3 {
        let toFP = opcode & 1 != 0
        let es: UInt32, top: UInt64
        switch (sf, ftype, rmode) {
        case (false, 0, 0): (es, top) = (2, 0)
        case (true, 1, 0): (es, top) = (3, 0)
        case (true, 2, 1): (es, top) = (3, 1)
        default: return undef(w)
        }
        if toFP { return fslot(.fmovFromGPR, d: vd(w), n: rz(bits(w, 9, 5)), es: es, payload: top) }
        return fslot(.fmovToGPR, d: wz(bits(w, 4, 0)), n: vn(w), es: es, payload: top)
    }
    guard let es = fpType(w) else { return undef(w) }
    switch opcode {
    case 0, 1:       // FCVT{N,P,M,Z}{S,U}
        let payload = UInt64(toIntRounding[Int(rmode)].rawValue) | UInt64(opcode & 1) << 4
        return fslot(.fcvtToGPR, d: wz(bits(w, 4, 0)), n: vn(w), es: es, shape: y, payload: payload)
    case 2, 3:       // SCVTF, UCVTF
        if rmode != 0 { return undef(w) }
        return fslot(.gprToFP, d: vd(w), n: rz(bits(w, 9, 5)), es: es, shape: y, payload: UInt64(opcode & 1))
    case 4, 5:       // FCVTA{S,U}
        if rmode != 0 { return undef(w) }
        let payload = UInt64(FPRounding.tieAway.rawValue) | UInt64(opcode & 1) << 4
        return fslot(.fcvtToGPR, d: wz(bits(w, 4, 0)), n: vn(w), es: es, shape: y, payload: payload)
    default:
        return undef(w)
    }
}

private func decodeFixedConversion(_ w: UInt32) -> Slot {
    let sf = bit(w, 31), rmode = bits(w, 20, 19), opcode = bits(w, 18, 16), scale = bits(w, 15, 10)
    guard let es = fpType(w), sf || scale >= 32 else { return undef(w) }
    let fbits = UInt64(64 - scale) << 8, y: UInt8 = sf ? 1 : 0
    switch (rmode, opcode) {
    case (3, 0), (3, 1):     // FCVTZS, FCVTZU
        let payload = UInt64(FPRounding.zero.rawValue) | UInt64(opcode & 1) << 4 | fbits
        return fslot(.fcvtToGPR, d: wz(bits(w, 4, 0)), n: vn(w), es: es, shape: y, payload: payload)
    case (0, 2), (0, 3):     // SCVTF, UCVTF
        return fslot(.gprToFP, d: vd(w), n: rz(bits(w, 9, 5)), es: es, shape: y, payload: UInt64(opcode & 1) | fbits)
    default:
        return undef(w)
    }
}
