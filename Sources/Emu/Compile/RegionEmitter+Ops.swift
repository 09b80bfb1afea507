// Data processing and memory accesses in a compiled region: each instruction reads its
// operands from the register file, computes in scratch registers and writes its results
// back, exactly as its handler in CPU/Interpreter.swift does. Flag-setting operations build
// NZCV (bits 31:28 of Reg.nzcv) from the host's flags: x86's carry after a subtraction is
// a borrow, Arm's C its inverse.

extension RegionEmitter {
    private typealias R = X86Assembler.R

    private mutating func get(_ r: R, _ n: UInt8) { a.load(r, Self.regs, Self.reg(n)) }
    private mutating func put(_ d: UInt8, _ r: R) { a.store(8, Self.regs, Self.reg(d), r) }
    /// r = value, as an immediate operand where it fits, else through `via`.
    private mutating func alu(_ op: X86Assembler.ALU, _ r: R, value: UInt64, via: R, w: Bool) {
        let v = w ? value : value & 0xffff_ffff
        if Int64(bitPattern: v) >= Int64(Int32.min) && Int64(bitPattern: v) <= Int64(Int32.max) {
            a.alu(op, r, imm: Int32(truncatingIfNeeded: Int64(bitPattern: v)), w: w)
        } else {
            a.movImm(via, v); a.alu(op, r, via, w: w)
        }
    }

    /// Zeroes the registers `storeFlags` sets (before the flag-setting operation: XOR
    /// changes the flags).
    private mutating func prepareFlags() {
        for r in [X86Assembler.r8, X86Assembler.r9, X86Assembler.r10, X86Assembler.r11] { a.alu(.xor, r, r, w: false) }
    }
    /// NZCV from the host flags of the operation just emitted (`subtraction`: C = no borrow).
    private mutating func storeFlags(subtraction: Bool) {
        a.setcc(.s, X86Assembler.r8); a.setcc(.e, X86Assembler.r9)
        a.setcc(subtraction ? .nc : .c, X86Assembler.r10); a.setcc(.o, X86Assembler.r11)
        a.shift(.shl, X86Assembler.r8, 31, w: false); a.shift(.shl, X86Assembler.r9, 30, w: false)
        a.shift(.shl, X86Assembler.r10, 29, w: false); a.shift(.shl, X86Assembler.r11, 28, w: false)
        a.alu(.or, X86Assembler.r8, X86Assembler.r9, w: false); a.alu(.or, X86Assembler.r10, X86Assembler.r11, w: false)
        a.alu(.or, X86Assembler.r8, X86Assembler.r10, w: false)
        put(Reg.nzcv, X86Assembler.r8)
    }

    /// ShiftReg (type 0–3: LSL, LSR, ASR, ROR) of `r` by a constant below the width.
    private mutating func shift(_ r: R, type: UInt8, amount: UInt8, w: Bool) {
        guard amount != 0 else { return }
        let ops: [X86Assembler.Shift] = [.shl, .shr, .sar, .ror]
        a.shift(ops[Int(type & 3)], r, amount, w: w)
    }
    /// ExtendReg as `extendReg(_:drop:keep:shift:)`: sign or zero extension of the low
    /// 64 − drop bits, then a left shift.
    private mutating func extend(_ r: R, drop: UInt8, keep: UInt64, shift amount: UInt8) {
        if drop > 0 { a.shift(.shl, r, drop); a.shift(keep == ~0 ? .sar : .shr, r, drop) }
        if amount > 0 { a.shift(.shl, r, amount) }
    }

    /// A two-operand operation d = n op rcx, with NZCV if `flags`.
    private mutating func binary(_ op: X86Assembler.ALU, _ s: Slot, w: Bool, flags: Bool, logical: Bool = false) {
        get(X86Assembler.rax, s.n)
        if flags { prepareFlags() }
        a.alu(op, X86Assembler.rax, X86Assembler.rcx, w: w)
        if flags { storeFlags(subtraction: op == .sub && !logical) }
        put(s.d, X86Assembler.rax)
    }

    mutating func emitDataProcessing(_ op: Op, _ s: Slot, index i: Int) {
        let rax = X86Assembler.rax, rcx = X86Assembler.rcx, rdx = X86Assembler.rdx
        switch op {
        // Immediate
        case .adr: a.movImm(rax, UInt64(i * 4) &+ s.imm); a.alu(.add, rax, Self.page); put(s.d, rax)
        case .adrp: a.movImm(rax, s.imm); a.alu(.add, rax, Self.page); put(s.d, rax)
        case .addImm64, .addImm32, .subImm64, .subImm32, .addsImm64, .addsImm32, .subsImm64, .subsImm32:
            let w = op == .addImm64 || op == .subImm64 || op == .addsImm64 || op == .subsImm64
            let sub = op == .subImm64 || op == .subImm32 || op == .subsImm64 || op == .subsImm32
            let flags = op == .addsImm64 || op == .addsImm32 || op == .subsImm64 || op == .subsImm32
            a.movImm(rcx, s.imm)
            binary(sub ? .sub : .add, s, w: w, flags: flags)
        case .andImm64, .orrImm64, .eorImm64, .andsImm64, .andImm32, .orrImm32, .eorImm32, .andsImm32:
            let w = op == .andImm64 || op == .orrImm64 || op == .eorImm64 || op == .andsImm64
            let alu: X86Assembler.ALU = op == .orrImm64 || op == .orrImm32 ? .or : op == .eorImm64 || op == .eorImm32 ? .xor : .and
            a.movImm(rcx, w ? s.imm : s.imm & 0xffff_ffff)
            binary(alu, s, w: w, flags: op == .andsImm64 || op == .andsImm32, logical: true)
        case .movImm: a.movImm(rax, s.imm); put(s.d, rax)
        case .movk64, .movk32:
            get(rax, s.d)
            alu(.and, rax, value: ~(0xffff &<< UInt64(s.x)), via: rcx, w: true)
            alu(.or, rax, value: s.imm &<< UInt64(s.x), via: rcx, w: true)
            if op == .movk32 { a.mov32(rax, rax) }
            put(s.d, rax)
        case .ubfm64, .ubfm32:
            if op == .ubfm64 { get(rax, s.n) } else { a.load32(rax, Self.regs, Self.reg(s.n)) }
            if s.x > 0 { a.shift(.shr, rax, s.x) }
            if s.imm != ~0 { alu(.and, rax, value: s.imm, via: rcx, w: true) }
            if s.a > 0 { a.shift(.shl, rax, s.a) }
            if op == .ubfm32 { a.mov32(rax, rax) }
            put(s.d, rax)
        case .sbfm64, .sbfm32:
            if op == .sbfm64 { get(rax, s.n) } else { a.load32(rax, Self.regs, Self.reg(s.n)) }
            if s.x > 0 { a.shift(.shr, rax, s.x) }
            let drop = UInt8(truncatingIfNeeded: 64 &- Int(s.y)) & 63
            if drop > 0 { a.shift(.shl, rax, drop); a.shift(.sar, rax, drop) }
            if s.a > 0 { a.shift(.shl, rax, s.a) }
            if op == .sbfm32 { a.mov32(rax, rax) }
            put(s.d, rax)
        case .bfm64, .bfm32:
            let field = s.imm &<< UInt64(s.a)
            get(rax, s.n)
            if s.x > 0 { a.shift(.shr, rax, s.x) }
            if s.a > 0 { a.shift(.shl, rax, s.a) }
            a.movImm(rcx, field)
            a.alu(.and, rax, rcx)
            a.not(rcx)
            get(rdx, s.d)
            a.alu(.and, rdx, rcx)
            a.alu(.or, rax, rdx)
            if op == .bfm32 { a.mov32(rax, rax) }
            put(s.d, rax)
        case .extr64, .extr32:
            let w = op == .extr64
            get(rax, s.m); get(rcx, s.n)
            if s.x > 0 { a.shrd(rax, rcx, s.x, w: w) } else if !w { a.mov32(rax, rax) }
            put(s.d, rax)

        // Register
        case .mov64: get(rax, s.m); put(s.d, rax)
        case .addR64, .subR64, .subsR64, .andR64, .orrR64, .eorR64, .andsR64, .addR32, .subR32, .subsR32:
            let w = !(op == .addR32 || op == .subR32 || op == .subsR32)
            let alu: X86Assembler.ALU
            switch op {
            case .addR64, .addR32: alu = .add
            case .andR64, .andsR64: alu = .and
            case .orrR64: alu = .or
            case .eorR64: alu = .xor
            default: alu = .sub
            }
            get(rcx, s.m)
            binary(alu, s, w: w, flags: op == .subsR64 || op == .subsR32 || op == .andsR64, logical: op == .andsR64)
        case .addSh64, .addSh32, .subSh64, .subSh32, .addsSh64, .addsSh32, .subsSh64, .subsSh32:
            let w = op == .addSh64 || op == .subSh64 || op == .addsSh64 || op == .subsSh64
            let sub = op == .subSh64 || op == .subSh32 || op == .subsSh64 || op == .subsSh32
            get(rcx, s.m)
            shift(rcx, type: s.x, amount: s.y, w: w)
            binary(sub ? .sub : .add, s, w: w, flags: op == .addsSh64 || op == .addsSh32 || op == .subsSh64 || op == .subsSh32)
        case .addEx64, .addEx32, .subEx64, .subEx32, .addsEx64, .addsEx32, .subsEx64, .subsEx32:
            let w = op == .addEx64 || op == .subEx64 || op == .addsEx64 || op == .subsEx64
            let sub = op == .subEx64 || op == .subEx32 || op == .subsEx64 || op == .subsEx32
            get(rcx, s.m)
            extend(rcx, drop: s.x, keep: s.imm, shift: s.y)
            binary(sub ? .sub : .add, s, w: w, flags: op == .addsEx64 || op == .addsEx32 || op == .subsEx64 || op == .subsEx32)
        case .and64, .bic64, .orr64, .orn64, .eor64, .eon64, .ands64, .bics64,
             .and32, .bic32, .orr32, .orn32, .eor32, .eon32, .ands32, .bics32:
            let w = [.and64, .bic64, .orr64, .orn64, .eor64, .eon64, .ands64, .bics64].contains(op)
            let invert = [.bic64, .orn64, .eon64, .bics64, .bic32, .orn32, .eon32, .bics32].contains(op)
            let alu: X86Assembler.ALU = [.orr64, .orn64, .orr32, .orn32].contains(op) ? .or
                : [.eor64, .eon64, .eor32, .eon32].contains(op) ? .xor : .and
            get(rcx, s.m)
            shift(rcx, type: s.x, amount: s.y, w: w)
            if invert { a.not(rcx, w: w) }
            binary(alu, s, w: w, flags: [.ands64, .bics64, .ands32, .bics32].contains(op), logical: true)
        case .adc64, .adc32, .adcs64, .adcs32, .sbc64, .sbc32, .sbcs64, .sbcs32:
            let w = op == .adc64 || op == .adcs64 || op == .sbc64 || op == .sbcs64
            let sbc = op == .sbc64 || op == .sbc32 || op == .sbcs64 || op == .sbcs32
            let flags = op == .adcs64 || op == .adcs32 || op == .sbcs64 || op == .sbcs32
            get(rax, s.n); get(rcx, s.m)
            if flags { prepareFlags() }
            a.btMem(Self.regs, Self.reg(Reg.nzcv), bit: 29)
            if sbc { a.cmc() }      // SBB borrows NOT C: n - m - !C = n + ~m + C
            a.alu(sbc ? .sbb : .adc, rax, rcx, w: w)
            if flags { storeFlags(subtraction: sbc) }
            put(s.d, rax)
        case .ccmn64, .ccmn32, .ccmp64, .ccmp32:
            let w = op == .ccmn64 || op == .ccmp64
            conditionToCarry(UInt16(truncatingIfNeeded: s.imm &>> 16))
            let otherwise = a.jcc(.nc)
            get(rax, s.n); get(rcx, s.m)
            if s.imm & 0x1f != 0 { a.alu(.or, rcx, imm: Int32(s.imm & 0x1f)) }
            prepareFlags()
            a.alu(op == .ccmp64 || op == .ccmp32 ? .sub : .add, rax, rcx, w: w)
            storeFlags(subtraction: op == .ccmp64 || op == .ccmp32)
            let done = a.jmp()
            a.bind(otherwise, to: a.count)
            a.movImm(rcx, UInt64(s.a) << 28)
            put(Reg.nzcv, rcx)
            a.bind(done, to: a.count)
        case .csel64, .csel32, .csinc64, .csinc32, .csinv64, .csinv32, .csneg64, .csneg32:
            let w = op == .csel64 || op == .csinc64 || op == .csinv64 || op == .csneg64
            get(rax, s.n); get(rcx, s.m)
            switch op {
            case .csinc64, .csinc32: a.alu(.add, rcx, imm: 1)
            case .csinv64, .csinv32: a.not(rcx)
            case .csneg64, .csneg32: a.neg(rcx)
            default: break
            }
            conditionToCarry(UInt16(truncatingIfNeeded: s.imm))
            a.cmov(.nc, rax, rcx)
            if !w { a.mov32(rax, rax) }
            put(s.d, rax)
        case .rev64: get(rax, s.n); a.bswap(rax); put(s.d, rax)
        case .rev32: get(rax, s.n); a.bswap(rax, w: false); put(s.d, rax)
        case .lslv64, .lslv32, .lsrv64, .lsrv32, .asrv64, .asrv32, .rorv64, .rorv32:
            let w = op == .lslv64 || op == .lsrv64 || op == .asrv64 || op == .rorv64
            let sh: X86Assembler.Shift = op == .lslv64 || op == .lslv32 ? .shl : op == .lsrv64 || op == .lsrv32 ? .shr
                : op == .asrv64 || op == .asrv32 ? .sar : .ror
            get(rax, s.n); get(rcx, s.m)
            a.shiftCL(sh, rax, w: w)
            if !w { a.mov32(rax, rax) }
            put(s.d, rax)
        case .madd64, .madd32, .msub64, .msub32:
            let w = op == .madd64 || op == .msub64
            get(rax, s.n); get(rcx, s.m)
            a.imul(rax, rcx, w: w)
            get(rcx, s.a)
            if op == .madd64 || op == .madd32 { a.alu(.add, rax, rcx, w: w) } else { a.alu(.sub, rcx, rax, w: w); a.mov(rax, rcx) }
            put(s.d, rax)
        case .smaddl, .smsubl, .umaddl, .umsubl:
            if op == .smaddl || op == .smsubl {
                a.loadSX32(rax, Self.regs, Self.reg(s.n)); a.loadSX32(rcx, Self.regs, Self.reg(s.m))
            } else {
                a.load32(rax, Self.regs, Self.reg(s.n)); a.load32(rcx, Self.regs, Self.reg(s.m))
            }
            a.imul(rax, rcx)
            get(rcx, s.a)
            if op == .smaddl || op == .umaddl { a.alu(.add, rax, rcx) } else { a.alu(.sub, rcx, rax); a.mov(rax, rcx) }
            put(s.d, rax)
        case .umulh, .smulh:
            get(rax, s.n); get(rcx, s.m)
            a.mulWide(rcx, signed: op == .smulh)
            put(s.d, rdx)
        default:
            preconditionFailure("not compiled: \(op)")
        }
    }

    // MARK: Memory

    /// A single-register access: bytes, sign extension, width of the result, store, address mode.
    struct Access { let size: Int; let signed: Bool; let to32: Bool; let store: Bool; let mode: UInt8 }

    /// The access a specialised load/store op makes; nil for other ops.
    static func access(_ op: Op) -> Access? {
        let modes: [(Op, UInt8)] = [(.ldrbOff, AddrMode.offset), (.ldrbPre, AddrMode.preIndex),
                                    (.ldrbPost, AddrMode.postIndex), (.ldrbReg, AddrMode.register)]
        guard let (_, mode) = modes.first(where: { op.rawValue >= $0.0.rawValue && op.rawValue < $0.0.rawValue + 13 })
        else { return nil }
        switch op.generic {
        case .ldrb: return Access(size: 1, signed: false, to32: false, store: false, mode: mode)
        case .ldrh: return Access(size: 2, signed: false, to32: false, store: false, mode: mode)
        case .ldrw: return Access(size: 4, signed: false, to32: false, store: false, mode: mode)
        case .ldrx: return Access(size: 8, signed: false, to32: false, store: false, mode: mode)
        case .ldrsb64: return Access(size: 1, signed: true, to32: false, store: false, mode: mode)
        case .ldrsb32: return Access(size: 1, signed: true, to32: true, store: false, mode: mode)
        case .ldrsh64: return Access(size: 2, signed: true, to32: false, store: false, mode: mode)
        case .ldrsh32: return Access(size: 2, signed: true, to32: true, store: false, mode: mode)
        case .ldrsw: return Access(size: 4, signed: true, to32: false, store: false, mode: mode)
        case .strb: return Access(size: 1, signed: false, to32: false, store: true, mode: mode)
        case .strh: return Access(size: 2, signed: false, to32: false, store: true, mode: mode)
        case .strw: return Access(size: 4, signed: false, to32: false, store: true, mode: mode)
        case .strx: return Access(size: 8, signed: false, to32: false, store: true, mode: mode)
        default: return nil
        }
    }

    /// rsi = the access's VA (before writeback), for `mode`.
    private mutating func address(_ s: Slot, mode: UInt8, offset: UInt64) {
        get(X86Assembler.rsi, s.n)
        if mode == AddrMode.register {
            get(X86Assembler.rcx, s.m)
            extend(X86Assembler.rcx, drop: s.y, keep: s.imm, shift: s.a)
            a.alu(.add, X86Assembler.rsi, X86Assembler.rcx)
        } else if mode != AddrMode.postIndex && offset != 0 {
            alu(.add, X86Assembler.rsi, value: offset, via: X86Assembler.rcx, w: true)
        }
    }

    /// rax = the host address of the `size`-byte access at rsi when the TLB's entry allows
    /// it, as the interpreter's fast path checks (`load`, `store`); else a side exit.
    private mutating func translate(size: Int, write: Bool, pair: Bool, index i: Int, readToo: Bool = false) {
        let rax = X86Assembler.rax, rcx = X86Assembler.rcx, rdx = X86Assembler.rdx, rsi = X86Assembler.rsi
        a.mov(rdx, rsi)
        a.shift(.shr, rdx, 12)
        a.alu(.and, rdx, imm: Int32(TLB.entries - 1), w: false)
        a.shift(.shl, rdx, UInt8(MemoryLayout<TLBEntry>.stride.trailingZeroBitCount), w: false)
        a.alu(.add, rdx, Self.tlb)
        a.mov(rcx, rsi)
        a.alu(.and, rcx, imm: Int32(bitPattern: 0xffff_f000 | UInt32(size - 1)))
        a.aluMem(.cmp, rcx, rdx, Int32(write ? MemoryLayout<TLBEntry>.offset(of: \.tagW)! : MemoryLayout<TLBEntry>.offset(of: \.tagR)!))
        sideExit(a.jcc(.ne), slot: i)
        if readToo {    // a read-modify-write: the interpreter's load checks tagR first
            a.aluMem(.cmp, rcx, rdx, Int32(MemoryLayout<TLBEntry>.offset(of: \.tagR)!))
            sideExit(a.jcc(.ne), slot: i)
        }
        if pair {       // both halves in the page (`pairHost`)
            a.mov32(rcx, rsi)
            a.alu(.and, rcx, imm: 0xfff, w: false)
            a.alu(.cmp, rcx, imm: 0xff8, w: false)
            sideExit(a.jcc(.e), slot: i)
        }
        a.mov(rax, rsi)
        a.aluMem(.add, rax, rdx, Int32(MemoryLayout<TLBEntry>.offset(of: \.addend)!))
    }

    private mutating func writeback(_ s: Slot, mode: UInt8) {
        if mode == AddrMode.preIndex { put(s.n, X86Assembler.rsi) }
        if mode == AddrMode.postIndex {
            alu(.add, X86Assembler.rsi, value: s.imm, via: X86Assembler.rdi, w: true)
            put(s.n, X86Assembler.rsi)
        }
    }

    mutating func emitAccess(_ acc: Access, _ s: Slot, index i: Int) {
        let rax = X86Assembler.rax, rcx = X86Assembler.rcx
        address(s, mode: acc.mode, offset: s.imm)
        translate(size: acc.size, write: acc.store, pair: false, index: i)
        if acc.store {
            get(rcx, s.d)
            a.store(acc.size, rax, 0, rcx)
            writeback(s, mode: acc.mode)
            return
        }
        load(rax, size: acc.size, signed: acc.signed)
        if acc.to32 { a.mov32(rax, rax) }
        writeback(s, mode: acc.mode)
        put(s.d, rax)
    }

    /// LDP/STP of 64-bit or 32-bit registers (offset, pre- and post-index). A W pair is
    /// compiled for an 8-byte aligned address only, where its two accesses succeed or fail
    /// together; else the interpreter makes them one by one.
    mutating func emitPair(_ op: Op, _ s: Slot, index i: Int) {
        let rax = X86Assembler.rax, rcx = X86Assembler.rcx, rdx = X86Assembler.rdx
        let mode = s.x & 7, wide = op == .ldp64 || op == .stp64, store = op == .stp64 || op == .stp32
        let half: Int32 = wide ? 8 : 4
        address(s, mode: mode, offset: s.imm)
        translate(size: 8, write: store, pair: wide, index: i)
        if store {
            get(rcx, s.d); get(rdx, s.m)
            a.store(Int(half), rax, 0, rcx); a.store(Int(half), rax, half, rdx)
            writeback(s, mode: mode)
        } else {
            if wide { a.load(rcx, rax, 0); a.load(rdx, rax, 8) } else { a.load32(rcx, rax, 0); a.load32(rdx, rax, 4) }
            writeback(s, mode: mode)
            put(s.d, rcx); put(s.m, rdx)
        }
    }

    /// dst = the `size`-byte value at [rax], sign- or zero-extended to 64 bits.
    private mutating func load(_ dst: R, size: Int, signed: Bool) {
        let rax = X86Assembler.rax
        switch (size, signed) {
        case (1, false): a.loadZX8(dst, rax, 0)
        case (2, false): a.loadZX16(dst, rax, 0)
        case (4, false): a.load32(dst, rax, 0)
        case (8, _): a.load(dst, rax, 0)
        case (1, true): a.loadSX8(dst, rax, 0)
        case (2, true): a.loadSX16(dst, rax, 0)
        default: a.loadSX32(dst, rax, 0)
        }
    }

    /// LSE atomics (`atomicOp`) and CAS (`compareAndSwap`): naturally aligned (else the tag
    /// check fails and the interpreter raises the alignment fault), readable and writable
    /// through the TLB, or the interpreter makes the access.
    mutating func emitAtomic(_ op: Op, _ s: Slot, index i: Int) {
        let rax = X86Assembler.rax, rcx = X86Assembler.rcx, rdx = X86Assembler.rdx, rdi = X86Assembler.rdi
        let size = 1 << Int(s.y)
        get(X86Assembler.rsi, s.n)
        translate(size: size, write: true, pair: false, index: i, readToo: true)
        load(rcx, size: size, signed: false)        // rcx = old
        if op == .cas {
            get(rdx, s.m)
            switch size {
            case 1: a.movzx8(rdx, rdx)
            case 2: a.shift(.shl, rdx, 48); a.shift(.shr, rdx, 48)
            case 4: a.mov32(rdx, rdx)
            default: break
            }
            a.alu(.cmp, rcx, rdx)
            let differ = a.jcc(.ne)
            get(rdi, s.d)
            a.store(size, rax, 0, rdi)
            a.bind(differ, to: a.count)
            put(s.a, rcx)
            return
        }
        get(rdi, s.m)                               // the operand; only its low `size` bytes are stored
        switch s.x {
        case 0: a.alu(.add, rdi, rcx)
        case 1: a.not(rdi); a.alu(.and, rdi, rcx)
        case 2: a.alu(.xor, rdi, rcx)
        case 3: a.alu(.or, rdi, rcx)
        default: break                              // SWP
        }
        a.store(size, rax, 0, rdi)
        put(s.d, rcx)
    }

    // MARK: System registers

    /// The system registers an MRS reads here: those `readSysReg` reads first, at EL1
    /// where nothing traps them (and NZCV, which nothing traps): the CPUState field (-1 for
    /// NZCV), and whether SPSel must be 1; nil for others.
    static func fastSysReg(_ s: Slot) -> (field: Int, spsel: Bool)? {
        switch SysReg(rawValue: UInt16(s.imm & 0xffff)) {
        case .NZCV: return (-1, false)
        case .SP_EL0: return (MemoryLayout<CPUState>.offset(of: \.spEL0)!, true)
        case .TPIDR_EL1: return (MemoryLayout<CPUState>.offset(of: \.tpidrEL1)!, false)
        case .DAIF: return (MemoryLayout<CPUState>.offset(of: \.daif)!, false)
        default: return nil
        }
    }

    mutating func emitMRS(_ s: Slot, index i: Int) {
        let rax = X86Assembler.rax, rdx = X86Assembler.rdx
        guard let r = Self.fastSysReg(s) else { preconditionFailure("MRS not compiled") }
        if r.field < 0 { get(rax, Reg.nzcv); put(s.d, rax); return }
        a.load(rdx, Self.io, 32)
        a.load(rax, rdx, Int32(MemoryLayout<CPUState>.offset(of: \.el)!))
        a.alu(.cmp, rax, imm: 1)
        sideExit(a.jcc(.ne), slot: i)
        if r.spsel {
            a.load(rax, rdx, Int32(MemoryLayout<CPUState>.offset(of: \.spsel)!))
            a.alu(.cmp, rax, imm: 1)
            sideExit(a.jcc(.ne), slot: i)
        }
        a.load(rax, rdx, Int32(r.field))
        put(s.d, rax)
    }
}
