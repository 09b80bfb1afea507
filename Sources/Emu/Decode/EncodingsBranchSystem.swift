// A64 branches, exception generation and system instructions (Arm ARM C4.1.93).

let branchesAndSystem: [Encoding] = [
    Encoding("B", "000101_iiiiiiiiiiiiiiiiiiiiiiiiii", { w in Slot(.b, imm: branchOffset(w, 25)) }),
    Encoding("BL", "100101_iiiiiiiiiiiiiiiiiiiiiiiiii", { w in Slot(.bl, imm: branchOffset(w, 25)) }),
    Encoding("B.cond", "01010100_iiiiiiiiiiiiiiiiiii0cccc",
             { w in bcondSlot(w) }),
    Encoding("CBZ/CBNZ", "z011010o_iiiiiiiiiiiiiiiiiiittttt", decodeCompareBranch),
    Encoding("TBZ/TBNZ", "b011011o_bbbbbiiiiiiiiiiiiiittttt", decodeTestBranch),
    Encoding("BR/BLR/RET/ERET", "1101011o_ooo11111000000nnnnn00000", decodeBranchRegister),
    Encoding("exception", "11010100_oooiiiiiiiiiiiiiiii000LL", decodeException),
    Encoding("system", "11010101_00Looooonnnnmmmmpppttttt", decodeSystem),
]

/// Sign-extended, word-scaled branch offset from bits [hi:0] of `w`.
private func branchOffset(_ w: UInt32, _ hi: Int) -> UInt64 {
    signExtend(UInt64(bits(w, hi, 0)) << 2, hi + 3)
}

private func decodeCompareBranch(_ w: UInt32) -> Slot {
    let sf = bit(w, 31), nz = bit(w, 24)
    let op: Op = sf ? (nz ? .cbnz64 : .cbz64) : (nz ? .cbnz32 : .cbz32)
    return Slot(op, n: rz(bits(w, 4, 0)), imm: branchOffset(w >> 5, 18))
}

private func decodeTestBranch(_ w: UInt32) -> Slot {
    let bitNo = bits(w, 31, 31) << 5 | bits(w, 23, 19)
    return Slot(bit(w, 24) ? .tbnz : .tbz, n: rz(bits(w, 4, 0)), x: UInt8(bitNo),
                imm: branchOffset(w >> 5, 13))
}

private func decodeBranchRegister(_ w: UInt32) -> Slot {
    let n = rz(bits(w, 9, 5))
    switch bits(w, 24, 21) {
    case 0: return Slot(.br, n: n)
    case 1: return Slot(.blr, n: n)
    case 2: return Slot(.ret, n: n)
    case 4 where bits(w, 9, 5) == 31: return Slot(.eret)
    default: return undef(w)
    }
}

private func decodeException(_ w: UInt32) -> Slot {
    let imm = UInt64(bits(w, 20, 5))
    switch (bits(w, 23, 21), bits(w, 1, 0)) {
    case (0, 1): return Slot(.svc, imm: imm)
    case (0, 2): return Slot(.hvc, imm: imm)
    case (0, 3): return Slot(.smc, imm: imm)
    case (1, 0): return Slot(.brk, imm: imm)
    case (2, 0): return Slot(.hlt, imm: imm)
    default: return undef(w)
    }
}

/// PSTATE fields writable with MSR (immediate), in slot.x.
public enum PStateField {
    public static let spsel: UInt8 = 0, daifSet: UInt8 = 1, daifClr: UInt8 = 2, pan: UInt8 = 3
}

private func decodeSystem(_ w: UInt32) -> Slot {
    let l = bit(w, 21), op0 = bits(w, 20, 19), op1 = bits(w, 18, 16), crn = bits(w, 15, 12)
    let crm = bits(w, 11, 8), op2 = bits(w, 7, 5), rt = bits(w, 4, 0)
    let enc = sysEncoding(op0, op1, crn, crm, op2)
    switch op0 {
    case 0:
        if l || rt != 31 { return undef(w) }
        switch (crn, op1) {
        case (2, 3):
            switch crm << 3 | op2 {
            case 1: return Slot(.yield)
            case 2: return Slot(.wfe)
            case 3: return Slot(.wfi)
            case 4: return Slot(.sev)
            case 5: return Slot(.sevl)
            default: return Slot(.nop)   // the rest of the hint space executes as NOP
            }
        case (3, 3):
            switch op2 {
            case 2: return Slot(.clrex)
            case 4, 5: return Slot(.barrier)
            case 6: return Slot(.isb)
            default: return undef(w)
            }
        case (4, _):
            switch (op1, op2) {
            case (0, 5): return Slot(.msrImm, x: PStateField.spsel, y: UInt8(crm))
            case (3, 6): return Slot(.msrImm, x: PStateField.daifSet, y: UInt8(crm))
            case (3, 7): return Slot(.msrImm, x: PStateField.daifClr, y: UInt8(crm))
            case (0, 4): return Slot(.msrImm, x: PStateField.pan, y: UInt8(crm & 1))
            default: return undef(w)
            }
        default: return undef(w)
        }
    case 1:
        guard !l, let op = sysOpLookup(enc) else { return undef(w) }
        return Slot(.sys, n: rz(rt), imm: UInt64(enc) << 16 | UInt64(op.rawValue))
    default:
        guard let r = sysRegLookup(enc) else { return undef(w) }
        return l ? Slot(.mrs, d: wz(rt), imm: UInt64(enc) << 16 | UInt64(r.rawValue))
                 : Slot(.msr, n: rz(rt), imm: UInt64(enc) << 16 | UInt64(r.rawValue))
    }
}

/// B.cond: x = cond, d | n << 8 = its mask (`conditionMask`), imm = offset.
private func bcondSlot(_ w: UInt32) -> Slot {
    let cond = Int(bits(w, 3, 0)), mask = conditionMask(cond)
    return Slot(.bcond, d: UInt8(truncatingIfNeeded: mask), n: UInt8(truncatingIfNeeded: mask >> 8),
                x: UInt8(cond), imm: branchOffset(w >> 5, 18))
}
