// The floating-point core shared by the scalar FP and Advanced SIMD handlers, written
// after the Arm ARM's shared pseudocode (shared/functions/float: FPUnpack, FPRound,
// FPProcessNaN(s), FPDefaultNaN). Values are computed exactly in integer arithmetic and
// rounded once, so every FPCR rounding mode, flush-to-zero, default NaN and every FPSR
// cumulative flag comes out as the architecture defines it, independent of the host.

/// Rounding modes: FPCR.RMode values 0-3, then the modes only instructions select.
enum FPRounding: UInt8 {
    case tieEven = 0, posInf = 1, negInf = 2, zero = 3, tieAway = 4, odd = 5
}

/// FPSR cumulative exception bits (Arm ARM D17.2, FPSR) and the saturation bit QC.
enum FPFlag {
    static let ioc: UInt32 = 1 << 0, dzc: UInt32 = 1 << 1, ofc: UInt32 = 1 << 2
    static let ufc: UInt32 = 1 << 3, ixc: UInt32 = 1 << 4, idc: UInt32 = 1 << 7
    static let qc: UInt32 = 1 << 27
}

/// The FPCR controls one instruction runs under, and the FPSR bits it raises.
/// FP exception traps are not implemented (their enables read as zero), so every
/// exception only sets its cumulative flag.
struct FPEnv {
    var rounding: FPRounding
    var fz: Bool        // FPCR.FZ: flush single/double denormals to zero
    var dn: Bool        // FPCR.DN: NaN results are the default NaN
    var ahp: Bool       // FPCR.AHP: alternative half precision (conversions only)
    var flags: UInt32 = 0

    init(fpcr: UInt64) {
        rounding = FPRounding(rawValue: UInt8((fpcr >> 22) & 3))!
        fz = fpcr & (1 << 24) != 0
        dn = fpcr & (1 << 25) != 0
        ahp = fpcr & (1 << 26) != 0
    }
}

/// An IEEE binary format: half (es 1), single (es 2) or double (es 3).
struct FPFormat {
    let fracBits: Int, expBits: Int

    static let half = FPFormat(fracBits: 10, expBits: 5)
    static let single = FPFormat(fracBits: 23, expBits: 8)
    static let double = FPFormat(fracBits: 52, expBits: 11)

    /// The format of elements of 2^es bytes.
    @inline(__always) static func of(_ es: Int) -> FPFormat { es == 3 ? .double : es == 2 ? .single : .half }

    @inline(__always) var width: Int { 1 + expBits + fracBits }
    @inline(__always) var bias: Int { (1 << (expBits - 1)) - 1 }
    @inline(__always) var minExp: Int { 1 - bias }
    @inline(__always) var signBit: UInt64 { 1 << UInt64(width - 1) }
    @inline(__always) var expMask: UInt64 { ones(expBits) << UInt64(fracBits) }
    @inline(__always) var fracMask: UInt64 { ones(fracBits) }
    @inline(__always) var quietBit: UInt64 { 1 << UInt64(fracBits - 1) }

    @inline(__always) func zero(_ sign: Bool) -> UInt64 { sign ? signBit : 0 }
    @inline(__always) func infinity(_ sign: Bool) -> UInt64 { zero(sign) | expMask }
    @inline(__always) func maxNormal(_ sign: Bool) -> UInt64 { zero(sign) | (expMask - (1 << UInt64(fracBits))) | fracMask }
    @inline(__always) var defaultNaN: UInt64 { expMask | quietBit }
    /// The value 2^k (k within the normal range), with `sign`.
    @inline(__always) func power(_ k: Int, sign: Bool = false) -> UInt64 { zero(sign) | UInt64(k + bias) << UInt64(fracBits) }
}

/// What FPUnpack classifies an operand as.
enum FPKind { case zero, finite, infinity, qnan, snan }

/// An unpacked operand: for finite values, magnitude = sig × 2^exp with sig != 0.
struct FPValue {
    var kind: FPKind
    var sign: Bool
    var exp: Int = 0
    var sig: UInt64 = 0

    var isNaN: Bool { kind == .qnan || kind == .snan }
    @inline(__always) var isZero: Bool { kind == .zero }
    var isInf: Bool { kind == .infinity }
}

/// FPUnpack. Single and double denormals are flushed to zero under FPCR.FZ (raising
/// IDC); half precision ignores FZ (FZ16 is not implemented) and honours AHP only for
/// conversions (`ahp`).
func fpUnpack(_ bits: UInt64, _ f: FPFormat, _ env: inout FPEnv, ahp: Bool = false) -> FPValue {
    let sign = bits & f.signBit != 0
    let e = Int((bits & f.expMask) >> UInt64(f.fracBits)), frac = bits & f.fracMask
    if e == 0 {
        if frac == 0 { return FPValue(kind: .zero, sign: sign) }
        if env.fz && f.width != 16 {
            env.flags |= FPFlag.idc
            return FPValue(kind: .zero, sign: sign)
        }
        return FPValue(kind: .finite, sign: sign, exp: f.minExp - f.fracBits, sig: frac)
    }
    if e == (1 << f.expBits) - 1 && !(f.width == 16 && ahp) {
        if frac == 0 { return FPValue(kind: .infinity, sign: sign) }
        return FPValue(kind: frac & f.quietBit != 0 ? .qnan : .snan, sign: sign)
    }
    return FPValue(kind: .finite, sign: sign, exp: e - f.bias - f.fracBits, sig: frac | 1 << UInt64(f.fracBits))
}

// MARK: Rounding

/// FPRoundBase: rounds sign × sig × 2^exp (sig != 0; a set bit 0 may stand for any
/// nonzero tail, as long as it lies at least two bits below the result's last place)
/// to format `f`. Tininess is detected before rounding, as Arm does. `cv` selects
/// FPRoundCV, where a half-precision result honours FPCR.AHP.
func fpRound(_ sign: Bool, _ exp: Int, _ sig: U128, _ f: FPFormat, _ env: inout FPEnv,
             _ rounding: FPRounding, cv: Bool = false) -> UInt64 {
    let fbits = f.fracBits, minExp = f.minExp
    let e = exp + sig.msb                      // sig × 2^exp lies in [2^e, 2^(e+1))
    if env.fz && f.width != 16 && e < minExp {
        env.flags |= FPFlag.ufc                // flushed: UFC but never IXC
        return f.zero(sign)
    }
    var biased = max(e - minExp + 1, 0)
    let drop = max(e, minExp) - fbits - exp    // bits of sig below the last kept place
    var mant: UInt64
    var tail = 0                               // rounding error: 0, or -1/0/+1 vs. half an ulp
    var inexact = false
    if drop <= 0 {
        mant = sig.lo << UInt64(-drop)
    } else {
        mant = (sig >> drop).lo
        let rem = sig.lowBits(drop)
        if !rem.isZero {
            inexact = true
            tail = drop > 128 ? -1 : rem.compare(U128(1) << (drop - 1))
        }
    }
    if biased == 0 && inexact { env.flags |= FPFlag.ufc }
    let roundUp: Bool, overflowToInf: Bool
    switch rounding {
    case .tieEven: roundUp = inexact && (tail > 0 || (tail == 0 && mant & 1 != 0)); overflowToInf = true
    case .posInf: roundUp = inexact && !sign; overflowToInf = !sign
    case .negInf: roundUp = inexact && sign; overflowToInf = sign
    case .zero, .odd: roundUp = false; overflowToInf = false
    case .tieAway: roundUp = inexact && tail >= 0; overflowToInf = true
    }
    if roundUp {
        mant += 1
        if mant == 1 << UInt64(fbits) { biased = 1 }            // denormal rounded up to normal
        if mant == 1 << UInt64(fbits + 1) { biased += 1; mant >>= 1 }
    }
    if inexact && rounding == .odd { mant |= 1 }
    var result: UInt64
    if !(cv && f.width == 16 && env.ahp) {
        if biased >= (1 << f.expBits) - 1 {
            result = overflowToInf ? f.infinity(sign) : f.maxNormal(sign)
            env.flags |= FPFlag.ofc
            inexact = true
        } else {
            result = f.zero(sign) | UInt64(biased) << UInt64(fbits) | (mant & f.fracMask)
        }
    } else {
        if biased >= 1 << f.expBits {
            result = f.zero(sign) | 0x7fff
            env.flags |= FPFlag.ioc
            inexact = false
        } else {
            result = f.zero(sign) | UInt64(biased) << UInt64(fbits) | (mant & f.fracMask)
        }
    }
    if inexact { env.flags |= FPFlag.ixc }
    return result
}

/// Rounds an unpacked finite value (FPRound of a value known exactly).
@inline(__always)
func fpRound(_ v: FPValue, _ f: FPFormat, _ env: inout FPEnv, _ rounding: FPRounding) -> UInt64 {
    fpRound(v.sign, v.exp, U128(v.sig), f, &env, rounding)
}

// MARK: NaNs

/// FPProcessNaN: quietens a signalling NaN (raising IOC); DN selects the default NaN.
func fpProcessNaN(_ v: FPValue, _ bits: UInt64, _ f: FPFormat, _ env: inout FPEnv) -> UInt64 {
    var r = bits
    if v.kind == .snan { r |= f.quietBit; env.flags |= FPFlag.ioc }
    return env.dn ? f.defaultNaN : r
}

/// FPProcessNaNs: the first signalling NaN, else the first quiet NaN; nil if neither.
func fpProcessNaNs(_ a: FPValue, _ ab: UInt64, _ b: FPValue, _ bb: UInt64,
                   _ f: FPFormat, _ env: inout FPEnv) -> UInt64? {
    if a.kind == .snan { return fpProcessNaN(a, ab, f, &env) }
    if b.kind == .snan { return fpProcessNaN(b, bb, f, &env) }
    if a.kind == .qnan { return fpProcessNaN(a, ab, f, &env) }
    if b.kind == .qnan { return fpProcessNaN(b, bb, f, &env) }
    return nil
}

/// FPProcessNaNs3, for fused multiply-add.
func fpProcessNaNs3(_ a: FPValue, _ ab: UInt64, _ b: FPValue, _ bb: UInt64, _ c: FPValue, _ cb: UInt64,
                    _ f: FPFormat, _ env: inout FPEnv) -> UInt64? {
    if a.kind == .snan { return fpProcessNaN(a, ab, f, &env) }
    if b.kind == .snan { return fpProcessNaN(b, bb, f, &env) }
    if c.kind == .snan { return fpProcessNaN(c, cb, f, &env) }
    if a.kind == .qnan { return fpProcessNaN(a, ab, f, &env) }
    if b.kind == .qnan { return fpProcessNaN(b, bb, f, &env) }
    if c.kind == .qnan { return fpProcessNaN(c, cb, f, &env) }
    return nil
}

/// The invalid-operation result: the default NaN, raising IOC.
@inline(__always) func fpInvalid(_ f: FPFormat, _ env: inout FPEnv) -> UInt64 {
    env.flags |= FPFlag.ioc
    return f.defaultNaN
}

// MARK: 128-bit integers

/// An unsigned 128-bit integer, just what exact significand arithmetic needs (the
/// standard library's UInt128 is not available on every deployment target).
struct U128: Equatable {
    var hi: UInt64, lo: UInt64

    @inline(__always) init(hi: UInt64, lo: UInt64) { self.hi = hi; self.lo = lo }
    @inline(__always) init(_ v: UInt64) { hi = 0; lo = v }

    var isZero: Bool { hi | lo == 0 }
    /// Index of the highest set bit; the value must be nonzero.
    @inline(__always) var msb: Int { hi != 0 ? 127 - hi.leadingZeroBitCount : 63 - lo.leadingZeroBitCount }

    @inline(__always) static func product(_ a: UInt64, _ b: UInt64) -> U128 {
        let (h, l) = a.multipliedFullWidth(by: b)
        return U128(hi: h, lo: l)
    }

    @inline(__always) static func << (a: U128, k: Int) -> U128 {
        if k == 0 { return a }
        if k >= 128 { return U128(0) }
        if k >= 64 { return U128(hi: a.lo << UInt64(k - 64), lo: 0) }
        return U128(hi: a.hi << UInt64(k) | a.lo >> UInt64(64 - k), lo: a.lo << UInt64(k))
    }

    @inline(__always) static func >> (a: U128, k: Int) -> U128 {
        if k == 0 { return a }
        if k >= 128 { return U128(0) }
        if k >= 64 { return U128(hi: 0, lo: a.hi >> UInt64(k - 64)) }
        return U128(hi: a.hi >> UInt64(k), lo: a.lo >> UInt64(k) | a.hi << UInt64(64 - k))
    }

    /// The low `k` bits.
    @inline(__always) func lowBits(_ k: Int) -> U128 {
        if k >= 128 { return self }
        if k >= 64 { return U128(hi: hi & ones(k - 64), lo: lo) }
        return U128(hi: 0, lo: lo & ones(k))
    }

    /// Shifts right, ORing any nonzero bits shifted out into bit 0.
    @inline(__always) func shiftRightJam(_ k: Int) -> U128 {
        if k == 0 { return self }
        var r = self >> k
        if !lowBits(k).isZero { r.lo |= 1 }
        return r
    }

    @inline(__always) static func + (a: U128, b: U128) -> U128 {
        let (l, c) = a.lo.addingReportingOverflow(b.lo)
        return U128(hi: a.hi &+ b.hi &+ (c ? 1 : 0), lo: l)
    }

    @inline(__always) static func - (a: U128, b: U128) -> U128 {
        let (l, c) = a.lo.subtractingReportingOverflow(b.lo)
        return U128(hi: a.hi &- b.hi &- (c ? 1 : 0), lo: l)
    }

    @inline(__always) static func | (a: U128, b: U128) -> U128 { U128(hi: a.hi | b.hi, lo: a.lo | b.lo) }

    /// -1, 0 or 1 as self is below, equal to or above `b`.
    @inline(__always) func compare(_ b: U128) -> Int {
        if hi != b.hi { return hi < b.hi ? -1 : 1 }
        if lo != b.lo { return lo < b.lo ? -1 : 1 }
        return 0
    }

    /// Integer square root and whether it was exact (restoring, two bits per step).
    func squareRoot() -> (UInt64, Bool) {
        var rem = U128(0), root: UInt64 = 0, n = self
        for _ in 0..<64 {
            rem = (rem << 2) | (n >> 126)
            n = n << 2
            let trial = (U128(root) << 2) | U128(1)
            root <<= 1
            if rem.compare(trial) >= 0 { rem = rem - trial; root |= 1 }
        }
        return (root, rem.isZero)
    }
}
