// One region's code (BlockCompiler.swift has the frame and its conventions): the prologue,
// the instructions in slot order, the exits. Data processing and memory accesses are in
// RegionEmitter+Ops.swift.

struct RegionEmitter {
    typealias A = X86Assembler
    var a: X86Assembler
    let entry: Int, end: Int
    /// Slots that in-region branches jump to: the instruction count is brought up to date
    /// before each (`pending` is 0 there).
    let labels: Set<Int>
    /// Instructions retired since r12 was last brought up to date, on the path being emitted.
    var pending = 0
    private var labelAt: [Int: Int] = [:]
    private var forward: [Int: [A.Fixup]] = [:]
    /// Side exits to emit after the main path: the jump, the slot to resume at, and the
    /// instructions retired before it that r12 does not count yet.
    private var sideExits: [(A.Fixup, slot: Int, pending: Int)] = []
    private var epilogueJumps: [A.Fixup] = []
    /// Jumps to the block-boundary code (`emitChain`), io.pc set.
    private var chainJumps: [A.Fixup] = []

    init(entry: Int, end: Int, labels: Set<Int>, into a: X86Assembler) {
        self.entry = entry; self.end = end; self.labels = labels; self.a = a
    }

    // MARK: What is compiled

    /// The op a slot's instruction is: the first half's for a fused pair (the second half
    /// is in the next slot, compiled on its own).
    static func baseOp(_ op: Op) -> Op { Fusion.pair(op)?.first ?? op }

    static func supports(_ op: Op, _ s: Slot) -> Bool {
        switch op {
        case .adr, .adrp, .addImm64, .addImm32, .subImm64, .subImm32, .addsImm64, .addsImm32, .subsImm64, .subsImm32,
             .andImm64, .orrImm64, .eorImm64, .andsImm64, .andImm32, .orrImm32, .eorImm32, .andsImm32,
             .movImm, .movk64, .movk32, .ubfm64, .sbfm64, .bfm64, .ubfm32, .sbfm32, .bfm32, .extr64, .extr32,
             .addSh64, .addSh32, .subSh64, .subSh32, .addsSh64, .addsSh32, .subsSh64, .subsSh32,
             .addEx64, .addEx32, .subEx64, .subEx32, .addsEx64, .addsEx32, .subsEx64, .subsEx32,
             .and64, .bic64, .orr64, .orn64, .eor64, .eon64, .ands64, .bics64,
             .and32, .bic32, .orr32, .orn32, .eor32, .eon32, .ands32, .bics32, .mov64,
             .addR64, .subR64, .subsR64, .andR64, .orrR64, .eorR64, .andsR64, .addR32, .subR32, .subsR32,
             .adc64, .adc32, .adcs64, .adcs32, .sbc64, .sbc32, .sbcs64, .sbcs32,
             .ccmn64, .ccmn32, .ccmp64, .ccmp32, .csel64, .csel32, .csinc64, .csinc32, .csinv64, .csinv32,
             .csneg64, .csneg32, .rev64, .rev32, .lslv64, .lslv32, .lsrv64, .lsrv32, .asrv64, .asrv32,
             .rorv64, .rorv32, .madd64, .madd32, .msub64, .msub32, .smaddl, .smsubl, .umaddl, .umsubl,
             .smulh, .umulh, .nop, .yield, .barrier, .prfm,
             .b, .bl, .bcond, .cbz64, .cbnz64, .cbz32, .cbnz32, .tbz, .tbnz, .br, .blr, .ret:
            return true
        case .ldp64, .stp64, .ldp32, .stp32:
            let mode = s.x & 7
            return mode == AddrMode.offset || mode == AddrMode.preIndex || mode == AddrMode.postIndex
        case .mrs:
            return RegionEmitter.fastSysReg(s) != nil
        case .atomic:       // LDADD, LDCLR, LDEOR, LDSET, SWP (not the MAX/MIN ones)
            return s.x <= 3 || s.x == 8
        case .cas:
            return true
        default:
            return RegionEmitter.access(op) != nil
        }
    }

    /// The slot a direct branch goes to (may be outside the page); nil for other ops.
    static func branchTarget(_ op: Op, _ s: Slot, index: Int) -> Int? {
        switch op {
        case .b, .bl, .bcond, .cbz64, .cbnz64, .cbz32, .cbnz32, .tbz, .tbnz:
            return index + Int(Int64(bitPattern: s.imm) >> 2)
        default: return nil
        }
    }

    /// Ops after which the next instruction is reached only by a branch.
    static func endsStraightLine(_ op: Op) -> Bool {
        switch op {
        case .b, .bl, .br, .blr, .ret: return true
        default: return false
        }
    }

    // MARK: Frame

    static let io = A.r15, regs = A.rbx, tlb = A.r13, count = A.r12, limit = A.r14, page = A.rbp
    /// The displacement of register `r` in the register file.
    @inline(__always) static func reg(_ r: UInt8) -> Int32 { Int32(r) * 8 }

    mutating func emit(_ slots: UnsafeMutablePointer<Slot>) {
        let saved: [A.R] = [A.rbx, A.rbp, A.r12, A.r13, A.r14, A.r15]
        for r in saved { a.push(r) }
        a.mov(Self.regs, A.rdi); a.mov(Self.tlb, A.rsi); a.mov(Self.io, A.rdx)
        a.load(Self.count, Self.io, 0); a.load(Self.limit, Self.io, 8)
        precondition(a.count == Self.chainEntry, "the prologue's length changed: update chainEntry")
        a.load(Self.page, Self.io, 16)
        for i in entry..<end {
            if labels.contains(i) { flush(); bindLabel(i) }
            emitInstruction(slots[i], index: i)
        }
        // Falling off the region's end: the page's end is a block boundary, else the
        // interpreter goes on with the next instruction.
        if end == CodeCache.slotsPerPage {
            flush()
            setPC(offset: 0x1000)
            a.movImm(A.rax, UInt64(bitPattern: Int64(RegionExit.boundary)))
            epilogueJumps.append(a.jmp())
        } else {
            resumeAt(end)
        }
        if !chainJumps.isEmpty {
            let at = a.count
            for f in chainJumps { a.bind(f, to: at) }
            emitChain()
        }
        for (f, slot, p) in sideExits {
            a.bind(f, to: a.count)
            if p > 0 { a.alu(.add, Self.count, imm: Int32(p)) }
            a.movImm(A.rax, UInt64(slot))
            epilogueJumps.append(a.jmp())
        }
        for f in epilogueJumps { a.bind(f, to: a.count) }
        a.store(8, Self.io, 0, Self.count)
        for r in saved.reversed() { a.pop(r) }
        a.ret()
    }

    /// Brings r12 up to date.
    mutating func flush() {
        if pending > 0 { a.alu(.add, Self.count, imm: Int32(pending)) }
        pending = 0
    }

    private mutating func bindLabel(_ i: Int) {
        labelAt[i] = a.count
        for f in forward[i] ?? [] { a.bind(f, to: a.count) }
        forward[i] = nil
    }

    /// io.pc = the page's VA + `offset` (any 64-bit value: wraps).
    mutating func setPC(offset: UInt64) {
        a.movImm(A.rax, offset)
        a.alu(.add, A.rax, Self.page)
        a.store(8, Self.io, 24, A.rax)
    }

    /// Returns to the interpreter, which goes on at `slot` of this page.
    mutating func resumeAt(_ slot: Int) {
        flush()
        a.movImm(A.rax, UInt64(slot))
        epilogueJumps.append(a.jmp())
    }

    /// A jump taken when the instruction in slot `slot` cannot run here (after `jump`,
    /// emitted by the caller, whose condition says so): the interpreter runs it.
    mutating func sideExit(_ jump: A.Fixup, slot: Int) {
        sideExits.append((jump, slot: slot, pending: pending))
    }

    // MARK: Branches

    /// A taken branch from slot `index` to slot `target` (in or out of the page): the branch
    /// has retired. Leaves `pending` as it was for the not-taken path.
    mutating func taken(from index: Int, to target: Int) {
        let p = pending
        pending += 1
        flush()
        if target >= 0 && target < CodeCache.slotsPerPage {
            // As `takeBranch`: on in the page while the budget lasts, else stop there.
            a.alu(.cmp, Self.count, Self.limit)
            let more = a.jcc(.b)
            setPC(offset: UInt64(target * 4))
            a.movImm(A.rax, UInt64(bitPattern: Int64(RegionExit.budget)))
            epilogueJumps.append(a.jmp())
            a.bind(more, to: a.count)
            if let at = labelAt[target] {
                a.jmp(to: at)
            } else if labels.contains(target) {
                forward[target, default: []].append(a.jmp())
            } else {
                a.movImm(A.rax, UInt64(target))
                epilogueJumps.append(a.jmp())
            }
        } else {
            setPC(offset: UInt64(bitPattern: Int64(target) * 4))
            chainJumps.append(a.jmp())
        }
        pending = p
    }

    /// Leaves the region at a block boundary, the PC in `r`.
    mutating func leave(pcIn r: A.R) {
        a.store(8, Self.io, 24, r)
        pending += 1
        flush()
        chainJumps.append(a.jmp())
    }

    /// Where another region is entered by a jump from a block boundary (`emitChain`): after
    /// the prologue's saves and loads, at the load of the page's VA (always the same bytes).
    static let chainEntry = 33

    /// A block boundary, the PC in io.pc: what the interpreter's outer loop would do there,
    /// while it would only find the next compiled region and run it: go straight to that
    /// region (QEMU's block chaining). So the same checks: the budget, pending interrupts
    /// or an exit request, PSTATE.IL (a user-mode exception, also looked at there, is never
    /// pending after compiled code); then the PC's page must be in the TLB for execution
    /// with decoded code whose region word at the PC is a compiled region. Else the
    /// interpreter goes on. A chained region that stops in straight-line code returns its
    /// slot with io.pageVA its page (`CPUState.resumeInPage`).
    private mutating func emitChain() {
        let rax = A.rax, rcx = A.rcx, rdx = A.rdx, rsi = A.rsi, rdi = A.rdi
        var toInterpreter: [A.Fixup] = []
        a.alu(.cmp, Self.count, Self.limit)
        toInterpreter.append(a.jcc(.ae))
        a.load(rdx, Self.io, 32)
        a.loadZX8(rcx, rdx, Int32(MemoryLayout<CPUState>.offset(of: \.checkInterrupts)!))
        a.aluMem(.or, rcx, rdx, Int32(MemoryLayout<CPUState>.offset(of: \.illegal)!))
        toInterpreter.append(a.jcc(.ne))
        a.load(rsi, Self.io, 24)
        a.mov32(rcx, rsi)
        a.alu(.and, rcx, imm: 3, w: false)
        toInterpreter.append(a.jcc(.ne))
        // The TLB entry for execution at the PC.
        a.mov(rdi, rsi)
        a.shift(.shr, rdi, 12)
        a.alu(.and, rdi, imm: Int32(TLB.entries - 1), w: false)
        a.mov32(rcx, rdi)
        a.shift(.shl, rcx, UInt8(MemoryLayout<TLBEntry>.stride.trailingZeroBitCount), w: false)
        a.alu(.add, rcx, Self.tlb)
        a.mov(rax, rsi)
        a.alu(.and, rax, imm: Int32(bitPattern: 0xffff_f000))
        a.aluMem(.cmp, rax, rcx, Int32(MemoryLayout<TLBEntry>.offset(of: \.tagX)!))
        toInterpreter.append(a.jcc(.ne))
        // Its decoded code, and the region word of the PC's slot.
        a.load(rdx, Self.io, 40)
        a.shift(.shl, rdi, UInt8(MemoryLayout<TLBPage>.stride.trailingZeroBitCount), w: false)
        a.alu(.add, rdx, rdi)
        a.load(rdx, rdx, Int32(MemoryLayout<TLBPage>.offset(of: \.code)!))
        a.test(rdx, rdx)
        toInterpreter.append(a.jcc(.e))
        a.mov32(rcx, rsi)
        a.alu(.and, rcx, imm: 0xfff, w: false)
        a.alu(.add, rcx, rcx, w: false)     // slot index × 8 = (PC & 0xfff) × 2
        a.alu(.add, rdx, rcx)
        a.load(rcx, rdx, Int32(CodeCache.regionTableOffset))
        a.movImm(rdi, RegionWord.firstAddress)
        a.alu(.cmp, rcx, rdi)
        toInterpreter.append(a.jcc(.b))
        a.store(8, Self.io, 16, rax)
        a.alu(.add, rcx, imm: Int32(Self.chainEntry))
        a.jmpReg(rcx)
        for f in toInterpreter { a.bind(f, to: a.count) }
        a.movImm(A.rax, UInt64(bitPattern: Int64(RegionExit.boundary)))
        epilogueJumps.append(a.jmp())
    }

    /// CF = whether the condition whose mask (`conditionMask`) is `mask` holds for NZCV.
    mutating func conditionToCarry(_ mask: UInt16) {
        a.load32(A.rdx, Self.regs, Self.reg(Reg.nzcv))
        a.shift(.shr, A.rdx, 28, w: false)
        a.movImm(A.rsi, UInt64(mask))
        a.bt(A.rsi, bitIn: A.rdx)
    }

    mutating func emitBranch(_ op: Op, _ s: Slot, index i: Int) {
        let target = i + Int(Int64(bitPattern: s.imm) >> 2)
        switch op {
        case .b:
            taken(from: i, to: target)
            pending = 0
        case .bl:
            a.movImm(A.rax, UInt64(i * 4 + 4)); a.alu(.add, A.rax, Self.page)
            a.store(8, Self.regs, Self.reg(30), A.rax)
            taken(from: i, to: target)
            pending = 0
        case .bcond, .cbz64, .cbnz64, .cbz32, .cbnz32, .tbz, .tbnz:
            let notTaken: A.Fixup
            switch op {
            case .bcond:
                conditionToCarry(s.condMask)
                notTaken = a.jcc(.nc)
            case .tbz, .tbnz:
                a.load(A.rax, Self.regs, Self.reg(s.n))
                a.btImm(A.rax, bit: s.x)
                notTaken = a.jcc(op == .tbz ? .c : .nc)
            default:
                a.load(A.rax, Self.regs, Self.reg(s.n))
                a.test(A.rax, A.rax, w: op == .cbz64 || op == .cbnz64)
                notTaken = a.jcc(op == .cbz64 || op == .cbz32 ? .ne : .e)
            }
            taken(from: i, to: target)
            a.bind(notTaken, to: a.count)
            pending += 1
        case .ret, .br:
            a.load(A.rax, Self.regs, Self.reg(s.n))
            leave(pcIn: A.rax)
            pending = 0
        case .blr:
            a.load(A.rcx, Self.regs, Self.reg(s.n))
            a.movImm(A.rax, UInt64(i * 4 + 4)); a.alu(.add, A.rax, Self.page)
            a.store(8, Self.regs, Self.reg(30), A.rax)
            leave(pcIn: A.rcx)
            pending = 0
        default:
            preconditionFailure("not a branch: \(op)")
        }
    }

    mutating func emitInstruction(_ s: Slot, index i: Int) {
        let op = Self.baseOp(s.op)
        guard Self.supports(op, s) else {
            // Reached only by a branch within the region: the interpreter runs it.
            resumeAt(i)
            pending = 0
            return
        }
        switch op {
        case .b, .bl, .bcond, .cbz64, .cbnz64, .cbz32, .cbnz32, .tbz, .tbnz, .br, .blr, .ret:
            emitBranch(op, s, index: i)
        case .nop, .yield, .barrier, .prfm:
            pending += 1
        case .ldp64, .stp64, .ldp32, .stp32:
            emitPair(op, s, index: i)
            pending += 1
        case .mrs:
            emitMRS(s, index: i)
            pending += 1
        case .atomic, .cas:
            emitAtomic(op, s, index: i)
            pending += 1
        default:
            if let acc = Self.access(op) { emitAccess(acc, s, index: i) } else { emitDataProcessing(op, s, index: i) }
            pending += 1
        }
    }
}
