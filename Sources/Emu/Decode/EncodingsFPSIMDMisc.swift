// Advanced SIMD one-register-operand groups (Arm ARM C4.1.96): "two-register misc"
// (vector and scalar), "across lanes" and "scalar pairwise". ARMv8.0 only: FP16 forms,
// FRINT32/64 and BFloat16 conversions stay unallocated.

let simdMiscEncodings: [Encoding] = [
    Encoding("AdvSIMD two-reg misc", "0QU01110_ss10000ooooo10nnnnnddddd", { decodeTwoRegMisc($0, scalar: false) }),
    Encoding("AdvSIMD scalar two-reg misc", "01U11110_ss10000ooooo10nnnnnddddd", { decodeTwoRegMisc($0, scalar: true) }),
    Encoding("AdvSIMD across lanes", "0QU01110_ss11000ooooo10nnnnnddddd", decodeAcrossLanes),
    Encoding("AdvSIMD scalar pairwise", "01U11110_ss11000ooooo10nnnnnddddd", decodeScalarPairwise),
]

/// How an integer two-reg misc operation constrains its size field.
private enum SizeRule { case any, notD, bytes, bytesOrHalves, narrow }

private struct MiscInt {
    let op: FOp
    let rule: SizeRule
    let scalar: Bool       // has a scalar form
}

/// Integer two-reg misc by opcode (bits 16:12), U = 0.
private let miscIntU0: [Int: MiscInt] = [
    0b00000: MiscInt(op: .rev64, rule: .notD, scalar: false),
    0b00001: MiscInt(op: .rev16, rule: .bytes, scalar: false),
    0b00010: MiscInt(op: .saddlp, rule: .notD, scalar: false),
    0b00011: MiscInt(op: .suqadd, rule: .any, scalar: true),
    0b00100: MiscInt(op: .cls, rule: .notD, scalar: false),
    0b00101: MiscInt(op: .cnt, rule: .bytes, scalar: false),
    0b00110: MiscInt(op: .sadalp, rule: .notD, scalar: false),
    0b00111: MiscInt(op: .sqabs, rule: .any, scalar: true),
    0b01000: MiscInt(op: .cmgt0, rule: .any, scalar: true),
    0b01001: MiscInt(op: .cmeq0, rule: .any, scalar: true),
    0b01010: MiscInt(op: .cmlt0, rule: .any, scalar: true),
    0b01011: MiscInt(op: .abs, rule: .any, scalar: true),
    0b10010: MiscInt(op: .xtn, rule: .narrow, scalar: false),
    0b10100: MiscInt(op: .sqxtn, rule: .narrow, scalar: true),
]

/// U = 1 (NOT and RBIT share opcode 00101, split by size).
private let miscIntU1: [Int: MiscInt] = [
    0b00000: MiscInt(op: .rev32, rule: .bytesOrHalves, scalar: false),
    0b00010: MiscInt(op: .uaddlp, rule: .notD, scalar: false),
    0b00011: MiscInt(op: .usqadd, rule: .any, scalar: true),
    0b00100: MiscInt(op: .clz, rule: .notD, scalar: false),
    0b00110: MiscInt(op: .uadalp, rule: .notD, scalar: false),
    0b00111: MiscInt(op: .sqneg, rule: .any, scalar: true),
    0b01000: MiscInt(op: .cmge0, rule: .any, scalar: true),
    0b01001: MiscInt(op: .cmle0, rule: .any, scalar: true),
    0b01011: MiscInt(op: .neg, rule: .any, scalar: true),
    0b10010: MiscInt(op: .sqxtun, rule: .narrow, scalar: true),
    0b10011: MiscInt(op: .shll, rule: .notD, scalar: false),
    0b10100: MiscInt(op: .uqxtn, rule: .narrow, scalar: true),
]

private func decodeTwoRegMisc(_ w: UInt32, scalar: Bool) -> Slot {
    let u = bit(w, 29), size = bits(w, 23, 22), opcode = Int(bits(w, 16, 12)), q = bit(w, 30)
    let d = UInt8(bits(w, 4, 0)), n = UInt8(bits(w, 9, 5))
    let shape = simdShape(w, scalar: scalar)
    if opcode >= 0b01100 && (opcode >= 0b10110 || size >> 1 == 1) && opcode != 0b10010 && opcode != 0b10011
        && opcode != 0b10100 {
        return decodeMiscFP(w, u: u, size: size, opcode: opcode, scalar: scalar)
    }
    if u && opcode == 0b00101 && !scalar {          // NOT, RBIT (bytes)
        guard size < 2 else { return undef(w) }
        return fslot(size == 0 ? .not : .rbit, d: d, n: n, shape: shape)
    }
    guard let e = (u ? miscIntU1 : miscIntU0)[opcode], !scalar || e.scalar else { return undef(w) }
    switch e.rule {
    case .any:
        if size == 3 && !q && !scalar { return undef(w) }
        // The scalar compares against zero, ABS and NEG exist for 64-bit elements only.
        if scalar && size != 3 && [.cmgt0, .cmeq0, .cmlt0, .cmge0, .cmle0, .abs, .neg].contains(e.op) { return undef(w) }
    case .notD: if size == 3 { return undef(w) }
    case .bytes: if size != 0 { return undef(w) }
    case .bytesOrHalves: if size > 1 { return undef(w) }
    case .narrow: if size == 3 { return undef(w) }
    }
    if e.rule == .narrow || e.op == .shll {
        // x = the narrow es; y = the upper-half flag, or scalar.
        return fslot(e.op, d: d, n: n, es: size, shape: scalar ? Shape.scalar : q ? Shape.upper : 0)
    }
    return fslot(e.op, d: d, n: n, es: size, shape: shape)
}

/// The FP part of two-reg misc: size = a:sz.
private func decodeMiscFP(_ w: UInt32, u: Bool, size: UInt32, opcode: Int, scalar: Bool) -> Slot {
    let a = size >> 1, sz = size & 1, q = bit(w, 30)
    let d = UInt8(bits(w, 4, 0)), n = UInt8(bits(w, 9, 5))
    let es = 2 + sz
    let shape = simdShape(w, scalar: scalar)
    let half: UInt8 = scalar ? Shape.scalar : q ? Shape.upper : 0
    func vec(_ op: FOp, payload: UInt64 = 0) -> Slot {
        if !scalar && sz == 1 && !q { return undef(w) }
        return fslot(op, d: d, n: n, es: es, shape: shape, payload: payload)
    }
    func toInt(_ r: FPRounding) -> Slot { vec(.fcvtToInt, payload: UInt64(r.rawValue) | (u ? 1 << 4 : 0)) }
    switch (u, a, opcode) {
    case (false, 0, 0b10110):                                 // FCVTN: 4S->4H or 2D->2S
        if scalar { return undef(w) }
        return fslot(.fcvtn, d: d, n: n, es: 1 + sz, shape: half)
    case (false, 0, 0b10111):                                 // FCVTL
        if scalar { return undef(w) }
        return fslot(.fcvtl, d: d, n: n, es: 2 + sz, shape: half)
    case (true, 0, 0b10110):                                  // FCVTXN (round to odd)
        if sz == 0 { return undef(w) }
        return fslot(.fcvtn, d: d, n: n, es: 2, shape: half, payload: 1)
    case (false, 0, 0b11000), (false, 1, 0b11000), (false, 0, 0b11001), (false, 1, 0b11001),
         (true, 0, 0b11000), (true, 0, 0b11001), (true, 1, 0b11001):
        if scalar { return undef(w) }
        // FRINTN/P (U=0 a=0/1 11000), FRINTM/Z (11001), FRINTA (U=1 11000), FRINTX/I (U=1 11001).
        let rm: UInt32 = u ? (opcode == 0b11000 ? 4 : a == 0 ? 6 : 7) : (opcode == 0b11000 ? a : 2 + a)
        return vec(.frint, payload: frintPayload(rm))
    case (_, 0, 0b11010): return toInt(.tieEven)
    case (_, 1, 0b11010): return toInt(.posInf)
    case (_, 0, 0b11011): return toInt(.negInf)
    case (_, 1, 0b11011): return toInt(.zero)
    case (_, 0, 0b11100): return toInt(.tieAway)
    case (_, 0, 0b11101): return vec(.intToFP, payload: u ? 1 : 0)
    case (false, 1, 0b11100), (true, 1, 0b11100):             // URECPE, URSQRTE (32-bit lanes)
        if scalar || sz == 1 { return undef(w) }
        return fslot(u ? .ursqrte : .urecpe, d: d, n: n, es: 2, shape: shape)
    case (false, 1, 0b11101): return vec(.frecpe)
    case (true, 1, 0b11101): return vec(.frsqrte)
    case (false, 1, 0b11111): return scalar ? vec(.frecpx) : undef(w)
    case (true, 1, 0b11111): return scalar ? undef(w) : vec(.fsqrt)
    case (false, 1, 0b01100): return vec(.fcmgt0)
    case (false, 1, 0b01101): return vec(.fcmeq0)
    case (false, 1, 0b01110): return vec(.fcmlt0)
    case (true, 1, 0b01100): return vec(.fcmge0)
    case (true, 1, 0b01101): return vec(.fcmle0)
    case (false, 1, 0b01111): return scalar ? undef(w) : vec(.fabs)
    case (true, 1, 0b01111): return scalar ? undef(w) : vec(.fneg)
    default: return undef(w)
    }
}

private func decodeAcrossLanes(_ w: UInt32) -> Slot {
    let u = bit(w, 29), size = bits(w, 23, 22), opcode = bits(w, 16, 12), q = bit(w, 30)
    let d = UInt8(bits(w, 4, 0)), n = UInt8(bits(w, 9, 5))
    let shape: UInt8 = q ? Shape.q128 : Shape.d64
    if opcode == 0b01100 || opcode == 0b01111 {            // FMAXNMV/FMINNMV, FMAXV/FMINV: 4S only
        guard u, size & 1 == 0, q else { return undef(w) }
        let ops: [FOp] = opcode == 0b01100 ? [.fmaxnmv, .fminnmv] : [.fmaxv, .fminv]
        return fslot(ops[Int(size >> 1)], d: d, n: n, es: 2, shape: shape)
    }
    if size == 3 || (size == 2 && !q) { return undef(w) }
    let op: FOp
    switch (u, opcode) {
    case (false, 0b00011): op = .saddlv
    case (true, 0b00011): op = .uaddlv
    case (false, 0b01010): op = .smaxv
    case (true, 0b01010): op = .umaxv
    case (false, 0b11010): op = .sminv
    case (true, 0b11010): op = .uminv
    case (false, 0b11011): op = .addv
    default: return undef(w)
    }
    return fslot(op, d: d, n: n, es: size, shape: shape)
}

private func decodeScalarPairwise(_ w: UInt32) -> Slot {
    let u = bit(w, 29), size = bits(w, 23, 22), opcode = bits(w, 16, 12)
    let d = UInt8(bits(w, 4, 0)), n = UInt8(bits(w, 9, 5))
    if !u {
        guard opcode == 0b11011, size == 3 else { return undef(w) }
        return fslot(.addp, d: d, n: n, m: n, es: 3, shape: Shape.scalar)
    }
    let a = size >> 1, es = 2 + (size & 1)
    let op: FOp
    switch (opcode, a) {
    case (0b01100, 0): op = .fmaxnmp
    case (0b01100, 1): op = .fminnmp
    case (0b01101, 0): op = .faddp
    case (0b01111, 0): op = .fmaxp
    case (0b01111, 1): op = .fminp
    default: return undef(w)
    }
    return fslot(op, d: d, n: n, m: n, es: es, shape: Shape.scalar)
}
