// The interpreter loop. It runs decoded slots of one guest page at a time: a branch
// inside the page continues in place, anything else goes back to the block boundary
// where interrupts, the budget and the next code page are looked at. Nothing here
// allocates, retains, throws or checks array bounds (docs/architecture.md, "Hot loop"). Register
// access (rx, wx) and the integer handlers fused pairs share are in Exec/IntegerOps.swift.

/// The retired-instruction count once slot `cur` has retired, where `mark` (from
/// `runMark`) stands for the straight run `cur` is in: one subtraction and a shift.
@inline(__always) private func retired(_ mark: UInt, _ cur: UnsafeMutablePointer<Slot>) -> UInt64 {
    UInt64((UInt(bitPattern: cur) &- mark) &>> 4) &+ 1
}
/// The mark of a straight run that begins at slot `first` with `count` instructions retired
/// before it: `first`'s address less 16 × `count` (slots are 16 bytes).
@inline(__always) func runMark(_ first: UnsafeMutablePointer<Slot>, _ count: UInt64) -> UInt {
    UInt(bitPattern: first) &- (UInt(truncatingIfNeeded: count) &<< 4)
}
/// The address of the instruction in slot `cur` of the page at `pageVA` whose slots begin at `slots`.
@inline(__always) private func pcAt(_ pageVA: UInt64, _ cur: UnsafeMutablePointer<Slot>, _ slots: UnsafeMutablePointer<Slot>) -> UInt64 {
    pageVA &+ UInt64(truncatingIfNeeded: slotIndex(cur, slots) &<< 2)
}
/// The index of slot `cur` in the page whose slots begin at `slots` (a shift: slots are 16 bytes).
@inline(__always) func slotIndex(_ cur: UnsafeMutablePointer<Slot>, _ slots: UnsafeMutablePointer<Slot>) -> Int {
    (Int(bitPattern: cur) &- Int(bitPattern: slots)) &>> 4
}

extension CPU {
    /// Runs until `budget` instructions have retired, checked at block boundaries (a
    /// taken branch, the end of a page, an exception), so a run may end a few
    /// instructions past the budget; single-stepping (tracing, breakpoints, `singleStepping`) stops after
    /// each instruction. The count is of instructions executed, where one that takes a
    /// synchronous exception (fault, trap, UNDEFINED, BRK) counts as one step too, as does
    /// a failed instruction fetch: guest time always advances, even in an exception loop.
    /// Returns why it stopped. With `resume`, the run continues one that stopped at its
    /// budget, as if it had not stopped: where that was inside a block (straight-line code,
    /// or a loop within one page), no block-boundary checks are made before going on.
    /// Stepping makes the same checks at the same places as the fast loop; with `toBlockEnd`
    /// it also ends where the fast loop would (at the first block boundary after the budget:
    /// a machine's time slice), else exactly at the budget.
    public func run(_ budget: UInt64, resume: Bool = false, toBlockEnd: Bool = false) -> Exit {
        if !resume { st.pointee.insideBlock = false; st.pointee.midStraight = false }
        stepToBlockEnd = toBlockEnd
        let exit = tracer != nil || hasBreakpoints || singleStepping ? interpretStepping(budget)
                                                                     : interpretFast(budget)
        // A watchpoint stopped an instruction before its access (Watchpoints.swift): the
        // run ended there (exitRequest), and the instruction did not retire.
        if st.pointee.watchStop {
            st.pointee.watchStop = false
            st.pointee.exitRequest = false
            st.pointee.icount &-= 1
            // Resuming runs the stopped instruction as it would have run (a step's own
            // instruction; in the fast loop, one inside its block unless the block's first).
            st.pointee.insideBlock = st.pointee.icount == st.pointee.stepStart ? st.pointee.stepStartInside : true
            return .breakpoint
        }
        return exit
    }


    /// The two specialisations of `interpret`: `stepping` is a constant in each, so the
    /// fast one tests nothing per instruction.
    @inline(never) private func interpretFast(_ budget: UInt64) -> Exit { interpret(budget, stepping: false) }
    @inline(never) private func interpretStepping(_ budget: UInt64) -> Exit { interpret(budget, stepping: true) }

    /// A taken branch by `offset` from slot `cur` of the page at `pageVA`, whose slots begin at
    /// `slots`: the slot to go on at when the target is in this page (and not `stepping`) while
    /// the budget lasts (`more`); otherwise nil, with the PC set to the target (the run goes
    /// back to the block boundary). A branch within the page that leaves anyway (the budget,
    /// a step) sets `insideBlock`: the fast loop has no block boundary there.
    @_transparent
    private func branch(_ pageVA: UInt64, _ slots: UnsafeMutablePointer<Slot>, _ cur: UnsafeMutablePointer<Slot>,
                        _ offset: UInt64, stepping: Bool, more: Bool) -> UnsafeMutablePointer<Slot>? {
        // Slots are 16 bytes for 4 of code: the target slot is 4 × offset bytes from this one.
        let target = UInt(bitPattern: cur) &+ (UInt(truncatingIfNeeded: offset) &<< 2)
        if target &- UInt(bitPattern: slots) < UInt(CodeCache.slotsPerPage &* MemoryLayout<Slot>.stride) {
            if !stepping && more { return UnsafeMutablePointer(bitPattern: target) }
            st.pointee.insideBlock = true
        }
        st.pointee.pc = pcAt(pageVA, cur, slots) &+ offset
        return nil
    }

    /// A taken branch from slot `cur` (see `branch`): true when the run goes on in this page,
    /// with `cur` at the target and `mark` for the straight run that starts there; false when
    /// it goes back to the block boundary.
    @_transparent
    private func takeBranch(_ pageVA: UInt64, _ slots: UnsafeMutablePointer<Slot>, _ cur: inout UnsafeMutablePointer<Slot>,
                            _ mark: inout UInt, _ offset: UInt64, stepping: Bool, limit: UInt64) -> Bool {
        let done = retired(mark, cur)
        guard let t = branch(pageVA, slots, cur, offset, stepping: stepping, more: done < limit) else { return false }
        mark = runMark(t, done)
        cur = t
        // A loop's head: where its region is compiled, or is to be, run it from there.
        if !stepping && Int64(bitPattern: offset) < 0 && st.pointee.compileBlocks {
            let word = CodeCache.regionTable(slots) + slotIndex(t, slots)
            if word.pointee != RegionWord.refused { return loopHead(word, slots, pageVA, &cur, &mark, done, limit) }
        }
        return true
    }

    /// The B.cond in the slot after `cur`, as the second half of a fused pair: `cur` moves to
    /// it; nil if its condition fails (the run goes on after it), else whether the taken
    /// branch goes on in this page (`takeBranch`).
    @_transparent
    private func fusedBranch(_ x: UnsafeMutablePointer<UInt64>, _ pageVA: UInt64, _ slots: UnsafeMutablePointer<Slot>,
                             _ cur: inout UnsafeMutablePointer<Slot>, _ mark: inout UInt, limit: UInt64) -> Bool? {
        cur += 1
        guard holds(cur.pointee.condMask, x) else { return nil }
        return takeBranch(pageVA, slots, &cur, &mark, cur.pointee.imm, stepping: false, limit: limit)
    }

    @inline(__always)
    private func interpret(_ budget: UInt64, stepping: Bool) -> Exit {
        let x = self.x, st = self.st
        var icount = st.pointee.icount
        let limit = icount &+ budget
        defer { st.pointee.icount = icount }
        // Inside a block the count is not kept per instruction: `cur` is the slot being run,
        // `mark` stands for the straight run it is in, and `retired(mark, cur)` is the count
        // with `cur` retired. It is brought into `icount` whenever the block is left.
        var inBlock = false, mark: UInt = 0
        var cur = UnsafeMutablePointer<Slot>(bitPattern: MemoryLayout<Slot>.alignment)!

        // Stepping to a block's end: straight-line code goes on past the budget, as in the fast loop.
        let toBlockEnd = stepping && stepToBlockEnd
        if !stepping { st.pointee.midStraight = false }    // only stepping stops in straight-line code
        outer: while true {
            if inBlock { icount = retired(mark, cur); inBlock = false }
            guard icount < limit || st.pointee.resumeInPage || (toBlockEnd && st.pointee.midStraight) else { break }
            let straight = stepping && st.pointee.midStraight
            if stepping { st.pointee.midStraight = false }
            st.pointee.icount = icount
            if st.pointee.userMode, let (esr, far) = userException {
                userException = nil
                return .userException(esr: esr, far: far)
            }
            let resumed = st.pointee.resumeInPage
            st.pointee.resumeInPage = false
            let inside = st.pointee.insideBlock || resumed
            if inside {
                // The last step, or a run that stopped at its budget, ended inside a block: go
                // on as the fast loop would have, without a boundary's checks. So stepping,
                // tracing, gdb or a stop there change nothing: interrupts come at the same places.
                st.pointee.insideBlock = false
            } else if st.pointee.checkInterrupts {
                st.pointee.checkInterrupts = false
                if st.pointee.exitRequest {
                    if st.pointee.hostedTrap != 0 { return takeHostedTrap() }
                    st.pointee.exitRequest = false
                    return .budget
                }
                if takePendingInterrupt() { continue outer }
            }
            if st.pointee.illegal != 0 {
                icount &+= 1
                syncException(ec: EC.illegalState, iss: 0, pc: st.pointee.pc)
                continue outer
            }
            let ctx = Int(st.pointee.el)
            let uctx = ctx == 1 ? 0 : ctx       // LDTR/STTR at EL1 use EL0 permissions
            let tlbHere = tlbBase + ctx &* TLB.entries
            let startPC = st.pointee.pc
            if stepping {
                st.pointee.stepStart = icount
                st.pointee.stepStartInside = inside
                if hasBreakpoints && breakpoints.contains(startPC) {
                    if skipBreakpointAt == startPC { skipBreakpointAt = nil } else {
                        st.pointee.insideBlock = inside      // resuming here goes on as before
                        st.pointee.midStraight = straight
                        return .breakpoint
                    }
                }
                tracer?(self, startPC)
            }
            let pageVA = startPC & ~0xfff
            let e = tlbEntry(ctx, startPC)
            let slots: UnsafeMutablePointer<Slot>
            if e.pointee.tagX == pageVA && startPC & 3 == 0, let c = tlbPage(e).pointee.code {
                slots = c
            } else {
                guard let c = fetchPage(startPC, ctx: ctx) else { icount &+= 1; continue outer }
                slots = c
            }
            cur = slots + Int((startPC & 0xfff) >> 2)
            mark = runMark(cur, icount); inBlock = true
            if !stepping && st.pointee.compileBlocks && !resumed {
                // A block starts here: run its compiled region, or count towards compiling one.
                let word = CodeCache.regionTable(slots) + slotIndex(cur, slots)
                let w = word.pointee
                if w >= RegionWord.firstAddress {
                    let r = runRegion(w, tlbHere, pageVA, icount, limit)
                    if r >= 0 && regionIO.pointee.pageVA == pageVA {
                        cur = slots + r
                        mark = runMark(cur, regionIO.pointee.icount)
                    } else {
                        icount = regionIO.pointee.icount; inBlock = false
                        leaveBlock(r)
                        continue outer
                    }
                } else {
                    countBlockStart(word, slots, slotIndex(cur, slots))
                }
            }

            inner: while true {
                // Fields are read from the slot as they are used. A store may rewrite this
                // page's slots (self-modifying code): the handlers that store take the slot
                // by value, so they keep their operands.
                let sp = cur
                var s: Slot { sp.pointee }
                switch s.op {
                // MARK: Interpreter control
                case .undecoded:
                    decodeSlot(slots, slotIndex(sp, slots))
                    continue inner
                case .pageEnd:
                    cur -= 1    // the end slot is no instruction
                    st.pointee.pc = pageVA &+ 0x1000
                    continue outer
                case .undefined:
                    undefined(pc: pcAt(pageVA, sp, slots))
                    continue outer

                // MARK: Data processing, immediate
                case .adr: wx(x, s.d, pcAt(pageVA, sp, slots) &+ s.imm)
                case .adrp: wx(x, s.d, pageVA &+ s.imm)
                case .addImm64: integerOp(.addImm64, x, s)
                case .addImm32: wx32(x, s.d, rx(x, s.n) &+ s.imm)
                case .subImm64: wx(x, s.d, rx(x, s.n) &- s.imm)
                case .subImm32: wx32(x, s.d, rx(x, s.n) &- s.imm)
                case .addsImm64:
                    let (v, f) = addWithCarry64(rx(x, s.n), s.imm, 0); wx(x, s.d, v); wx(x, Reg.nzcv, f)
                case .addsImm32: integerOp(.addsImm32, x, s)
                case .subsImm64: integerOp(.subsImm64, x, s)
                case .subsImm32: integerOp(.subsImm32, x, s)
                case .andImm64: integerOp(.andImm64, x, s)
                case .orrImm64: wx(x, s.d, rx(x, s.n) | s.imm)
                case .eorImm64: wx(x, s.d, rx(x, s.n) ^ s.imm)
                case .andsImm64: integerOp(.andsImm64, x, s)
                case .andImm32: wx32(x, s.d, rx(x, s.n) & s.imm)
                case .orrImm32: wx32(x, s.d, rx(x, s.n) | s.imm)
                case .eorImm32: wx32(x, s.d, rx(x, s.n) ^ s.imm)
                case .andsImm32:
                    let v = rx(x, s.n) & s.imm & 0xffff_ffff; wx(x, s.d, v); wx(x, Reg.nzcv, logicFlags32(v))
                case .movImm: integerOp(.movImm, x, s)
                case .movk64:
                    wx(x, s.d, (rx(x, s.d) & ~(0xffff &<< UInt64(s.x))) | s.imm &<< UInt64(s.x))
                case .movk32:
                    wx32(x, s.d, (rx(x, s.d) & ~(0xffff &<< UInt64(s.x))) | s.imm &<< UInt64(s.x))
                case .ubfm64: integerOp(.ubfm64, x, s)
                case .ubfm32: wx32(x, s.d, (((rx(x, s.n) & 0xffff_ffff) &>> UInt64(s.x)) & s.imm) &<< UInt64(s.a))
                case .sbfm64: integerOp(.sbfm64, x, s)
                case .sbfm32: wx32(x, s.d, signExtend((rx(x, s.n) & 0xffff_ffff) &>> UInt64(s.x), Int(s.y)) &<< UInt64(s.a))
                case .bfm64, .bfm32:
                    let field = s.imm &<< UInt64(s.a)
                    let v = (rx(x, s.d) & ~field) | (((rx(x, s.n) &>> UInt64(s.x)) &<< UInt64(s.a)) & field)
                    if s.op == .bfm64 { wx(x, s.d, v) } else { wx32(x, s.d, v) }
                case .extr64:
                    let lsb = UInt64(s.x)
                    wx(x, s.d, lsb == 0 ? rx(x, s.m) : (rx(x, s.m) &>> lsb) | (rx(x, s.n) &<< (64 - lsb)))
                case .extr32: integerOp(.extr32, x, s)

                // MARK: Data processing, register
                case .mov64: integerOp(.mov64, x, s)
                case .addR64: integerOp(.addR64, x, s)
                case .subR64: integerOp(.subR64, x, s)
                case .subsR64: integerOp(.subsR64, x, s)
                case .andR64: wx(x, s.d, rx(x, s.n) & rx(x, s.m))
                case .orrR64: wx(x, s.d, rx(x, s.n) | rx(x, s.m))
                case .eorR64: wx(x, s.d, rx(x, s.n) ^ rx(x, s.m))
                case .andsR64: let v = rx(x, s.n) & rx(x, s.m); wx(x, s.d, v); wx(x, Reg.nzcv, logicFlags64(v))
                case .addR32: integerOp(.addR32, x, s)
                case .subR32: wx32(x, s.d, rx(x, s.n) &- rx(x, s.m))
                case .subsR32: integerOp(.subsR32, x, s)
                case .addSh64: integerOp(.addSh64, x, s)
                case .addSh32: wx32(x, s.d, rx(x, s.n) &+ shift32(rx(x, s.m), s.x, s.y))
                case .subSh64: wx(x, s.d, rx(x, s.n) &- shift64(rx(x, s.m), s.x, s.y))
                case .subSh32: wx32(x, s.d, rx(x, s.n) &- shift32(rx(x, s.m), s.x, s.y))
                case .addsSh64: integerOp(.addsSh64, x, s)
                case .addsSh32:
                    let (v, f) = addWithCarry32(rx(x, s.n), shift32(rx(x, s.m), s.x, s.y), 0); wx(x, s.d, v); wx(x, Reg.nzcv, f)
                case .subsSh64:
                    let (v, f) = subtract64(rx(x, s.n), shift64(rx(x, s.m), s.x, s.y)); wx(x, s.d, v); wx(x, Reg.nzcv, f)
                case .subsSh32:
                    let (v, f) = subtract32(rx(x, s.n), shift32(rx(x, s.m), s.x, s.y)); wx(x, s.d, v); wx(x, Reg.nzcv, f)
                case .addEx64: integerOp(.addEx64, x, s)
                case .addEx32: wx32(x, s.d, rx(x, s.n) &+ extendReg(rx(x, s.m), drop: s.x, keep: s.imm, shift: s.y))
                case .subEx64: wx(x, s.d, rx(x, s.n) &- extendReg(rx(x, s.m), drop: s.x, keep: s.imm, shift: s.y))
                case .subEx32: wx32(x, s.d, rx(x, s.n) &- extendReg(rx(x, s.m), drop: s.x, keep: s.imm, shift: s.y))
                case .addsEx64:
                    let (v, f) = addWithCarry64(rx(x, s.n), extendReg(rx(x, s.m), drop: s.x, keep: s.imm, shift: s.y), 0); wx(x, s.d, v); wx(x, Reg.nzcv, f)
                case .addsEx32:
                    let (v, f) = addWithCarry32(rx(x, s.n), extendReg(rx(x, s.m), drop: s.x, keep: s.imm, shift: s.y), 0); wx(x, s.d, v); wx(x, Reg.nzcv, f)
                case .subsEx64:
                    let (v, f) = subtract64(rx(x, s.n), extendReg(rx(x, s.m), drop: s.x, keep: s.imm, shift: s.y)); wx(x, s.d, v); wx(x, Reg.nzcv, f)
                case .subsEx32:
                    let (v, f) = subtract32(rx(x, s.n), extendReg(rx(x, s.m), drop: s.x, keep: s.imm, shift: s.y)); wx(x, s.d, v); wx(x, Reg.nzcv, f)
                case .and64: wx(x, s.d, rx(x, s.n) & shift64(rx(x, s.m), s.x, s.y))
                case .bic64: wx(x, s.d, rx(x, s.n) & ~shift64(rx(x, s.m), s.x, s.y))
                case .orr64: wx(x, s.d, rx(x, s.n) | shift64(rx(x, s.m), s.x, s.y))
                case .orn64: wx(x, s.d, rx(x, s.n) | ~shift64(rx(x, s.m), s.x, s.y))
                case .eor64: wx(x, s.d, rx(x, s.n) ^ shift64(rx(x, s.m), s.x, s.y))
                case .eon64: wx(x, s.d, rx(x, s.n) ^ ~shift64(rx(x, s.m), s.x, s.y))
                case .ands64:
                    let v = rx(x, s.n) & shift64(rx(x, s.m), s.x, s.y); wx(x, s.d, v); wx(x, Reg.nzcv, logicFlags64(v))
                case .bics64:
                    let v = rx(x, s.n) & ~shift64(rx(x, s.m), s.x, s.y); wx(x, s.d, v); wx(x, Reg.nzcv, logicFlags64(v))
                case .and32: integerOp(.and32, x, s)
                case .bic32: wx32(x, s.d, rx(x, s.n) & ~shift32(rx(x, s.m), s.x, s.y))
                case .orr32: integerOp(.orr32, x, s)
                case .orn32: wx32(x, s.d, rx(x, s.n) | ~shift32(rx(x, s.m), s.x, s.y))
                case .eor32: integerOp(.eor32, x, s)
                case .eon32: wx32(x, s.d, rx(x, s.n) ^ ~shift32(rx(x, s.m), s.x, s.y))
                case .ands32:
                    let v = rx(x, s.n) & shift32(rx(x, s.m), s.x, s.y) & 0xffff_ffff; wx(x, s.d, v); wx(x, Reg.nzcv, logicFlags32(v))
                case .bics32:
                    let v = rx(x, s.n) & ~shift32(rx(x, s.m), s.x, s.y) & 0xffff_ffff; wx(x, s.d, v); wx(x, Reg.nzcv, logicFlags32(v))
                case .adc64:
                    wx(x, s.d, addWithCarry64(rx(x, s.n), rx(x, s.m), (rx(x, Reg.nzcv) >> 29) & 1).0)
                case .adc32:
                    wx(x, s.d, addWithCarry32(rx(x, s.n), rx(x, s.m), (rx(x, Reg.nzcv) >> 29) & 1).0)
                case .adcs64:
                    let (v, f) = addWithCarry64(rx(x, s.n), rx(x, s.m), (rx(x, Reg.nzcv) >> 29) & 1); wx(x, s.d, v); wx(x, Reg.nzcv, f)
                case .adcs32:
                    let (v, f) = addWithCarry32(rx(x, s.n), rx(x, s.m), (rx(x, Reg.nzcv) >> 29) & 1); wx(x, s.d, v); wx(x, Reg.nzcv, f)
                case .sbc64:
                    wx(x, s.d, addWithCarry64(rx(x, s.n), ~rx(x, s.m), (rx(x, Reg.nzcv) >> 29) & 1).0)
                case .sbc32:
                    wx(x, s.d, addWithCarry32(rx(x, s.n), ~rx(x, s.m), (rx(x, Reg.nzcv) >> 29) & 1).0)
                case .sbcs64:
                    let (v, f) = addWithCarry64(rx(x, s.n), ~rx(x, s.m), (rx(x, Reg.nzcv) >> 29) & 1); wx(x, s.d, v); wx(x, Reg.nzcv, f)
                case .sbcs32:
                    let (v, f) = addWithCarry32(rx(x, s.n), ~rx(x, s.m), (rx(x, Reg.nzcv) >> 29) & 1); wx(x, s.d, v); wx(x, Reg.nzcv, f)
                case .ccmn64: integerOp(.ccmn64, x, s)
                case .ccmn32: integerOp(.ccmn32, x, s)
                case .ccmp64: integerOp(.ccmp64, x, s)
                case .ccmp32: integerOp(.ccmp32, x, s)
                case .csel64: integerOp(.csel64, x, s)
                case .csel32: wx32(x, s.d, holds(UInt16(truncatingIfNeeded: s.imm), x) ? rx(x, s.n) : rx(x, s.m))
                case .csinc64: integerOp(.csinc64, x, s)
                case .csinc32: wx32(x, s.d, holds(UInt16(truncatingIfNeeded: s.imm), x) ? rx(x, s.n) : rx(x, s.m) &+ 1)
                case .csinv64: wx(x, s.d, holds(UInt16(truncatingIfNeeded: s.imm), x) ? rx(x, s.n) : ~rx(x, s.m))
                case .csinv32: wx32(x, s.d, holds(UInt16(truncatingIfNeeded: s.imm), x) ? rx(x, s.n) : ~rx(x, s.m))
                case .csneg64: wx(x, s.d, holds(UInt16(truncatingIfNeeded: s.imm), x) ? rx(x, s.n) : 0 &- rx(x, s.m))
                case .csneg32: wx32(x, s.d, holds(UInt16(truncatingIfNeeded: s.imm), x) ? rx(x, s.n) : 0 &- rx(x, s.m))
                case .rbit64: wx(x, s.d, reverseBits64(rx(x, s.n)))
                case .rbit32: wx(x, s.d, reverseBits64(rx(x, s.n)) >> 32)
                case .rev16_64: wx(x, s.d, reverseBytes16(rx(x, s.n)))
                case .rev16_32: wx32(x, s.d, reverseBytes16(rx(x, s.n)))
                case .rev32_64:
                    let v = rx(x, s.n).byteSwapped; wx(x, s.d, (v >> 32) | (v << 32))
                case .rev64: wx(x, s.d, rx(x, s.n).byteSwapped)
                case .rev32: wx(x, s.d, UInt64(UInt32(truncatingIfNeeded: rx(x, s.n)).byteSwapped))
                case .clz64: wx(x, s.d, UInt64(rx(x, s.n).leadingZeroBitCount))
                case .clz32: wx(x, s.d, UInt64(UInt32(truncatingIfNeeded: rx(x, s.n)).leadingZeroBitCount))
                case .cls64: wx(x, s.d, countLeadingSign(rx(x, s.n), width: 64))
                case .cls32: wx(x, s.d, countLeadingSign(rx(x, s.n), width: 32))
                case .udiv64: let m = rx(x, s.m); wx(x, s.d, m == 0 ? 0 : rx(x, s.n) / m)
                case .udiv32:
                    let m = rx(x, s.m) & 0xffff_ffff; wx(x, s.d, m == 0 ? 0 : (rx(x, s.n) & 0xffff_ffff) / m)
                case .sdiv64:
                    wx(x, s.d, UInt64(bitPattern: signedDivide(Int64(bitPattern: rx(x, s.n)), Int64(bitPattern: rx(x, s.m)))))
                case .sdiv32:
                    let q = signedDivide(Int64(Int32(truncatingIfNeeded: rx(x, s.n))), Int64(Int32(truncatingIfNeeded: rx(x, s.m))))
                    wx32(x, s.d, UInt64(bitPattern: q))
                case .lslv64: wx(x, s.d, rx(x, s.n) &<< (rx(x, s.m) & 63))
                case .lslv32: wx32(x, s.d, shift32(rx(x, s.n), 0, UInt8(rx(x, s.m) & 31)))
                case .lsrv64: wx(x, s.d, rx(x, s.n) &>> (rx(x, s.m) & 63))
                case .lsrv32: wx32(x, s.d, shift32(rx(x, s.n), 1, UInt8(rx(x, s.m) & 31)))
                case .asrv64: wx(x, s.d, shift64(rx(x, s.n), 2, UInt8(rx(x, s.m) & 63)))
                case .asrv32: wx32(x, s.d, shift32(rx(x, s.n), 2, UInt8(rx(x, s.m) & 31)))
                case .rorv64: wx(x, s.d, shift64(rx(x, s.n), 3, UInt8(rx(x, s.m) & 63)))
                case .rorv32: wx32(x, s.d, shift32(rx(x, s.n), 3, UInt8(rx(x, s.m) & 31)))
                case .crc32:
                    wx(x, s.d, crc32Update(rx(x, s.n), rx(x, s.m), bytes: 1 << Int(s.x), castagnoli: s.y == 1))
                case .madd64: integerOp(.madd64, x, s)
                case .madd32: wx32(x, s.d, rx(x, s.a) &+ rx(x, s.n) &* rx(x, s.m))
                case .msub64: wx(x, s.d, rx(x, s.a) &- rx(x, s.n) &* rx(x, s.m))
                case .msub32: wx32(x, s.d, rx(x, s.a) &- rx(x, s.n) &* rx(x, s.m))
                case .smaddl: wx(x, s.d, rx(x, s.a) &+ signExtend(rx(x, s.n), 32) &* signExtend(rx(x, s.m), 32))
                case .smsubl: wx(x, s.d, rx(x, s.a) &- signExtend(rx(x, s.n), 32) &* signExtend(rx(x, s.m), 32))
                case .umaddl: wx(x, s.d, rx(x, s.a) &+ (rx(x, s.n) & 0xffff_ffff) &* (rx(x, s.m) & 0xffff_ffff))
                case .umsubl: wx(x, s.d, rx(x, s.a) &- (rx(x, s.n) & 0xffff_ffff) &* (rx(x, s.m) & 0xffff_ffff))
                case .smulh: wx(x, s.d, signedMultiplyHigh(rx(x, s.n), rx(x, s.m)))
                case .umulh: wx(x, s.d, unsignedMultiplyHigh(rx(x, s.n), rx(x, s.m)))

                // MARK: Loads and stores
                case .ldrb, .ldrh, .ldrw, .ldrx, .ldrsb64, .ldrsb32, .ldrsh64, .ldrsh32, .ldrsw:
                    let pc = pcAt(pageVA, sp, slots)
                    let addr = address(s, pc: pc)
                    let size: Int
                    switch s.op {
                    case .ldrb, .ldrsb64, .ldrsb32: size = 1
                    case .ldrh, .ldrsh64, .ldrsh32: size = 2
                    case .ldrw, .ldrsw: size = 4
                    default: size = 8
                    }
                    guard let v = load(addr, size, ctx: s.x & 8 == 0 ? ctx : uctx, pc: pc, slot: s) else {
                        continue outer
                    }
                    writeback(s, addr)
                    switch s.op {
                    case .ldrsb64: wx(x, s.d, signExtend(v, 8))
                    case .ldrsb32: wx32(x, s.d, signExtend(v, 8))
                    case .ldrsh64: wx(x, s.d, signExtend(v, 16))
                    case .ldrsh32: wx32(x, s.d, signExtend(v, 16))
                    case .ldrsw: wx(x, s.d, signExtend(v, 32))
                    default: wx(x, s.d, v)
                    }
                case .strb, .strh, .strw, .strx:
                    let s = s   // the store may rewrite this slot
                    let pc = pcAt(pageVA, sp, slots)
                    let addr = address(s, pc: pc)
                    let size = s.op == .strb ? 1 : s.op == .strh ? 2 : s.op == .strw ? 4 : 8
                    guard store(addr, size, rx(x, s.d), ctx: s.x & 8 == 0 ? ctx : uctx, pc: pc, slot: s) else {
                        continue outer
                    }
                    writeback(s, addr)
                case .prfm:
                    break
                case .ldrbOff: guard loadOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 1, signed: false, to32: false, mode: AddrMode.offset) else { continue outer }
                case .ldrhOff: guard loadOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 2, signed: false, to32: false, mode: AddrMode.offset) else { continue outer }
                case .ldrwOff: guard loadOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 4, signed: false, to32: false, mode: AddrMode.offset) else { continue outer }
                case .ldrxOff: guard loadOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 8, signed: false, to32: false, mode: AddrMode.offset) else { continue outer }
                case .ldrsb64Off: guard loadOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 1, signed: true, to32: false, mode: AddrMode.offset) else { continue outer }
                case .ldrsb32Off: guard loadOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 1, signed: true, to32: true, mode: AddrMode.offset) else { continue outer }
                case .ldrsh64Off: guard loadOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 2, signed: true, to32: false, mode: AddrMode.offset) else { continue outer }
                case .ldrsh32Off: guard loadOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 2, signed: true, to32: true, mode: AddrMode.offset) else { continue outer }
                case .ldrswOff: guard loadOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 4, signed: true, to32: false, mode: AddrMode.offset) else { continue outer }
                case .strbOff: guard storeOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 1, mode: AddrMode.offset) else { continue outer }
                case .strhOff: guard storeOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 2, mode: AddrMode.offset) else { continue outer }
                case .strwOff: guard storeOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 4, mode: AddrMode.offset) else { continue outer }
                case .strxOff: guard storeOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 8, mode: AddrMode.offset) else { continue outer }
                case .ldrbPre: guard loadOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 1, signed: false, to32: false, mode: AddrMode.preIndex) else { continue outer }
                case .ldrhPre: guard loadOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 2, signed: false, to32: false, mode: AddrMode.preIndex) else { continue outer }
                case .ldrwPre: guard loadOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 4, signed: false, to32: false, mode: AddrMode.preIndex) else { continue outer }
                case .ldrxPre: guard loadOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 8, signed: false, to32: false, mode: AddrMode.preIndex) else { continue outer }
                case .ldrsb64Pre: guard loadOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 1, signed: true, to32: false, mode: AddrMode.preIndex) else { continue outer }
                case .ldrsb32Pre: guard loadOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 1, signed: true, to32: true, mode: AddrMode.preIndex) else { continue outer }
                case .ldrsh64Pre: guard loadOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 2, signed: true, to32: false, mode: AddrMode.preIndex) else { continue outer }
                case .ldrsh32Pre: guard loadOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 2, signed: true, to32: true, mode: AddrMode.preIndex) else { continue outer }
                case .ldrswPre: guard loadOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 4, signed: true, to32: false, mode: AddrMode.preIndex) else { continue outer }
                case .strbPre: guard storeOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 1, mode: AddrMode.preIndex) else { continue outer }
                case .strhPre: guard storeOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 2, mode: AddrMode.preIndex) else { continue outer }
                case .strwPre: guard storeOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 4, mode: AddrMode.preIndex) else { continue outer }
                case .strxPre: guard storeOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 8, mode: AddrMode.preIndex) else { continue outer }
                case .ldrbPost: guard loadOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 1, signed: false, to32: false, mode: AddrMode.postIndex) else { continue outer }
                case .ldrhPost: guard loadOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 2, signed: false, to32: false, mode: AddrMode.postIndex) else { continue outer }
                case .ldrwPost: guard loadOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 4, signed: false, to32: false, mode: AddrMode.postIndex) else { continue outer }
                case .ldrxPost: guard loadOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 8, signed: false, to32: false, mode: AddrMode.postIndex) else { continue outer }
                case .ldrsb64Post: guard loadOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 1, signed: true, to32: false, mode: AddrMode.postIndex) else { continue outer }
                case .ldrsb32Post: guard loadOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 1, signed: true, to32: true, mode: AddrMode.postIndex) else { continue outer }
                case .ldrsh64Post: guard loadOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 2, signed: true, to32: false, mode: AddrMode.postIndex) else { continue outer }
                case .ldrsh32Post: guard loadOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 2, signed: true, to32: true, mode: AddrMode.postIndex) else { continue outer }
                case .ldrswPost: guard loadOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 4, signed: true, to32: false, mode: AddrMode.postIndex) else { continue outer }
                case .strbPost: guard storeOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 1, mode: AddrMode.postIndex) else { continue outer }
                case .strhPost: guard storeOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 2, mode: AddrMode.postIndex) else { continue outer }
                case .strwPost: guard storeOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 4, mode: AddrMode.postIndex) else { continue outer }
                case .strxPost: guard storeOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 8, mode: AddrMode.postIndex) else { continue outer }
                case .ldrbReg: guard loadOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 1, signed: false, to32: false, mode: AddrMode.register) else { continue outer }
                case .ldrhReg: guard loadOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 2, signed: false, to32: false, mode: AddrMode.register) else { continue outer }
                case .ldrwReg: guard loadOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 4, signed: false, to32: false, mode: AddrMode.register) else { continue outer }
                case .ldrxReg: guard loadOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 8, signed: false, to32: false, mode: AddrMode.register) else { continue outer }
                case .ldrsb64Reg: guard loadOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 1, signed: true, to32: false, mode: AddrMode.register) else { continue outer }
                case .ldrsb32Reg: guard loadOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 1, signed: true, to32: true, mode: AddrMode.register) else { continue outer }
                case .ldrsh64Reg: guard loadOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 2, signed: true, to32: false, mode: AddrMode.register) else { continue outer }
                case .ldrsh32Reg: guard loadOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 2, signed: true, to32: true, mode: AddrMode.register) else { continue outer }
                case .ldrswReg: guard loadOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 4, signed: true, to32: false, mode: AddrMode.register) else { continue outer }
                case .strbReg: guard storeOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 1, mode: AddrMode.register) else { continue outer }
                case .strhReg: guard storeOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 2, mode: AddrMode.register) else { continue outer }
                case .strwReg: guard storeOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 4, mode: AddrMode.register) else { continue outer }
                case .strxReg: guard storeOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 8, mode: AddrMode.register) else { continue outer }
                case .ldp32: guard loadPair(.ldp32, x, tlbHere, s, pcAt(pageVA, sp, slots), ctx) else { continue outer }
                case .ldp64: guard loadPair(.ldp64, x, tlbHere, s, pcAt(pageVA, sp, slots), ctx) else { continue outer }
                case .ldpsw: guard loadPair(.ldpsw, x, tlbHere, s, pcAt(pageVA, sp, slots), ctx) else { continue outer }
                case .stp32: guard storePair(.stp32, x, tlbHere, s, pcAt(pageVA, sp, slots), ctx) else { continue outer }
                case .stp64: guard storePair(.stp64, x, tlbHere, s, pcAt(pageVA, sp, slots), ctx) else { continue outer }
                case .ldxr:
                    guard loadExclusive(s, ctx: ctx, pc: pcAt(pageVA, sp, slots), pair: false) else { continue outer }
                case .ldxp:
                    guard loadExclusive(s, ctx: ctx, pc: pcAt(pageVA, sp, slots), pair: true) else { continue outer }
                case .stxr:
                    guard storeExclusive(s, ctx: ctx, pc: pcAt(pageVA, sp, slots), pair: false) else { continue outer }
                case .stxp:
                    guard storeExclusive(s, ctx: ctx, pc: pcAt(pageVA, sp, slots), pair: true) else { continue outer }
                case .atomic:
                    guard atomicOp(s, ctx: ctx, pc: pcAt(pageVA, sp, slots)) else { continue outer }
                case .cas:
                    guard compareAndSwap(s, ctx: ctx, pc: pcAt(pageVA, sp, slots)) else { continue outer }
                case .casp:
                    guard compareAndSwapPair(s, ctx: ctx, pc: pcAt(pageVA, sp, slots)) else { continue outer }

                // MARK: Branches
                case .b:
                    if takeBranch(pageVA, slots, &cur, &mark, s.imm, stepping: stepping, limit: limit) { continue inner }
                    continue outer
                case .bl:
                    wx(x, 30, pcAt(pageVA, sp, slots) &+ 4)
                    if takeBranch(pageVA, slots, &cur, &mark, s.imm, stepping: stepping, limit: limit) { continue inner }
                    continue outer
                case .bcond:
                    if holds(s.condMask, x) {
                        if takeBranch(pageVA, slots, &cur, &mark, s.imm, stepping: stepping, limit: limit) { continue inner }
                        continue outer
                    }
                case .cbz64:
                    if rx(x, s.n) == 0 {
                        if takeBranch(pageVA, slots, &cur, &mark, s.imm, stepping: stepping, limit: limit) { continue inner }
                        continue outer
                    }
                case .cbnz64:
                    if rx(x, s.n) != 0 {
                        if takeBranch(pageVA, slots, &cur, &mark, s.imm, stepping: stepping, limit: limit) { continue inner }
                        continue outer
                    }
                case .cbz32:
                    if rx(x, s.n) & 0xffff_ffff == 0 {
                        if takeBranch(pageVA, slots, &cur, &mark, s.imm, stepping: stepping, limit: limit) { continue inner }
                        continue outer
                    }
                case .cbnz32:
                    if rx(x, s.n) & 0xffff_ffff != 0 {
                        if takeBranch(pageVA, slots, &cur, &mark, s.imm, stepping: stepping, limit: limit) { continue inner }
                        continue outer
                    }
                case .tbz:
                    if (rx(x, s.n) >> UInt64(s.x)) & 1 == 0 {
                        if takeBranch(pageVA, slots, &cur, &mark, s.imm, stepping: stepping, limit: limit) { continue inner }
                        continue outer
                    }
                case .tbnz:
                    if (rx(x, s.n) >> UInt64(s.x)) & 1 != 0 {
                        if takeBranch(pageVA, slots, &cur, &mark, s.imm, stepping: stepping, limit: limit) { continue inner }
                        continue outer
                    }
                case .br, .ret:
                    st.pointee.pc = rx(x, s.n)
                    continue outer
                case .blr:
                    let target = rx(x, s.n)
                    wx(x, 30, pcAt(pageVA, sp, slots) &+ 4)
                    st.pointee.pc = target
                    continue outer
                case .eret:
                    if st.pointee.el == 0 { undefined(pc: pcAt(pageVA, sp, slots)) }
                    else { exceptionReturn() }
                    continue outer

                // MARK: Exception generation
                case .svc:
                    let pc = pcAt(pageVA, sp, slots)
                    if userMode { st.pointee.pc = pc &+ 4; icount = retired(mark, cur); inBlock = false; return .svcUser(imm: UInt16(s.imm)) }
                    syncException(ec: EC.svc, iss: s.imm, pc: pc &+ 4)
                    continue outer
                case .hvc:
                    let pc = pcAt(pageVA, sp, slots)
                    st.pointee.icount = retired(mark, cur)
                    switch hypervisorCall(UInt16(s.imm), pc: pc) {
                    case .exit(let e): icount = retired(mark, cur); inBlock = false; return e
                    case .undefined, .taken, .trapped: break
                    }
                    continue outer
                case .smc:
                    let pc = pcAt(pageVA, sp, slots)
                    st.pointee.icount = retired(mark, cur)
                    switch secureMonitorCall(UInt16(s.imm), pc: pc) {
                    case .exit(let e): icount = retired(mark, cur); inBlock = false; return e
                    case .undefined, .trapped, .taken: break
                    }
                    continue outer
                case .brk:
                    syncException(ec: EC.brk, iss: s.imm, pc: pcAt(pageVA, sp, slots))
                    continue outer
                case .hlt:
                    let pc = pcAt(pageVA, sp, slots)
                    if semihosting && s.imm == 0xf000 { st.pointee.pc = pc &+ 4; icount = retired(mark, cur); inBlock = false; return .semihosting }
                    undefined(pc: pc)
                    continue outer

                // MARK: System
                case .nop, .yield, .barrier:
                    break
                case .isb:
                    st.pointee.pc = pcAt(pageVA, sp, slots) &+ 4
                    continue outer
                case .clrex:
                    st.pointee.exclusiveAddr = ~0
                case .sevl:
                    st.pointee.event = true
                case .sev:
                    st.pointee.pc = pcAt(pageVA, sp, slots) &+ 4
                    icount = retired(mark, cur); inBlock = false
                    return .sev
                case .wfi, .wfe:
                    let pc = pcAt(pageVA, sp, slots)
                    st.pointee.icount = retired(mark, cur)
                    if waitTrapped(wfe: s.op == .wfe, pc: pc) { continue outer }
                    st.pointee.pc = pc &+ 4
                    if s.op == .wfe {
                        if st.pointee.event { st.pointee.event = false; continue outer }
                        icount = retired(mark, cur); inBlock = false
                        return .wfe
                    }
                    if interruptPending { st.pointee.checkInterrupts = true; continue outer }
                    icount = retired(mark, cur); inBlock = false
                    return .wfi
                case .msrImm:
                    let pc = pcAt(pageVA, sp, slots)
                    if msrImmediate(s, pc: pc) { st.pointee.pc = pc &+ 4 }
                    continue outer
                case .mrs:
                    let pc = pcAt(pageVA, sp, slots)
                    st.pointee.icount = retired(mark, cur)
                    guard let reg = SysReg(rawValue: UInt16(s.imm & 0xffff)),
                          let v = readSysReg(reg, enc: UInt32(s.imm >> 16), rt: s.d, pc: pc) else { continue outer }
                    wx(x, s.d, v)
                case .msr:
                    let pc = pcAt(pageVA, sp, slots)
                    st.pointee.icount = retired(mark, cur)
                    guard let reg = SysReg(rawValue: UInt16(s.imm & 0xffff)),
                          writeSysReg(reg, enc: UInt32(s.imm >> 16), rt: s.n, value: rx(x, s.n), pc: pc) else {
                        continue outer
                    }
                    st.pointee.pc = pc &+ 4
                    continue outer
                case .sys:
                    let pc = pcAt(pageVA, sp, slots)
                    st.pointee.icount = retired(mark, cur)
                    if systemOp(s, pc: pc) { st.pointee.pc = pc &+ 4 }
                    continue outer

                // MARK: Fused pairs (Fusion.swift): the first instruction, then (unless stepping) the
                // next slot's, with `cur` moved to it first. After a store, only if the slots are
                // still decoded: a store to this page forgets them all (its code changed).
                case .sbfm64_subR64: integerOp(.sbfm64, x, s); if !stepping { cur += 1; integerOp(.subR64, x, cur.pointee) }
                case .ldrxReg_ldrxReg:
                    guard loadOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 8, signed: false, to32: false, mode: AddrMode.register) else { continue outer }
                    if !stepping {
                        cur += 1
                        guard loadOp(x, tlbHere, cur.pointee, pcAt(pageVA, cur, slots), ctx, size: 8, signed: false, to32: false, mode: AddrMode.register) else { continue outer }
                    }
                case .andImm64_ubfm64: integerOp(.andImm64, x, s); if !stepping { cur += 1; integerOp(.ubfm64, x, cur.pointee) }
                case .madd64_madd64: integerOp(.madd64, x, s); if !stepping { cur += 1; integerOp(.madd64, x, cur.pointee) }
                case .addEx64_addSh64: integerOp(.addEx64, x, s); if !stepping { cur += 1; integerOp(.addSh64, x, cur.pointee) }
                case .addR64_subsR64: integerOp(.addR64, x, s); if !stepping { cur += 1; integerOp(.subsR64, x, cur.pointee) }
                case .addSh64_csel64: integerOp(.addSh64, x, s); if !stepping { cur += 1; integerOp(.csel64, x, cur.pointee) }
                case .subsR64_ubfm64: integerOp(.subsR64, x, s); if !stepping { cur += 1; integerOp(.ubfm64, x, cur.pointee) }
                case .ubfm64_subsR64: integerOp(.ubfm64, x, s); if !stepping { cur += 1; integerOp(.subsR64, x, cur.pointee) }
                case .csinc64_subsR64: integerOp(.csinc64, x, s); if !stepping { cur += 1; integerOp(.subsR64, x, cur.pointee) }
                case .csinc64_addR64: integerOp(.csinc64, x, s); if !stepping { cur += 1; integerOp(.addR64, x, cur.pointee) }
                case .csinc64_addsSh64: integerOp(.csinc64, x, s); if !stepping { cur += 1; integerOp(.addsSh64, x, cur.pointee) }
                case .addsSh64_strxReg:
                    integerOp(.addsSh64, x, s)
                    if !stepping {
                        cur += 1
                        guard storeOp(x, tlbHere, cur.pointee, pcAt(pageVA, cur, slots), ctx, size: 8, mode: AddrMode.register) else { continue outer }
                    }
                case .mov64_mov64: integerOp(.mov64, x, s); if !stepping { cur += 1; integerOp(.mov64, x, cur.pointee) }
                case .ldrwOff_ldrwOff:
                    guard loadOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 4, signed: false, to32: false, mode: AddrMode.offset) else { continue outer }
                    if !stepping {
                        cur += 1
                        guard loadOp(x, tlbHere, cur.pointee, pcAt(pageVA, cur, slots), ctx, size: 4, signed: false, to32: false, mode: AddrMode.offset) else { continue outer }
                    }
                case .ldrxOff_ldrxOff:
                    guard loadOp(x, tlbHere, s, pcAt(pageVA, sp, slots), ctx, size: 8, signed: false, to32: false, mode: AddrMode.offset) else { continue outer }
                    if !stepping {
                        cur += 1
                        guard loadOp(x, tlbHere, cur.pointee, pcAt(pageVA, cur, slots), ctx, size: 8, signed: false, to32: false, mode: AddrMode.offset) else { continue outer }
                    }
                case .addR32_addR32: integerOp(.addR32, x, s); if !stepping { cur += 1; integerOp(.addR32, x, cur.pointee) }
                case .addR32_eor32: integerOp(.addR32, x, s); if !stepping { cur += 1; integerOp(.eor32, x, cur.pointee) }
                case .addR32_extr32: integerOp(.addR32, x, s); if !stepping { cur += 1; integerOp(.extr32, x, cur.pointee) }
                case .addR32_orr32: integerOp(.addR32, x, s); if !stepping { cur += 1; integerOp(.orr32, x, cur.pointee) }
                case .addR32_and32: integerOp(.addR32, x, s); if !stepping { cur += 1; integerOp(.and32, x, cur.pointee) }
                case .eor32_addR32: integerOp(.eor32, x, s); if !stepping { cur += 1; integerOp(.addR32, x, cur.pointee) }
                case .eor32_eor32: integerOp(.eor32, x, s); if !stepping { cur += 1; integerOp(.eor32, x, cur.pointee) }
                case .eor32_extr32: integerOp(.eor32, x, s); if !stepping { cur += 1; integerOp(.extr32, x, cur.pointee) }
                case .eor32_orr32: integerOp(.eor32, x, s); if !stepping { cur += 1; integerOp(.orr32, x, cur.pointee) }
                case .eor32_and32: integerOp(.eor32, x, s); if !stepping { cur += 1; integerOp(.and32, x, cur.pointee) }
                case .extr32_addR32: integerOp(.extr32, x, s); if !stepping { cur += 1; integerOp(.addR32, x, cur.pointee) }
                case .extr32_eor32: integerOp(.extr32, x, s); if !stepping { cur += 1; integerOp(.eor32, x, cur.pointee) }
                case .extr32_extr32: integerOp(.extr32, x, s); if !stepping { cur += 1; integerOp(.extr32, x, cur.pointee) }
                case .extr32_orr32: integerOp(.extr32, x, s); if !stepping { cur += 1; integerOp(.orr32, x, cur.pointee) }
                case .extr32_and32: integerOp(.extr32, x, s); if !stepping { cur += 1; integerOp(.and32, x, cur.pointee) }
                case .orr32_addR32: integerOp(.orr32, x, s); if !stepping { cur += 1; integerOp(.addR32, x, cur.pointee) }
                case .orr32_eor32: integerOp(.orr32, x, s); if !stepping { cur += 1; integerOp(.eor32, x, cur.pointee) }
                case .orr32_extr32: integerOp(.orr32, x, s); if !stepping { cur += 1; integerOp(.extr32, x, cur.pointee) }
                case .orr32_orr32: integerOp(.orr32, x, s); if !stepping { cur += 1; integerOp(.orr32, x, cur.pointee) }
                case .orr32_and32: integerOp(.orr32, x, s); if !stepping { cur += 1; integerOp(.and32, x, cur.pointee) }
                case .and32_addR32: integerOp(.and32, x, s); if !stepping { cur += 1; integerOp(.addR32, x, cur.pointee) }
                case .and32_eor32: integerOp(.and32, x, s); if !stepping { cur += 1; integerOp(.eor32, x, cur.pointee) }
                case .and32_extr32: integerOp(.and32, x, s); if !stepping { cur += 1; integerOp(.extr32, x, cur.pointee) }
                case .and32_orr32: integerOp(.and32, x, s); if !stepping { cur += 1; integerOp(.orr32, x, cur.pointee) }
                case .and32_and32: integerOp(.and32, x, s); if !stepping { cur += 1; integerOp(.and32, x, cur.pointee) }
                case .addsImm32_bcond:
                    integerOp(.addsImm32, x, s)
                    if !stepping, let inPage = fusedBranch(x, pageVA, slots, &cur, &mark, limit: limit) {
                        if inPage { continue inner } else { continue outer }
                    }
                case .subsR64_bcond:
                    integerOp(.subsR64, x, s)
                    if !stepping, let inPage = fusedBranch(x, pageVA, slots, &cur, &mark, limit: limit) {
                        if inPage { continue inner } else { continue outer }
                    }
                case .subsImm32_bcond:
                    integerOp(.subsImm32, x, s)
                    if !stepping, let inPage = fusedBranch(x, pageVA, slots, &cur, &mark, limit: limit) {
                        if inPage { continue inner } else { continue outer }
                    }
                case .subsR32_bcond:
                    integerOp(.subsR32, x, s)
                    if !stepping, let inPage = fusedBranch(x, pageVA, slots, &cur, &mark, limit: limit) {
                        if inPage { continue inner } else { continue outer }
                    }
                case .subsImm64_bcond:
                    integerOp(.subsImm64, x, s)
                    if !stepping, let inPage = fusedBranch(x, pageVA, slots, &cur, &mark, limit: limit) {
                        if inPage { continue inner } else { continue outer }
                    }
                case .andsImm64_bcond:
                    integerOp(.andsImm64, x, s)
                    if !stepping, let inPage = fusedBranch(x, pageVA, slots, &cur, &mark, limit: limit) {
                        if inPage { continue inner } else { continue outer }
                    }
                case .ccmp32_bcond:
                    integerOp(.ccmp32, x, s)
                    if !stepping, let inPage = fusedBranch(x, pageVA, slots, &cur, &mark, limit: limit) {
                        if inPage { continue inner } else { continue outer }
                    }
                case .ccmp64_bcond:
                    integerOp(.ccmp64, x, s)
                    if !stepping, let inPage = fusedBranch(x, pageVA, slots, &cur, &mark, limit: limit) {
                        if inPage { continue inner } else { continue outer }
                    }
                case .mov64_nop: integerOp(.mov64, x, s); if !stepping { cur += 1 }
                case .nop_nop: if !stepping { cur += 1 }
                case .nop_stp64:
                    if !stepping {
                        cur += 1
                        guard storePair(.stp64, x, tlbHere, cur.pointee, pcAt(pageVA, cur, slots), ctx) else { continue outer }
                    }
                case .stp64_addImm64:
                    guard storePair(.stp64, x, tlbHere, s, pcAt(pageVA, sp, slots), ctx) else { continue outer }
                    if !stepping, (cur + 1).pointee.op != .undecoded {
                        cur += 1
                        integerOp(.addImm64, x, cur.pointee)
                    }
                case .addImm64_stp64:
                    integerOp(.addImm64, x, s)
                    if !stepping {
                        cur += 1
                        guard storePair(.stp64, x, tlbHere, cur.pointee, pcAt(pageVA, cur, slots), ctx) else { continue outer }
                    }
                case .stp64_stp64:
                    guard storePair(.stp64, x, tlbHere, s, pcAt(pageVA, sp, slots), ctx) else { continue outer }
                    if !stepping, (cur + 1).pointee.op != .undecoded {
                        cur += 1
                        guard storePair(.stp64, x, tlbHere, cur.pointee, pcAt(pageVA, cur, slots), ctx) else { continue outer }
                    }
                case .stp64_mov64:
                    guard storePair(.stp64, x, tlbHere, s, pcAt(pageVA, sp, slots), ctx) else { continue outer }
                    if !stepping, (cur + 1).pointee.op != .undecoded {
                        cur += 1
                        integerOp(.mov64, x, cur.pointee)
                    }
                case .ldp64_ldp64:
                    guard loadPair(.ldp64, x, tlbHere, s, pcAt(pageVA, sp, slots), ctx) else { continue outer }
                    if !stepping {
                        cur += 1
                        guard loadPair(.ldp64, x, tlbHere, cur.pointee, pcAt(pageVA, cur, slots), ctx) else { continue outer }
                    }
                case .ldp64_nop:
                    guard loadPair(.ldp64, x, tlbHere, s, pcAt(pageVA, sp, slots), ctx) else { continue outer }
                    if !stepping {
                        cur += 1
                    }
                case .nop_ret:
                    if !stepping {
                        cur += 1
                        st.pointee.pc = rx(x, cur.pointee.n)
                        continue outer
                    }
                case .mov64_movImm: integerOp(.mov64, x, s); if !stepping { cur += 1; integerOp(.movImm, x, cur.pointee) }
                case .movImm_nop: integerOp(.movImm, x, s); if !stepping { cur += 1 }

                // MARK: Floating point and Advanced SIMD
                case .fpsimd:
                    guard executeFPSIMD(s, ctx: ctx, pc: pcAt(pageVA, sp, slots)) else { continue outer }
                }
                if stepping {
                    icount = retired(mark, cur); inBlock = false
                    let next = slotIndex(sp, slots) &+ 1
                    st.pointee.pc = pageVA &+ UInt64(truncatingIfNeeded: next &<< 2)
                    st.pointee.insideBlock = next < CodeCache.slotsPerPage   // the fast loop goes on here, but at a page's end
                    st.pointee.midStraight = st.pointee.insideBlock
                    continue outer
                }
                cur += 1
            }
        }
        // A trap to a hosted EL2 on the budget's last instruction is reported now, so the
        // caller never resumes a CPU that stands at the EL2 vector.
        if st.pointee.hostedTrap != 0 { return takeHostedTrap() }
        return .budget
    }

    @inline(never) func takeHostedTrap() -> Exit {
        let trap = st.pointee.hostedTrap
        st.pointee.hostedTrap = 0
        st.pointee.exitRequest = false
        return .hypervisorTrap(VectorKind(rawValue: trap &- 1) ?? .sync)
    }
}
