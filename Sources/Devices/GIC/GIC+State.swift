import Emu

// Snapshot state of the interrupt controller and the timers (see Emu/State/StateCoding.swift).

extension GICCore: StateSaving {
    public func save(_ w: inout StateWriter) {
        w.int(cpuCount); w.int(lines); w.bool(v2)
        for a in [enabled, latch, level, active, group1, edge, anyCPU] { w.bools(a) }
        w.data(priority); w.ints(route); w.data(targets); w.ints(sgiSource)
        w.bool(enableGroup0); w.bool(enableGroup1)
        w.data(pmr); w.data(bpr0); w.data(bpr1)
        for a in [igrpen0, igrpen1, eoiMode, fiqEnable] { w.bools(a) }
        w.u64s(activePriorities0.map(UInt64.init)); w.u64s(activePriorities1.map(UInt64.init))
        w.u64s(acknowledged)
    }

    public func restore(_ r: inout StateReader) throws {
        guard try r.int() == cpuCount, try r.int() == lines, try r.bool() == v2 else {
            throw StateError("the snapshot's interrupt controller has another shape (CPUs, lines or version)")
        }
        let n = enabled.count, c = cpuCount
        enabled = try r.bools(count: n, "GIC enable"); latch = try r.bools(count: n, "GIC pending")
        level = try r.bools(count: n, "GIC level"); active = try r.bools(count: n, "GIC active")
        group1 = try r.bools(count: n, "GIC group"); edge = try r.bools(count: n, "GIC config")
        anyCPU = try r.bools(count: lines, "GIC routing")
        priority = try r.data(); route = try r.ints(); targets = try r.data(); sgiSource = try r.ints()
        guard priority.count == n, route.count == lines, targets.count == lines, sgiSource.count == c * 16 else {
            throw StateError("GIC priority/routing state has the wrong size")
        }
        enableGroup0 = try r.bool(); enableGroup1 = try r.bool()
        pmr = try r.data(); bpr0 = try r.data(); bpr1 = try r.data()
        igrpen0 = try r.bools(count: c, "ICC_IGRPEN0"); igrpen1 = try r.bools(count: c, "ICC_IGRPEN1")
        eoiMode = try r.bools(count: c, "EOImode"); fiqEnable = try r.bools(count: c, "FIQEn")
        activePriorities0 = try r.u64s(count: c, "active priorities").map { UInt32(truncatingIfNeeded: $0) }
        activePriorities1 = try r.u64s(count: c, "active priorities").map { UInt32(truncatingIfNeeded: $0) }
        acknowledged = try r.u64s(count: lines, "interrupt counts")
        guard pmr.count == c, bpr0.count == c, bpr1.count == c else { throw StateError("GIC CPU state has the wrong size") }
        update()
    }
}

/// GICD_IROUTER<n> as the guest wrote them, which read back as written (the routing they
/// select is in the core). The board's distributor and the hosted hypervisor's vGICs save them.
extension GICDistributor: StateSaving {
    public func save(_ w: inout StateWriter) { w.u64s(irouter) }
    public func restore(_ r: inout StateReader) throws {
        let saved = try r.u64s(count: irouter.count, "GICD_IROUTER")
        guard saved.allSatisfy({ $0 & ~GICDistributor.irouterMask == 0 }) else {
            throw StateError("GICD_IROUTER: reserved bits set")
        }
        irouter = saved
    }
}

extension GICRedistributors: StateSaving {
    public func save(_ w: inout StateWriter) { w.bools(asleep) }
    public func restore(_ r: inout StateReader) throws { asleep = try r.bools(count: asleep.count, "GICR_WAKER") }
}

extension GICv2CPUInterface: StateSaving {
    public func save(_ w: inout StateWriter) { w.u64s(ctlr) }
    public func restore(_ r: inout StateReader) throws { ctlr = try r.u64s(count: ctlr.count, "GICC_CTLR") }
}

extension GICv3CPUInterface: StateSaving {
    public func save(_ w: inout StateWriter) {
        w.u64s(ichHCR); w.u64s(ichVMCR); w.u64s(ichAP0R); w.u64s(ichAP1R)
        for l in ichLR { w.u64s(l) }
    }
    public func restore(_ r: inout StateReader) throws {
        let c = ichHCR.count
        ichHCR = try r.u64s(count: c, "ICH_HCR"); ichVMCR = try r.u64s(count: c, "ICH_VMCR")
        ichAP0R = try r.u64s(count: c, "ICH_AP0R"); ichAP1R = try r.u64s(count: c, "ICH_AP1R")
        for i in 0..<c { ichLR[i] = try r.u64s(count: GICv3CPUInterface.listRegisters, "ICH_LR") }
        for i in 0..<c { signalVirtual(i) }
    }
}

extension GenericTimer: StateSaving {
    public func save(_ w: inout StateWriter) { w.bools(levels) }
    public func restore(_ r: inout StateReader) throws { levels = try r.bools(count: levels.count, "timer levels") }
}
