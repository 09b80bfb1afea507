// The integer operations fused pairs are made of (Decode/Fusion.swift), and the register
// file access the interpreter's switch (CPU/Interpreter.swift) and they share. All are
// inlined into the switch; nothing here is called on its own.

// Register file access, through the interpreter loop's local copy of the register pointer
// (a class property would be reloaded after every store).
@inline(__always) func rx(_ x: UnsafeMutablePointer<UInt64>, _ i: UInt8) -> UInt64 { x[Int(i)] }
@inline(__always) func wx(_ x: UnsafeMutablePointer<UInt64>, _ i: UInt8, _ v: UInt64) { x[Int(i)] = v }
/// Whether the condition whose mask (`conditionMask`) is `mask` holds for the current flags.
@inline(__always) func holds(_ mask: UInt16, _ x: UnsafeMutablePointer<UInt64>) -> Bool {
    (mask &>> UInt16(truncatingIfNeeded: x[Int(Reg.nzcv)] &>> 28)) & 1 != 0
}
@inline(__always) func wx32(_ x: UnsafeMutablePointer<UInt64>, _ i: UInt8, _ v: UInt64) {
    x[Int(i)] = v & 0xffff_ffff
}

/// The integer operations that fused pairs (Fusion.swift) are made of: the handler of each,
/// for the switch's own case and for either half of a pair (`op` is a constant at every use).
@_transparent func integerOp(_ op: Op, _ x: UnsafeMutablePointer<UInt64>, _ s: Slot) {
    switch op {
    case .sbfm64: wx(x, s.d, signExtend(rx(x, s.n) &>> UInt64(s.x), Int(s.y)) &<< UInt64(s.a))
    case .subR64: wx(x, s.d, rx(x, s.n) &- rx(x, s.m))
    case .andImm64: wx(x, s.d, rx(x, s.n) & s.imm)
    case .ubfm64: wx(x, s.d, ((rx(x, s.n) &>> UInt64(s.x)) & s.imm) &<< UInt64(s.a))
    case .madd64: wx(x, s.d, rx(x, s.a) &+ rx(x, s.n) &* rx(x, s.m))
    case .addEx64: wx(x, s.d, rx(x, s.n) &+ extendReg(rx(x, s.m), drop: s.x, keep: s.imm, shift: s.y))
    case .addSh64: wx(x, s.d, rx(x, s.n) &+ shift64(rx(x, s.m), s.x, s.y))
    case .addR64: wx(x, s.d, rx(x, s.n) &+ rx(x, s.m))
    case .subsR64: let (v, f) = subtract64(rx(x, s.n), rx(x, s.m)); wx(x, s.d, v); wx(x, Reg.nzcv, f)
    case .csel64: wx(x, s.d, holds(UInt16(truncatingIfNeeded: s.imm), x) ? rx(x, s.n) : rx(x, s.m))
    case .csinc64: wx(x, s.d, holds(UInt16(truncatingIfNeeded: s.imm), x) ? rx(x, s.n) : rx(x, s.m) &+ 1)
    case .addsImm32: let (v, f) = addWithCarry32(rx(x, s.n), s.imm, 0); wx(x, s.d, v); wx(x, Reg.nzcv, f)
    case .subsImm32: let (v, f) = subtract32(rx(x, s.n), s.imm); wx(x, s.d, v); wx(x, Reg.nzcv, f)
    case .subsR32: let (v, f) = subtract32(rx(x, s.n), rx(x, s.m)); wx(x, s.d, v); wx(x, Reg.nzcv, f)
    case .subsImm64: let (v, f) = subtract64(rx(x, s.n), s.imm); wx(x, s.d, v); wx(x, Reg.nzcv, f)
    case .andsImm64: let v = rx(x, s.n) & s.imm; wx(x, s.d, v); wx(x, Reg.nzcv, logicFlags64(v))
    case .addR32: wx32(x, s.d, rx(x, s.n) &+ rx(x, s.m))
    case .eor32: wx32(x, s.d, rx(x, s.n) ^ shift32(rx(x, s.m), s.x, s.y))
    case .extr32:
        let v = (rx(x, s.n) & 0xffff_ffff) << 32 | (rx(x, s.m) & 0xffff_ffff)
        wx32(x, s.d, v &>> UInt64(s.x))
    case .orr32: wx32(x, s.d, rx(x, s.n) | shift32(rx(x, s.m), s.x, s.y))
    case .and32: wx32(x, s.d, rx(x, s.n) & shift32(rx(x, s.m), s.x, s.y))
    case .addsSh64: let (v, f) = addWithCarry64(rx(x, s.n), shift64(rx(x, s.m), s.x, s.y), 0); wx(x, s.d, v); wx(x, Reg.nzcv, f)
    case .mov64: wx(x, s.d, rx(x, s.m))
    case .ccmn64: wx(x, Reg.nzcv, holds(UInt16(truncatingIfNeeded: s.imm &>> 16), x) ? addWithCarry64(rx(x, s.n), rx(x, s.m) | (s.imm & 0x1f), 0).1 : UInt64(s.a) << 28)
    case .ccmn32: wx(x, Reg.nzcv, holds(UInt16(truncatingIfNeeded: s.imm &>> 16), x) ? addWithCarry32(rx(x, s.n), rx(x, s.m) | (s.imm & 0x1f), 0).1 : UInt64(s.a) << 28)
    case .ccmp64: wx(x, Reg.nzcv, holds(UInt16(truncatingIfNeeded: s.imm &>> 16), x) ? subtract64(rx(x, s.n), rx(x, s.m) | (s.imm & 0x1f)).1 : UInt64(s.a) << 28)
    case .ccmp32: wx(x, Reg.nzcv, holds(UInt16(truncatingIfNeeded: s.imm &>> 16), x) ? subtract32(rx(x, s.n), rx(x, s.m) | (s.imm & 0x1f)).1 : UInt64(s.a) << 28)
    case .addImm64: wx(x, s.d, rx(x, s.n) &+ s.imm)
    case .movImm: wx(x, s.d, s.imm)
    default: break
    }
}
