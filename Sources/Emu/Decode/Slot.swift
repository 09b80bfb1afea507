// The pre-decoded form of one A64 instruction: 16 bytes, filled once per guest page
// by the decoder and executed many times by the interpreter (docs/architecture.md, "The decode cache").

/// Register operand indices in a slot. 0...30 are X0...X30; the two encodings of
/// register 31 are resolved at decode time so handlers never test for them.
public enum Reg {
    public static let zr: UInt8 = 31      // reads as zero, never written
    public static let sink: UInt8 = 32    // writes to XZR land here and are never read
    public static let sp: UInt8 = 33      // the current stack pointer
    /// PSTATE.NZCV (bits 31:28, as in SPSR), kept with the registers: the interpreter's
    /// flag-setting and conditional handlers reach it through the register pointer.
    public static let nzcv: UInt8 = 34
    public static let count = 35
}

/// One decoded instruction. `op` selects the handler; the meaning of the other
/// fields is documented per operation in `Op`.
public struct Slot: Sendable {
    public var op: Op
    public var d: UInt8
    public var n: UInt8
    public var m: UInt8
    public var a: UInt8
    public var x: UInt8
    public var y: UInt8
    public var imm: UInt64

    @inline(__always)
    public init(_ op: Op, d: UInt8 = Reg.sink, n: UInt8 = Reg.zr, m: UInt8 = Reg.zr, a: UInt8 = Reg.zr,
                x: UInt8 = 0, y: UInt8 = 0, imm: UInt64 = 0) {
        self.op = op; self.d = d; self.n = n; self.m = m; self.a = a; self.x = x; self.y = y; self.imm = imm
    }

    /// A B.cond's condition mask (`conditionMask`), kept in d (low byte) and n.
    @inline(__always) var condMask: UInt16 { UInt16(d) | UInt16(n) &<< 8 }

    public static let undecoded = Slot(.undecoded)
    public static let pageEnd = Slot(.pageEnd)
}

/// Register index for a source operand where encoding 31 means XZR.
@inline(__always) func rz(_ r: UInt32) -> UInt8 { UInt8(r) }
/// Register index for a destination where encoding 31 means XZR (write discarded).
@inline(__always) func wz(_ r: UInt32) -> UInt8 { r == 31 ? Reg.sink : UInt8(r) }
/// Register index where encoding 31 means SP (source or destination).
@inline(__always) func rsp(_ r: UInt32) -> UInt8 { r == 31 ? Reg.sp : UInt8(r) }

/// Address modes of single and pair loads/stores (slot.x, low 3 bits).
public enum AddrMode {
    public static let offset: UInt8 = 0      // [Xn|SP, #imm]
    public static let preIndex: UInt8 = 1    // [Xn|SP, #imm]!
    public static let postIndex: UInt8 = 2   // [Xn|SP], #imm
    public static let register: UInt8 = 3    // [Xn|SP, Rm{, extend #a}], extend option in y
    public static let literal: UInt8 = 4     // PC + imm
    public static let unprivileged: UInt8 = 8  // flag: LDTR/STTR (EL0 permissions at EL1)
}
