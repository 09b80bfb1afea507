// Arithmetic helpers for the data-processing handlers (Arm ARM C6, shared pseudocode
// AddWithCarry, ShiftReg, ExtendReg, ConditionHolds). All are inlined into the
// interpreter's switch.

/// AddWithCarry for 64-bit operands: the result and NZCV in bits 31:28.
@inline(__always) func addWithCarry64(_ a: UInt64, _ b: UInt64, _ c: UInt64) -> (UInt64, UInt64) {
    let (r1, o1) = a.addingReportingOverflow(b)
    let (r, o2) = r1.addingReportingOverflow(c)
    let n = r >> 63, z: UInt64 = r == 0 ? 1 : 0, cf: UInt64 = (o1 || o2) ? 1 : 0
    let v = ((a ^ r) & (b ^ r)) >> 63
    return (r, n << 31 | z << 30 | cf << 29 | v << 28)
}

/// UMULH, SMULH: the high 64 bits of the 128-bit product, through the 128-bit integer
/// types, which compile to one multiply (`multipliedFullWidth` is a call into the runtime).
@inline(__always) func unsignedMultiplyHigh(_ a: UInt64, _ b: UInt64) -> UInt64 {
    UInt64(truncatingIfNeeded: (UInt128(a) &* UInt128(b)) &>> 64)
}
@inline(__always) func signedMultiplyHigh(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let p = Int128(Int64(bitPattern: a)) &* Int128(Int64(bitPattern: b))
    return UInt64(truncatingIfNeeded: p &>> 64)
}

/// AddWithCarry for 32-bit operands (upper halves ignored); result zero-extended.
@inline(__always) func addWithCarry32(_ a: UInt64, _ b: UInt64, _ c: UInt64) -> (UInt64, UInt64) {
    let a32 = a & 0xffff_ffff, b32 = b & 0xffff_ffff
    let wide = a32 &+ b32 &+ c
    let r = wide & 0xffff_ffff
    let n = (r >> 31) & 1, z: UInt64 = r == 0 ? 1 : 0, cf = wide >> 32
    let v = (((a32 ^ r) & (b32 ^ r)) >> 31) & 1
    return (r, n << 31 | z << 30 | cf << 29 | v << 28)
}

/// a - b and its NZCV, as AddWithCarry(a, NOT b, 1) gives them (C is "no borrow"):
/// CMP, SUBS and CCMP, about a tenth of a Linux boot's instructions, with fewer host
/// instructions than the general form.
@inline(__always) func subtract64(_ a: UInt64, _ b: UInt64) -> (UInt64, UInt64) {
    let r = a &- b
    let z: UInt64 = r == 0 ? 1 << 30 : 0, c: UInt64 = a >= b ? 1 << 29 : 0
    return (r, (r >> 63) << 31 | z | c | (((a ^ b) & (a ^ r)) >> 63) << 28)
}

/// The 32-bit form (upper halves ignored); the result zero-extended.
@inline(__always) func subtract32(_ a: UInt64, _ b: UInt64) -> (UInt64, UInt64) {
    let a32 = a & 0xffff_ffff, b32 = b & 0xffff_ffff
    let r = (a32 &- b32) & 0xffff_ffff
    let z: UInt64 = r == 0 ? 1 << 30 : 0, c: UInt64 = a32 >= b32 ? 1 << 29 : 0
    return (r, (r >> 31) << 31 | z | c | ((((a32 ^ b32) & (a32 ^ r)) >> 31) & 1) << 28)
}

/// NZCV after a logical operation: N and Z from the result, C = V = 0.
@inline(__always) func logicFlags64(_ r: UInt64) -> UInt64 { (r >> 63) << 31 | (r == 0 ? 1 << 30 : 0) }
@inline(__always) func logicFlags32(_ r: UInt64) -> UInt64 { ((r >> 31) & 1) << 31 | (r & 0xffff_ffff == 0 ? 1 << 30 : 0) }

/// ShiftReg: LSL, LSR, ASR, ROR by an amount below the register size.
@inline(__always) func shift64(_ v: UInt64, _ type: UInt8, _ amount: UInt8) -> UInt64 {
    let a = UInt64(amount)
    switch type {
    case 0: return v &<< a
    case 1: return v &>> a
    case 2: return UInt64(bitPattern: Int64(bitPattern: v) &>> Int64(a))
    default: return a == 0 ? v : (v &>> a) | (v &<< (64 - a))
    }
}

@inline(__always) func shift32(_ v: UInt64, _ type: UInt8, _ amount: UInt8) -> UInt64 {
    let w = UInt32(truncatingIfNeeded: v), a = UInt32(amount)
    switch type {
    case 0: return UInt64(w &<< a)
    case 1: return UInt64(w &>> a)
    case 2: return UInt64(UInt32(bitPattern: Int32(bitPattern: w) &>> Int32(a)))
    default: return UInt64(a == 0 ? w : (w &>> a) | (w &<< (32 - a)))
    }
}

/// ExtendReg: UXTB/UXTH/UXTW/UXTX/SXTB/SXTH/SXTW/SXTX, then LSL by `shift` (0-4), for
/// slots that keep the option itself (the FP/SIMD register-offset loads and stores).
@inline(__always) func extendReg(_ v: UInt64, _ option: UInt8, _ shift: UInt8) -> UInt64 {
    let (drop, keep) = extendConstants(option)
    return extendReg(v, drop: drop, keep: keep, shift: shift)
}

/// The decoder's form of an extension `option` for `extendReg(_:drop:keep:shift:)`: `drop`,
/// the bits above the source field (56, 48, 32 or 0), and `keep`, the result's mask (all
/// ones for a signed extension or none, else the field's width).
func extendConstants(_ option: UInt8) -> (drop: UInt8, keep: UInt64) {
    let drop = UInt8(64 - (8 << Int(option & 3)))
    return (drop, option & 4 != 0 || drop == 0 ? ~0 : ~0 >> UInt64(drop))
}

/// ExtendReg with the option decoded (`extendConstants`): up by `drop`, down again
/// arithmetically, masked with `keep`, then LSL by `shift`. Branch-free and a few host
/// instructions shorter than the option form, for the interpreter's register-offset
/// loads and stores and the extended-register ADD/SUB.
@inline(__always) func extendReg(_ v: UInt64, drop: UInt8, keep: UInt64, shift: UInt8) -> UInt64 {
    let e = UInt64(bitPattern: Int64(bitPattern: v &<< UInt64(drop)) &>> Int64(drop)) & keep
    return e &<< UInt64(shift)
}

/// The NZCV values (0...15, N the top bit) for which condition `cond` holds, one bit per
/// value (ConditionHolds, Arm ARM C1.2.4): evaluating the condition is a shift and a mask.
/// The decoder puts this mask in the slots of B.cond, CSEL and CCMP.
func conditionMask(_ cond: Int) -> UInt16 {
    var mask: UInt16 = 0
    for f in 0..<16 {
        let n = f & 8 != 0, z = f & 4 != 0, c = f & 2 != 0, v = f & 1 != 0
        var r: Bool
        switch (cond & 15) >> 1 {
        case 0: r = z
        case 1: r = c
        case 2: r = n
        case 3: r = v
        case 4: r = c && !z
        case 5: r = n == v
        case 6: r = n == v && !z
        default: r = true
        }
        if cond & 1 == 1 && cond & 15 != 15 { r = !r }
        if r { mask |= 1 << UInt16(f) }
    }
    return mask
}

/// The masks of all 16 conditions (for the FP conditional operations).
func makeConditionTable() -> UnsafeMutablePointer<UInt16> {
    let t = UnsafeMutablePointer<UInt16>.allocate(capacity: 16)
    for cond in 0..<16 { t[cond] = conditionMask(cond) }
    return t
}

@inline(__always) func reverseBytes16(_ v: UInt64) -> UInt64 {
    ((v & 0x00ff_00ff_00ff_00ff) << 8) | ((v >> 8) & 0x00ff_00ff_00ff_00ff)
}

@inline(__always) func reverseBits64(_ v: UInt64) -> UInt64 {
    var x = v
    x = ((x >> 1) & 0x5555_5555_5555_5555) | ((x & 0x5555_5555_5555_5555) << 1)
    x = ((x >> 2) & 0x3333_3333_3333_3333) | ((x & 0x3333_3333_3333_3333) << 2)
    x = ((x >> 4) & 0x0f0f_0f0f_0f0f_0f0f) | ((x & 0x0f0f_0f0f_0f0f_0f0f) << 4)
    return x.byteSwapped
}

/// CLS: leading sign bits, not counting the sign bit itself.
@inline(__always) func countLeadingSign(_ v: UInt64, width: Int) -> UInt64 {
    let x = width == 64 ? v : v << 32
    let y = (x ^ (x << 1)) | (width == 64 ? 1 : 1 << 32)
    return UInt64(y.leadingZeroBitCount)
}

/// CRC32/CRC32C over the low `bytes` bytes of `data` (reflected, as the Arm ARM specifies).
func crc32Update(_ acc: UInt64, _ data: UInt64, bytes: Int, castagnoli: Bool) -> UInt64 {
    let poly: UInt32 = castagnoli ? 0x82f6_3b78 : 0xedb8_8320
    var crc = UInt32(truncatingIfNeeded: acc)
    for i in 0..<bytes {
        crc ^= UInt32((data >> UInt64(8 * i)) & 0xff)
        for _ in 0..<8 { crc = (crc >> 1) ^ (crc & 1 != 0 ? poly : 0) }
    }
    return UInt64(crc)
}

@inline(__always) func signedDivide(_ a: Int64, _ b: Int64) -> Int64 {
    if b == 0 { return 0 }
    if a == .min && b == -1 { return .min }
    return a / b
}
