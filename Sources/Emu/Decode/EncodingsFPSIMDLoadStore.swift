// SIMD&FP loads and stores (Arm ARM C4.1.94 with V = 1, and "Advanced SIMD load/store
// multiple structures" / "single structure"). LDTR/STTR have no SIMD&FP form; size and
// opc combinations without an access size are unallocated.

let fpsimdLoadsAndStores: [Encoding] = [
    Encoding("LDR (literal, SIMD&FP)", "oo011100_iiiiiiiiiiiiiiiiiiittttt", decodeVLiteral),
    Encoding("LDP/STP/LDNP/STNP (SIMD&FP)", "oo10110p_pLiiiiiiiTTTTTnnnnnttttt", decodeVPair),
    Encoding("LDR/STR (SIMD&FP, imm9)", "ss111100_oo0iiiiiiiiikknnnnnttttt", decodeVImm9),
    Encoding("LDR/STR (SIMD&FP, register)", "ss111100_oo1mmmmmxxxS10nnnnnttttt", decodeVRegister),
    Encoding("LDR/STR (SIMD&FP, uimm12)", "ss111101_ooiiiiiiiiiiiinnnnnttttt", decodeVUnsigned),
    Encoding("LD/ST multiple structures", "0Q001100_0L000000oooozznnnnnttttt", decodeMultipleStructures),
    Encoding("LD/ST multiple structures (post-index)", "0Q001100_1L0mmmmmoooozznnnnnttttt", decodeMultipleStructures),
    Encoding("LD/ST single structure", "0Q001101_0LR00000oooSzznnnnnttttt", decodeSingleStructure),
    Encoding("LD/ST single structure (post-index)", "0Q001101_1LRmmmmmoooSzznnnnnttttt", decodeSingleStructure),
]

/// log2 of the access size for size:opc of a single-register access, and whether it
/// loads; nil if unallocated (opc<1> = 1 only encodes the Q forms, with size = 0).
private func vAccess(_ w: UInt32) -> (UInt32, Bool)? {
    let size = bits(w, 31, 30), opc = bits(w, 23, 22)
    if opc & 2 == 0 { return (size, opc & 1 != 0) }
    return size == 0 ? (4, opc & 1 != 0) : nil
}

private func vSingle(_ load: Bool, _ w: UInt32, log2: UInt32, mode: UInt8, payload: UInt64,
                     m: UInt8 = 0, shift: UInt8 = 0) -> Slot {
    fslot(load ? .ldr : .str, d: UInt8(bits(w, 4, 0)), n: rsp(bits(w, 9, 5)), m: m, a: shift, es: log2,
          shape: mode, payload: payload)
}

/// A signed byte offset in the payload (48 bits are plenty for every encoding).
private func signedPayload(_ v: UInt64) -> UInt64 { v & ones(48) }

private func decodeVUnsigned(_ w: UInt32) -> Slot {
    guard let (log2, load) = vAccess(w) else { return undef(w) }
    return vSingle(load, w, log2: log2, mode: AddrMode.offset, payload: UInt64(bits(w, 21, 10)) << UInt64(log2))
}

private func decodeVImm9(_ w: UInt32) -> Slot {
    guard let (log2, load) = vAccess(w) else { return undef(w) }
    let modes: [UInt8] = [AddrMode.offset, AddrMode.postIndex, 0xff, AddrMode.preIndex]
    let mode = modes[Int(bits(w, 11, 10))]
    if mode == 0xff { return undef(w) }                 // no unprivileged SIMD&FP access
    return vSingle(load, w, log2: log2, mode: mode, payload: signedPayload(signExtend(UInt64(bits(w, 20, 12)), 9)))
}

private func decodeVRegister(_ w: UInt32) -> Slot {
    guard let (log2, load) = vAccess(w) else { return undef(w) }
    let option = bits(w, 15, 13)
    if option & 2 == 0 { return undef(w) }
    return vSingle(load, w, log2: log2, mode: AddrMode.register, payload: UInt64(option),
                   m: rz(bits(w, 20, 16)), shift: bit(w, 12) ? UInt8(log2) : 0)
}

private func decodeVLiteral(_ w: UInt32) -> Slot {
    let opc = bits(w, 31, 30)
    if opc == 3 { return undef(w) }
    return fslot(.ldr, d: UInt8(bits(w, 4, 0)), es: opc + 2, shape: AddrMode.literal,
                 payload: signedPayload(signExtend(UInt64(bits(w, 23, 5)) << 2, 21)))
}

private func decodeVPair(_ w: UInt32) -> Slot {
    let opc = bits(w, 31, 30)
    if opc == 3 { return undef(w) }
    let log2 = opc + 2
    let modes: [UInt8] = [AddrMode.offset, AddrMode.postIndex, AddrMode.offset, AddrMode.preIndex]
    return fslot(bit(w, 22) ? .ldp : .stp, d: UInt8(bits(w, 4, 0)), n: rsp(bits(w, 9, 5)),
                 a: UInt8(bits(w, 14, 10)), es: log2, shape: modes[Int(bits(w, 24, 23))],
                 payload: signedPayload(signExtend(UInt64(bits(w, 21, 15)), 7) << UInt64(log2)))
}

/// Post-index bits of the structure payloads: writeback, and "by the transfer size"
/// when Rm is 31.
private func postIndex(_ w: UInt32) -> (UInt64, UInt8) {
    guard bit(w, 23) else { return (0, 0) }
    let rm = bits(w, 20, 16)
    return rm == 31 ? (3 << 8, 0) : (1 << 8, UInt8(rm))
}

private func decodeMultipleStructures(_ w: UInt32) -> Slot {
    let q = bit(w, 30), size = bits(w, 11, 10)
    let rpt: UInt64, selem: UInt64
    switch bits(w, 15, 12) {
    case 0b0000: (rpt, selem) = (1, 4)
    case 0b0010: (rpt, selem) = (4, 1)
    case 0b0100: (rpt, selem) = (1, 3)
    case 0b0110: (rpt, selem) = (3, 1)
    case 0b0111: (rpt, selem) = (1, 1)
    case 0b1000: (rpt, selem) = (1, 2)
    case 0b1010: (rpt, selem) = (2, 1)
    default: return undef(w)
    }
    if size == 3 && !q && selem != 1 { return undef(w) }
    let (post, m) = postIndex(w)
    return fslot(bit(w, 22) ? .ldMulti : .stMulti, d: UInt8(bits(w, 4, 0)), n: rsp(bits(w, 9, 5)), m: m,
                 es: size, shape: q ? Shape.q128 : Shape.d64, payload: selem | rpt << 4 | post)
}

private func decodeSingleStructure(_ w: UInt32) -> Slot {
    let q: UInt32 = bit(w, 30) ? 1 : 0, load = bit(w, 22), r: UInt32 = bit(w, 21) ? 1 : 0
    let opcode = bits(w, 15, 13), s: UInt32 = bit(w, 12) ? 1 : 0, size = bits(w, 11, 10)
    let selem = UInt64(((opcode & 1) << 1 | r) + 1)
    let (post, m) = postIndex(w)
    let t = UInt8(bits(w, 4, 0)), n = rsp(bits(w, 9, 5))
    var es = opcode >> 1, index: UInt32
    switch es {
    case 3:
        if !load || s == 1 { return undef(w) }
        return fslot(.ldRep, d: t, n: n, m: m, es: size, shape: q == 1 ? Shape.q128 : Shape.d64,
                     payload: selem | post)
    case 0: index = q << 3 | s << 2 | size
    case 1:
        if size & 1 != 0 { return undef(w) }
        index = q << 2 | s << 1 | size >> 1
    default:
        if size & 2 != 0 { return undef(w) }
        if size == 0 {
            index = q << 1 | s
        } else {
            if s == 1 { return undef(w) }
            index = q
            es = 3
        }
    }
    return fslot(load ? .ldLane : .stLane, d: t, n: n, m: m, es: es, payload: selem | UInt64(index) << 4 | post)
}
