// Advanced SIMD widening and narrowing operations (Arm ARM C7): the "three different"
// group (long, wide and high-narrowing arithmetic, long multiplies, the saturating
// doubling multiplies, PMULL) and the narrowing moves XTN/SQXTN/UQXTN/SQXTUN and SHLL.
// x is the narrow element's es; y selects the upper half ("2" forms) or the scalar form.

extension CPU {
    /// Group 8.
    func intWidenNarrow(_ s: Slot) {
        let es = Int(s.x), wide = es + 1, bits = 8 << es
        let upper = s.y == Shape.upper
        let count = s.y == Shape.scalar ? 1 : 8 >> es      // narrow elements per 64-bit half
        let a = vreg(s.n), b = operandM(s)
        // The narrow operands of long forms: the selected half of Vn and Vm.
        let an = V128(lo: upper ? a.hi : a.lo, hi: 0), bn = V128(lo: upper ? b.hi : b.lo, hi: 0)
        var sat = false
        @inline(__always) func sa(_ i: Int) -> Int64 { sext(an.elem(i, es), es) }
        @inline(__always) func sb(_ i: Int) -> Int64 { sext(bn.elem(i, es), es) }
        @inline(__always) func ua(_ i: Int) -> UInt64 { an.elem(i, es) }
        @inline(__always) func ub(_ i: Int) -> UInt64 { bn.elem(i, es) }
        let acc = vreg(s.d)
        var r = V128.zero
        switch s.fop {
        case .saddl: for i in 0..<count { r.setElem(i, wide, UInt64(bitPattern: sa(i) + sb(i))) }
        case .uaddl: for i in 0..<count { r.setElem(i, wide, ua(i) + ub(i)) }
        case .ssubl: for i in 0..<count { r.setElem(i, wide, UInt64(bitPattern: sa(i) - sb(i))) }
        case .usubl: for i in 0..<count { r.setElem(i, wide, ua(i) &- ub(i)) }
        case .saddw: for i in 0..<count { r.setElem(i, wide, a.elem(i, wide) &+ UInt64(bitPattern: sb(i))) }
        case .uaddw: for i in 0..<count { r.setElem(i, wide, a.elem(i, wide) &+ ub(i)) }
        case .ssubw: for i in 0..<count { r.setElem(i, wide, a.elem(i, wide) &- UInt64(bitPattern: sb(i))) }
        case .usubw: for i in 0..<count { r.setElem(i, wide, a.elem(i, wide) &- ub(i)) }
        case .sabal: for i in 0..<count { r.setElem(i, wide, acc.elem(i, wide) &+ absDiff(ua(i), ub(i), es, signed: true)) }
        case .uabal: for i in 0..<count { r.setElem(i, wide, acc.elem(i, wide) &+ absDiff(ua(i), ub(i), es, signed: false)) }
        case .sabdl: for i in 0..<count { r.setElem(i, wide, absDiff(ua(i), ub(i), es, signed: true)) }
        case .uabdl: for i in 0..<count { r.setElem(i, wide, absDiff(ua(i), ub(i), es, signed: false)) }
        case .smlal: for i in 0..<count { r.setElem(i, wide, acc.elem(i, wide) &+ UInt64(bitPattern: sa(i) * sb(i))) }
        case .umlal: for i in 0..<count { r.setElem(i, wide, acc.elem(i, wide) &+ ua(i) * ub(i)) }
        case .smlsl: for i in 0..<count { r.setElem(i, wide, acc.elem(i, wide) &- UInt64(bitPattern: sa(i) * sb(i))) }
        case .umlsl: for i in 0..<count { r.setElem(i, wide, acc.elem(i, wide) &- ua(i) * ub(i)) }
        case .smull: for i in 0..<count { r.setElem(i, wide, UInt64(bitPattern: sa(i) * sb(i))) }
        case .umull: for i in 0..<count { r.setElem(i, wide, ua(i) * ub(i)) }
        case .sqdmull:
            for i in 0..<count { r.setElem(i, wide, doubledProduct(ua(i), ub(i), es, &sat)) }
        case .sqdmlal, .sqdmlsl:
            for i in 0..<count {
                let p = doubledProduct(ua(i), ub(i), es, &sat)
                let v = s.fop == .sqdmlal ? saturatingAdd(acc.elem(i, wide), p, wide, signed: true, &sat)
                                          : saturatingSub(acc.elem(i, wide), p, wide, signed: true, &sat)
                r.setElem(i, wide, v)
            }
        case .pmull: for i in 0..<count { r.setElem(i, wide, polynomialMul(ua(i), ub(i), 8)) }
        case .shll: for i in 0..<count { r.setElem(i, wide, ua(i) << UInt64(bits)) }
        // High-narrowing and narrowing forms: wide sources, a narrow half as the result.
        case .addhn, .raddhn, .subhn, .rsubhn:
            let round: UInt64 = s.fop == .raddhn || s.fop == .rsubhn ? 1 << UInt64(bits - 1) : 0
            let add = s.fop == .addhn || s.fop == .raddhn
            for i in 0..<count {
                let x = a.elem(i, wide), y = b.elem(i, wide)
                let sum = ((add ? x &+ y : x &- y) &+ round) & ones(2 * bits)
                r.setElem(i, es, sum >> UInt64(bits))
            }
            writeNarrow(s, r.lo)
            return
        case .xtn: for i in 0..<count { r.setElem(i, es, a.elem(i, wide)) }
        case .sqxtn: for i in 0..<count { r.setElem(i, es, satSigned(sext(a.elem(i, wide), wide), es, &sat)) }
        case .uqxtn: for i in 0..<count { r.setElem(i, es, satUnsigned(a.elem(i, wide), es, &sat)) }
        default:  // .sqxtun
            for i in 0..<count { r.setElem(i, es, satUnsigned(sext(a.elem(i, wide), wide), es, &sat)) }
        }
        saturated(sat)
        switch s.fop {
        case .xtn, .sqxtn, .uqxtn, .sqxtun: writeNarrow(s, r.lo)
        default: setVreg(s.d, r)
        }
    }

    /// Writes a narrowed result: to the lower half (upper cleared), or to the upper half
    /// keeping the lower one ("2" forms).
    @inline(__always) func writeNarrow(_ s: Slot, _ low: UInt64) {
        if s.y == Shape.upper { setVreg(s.d, V128(lo: vreg(s.d).lo, hi: low)) } else { setVreg(s.d, low: low) }
    }
}
