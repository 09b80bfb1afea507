// Floating-point operations on bit patterns, one function per Arm ARM pseudocode
// function (shared/functions/float: FPAdd, FPSub, FPMul, FPMulX, FPDiv, FPSqrt, FPMulAdd,
// FPMax/FPMin(Num), FPCompare*, FPRoundInt, FPToFixed, FixedToFP, FPConvert). Special
// operands are handled in the pseudocode's order; finite results go through fpRound.
// FPAdd, FPMul, FPDiv, FPSqrt and FPMulAdd first try the host fast paths of SoftFloatFast.swift.

/// The significand shifted so its top bit is bit 63, and the matching exponent.
@inline(__always) private func normalized(_ v: FPValue) -> (UInt64, Int) {
    let s = v.sig.leadingZeroBitCount
    return (v.sig << UInt64(s), v.exp - s)
}

/// The significand as a 128-bit value with its top bit at bit 125 (two bits of headroom
/// for a carry, 62 bits of exact room below a 64-bit significand).
@inline(__always) private func widened(_ v: FPValue) -> (U128, Int) {
    let (s, e) = normalized(v)
    return (U128(s) << 62, e - 62)
}

/// Sum of two signed magnitudes m × 2^e whose top bits are at bit 125. The smaller one
/// is aligned with a sticky bit, which is exact enough: it only loses bits when the
/// exponents differ by two or more, and then the result keeps its top bit at 123 or
/// above, far from bit 0. Nil for an exact zero.
private func addSigned(_ sa: Bool, _ ma: U128, _ ea: Int, _ sb: Bool, _ mb: U128, _ eb: Int) -> (Bool, Int, U128)? {
    let (s1, m1, e1, s2, m2) = ea >= eb ? (sa, ma, ea, sb, mb) : (sb, mb, eb, sa, ma)
    let m2a = m2.shiftRightJam(min(abs(ea - eb), 128))
    if s1 == s2 { return (s1, e1, m1 + m2a) }
    switch m1.compare(m2a) {
    case 0: return nil
    case 1: return (s1, e1, m1 - m2a)
    default: return (s2, e1, m2a - m1)
    }
}

/// The zero an exact cancellation produces: -0 only when rounding toward -infinity.
@inline(__always) private func cancelledZero(_ f: FPFormat, _ env: FPEnv) -> UInt64 {
    f.zero(env.rounding == .negInf)
}

// MARK: Arithmetic

/// FPAdd, or FPSub when `negate` (the NaN operands keep their own signs).
func fpAdd(_ a: UInt64, _ b: UInt64, _ f: FPFormat, _ env: inout FPEnv, negate: Bool = false) -> UInt64 {
    fastAdd(a, b, f, negate: negate, &env) ?? fpAddExact(a, b, f, &env, negate: negate)
}

/// FPMul, or FPMulX when `mulx` (infinity × zero is 2.0 instead of invalid).
func fpMul(_ a: UInt64, _ b: UInt64, _ f: FPFormat, _ env: inout FPEnv, mulx: Bool = false) -> UInt64 {
    fastMul(a, b, f, &env) ?? fpMulExact(a, b, f, &env, mulx: mulx)
}

/// FPDiv.
func fpDiv(_ a: UInt64, _ b: UInt64, _ f: FPFormat, _ env: inout FPEnv) -> UInt64 {
    fastDiv(a, b, f, &env) ?? fpDivExact(a, b, f, &env)
}

/// FPSqrt.
func fpSqrt(_ a: UInt64, _ f: FPFormat, _ env: inout FPEnv) -> UInt64 {
    fastSqrt(a, f, &env) ?? fpSqrtExact(a, f, &env)
}

// The exact paths, straight from the pseudocode (also the reference the fast paths are
// tested against).

func fpAddExact(_ a: UInt64, _ b: UInt64, _ f: FPFormat, _ env: inout FPEnv, negate: Bool = false) -> UInt64 {
    let x = fpUnpack(a, f, &env)
    var y = fpUnpack(b, f, &env)
    if let nan = fpProcessNaNs(x, a, y, b, f, &env) { return nan }
    if negate { y.sign.toggle() }
    if x.isInf && y.isInf && x.sign != y.sign { return fpInvalid(f, &env) }
    if x.isInf { return f.infinity(x.sign) }
    if y.isInf { return f.infinity(y.sign) }
    if x.isZero && y.isZero { return x.sign == y.sign ? f.zero(x.sign) : cancelledZero(f, env) }
    if x.isZero { return fpRound(y, f, &env, env.rounding) }
    if y.isZero { return fpRound(x, f, &env, env.rounding) }
    let (mx, ex) = widened(x), (my, ey) = widened(y)
    guard let (s, e, m) = addSigned(x.sign, mx, ex, y.sign, my, ey) else { return cancelledZero(f, env) }
    return fpRound(s, e, m, f, &env, env.rounding)
}

func fpMulExact(_ a: UInt64, _ b: UInt64, _ f: FPFormat, _ env: inout FPEnv, mulx: Bool = false) -> UInt64 {
    let x = fpUnpack(a, f, &env), y = fpUnpack(b, f, &env)
    if let nan = fpProcessNaNs(x, a, y, b, f, &env) { return nan }
    let sign = x.sign != y.sign
    if (x.isInf && y.isZero) || (x.isZero && y.isInf) {
        return mulx ? f.power(1, sign: sign) : fpInvalid(f, &env)
    }
    if x.isInf || y.isInf { return f.infinity(sign) }
    if x.isZero || y.isZero { return f.zero(sign) }
    return fpRound(sign, x.exp + y.exp, U128.product(x.sig, y.sig), f, &env, env.rounding)
}

func fpDivExact(_ a: UInt64, _ b: UInt64, _ f: FPFormat, _ env: inout FPEnv) -> UInt64 {
    let x = fpUnpack(a, f, &env), y = fpUnpack(b, f, &env)
    if let nan = fpProcessNaNs(x, a, y, b, f, &env) { return nan }
    if (x.isInf && y.isInf) || (x.isZero && y.isZero) { return fpInvalid(f, &env) }
    let sign = x.sign != y.sign
    if x.isInf || y.isZero {
        if !x.isInf { env.flags |= FPFlag.dzc }
        return f.infinity(sign)
    }
    if x.isZero || y.isInf { return f.zero(sign) }
    // 64 quotient bits from (na × 2^64) / nb, the remainder folded into a sticky bit.
    let (na, ea) = normalized(x), (nb, eb) = normalized(y)
    var e = ea - eb - 64
    var num = (high: na, low: UInt64(0))
    if na >= nb { num = (na >> 1, na << 63); e += 1 }
    let (q, r) = nb.dividingFullWidth(num)
    return fpRound(sign, e, U128(q | (r != 0 ? 1 : 0)), f, &env, env.rounding)
}

func fpSqrtExact(_ a: UInt64, _ f: FPFormat, _ env: inout FPEnv) -> UInt64 {
    let x = fpUnpack(a, f, &env)
    if x.isNaN { return fpProcessNaN(x, a, f, &env) }
    if x.isZero { return f.zero(x.sign) }
    if x.isInf && !x.sign { return a }
    if x.sign { return fpInvalid(f, &env) }
    // A 127/128-bit radicand with an even exponent gives a 64-bit root.
    let (n, e0) = normalized(x)
    var radicand = U128(n) << 64, e = e0 - 64
    if e & 1 != 0 { radicand = U128(n) << 63; e += 1 }
    let (root, exact) = radicand.squareRoot()
    return fpRound(false, e / 2, U128(root | (exact ? 0 : 1)), f, &env, env.rounding)
}

/// The numerical part of a fused multiply-add: (±P × 2^pe) + (±c × 2^ce), rounded once.
/// The product is nonzero; `c` may be zero.
private func fusedAdd(_ sp: Bool, _ p: U128, _ pe: Int, _ sc: Bool, _ c: FPValue,
                      _ f: FPFormat, _ env: inout FPEnv) -> UInt64 {
    if c.isZero { return fpRound(sp, pe, p, f, &env, env.rounding) }
    let shift = 125 - p.msb
    let (mc, ec) = widened(c)
    guard let (s, e, m) = addSigned(sp, p << shift, pe - shift, sc, mc, ec) else { return cancelledZero(f, env) }
    return fpRound(s, e, m, f, &env, env.rounding)
}

/// FPMulAdd: addend + op1 × op2 with a single rounding (FMADD, FMLA; callers negate
/// operands with FPNeg for the other forms).
func fpMulAdd(_ addend: UInt64, _ op1: UInt64, _ op2: UInt64, _ f: FPFormat, _ env: inout FPEnv) -> UInt64 {
    fastMulAdd(addend, op1, op2, f, &env) ?? fpMulAddExact(addend, op1, op2, f, &env)
}

func fpMulAddExact(_ addend: UInt64, _ op1: UInt64, _ op2: UInt64, _ f: FPFormat, _ env: inout FPEnv) -> UInt64 {
    let c = fpUnpack(addend, f, &env), x = fpUnpack(op1, f, &env), y = fpUnpack(op2, f, &env)
    let infTimesZero = (x.isInf && y.isZero) || (x.isZero && y.isInf)
    let nan = fpProcessNaNs3(c, addend, x, op1, y, op2, f, &env)
    if c.kind == .qnan && infTimesZero { return fpInvalid(f, &env) }
    if let nan = nan { return nan }
    let signP = x.sign != y.sign, infP = x.isInf || y.isInf, zeroP = x.isZero || y.isZero
    if infTimesZero || (c.isInf && infP && c.sign != signP) { return fpInvalid(f, &env) }
    if c.isInf { return f.infinity(c.sign) }
    if infP { return f.infinity(signP) }
    if c.isZero && zeroP { return c.sign == signP ? f.zero(c.sign) : cancelledZero(f, env) }
    if zeroP { return fpRound(c, f, &env, env.rounding) }
    return fusedAdd(signP, U128.product(x.sig, y.sig), x.exp + y.exp, c.sign, c, f, &env)
}

/// FPRecipStepFused (FRECPS: 2 - a×b) and FPRSqrtStepFused (FRSQRTS: (3 - a×b) / 2),
/// each rounded once; the halving is exact, so (3 - a×b) / 2 = 1.5 - (a×b) × 2^-1.
func fpStepFused(_ a: UInt64, _ b: UInt64, _ f: FPFormat, _ env: inout FPEnv, sqrt: Bool) -> UInt64 {
    let na = a ^ f.signBit                                   // FPNeg(op1), NaNs included
    let x = fpUnpack(na, f, &env), y = fpUnpack(b, f, &env)
    if let nan = fpProcessNaNs(x, na, y, b, f, &env) { return nan }
    let constant = FPValue(kind: .finite, sign: false, exp: sqrt ? -1 : 1, sig: sqrt ? 3 : 1)
    if (x.isInf && y.isZero) || (x.isZero && y.isInf) { return fpRound(constant, f, &env, env.rounding) }
    if x.isInf || y.isInf { return f.infinity(x.sign != y.sign) }
    if x.isZero || y.isZero { return fpRound(constant, f, &env, env.rounding) }
    return fusedAdd(x.sign != y.sign, U128.product(x.sig, y.sig), x.exp + y.exp - (sqrt ? 1 : 0),
                    false, constant, f, &env)
}

// MARK: Comparisons, minimum and maximum

/// A key that orders non-NaN operands by value (zeros of either sign are equal).
@inline(__always) private func orderKey(_ bits: UInt64, _ v: FPValue, _ f: FPFormat) -> Int64 {
    if v.isZero { return 0 }
    let magnitude = Int64(bitPattern: bits & (f.signBit - 1))
    return v.sign ? -magnitude : magnitude
}

/// FPCompare: NZCV (in bits 3:0) for FCMP/FCMPE/FCCMP(E). `signalling` makes quiet
/// NaNs raise Invalid Operation too.
func fpCompare(_ a: UInt64, _ b: UInt64, _ f: FPFormat, _ env: inout FPEnv, signalling: Bool) -> UInt64 {
    let x = fpUnpack(a, f, &env), y = fpUnpack(b, f, &env)
    if x.isNaN || y.isNaN {
        if x.kind == .snan || y.kind == .snan || signalling { env.flags |= FPFlag.ioc }
        return 0b0011
    }
    let kx = orderKey(a, x, f), ky = orderKey(b, y, f)
    return kx == ky ? 0b0110 : kx < ky ? 0b1000 : 0b0010
}

/// The SIMD comparisons (FPCompareEQ, FPCompareGE, FPCompareGT).
enum FPCondition { case eq, ge, gt }

func fpCompareCondition(_ a: UInt64, _ b: UInt64, _ cond: FPCondition, _ f: FPFormat, _ env: inout FPEnv) -> Bool {
    let x = fpUnpack(a, f, &env), y = fpUnpack(b, f, &env)
    if x.isNaN || y.isNaN {
        if cond != .eq || x.kind == .snan || y.kind == .snan { env.flags |= FPFlag.ioc }
        return false
    }
    let kx = orderKey(a, x, f), ky = orderKey(b, y, f)
    switch cond {
    case .eq: return kx == ky
    case .ge: return kx >= ky
    case .gt: return kx > ky
    }
}

/// FPMax/FPMin, and FPMaxNum/FPMinNum (`num`: a single quiet NaN loses).
func fpMinMax(_ a: UInt64, _ b: UInt64, _ f: FPFormat, _ env: inout FPEnv, max: Bool, num: Bool) -> UInt64 {
    var a = a, b = b
    if num {
        let qa = fpUnpack(a, f, &env).kind == .qnan, qb = fpUnpack(b, f, &env).kind == .qnan
        if qa && !qb { a = f.infinity(max) } else if qb && !qa { b = f.infinity(max) }
    }
    let x = fpUnpack(a, f, &env), y = fpUnpack(b, f, &env)
    if let nan = fpProcessNaNs(x, a, y, b, f, &env) { return nan }
    let kx = orderKey(a, x, f), ky = orderKey(b, y, f)
    let firstWins = max ? kx > ky : kx < ky
    let (bits, v) = firstWins ? (a, x) : (b, y)
    if v.isInf { return f.infinity(v.sign) }
    if v.isZero { return f.zero(max ? x.sign && y.sign : x.sign || y.sign) }
    return bits
}

// MARK: Integral rounding and conversions

/// Rounds a nonnegative magnitude with a fractional part (given as `inexact` and `tail`:
/// -1/0/+1 for below/at/above one half) of a value with `sign`. The flag reports a
/// carry out of 64 bits.
@inline(__always)
private func roundMagnitude(_ ipart: UInt64, inexact: Bool, tail: Int, sign: Bool,
                            _ rounding: FPRounding) -> (UInt64, Bool) {
    let up: Bool
    switch rounding {
    case .tieEven: up = inexact && (tail > 0 || (tail == 0 && ipart & 1 != 0))
    case .tieAway: up = inexact && tail >= 0
    case .posInf: up = inexact && !sign
    case .negInf: up = inexact && sign
    case .zero, .odd: up = false
    }
    return up ? ipart.addingReportingOverflow(1) : (ipart, false)
}

/// Splits sig × 2^-shift (shift > 0) into its integer part and a classified fraction.
@inline(__always)
private func splitFraction(_ sig: UInt64, _ shift: Int) -> (ipart: UInt64, inexact: Bool, tail: Int) {
    if shift >= 65 { return (0, sig != 0, -1) }
    let ipart = shift == 64 ? 0 : sig >> UInt64(shift)
    let frac = shift == 64 ? sig : sig & ones(shift)
    let half: UInt64 = 1 << UInt64(shift - 1)
    return (ipart, frac != 0, frac < half ? -1 : frac == half ? 0 : 1)
}

/// FPRoundInt (FRINT*): `exact` raises Inexact for FRINTX.
func fpRoundInt(_ a: UInt64, _ f: FPFormat, _ env: inout FPEnv, _ rounding: FPRounding, exact: Bool) -> UInt64 {
    let x = fpUnpack(a, f, &env)
    if x.isNaN { return fpProcessNaN(x, a, f, &env) }
    if x.isInf { return f.infinity(x.sign) }
    if x.isZero { return f.zero(x.sign) }
    if x.exp >= 0 { return a }                       // already an integer
    let (ipart, inexact, tail) = splitFraction(x.sig, -x.exp)
    let (mag, _) = roundMagnitude(ipart, inexact: inexact, tail: tail, sign: x.sign, rounding)
    if inexact && exact { env.flags |= FPFlag.ixc }
    if mag == 0 { return f.zero(x.sign) }
    return fpRound(x.sign, 0, U128(mag), f, &env, .zero)
}

/// FPToFixed: `a` × 2^fbits rounded to a `width`-bit signed or unsigned integer,
/// saturating with Invalid Operation (NaN gives 0).
func fpToFixed(_ a: UInt64, _ f: FPFormat, _ env: inout FPEnv, fbits: Int, unsigned: Bool, width: Int,
               _ rounding: FPRounding) -> UInt64 {
    let x = fpUnpack(a, f, &env)
    if x.isNaN { env.flags |= FPFlag.ioc; return 0 }
    if x.isZero { return 0 }
    var mag: UInt64 = 0, inexact = false, overflow = x.isInf
    if x.kind == .finite {
        let e = x.exp + fbits
        if e >= 0 {
            if (63 - x.sig.leadingZeroBitCount) + e >= 64 { overflow = true } else { mag = x.sig << UInt64(e) }
        } else {
            let (ipart, inx, tail) = splitFraction(x.sig, -e)
            inexact = inx
            let (m, carry) = roundMagnitude(ipart, inexact: inx, tail: tail, sign: x.sign, rounding)
            mag = m
            overflow = carry
        }
    }
    var result: UInt64 = 0
    if !overflow {
        if unsigned {
            if x.sign && mag != 0 { overflow = true } else if mag > ones(width) { overflow = true } else { result = mag }
        } else {
            let limit: UInt64 = 1 << UInt64(width - 1)
            if x.sign ? mag > limit : mag >= limit { overflow = true } else { result = (x.sign ? 0 &- mag : mag) & ones(width) }
        }
    }
    if overflow {
        env.flags |= FPFlag.ioc
        if unsigned { return x.sign ? 0 : ones(width) }
        return x.sign ? (1 << UInt64(width - 1)) : ones(width - 1)
    }
    if inexact { env.flags |= FPFlag.ixc }
    return result
}

/// FixedToFP: the `width`-bit integer `v` × 2^-fbits, rounded to format `f`.
func fixedToFP(_ v: UInt64, width: Int, unsigned: Bool, fbits: Int, _ f: FPFormat, _ env: inout FPEnv,
               _ rounding: FPRounding) -> UInt64 {
    var mag = v & ones(width), sign = false
    if !unsigned && mag >> UInt64(width - 1) != 0 {
        sign = true
        mag = (0 &- mag) & ones(width)
    }
    if mag == 0 { return 0 }
    return fpRound(sign, -fbits, U128(mag), f, &env, rounding)
}

/// FPConvert (FCVT and its vector forms): format `from` to format `to`.
func fpConvert(_ a: UInt64, from: FPFormat, to: FPFormat, _ env: inout FPEnv, _ rounding: FPRounding) -> UInt64 {
    let x = fpUnpack(a, from, &env, ahp: env.ahp)
    let altHalf = to.width == 16 && env.ahp
    if x.isNaN {
        if x.kind == .snan || altHalf { env.flags |= FPFlag.ioc }
        if altHalf { return to.zero(x.sign) }
        if env.dn { return to.defaultNaN }
        // FPConvertNaN: keep the sign and the top of the payload, set the quiet bit.
        let payload = (a & (from.fracMask >> 1)) << UInt64(52 - from.fracBits)
        return to.infinity(x.sign) | to.quietBit | payload >> UInt64(52 - to.fracBits)
    }
    if x.isInf {
        if altHalf { env.flags |= FPFlag.ioc; return to.zero(x.sign) | 0x7fff }
        return to.infinity(x.sign)
    }
    if x.isZero { return to.zero(x.sign) }
    return fpRound(x.sign, x.exp, U128(x.sig), to, &env, rounding, cv: true)
}
