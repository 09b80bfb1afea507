// Advanced SIMD arithmetic with two register operands (Arm ARM C4.1.96): "three same"
// and "three different", vector and scalar, and "x indexed element". The ARMv8.0
// instructions only: the FP16, dot product, complex and rounding-doubling-accumulate
// (v8.1+) encodings that share these groups stay unallocated.

let simdArithmeticEncodings: [Encoding] = [
    Encoding("AdvSIMD three same", "0QU01110_ss1mmmmmooooo1nnnnnddddd", { decodeThreeSame($0, scalar: false) }),
    Encoding("AdvSIMD scalar three same", "01U11110_ss1mmmmmooooo1nnnnnddddd", { decodeThreeSame($0, scalar: true) }),
    Encoding("AdvSIMD three different", "0QU01110_ss1mmmmmoooo00nnnnnddddd", { decodeThreeDifferent($0, scalar: false) }),
    Encoding("AdvSIMD scalar three different", "01U11110_ss1mmmmmoooo00nnnnnddddd", { decodeThreeDifferent($0, scalar: true) }),
    Encoding("AdvSIMD vector x indexed element", "0QU01111_ssLMmmmmooooH0nnnnnddddd", { decodeIndexed($0, scalar: false) }),
    Encoding("AdvSIMD scalar x indexed element", "01U11111_ssLMmmmmooooH0nnnnnddddd", { decodeIndexed($0, scalar: true) }),
]

/// Vector shape from Q, or scalar.
@inline(__always) func simdShape(_ w: UInt32, scalar: Bool) -> UInt8 {
    scalar ? Shape.scalar : bit(w, 30) ? Shape.q128 : Shape.d64
}

// Integer three-same operations by opcode (bits 15:11), U = 0 and U = 1.
private let threeSameU0: [FOp?] = [
    .shadd, .sqadd, .srhadd, nil, .shsub, .sqsub, .cmgt, .cmge,
    .sshl, .sqshl, .srshl, .sqrshl, .smax, .smin, .sabd, .saba,
    .add, .cmtst, .mla, .mul, .smaxp, .sminp, .sqdmulh, .addp,
]
private let threeSameU1: [FOp?] = [
    .uhadd, .uqadd, .urhadd, nil, .uhsub, .uqsub, .cmhi, .cmhs,
    .ushl, .uqshl, .urshl, .uqrshl, .umax, .umin, .uabd, .uaba,
    .sub, .cmeq, .mls, .pmul, .umaxp, .uminp, .sqrdmulh, nil,
]
// FP three-same by opcode - 0b11000, for (U, a) = (0,0), (0,1), (1,0), (1,1).
private let threeSameFP: [[FOp?]] = [
    [.fmaxnm, .fmla, .fadd, .fmulx, .fcmeq, nil, .fmax, .frecps],
    [.fminnm, .fmls, .fsub, nil, nil, nil, .fmin, .frsqrts],
    [.fmaxnmp, nil, .faddp, .fmul, .fcmge, .facge, .fmaxp, .fdiv],
    [.fminnmp, nil, .fabd, nil, .fcmgt, .facgt, .fminp, nil],
]

/// The FP three-same operations that also have a scalar form.
private let scalarThreeSameFP: Set<FOp> = [.fmulx, .fcmeq, .frecps, .frsqrts, .fabd, .fcmge, .fcmgt, .facge, .facgt]

private func decodeThreeSame(_ w: UInt32, scalar: Bool) -> Slot {
    let u = bit(w, 29), size = bits(w, 23, 22), opcode = Int(bits(w, 15, 11)), q = bit(w, 30)
    let d = UInt8(bits(w, 4, 0)), n = UInt8(bits(w, 9, 5)), m = UInt8(bits(w, 20, 16))
    let shape = simdShape(w, scalar: scalar)
    if opcode >= 0b11000 {
        let sz = size & 1, a = size >> 1
        guard let op = threeSameFP[Int((u ? 2 : 0) + a)][opcode - 0b11000] else { return undef(w) }
        if scalar {
            if !scalarThreeSameFP.contains(op) { return undef(w) }
        } else if sz == 1 && !q {
            return undef(w)
        }
        return fslot(op, d: d, n: n, m: m, es: 2 + sz, shape: shape)
    }
    if opcode == 0b00011 {                       // logical, selected by size
        if scalar { return undef(w) }
        let ops: [FOp] = u ? [.eor, .bsl, .bit, .bif] : [.and, .bic, .orr, .orn]
        return fslot(ops[Int(size)], d: d, n: n, m: m, shape: shape)
    }
    guard let op = (u ? threeSameU1 : threeSameU0)[opcode] else { return undef(w) }
    if scalar {
        switch op {
        case .sqadd, .uqadd, .sqsub, .uqsub, .sqshl, .uqshl, .sqrshl, .uqrshl: break
        case .sqdmulh, .sqrdmulh: if size == 0 || size == 3 { return undef(w) }
        case .cmgt, .cmge, .cmhi, .cmhs, .cmeq, .cmtst, .sshl, .ushl, .srshl, .urshl, .add, .sub:
            if size != 3 { return undef(w) }
        default: return undef(w)
        }
        return fslot(op, d: d, n: n, m: m, es: size, shape: shape)
    }
    if size == 3 && !q { return undef(w) }
    switch op {
    case .mul, .mla, .mls: if size == 3 { return undef(w) }
    case .pmul: if size != 0 { return undef(w) }
    case .sqdmulh, .sqrdmulh: if size == 0 || size == 3 { return undef(w) }
    case .shadd, .uhadd, .srhadd, .urhadd, .shsub, .uhsub, .smax, .umax, .smin, .umin,
         .sabd, .uabd, .saba, .uaba, .smaxp, .umaxp, .sminp, .uminp:
        if size == 3 { return undef(w) }
    default: break
    }
    return fslot(op, d: d, n: n, m: m, es: size, shape: shape)
}

private let threeDifferentU0: [FOp?] = [
    .saddl, .saddw, .ssubl, .ssubw, .addhn, .sabal, .subhn, .sabdl,
    .smlal, .sqdmlal, .smlsl, .sqdmlsl, .smull, .sqdmull, .pmull, nil,
]
private let threeDifferentU1: [FOp?] = [
    .uaddl, .uaddw, .usubl, .usubw, .raddhn, .uabal, .rsubhn, .uabdl,
    .umlal, nil, .umlsl, nil, .umull, nil, nil, nil,
]

private func decodeThreeDifferent(_ w: UInt32, scalar: Bool) -> Slot {
    let u = bit(w, 29), size = bits(w, 23, 22)
    guard let op = (u ? threeDifferentU1 : threeDifferentU0)[Int(bits(w, 15, 12))], size != 3 else { return undef(w) }
    let saturating = op == .sqdmlal || op == .sqdmlsl || op == .sqdmull
    if saturating && size == 0 { return undef(w) }
    if scalar && !saturating { return undef(w) }
    if op == .pmull && size != 0 { return undef(w) }     // PMULL (1Q) is FEAT_PMULL: not implemented
    return fslot(op, d: UInt8(bits(w, 4, 0)), n: UInt8(bits(w, 9, 5)), m: UInt8(bits(w, 20, 16)), es: size,
                 shape: simdShape(w, scalar: scalar))
}

private func decodeIndexed(_ w: UInt32, scalar: Bool) -> Slot {
    let u = bit(w, 29), size = bits(w, 23, 22), opcode = bits(w, 15, 12), q = bit(w, 30)
    let h = bits(w, 11, 11), l = bits(w, 21, 21), mbit = bits(w, 20, 20)
    let d = UInt8(bits(w, 4, 0)), n = UInt8(bits(w, 9, 5))
    let shape = simdShape(w, scalar: scalar)
    // FP: FMLA, FMLS, FMUL (U = 0) and FMULX (U = 1) with size = 1:sz.
    if opcode == 9 || (!u && (opcode == 1 || opcode == 5)) {
        guard size >> 1 == 1 else { return undef(w) }
        let op: FOp = u ? .fmulx : opcode == 1 ? .fmla : opcode == 5 ? .fmls : .fmul
        let sz = size & 1
        if sz == 1 && (l == 1 || (!q && !scalar)) { return undef(w) }
        let index = sz == 1 ? h : h << 1 | l
        return fslot(op, d: d, n: n, m: UInt8(mbit << 4 | bits(w, 19, 16)), es: 2 + sz, shape: shape,
                     payload: Indexed.payload(index))
    }
    let op: FOp
    switch (u, opcode) {
    case (false, 2): op = .smlal
    case (false, 3): op = .sqdmlal
    case (false, 6): op = .smlsl
    case (false, 7): op = .sqdmlsl
    case (false, 8): op = .mul
    case (false, 10): op = .smull
    case (false, 11): op = .sqdmull
    case (false, 12): op = .sqdmulh
    case (false, 13): op = .sqrdmulh
    case (true, 0): op = .mla
    case (true, 2): op = .umlal
    case (true, 4): op = .mls
    case (true, 6): op = .umlsl
    case (true, 10): op = .umull
    default: return undef(w)
    }
    if scalar && ![.sqdmlal, .sqdmlsl, .sqdmull, .sqdmulh, .sqrdmulh].contains(op) { return undef(w) }
    let index: UInt32, m: UInt32
    switch size {
    case 1: (index, m) = (h << 2 | l << 1 | mbit, bits(w, 19, 16))
    case 2: (index, m) = (h << 1 | l, mbit << 4 | bits(w, 19, 16))
    default: return undef(w)
    }
    return fslot(op, d: d, n: n, m: UInt8(m), es: size, shape: shape, payload: Indexed.payload(index))
}
