// Dense operation codes of the pre-decoded form. Each case notes how it uses the
// slot fields; d/n/m/a are register indices (see `Reg`), 32/64 suffixes give the
// operand size. Encodings that map to each op are in the Encodings*.swift tables.

public enum Op: UInt16, Sendable, CaseIterable {
    // Interpreter control
    case undecoded          // decode this slot now, then execute it
    case pageEnd            // fell off the end of the decoded page
    case undefined          // UNDEFINED instruction (raw encoding in imm)

    // Data processing, immediate (Arm ARM C4.1.92)
    case adr, adrp          // d = PC-relative value; imm = offset (adrp: page offset)
    case addImm64, addImm32, subImm64, subImm32      // d = n +/- imm
    case addsImm64, addsImm32, subsImm64, subsImm32  // as above, setting NZCV
    case andImm64, orrImm64, eorImm64, andsImm64     // d = n op imm
    case andImm32, orrImm32, eorImm32, andsImm32
    case movImm             // d = imm
    case movk64, movk32     // d<x+15:x> = imm
    case ubfm64, sbfm64, bfm64, ubfm32, sbfm32, bfm32 // field of width y from n<x> to d<a>; imm = ones(y)
    case extr64, extr32     // d = (n:m) >> x

    // Data processing, register (C4.1.95)
    case addSh64, addSh32, subSh64, subSh32, addsSh64, addsSh32, subsSh64, subsSh32 // m shifted (type x, amount y)
    case addEx64, addEx32, subEx64, subEx32, addsEx64, addsEx32, subsEx64, subsEx32 // m extended (extendConstants: drop x, keep imm; lsl y)
    case and64, bic64, orr64, orn64, eor64, eon64, ands64, bics64 // m shifted (type x, amount y)
    case and32, bic32, orr32, orn32, eor32, eon32, ands32, bics32
    case mov64              // d = m (ORR with XZR, no shift): the commonest register move
    // Unshifted register forms of the commonest operations (shift amount 0).
    case addR64, subR64, subsR64, andR64, orrR64, eorR64, andsR64, addR32, subR32, subsR32
    case adc64, adc32, adcs64, adcs32, sbc64, sbc32, sbcs64, sbcs32
    case ccmn64, ccmn32, ccmp64, ccmp32       // cond x, nzcv a; operand m | imm<4:0>; imm<31:16> = cond's mask
    case csel64, csel32, csinc64, csinc32, csinv64, csinv32, csneg64, csneg32 // cond x; imm = its mask
    case rbit64, rbit32, rev16_64, rev16_32, rev32_64, rev64, rev32, clz64, clz32, cls64, cls32
    case udiv64, udiv32, sdiv64, sdiv32
    case lslv64, lslv32, lsrv64, lsrv32, asrv64, asrv32, rorv64, rorv32
    case crc32                // x = size log2, y = 1 for CRC32C
    case madd64, madd32, msub64, msub32        // d = a +/- n*m
    case smaddl, smsubl, umaddl, umsubl, smulh, umulh

    // Loads and stores (C4.1.94). x = AddrMode, imm = offset, a = shift; register mode: y and imm
    // are the extension's drop and keep (extendConstants), no offset
    case ldrb, ldrh, ldrw, ldrx, ldrsb64, ldrsb32, ldrsh64, ldrsh32, ldrsw
    case strb, strh, strw, strx
    case prfm                                   // prefetch: address computed for writeback only, no access
    // The same accesses specialised by address mode (Off: [Xn, #imm], Pre: [Xn, #imm]!,
    // Post: [Xn], #imm, Reg: [Xn, Xm, ext #a]); the generic ops above cover the rest
    // (literal, LDTR/STTR).
    case ldrbOff, ldrhOff, ldrwOff, ldrxOff, ldrsb64Off, ldrsb32Off, ldrsh64Off, ldrsh32Off, ldrswOff
    case strbOff, strhOff, strwOff, strxOff
    case ldrbPre, ldrhPre, ldrwPre, ldrxPre, ldrsb64Pre, ldrsb32Pre, ldrsh64Pre, ldrsh32Pre, ldrswPre
    case strbPre, strhPre, strwPre, strxPre
    case ldrbPost, ldrhPost, ldrwPost, ldrxPost, ldrsb64Post, ldrsb32Post, ldrsh64Post, ldrsh32Post, ldrswPost
    case strbPost, strhPost, strwPost, strxPost
    case ldrbReg, ldrhReg, ldrwReg, ldrxReg, ldrsb64Reg, ldrsb32Reg, ldrsh64Reg, ldrsh32Reg, ldrswReg
    case strbReg, strhReg, strwReg, strxReg
    case ldp32, ldp64, ldpsw, stp32, stp64      // d = Rt, m = Rt2
    case ldxr, stxr, ldxp, stxp                 // y = log2 size; stxr: a = status register; m = Rt2
    case atomic                                 // LSE: x = operation, y = log2 size, m = Rs, d = Rt
    case cas                                    // y = log2 size, m = Rs (compare/result), d = Rt (new)
    case casp                                   // y = log2 size (2 or 3), m = Rs pair, d = Rt pair

    // Branches, exception generation and system (C4.1.93)
    case b, bl              // imm = offset
    case bcond              // x = cond, d | n << 8 = its mask, imm = offset
    case cbz64, cbnz64, cbz32, cbnz32, tbz, tbnz   // n = Rt, x = bit (tb*), imm = offset
    case br, blr, ret       // n = target register
    case eret
    case svc, hvc, smc, brk, hlt                   // imm = imm16
    case nop, wfi, wfe, sev, sevl, yield, barrier, isb, clrex
    case msrImm             // x = PSTATE field, y = value (CRm)
    case mrs, msr           // imm = SysReg raw value; d or n = Rt
    case sys                // imm = SysOp raw value; n = Rt

    // Floating point and Advanced SIMD, including their loads and stores: executed
    // out of line by `executeFPSIMD` (Exec/FPSIMD*.swift), which owns the slot layout.
    case fpsimd

    // Fused pairs (Fusion.swift): A_B is the op of a slot holding an A whose page's next
    // slot holds a B; the slot keeps A's fields and B's are read from the next slot, so
    // one dispatch runs both. Stepping runs the A alone.
    case sbfm64_subR64, ldrxReg_ldrxReg, andImm64_ubfm64, madd64_madd64, addEx64_addSh64, addR64_subsR64
    case addSh64_csel64, subsR64_ubfm64, ubfm64_subsR64, csinc64_subsR64, csinc64_addR64, csinc64_addsSh64
    case addsSh64_strxReg, mov64_mov64, ldrwOff_ldrwOff, ldrxOff_ldrxOff, addR32_addR32, addR32_eor32
    case addR32_extr32, addR32_orr32, addR32_and32, eor32_addR32, eor32_eor32, eor32_extr32
    case eor32_orr32, eor32_and32, extr32_addR32, extr32_eor32, extr32_extr32, extr32_orr32
    case extr32_and32, orr32_addR32, orr32_eor32, orr32_extr32, orr32_orr32, orr32_and32, and32_addR32
    case and32_eor32, and32_extr32, and32_orr32, and32_and32, addsImm32_bcond, subsR64_bcond
    case subsImm32_bcond, subsR32_bcond, subsImm64_bcond, andsImm64_bcond, ccmp32_bcond, ccmp64_bcond
    case mov64_nop, nop_nop, nop_stp64, stp64_addImm64, addImm64_stp64, stp64_stp64, stp64_mov64
    case ldp64_ldp64, ldp64_nop, nop_ret, mov64_movImm, movImm_nop
}

extension Op {
    private static let singleKinds: [Op] = [.ldrb, .ldrh, .ldrw, .ldrx, .ldrsb64, .ldrsb32, .ldrsh64, .ldrsh32, .ldrsw,
                                            .strb, .strh, .strw, .strx]
    private static let modeBases: [Op] = [.ldrbOff, .ldrbPre, .ldrbPost, .ldrbReg]

    /// The specialised op for a generic single-register access in address mode `mode`.
    static func specialised(_ op: Op, mode: UInt8) -> Op {
        guard mode <= AddrMode.register, let k = singleKinds.firstIndex(of: op) else { return op }
        return Op(rawValue: modeBases[Int(mode)].rawValue + UInt16(k))!
    }

    /// The generic operation a specialised one stands for (itself if not specialised; the
    /// first's for a fused pair).
    public var generic: Op {
        if let pair = Fusion.pair(self) { return pair.first.generic }
        for base in Op.modeBases where rawValue >= base.rawValue && rawValue < base.rawValue + 13 {
            return Op.singleKinds[Int(rawValue - base.rawValue)]
        }
        switch self {
        case .addR64: return .addSh64
        case .subR64: return .subSh64
        case .subsR64: return .subsSh64
        case .andR64: return .and64
        case .orrR64: return .orr64
        case .eorR64: return .eor64
        case .andsR64: return .ands64
        case .addR32: return .addSh32
        case .subR32: return .subSh32
        case .subsR32: return .subsSh32
        default: return self
        }
    }
}
