// Advanced SIMD floating point (and the scalar FP operations that are the same
// element operation on one lane): arithmetic, fused multiply-add, comparisons,
// pairwise and across-lanes reductions, rounding, conversions and estimates.

extension CPU {
    /// Group 4: two-operand element-wise FP. x = es (2, 3), y = Shape.
    func floatBinary(_ s: Slot) {
        let es = Int(s.x), f = FPFormat.of(es), count = elementCount(s), sign = f.signBit
        let a = vreg(s.n), b = operandM(s)
        let all = ones(f.width), scalar = s.y == Shape.scalar
        var env = fpEnv
        let r: V128
        switch s.fop {
        case .fadd: r = mapLanes(a, b, es, count) { fpAdd($0, $1, f, &env) }
        case .fsub: r = mapLanes(a, b, es, count) { fpAdd($0, $1, f, &env, negate: true) }
        case .fmul: r = mapLanes(a, b, es, count) { fpMul($0, $1, f, &env) }
        case .fmulx: r = mapLanes(a, b, es, count) { fpMul($0, $1, f, &env, mulx: true) }
        case .fdiv: r = mapLanes(a, b, es, count) { fpDiv($0, $1, f, &env) }
        case .fmax: r = mapLanes(a, b, es, count) { fpMinMax($0, $1, f, &env, max: true, num: false) }
        case .fmin: r = mapLanes(a, b, es, count) { fpMinMax($0, $1, f, &env, max: false, num: false) }
        case .fmaxnm: r = mapLanes(a, b, es, count) { fpMinMax($0, $1, f, &env, max: true, num: true) }
        case .fminnm: r = mapLanes(a, b, es, count) { fpMinMax($0, $1, f, &env, max: false, num: true) }
        case .fabd: r = mapLanes(a, b, es, count) { fpAdd($0, $1, f, &env, negate: true) & ~sign }
        case .fmla: r = mapLanes(a, b, vreg(s.d), es, count) { fpMulAdd($2, $0, $1, f, &env) }
        case .fmls: r = mapLanes(a, b, vreg(s.d), es, count) { fpMulAdd($2, $0 ^ sign, $1, f, &env) }
        case .fcmeq: r = mapLanes(a, b, es, count) { fpCompareCondition($0, $1, .eq, f, &env) ? all : 0 }
        case .fcmge: r = mapLanes(a, b, es, count) { fpCompareCondition($0, $1, .ge, f, &env) ? all : 0 }
        case .fcmgt: r = mapLanes(a, b, es, count) { fpCompareCondition($0, $1, .gt, f, &env) ? all : 0 }
        case .facge: r = mapLanes(a, b, es, count) { fpCompareCondition($0 & ~sign, $1 & ~sign, .ge, f, &env) ? all : 0 }
        case .facgt: r = mapLanes(a, b, es, count) { fpCompareCondition($0 & ~sign, $1 & ~sign, .gt, f, &env) ? all : 0 }
        case .frecps: r = mapLanes(a, b, es, count) { fpStepFused($0, $1, f, &env, sqrt: false) }
        case .frsqrts: r = mapLanes(a, b, es, count) { fpStepFused($0, $1, f, &env, sqrt: true) }
        case .faddp: r = pairLanes(a, b, es, count, scalar: scalar) { fpAdd($0, $1, f, &env) }
        case .fmaxp: r = pairLanes(a, b, es, count, scalar: scalar) { fpMinMax($0, $1, f, &env, max: true, num: false) }
        case .fminp: r = pairLanes(a, b, es, count, scalar: scalar) { fpMinMax($0, $1, f, &env, max: false, num: false) }
        case .fmaxnmp: r = pairLanes(a, b, es, count, scalar: scalar) { fpMinMax($0, $1, f, &env, max: true, num: true) }
        default: r = pairLanes(a, b, es, count, scalar: scalar) { fpMinMax($0, $1, f, &env, max: false, num: true) }
        }
        setVreg(s.d, r)
        raise(env)
    }

    /// Group 5: one-operand element-wise FP, conversions and reductions.
    func floatUnary(_ s: Slot) {
        let es = Int(s.x), f = FPFormat.of(es), count = elementCount(s), sign = f.signBit
        let a = vreg(s.n), p = s.payload, all = ones(8 << es)
        var env = fpEnv
        var r: V128
        switch s.fop {
        case .fabs: r = mapLanes(a, es, count) { $0 & ~sign }
        case .fneg: r = mapLanes(a, es, count) { $0 ^ sign }
        case .fsqrt: r = mapLanes(a, es, count) { fpSqrt($0, f, &env) }
        case .frint:
            let rounding = p & 15 == 7 ? env.rounding : FPRounding(rawValue: UInt8(p & 15))!
            r = mapLanes(a, es, count) { fpRoundInt($0, f, &env, rounding, exact: p & 16 != 0) }
        case .fcvtToInt:
            let rounding = FPRounding(rawValue: UInt8(p & 15))!
            r = mapLanes(a, es, count) {
                fpToFixed($0, f, &env, fbits: Int(p >> 8), unsigned: p & 16 != 0, width: 8 << es, rounding)
            }
        case .intToFP:
            r = mapLanes(a, es, count) {
                fixedToFP($0, width: 8 << es, unsigned: p & 1 != 0, fbits: Int(p >> 8), f, &env, env.rounding)
            }
        case .fcmgt0: r = mapLanes(a, es, count) { fpCompareCondition($0, 0, .gt, f, &env) ? all : 0 }
        case .fcmeq0: r = mapLanes(a, es, count) { fpCompareCondition($0, 0, .eq, f, &env) ? all : 0 }
        case .fcmlt0: r = mapLanes(a, es, count) { fpCompareCondition(0, $0, .gt, f, &env) ? all : 0 }
        case .fcmge0: r = mapLanes(a, es, count) { fpCompareCondition($0, 0, .ge, f, &env) ? all : 0 }
        case .fcmle0: r = mapLanes(a, es, count) { fpCompareCondition(0, $0, .ge, f, &env) ? all : 0 }
        case .frecpe: r = mapLanes(a, es, count) { fpRecipEstimate($0, f, &env) }
        case .frsqrte: r = mapLanes(a, es, count) { fpRSqrtEstimate($0, f, &env) }
        case .frecpx: r = mapLanes(a, es, count) { fpRecpX($0, f, &env) }
        case .fcvtn:
            // x = destination es; the source elements are twice as wide.
            let from = FPFormat.of(es + 1), rounding = p & 1 != 0 ? FPRounding.odd : env.rounding
            var low = V128.zero
            for i in 0..<(s.y == Shape.scalar ? 1 : 8 >> es) {
                low.setElem(i, es, fpConvert(a.elem(i, es + 1), from: from, to: f, &env, rounding))
            }
            r = s.y == Shape.upper ? V128(lo: vreg(s.d).lo, hi: low.lo) : low
        case .fcvtl:
            let from = FPFormat.of(es - 1)
            let src = V128(lo: s.y == Shape.upper ? a.hi : a.lo, hi: 0)
            r = .zero
            for i in 0..<(8 >> (es - 1)) {
                r.setElem(i, es, fpConvert(src.elem(i, es - 1), from: from, to: f, &env, env.rounding))
            }
        case .fmaxv: r = V128(lo: reduceLanes(a, es, count) { fpMinMax($0, $1, f, &env, max: true, num: false) }, hi: 0)
        case .fminv: r = V128(lo: reduceLanes(a, es, count) { fpMinMax($0, $1, f, &env, max: false, num: false) }, hi: 0)
        case .fmaxnmv: r = V128(lo: reduceLanes(a, es, count) { fpMinMax($0, $1, f, &env, max: true, num: true) }, hi: 0)
        default: r = V128(lo: reduceLanes(a, es, count) { fpMinMax($0, $1, f, &env, max: false, num: true) }, hi: 0)
        }
        setVreg(s.d, r)
        raise(env)
    }
}
