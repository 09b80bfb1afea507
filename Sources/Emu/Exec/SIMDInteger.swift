// Advanced SIMD integer element-wise operations (Arm ARM C7): the "three same" group
// (arithmetic, compares, shifts by register, min/max, absolute difference, doubling
// multiplies, pairwise and logical operations) and the one-operand "two-register misc"
// and "across lanes" groups.

extension CPU {
    /// Group 6. x = es, y = Shape; m may be an indexed element.
    func intBinary(_ s: Slot) {
        let es = Int(s.x), count = elementCount(s), all = ones(8 << es), scalar = s.y == Shape.scalar
        let a = vreg(s.n), b = operandM(s)
        var sat = false
        let r: V128
        switch s.fop {
        case .add: r = shaped(lanesAdd(a.lo, b.lo, es), lanesAdd(a.hi, b.hi, es), s)
        case .sub: r = shaped(lanesSub(a.lo, b.lo, es), lanesSub(a.hi, b.hi, es), s)
        case .mul: r = mapLanes(a, b, es, count) { $0 &* $1 }
        case .mla: r = mapLanes(a, b, vreg(s.d), es, count) { $2 &+ $0 &* $1 }
        case .mls: r = mapLanes(a, b, vreg(s.d), es, count) { $2 &- $0 &* $1 }
        case .pmul: r = mapLanes(a, b, es, count) { polynomialMul($0, $1, 8) }
        // Halving forms exist for es <= 2, so the intermediate sums fit in 64 bits.
        case .shadd: r = mapLanes(a, b, es, count) { UInt64(bitPattern: (sext($0, es) + sext($1, es)) >> 1) }
        case .uhadd: r = mapLanes(a, b, es, count) { ($0 + $1) >> 1 }
        case .srhadd: r = mapLanes(a, b, es, count) { UInt64(bitPattern: (sext($0, es) + sext($1, es) + 1) >> 1) }
        case .urhadd: r = mapLanes(a, b, es, count) { ($0 + $1 + 1) >> 1 }
        case .shsub: r = mapLanes(a, b, es, count) { UInt64(bitPattern: (sext($0, es) - sext($1, es)) >> 1) }
        case .uhsub: r = mapLanes(a, b, es, count) { UInt64(bitPattern: (Int64($0) - Int64($1)) >> 1) }
        case .sqadd: r = mapLanes(a, b, es, count) { saturatingAdd($0, $1, es, signed: true, &sat) }
        case .uqadd: r = mapLanes(a, b, es, count) { saturatingAdd($0, $1, es, signed: false, &sat) }
        case .sqsub: r = mapLanes(a, b, es, count) { saturatingSub($0, $1, es, signed: true, &sat) }
        case .uqsub: r = mapLanes(a, b, es, count) { saturatingSub($0, $1, es, signed: false, &sat) }
        case .cmgt: r = mapLanes(a, b, es, count) { sext($0, es) > sext($1, es) ? all : 0 }
        case .cmge: r = mapLanes(a, b, es, count) { sext($0, es) >= sext($1, es) ? all : 0 }
        case .cmhi: r = mapLanes(a, b, es, count) { $0 > $1 ? all : 0 }
        case .cmhs: r = mapLanes(a, b, es, count) { $0 >= $1 ? all : 0 }
        case .cmeq: r = shaped(~lanesNonZero(a.lo ^ b.lo, es), ~lanesNonZero(a.hi ^ b.hi, es), s)
        case .cmtst: r = shaped(lanesNonZero(a.lo & b.lo, es), lanesNonZero(a.hi & b.hi, es), s)
        case .sshl, .ushl, .sqshl, .uqshl, .srshl, .urshl, .sqrshl, .uqrshl:
            let signed = s.fop == .sshl || s.fop == .sqshl || s.fop == .srshl || s.fop == .sqrshl
            let rounding = s.fop == .srshl || s.fop == .urshl || s.fop == .sqrshl || s.fop == .uqrshl
            let saturating = s.fop == .sqshl || s.fop == .uqshl || s.fop == .sqrshl || s.fop == .uqrshl
            r = mapLanes(a, b, es, count) {
                shiftElement($0, shiftAmount($1), es, signed: signed, rounding: rounding, saturating: saturating, &sat)
            }
        case .smax: r = mapLanes(a, b, es, count) { sext($0, es) > sext($1, es) ? $0 : $1 }
        case .umax: r = mapLanes(a, b, es, count) { max($0, $1) }
        case .smin: r = mapLanes(a, b, es, count) { sext($0, es) < sext($1, es) ? $0 : $1 }
        case .umin: r = mapLanes(a, b, es, count) { min($0, $1) }
        case .sabd: r = mapLanes(a, b, es, count) { absDiff($0, $1, es, signed: true) }
        case .uabd: r = mapLanes(a, b, es, count) { absDiff($0, $1, es, signed: false) }
        case .saba: r = mapLanes(a, b, vreg(s.d), es, count) { $2 &+ absDiff($0, $1, es, signed: true) }
        case .uaba: r = mapLanes(a, b, vreg(s.d), es, count) { $2 &+ absDiff($0, $1, es, signed: false) }
        case .sqdmulh: r = mapLanes(a, b, es, count) { doublingMulHigh($0, $1, es, round: false, &sat) }
        case .sqrdmulh: r = mapLanes(a, b, es, count) { doublingMulHigh($0, $1, es, round: true, &sat) }
        case .addp: r = pairInt(a, b, es, count, scalar: scalar) { $0 &+ $1 }
        case .smaxp: r = pairInt(a, b, es, count, scalar: scalar) { sext($0, es) > sext($1, es) ? $0 : $1 }
        case .umaxp: r = pairInt(a, b, es, count, scalar: scalar) { max($0, $1) }
        case .sminp: r = pairInt(a, b, es, count, scalar: scalar) { sext($0, es) < sext($1, es) ? $0 : $1 }
        case .uminp: r = pairInt(a, b, es, count, scalar: scalar) { min($0, $1) }
        case .and: r = shaped(a.lo & b.lo, a.hi & b.hi, s)
        case .bic: r = shaped(a.lo & ~b.lo, a.hi & ~b.hi, s)
        case .orr: r = shaped(a.lo | b.lo, a.hi | b.hi, s)
        case .orn: r = shaped(a.lo | ~b.lo, a.hi | ~b.hi, s)
        case .eor: r = shaped(a.lo ^ b.lo, a.hi ^ b.hi, s)
        case .bsl:
            let d = vreg(s.d)
            r = shaped((d.lo & a.lo) | (~d.lo & b.lo), (d.hi & a.hi) | (~d.hi & b.hi), s)
        case .bit:
            let d = vreg(s.d)
            r = shaped(d.lo ^ ((d.lo ^ a.lo) & b.lo), d.hi ^ ((d.hi ^ a.hi) & b.hi), s)
        default:  // .bif
            let d = vreg(s.d)
            r = shaped(d.lo ^ ((d.lo ^ a.lo) & ~b.lo), d.hi ^ ((d.hi ^ a.hi) & ~b.hi), s)
        }
        setVreg(s.d, r)
        saturated(sat)
    }

    /// Group 7. x = es, y = Shape.
    func intUnary(_ s: Slot) {
        let es = Int(s.x), count = elementCount(s), bits = 8 << es, all = ones(bits)
        let a = vreg(s.n)
        var sat = false
        var r: V128
        switch s.fop {
        case .not: r = shaped(~a.lo, ~a.hi, s)
        case .rev16, .rev32, .rev64:
            // Reverse the elements inside each 2/4/8-byte container: flip the index bits.
            let container = s.fop == .rev16 ? 1 : s.fop == .rev32 ? 2 : 3
            let flip = (1 << (container - es)) - 1
            r = .zero
            for i in 0..<count { r.setElem(i, es, a.elem(i ^ flip, es)) }
        case .cls:
            r = mapLanes(a, es, count) {
                let x = ($0 ^ ($0 >> 1)) & ones(bits - 1)       // bits that differ from the one above
                return UInt64(bits - 1 - (64 - x.leadingZeroBitCount))
            }
        case .clz: r = mapLanes(a, es, count) { UInt64($0 == 0 ? bits : $0.leadingZeroBitCount - (64 - bits)) }
        case .cnt: r = mapLanes(a, es, count) { UInt64($0.nonzeroBitCount) }
        case .rbit: r = mapLanes(a, es, count) { reverseBits64($0) >> 56 }
        case .saddlp, .uaddlp, .sadalp, .uadalp:
            let signed = s.fop == .saddlp || s.fop == .sadalp
            let acc = s.fop == .sadalp || s.fop == .uadalp ? vreg(s.d) : .zero
            r = .zero
            for i in 0..<(count / 2) {
                let x0 = a.elem(2 * i, es), x1 = a.elem(2 * i + 1, es)
                let sum = signed ? UInt64(bitPattern: sext(x0, es) + sext(x1, es)) : x0 + x1
                r.setElem(i, es + 1, acc.elem(i, es + 1) &+ sum)
            }
        case .suqadd: r = mapLanes(vreg(s.d), a, es, count) { signedPlusUnsigned($0, $1, es, &sat) }
        case .usqadd: r = mapLanes(vreg(s.d), a, es, count) { unsignedPlusSigned($0, $1, es, &sat) }
        case .sqabs:
            r = mapLanes(a, es, count) {
                let x = sext($0, es)
                if x == ~signedMax(es) { sat = true; return UInt64(signedMax(es)) }
                return UInt64(x < 0 ? -x : x)
            }
        case .sqneg:
            r = mapLanes(a, es, count) {
                let x = sext($0, es)
                if x == ~signedMax(es) { sat = true; return UInt64(signedMax(es)) }
                return UInt64(bitPattern: -x)
            }
        case .abs: r = mapLanes(a, es, count) { sext($0, es) < 0 ? 0 &- $0 : $0 }
        case .neg: r = mapLanes(a, es, count) { 0 &- $0 }
        case .cmgt0: r = mapLanes(a, es, count) { sext($0, es) > 0 ? all : 0 }
        case .cmeq0: r = shaped(~lanesNonZero(a.lo, es), ~lanesNonZero(a.hi, es), s)
        case .cmlt0: r = mapLanes(a, es, count) { sext($0, es) < 0 ? all : 0 }
        case .cmge0: r = mapLanes(a, es, count) { sext($0, es) >= 0 ? all : 0 }
        case .cmle0: r = mapLanes(a, es, count) { sext($0, es) <= 0 ? all : 0 }
        case .urecpe: r = mapLanes(a, es, count) { unsignedRecipEstimate($0) }
        case .ursqrte: r = mapLanes(a, es, count) { unsignedRSqrtEstimate($0) }
        case .addv: r = V128(lo: foldInt(a, es, count) { $0 &+ $1 } & all, hi: 0)
        case .saddlv, .uaddlv:
            var sum: UInt64 = 0
            for i in 0..<count {
                sum &+= s.fop == .saddlv ? UInt64(bitPattern: sext(a.elem(i, es), es)) : a.elem(i, es)
            }
            r = V128(lo: sum & ones(2 * bits), hi: 0)
        case .smaxv: r = V128(lo: foldInt(a, es, count) { sext($0, es) > sext($1, es) ? $0 : $1 }, hi: 0)
        case .umaxv: r = V128(lo: foldInt(a, es, count) { max($0, $1) }, hi: 0)
        case .sminv: r = V128(lo: foldInt(a, es, count) { sext($0, es) < sext($1, es) ? $0 : $1 }, hi: 0)
        default: r = V128(lo: foldInt(a, es, count) { min($0, $1) }, hi: 0)   // .uminv
        }
        setVreg(s.d, r)
        saturated(sat)
    }

    /// A whole-register result: 64-bit shapes clear the upper half.
    @inline(__always) func shaped(_ lo: UInt64, _ hi: UInt64, _ s: Slot) -> V128 {
        V128(lo: lo, hi: s.y == Shape.q128 ? hi : 0)
    }
}
