// The interpreter loop. It runs decoded slots of one guest page at a time: a branch
// inside the page continues in place, anything else goes back to the block boundary
// where interrupts, the budget and the next code page are looked at. Nothing here
// allocates, retains, throws or checks array bounds (DESIGN.md, "Hot loop").

extension CPU {
    /// Runs at most `budget` instructions; returns why it stopped.
    public func run(_ budget: UInt64) -> Exit {
        if tracer != nil || hasBreakpoints { return interpret(budget, stepping: true) }
        return interpret(budget, stepping: false)
    }

    // Register file and slot field access, kept short for the switch below.
    @inline(__always) private func r(_ i: UInt8) -> UInt64 { x[Int(i)] }
    @inline(__always) private func w(_ i: UInt8, _ v: UInt64) { x[Int(i)] = v }
    @inline(__always) private func w32(_ i: UInt8, _ v: UInt64) { x[Int(i)] = v & 0xffff_ffff }

    /// Effective address of a single or pair load/store, before writeback.
    @inline(__always) private func address(_ s: Slot, pc: UInt64) -> UInt64 {
        switch s.x & 7 {
        case AddrMode.postIndex: return x[Int(s.n)]
        case AddrMode.register: return x[Int(s.n)] &+ extendReg(x[Int(s.m)], s.y, s.a)
        case AddrMode.literal: return pc &+ s.imm
        default: return x[Int(s.n)] &+ s.imm
        }
    }

    @inline(__always) private func writeback(_ s: Slot, _ addr: UInt64) {
        let mode = s.x & 7
        if mode == AddrMode.preIndex { x[Int(s.n)] = addr }
        else if mode == AddrMode.postIndex { x[Int(s.n)] = addr &+ s.imm }
    }

    @inline(__always)
    private func interpret(_ budget: UInt64, stepping: Bool) -> Exit {
        let x = self.x, st = self.st, cond = self.conditions
        var icount = st.pointee.icount
        let limit = icount &+ budget
        defer { st.pointee.icount = icount }

        outer: while icount < limit {
            st.pointee.icount = icount
            if userMode, let (esr, far) = userException {
                userException = nil
                return .userException(esr: esr, far: far)
            }
            if st.pointee.checkInterrupts {
                st.pointee.checkInterrupts = false
                if takePendingInterrupt() { continue outer }
            }
            if st.pointee.illegal != 0 {
                syncException(ec: EC.illegalState, iss: 0, pc: st.pointee.pc)
                continue outer
            }
            let ctx = Int(st.pointee.el)
            let uctx = ctx == 1 ? 0 : ctx       // LDTR/STTR at EL1 use EL0 permissions
            let startPC = st.pointee.pc
            if stepping {
                if hasBreakpoints && breakpoints.contains(startPC) {
                    if skipBreakpointAt == startPC { skipBreakpointAt = nil } else { return .breakpoint }
                }
                tracer?(self, startPC)
            }
            let pageVA = startPC & ~0xfff
            let e = tlbBase + (ctx &* TLB.entries &+ TLB.index(startPC))
            let slots: UnsafeMutablePointer<Slot>
            if e.pointee.tagX == pageVA && startPC & 3 == 0, let c = e.pointee.code {
                slots = c
            } else {
                guard let c = fetchPage(startPC, ctx: ctx) else { continue outer }
                slots = c
            }
            var i = Int((startPC & 0xfff) >> 2)

            inner: while true {
                let s = slots[i]
                icount &+= 1
                switch s.op {
                // MARK: Interpreter control
                case .undecoded:
                    decodeSlot(slots, i)
                    icount &-= 1
                    continue inner
                case .pageEnd:
                    icount &-= 1
                    st.pointee.pc = pageVA &+ 0x1000
                    continue outer
                case .undefined:
                    icount &-= 1
                    undefined(pc: pageVA &+ UInt64(i &<< 2))
                    continue outer

                // MARK: Data processing, immediate
                case .adr: w(s.d, pageVA &+ UInt64(i &<< 2) &+ s.imm)
                case .adrp: w(s.d, pageVA &+ s.imm)
                case .addImm64: w(s.d, r(s.n) &+ s.imm)
                case .addImm32: w32(s.d, r(s.n) &+ s.imm)
                case .subImm64: w(s.d, r(s.n) &- s.imm)
                case .subImm32: w32(s.d, r(s.n) &- s.imm)
                case .addsImm64:
                    let (v, f) = addWithCarry64(r(s.n), s.imm, 0); w(s.d, v); st.pointee.nzcv = f
                case .addsImm32:
                    let (v, f) = addWithCarry32(r(s.n), s.imm, 0); w(s.d, v); st.pointee.nzcv = f
                case .subsImm64:
                    let (v, f) = addWithCarry64(r(s.n), ~s.imm, 1); w(s.d, v); st.pointee.nzcv = f
                case .subsImm32:
                    let (v, f) = addWithCarry32(r(s.n), ~s.imm, 1); w(s.d, v); st.pointee.nzcv = f
                case .andImm64: w(s.d, r(s.n) & s.imm)
                case .orrImm64: w(s.d, r(s.n) | s.imm)
                case .eorImm64: w(s.d, r(s.n) ^ s.imm)
                case .andsImm64: let v = r(s.n) & s.imm; w(s.d, v); st.pointee.nzcv = logicFlags64(v)
                case .andImm32: w32(s.d, r(s.n) & s.imm)
                case .orrImm32: w32(s.d, r(s.n) | s.imm)
                case .eorImm32: w32(s.d, r(s.n) ^ s.imm)
                case .andsImm32:
                    let v = r(s.n) & s.imm & 0xffff_ffff; w(s.d, v); st.pointee.nzcv = logicFlags32(v)
                case .movImm: w(s.d, s.imm)
                case .movk64:
                    w(s.d, (r(s.d) & ~(0xffff &<< UInt64(s.x))) | s.imm &<< UInt64(s.x))
                case .movk32:
                    w32(s.d, (r(s.d) & ~(0xffff &<< UInt64(s.x))) | s.imm &<< UInt64(s.x))
                case .ubfm64: w(s.d, ((r(s.n) &>> UInt64(s.x)) & ones(Int(s.y))) &<< UInt64(s.a))
                case .ubfm32: w32(s.d, (((r(s.n) & 0xffff_ffff) &>> UInt64(s.x)) & ones(Int(s.y))) &<< UInt64(s.a))
                case .sbfm64: w(s.d, signExtend(r(s.n) &>> UInt64(s.x), Int(s.y)) &<< UInt64(s.a))
                case .sbfm32: w32(s.d, signExtend((r(s.n) & 0xffff_ffff) &>> UInt64(s.x), Int(s.y)) &<< UInt64(s.a))
                case .bfm64, .bfm32:
                    let field = ones(Int(s.y)) &<< UInt64(s.a)
                    let v = (r(s.d) & ~field) | (((r(s.n) &>> UInt64(s.x)) &<< UInt64(s.a)) & field)
                    if s.op == .bfm64 { w(s.d, v) } else { w32(s.d, v) }
                case .extr64:
                    let lsb = UInt64(s.x)
                    w(s.d, lsb == 0 ? r(s.m) : (r(s.m) &>> lsb) | (r(s.n) &<< (64 - lsb)))
                case .extr32:
                    let v = (r(s.n) & 0xffff_ffff) << 32 | (r(s.m) & 0xffff_ffff)
                    w32(s.d, v &>> UInt64(s.x))

                // MARK: Data processing, register
                case .mov64: w(s.d, r(s.m))
                case .addSh64: w(s.d, r(s.n) &+ shift64(r(s.m), s.x, s.y))
                case .addSh32: w32(s.d, r(s.n) &+ shift32(r(s.m), s.x, s.y))
                case .subSh64: w(s.d, r(s.n) &- shift64(r(s.m), s.x, s.y))
                case .subSh32: w32(s.d, r(s.n) &- shift32(r(s.m), s.x, s.y))
                case .addsSh64:
                    let (v, f) = addWithCarry64(r(s.n), shift64(r(s.m), s.x, s.y), 0); w(s.d, v); st.pointee.nzcv = f
                case .addsSh32:
                    let (v, f) = addWithCarry32(r(s.n), shift32(r(s.m), s.x, s.y), 0); w(s.d, v); st.pointee.nzcv = f
                case .subsSh64:
                    let (v, f) = addWithCarry64(r(s.n), ~shift64(r(s.m), s.x, s.y), 1); w(s.d, v); st.pointee.nzcv = f
                case .subsSh32:
                    let (v, f) = addWithCarry32(r(s.n), ~shift32(r(s.m), s.x, s.y), 1); w(s.d, v); st.pointee.nzcv = f
                case .addEx64: w(s.d, r(s.n) &+ extendReg(r(s.m), s.x, s.y))
                case .addEx32: w32(s.d, r(s.n) &+ extendReg(r(s.m), s.x, s.y))
                case .subEx64: w(s.d, r(s.n) &- extendReg(r(s.m), s.x, s.y))
                case .subEx32: w32(s.d, r(s.n) &- extendReg(r(s.m), s.x, s.y))
                case .addsEx64:
                    let (v, f) = addWithCarry64(r(s.n), extendReg(r(s.m), s.x, s.y), 0); w(s.d, v); st.pointee.nzcv = f
                case .addsEx32:
                    let (v, f) = addWithCarry32(r(s.n), extendReg(r(s.m), s.x, s.y), 0); w(s.d, v); st.pointee.nzcv = f
                case .subsEx64:
                    let (v, f) = addWithCarry64(r(s.n), ~extendReg(r(s.m), s.x, s.y), 1); w(s.d, v); st.pointee.nzcv = f
                case .subsEx32:
                    let (v, f) = addWithCarry32(r(s.n), ~extendReg(r(s.m), s.x, s.y), 1); w(s.d, v); st.pointee.nzcv = f
                case .and64: w(s.d, r(s.n) & shift64(r(s.m), s.x, s.y))
                case .bic64: w(s.d, r(s.n) & ~shift64(r(s.m), s.x, s.y))
                case .orr64: w(s.d, r(s.n) | shift64(r(s.m), s.x, s.y))
                case .orn64: w(s.d, r(s.n) | ~shift64(r(s.m), s.x, s.y))
                case .eor64: w(s.d, r(s.n) ^ shift64(r(s.m), s.x, s.y))
                case .eon64: w(s.d, r(s.n) ^ ~shift64(r(s.m), s.x, s.y))
                case .ands64:
                    let v = r(s.n) & shift64(r(s.m), s.x, s.y); w(s.d, v); st.pointee.nzcv = logicFlags64(v)
                case .bics64:
                    let v = r(s.n) & ~shift64(r(s.m), s.x, s.y); w(s.d, v); st.pointee.nzcv = logicFlags64(v)
                case .and32: w32(s.d, r(s.n) & shift32(r(s.m), s.x, s.y))
                case .bic32: w32(s.d, r(s.n) & ~shift32(r(s.m), s.x, s.y))
                case .orr32: w32(s.d, r(s.n) | shift32(r(s.m), s.x, s.y))
                case .orn32: w32(s.d, r(s.n) | ~shift32(r(s.m), s.x, s.y))
                case .eor32: w32(s.d, r(s.n) ^ shift32(r(s.m), s.x, s.y))
                case .eon32: w32(s.d, r(s.n) ^ ~shift32(r(s.m), s.x, s.y))
                case .ands32:
                    let v = r(s.n) & shift32(r(s.m), s.x, s.y) & 0xffff_ffff; w(s.d, v); st.pointee.nzcv = logicFlags32(v)
                case .bics32:
                    let v = r(s.n) & ~shift32(r(s.m), s.x, s.y) & 0xffff_ffff; w(s.d, v); st.pointee.nzcv = logicFlags32(v)
                case .adc64:
                    w(s.d, addWithCarry64(r(s.n), r(s.m), (st.pointee.nzcv >> 29) & 1).0)
                case .adc32:
                    w(s.d, addWithCarry32(r(s.n), r(s.m), (st.pointee.nzcv >> 29) & 1).0)
                case .adcs64:
                    let (v, f) = addWithCarry64(r(s.n), r(s.m), (st.pointee.nzcv >> 29) & 1); w(s.d, v); st.pointee.nzcv = f
                case .adcs32:
                    let (v, f) = addWithCarry32(r(s.n), r(s.m), (st.pointee.nzcv >> 29) & 1); w(s.d, v); st.pointee.nzcv = f
                case .sbc64:
                    w(s.d, addWithCarry64(r(s.n), ~r(s.m), (st.pointee.nzcv >> 29) & 1).0)
                case .sbc32:
                    w(s.d, addWithCarry32(r(s.n), ~r(s.m), (st.pointee.nzcv >> 29) & 1).0)
                case .sbcs64:
                    let (v, f) = addWithCarry64(r(s.n), ~r(s.m), (st.pointee.nzcv >> 29) & 1); w(s.d, v); st.pointee.nzcv = f
                case .sbcs32:
                    let (v, f) = addWithCarry32(r(s.n), ~r(s.m), (st.pointee.nzcv >> 29) & 1); w(s.d, v); st.pointee.nzcv = f
                case .ccmn64, .ccmn32, .ccmp64, .ccmp32:
                    if (cond[Int(s.x)] &>> UInt16(st.pointee.nzcv >> 28)) & 1 != 0 {
                        let b = s.y == 1 ? s.imm : r(s.m)
                        switch s.op {
                        case .ccmn64: st.pointee.nzcv = addWithCarry64(r(s.n), b, 0).1
                        case .ccmn32: st.pointee.nzcv = addWithCarry32(r(s.n), b, 0).1
                        case .ccmp64: st.pointee.nzcv = addWithCarry64(r(s.n), ~b, 1).1
                        default: st.pointee.nzcv = addWithCarry32(r(s.n), ~b, 1).1
                        }
                    } else {
                        st.pointee.nzcv = UInt64(s.a) << 28
                    }
                case .csel64, .csel32, .csinc64, .csinc32, .csinv64, .csinv32, .csneg64, .csneg32:
                    var v: UInt64
                    if (cond[Int(s.x)] &>> UInt16(st.pointee.nzcv >> 28)) & 1 != 0 {
                        v = r(s.n)
                    } else {
                        v = r(s.m)
                        switch s.op {
                        case .csinc64, .csinc32: v = v &+ 1
                        case .csinv64, .csinv32: v = ~v
                        case .csneg64, .csneg32: v = 0 &- v
                        default: break
                        }
                    }
                    switch s.op {
                    case .csel64, .csinc64, .csinv64, .csneg64: w(s.d, v)
                    default: w32(s.d, v)
                    }
                case .rbit64: w(s.d, reverseBits64(r(s.n)))
                case .rbit32: w(s.d, reverseBits64(r(s.n)) >> 32)
                case .rev16_64: w(s.d, reverseBytes16(r(s.n)))
                case .rev16_32: w32(s.d, reverseBytes16(r(s.n)))
                case .rev32_64:
                    let v = r(s.n).byteSwapped; w(s.d, (v >> 32) | (v << 32))
                case .rev64: w(s.d, r(s.n).byteSwapped)
                case .rev32: w(s.d, UInt64(UInt32(truncatingIfNeeded: r(s.n)).byteSwapped))
                case .clz64: w(s.d, UInt64(r(s.n).leadingZeroBitCount))
                case .clz32: w(s.d, UInt64(UInt32(truncatingIfNeeded: r(s.n)).leadingZeroBitCount))
                case .cls64: w(s.d, countLeadingSign(r(s.n), width: 64))
                case .cls32: w(s.d, countLeadingSign(r(s.n), width: 32))
                case .udiv64: let m = r(s.m); w(s.d, m == 0 ? 0 : r(s.n) / m)
                case .udiv32:
                    let m = r(s.m) & 0xffff_ffff; w(s.d, m == 0 ? 0 : (r(s.n) & 0xffff_ffff) / m)
                case .sdiv64:
                    w(s.d, UInt64(bitPattern: signedDivide(Int64(bitPattern: r(s.n)), Int64(bitPattern: r(s.m)))))
                case .sdiv32:
                    let q = signedDivide(Int64(Int32(truncatingIfNeeded: r(s.n))), Int64(Int32(truncatingIfNeeded: r(s.m))))
                    w32(s.d, UInt64(bitPattern: q))
                case .lslv64: w(s.d, r(s.n) &<< (r(s.m) & 63))
                case .lslv32: w32(s.d, shift32(r(s.n), 0, UInt8(r(s.m) & 31)))
                case .lsrv64: w(s.d, r(s.n) &>> (r(s.m) & 63))
                case .lsrv32: w32(s.d, shift32(r(s.n), 1, UInt8(r(s.m) & 31)))
                case .asrv64: w(s.d, shift64(r(s.n), 2, UInt8(r(s.m) & 63)))
                case .asrv32: w32(s.d, shift32(r(s.n), 2, UInt8(r(s.m) & 31)))
                case .rorv64: w(s.d, shift64(r(s.n), 3, UInt8(r(s.m) & 63)))
                case .rorv32: w32(s.d, shift32(r(s.n), 3, UInt8(r(s.m) & 31)))
                case .crc32:
                    w(s.d, crc32Update(r(s.n), r(s.m), bytes: 1 << Int(s.x), castagnoli: s.y == 1))
                case .madd64: w(s.d, r(s.a) &+ r(s.n) &* r(s.m))
                case .madd32: w32(s.d, r(s.a) &+ r(s.n) &* r(s.m))
                case .msub64: w(s.d, r(s.a) &- r(s.n) &* r(s.m))
                case .msub32: w32(s.d, r(s.a) &- r(s.n) &* r(s.m))
                case .smaddl: w(s.d, r(s.a) &+ signExtend(r(s.n), 32) &* signExtend(r(s.m), 32))
                case .smsubl: w(s.d, r(s.a) &- signExtend(r(s.n), 32) &* signExtend(r(s.m), 32))
                case .umaddl: w(s.d, r(s.a) &+ (r(s.n) & 0xffff_ffff) &* (r(s.m) & 0xffff_ffff))
                case .umsubl: w(s.d, r(s.a) &- (r(s.n) & 0xffff_ffff) &* (r(s.m) & 0xffff_ffff))
                case .smulh:
                    w(s.d, UInt64(bitPattern: Int64(bitPattern: r(s.n)).multipliedFullWidth(by: Int64(bitPattern: r(s.m))).high))
                case .umulh: w(s.d, r(s.n).multipliedFullWidth(by: r(s.m)).high)

                // MARK: Loads and stores
                case .ldrb, .ldrh, .ldrw, .ldrx, .ldrsb64, .ldrsb32, .ldrsh64, .ldrsh32, .ldrsw:
                    let pc = pageVA &+ UInt64(i &<< 2)
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
                    case .ldrsb64: w(s.d, signExtend(v, 8))
                    case .ldrsb32: w32(s.d, signExtend(v, 8))
                    case .ldrsh64: w(s.d, signExtend(v, 16))
                    case .ldrsh32: w32(s.d, signExtend(v, 16))
                    case .ldrsw: w(s.d, signExtend(v, 32))
                    default: w(s.d, v)
                    }
                case .strb, .strh, .strw, .strx:
                    let pc = pageVA &+ UInt64(i &<< 2)
                    let addr = address(s, pc: pc)
                    let size = s.op == .strb ? 1 : s.op == .strh ? 2 : s.op == .strw ? 4 : 8
                    guard store(addr, size, r(s.d), ctx: s.x & 8 == 0 ? ctx : uctx, pc: pc, slot: s) else {
                        continue outer
                    }
                    writeback(s, addr)
                case .prfm:
                    break
                case .ldp32, .ldp64, .ldpsw:
                    let pc = pageVA &+ UInt64(i &<< 2)
                    let addr = address(s, pc: pc)
                    let size = s.op == .ldp64 ? 8 : 4
                    guard let v1 = load(addr, size, ctx: ctx, pc: pc, slot: s),
                          let v2 = load(addr &+ UInt64(size), size, ctx: ctx, pc: pc, slot: s) else { continue outer }
                    writeback(s, addr)
                    if s.op == .ldpsw { w(s.d, signExtend(v1, 32)); w(s.m, signExtend(v2, 32)) }
                    else { w(s.d, v1); w(s.m, v2) }
                case .stp32, .stp64:
                    let pc = pageVA &+ UInt64(i &<< 2)
                    let addr = address(s, pc: pc)
                    if s.op == .stp64 {
                        guard store(addr, 8, r(s.d), ctx: ctx, pc: pc, slot: s),
                              store(addr &+ 8, 8, r(s.m), ctx: ctx, pc: pc, slot: s) else { continue outer }
                    } else {
                        guard store(addr, 8, (r(s.d) & 0xffff_ffff) | r(s.m) << 32, ctx: ctx, pc: pc, slot: s) else {
                            continue outer
                        }
                    }
                    writeback(s, addr)
                case .ldxr:
                    guard loadExclusive(s, ctx: ctx, pc: pageVA &+ UInt64(i &<< 2), pair: false) else { continue outer }
                case .ldxp:
                    guard loadExclusive(s, ctx: ctx, pc: pageVA &+ UInt64(i &<< 2), pair: true) else { continue outer }
                case .stxr:
                    guard storeExclusive(s, ctx: ctx, pc: pageVA &+ UInt64(i &<< 2), pair: false) else { continue outer }
                case .stxp:
                    guard storeExclusive(s, ctx: ctx, pc: pageVA &+ UInt64(i &<< 2), pair: true) else { continue outer }
                case .atomic:
                    guard atomicOp(s, ctx: ctx, pc: pageVA &+ UInt64(i &<< 2)) else { continue outer }
                case .cas:
                    guard compareAndSwap(s, ctx: ctx, pc: pageVA &+ UInt64(i &<< 2)) else { continue outer }
                case .casp:
                    guard compareAndSwapPair(s, ctx: ctx, pc: pageVA &+ UInt64(i &<< 2)) else { continue outer }

                // MARK: Branches
                case .b, .bl, .bcond, .cbz64, .cbnz64, .cbz32, .cbnz32, .tbz, .tbnz:
                    let taken: Bool
                    switch s.op {
                    case .bcond: taken = (cond[Int(s.x)] &>> UInt16(st.pointee.nzcv >> 28)) & 1 != 0
                    case .cbz64: taken = r(s.n) == 0
                    case .cbnz64: taken = r(s.n) != 0
                    case .cbz32: taken = r(s.n) & 0xffff_ffff == 0
                    case .cbnz32: taken = r(s.n) & 0xffff_ffff != 0
                    case .tbz: taken = (r(s.n) >> UInt64(s.x)) & 1 == 0
                    case .tbnz: taken = (r(s.n) >> UInt64(s.x)) & 1 != 0
                    case .bl: taken = true; w(30, pageVA &+ UInt64(i &<< 2) &+ 4)
                    default: taken = true
                    }
                    if taken {
                        let target = pageVA &+ UInt64(i &<< 2) &+ s.imm
                        if !stepping && target & ~0xfff == pageVA && icount < limit {
                            i = Int((target & 0xfff) &>> 2)
                            continue inner
                        }
                        st.pointee.pc = target
                        continue outer
                    }
                case .br, .ret:
                    st.pointee.pc = r(s.n)
                    continue outer
                case .blr:
                    let target = r(s.n)
                    w(30, pageVA &+ UInt64(i &<< 2) &+ 4)
                    st.pointee.pc = target
                    continue outer
                case .eret:
                    if st.pointee.el == 0 { icount &-= 1; undefined(pc: pageVA &+ UInt64(i &<< 2)) }
                    else { exceptionReturn() }
                    continue outer

                // MARK: Exception generation
                case .svc:
                    let pc = pageVA &+ UInt64(i &<< 2)
                    if userMode { st.pointee.pc = pc &+ 4; return .svcUser(imm: UInt16(s.imm)) }
                    syncException(ec: EC.svc, iss: s.imm, pc: pc &+ 4)
                    continue outer
                case .hvc:
                    let pc = pageVA &+ UInt64(i &<< 2)
                    st.pointee.icount = icount
                    if let exit = hypervisorCall(UInt16(s.imm), pc: pc) { return exit }
                    continue outer
                case .smc:
                    let pc = pageVA &+ UInt64(i &<< 2)
                    st.pointee.icount = icount
                    if let exit = secureMonitorCall(UInt16(s.imm), pc: pc) { return exit }
                    continue outer
                case .brk:
                    icount &-= 1
                    syncException(ec: EC.brk, iss: s.imm, pc: pageVA &+ UInt64(i &<< 2))
                    continue outer
                case .hlt:
                    let pc = pageVA &+ UInt64(i &<< 2)
                    if semihosting && s.imm == 0xf000 { st.pointee.pc = pc &+ 4; return .semihosting }
                    icount &-= 1
                    undefined(pc: pc)
                    continue outer

                // MARK: System
                case .nop, .yield, .barrier:
                    break
                case .isb:
                    st.pointee.pc = pageVA &+ UInt64(i &<< 2) &+ 4
                    continue outer
                case .clrex:
                    st.pointee.exclusiveAddr = ~0
                case .sevl:
                    st.pointee.event = true
                case .sev:
                    st.pointee.pc = pageVA &+ UInt64(i &<< 2) &+ 4
                    return .sev
                case .wfi, .wfe:
                    let pc = pageVA &+ UInt64(i &<< 2)
                    st.pointee.icount = icount
                    if waitTrapped(wfe: s.op == .wfe, pc: pc) { continue outer }
                    st.pointee.pc = pc &+ 4
                    if s.op == .wfe {
                        if st.pointee.event { st.pointee.event = false; continue outer }
                        return .wfe
                    }
                    if interruptPending { st.pointee.checkInterrupts = true; continue outer }
                    return .wfi
                case .msrImm:
                    let pc = pageVA &+ UInt64(i &<< 2)
                    if msrImmediate(s, pc: pc) { st.pointee.pc = pc &+ 4 }
                    continue outer
                case .mrs:
                    let pc = pageVA &+ UInt64(i &<< 2)
                    st.pointee.icount = icount
                    guard let reg = SysReg(rawValue: UInt16(s.imm & 0xffff)),
                          let v = readSysReg(reg, enc: UInt32(s.imm >> 16), rt: s.d, pc: pc) else { continue outer }
                    w(s.d, v)
                case .msr:
                    let pc = pageVA &+ UInt64(i &<< 2)
                    st.pointee.icount = icount
                    guard let reg = SysReg(rawValue: UInt16(s.imm & 0xffff)),
                          writeSysReg(reg, enc: UInt32(s.imm >> 16), rt: s.n, value: r(s.n), pc: pc) else {
                        continue outer
                    }
                    st.pointee.pc = pc &+ 4
                    continue outer
                case .sys:
                    let pc = pageVA &+ UInt64(i &<< 2)
                    st.pointee.icount = icount
                    if systemOp(s, pc: pc) { st.pointee.pc = pc &+ 4 }
                    continue outer

                // MARK: Floating point and Advanced SIMD
                case .fpsimd:
                    guard executeFPSIMD(s, ctx: ctx, pc: pageVA &+ UInt64(i &<< 2)) else { continue outer }
                }
                i &+= 1
                if stepping {
                    st.pointee.pc = pageVA &+ UInt64(i &<< 2)
                    continue outer
                }
            }
        }
        return .budget
    }
}
