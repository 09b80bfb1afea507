// A64 data processing, immediate (Arm ARM C4.1.92): PC-relative addressing, add/sub
// immediate, logical immediate, move wide, bitfield, extract.

let dataProcessingImmediate: [Encoding] = [
    Encoding("ADR", "0ii10000_iiiiiiiiiiiiiiiiiii_ddddd", decodeADR),
    Encoding("ADRP", "1ii10000_iiiiiiiiiiiiiiiiiii_ddddd", decodeADR),
    Encoding("ADD/SUB (imm)", "zos100010_hiiiiiiiiiiii_nnnnn_ddddd", decodeAddSubImm),
    Encoding("logical (imm)", "zoo100100_Nrrrrrrssssss_nnnnn_ddddd", decodeLogicalImm),
    Encoding("MOVN/MOVZ/MOVK", "zoo100101_hhiiiiiiiiiiiiiiii_ddddd", decodeMoveWide),
    Encoding("bitfield", "zoo100110_Nrrrrrrssssss_nnnnn_ddddd", decodeBitfield),
    Encoding("EXTR", "z00100111_N0mmmmmssssss_nnnnn_ddddd", decodeExtract),
]

private func decodeADR(_ w: UInt32) -> Slot {
    let imm = UInt64(bits(w, 23, 5) << 2 | bits(w, 30, 29))
    if bit(w, 31) { return Slot(.adrp, d: wz(bits(w, 4, 0)), imm: signExtend(imm, 21) << 12) }
    return Slot(.adr, d: wz(bits(w, 4, 0)), imm: signExtend(imm, 21))
}

private func decodeAddSubImm(_ w: UInt32) -> Slot {
    let sf = bit(w, 31), sub = bit(w, 30), s = bit(w, 29)
    let imm = UInt64(bits(w, 21, 10)) << (bit(w, 22) ? 12 : 0)
    let rd = bits(w, 4, 0), rn = rsp(bits(w, 9, 5))
    let ops: [Op] = sf ? [.addImm64, .addsImm64, .subImm64, .subsImm64]
                       : [.addImm32, .addsImm32, .subImm32, .subsImm32]
    let op = ops[(sub ? 2 : 0) + (s ? 1 : 0)]
    return Slot(op, d: s ? wz(rd) : rsp(rd), n: rn, imm: imm)
}

private func decodeLogicalImm(_ w: UInt32) -> Slot {
    let sf = bit(w, 31), opc = Int(bits(w, 30, 29)), n = bits(w, 22, 22)
    if !sf && n == 1 { return undef(w) }
    guard let (wmask, _) = decodeBitMasks(n: n, imms: bits(w, 15, 10), immr: bits(w, 21, 16),
                                          immediate: true, dataSize: sf ? 64 : 32) else { return undef(w) }
    let ops: [Op] = sf ? [.andImm64, .orrImm64, .eorImm64, .andsImm64]
                       : [.andImm32, .orrImm32, .eorImm32, .andsImm32]
    let rd = bits(w, 4, 0)
    return Slot(ops[opc], d: opc == 3 ? wz(rd) : rsp(rd), n: rz(bits(w, 9, 5)), imm: wmask)
}

private func decodeMoveWide(_ w: UInt32) -> Slot {
    let sf = bit(w, 31), opc = bits(w, 30, 29), hw = bits(w, 22, 21)
    if opc == 1 || (!sf && hw >= 2) { return undef(w) }
    let shift = UInt64(hw * 16), imm = UInt64(bits(w, 20, 5))
    let d = wz(bits(w, 4, 0))
    switch opc {
    case 0: return Slot(.movImm, d: d, imm: sf ? ~(imm << shift) : ~(imm << shift) & 0xffff_ffff)
    case 2: return Slot(.movImm, d: d, imm: imm << shift)
    default: return Slot(sf ? .movk64 : .movk32, d: d, x: UInt8(shift), imm: imm)
    }
}

/// SBFM/BFM/UBFM reduced to "take a field of width y from bit x of the source and
/// place it at bit a of the result": one of x and a is always 0.
private func decodeBitfield(_ w: UInt32) -> Slot {
    let sf = bit(w, 31), opc = bits(w, 30, 29), n = bits(w, 22, 22)
    let immr = Int(bits(w, 21, 16)), imms = Int(bits(w, 15, 10))
    let size = sf ? 64 : 32
    if opc == 3 || (sf ? n != 1 : (n != 0 || immr >= 32 || imms >= 32)) { return undef(w) }
    var srcLsb = 0, dstLsb = 0, width = 0
    if imms >= immr { srcLsb = immr; width = imms - immr + 1 }
    else { dstLsb = size - immr; width = imms + 1 }
    let ops: [Op] = sf ? [.sbfm64, .bfm64, .ubfm64] : [.sbfm32, .bfm32, .ubfm32]
    return Slot(ops[Int(opc)], d: wz(bits(w, 4, 0)), n: rz(bits(w, 9, 5)), a: UInt8(dstLsb),
                x: UInt8(srcLsb), y: UInt8(width), imm: ones(width))
}

private func decodeExtract(_ w: UInt32) -> Slot {
    let sf = bit(w, 31), n = bit(w, 22), imms = bits(w, 15, 10)
    if sf != n || bits(w, 30, 29) != 0 || (!sf && imms >= 32) { return undef(w) }
    return Slot(sf ? .extr64 : .extr32, d: wz(bits(w, 4, 0)), n: rz(bits(w, 9, 5)), m: rz(bits(w, 20, 16)),
                x: UInt8(imms))
}
