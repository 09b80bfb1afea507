// A64 data processing, register (Arm ARM C4.1.95): logical and add/sub (shifted and
// extended register), add/sub with carry, conditional compare and select, and the
// one-, two- and three-source groups.

let dataProcessingRegister: [Encoding] = [
    Encoding("logical (shifted reg)", "zoo01010_ssNmmmmmiiiiiinnnnnddddd", decodeLogicalReg),
    Encoding("ADD/SUB (shifted reg)", "zos01011_hh0mmmmmiiiiiinnnnnddddd", decodeAddSubShifted),
    Encoding("ADD/SUB (extended reg)", "zos01011_001mmmmmoooiiinnnnnddddd", decodeAddSubExtended),
    Encoding("ADC/SBC", "zos11010_000mmmmm000000nnnnnddddd", decodeAddSubCarry),
    Encoding("CCMN/CCMP (reg)", "zo111010_010mmmmmcccc00nnnnn0vvvv", decodeCondCompare),
    Encoding("CCMN/CCMP (imm)", "zo111010_010iiiiicccc10nnnnn0vvvv", decodeCondCompare),
    Encoding("CSEL/CSINC/CSINV/CSNEG", "zo011010_100mmmmmcccc0pnnnnnddddd", decodeCondSelect),
    Encoding("DP 1-source", "z1011010_11000000oooooonnnnnddddd", decodeOneSource),
    Encoding("DP 2-source", "z0011010_110mmmmmoooooonnnnnddddd", decodeTwoSource),
    Encoding("DP 3-source", "z0011011_ooommmmmoaaaaannnnnddddd", decodeThreeSource),
]

private func decodeLogicalReg(_ w: UInt32) -> Slot {
    let sf = bit(w, 31), opc = Int(bits(w, 30, 29)), invert = bit(w, 21), imm6 = bits(w, 15, 10)
    if !sf && imm6 >= 32 { return undef(w) }
    let shiftType = UInt8(bits(w, 23, 22))
    let d = wz(bits(w, 4, 0)), n = rz(bits(w, 9, 5)), m = rz(bits(w, 20, 16))
    if sf && opc == 1 && !invert && imm6 == 0 && n == Reg.zr { return Slot(.mov64, d: d, m: m) }
    let ops64: [Op] = [.and64, .bic64, .orr64, .orn64, .eor64, .eon64, .ands64, .bics64]
    let ops32: [Op] = [.and32, .bic32, .orr32, .orn32, .eor32, .eon32, .ands32, .bics32]
    let op = (sf ? ops64 : ops32)[opc * 2 + (invert ? 1 : 0)]
    if imm6 == 0 {
        switch op {
        case .and64: return Slot(.andR64, d: d, n: n, m: m)
        case .orr64: return Slot(.orrR64, d: d, n: n, m: m)
        case .eor64: return Slot(.eorR64, d: d, n: n, m: m)
        case .ands64: return Slot(.andsR64, d: d, n: n, m: m)
        default: break
        }
    }
    return Slot(op, d: d, n: n, m: m, x: shiftType, y: UInt8(imm6))
}

private func decodeAddSubShifted(_ w: UInt32) -> Slot {
    let sf = bit(w, 31), sub = bit(w, 30), s = bit(w, 29)
    let shiftType = bits(w, 23, 22), imm6 = bits(w, 15, 10)
    if shiftType == 3 || (!sf && imm6 >= 32) { return undef(w) }
    let ops: [Op] = sf ? [.addSh64, .addsSh64, .subSh64, .subsSh64] : [.addSh32, .addsSh32, .subSh32, .subsSh32]
    var op = ops[(sub ? 2 : 0) + (s ? 1 : 0)]
    if imm6 == 0 {
        switch op {
        case .addSh64: op = .addR64
        case .subSh64: op = .subR64
        case .subsSh64: op = .subsR64
        case .addSh32: op = .addR32
        case .subSh32: op = .subR32
        case .subsSh32: op = .subsR32
        default: break
        }
    }
    return Slot(op, d: wz(bits(w, 4, 0)), n: rz(bits(w, 9, 5)), m: rz(bits(w, 20, 16)), x: UInt8(shiftType), y: UInt8(imm6))
}

private func decodeAddSubExtended(_ w: UInt32) -> Slot {
    let sf = bit(w, 31), sub = bit(w, 30), s = bit(w, 29), imm3 = bits(w, 12, 10)
    if imm3 > 4 { return undef(w) }
    let ops: [Op] = sf ? [.addEx64, .addsEx64, .subEx64, .subsEx64] : [.addEx32, .addsEx32, .subEx32, .subsEx32]
    let rd = bits(w, 4, 0)
    let (drop, keep) = extendConstants(UInt8(bits(w, 15, 13)))
    return Slot(ops[(sub ? 2 : 0) + (s ? 1 : 0)], d: s ? wz(rd) : rsp(rd), n: rsp(bits(w, 9, 5)),
                m: rz(bits(w, 20, 16)), x: drop, y: UInt8(imm3), imm: keep)
}

private func decodeAddSubCarry(_ w: UInt32) -> Slot {
    let sf = bit(w, 31), sub = bit(w, 30), s = bit(w, 29)
    let ops: [Op] = sf ? [.adc64, .adcs64, .sbc64, .sbcs64] : [.adc32, .adcs32, .sbc32, .sbcs32]
    return Slot(ops[(sub ? 2 : 0) + (s ? 1 : 0)], d: wz(bits(w, 4, 0)), n: rz(bits(w, 9, 5)),
                m: rz(bits(w, 20, 16)))
}

/// CCMN/CCMP: x = cond, a = nzcv if the condition fails, y = 1 for the immediate form
/// (then m = XZR and imm bits 4:0 hold the value); imm bits 31:16 = the condition's mask.
private func decodeCondCompare(_ w: UInt32) -> Slot {
    let sf = bit(w, 31), sub = bit(w, 30), isImm = bit(w, 11)
    let op: Op = sf ? (sub ? .ccmp64 : .ccmn64) : (sub ? .ccmp32 : .ccmn32)
    let field = bits(w, 20, 16), cond = bits(w, 15, 12)
    return Slot(op, n: rz(bits(w, 9, 5)), m: isImm ? Reg.zr : rz(field), a: UInt8(bits(w, 3, 0)),
                x: UInt8(cond), y: isImm ? 1 : 0,
                imm: (isImm ? UInt64(field) : 0) | UInt64(conditionMask(Int(cond))) << 16)
}

private func decodeCondSelect(_ w: UInt32) -> Slot {
    let sf = bit(w, 31), inv = bit(w, 30), o2 = bit(w, 10)
    let ops: [Op] = sf ? [.csel64, .csinc64, .csinv64, .csneg64] : [.csel32, .csinc32, .csinv32, .csneg32]
    let cond = bits(w, 15, 12)
    return Slot(ops[(inv ? 2 : 0) + (o2 ? 1 : 0)], d: wz(bits(w, 4, 0)), n: rz(bits(w, 9, 5)),
                m: rz(bits(w, 20, 16)), x: UInt8(cond), imm: UInt64(conditionMask(Int(cond))))
}

private func decodeOneSource(_ w: UInt32) -> Slot {
    let sf = bit(w, 31), opcode = bits(w, 15, 10)
    let d = wz(bits(w, 4, 0)), n = rz(bits(w, 9, 5))
    let op: Op
    switch (opcode, sf) {
    case (0, true): op = .rbit64
    case (0, false): op = .rbit32
    case (1, true): op = .rev16_64
    case (1, false): op = .rev16_32
    case (2, true): op = .rev32_64
    case (2, false): op = .rev32
    case (3, true): op = .rev64
    case (4, true): op = .clz64
    case (4, false): op = .clz32
    case (5, true): op = .cls64
    case (5, false): op = .cls32
    default: return undef(w)
    }
    return Slot(op, d: d, n: n)
}

private func decodeTwoSource(_ w: UInt32) -> Slot {
    let sf = bit(w, 31), opcode = bits(w, 15, 10)
    let d = wz(bits(w, 4, 0)), n = rz(bits(w, 9, 5)), m = rz(bits(w, 20, 16))
    let op: Op
    switch opcode {
    case 2: op = sf ? .udiv64 : .udiv32
    case 3: op = sf ? .sdiv64 : .sdiv32
    case 8: op = sf ? .lslv64 : .lslv32
    case 9: op = sf ? .lsrv64 : .lsrv32
    case 10: op = sf ? .asrv64 : .asrv32
    case 11: op = sf ? .rorv64 : .rorv32
    case 16...23:
        let size = opcode & 3, c = (opcode >> 2) & 1
        if (size == 3) != sf { return undef(w) }
        return Slot(.crc32, d: d, n: n, m: m, x: UInt8(size), y: UInt8(c))
    default: return undef(w)
    }
    return Slot(op, d: d, n: n, m: m)
}

private func decodeThreeSource(_ w: UInt32) -> Slot {
    let sf = bit(w, 31), op31 = bits(w, 23, 21), o0 = bit(w, 15)
    let d = wz(bits(w, 4, 0)), n = rz(bits(w, 9, 5)), m = rz(bits(w, 20, 16)), a = rz(bits(w, 14, 10))
    let op: Op
    switch (op31, o0) {
    case (0, false): op = sf ? .madd64 : .madd32
    case (0, true): op = sf ? .msub64 : .msub32
    case (1, false) where sf: op = .smaddl
    case (1, true) where sf: op = .smsubl
    case (2, false) where sf: op = .smulh
    case (5, false) where sf: op = .umaddl
    case (5, true) where sf: op = .umsubl
    case (6, false) where sf: op = .umulh
    default: return undef(w)
    }
    return Slot(op, d: d, n: n, m: m, a: a)
}
