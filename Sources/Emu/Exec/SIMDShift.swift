// Advanced SIMD shifts by immediate (Arm ARM C7), vector and scalar: right shifts with
// optional rounding and accumulation, left shifts and inserts, saturating left shifts,
// the narrowing right shifts and the widening SSHLL/USHLL. (The fixed-point FP
// conversions of this group run as floatUnary conversions.)

extension CPU {
    /// Group 10. x = es (narrowing: the destination's, widening: the source's),
    /// y = Shape, payload = shift amount.
    func shiftImmediate(_ s: Slot) {
        let es = Int(s.x), count = elementCount(s), bits = 8 << es, all = ones(bits)
        let amount = Int(s.payload), a = vreg(s.n)
        var sat = false
        var r: V128
        switch s.fop {
        case .sshr, .ushr, .srshr, .urshr:
            let signed = s.fop == .sshr || s.fop == .srshr, rounding = s.fop == .srshr || s.fop == .urshr
            r = mapLanes(a, es, count) {
                shiftElement($0, -amount, es, signed: signed, rounding: rounding, saturating: false, &sat)
            }
        case .ssra, .usra, .srsra, .ursra:
            let signed = s.fop == .ssra || s.fop == .srsra, rounding = s.fop == .srsra || s.fop == .ursra
            r = mapLanes(a, vreg(s.d), es, count) {
                $1 &+ shiftElement($0, -amount, es, signed: signed, rounding: rounding, saturating: false, &sat)
            }
        case .shl: r = mapLanes(a, es, count) { $0 << UInt64(amount) }
        case .sli:
            let keep = ~(all << UInt64(amount))
            r = mapLanes(a, vreg(s.d), es, count) { ($1 & keep) | ($0 << UInt64(amount)) }
        case .sri:
            // amount is 1...esize; shifting by esize leaves the destination unchanged.
            let field = amount == bits ? 0 : all >> UInt64(amount)
            r = mapLanes(a, vreg(s.d), es, count) { ($1 & ~field) | (amount == bits ? 0 : $0 >> UInt64(amount)) }
        case .sqshlImm: r = mapLanes(a, es, count) { saturatingShiftLeft($0, amount, es, signed: true, &sat) }
        case .uqshlImm: r = mapLanes(a, es, count) { saturatingShiftLeft($0, amount, es, signed: false, &sat) }
        case .sqshlu:
            r = mapLanes(a, es, count) { saturatingShiftLeft($0, amount, es, signed: true, signedToUnsigned: true, &sat) }
        case .sshll, .ushll:
            let half = s.y == Shape.upper ? a.hi : a.lo
            let n = 8 >> es
            r = .zero
            for i in 0..<n {
                let e = V128(lo: half, hi: 0).elem(i, es)
                let v = s.fop == .sshll ? UInt64(bitPattern: sext(e, es)) : e
                r.setElem(i, es + 1, v << UInt64(amount))
            }
        default:
            narrowingShift(s, a, amount)
            return
        }
        setVreg(s.d, r)
        saturated(sat)
    }

    /// SHRN, RSHRN and the saturating narrowing right shifts: each element of 2^(es+1)
    /// bytes is shifted right (rounding for the R forms), then truncated or saturated.
    private func narrowingShift(_ s: Slot, _ a: V128, _ amount: Int) {
        let es = Int(s.x), wide = es + 1
        let count = s.y == Shape.scalar ? 1 : 8 >> es
        let op = s.fop
        let rounding = op == .rshrn || op == .sqrshrn || op == .uqrshrn || op == .sqrshrun
        let signedSource = op == .sqshrn || op == .sqrshrn || op == .sqshrun || op == .sqrshrun
        var sat = false
        var r = V128.zero
        for i in 0..<count {
            let shifted = shiftElement(a.elem(i, wide), -amount, wide, signed: signedSource, rounding: rounding,
                                       saturating: false, &sat)
            let v: UInt64
            switch op {
            case .shrn, .rshrn: v = shifted
            case .sqshrn, .sqrshrn: v = satSigned(sext(shifted, wide), es, &sat)
            case .uqshrn, .uqrshrn: v = satUnsigned(shifted, es, &sat)
            default: v = satUnsigned(sext(shifted, wide), es, &sat)      // SQSHRUN, SQRSHRUN
            }
            r.setElem(i, es, v)
        }
        writeNarrow(s, r.lo)
        saturated(sat)
    }
}
