// Advanced SIMD data movement (Arm ARM C7): DUP, INS, UMOV/SMOV (and the scalar DUP
// that FMOV register also decodes to), UZP/TRN/ZIP, EXT, TBL/TBX and the modified
// immediate instructions (MOVI, MVNI, ORR, BIC, FMOV vector).

extension CPU {
    /// Group 9. x = es, y = Shape.
    func permute(_ s: Slot) {
        let es = Int(s.x), count = elementCount(s), p = s.payload
        let q = s.y == Shape.q128
        switch s.fop {
        case .dupElem:
            let e = vreg(s.n).elem(Int(p), es)
            setVreg(s.d, mapLanes(.zero, es, count) { _ in e })
        case .dupGen:
            let e = x[Int(s.n)]
            setVreg(s.d, mapLanes(.zero, es, count) { _ in e })
        case .insGen:
            var r = vreg(s.d)
            r.setElem(Int(p), es, x[Int(s.n)])
            setVreg(s.d, r)
        case .insElem:
            var r = vreg(s.d)
            r.setElem(Int(p & 0xff), es, vreg(s.n).elem(Int((p >> 8) & 0xff), es))
            setVreg(s.d, r)
        case .umov:
            x[Int(s.d)] = vreg(s.n).elem(Int(p), es)
        case .smov:
            let e = UInt64(bitPattern: sext(vreg(s.n).elem(Int(p), es), es))
            x[Int(s.d)] = s.y == 1 ? e : e & 0xffff_ffff
        case .uzp1, .uzp2:
            let a = vreg(s.n), b = vreg(s.m), part = s.fop == .uzp2 ? 1 : 0
            var r = V128.zero
            for i in 0..<count {
                let j = 2 * i + part          // element j of b:a
                r.setElem(i, es, j < count ? a.elem(j, es) : b.elem(j - count, es))
            }
            setVreg(s.d, r)
        case .trn1, .trn2:
            let a = vreg(s.n), b = vreg(s.m), part = s.fop == .trn2 ? 1 : 0
            var r = V128.zero
            for i in 0..<(count / 2) {
                r.setElem(2 * i, es, a.elem(2 * i + part, es))
                r.setElem(2 * i + 1, es, b.elem(2 * i + part, es))
            }
            setVreg(s.d, r)
        case .zip1, .zip2:
            let a = vreg(s.n), b = vreg(s.m), base = s.fop == .zip2 ? count / 2 : 0
            var r = V128.zero
            for i in 0..<(count / 2) {
                r.setElem(2 * i, es, a.elem(base + i, es))
                r.setElem(2 * i + 1, es, b.elem(base + i, es))
            }
            setVreg(s.d, r)
        case .ext:
            // Bytes p... of b:a (a is the low vector).
            let a = vreg(s.n), b = vreg(s.m), nbytes = q ? 16 : 8, pos = Int(p)
            var r = V128.zero
            for i in 0..<nbytes {
                let j = pos + i
                r.setElem(i, 0, UInt64(j < nbytes ? a.byte(j) : b.byte(j - nbytes)))
            }
            setVreg(s.d, r)
        case .tbl, .tbx:
            let idx = vreg(s.m), old = vreg(s.d), nbytes = q ? 16 : 8, tableBytes = 16 * Int(p)
            var r = V128.zero
            for i in 0..<nbytes {
                let k = Int(idx.byte(i))
                let byte = k < tableBytes ? vreg(UInt8((Int(s.n) + (k >> 4)) & 31)).byte(k & 15)
                                          : s.fop == .tbx ? old.byte(i) : 0
                r.setElem(i, 0, UInt64(byte))
            }
            setVreg(s.d, r)
        default:  // .movi, .mvni, .orrImm, .bicImm
            let imm = advSIMDExpandImm(op: (p >> 12) & 1, cmode: (p >> 8) & 15, imm8: p & 0xff)
            switch s.fop {
            case .movi: setVreg(s.d, shaped(imm, imm, s))
            case .mvni: setVreg(s.d, shaped(~imm, ~imm, s))
            case .orrImm:
                let d = vreg(s.d)
                setVreg(s.d, shaped(d.lo | imm, d.hi | imm, s))
            default:
                let d = vreg(s.d)
                setVreg(s.d, shaped(d.lo & ~imm, d.hi & ~imm, s))
            }
        }
    }
}

/// AdvSIMDExpandImm: the 64-bit pattern of a modified immediate.
func advSIMDExpandImm(op: UInt64, cmode: UInt64, imm8: UInt64) -> UInt64 {
    switch cmode >> 1 {
    case 0: return replicate(imm8, 32)
    case 1: return replicate(imm8 << 8, 32)
    case 2: return replicate(imm8 << 16, 32)
    case 3: return replicate(imm8 << 24, 32)
    case 4: return replicate(imm8, 16)
    case 5: return replicate(imm8 << 8, 16)
    case 6: return replicate(cmode & 1 == 0 ? imm8 << 8 | 0xff : imm8 << 16 | 0xffff, 32)
    default:
        switch (cmode & 1, op) {
        case (0, 0): return replicate(imm8, 8)
        case (0, _):
            var r: UInt64 = 0
            for i in 0..<8 where (imm8 >> UInt64(i)) & 1 != 0 { r |= 0xff << UInt64(8 * i) }
            return r
        case (_, 0): return replicate(vfpExpandImm(imm8, .single), 32)
        default: return vfpExpandImm(imm8, .double)
        }
    }
}
