// Scalar floating point that has no vector counterpart (Arm ARM C7: FNMUL, FMADD and
// its negated forms, FCMP(E), FCCMP(E), FCSEL, FMOV immediate, FCVT between precisions)
// and the transfers and conversions between FP and general registers (FMOV general,
// FCVT*S/U, SCVTF/UCVTF, with their fixed-point forms).

extension CPU {
    /// Group 2. x = operand es; results clear the rest of Vd.
    func fpScalar(_ s: Slot) {
        let es = Int(s.x), f = FPFormat.of(es), mask = ones(f.width), sign = f.signBit
        let n = v[Int(s.n) &<< 1] & mask, m = v[Int(s.m) &<< 1] & mask
        let p = s.payload
        var env = fpEnv
        switch s.fop {
        case .fnmul: setVreg(s.d, low: fpMul(n, m, f, &env) ^ sign)
        case .fmadd, .fmsub, .fnmadd, .fnmsub:
            // FPMulAdd(a, n, m) with FPNeg applied as each form defines (NaNs included).
            let a = v[Int(s.a) &<< 1] & mask
            let negA = s.fop == .fnmadd || s.fop == .fnmsub, negN = s.fop == .fmsub || s.fop == .fnmadd
            setVreg(s.d, low: fpMulAdd(negA ? a ^ sign : a, negN ? n ^ sign : n, m, f, &env))
        case .fcmp:
            let nzcv = fpCompare(n, p & 2 != 0 ? 0 : m, f, &env, signalling: p & 1 != 0)
            self.nzcv = nzcv << 28
        case .fccmp:
            if conditionHolds(p & 15) {
                nzcv = fpCompare(n, m, f, &env, signalling: p & (1 << 8) != 0) << 28
            } else {
                nzcv = ((p >> 4) & 15) << 28
            }
        case .fcsel: setVreg(s.d, low: conditionHolds(p) ? n : m)
        case .fmovImm: setVreg(s.d, low: vfpExpandImm(p, f))
        default:  // .fcvt: x = source es, payload = destination es
            let to = FPFormat.of(Int(p))
            setVreg(s.d, low: fpConvert(n, from: f, to: to, &env, env.rounding))
        }
        raise(env)
    }

    /// Group 3. x = FP es, y = 1 for an X register.
    func fpTransfer(_ s: Slot) {
        let es = Int(s.x), f = FPFormat.of(es), p = s.payload
        let width = s.y == 1 ? 64 : 32
        switch s.fop {
        case .fmovToGPR:
            x[Int(s.d)] = p & 1 != 0 ? v[Int(s.n) &<< 1 &+ 1] : v[Int(s.n) &<< 1] & ones(8 << es)
        case .fmovFromGPR:
            if p & 1 != 0 { v[Int(s.d) &<< 1 &+ 1] = x[Int(s.n)] }       // Vd.D[1]: the low half stays
            else { setVreg(s.d, low: x[Int(s.n)] & ones(8 << es)) }
        case .fcvtToGPR:
            var env = fpEnv
            let rounding = FPRounding(rawValue: UInt8(p & 15))!
            x[Int(s.d)] = fpToFixed(v[Int(s.n) &<< 1] & ones(f.width), f, &env, fbits: Int(p >> 8),
                                    unsigned: p & 16 != 0, width: width, rounding)
            raise(env)
        default:  // .gprToFP
            var env = fpEnv
            setVreg(s.d, low: fixedToFP(x[Int(s.n)], width: width, unsigned: p & 1 != 0, fbits: Int(p >> 8),
                                        f, &env, env.rounding))
            raise(env)
        }
    }

    /// ConditionHolds for a 4-bit condition against PSTATE.NZCV.
    @inline(__always) func conditionHolds(_ cond: UInt64) -> Bool {
        (conditions[Int(cond & 15)] &>> UInt16(nzcv >> 28)) & 1 != 0
    }
}

/// VFPExpandImm: the 8-bit FMOV immediate as a single or double: sign, NOT(b6),
/// b6 replicated, b5:b4 as the exponent, b3:b0 as the top fraction bits.
func vfpExpandImm(_ imm8: UInt64, _ f: FPFormat) -> UInt64 {
    let b6 = (imm8 >> 6) & 1, e = f.expBits
    let exp = (b6 ^ 1) << UInt64(e - 1) | (b6 == 1 ? ones(e - 3) << 2 : 0) | (imm8 >> 4) & 3
    return (imm8 >> 7) << UInt64(f.width - 1) | exp << UInt64(f.fracBits) | (imm8 & 15) << UInt64(f.fracBits - 4)
}
