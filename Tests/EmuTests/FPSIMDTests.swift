import Testing
@testable import Emu

/// FP and Advanced SIMD: the soft-float core on its tricky cases (NaN propagation,
/// rounding modes, tininess before rounding, flush-to-zero, FPSR flags, conversion
/// saturation, estimates), and whole instructions through decode and execute.

// MARK: - Helpers

/// FPCR values: RMode in bits 23:22, FZ 24, DN 25, AHP 26.
private enum FPCR {
    static let rn: UInt64 = 0, rp: UInt64 = 1 << 22, rm: UInt64 = 2 << 22, rz: UInt64 = 3 << 22
    static let fz: UInt64 = 1 << 24, dn: UInt64 = 1 << 25, ahp: UInt64 = 1 << 26
}

private let S = FPFormat.single, D = FPFormat.double, H = FPFormat.half
private let ioc = FPFlag.ioc, dzc = FPFlag.dzc, ofc = FPFlag.ofc, ufc = FPFlag.ufc, ixc = FPFlag.ixc, idc = FPFlag.idc

private func f32(_ v: Float) -> UInt64 { UInt64(v.bitPattern) }
private func f64(_ v: Double) -> UInt64 { v.bitPattern }

/// Runs `body` under `fpcr`, returning its result and the flags it raised.
private func fp(_ fpcr: UInt64 = 0, _ body: (inout FPEnv) -> UInt64) -> (UInt64, UInt32) {
    var env = FPEnv(fpcr: fpcr)
    let r = body(&env)
    return (r, env.flags)
}

/// A CPU at EL1 with 1 MiB of RAM at 0x4000_0000, MMU off, FP/SIMD enabled.
private final class Machine {
    static let base: UInt64 = 0x4000_0000
    let bus = Bus()
    let cpu: CPU

    init() {
        _ = try! bus.addRAM(base: Self.base, size: 1 << 20)
        cpu = CPU(index: 0, bus: bus, codeCache: CPU.makeCodeCache(bus: bus))
        cpu.reset(entry: Self.base, el: 1)
        cpu.st.pointee.cpacrEL1 = 3 << 20
        cpu.st.pointee.vbarEL1 = Self.base + 0x8_0000
    }

    /// Runs `words` placed at the start of RAM, one budget unit per instruction.
    @discardableResult func run(_ words: [UInt32]) -> Exit {
        for (i, w) in words.enumerated() { _ = cpu.debugWrite(Self.base + UInt64(4 * i), size: 4, value: UInt64(w)) }
        cpu.pc = Self.base
        return cpu.run(UInt64(words.count))
    }

    func setV(_ n: Int, _ lo: UInt64, _ hi: UInt64 = 0) { cpu.v[2 * n] = lo; cpu.v[2 * n + 1] = hi }
    func v(_ n: Int) -> (UInt64, UInt64) { (cpu.v[2 * n], cpu.v[2 * n + 1]) }
    func poke(_ addr: UInt64, _ bytes: [UInt8]) {
        for (i, b) in bytes.enumerated() { _ = cpu.debugWrite(addr + UInt64(i), size: 1, value: UInt64(b)) }
    }
    func peek(_ addr: UInt64, _ count: Int) -> [UInt8] {
        (0..<count).map { UInt8(cpu.debugRead(addr + UInt64($0), size: 1)!) }
    }
}

// MARK: - Soft-float core

@Suite struct SoftFloatTests {
    @Test func nanPropagation() {
        // The first signalling NaN wins over an earlier quiet one, quietened, with IOC.
        #expect(fp { fpAdd(0x7fc0_0002, 0x7f80_0001, S, &$0) } == (0x7fc0_0001, ioc))
        // Two quiet NaNs: the first operand's, sign and payload kept, no flag.
        #expect(fp { fpAdd(0x7fc0_0005, 0xffc0_0007, S, &$0) } == (0x7fc0_0005, 0))
        #expect(fp { fpMul(f32(1), 0xff80_0003, S, &$0) } == (0xffc0_0003, ioc))
        // FPCR.DN: the default NaN instead.
        #expect(fp(FPCR.dn) { fpAdd(0xffc0_0005, f32(1), S, &$0) } == (0x7fc0_0000, 0))
        #expect(fp(FPCR.dn) { fpSqrt(0x7ff0_0000_0000_0001, D, &$0) } == (0x7ff8_0000_0000_0000, ioc))
        // Invalid operations produce the default NaN.
        #expect(fp { fpAdd(f32(.infinity), f32(-.infinity), S, &$0) } == (0x7fc0_0000, ioc))
        #expect(fp { fpMul(f32(0), f32(.infinity), S, &$0) } == (0x7fc0_0000, ioc))
        #expect(fp { fpMul(f32(0), f32(-.infinity), S, &$0, mulx: true) } == (f32(-2), 0))
        #expect(fp { fpDiv(f32(0), f32(-0.0), S, &$0) } == (0x7fc0_0000, ioc))
        #expect(fp { fpSqrt(f64(-1), D, &$0) } == (0x7ff8_0000_0000_0000, ioc))
    }

    @Test func fusedMultiplyAddNaNs() {
        // FPMulAdd: a quiet NaN addend with infinity × zero is still Invalid (default NaN).
        #expect(fp { fpMulAdd(0x7fc0_1234, f32(.infinity), f32(0), S, &$0) } == (0x7fc0_0000, ioc))
        // NaN order: addend, op1, op2, signalling ones first.
        #expect(fp { fpMulAdd(0x7fc0_0001, 0x7f80_0002, f32(1), S, &$0) } == (0x7fc0_0002, ioc))
        #expect(fp { fpMulAdd(0x7fc0_0001, 0x7fc0_0002, f32(1), S, &$0) } == (0x7fc0_0001, 0))
        // Exact cancellation: +0, or -0 rounding toward minus infinity.
        #expect(fp { fpMulAdd(f64(-6), f64(2), f64(3), D, &$0) } == (0, 0))
        #expect(fp(FPCR.rm) { fpMulAdd(f64(-6), f64(2), f64(3), D, &$0) } == (f64(-0.0), 0))
        // One rounding: 1 + 2^-30 × 2^-30 is not exactly representable in single precision.
        let tiny = f32(Float(sign: .plus, exponent: -30, significand: 1))
        #expect(fp { fpMulAdd(f32(1), tiny, tiny, S, &$0) } == (f32(1), ixc))
        #expect(fp(FPCR.rp) { fpMulAdd(f32(1), tiny, tiny, S, &$0) } == (f32(Float(1).nextUp), ixc))
    }

    @Test func roundingModes() {
        let halfUlp = f32(Float(sign: .plus, exponent: -24, significand: 1))
        let cases: [(UInt64, UInt64, UInt64)] = [
            (FPCR.rn, f32(1), f32(-1)), (FPCR.rp, f32(Float(1).nextUp), f32(-1)),
            (FPCR.rm, f32(1), f32(-Float(1).nextUp)), (FPCR.rz, f32(1), f32(-1)),
        ]
        for (mode, pos, neg) in cases {
            #expect(fp(mode) { fpAdd(f32(1), halfUlp, S, &$0) } == (pos, ixc))
            #expect(fp(mode) { fpAdd(f32(-1), halfUlp | S.signBit, S, &$0) } == (neg, ixc))
        }
        // Ties to even goes up from an odd significand.
        #expect(fp { fpAdd(f32(Float(1).nextUp), halfUlp, S, &$0) } == (f32(Float(1).nextUp.nextUp), ixc))
        // Overflow: infinity or the largest normal, per mode and sign.
        #expect(fp { fpMul(f32(.greatestFiniteMagnitude), f32(2), S, &$0) } == (f32(.infinity), ofc | ixc))
        #expect(fp(FPCR.rz) { fpMul(f32(.greatestFiniteMagnitude), f32(2), S, &$0) } == (f32(.greatestFiniteMagnitude), ofc | ixc))
        #expect(fp(FPCR.rp) { fpMul(f64(-.greatestFiniteMagnitude), f64(2), D, &$0) } == (f64(-.greatestFiniteMagnitude), ofc | ixc))
        #expect(fp(FPCR.rm) { fpMul(f64(-.greatestFiniteMagnitude), f64(2), D, &$0) } == (f64(-.infinity), ofc | ixc))
        // Exact zero sums: +0, or -0 toward minus infinity.
        #expect(fp { fpAdd(f64(1), f64(-1), D, &$0) } == (0, 0))
        #expect(fp(FPCR.rm) { fpAdd(f64(1), f64(-1), D, &$0) } == (f64(-0.0), 0))
        #expect(fp { fpAdd(f64(-0.0), f64(-0.0), D, &$0) } == (f64(-0.0), 0))
        // Division and square root are correctly rounded in every mode.
        #expect(fp(FPCR.rz) { fpDiv(f64(1), f64(3), D, &$0) } == (f64(1.0 / 3.0), ixc))   // 0x3fd5...5 rounds down anyway
        #expect(fp(FPCR.rp) { fpDiv(f64(1), f64(3), D, &$0) } == (f64((1.0 / 3.0).nextUp), ixc))
        #expect(fp(FPCR.rm) { fpSqrt(f64(2), D, &$0) } == (f64(2.0.squareRoot().nextDown), ixc))
        #expect(fp(FPCR.rp) { fpSqrt(f64(2), D, &$0) } == (f64(2.0.squareRoot()), ixc))   // RN rounded up
        #expect(fp { fpSqrt(f32(0.25), S, &$0) } == (f32(0.5), 0))
        #expect(fp { fpDiv(f32(1), f32(0), S, &$0) } == (f32(.infinity), dzc))
    }

    @Test func underflowIsDetectedBeforeRounding() {
        // (1 - 2^-24) × 2^-126 lies below the smallest normal but rounds up to it: Arm
        // still signals Underflow (x86 detects tininess after rounding and would not).
        let justBelowOne = f32(Float(1).nextDown), minNormal = f32(.leastNormalMagnitude)
        #expect(fp { fpMul(justBelowOne, minNormal, S, &$0) } == (minNormal, ufc | ixc))
        // An exact denormal result raises nothing.
        #expect(fp { fpMul(minNormal, f32(0.5), S, &$0) } == (0x0040_0000, 0))
        // Flush-to-zero: tiny results become zero with UFC only; denormal inputs are
        // zeros with IDC.
        #expect(fp(FPCR.fz) { fpMul(justBelowOne, minNormal, S, &$0) } == (0, ufc))
        #expect(fp(FPCR.fz) { fpMul(minNormal, f32(-0.5), S, &$0) } == (S.signBit, ufc))
        #expect(fp(FPCR.fz) { fpAdd(0x0000_0001, f32(1), S, &$0) } == (f32(1), idc))
        #expect(fp(FPCR.fz) { fpAdd(0x8000_0001, 0x8000_0000, S, &$0) } == (S.signBit, idc))
        #expect(fp(FPCR.fz) { fpMinMax(0x0000_0001, 0x8000_0000, S, &$0, max: true, num: false) } == (0, idc))
        // Half precision ignores FZ (FZ16 is not implemented): the denormal converts.
        #expect(fp(FPCR.fz) { fpConvert(0x0001, from: H, to: S, &$0, .tieEven) } == (f32(Float(sign: .plus, exponent: -24, significand: 1)), 0))
    }

    @Test func minMaxAndCompare() {
        #expect(fp { fpMinMax(f32(-0.0), f32(0), S, &$0, max: true, num: false) } == (0, 0))
        #expect(fp { fpMinMax(f32(0), f32(-0.0), S, &$0, max: false, num: false) } == (S.signBit, 0))
        // FMAXNM: a single quiet NaN loses; a signalling NaN still propagates.
        #expect(fp { fpMinMax(0x7fc0_0000, f32(3), S, &$0, max: true, num: true) } == (f32(3), 0))
        #expect(fp { fpMinMax(0x7f80_0001, f32(3), S, &$0, max: true, num: true) } == (0x7fc0_0001, ioc))
        #expect(fp { fpMinMax(0x7fc0_0000, f32(3), S, &$0, max: true, num: false) } == (0x7fc0_0000, 0))
        // FCMP: unordered is 0011; FCMPE signals on quiet NaNs too.
        #expect(fp { fpCompare(f64(1), 0x7ff8_0000_0000_0000, D, &$0, signalling: false) } == (0b0011, 0))
        #expect(fp { fpCompare(f64(1), 0x7ff8_0000_0000_0000, D, &$0, signalling: true) } == (0b0011, ioc))
        #expect(fp { fpCompare(f64(-0.0), 0, D, &$0, signalling: false) } == (0b0110, 0))
        #expect(fp { fpCompare(f64(-2), f64(1), D, &$0, signalling: false) } == (0b1000, 0))
        #expect(fp { fpCompare(f64(.infinity), f64(1), D, &$0, signalling: false) } == (0b0010, 0))
    }

    @Test func integerConversions() {
        // Saturation with Invalid Operation, never Inexact with it.
        #expect(fp { fpToFixed(f64(1e20), D, &$0, fbits: 0, unsigned: false, width: 64, .zero) } == (0x7fff_ffff_ffff_ffff, ioc))
        #expect(fp { fpToFixed(f64(-1e20), D, &$0, fbits: 0, unsigned: false, width: 64, .zero) } == (0x8000_0000_0000_0000, ioc))
        #expect(fp { fpToFixed(f64(-9223372036854775808.0), D, &$0, fbits: 0, unsigned: false, width: 64, .zero) } == (0x8000_0000_0000_0000, 0))
        #expect(fp { fpToFixed(0x7ff8_0000_0000_0000, D, &$0, fbits: 0, unsigned: false, width: 32, .zero) } == (0, ioc))
        #expect(fp { fpToFixed(f32(-1.5), S, &$0, fbits: 0, unsigned: true, width: 32, .zero) } == (0, ioc))
        #expect(fp { fpToFixed(f32(-0.5), S, &$0, fbits: 0, unsigned: true, width: 32, .zero) } == (0, ixc))
        #expect(fp { fpToFixed(f64(2147483647.5), D, &$0, fbits: 0, unsigned: false, width: 32, .zero) } == (0x7fff_ffff, ixc))
        #expect(fp { fpToFixed(f64(2147483648.0), D, &$0, fbits: 0, unsigned: false, width: 32, .zero) } == (0x7fff_ffff, ioc))
        #expect(fp { fpToFixed(f64(.infinity), D, &$0, fbits: 0, unsigned: true, width: 64, .zero) } == (~0, ioc))
        // Rounding modes of FCVTNS/FCVTAS/FCVTPS/FCVTMS.
        #expect(fp { fpToFixed(f64(2.5), D, &$0, fbits: 0, unsigned: false, width: 64, .tieEven) } == (2, ixc))
        #expect(fp { fpToFixed(f64(-2.5), D, &$0, fbits: 0, unsigned: false, width: 64, .tieAway) } == (UInt64(bitPattern: -3), ixc))
        #expect(fp { fpToFixed(f64(-2.25), D, &$0, fbits: 0, unsigned: false, width: 64, .posInf) } == (UInt64(bitPattern: -2), ixc))
        #expect(fp { fpToFixed(f64(-2.25), D, &$0, fbits: 0, unsigned: false, width: 64, .negInf) } == (UInt64(bitPattern: -3), ixc))
        // Fixed point: 1.75 with 4 fraction bits is 28.
        #expect(fp { fpToFixed(f32(1.75), S, &$0, fbits: 4, unsigned: false, width: 32, .zero) } == (28, 0))
        #expect(fp { fixedToFP(12, width: 64, unsigned: false, fbits: 3, D, &$0, .tieEven) } == (f64(1.5), 0))
        #expect(fp { fixedToFP(0xffff_ffff, width: 32, unsigned: false, fbits: 0, S, &$0, .tieEven) } == (f32(-1), 0))
        #expect(fp { fixedToFP(~0, width: 64, unsigned: true, fbits: 0, D, &$0, .tieEven) } == (f64(18446744073709551616.0), ixc))
        #expect(fp { fixedToFP(~0, width: 64, unsigned: true, fbits: 0, D, &$0, .zero) } == (f64(18446744073709551615.0.nextDown), ixc))
    }

    @Test func roundToIntegral() {
        #expect(fp { fpRoundInt(f64(2.5), D, &$0, .tieEven, exact: true) } == (f64(2), ixc))
        #expect(fp { fpRoundInt(f64(2.5), D, &$0, .tieAway, exact: false) } == (f64(3), 0))
        #expect(fp { fpRoundInt(f64(-0.25), D, &$0, .tieEven, exact: false) } == (f64(-0.0), 0))
        #expect(fp { fpRoundInt(f32(-1.5), S, &$0, .posInf, exact: false) } == (f32(-1), 0))
        #expect(fp { fpRoundInt(0x7f80_0001, S, &$0, .zero, exact: false) } == (0x7fc0_0001, ioc))
        #expect(fp { fpRoundInt(f64(1e300), D, &$0, .zero, exact: true) } == (f64(1e300), 0))
    }

    @Test func precisionConversions() {
        // Overflow to half precision; with AHP the range is larger and there are no
        // infinities or NaNs (NaN converts to zero with IOC).
        #expect(fp { fpConvert(f64(65520), from: D, to: H, &$0, .tieEven) } == (0x7c00, ofc | ixc))
        #expect(fp(FPCR.ahp) { fpConvert(f64(65520), from: D, to: H, &$0, .tieEven) } == (0x7c00, ixc))
        #expect(fp(FPCR.ahp) { fpConvert(f64(1e6), from: D, to: H, &$0, .tieEven) } == (0x7fff, ioc))
        #expect(fp(FPCR.ahp) { fpConvert(0xfff8_0000_0000_0000, from: D, to: H, &$0, .tieEven) } == (0x8000, ioc))
        #expect(fp(FPCR.ahp) { fpConvert(0x7c00, from: H, to: S, &$0, .tieEven) } == (f32(65536), 0))
        // NaN payloads keep their top bits; a signalling NaN is quietened with IOC.
        #expect(fp { fpConvert(0x7c01, from: H, to: S, &$0, .tieEven) } == (0x7fc0_2000, ioc))
        #expect(fp { fpConvert(0xfff0_0000_2000_0000, from: D, to: S, &$0, .tieEven) } == (0xffc0_0001, ioc))
        // Round to odd (FCVTXN).
        #expect(fp { fpConvert(f64(1.0 + 0x1p-40), from: D, to: S, &$0, .odd) } == (0x3f80_0001, ixc))
        // Denormal results: underflow only when inexact.
        #expect(fp { fpConvert(f64(0x1p-140), from: D, to: S, &$0, .tieEven) } == (0x0000_0200, 0))
        #expect(fp { fpConvert(f64(0x1p-140 * 1.5), from: D, to: S, &$0, .tieEven) } == (0x0000_0300, 0))
        #expect(fp { fpConvert(f64(0x1p-150 * 1.5), from: D, to: S, &$0, .tieEven) } == (0x0000_0001, ufc | ixc))
    }

    @Test func estimates() {
        #expect(fp { fpRecipEstimate(f32(1), S, &$0) } == (0x3f7f_8000, 0))
        #expect(fp { fpRecipEstimate(f32(-0.0), S, &$0) } == (f32(-.infinity), dzc))
        #expect(fp { fpRecipEstimate(0x0000_0001, S, &$0) } == (f32(.infinity), ofc | ixc))
        #expect(fp(FPCR.rz) { fpRecipEstimate(0x0000_0001, S, &$0) } == (f32(.greatestFiniteMagnitude), ofc | ixc))
        #expect(fp { fpRSqrtEstimate(f32(1), S, &$0) } == (0x3f7f_8000, 0))
        #expect(fp { fpRSqrtEstimate(f32(4), S, &$0) } == (0x3eff_8000, 0))
        #expect(fp { fpRSqrtEstimate(f64(-1), D, &$0) } == (0x7ff8_0000_0000_0000, ioc))
        #expect(fp { fpStepFused(f32(2), f32(0.5), S, &$0, sqrt: false) } == (f32(1), 0))
        #expect(fp { fpStepFused(f32(.infinity), f32(0), S, &$0, sqrt: true) } == (f32(1.5), 0))
        #expect(fp { fpRecpX(f64(3), D, &$0) } == (0x3ff0_0000_0000_0000, 0))   // exponent 0x400 inverted
        #expect(unsignedRecipEstimate(0x8000_0000) == 0xff80_0000)
        #expect(unsignedRSqrtEstimate(0x3fff_ffff) == 0xffff_ffff)
    }
}

// MARK: - Host fast paths

/// A deterministic pseudo-random generator (xorshift64*).
private struct Rand {
    var state: UInt64
    mutating func next() -> UInt64 {
        state ^= state >> 12; state ^= state << 25; state ^= state >> 27
        return state &* 0x2545_f491_4f6c_dd1d
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// Operands that exercise the fast paths' limits: exponents near the bottom, the top
/// and the middle of the range, short significands (exact results), and pairs that
/// cancel, differ by one ulp or straddle the smallest normal.
private func operand(_ r: inout Rand, _ f: FPFormat, like other: UInt64? = nil) -> UInt64 {
    let bias = f.bias, maxExp = (1 << f.expBits) - 2
    if let o = other, r.below(3) == 0 {
        switch r.below(4) {
        case 0: return o ^ f.signBit
        case 1: return o &+ 1
        case 2: return o ^ UInt64(r.below(4))
        default: return (o & ~f.expMask) | (UInt64(max(1, min(maxExp, Int((o & f.expMask) >> UInt64(f.fracBits)) - f.fracBits - 1 + r.below(3)))) << UInt64(f.fracBits))
        }
    }
    let exp: Int
    switch r.below(5) {
    case 0: exp = 1 + r.below(f.fracBits + 4)
    case 1: exp = maxExp - r.below(6)
    case 2: exp = bias / 2 + r.below(5) - 2
    default: exp = bias + r.below(21) - 10
    }
    var frac = r.next() & f.fracMask
    if r.below(3) == 0 { frac &= ~ones(f.fracBits - r.below(8)) }     // short significand
    if r.below(20) == 0 { return UInt64(r.below(2)) << UInt64(f.width - 1) }   // a zero: the fast path declines
    return UInt64(r.below(2)) << UInt64(f.width - 1) | UInt64(exp) << UInt64(f.fracBits) | frac
}

@Suite struct FastPathTests {
    /// Whenever a fast path answers, its value and flags equal the exact pseudocode path's.
    @Test func fastPathsAgreeWithTheExactPaths() {
        var r = Rand(state: 0x9e37_79b9_7f4a_7c15)
        var answered = 0, checked = 0
        for i in 0..<300_000 {
            let f = i & 1 == 0 ? S : D
            let a = operand(&r, f), b = operand(&r, f, like: a), c = operand(&r, f, like: a)
            func same(_ fast: (inout FPEnv) -> UInt64?, _ exact: (inout FPEnv) -> UInt64) {
                var e1 = FPEnv(fpcr: 0), e2 = FPEnv(fpcr: 0)
                checked += 1
                guard let v = fast(&e1) else { return }
                answered += 1
                let w = exact(&e2)
                #expect(v == w && e1.flags == e2.flags,
                        "\(String(a, radix: 16)) \(String(b, radix: 16)) \(String(c, radix: 16)): \(String(v, radix: 16))/\(e1.flags) vs \(String(w, radix: 16))/\(e2.flags)")
            }
            same({ fastAdd(a, b, f, negate: false, &$0) }, { fpAddExact(a, b, f, &$0) })
            same({ fastAdd(a, b, f, negate: true, &$0) }, { fpAddExact(a, b, f, &$0, negate: true) })
            same({ fastMul(a, b, f, &$0) }, { fpMulExact(a, b, f, &$0) })
            same({ fastDiv(a, b, f, &$0) }, { fpDivExact(a, b, f, &$0) })
            same({ fastSqrt(a, f, &$0) }, { fpSqrtExact(a, f, &$0) })
            same({ fastMulAdd(c, a, b, f, &$0) }, { fpMulAddExact(c, a, b, f, &$0) })
        }
        #expect(answered > checked / 3, "fast paths answered only \(answered) of \(checked)")
    }

    /// Outside round-to-nearest the fast paths never answer.
    @Test func otherRoundingModesTakeTheExactPath() {
        var env = FPEnv(fpcr: FPCR.rz)
        #expect(fastAdd(f64(1), f64(3), D, negate: false, &env) == nil)
        #expect(fastMulAdd(f32(1), f32(2), f32(3), S, &env) == nil)
    }
}

// MARK: - Whole instructions

@Suite struct FPSIMDInstructionTests {
    @Test func idRegisterAdvertisesFPAndAdvSIMD() {
        let pfr0 = IDRegs.pfr0(hasEL2: true, gicv3: true)
        #expect((pfr0 >> 16) & 0xf == 0 && (pfr0 >> 20) & 0xf == 0)
    }

    @Test func slotsCarryTheSubOperation() {
        #expect(MemoryLayout<FOp>.size == 1)
        for op in FOp.allCases {
            let s = fslot(op, d: 1, n: 2, m: 3, es: 2, shape: Shape.q128, payload: 0xabcd)
            #expect(s.op == .fpsimd && s.fop == op && s.fgroup == UInt64(op.rawValue >> 8) && s.payload == 0xabcd)
        }
        #expect(fslot(.ldr, payload: UInt64(bitPattern: -16) & ones(48)).offset == UInt64(bitPattern: -16))
    }

    @Test func unallocatedEncodingsStayUndefined() {
        let d = Decoder.shared
        for w: UInt32 in [0x4e28_4820,   // AESE
                          0x0ee2_e020,   // PMULL 1Q (FEAT_PMULL)
                          0x5e28_0820,   // SHA1H
                          0x6e82_8420,   // SQRDMLAH (v8.1)
                          0x1ee2_2820,   // FADD (half precision)
                          0x1ee7_0020,   // FMOV Hd, Wn (FP16)
                          0x2e20_5800 | 1 << 23] {   // NOT/RBIT with size 10 (unallocated)
            #expect(d.decode(w).op == .undefined, "\(String(w, radix: 16))")
        }
        for w: UInt32 in [0x1e22_2820, 0x3dc0_0420, 0x4c40_0820, 0x4d40_b0a1, 0x9e58_0020, 0x6f07_f700,
                          0x4f72_3820, 0x6f0d_8c20, 0x4e42_5820] {
            #expect(d.decode(w).op == .fpsimd, "\(String(w, radix: 16))")
        }
    }

    @Test func accessTrapWhenCPACRDisablesFP() {
        let m = Machine()
        m.cpu.st.pointee.cpacrEL1 = 0
        m.run([0x1e22_2820])                      // fadd s0, s1, s2
        #expect(m.cpu.st.pointee.esrEL1 == (0x07 << 26 | 1 << 25 | 0x1e0_0000))
        #expect(m.cpu.pc == Machine.base + 0x8_0200)
        #expect(m.cpu.st.pointee.elrEL1 == Machine.base)
    }

    @Test func accessTrapsByExceptionLevel() {
        let fpAccess: UInt64 = 0x07 << 26 | 1 << 25 | 0x1e0_0000
        // CPACR_EL1.FPEN = 01 traps EL0 only.
        let m = Machine()
        m.cpu.st.pointee.cpacrEL1 = 1 << 20
        m.cpu.st.pointee.el = 0
        m.cpu.st.pointee.spsel = 0
        m.run([0x1e22_2820])
        #expect(m.cpu.el == 1 && m.cpu.st.pointee.esrEL1 == fpAccess && m.cpu.pc == Machine.base + 0x8_0400)
        m.cpu.st.pointee.el = 1
        m.run([0x1e22_2820])                      // executes; the zero word after it is UNDEFINED
        #expect(m.cpu.st.pointee.elrEL1 == Machine.base + 4 && m.cpu.st.pointee.esrEL1 >> 26 == 0)
        // CPTR_EL2.TFP traps EL1 (and EL0) to EL2.
        let t = Machine()
        t.cpu.st.pointee.vbarEL2 = Machine.base + 0x9_0000
        t.cpu.st.pointee.cptrEL2 |= 1 << 10
        t.run([0x4e03_2020])                      // tbl
        #expect(t.cpu.el == 2 && t.cpu.st.pointee.esrEL2 == fpAccess && t.cpu.pc == Machine.base + 0x9_0400)
        // With HCR_EL2.TGE, a CPACR_EL1 trap from EL0 goes to EL2 as EC 0 (Arm ARM
        // AArch64.AdvSIMDFPAccessTrap).
        let g = Machine()
        g.cpu.st.pointee.vbarEL2 = Machine.base + 0x9_0000
        g.cpu.st.pointee.cpacrEL1 = 0
        g.cpu.st.pointee.hcrEL2 |= HCR.TGE
        g.cpu.st.pointee.el = 0
        g.cpu.st.pointee.spsel = 0
        g.run([0x3dc0_0420])                      // ldr q0, [x1, #16]
        #expect(g.cpu.el == 2 && g.cpu.st.pointee.esrEL2 == 1 << 25 && g.cpu.pc == Machine.base + 0x9_0400)
    }

    @Test func scalarArithmeticAndFlags() {
        let m = Machine()
        m.setV(1, f32(1), 0xdead)
        m.setV(2, f32(Float(sign: .plus, exponent: -24, significand: 1)))
        m.cpu.st.pointee.fpcr = FPCR.rp
        m.run([0x1e22_2820])                      // fadd s0, s1, s2
        #expect(m.v(0) == (f32(Float(1).nextUp), 0))
        #expect(m.cpu.st.pointee.fpsr == UInt64(ixc))
        // fnmadd s0, s1, s2, s3 with a NaN addend: FPNeg applies to the NaN too.
        m.setV(3, 0x7fc0_0009)
        m.cpu.st.pointee.fpsr = 0
        m.run([0x1f22_0c20])
        #expect(m.v(0) == (0xffc0_0009, 0))
        // fcvtzs x0, d1 saturates.
        m.setV(1, f64(-1e30))
        m.run([0x9e78_0020])
        #expect(m.cpu[0] == 0x8000_0000_0000_0000)
        #expect(m.cpu.st.pointee.fpsr == UInt64(ioc))
    }

    @Test func loadsAndStores() {
        let m = Machine()
        let buf = Machine.base + 0x1000
        m.poke(buf, (0..<64).map { UInt8($0) })
        m.cpu[1] = buf
        m.run([0x3dc0_0420])                      // ldr q0, [x1, #16]
        #expect(m.v(0) == (0x1716_1514_1312_1110, 0x1f1e_1d1c_1b1a_1918))
        m.run([0x4c40_0820])                      // ld4 {v0.4s-v3.4s}, [x1]
        #expect(m.v(0) == (0x1312_1110_0302_0100, 0x3332_3130_2322_2120))
        #expect(m.v(3) == (0x1f1e_1d1c_0f0e_0d0c, 0x3f3e_3d3c_2f2e_2d2c))
        m.cpu[5] = buf
        m.setV(1, 0, 0); m.setV(2, 0, 0); m.setV(3, 0, 0)
        m.run([0x4d40_b0a1])                      // ld3 {v1.s-v3.s}[3], [x5]
        #expect(m.v(1) == (0, 0x0302_0100_0000_0000) && m.v(3) == (0, 0x0b0a_0908_0000_0000))
        m.cpu[4] = buf + 4
        m.run([0x4d40_c886])                      // ld1r {v6.4s}, [x4]
        #expect(m.v(6) == (0x0706_0504_0706_0504, 0x0706_0504_0706_0504))
        // str q0, [x1, #-16]! writes back the base.
        m.setV(0, 0x8877_6655_4433_2211, 0xffee_ddcc_bbaa_0099)
        m.cpu[1] = buf + 0x40
        m.run([0x3c9f_0c20])
        #expect(m.cpu[1] == buf + 0x30)
        #expect(m.peek(buf + 0x30, 16) == [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
                                           0x99, 0x00, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff])
        // st2 {v4.8h, v5.8h}, [x2], x3 interleaves halfwords and post-increments by x3.
        m.setV(4, 0x0003_0002_0001_0000, 0x0007_0006_0005_0004)
        m.setV(5, 0x0103_0102_0101_0100, 0x0107_0106_0105_0104)
        m.cpu[2] = buf + 0x80
        m.cpu[3] = 5
        m.run([0x4c83_8444])
        #expect(m.cpu[2] == buf + 0x85)
        #expect(m.peek(buf + 0x80, 8) == [0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x01, 0x01])
    }

    @Test func stringFunctionOperations() {
        let m = Machine()
        m.setV(1, 0x0011_2233_4455_6677, 0x8899_aabb_ccdd_eeff)
        m.setV(2, 0x0011_0033_0055_0077, 0x0099_00bb_00dd_00ff)
        m.run([0x6e22_8c20])                      // cmeq v0.16b, v1.16b, v2.16b
        #expect(m.v(0) == (0xffff_00ff_00ff_00ff, 0x00ff_00ff_00ff_00ff))
        m.run([0x6e22_a420])                      // umaxp v0.16b, v1.16b, v2.16b
        #expect(m.v(0) == (0x99bb_ddff_1133_5577, 0x99bb_ddff_1133_5577))
        m.run([0x0f0c_8420])                      // shrn v0.8b, v1.8h, #4
        #expect(m.v(0) == (0x89ab_cdef_0123_4567, 0))
        m.run([0x4e31_b820])                      // addv b0, v1.16b
        #expect(m.v(0) == (0xf8, 0))
        m.setV(3, 0x1f10_0f00_ff20_0102, 0x0000_0000_0000_0011)
        m.run([0x4e03_2020])                      // tbl v0.16b, {v1.16b, v2.16b}, v3.16b
        #expect(m.v(0) == (0x0077_8877_0000_6655, 0x7777_7777_7777_7700))
    }
}
