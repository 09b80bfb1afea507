// A small x86-64 assembler: the instruction forms the block compiler (BlockCompiler.swift)
// emits, encoded as the Intel SDM (Vol. 2) gives them. Memory operands are always
// [base + disp32]; byte registers always get a REX prefix so that 4–7 mean SPL..DIL.
// Runs when a block is compiled, never per guest instruction.

struct X86Assembler {
    typealias R = UInt8
    static let rax: R = 0, rcx: R = 1, rdx: R = 2, rbx: R = 3, rsp: R = 4, rbp: R = 5, rsi: R = 6, rdi: R = 7
    static let r8: R = 8, r9: R = 9, r10: R = 10, r11: R = 11, r12: R = 12, r13: R = 13, r14: R = 14, r15: R = 15

    /// Condition codes (the low nibble of Jcc, SETcc, CMOVcc).
    enum Cond: UInt8 {
        case o = 0, no, b, ae, e, ne, be, a, s, ns, p, np, l, ge, le, g
        static let c = Cond.b, nc = Cond.ae
    }
    /// Group-1 arithmetic: the /digit of 0x81 and the opcode of the register form (digit × 8 + 1).
    enum ALU: UInt8 { case add = 0, or, adc, sbb, and, sub, xor, cmp }
    /// Group-2 shifts: the /digit of 0xC1 and 0xD3.
    enum Shift: UInt8 { case rol = 0, ror = 1, shl = 4, shr = 5, sar = 7 }

    /// The code, in a buffer the caller owns (`capacity` bytes).
    let bytes: UnsafeMutablePointer<UInt8>
    let capacity: Int
    private(set) var count = 0

    init(into buffer: UnsafeMutablePointer<UInt8>, capacity: Int) { bytes = buffer; self.capacity = capacity }

    private mutating func byte(_ b: UInt8) {
        precondition(count < capacity, "region code buffer overflow")
        bytes[count] = b
        count += 1
    }
    private mutating func int32(_ v: Int32) {
        let u = UInt32(bitPattern: v)
        for i in 0..<4 { byte(UInt8(truncatingIfNeeded: u >> (8 * UInt32(i)))) }
    }
    /// An opcode of one byte, or two (0x0F and the second) written as 0x0Fxx.
    private mutating func opcode(_ op: UInt16) {
        if op > 0xff { byte(UInt8(op >> 8)) }
        byte(UInt8(truncatingIfNeeded: op))
    }
    private mutating func rex(w: Bool, r: R, b: R, always: Bool = false) {
        let v: UInt8 = 0x40 | (w ? 8 : 0) | (r >> 3 & 1) << 2 | (b >> 3 & 1)
        if v != 0x40 || always { byte(v) }
    }
    /// opcode with ModRM reg = `reg`, r/m = register `rm`.
    private mutating func regReg(_ op: UInt16, w: Bool, reg: R, rm: R, bytes8: Bool = false) {
        rex(w: w, r: reg, b: rm, always: bytes8)
        opcode(op)
        byte(0xC0 | (reg & 7) << 3 | rm & 7)
    }
    /// opcode with ModRM reg = `reg`, r/m = [base + disp].
    private mutating func regMem(_ op: UInt16, w: Bool, reg: R, base: R, disp: Int32, bytes8: Bool = false) {
        rex(w: w, r: reg, b: base, always: bytes8)
        opcode(op)
        byte(0x80 | (reg & 7) << 3 | base & 7)
        if base & 7 == 4 { byte(0x24) }     // SIB: base alone
        int32(disp)
    }

    // MARK: Moves
    mutating func load(_ dst: R, _ base: R, _ disp: Int32) { regMem(0x8B, w: true, reg: dst, base: base, disp: disp) }
    mutating func load32(_ dst: R, _ base: R, _ disp: Int32) { regMem(0x8B, w: false, reg: dst, base: base, disp: disp) }
    mutating func loadZX8(_ dst: R, _ base: R, _ disp: Int32) { regMem(0x0FB6, w: false, reg: dst, base: base, disp: disp) }
    mutating func loadZX16(_ dst: R, _ base: R, _ disp: Int32) { regMem(0x0FB7, w: false, reg: dst, base: base, disp: disp) }
    mutating func loadSX8(_ dst: R, _ base: R, _ disp: Int32) { regMem(0x0FBE, w: true, reg: dst, base: base, disp: disp) }
    mutating func loadSX16(_ dst: R, _ base: R, _ disp: Int32) { regMem(0x0FBF, w: true, reg: dst, base: base, disp: disp) }
    mutating func loadSX32(_ dst: R, _ base: R, _ disp: Int32) { regMem(0x63, w: true, reg: dst, base: base, disp: disp) }
    /// Stores the low `size` bytes (1, 2, 4, 8) of `src`.
    mutating func store(_ size: Int, _ base: R, _ disp: Int32, _ src: R) {
        switch size {
        case 1: regMem(0x88, w: false, reg: src, base: base, disp: disp, bytes8: true)
        case 2: byte(0x66); regMem(0x89, w: false, reg: src, base: base, disp: disp)
        case 4: regMem(0x89, w: false, reg: src, base: base, disp: disp)
        default: regMem(0x89, w: true, reg: src, base: base, disp: disp)
        }
    }
    mutating func mov(_ dst: R, _ src: R) { regReg(0x89, w: true, reg: src, rm: dst) }
    /// 32-bit move: zero-extends into the whole register.
    mutating func mov32(_ dst: R, _ src: R) { regReg(0x89, w: false, reg: src, rm: dst) }
    mutating func movImm(_ dst: R, _ v: UInt64) {
        if v <= UInt64(UInt32.max) {
            rex(w: false, r: 0, b: dst); byte(0xB8 | dst & 7); int32(Int32(bitPattern: UInt32(v)))
        } else if Int64(bitPattern: v) >= Int64(Int32.min) && Int64(bitPattern: v) < 0 {
            rex(w: true, r: 0, b: dst); byte(0xC7); byte(0xC0 | dst & 7); int32(Int32(truncatingIfNeeded: Int64(bitPattern: v)))
        } else {
            rex(w: true, r: 0, b: dst); byte(0xB8 | dst & 7)
            for i in 0..<8 { byte(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
        }
    }
    mutating func movzx8(_ dst: R, _ src: R) { regReg(0x0FB6, w: false, reg: dst, rm: src, bytes8: true) }

    // MARK: Arithmetic
    mutating func alu(_ op: ALU, _ dst: R, _ src: R, w: Bool = true) {
        regReg(UInt16(op.rawValue << 3 | 1), w: w, reg: src, rm: dst)
    }
    mutating func alu(_ op: ALU, _ dst: R, imm: Int32, w: Bool = true) {
        regReg(0x81, w: w, reg: op.rawValue, rm: dst); int32(imm)
    }
    mutating func aluMem(_ op: ALU, _ dst: R, _ base: R, _ disp: Int32, w: Bool = true) {
        regMem(UInt16(op.rawValue << 3 | 3), w: w, reg: dst, base: base, disp: disp)
    }
    mutating func aluToMem(_ op: ALU, _ base: R, _ disp: Int32, imm: Int32) {
        regMem(0x81, w: true, reg: op.rawValue, base: base, disp: disp); int32(imm)
    }
    mutating func test(_ a: R, _ b: R, w: Bool = true) { regReg(0x85, w: w, reg: b, rm: a) }
    mutating func shift(_ op: Shift, _ dst: R, _ amount: UInt8, w: Bool = true) {
        regReg(0xC1, w: w, reg: op.rawValue, rm: dst); byte(amount)
    }
    /// Shift by CL.
    mutating func shiftCL(_ op: Shift, _ dst: R, w: Bool = true) { regReg(0xD3, w: w, reg: op.rawValue, rm: dst) }
    /// dst = (dst >> amount) | (src << (width - amount)).
    mutating func shrd(_ dst: R, _ src: R, _ amount: UInt8, w: Bool = true) {
        regReg(0x0FAC, w: w, reg: src, rm: dst); byte(amount)
    }
    mutating func imul(_ dst: R, _ src: R, w: Bool = true) { regReg(0x0FAF, w: w, reg: dst, rm: src) }
    /// RDX:RAX = RAX × src, unsigned (`signed`: IMUL's one-operand form).
    mutating func mulWide(_ src: R, signed: Bool) { regReg(0xF7, w: true, reg: signed ? 5 : 4, rm: src) }
    mutating func neg(_ r: R, w: Bool = true) { regReg(0xF7, w: w, reg: 3, rm: r) }
    mutating func not(_ r: R, w: Bool = true) { regReg(0xF7, w: w, reg: 2, rm: r) }
    mutating func bswap(_ r: R, w: Bool = true) { rex(w: w, r: 0, b: r); byte(0x0F); byte(0xC8 | r & 7) }
    mutating func cmov(_ c: Cond, _ dst: R, _ src: R, w: Bool = true) { regReg(0x0F40 | UInt16(c.rawValue), w: w, reg: dst, rm: src) }
    mutating func setcc(_ c: Cond, _ dst: R) { regReg(0x0F90 | UInt16(c.rawValue), w: false, reg: 0, rm: dst, bytes8: true) }
    /// CF = bit `bit` of `r` (32-bit register, bit offset taken modulo 32).
    mutating func bt(_ r: R, bitIn offset: R) { regReg(0x0FA3, w: false, reg: offset, rm: r) }
    /// CF = bit `bit` of the quadword at [base + disp].
    mutating func btMem(_ base: R, _ disp: Int32, bit: UInt8) {
        regMem(0x0FBA, w: true, reg: 4, base: base, disp: disp); byte(bit)
    }
    mutating func btImm(_ r: R, bit: UInt8) { regReg(0x0FBA, w: true, reg: 4, rm: r); byte(bit) }
    mutating func cmc() { byte(0xF5) }

    // MARK: Control
    mutating func push(_ r: R) { rex(w: false, r: 0, b: r); byte(0x50 | r & 7) }
    mutating func pop(_ r: R) { rex(w: false, r: 0, b: r); byte(0x58 | r & 7) }
    mutating func ret() { byte(0xC3) }
    /// JMP to the address in `r`.
    mutating func jmpReg(_ r: R) { regReg(0xFF, w: false, reg: 4, rm: r) }

    /// A jump whose 32-bit displacement is patched by `bind`: its offset in `bytes`.
    struct Fixup { let at: Int }
    mutating func jcc(_ c: Cond) -> Fixup { byte(0x0F); byte(0x80 | c.rawValue); int32(0); return Fixup(at: count) }
    mutating func jmp() -> Fixup { byte(0xE9); int32(0); return Fixup(at: count) }
    /// A jump to `target`, an offset already emitted.
    mutating func jmp(to target: Int) { let f = jmp(); bind(f, to: target) }
    /// Points jump `f` at offset `target`.
    mutating func bind(_ f: Fixup, to target: Int) {
        let d = UInt32(bitPattern: Int32(target - f.at))
        for i in 0..<4 { bytes[f.at - 4 + i] = UInt8(truncatingIfNeeded: d >> (8 * UInt32(i))) }
    }
}
