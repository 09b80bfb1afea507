// Host fast paths for the commonest FP operations. In round-to-nearest-even, with normal
// operands and a normal result above the smallest normal, IEEE 754 (the host's SSE
// arithmetic) and the Arm ARM agree on the value, and the only exception either raises
// is Inexact. Everything else - other rounding modes, zeros, denormals, infinities,
// NaNs, results that might be tiny or overflow - returns nil and takes the exact path
// of SoftFloatOps.swift. Inexactness is decided exactly: by the TwoSum error term for
// sums, by integer arithmetic on the significands for products, quotients, roots and
// fused multiply-adds.

/// A finite result strictly above the smallest normal magnitude: never tiny before
/// rounding (rounding is monotonic), never an overflow.
@inline(__always) private func isSafe<T: BinaryFloatingPoint>(_ r: T) -> Bool {
    r.isFinite && r.magnitude > T.leastNormalMagnitude
}

/// The integer significand of a normal value, implicit bit included.
@inline(__always) private func significand<T: BinaryFloatingPoint>(_ x: T) -> UInt64 {
    UInt64(x.significandBitPattern) | 1 << UInt64(T.significandBitCount)
}

/// The odd part of a nonzero 128-bit product (trailing zeros removed); nil if it does
/// not fit in 64 bits.
@inline(__always) private func oddPart(_ p: (high: UInt64, low: UInt64)) -> UInt64? {
    if p.low == 0 { return p.high >> UInt64(p.high.trailingZeroBitCount) }
    let tz = UInt64(p.low.trailingZeroBitCount)
    if tz == 0 { return p.high == 0 ? p.low : nil }
    return p.high >> tz == 0 ? (p.low >> tz | p.high << (64 - tz)) : nil
}

@inline(__always) private func oddPart(_ v: UInt64) -> UInt64 { v >> UInt64(v.trailingZeroBitCount) }

/// Applies a fast path to single or double operands (half precision has none).
@inline(__always)
private func onHost(_ f: FPFormat, _ env: FPEnv, _ double: () -> Double?, _ single: () -> Float?) -> UInt64? {
    guard env.rounding == .tieEven else { return nil }
    if f.fracBits == 52 { return double()?.bitPattern }
    if f.fracBits == 23 { return single().map { UInt64($0.bitPattern) } }
    return nil
}

@inline(__always)
private func add<T: BinaryFloatingPoint>(_ x: T, _ y: T, _ env: inout FPEnv) -> T? {
    guard x.isNormal, y.isNormal else { return nil }
    let s = x + y
    guard isSafe(s) else { return nil }
    let yy = s - x
    if (x - (s - yy)) + (y - yy) != 0 { env.flags |= FPFlag.ixc }
    return s
}

/// Exact iff the significand product has no more significant bits than the format.
@inline(__always)
private func mul<T: BinaryFloatingPoint>(_ x: T, _ y: T, _ env: inout FPEnv) -> T? {
    guard x.isNormal, y.isNormal else { return nil }
    let r = x * y
    guard isSafe(r) else { return nil }
    let p = significand(x).multipliedFullWidth(by: significand(y))
    let length = p.high != 0 ? 128 - p.high.leadingZeroBitCount : 64 - p.low.leadingZeroBitCount
    let tz = p.low != 0 ? p.low.trailingZeroBitCount : 64 + p.high.trailingZeroBitCount
    if length - tz > T.significandBitCount + 1 { env.flags |= FPFlag.ixc }
    return r
}

/// q = x / y is exact iff q × y = x, i.e. the odd parts of the significands of q × y and
/// of x agree (q × y is within an ulp of x, so no power of two can separate them).
@inline(__always)
private func div<T: BinaryFloatingPoint>(_ x: T, _ y: T, _ env: inout FPEnv) -> T? {
    guard x.isNormal, y.isNormal else { return nil }
    let q = x / y
    guard isSafe(q) else { return nil }
    if oddPart(significand(q).multipliedFullWidth(by: significand(y))) != oddPart(significand(x)) {
        env.flags |= FPFlag.ixc
    }
    return q
}

/// r = √x is exact iff r × r = x (same argument as for division).
@inline(__always)
private func sqrt<T: BinaryFloatingPoint>(_ x: T, _ env: inout FPEnv) -> T? {
    guard x.isNormal, x > 0 else { return nil }
    let r = x.squareRoot()
    let s = significand(r)
    if oddPart(s.multipliedFullWidth(by: s)) != oddPart(significand(x)) { env.flags |= FPFlag.ixc }
    return r
}

/// r = c + x × y (one rounding) is exact iff P·2^kp + C·2^kc = R·2^kr for the integer
/// significands of the product, the addend and the result; that is checked in 128-bit
/// integers when the exponents are close enough for the aligned values to fit.
@inline(__always)
private func mulAdd<T: BinaryFloatingPoint>(_ c: T, _ x: T, _ y: T, _ env: inout FPEnv) -> T? {
    guard x.isNormal, y.isNormal, c.isNormal else { return nil }
    let r = c.addingProduct(x, y)
    guard isSafe(r) else { return nil }
    // Biased exponents: the bias cancels once the product's extra bias is removed.
    let bias = (1 << (T.exponentBitCount - 1)) - 1
    let kp = Int(x.exponentBitPattern) + Int(y.exponentBitPattern) - bias
    let kc = Int(c.exponentBitPattern), kr = Int(r.exponentBitPattern)
    let k = min(min(kp - T.significandBitCount, kc), kr)       // P carries 2F fraction bits
    let dp = kp - T.significandBitCount - k, dc = kc - k, dr = kr - k
    guard dp <= 124 - 2 * T.significandBitCount, dc <= 125 - T.significandBitCount,
          dr <= 125 - T.significandBitCount else { return nil }
    let p = significand(x).multipliedFullWidth(by: significand(y))
    let a = U128(hi: p.high, lo: p.low) << dp, b = U128(significand(c)) << dc
    let sp = (x.sign == .minus) != (y.sign == .minus), sc = c.sign == .minus
    let sum: U128, negative: Bool
    if sp == sc { (sum, negative) = (a + b, sp) }
    else if a.compare(b) >= 0 { (sum, negative) = (a - b, sp) }
    else { (sum, negative) = (b - a, sc) }
    if sum != U128(significand(r)) << dr || negative != (r.sign == .minus) { env.flags |= FPFlag.ixc }
    return r
}

// MARK: Entry points (nil: take the exact path)

@inline(__always)
func fastAdd(_ a: UInt64, _ b: UInt64, _ f: FPFormat, negate: Bool, _ env: inout FPEnv) -> UInt64? {
    onHost(f, env,
           { add(Double(bitPattern: a), negate ? -Double(bitPattern: b) : Double(bitPattern: b), &env) },
           { add(Float(bitPattern: UInt32(a)), negate ? -Float(bitPattern: UInt32(b)) : Float(bitPattern: UInt32(b)), &env) })
}

@inline(__always)
func fastMul(_ a: UInt64, _ b: UInt64, _ f: FPFormat, _ env: inout FPEnv) -> UInt64? {
    onHost(f, env, { mul(Double(bitPattern: a), Double(bitPattern: b), &env) },
           { mul(Float(bitPattern: UInt32(a)), Float(bitPattern: UInt32(b)), &env) })
}

@inline(__always)
func fastDiv(_ a: UInt64, _ b: UInt64, _ f: FPFormat, _ env: inout FPEnv) -> UInt64? {
    onHost(f, env, { div(Double(bitPattern: a), Double(bitPattern: b), &env) },
           { div(Float(bitPattern: UInt32(a)), Float(bitPattern: UInt32(b)), &env) })
}

@inline(__always)
func fastSqrt(_ a: UInt64, _ f: FPFormat, _ env: inout FPEnv) -> UInt64? {
    onHost(f, env, { sqrt(Double(bitPattern: a), &env) }, { sqrt(Float(bitPattern: UInt32(a)), &env) })
}

@inline(__always)
func fastMulAdd(_ c: UInt64, _ a: UInt64, _ b: UInt64, _ f: FPFormat, _ env: inout FPEnv) -> UInt64? {
    onHost(f, env, { mulAdd(Double(bitPattern: c), Double(bitPattern: a), Double(bitPattern: b), &env) },
           { mulAdd(Float(bitPattern: UInt32(c)), Float(bitPattern: UInt32(a)), Float(bitPattern: UInt32(b)), &env) })
}
