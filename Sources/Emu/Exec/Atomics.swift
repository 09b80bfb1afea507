// Exclusive loads/stores and LSE atomics (Arm ARM B2.9, "Synchronization and
// semaphores"; C6 LDADD, CAS, SWP ...). CPUs run one at a time on one host thread, so
// an atomic read-modify-write is simply a load and a store. The exclusive monitor
// records the address and the value loaded; a store-exclusive succeeds if the monitor
// is armed for that address and memory still holds that value.

extension CPU {
    /// Alignment fault unless `addr` is aligned to `size` (exclusives and atomics
    /// always require natural alignment).
    @inline(__always) func checkAligned(_ addr: UInt64, _ size: Int, _ access: Access, pc: UInt64) -> Bool {
        if addr & UInt64(size - 1) == 0 { return true }
        alignmentFault(addr, access, pc: pc)
        return false
    }

    /// LDXR/LDAXR and LDXP/LDAXP. Returns false after an exception.
    @inline(never)
    func loadExclusive(_ s: Slot, ctx: Int, pc: UInt64, pair: Bool) -> Bool {
        let size = 1 << Int(s.y)
        let addr = x[Int(s.n)]
        guard checkAligned(addr, pair ? 2 * size : size, .read, pc: pc),
              let v = load(addr, size, ctx: ctx, pc: pc, slot: s) else { return false }
        var v2: UInt64 = 0
        if pair {
            guard let w = load(addr &+ UInt64(size), size, ctx: ctx, pc: pc, slot: s) else { return false }
            v2 = w
        }
        st.pointee.exclusiveAddr = addr
        st.pointee.exclusiveSize = UInt64(size) * (pair ? 2 : 1)
        st.pointee.exclusiveValue = v
        st.pointee.exclusiveValue2 = v2
        x[Int(s.d)] = v
        if pair { x[Int(s.m)] = v2 }
        return true
    }

    /// STXR/STLXR and STXP/STLXP: status register a gets 0 on success, 1 on failure.
    @inline(never)
    func storeExclusive(_ s: Slot, ctx: Int, pc: UInt64, pair: Bool) -> Bool {
        let size = 1 << Int(s.y)
        let addr = x[Int(s.n)]
        let total = UInt64(size) * (pair ? 2 : 1)
        guard checkAligned(addr, Int(total), .write, pc: pc) else { return false }
        var ok = st.pointee.exclusiveAddr == addr && st.pointee.exclusiveSize == total
        st.pointee.exclusiveAddr = ~0
        if ok {
            guard let cur = load(addr, size, ctx: ctx, pc: pc, slot: s) else { return false }
            ok = cur == st.pointee.exclusiveValue
            if ok && pair {
                guard let cur2 = load(addr &+ UInt64(size), size, ctx: ctx, pc: pc, slot: s) else { return false }
                ok = cur2 == st.pointee.exclusiveValue2
            }
        }
        if ok {
            guard store(addr, size, x[Int(s.d)], ctx: ctx, pc: pc, slot: s) else { return false }
            if pair {
                guard store(addr &+ UInt64(size), size, x[Int(s.m)], ctx: ctx, pc: pc, slot: s) else { return false }
            }
        }
        x[Int(s.a)] = ok ? 0 : 1
        return true
    }

    /// LDADD, LDCLR, LDEOR, LDSET, LDSMAX, LDSMIN, LDUMAX, LDUMIN, SWP (and their
    /// acquire/release forms): Rt gets the old value, memory the combined one.
    @inline(never)
    func atomicOp(_ s: Slot, ctx: Int, pc: UInt64) -> Bool {
        let size = 1 << Int(s.y)
        let bitsN = 8 * size
        let mask = ones(bitsN)
        let addr = x[Int(s.n)]
        guard checkAligned(addr, size, .write, pc: pc),
              let old = load(addr, size, ctx: ctx, pc: pc, slot: s) else { return false }
        let operand = x[Int(s.m)] & mask
        let new: UInt64
        switch s.x {
        case 0: new = old &+ operand
        case 1: new = old & ~operand
        case 2: new = old ^ operand
        case 3: new = old | operand
        case 4: new = Int64(bitPattern: signExtend(old, bitsN)) >= Int64(bitPattern: signExtend(operand, bitsN)) ? old : operand
        case 5: new = Int64(bitPattern: signExtend(old, bitsN)) <= Int64(bitPattern: signExtend(operand, bitsN)) ? old : operand
        case 6: new = max(old, operand)
        case 7: new = min(old, operand)
        default: new = operand   // SWP
        }
        guard store(addr, size, new & mask, ctx: ctx, pc: pc, slot: s) else { return false }
        x[Int(s.d)] = old
        return true
    }

    /// CAS: compare Rs with memory, store Rt if equal; Rs gets the old value.
    @inline(never)
    func compareAndSwap(_ s: Slot, ctx: Int, pc: UInt64) -> Bool {
        let size = 1 << Int(s.y)
        let mask = ones(8 * size)
        let addr = x[Int(s.n)]
        guard checkAligned(addr, size, .write, pc: pc),
              let old = load(addr, size, ctx: ctx, pc: pc, slot: s) else { return false }
        if old == x[Int(s.m)] & mask {
            guard store(addr, size, x[Int(s.d)] & mask, ctx: ctx, pc: pc, slot: s) else { return false }
        }
        x[Int(s.a)] = old
        return true
    }

    /// CASP: the pair form, registers Rs:Rs+1 and Rt:Rt+1 (even-numbered).
    @inline(never)
    func compareAndSwapPair(_ s: Slot, ctx: Int, pc: UInt64) -> Bool {
        let size = 1 << Int(s.y)          // y = log2 of one register's size (2 or 3)
        let mask = ones(8 * size)
        let addr = x[Int(s.n)]
        let rs = Int(s.m), rt = Int(s.d)
        guard checkAligned(addr, 2 * size, .write, pc: pc),
              let lo = load(addr, size, ctx: ctx, pc: pc, slot: s),
              let hi = load(addr &+ UInt64(size), size, ctx: ctx, pc: pc, slot: s) else { return false }
        if lo == x[rs] & mask && hi == x[rs + 1] & mask {
            guard store(addr, size, x[rt] & mask, ctx: ctx, pc: pc, slot: s),
                  store(addr &+ UInt64(size), size, x[rt + 1] & mask, ctx: ctx, pc: pc, slot: s) else { return false }
        }
        if rs < 31 { x[rs] = lo }
        if rs + 1 < 31 { x[rs + 1] = hi }
        return true
    }
}

extension CPU {
    /// Whether the memory this CPU's exclusive monitor watches no longer holds what its
    /// exclusive load saw: another CPU wrote it, which clears the monitor and is a WFE wake-up
    /// event (Arm ARM D1.16.2). False when no monitor is armed.
    public var exclusiveMonitorLost: Bool {
        let s = st.pointee
        guard s.exclusiveAddr != ~0 else { return false }
        let size = s.exclusiveSize > 8 ? Int(s.exclusiveSize / 2) : Int(s.exclusiveSize)
        guard let v = debugRead(s.exclusiveAddr, size: size) else { return true }
        if v != s.exclusiveValue { return true }
        if s.exclusiveSize > 8 {
            guard let w = debugRead(s.exclusiveAddr &+ UInt64(size), size: size) else { return true }
            return w != s.exclusiveValue2
        }
        return false
    }
}
