// Reciprocal and reciprocal square root estimates (Arm ARM shared/functions/float:
// FPRecipEstimate, FPRSqrtEstimate, RecipEstimate, RecipSqrtEstimate, FPRecpX,
// UnsignedRecipEstimate, UnsignedRSqrtEstimate). The estimates are defined bit-exactly
// by integer arithmetic on the top fraction bits, which is what is computed here.

/// RecipEstimate: `a` in 256...511 stands for a/512; the result in 256...511 for r/256.
func recipEstimate(_ a: Int) -> Int {
    let b = (1 << 19) / (a * 2 + 1)
    return (b + 1) >> 1
}

/// RecipSqrtEstimate: `a` in 128...511 (a/512); the result in 256...511 (r/256).
func recipSqrtEstimate(_ a: Int) -> Int {
    let x = a < 256 ? a * 2 + 1 : (((a >> 1) << 1) + 1) * 2
    // b = the largest b with x × (b+1)^2 < 2^28 and b >= 512; start just below the
    // real square root and step up with the exact integer test.
    var b = max(512, Int((Double(1 << 28) / Double(x)).squareRoot()) - 2)
    while x * (b + 1) * (b + 1) < 1 << 28 { b += 1 }
    return (b + 1) / 2
}

/// The biased exponent and the fraction widened to 52 bits.
@inline(__always) private func fields(_ a: UInt64, _ f: FPFormat) -> (Int, UInt64) {
    (Int((a & f.expMask) >> UInt64(f.fracBits)), (a & f.fracMask) << UInt64(52 - f.fracBits))
}

/// FPRecipEstimate (FRECPE).
func fpRecipEstimate(_ a: UInt64, _ f: FPFormat, _ env: inout FPEnv) -> UInt64 {
    let x = fpUnpack(a, f, &env)
    if x.isNaN { return fpProcessNaN(x, a, f, &env) }
    if x.isInf { return f.zero(x.sign) }
    if x.isZero { env.flags |= FPFlag.dzc; return f.infinity(x.sign) }
    let log2 = x.exp + (63 - x.sig.leadingZeroBitCount)                       // floor(log2 |a|)
    if log2 < -f.bias - 1 {                             // |a| < 2^-(bias+1): 1/a overflows
        let toInf: Bool
        switch env.rounding {
        case .tieEven, .tieAway: toInf = true
        case .posInf: toInf = !x.sign
        case .negInf: toInf = x.sign
        case .zero, .odd: toInf = false
        }
        env.flags |= FPFlag.ofc | FPFlag.ixc
        return toInf ? f.infinity(x.sign) : f.maxNormal(x.sign)
    }
    if env.fz && f.width != 16 && log2 >= f.bias - 1 { // 1/a would be denormal: flushed
        env.flags |= FPFlag.ufc
        return f.zero(x.sign)
    }
    var (exp, fraction) = fields(a, f)
    if exp == 0 {
        if fraction & (1 << 51) == 0 { exp = -1; fraction = (fraction << 2) & ones(52) }
        else { fraction = (fraction << 1) & ones(52) }
    }
    let estimate = recipEstimate(256 | Int(fraction >> 44))
    var resultExp = 2 * f.bias - 1 - exp
    fraction = UInt64(estimate & 0xff) << 44
    if resultExp == 0 {
        fraction = 1 << 51 | fraction >> 1
    } else if resultExp == -1 {
        fraction = 1 << 50 | fraction >> 2
        resultExp = 0
    }
    return f.zero(x.sign) | UInt64(resultExp) << UInt64(f.fracBits) | fraction >> UInt64(52 - f.fracBits)
}

/// FPRSqrtEstimate (FRSQRTE).
func fpRSqrtEstimate(_ a: UInt64, _ f: FPFormat, _ env: inout FPEnv) -> UInt64 {
    let x = fpUnpack(a, f, &env)
    if x.isNaN { return fpProcessNaN(x, a, f, &env) }
    if x.isZero { env.flags |= FPFlag.dzc; return f.infinity(x.sign) }
    if x.sign { return fpInvalid(f, &env) }
    if x.isInf { return 0 }
    var (exp, fraction) = fields(a, f)
    if exp == 0 {
        while fraction & (1 << 51) == 0 { fraction <<= 1; exp -= 1 }
        fraction = (fraction << 1) & ones(52)
    }
    // An even biased exponent is an odd power of two: scale to 0.5...1.0, else to 0.25...0.5.
    let scaled = exp & 1 == 0 ? 256 | Int(fraction >> 44) : 128 | Int(fraction >> 45)
    let resultExp = (3 * f.bias - 1 - exp) / 2
    let estimate = recipSqrtEstimate(scaled)
    return UInt64(resultExp) << UInt64(f.fracBits) | UInt64(estimate & 0xff) << UInt64(f.fracBits - 8)
}

/// FPRecpX (FRECPX): the sign, the exponent inverted, a zero fraction.
func fpRecpX(_ a: UInt64, _ f: FPFormat, _ env: inout FPEnv) -> UInt64 {
    let x = fpUnpack(a, f, &env)
    if x.isNaN { return fpProcessNaN(x, a, f, &env) }
    let exp = a & f.expMask
    if exp == 0 { return f.zero(x.sign) | (f.expMask - (1 << UInt64(f.fracBits))) }
    return f.zero(x.sign) | (~exp & f.expMask)
}

/// UnsignedRecipEstimate (URECPE) of a 32-bit element.
func unsignedRecipEstimate(_ v: UInt64) -> UInt64 {
    if v & 0x8000_0000 == 0 { return 0xffff_ffff }
    return UInt64(recipEstimate(Int((v >> 23) & 0x1ff))) << 23
}

/// UnsignedRSqrtEstimate (URSQRTE) of a 32-bit element.
func unsignedRSqrtEstimate(_ v: UInt64) -> UInt64 {
    if v & 0xc000_0000 == 0 { return 0xffff_ffff }
    return UInt64(recipSqrtEstimate(Int((v >> 23) & 0x1ff))) << 23
}
