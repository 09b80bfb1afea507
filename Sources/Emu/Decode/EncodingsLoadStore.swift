// A64 loads and stores (Arm ARM C4.1.94): exclusive and ordered, literal, pairs,
// single registers with every addressing mode, LSE atomics. The SIMD&FP register
// forms (V = 1) are not implemented yet and decode as UNDEFINED.

let loadsAndStores: [Encoding] = [
    Encoding("exclusive/ordered/CAS", "ss001000_oLoSSSSSoTTTTTnnnnnttttt", decodeExclusive),
    Encoding("LDR (literal)", "oo011000_iiiiiiiiiiiiiiiiiiittttt", decodeLiteral),
    Encoding("LDP/STP", "oo101000_tLiiiiiiiTTTTTnnnnnttttt", decodePair),
    Encoding("LDP/STP (indexed)", "oo101001_tLiiiiiiiTTTTTnnnnnttttt", decodePair),
    Encoding("LDR/STR (imm9)", "ss111000_oo0iiiiiiiiippnnnnnttttt", decodeSingleImm9),
    Encoding("LDR/STR (register)", "ss111000_oo1mmmmmxxxS10nnnnnttttt", decodeSingleRegister),
    Encoding("LSE atomic", "ss111000_AR1SSSSSoooo00nnnnnttttt", decodeAtomic),
    Encoding("LDR/STR (uimm12)", "ss111001_ooiiiiiiiiiiiinnnnnttttt", decodeSingleUnsigned),
]

/// Operation for a single-register access of `size` (log2 bytes) with `opc`, or nil
/// if unallocated; `prefetch` reports the PRFM slot (size 3, opc 2).
private func singleOp(size: UInt32, opc: UInt32) -> Op? {
    switch (opc, size) {
    case (0, 0): return .strb
    case (0, 1): return .strh
    case (0, 2): return .strw
    case (0, 3): return .strx
    case (1, 0): return .ldrb
    case (1, 1): return .ldrh
    case (1, 2): return .ldrw
    case (1, 3): return .ldrx
    case (2, 0): return .ldrsb64
    case (2, 1): return .ldrsh64
    case (2, 2): return .ldrsw
    case (2, 3): return .prfm
    case (3, 0): return .ldrsb32
    case (3, 1): return .ldrsh32
    default: return nil
    }
}

private func isStore(_ op: Op) -> Bool { op == .strb || op == .strh || op == .strw || op == .strx }

private func singleSlot(_ op: Op, rt: UInt32, rn: UInt32, mode: UInt8, imm: UInt64,
                        m: UInt8 = Reg.zr, option: UInt8 = 0, shift: UInt8 = 0) -> Slot {
    let t = isStore(op) || op == .prfm ? rz(rt) : wz(rt)
    return Slot(Op.specialised(op, mode: mode), d: t, n: rsp(rn), m: m, a: shift, x: mode, y: option, imm: imm)
}

private func decodeSingleUnsigned(_ w: UInt32) -> Slot {
    let size = bits(w, 31, 30)
    guard let op = singleOp(size: size, opc: bits(w, 23, 22)) else { return undef(w) }
    return singleSlot(op, rt: bits(w, 4, 0), rn: bits(w, 9, 5), mode: AddrMode.offset,
                      imm: UInt64(bits(w, 21, 10)) << UInt64(size))
}

private func decodeSingleImm9(_ w: UInt32) -> Slot {
    let size = bits(w, 31, 30), kind = bits(w, 11, 10)
    guard let op = singleOp(size: size, opc: bits(w, 23, 22)) else { return undef(w) }
    let modes: [UInt8] = [AddrMode.offset, AddrMode.postIndex, AddrMode.offset | AddrMode.unprivileged,
                          AddrMode.preIndex]
    if op == .prfm && kind != 0 { return undef(w) }
    return singleSlot(op, rt: bits(w, 4, 0), rn: bits(w, 9, 5), mode: modes[Int(kind)],
                      imm: signExtend(UInt64(bits(w, 20, 12)), 9))
}

private func decodeSingleRegister(_ w: UInt32) -> Slot {
    let size = bits(w, 31, 30), option = bits(w, 15, 13)
    guard let op = singleOp(size: size, opc: bits(w, 23, 22)), option & 2 != 0 else { return undef(w) }
    let (drop, keep) = extendConstants(UInt8(option))
    return singleSlot(op, rt: bits(w, 4, 0), rn: bits(w, 9, 5), mode: AddrMode.register, imm: keep,
                      m: rz(bits(w, 20, 16)), option: drop, shift: bit(w, 12) ? UInt8(size) : 0)
}

private func decodeLiteral(_ w: UInt32) -> Slot {
    let ops: [Op] = [.ldrw, .ldrx, .ldrsw, .prfm]
    let op = ops[Int(bits(w, 31, 30))]
    return Slot(op, d: op == .prfm ? Reg.zr : wz(bits(w, 4, 0)), x: AddrMode.literal,
                imm: signExtend(UInt64(bits(w, 23, 5)) << 2, 21))
}

private func decodePair(_ w: UInt32) -> Slot {
    let opc = bits(w, 31, 30), load = bit(w, 22), type = bits(w, 24, 23)
    let modes: [UInt8] = [AddrMode.offset, AddrMode.postIndex, AddrMode.offset, AddrMode.preIndex]
    let op: Op
    switch (opc, load) {
    case (0, false): op = .stp32
    case (0, true): op = .ldp32
    case (1, true) where type != 0: op = .ldpsw
    case (2, false): op = .stp64
    case (2, true): op = .ldp64
    default: return undef(w)
    }
    let scale: UInt64 = opc == 2 ? 3 : 2
    let t = bits(w, 4, 0), t2 = bits(w, 14, 10)
    return Slot(op, d: load ? wz(t) : rz(t), n: rsp(bits(w, 9, 5)), m: load ? wz(t2) : rz(t2),
                x: modes[Int(type)], imm: signExtend(UInt64(bits(w, 21, 15)), 7) << scale)
}

private func decodeExclusive(_ w: UInt32) -> Slot {
    let size = bits(w, 31, 30), o2 = bit(w, 23), load = bit(w, 22), o1 = bit(w, 21), o0 = bit(w, 15)
    let rs = bits(w, 20, 16), rt2 = bits(w, 14, 10), rn = rsp(bits(w, 9, 5)), rt = bits(w, 4, 0)
    switch (o2, o1) {
    case (false, false):
        return load ? Slot(.ldxr, d: wz(rt), n: rn, y: UInt8(size))
                    : Slot(.stxr, d: rz(rt), n: rn, a: wz(rs), y: UInt8(size))
    case (false, true):
        if size >= 2 {
            return load ? Slot(.ldxp, d: wz(rt), n: rn, m: wz(rt2), y: UInt8(size))
                        : Slot(.stxp, d: rz(rt), n: rn, m: rz(rt2), a: wz(rs), y: UInt8(size))
        }
        // CASP: register pairs must be even-numbered.
        if rt2 != 31 || rs & 1 != 0 || rt & 1 != 0 { return undef(w) }
        return Slot(.casp, d: UInt8(rt), n: rn, m: UInt8(rs), y: UInt8(size + 2))
    case (true, false):
        if !o0 { return undef(w) }  // LDLAR/STLLR (LORegions) are not implemented
        let ops: [Op] = load ? [.ldrb, .ldrh, .ldrw, .ldrx] : [.strb, .strh, .strw, .strx]
        return Slot(Op.specialised(ops[Int(size)], mode: AddrMode.offset), d: load ? wz(rt) : rz(rt), n: rn,
                    x: AddrMode.offset)
    case (true, true):
        if rt2 != 31 { return undef(w) }
        return Slot(.cas, d: rz(rt), n: rn, m: rz(rs), a: wz(rs), y: UInt8(size))
    }
}

private func decodeAtomic(_ w: UInt32) -> Slot {
    let opc = bits(w, 15, 12)
    if opc > 8 { return undef(w) }
    return Slot(.atomic, d: wz(bits(w, 4, 0)), n: rsp(bits(w, 9, 5)), m: rz(bits(w, 20, 16)),
                x: UInt8(opc), y: UInt8(bits(w, 31, 30)))
}
