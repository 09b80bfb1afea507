// Advanced SIMD data movement and immediates (Arm ARM C4.1.96): copy (DUP, INS, UMOV,
// SMOV), permute (UZP/TRN/ZIP), extract, table lookup, modified immediate (MOVI, MVNI,
// ORR, BIC, FMOV vector) and shift by immediate, vector and scalar.

let simdPermuteEncodings: [Encoding] = [
    Encoding("AdvSIMD copy", "0Qo01110_000iiiii0jjjj1nnnnnddddd", decodeCopy),
    Encoding("AdvSIMD scalar copy", "01011110_000iiiii000001nnnnnddddd", decodeScalarCopy),
    Encoding("AdvSIMD permute", "0Q001110_ss0mmmmm0ooo10nnnnnddddd", decodePermute),
    Encoding("AdvSIMD extract", "0Q101110_000mmmmm0iiii0nnnnnddddd", decodeExtract),
    Encoding("AdvSIMD table lookup", "0Q001110_000mmmmm0llo00nnnnnddddd", decodeTable),
    Encoding("AdvSIMD modified immediate", "0Qo01111_00000abcccccm1defghddddd", decodeModifiedImmediate),
    Encoding("AdvSIMD shift by immediate", "0QU01111_0hhhhbbbooooo1nnnnnddddd", { decodeShift($0, scalar: false) }),
    Encoding("AdvSIMD scalar shift by immediate", "01U11111_0hhhhbbbooooo1nnnnnddddd", { decodeShift($0, scalar: true) }),
]

/// Element size and index from imm5 (the lowest set bit selects the size); nil when
/// reserved.
private func elementOf(imm5: UInt32) -> (UInt32, UInt32)? {
    let es = UInt32(imm5.trailingZeroBitCount)
    guard es <= 3 else { return nil }
    return (es, imm5 >> (es + 1))
}

private func decodeCopy(_ w: UInt32) -> Slot {
    let q = bit(w, 30), op = bit(w, 29), imm4 = bits(w, 14, 11)
    let d = bits(w, 4, 0), n = bits(w, 9, 5)
    guard let (es, index) = elementOf(imm5: bits(w, 20, 16)) else { return undef(w) }
    let shape: UInt8 = q ? Shape.q128 : Shape.d64
    if op {                                            // INS (element)
        guard q else { return undef(w) }
        return fslot(.insElem, d: UInt8(d), n: UInt8(n), es: es, payload: UInt64(index) | UInt64(imm4 >> es) << 8)
    }
    switch imm4 {
    case 0b0000:
        if es == 3 && !q { return undef(w) }
        return fslot(.dupElem, d: UInt8(d), n: UInt8(n), es: es, shape: shape, payload: UInt64(index))
    case 0b0001:
        if es == 3 && !q { return undef(w) }
        return fslot(.dupGen, d: UInt8(d), n: rz(n), es: es, shape: shape)
    case 0b0011:
        guard q else { return undef(w) }
        return fslot(.insGen, d: UInt8(d), n: rz(n), es: es, payload: UInt64(index))
    case 0b0101:                                       // SMOV: to W from B/H, to X from B/H/S
        if es >= (q ? 3 : 2) { return undef(w) }
        return fslot(.smov, d: wz(d), n: UInt8(n), es: es, shape: q ? 1 : 0, payload: UInt64(index))
    case 0b0111:                                       // UMOV: to W from B/H/S, to X from D
        if q ? es != 3 : es == 3 { return undef(w) }
        return fslot(.umov, d: wz(d), n: UInt8(n), es: es, payload: UInt64(index))
    default:
        return undef(w)
    }
}

private func decodeScalarCopy(_ w: UInt32) -> Slot {
    guard let (es, index) = elementOf(imm5: bits(w, 20, 16)) else { return undef(w) }
    return fslot(.dupElem, d: UInt8(bits(w, 4, 0)), n: UInt8(bits(w, 9, 5)), es: es, shape: Shape.scalar,
                 payload: UInt64(index))
}

private func decodePermute(_ w: UInt32) -> Slot {
    let ops: [FOp?] = [nil, .uzp1, .trn1, .zip1, nil, .uzp2, .trn2, .zip2]
    let size = bits(w, 23, 22), q = bit(w, 30)
    guard let op = ops[Int(bits(w, 14, 12))], size != 3 || q else { return undef(w) }
    return fslot(op, d: UInt8(bits(w, 4, 0)), n: UInt8(bits(w, 9, 5)), m: UInt8(bits(w, 20, 16)), es: size,
                 shape: q ? Shape.q128 : Shape.d64)
}

private func decodeExtract(_ w: UInt32) -> Slot {
    let q = bit(w, 30), imm4 = bits(w, 14, 11)
    if !q && imm4 >= 8 { return undef(w) }
    return fslot(.ext, d: UInt8(bits(w, 4, 0)), n: UInt8(bits(w, 9, 5)), m: UInt8(bits(w, 20, 16)),
                 shape: q ? Shape.q128 : Shape.d64, payload: UInt64(imm4))
}

private func decodeTable(_ w: UInt32) -> Slot {
    fslot(bit(w, 12) ? .tbx : .tbl, d: UInt8(bits(w, 4, 0)), n: UInt8(bits(w, 9, 5)), m: UInt8(bits(w, 20, 16)),
          shape: bit(w, 30) ? Shape.q128 : Shape.d64, payload: UInt64(bits(w, 14, 13) + 1))
}

private func decodeModifiedImmediate(_ w: UInt32) -> Slot {
    let q = bit(w, 30), op = bit(w, 29), cmode = bits(w, 15, 12)
    if bit(w, 11) { return undef(w) }                  // o2 = 1: FMOV (half precision), FEAT_FP16
    let imm8 = bits(w, 18, 16) << 5 | bits(w, 9, 5)
    let fop: FOp
    switch (cmode, op) {
    case (0b1111, true): if !q { return undef(w) }; fop = .movi         // FMOV Vd.2D
    case (0b1110, _), (0b1111, false): fop = .movi                      // MOVI 8-bit/64-bit, FMOV Vd.4S/2S
    case (_, false) where cmode & 1 == 0 || cmode >> 2 == 3: fop = .movi
    case (_, true) where cmode & 1 == 0 || cmode >> 2 == 3: fop = .mvni
    case (_, false): fop = .orrImm
    default: fop = .bicImm
    }
    let payload = UInt64(imm8) | UInt64(cmode) << 8 | (op ? 1 << 12 : 0)
    return fslot(fop, d: UInt8(bits(w, 4, 0)), shape: q ? Shape.q128 : Shape.d64, payload: payload)
}

private func decodeShift(_ w: UInt32, scalar: Bool) -> Slot {
    let u = bit(w, 29), q = bit(w, 30), immh = bits(w, 22, 19), opcode = bits(w, 15, 11)
    let d = UInt8(bits(w, 4, 0)), n = UInt8(bits(w, 9, 5))
    if immh == 0 { return undef(w) }                  // (vector: modified immediate, matched first)
    let es = UInt32(31 - immh.leadingZeroBitCount)    // highest set bit of immh
    let esize = UInt32(8) << es, immhb = bits(w, 22, 16)
    let right = UInt64(2 * esize - immhb), left = UInt64(immhb - esize)
    let shape = simdShape(w, scalar: scalar)
    let half: UInt8 = scalar ? Shape.scalar : q ? Shape.upper : 0
    func plain(_ op: FOp, _ amount: UInt64, scalarNeedsD: Bool = true) -> Slot {
        if !scalar && es == 3 && !q { return undef(w) }
        if scalar && scalarNeedsD && es != 3 { return undef(w) }
        return fslot(op, d: d, n: n, es: es, shape: shape, payload: amount)
    }
    func narrow(_ op: FOp) -> Slot {
        if es == 3 { return undef(w) }
        return fslot(op, d: d, n: n, es: es, shape: half, payload: right)
    }
    func fixed(_ op: FOp, _ payload: UInt64) -> Slot {
        if es < 2 || (!scalar && es == 3 && !q) { return undef(w) }   // no FP16; 2D needs Q
        return fslot(op, d: d, n: n, es: es, shape: shape, payload: payload | right << 8)
    }
    switch (u, opcode) {
    case (false, 0b00000): return plain(.sshr, right)
    case (true, 0b00000): return plain(.ushr, right)
    case (false, 0b00010): return plain(.ssra, right)
    case (true, 0b00010): return plain(.usra, right)
    case (false, 0b00100): return plain(.srshr, right)
    case (true, 0b00100): return plain(.urshr, right)
    case (false, 0b00110): return plain(.srsra, right)
    case (true, 0b00110): return plain(.ursra, right)
    case (true, 0b01000): return plain(.sri, right)
    case (false, 0b01010): return plain(.shl, left)
    case (true, 0b01010): return plain(.sli, left)
    case (true, 0b01100): return plain(.sqshlu, left, scalarNeedsD: false)
    case (false, 0b01110): return plain(.sqshlImm, left, scalarNeedsD: false)
    case (true, 0b01110): return plain(.uqshlImm, left, scalarNeedsD: false)
    case (false, 0b10000): return scalar ? undef(w) : narrow(.shrn)
    case (false, 0b10001): return scalar ? undef(w) : narrow(.rshrn)
    case (true, 0b10000): return narrow(.sqshrun)
    case (true, 0b10001): return narrow(.sqrshrun)
    case (false, 0b10010): return narrow(.sqshrn)
    case (false, 0b10011): return narrow(.sqrshrn)
    case (true, 0b10010): return narrow(.uqshrn)
    case (true, 0b10011): return narrow(.uqrshrn)
    case (_, 0b10100):                               // SSHLL/USHLL (SXTL/UXTL)
        if scalar || es == 3 { return undef(w) }
        return fslot(u ? .ushll : .sshll, d: d, n: n, es: es, shape: half, payload: left)
    case (_, 0b11100): return fixed(.intToFP, u ? 1 : 0)
    case (_, 0b11111): return fixed(.fcvtToInt, UInt64(FPRounding.zero.rawValue) | (u ? 1 << 4 : 0))
    default: return undef(w)
    }
}
