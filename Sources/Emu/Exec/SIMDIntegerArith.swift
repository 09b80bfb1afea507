// Element arithmetic shared by the Advanced SIMD integer handlers (Arm ARM shared
// pseudocode SatQ, SignedSatQ, UnsignedSatQ and the shift-by-register rules of
// SSHL/SRSHL/SQSHL/SQRSHL). Elements are 2^es bytes; a `sat` flag collects FPSR.QC.

/// The largest signed value of an element of 2^es bytes.
@inline(__always) func signedMax(_ es: Int) -> Int64 { Int64.max >> Int64(64 - (8 << es)) }

/// SignedSatQ of a value that fits in 64 bits.
@inline(__always) func satSigned(_ v: Int64, _ es: Int, _ sat: inout Bool) -> UInt64 {
    let hi = signedMax(es), lo = ~hi
    var r = v
    if v > hi { r = hi; sat = true } else if v < lo { r = lo; sat = true }
    return UInt64(bitPattern: r) & ones(8 << es)
}

/// UnsignedSatQ of a signed value that fits in 64 bits.
@inline(__always) func satUnsigned(_ v: Int64, _ es: Int, _ sat: inout Bool) -> UInt64 {
    if v < 0 { sat = true; return 0 }
    if UInt64(v) > ones(8 << es) { sat = true; return ones(8 << es) }
    return UInt64(v)
}

/// UnsignedSatQ of an unsigned value.
@inline(__always) func satUnsigned(_ v: UInt64, _ es: Int, _ sat: inout Bool) -> UInt64 {
    if v > ones(8 << es) { sat = true; return ones(8 << es) }
    return v
}

@inline(__always) func saturatingAdd(_ x: UInt64, _ y: UInt64, _ es: Int, signed: Bool, _ sat: inout Bool) -> UInt64 {
    if es < 3 {
        return signed ? satSigned(sext(x, es) + sext(y, es), es, &sat) : satUnsigned(x + y, es, &sat)
    }
    if signed {
        let (r, o) = Int64(bitPattern: x).addingReportingOverflow(Int64(bitPattern: y))
        if o { sat = true; return UInt64(bitPattern: r < 0 ? Int64.max : Int64.min) }
        return UInt64(bitPattern: r)
    }
    let (r, o) = x.addingReportingOverflow(y)
    if o { sat = true; return ~0 }
    return r
}

@inline(__always) func saturatingSub(_ x: UInt64, _ y: UInt64, _ es: Int, signed: Bool, _ sat: inout Bool) -> UInt64 {
    if !signed {
        if x < y { sat = true; return 0 }
        return x - y
    }
    if es < 3 { return satSigned(sext(x, es) - sext(y, es), es, &sat) }
    let (r, o) = Int64(bitPattern: x).subtractingReportingOverflow(Int64(bitPattern: y))
    if o { sat = true; return UInt64(bitPattern: r < 0 ? Int64.max : Int64.min) }
    return UInt64(bitPattern: r)
}

/// SUQADD: signed accumulator `acc` plus unsigned `x`, signed saturation.
@inline(__always) func signedPlusUnsigned(_ acc: UInt64, _ x: UInt64, _ es: Int, _ sat: inout Bool) -> UInt64 {
    if es < 3 { return satSigned(sext(acc, es) + Int64(x), es, &sat) }
    let room = UInt64(bitPattern: Int64.max) &- acc          // Int64.max - acc, as 0...2^64-1
    if x > room { sat = true; return UInt64(bitPattern: Int64.max) }
    return acc &+ x
}

/// USQADD: unsigned accumulator `acc` plus signed `x`, unsigned saturation.
@inline(__always) func unsignedPlusSigned(_ acc: UInt64, _ x: UInt64, _ es: Int, _ sat: inout Bool) -> UInt64 {
    if es < 3 { return satUnsigned(Int64(acc) + sext(x, es), es, &sat) }
    if Int64(bitPattern: x) >= 0 {
        let (r, o) = acc.addingReportingOverflow(x)
        if o { sat = true; return ~0 }
        return r
    }
    let magnitude = 0 &- x
    if magnitude > acc { sat = true; return 0 }
    return acc - magnitude
}

/// Left shift with saturation (SQSHL, UQSHL; SQSHLU with `signedToUnsigned`).
@inline(__always)
func saturatingShiftLeft(_ v: UInt64, _ shift: Int, _ es: Int, signed: Bool, signedToUnsigned: Bool = false,
                         _ sat: inout Bool) -> UInt64 {
    let bits = 8 << es, mask = ones(bits)
    if signed {
        let x = sext(v, es)
        if signedToUnsigned {
            if x < 0 { sat = true; return 0 }
            return saturatingShiftLeft(UInt64(x), shift, es, signed: false, &sat)
        }
        if x == 0 { return 0 }
        // x << shift fits iff shifting back by the headroom leaves only sign bits.
        if shift >= bits || (shift > 0 && (x >> Int64(bits - 1 - shift)) != 0 && (x >> Int64(bits - 1 - shift)) != -1) {
            sat = true
            return UInt64(bitPattern: x < 0 ? ~signedMax(es) : signedMax(es)) & mask
        }
        return UInt64(bitPattern: x << Int64(shift)) & mask
    }
    let x = v & mask
    if x == 0 || shift == 0 { return x }
    if shift >= bits || x >> UInt64(bits - shift) != 0 { sat = true; return mask }
    return (x << UInt64(shift)) & mask
}

/// The shift-by-register element operation: `v` shifted left by `shift` (negative:
/// right, arithmetic when signed), optionally rounding right shifts and saturating
/// left shifts, with the infinite-precision semantics of the Arm ARM.
@inline(__always)
func shiftElement(_ v: UInt64, _ shift: Int, _ es: Int, signed: Bool, rounding: Bool, saturating: Bool,
                  _ sat: inout Bool) -> UInt64 {
    let bits = 8 << es, mask = ones(bits)
    if shift >= 0 {
        if saturating { return saturatingShiftLeft(v, shift, es, signed: signed, &sat) }
        return shift >= bits ? 0 : (v << UInt64(shift)) & mask
    }
    let s = -shift
    if signed {
        // floor(x / 2^s), plus bit s-1 when rounding: (x + 2^(s-1)) >> s without overflow.
        let x = sext(v, es)
        let q = s >= 64 ? (x < 0 ? -1 : 0) : x >> Int64(s)
        let round = rounding ? (s > 64 ? (x < 0 ? 1 : 0) : (x >> Int64(s - 1)) & 1) : 0
        return UInt64(bitPattern: q + round) & mask
    }
    let x = v & mask
    let q = s >= 64 ? 0 : x >> UInt64(s)
    let round = rounding ? (s > 64 ? 0 : (x >> UInt64(s - 1)) & 1) : 0
    return (q + round) & mask
}

/// The shift amount of SSHL and friends: the signed low byte of the element.
@inline(__always) func shiftAmount(_ v: UInt64) -> Int { Int(Int8(truncatingIfNeeded: v)) }

/// 2 × x × y with saturation to the doubled element size (SQDMULL, SQDMLAL, SQDMLSL):
/// x and y are signed elements of 2^es bytes (es 1 or 2).
@inline(__always) func doubledProduct(_ x: UInt64, _ y: UInt64, _ es: Int, _ sat: inout Bool) -> UInt64 {
    let p = sext(x, es) * sext(y, es)
    if es == 2 {
        if p == 1 << 62 { sat = true; return UInt64(bitPattern: Int64.max) }
        return UInt64(bitPattern: 2 * p)
    }
    return satSigned(2 * p, es + 1, &sat)
}

/// SQDMULH / SQRDMULH: the high half of 2 × x × y (rounded), saturated (es 1 or 2).
@inline(__always) func doublingMulHigh(_ x: UInt64, _ y: UInt64, _ es: Int, round: Bool, _ sat: inout Bool) -> UInt64 {
    let bits = 8 << es
    let p = sext(x, es) * sext(y, es)
    let r = (p + (round ? Int64(1) << Int64(bits - 2) : 0)) >> Int64(bits - 1)
    return satSigned(r, es, &sat)
}

/// Carry-less (polynomial) product of two `bits`-bit values.
@inline(__always) func polynomialMul(_ a: UInt64, _ b: UInt64, _ bits: Int) -> UInt64 {
    var r: UInt64 = 0
    for i in 0..<bits where (a >> UInt64(i)) & 1 != 0 { r ^= b << UInt64(i) }
    return r
}

/// Absolute difference of two elements.
@inline(__always) func absDiff(_ x: UInt64, _ y: UInt64, _ es: Int, signed: Bool) -> UInt64 {
    if signed {
        let d = sext(x, es) - sext(y, es)         // es <= 2: no overflow
        return UInt64(d < 0 ? -d : d)
    }
    return x > y ? x - y : y - x
}
