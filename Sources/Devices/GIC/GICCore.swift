import Emu

/// The interrupt state of an Arm Generic Interrupt Controller, shared by the GICv3 and GICv2
/// front ends (distributor, redistributors, CPU interfaces). It follows the GIC architecture
/// specification (IHI 0069) with one security state (GICD_CTLR.DS = 1, as QEMU's virt board
/// with security off): Group 0 is signalled as FIQ, Group 1 as IRQ.
///
/// INTIDs 0-15 are SGIs and 16-31 PPIs, banked per CPU; 32 and up are SPIs, shared.
public final class GICCore {
    public static let spiBase = 32
    /// INTID 1023: no pending interrupt (spurious).
    public static let spurious: UInt32 = 1023
    /// Priority bits implemented: 5, so priorities are multiples of 8 (ICC_CTLR_EL1.PRIbits = 4).
    static let priorityMask: UInt8 = 0xf8
    /// A GICv2 names CPUs in 8-bit target lists (GICD_ITARGETSR, GICD_SGIR): 8 at most.
    public static let maxV2CPUs = 8

    public private(set) var cpus: [CPU] = []
    public let cpuCount: Int
    /// Where the interrupt outputs go when there are no CPUs (see `init(cpuCount:)`).
    public var output: ((Int, Bool, Bool) -> Void)?
    /// Number of INTIDs (SGIs + PPIs + SPIs), a multiple of 32.
    public let lines: Int

    // Per-interrupt state, indexed by `slot(cpu, intid)`: the private interrupts of CPU c
    // at c * 32 ..< c * 32 + 32, SPIs after all CPUs' private banks. Read on every look for
    // the highest pending interrupt (each exit of a hypervisor's vCPU, each interrupt
    // acknowledge): no dynamic exclusivity checks (the machine runs on one thread).
    @exclusivity(unchecked) var enabled: [Bool], latch: [Bool], level: [Bool], active: [Bool], group1: [Bool], edge: [Bool]
    @exclusivity(unchecked) var priority: [UInt8]
    /// SPI routing: target CPU per SPI (GICD_IROUTER / GICD_ITARGETSR), or 1-of-N when `anyCPU`.
    var route: [Int], anyCPU: [Bool], targets: [UInt8]
    /// SGI source CPU (GICv2 reports it in GICC_IAR).
    var sgiSource: [Int]

    // Distributor and CPU interface controls.
    public var enableGroup0 = false, enableGroup1 = false
    var pmr: [UInt8], bpr0: [UInt8], bpr1: [UInt8]
    var igrpen0: [Bool], igrpen1: [Bool], eoiMode: [Bool]
    /// GICv2 GICC_CTLR.FIQEn: Group 0 is signalled as FIQ only when set (always with GICv3).
    var fiqEnable: [Bool]
    /// Active priorities per CPU: bit n set when group priority n*8 is active (ICC_AP0R0/AP1R0).
    var activePriorities0: [UInt32], activePriorities1: [UInt32]
    /// Sees acknowledges (true) and ends of interrupt (false): CPU, INTID (tracing).
    public var onInterrupt: ((Int, Int, Bool) -> Void)? = nil
    /// Interrupts acknowledged so far, per INTID (all CPUs), for statistics.
    public internal(set) var acknowledged: [UInt64]
    /// Whether the GICv2 CPU interface is the one in use (affects routing and IAR).
    public let v2: Bool

    public convenience init(cpus: [CPU], lines: Int = 288, v2: Bool = false) {
        self.init(cpuCount: cpus.count, lines: lines, v2: v2)
        self.cpus = cpus
    }

    /// A GIC whose outputs go to `output(cpu, irq, fiq)` instead of CPUs' interrupt lines:
    /// the state of a hypervisor's virtual GIC, whose "CPUs" are a domain's vCPUs.
    public init(cpuCount: Int, lines: Int = 288, v2: Bool = false, output: ((Int, Bool, Bool) -> Void)? = nil) {
        precondition(lines % 32 == 0 && lines >= 64 && lines <= 1020 && cpuCount >= 1 && (!v2 || cpuCount <= GICCore.maxV2CPUs))
        self.cpuCount = cpuCount
        self.output = output
        self.lines = lines
        self.v2 = v2
        let n = cpuCount * 32 + (lines - 32)
        enabled = Array(repeating: false, count: n); latch = enabled; level = enabled; active = enabled
        group1 = enabled; edge = enabled
        priority = Array(repeating: 0, count: n)
        route = Array(repeating: 0, count: lines); anyCPU = Array(repeating: false, count: lines)
        targets = Array(repeating: 0, count: lines)
        sgiSource = Array(repeating: 0, count: cpuCount * 16)
        acknowledged = Array(repeating: 0, count: lines)
        pmr = Array(repeating: 0, count: cpuCount); bpr0 = Array(repeating: 2, count: cpuCount)
        bpr1 = Array(repeating: 3, count: cpuCount)
        igrpen0 = Array(repeating: false, count: cpuCount); igrpen1 = igrpen0; eoiMode = igrpen0
        fiqEnable = igrpen0
        activePriorities0 = Array(repeating: 0, count: cpuCount); activePriorities1 = activePriorities0
        for c in 0..<cpuCount { for i in 0..<16 { edge[c * 32 + i] = true } }  // SGIs are edge-triggered
    }

    @inline(__always) func slot(_ cpu: Int, _ intid: Int) -> Int {
        intid < 32 ? cpu * 32 + intid : cpuCount * 32 + intid - 32
    }

    func pending(_ s: Int) -> Bool { latch[s] || (!edge[s] && level[s]) }

    /// The CPU an SPI is delivered to.
    func target(ofSPI intid: Int) -> Int {
        if v2 {
            let t = targets[intid]
            for c in 0..<cpuCount where t & (1 << c) != 0 { return c }
            return -1
        }
        // 1-of-N routing delivers to the lowest-numbered CPU that has the interrupt's group enabled.
        if anyCPU[intid] {
            let g1 = group1[slot(0, intid)]
            for c in 0..<cpuCount where g1 ? igrpen1[c] : igrpen0[c] { return c }
            return 0
        }
        return route[intid] < cpuCount ? route[intid] : -1
    }

    // MARK: Inputs

    /// Sets the level of an interrupt line: a PPI of `cpu` (16-31) or an SPI (32+; `cpu` ignored).
    /// Edge-triggered interrupts latch pending on a rising edge.
    public func setLine(_ intid: Int, cpu: Int = 0, _ high: Bool) {
        guard intid >= 16 && intid < lines else { return }
        let s = slot(cpu, intid)
        if level[s] == high { return }
        level[s] = high
        if high && edge[s] { latch[s] = true }
        update(intid < 32 ? cpu : nil)
    }

    /// A write of `v` to ICC_SGI1R_EL1 (or SGI0R, ASGI1R) by CPU `source` (IHI 0069
    /// 12.2.22): the SGI INTID in bits 27:24; IRM (bit 40) sends to every CPU but the
    /// sender, otherwise TargetList (15:0) names Aff0 values RangeSelector (47:44) * 16 + n
    /// in the cluster Aff3.Aff2.Aff1 (55:48, 39:32, 23:16). CPUs are laid out as
    /// CPUAffinity says, so Aff0 never passes 15 and a nonzero RangeSelector names no CPU.
    public func sendSGI(register v: UInt64, from source: Int) {
        let intid = Int((v >> 24) & 15)
        if v & (1 << 40) != 0 {
            for c in 0..<cpuCount where c != source { sendSGI(intid, to: c, from: source) }
            return
        }
        guard (v >> 44) & 15 == 0,
              let first = CPUAffinity.cpu(ofAffinity: (v >> 8) & 0xff00 | (v >> 16) & 0xff_00ff_0000) else { return }
        for n in 0..<CPUAffinity.clusterSize where v & (1 << n) != 0 && first + n < cpuCount {
            sendSGI(intid, to: first + n, from: source)
        }
    }

    /// Generates SGI `intid` on each CPU in `targets` (a bit mask of CPUs 0-7, as GICv2's
    /// GICD_SGIR names them), from `source`.
    public func sendSGI(_ intid: Int, targets mask: UInt8, from source: Int) {
        for c in 0..<min(cpuCount, 8) where mask & (1 << c) != 0 { sendSGI(intid, to: c, from: source) }
    }

    /// Generates SGI `intid` on CPU `c`, from `source`.
    public func sendSGI(_ intid: Int, to c: Int, from source: Int) {
        latch[slot(c, intid & 15)] = true
        sgiSource[c * 16 + (intid & 15)] = source
        update(c)
    }

    // MARK: Priority logic (IHI 0069 4.8)

    /// Group priority of `p` for preemption, using the binary point of its group.
    func groupPriority(_ p: UInt8, cpu: Int, group1 g1: Bool) -> UInt8 {
        // BPR n: priority bits [7:n+1] form the group priority (Group 1 uses BPR1 - 1 with CBPR 0).
        let b = g1 ? max(Int(bpr1[cpu]) - 1, 0) : Int(bpr0[cpu])
        return p & UInt8(truncatingIfNeeded: 0xff << (b + 1)) & GICCore.priorityMask
    }

    /// The running priority of `cpu`: the highest active group priority, 0xff when idle.
    public func runningPriority(_ cpu: Int) -> UInt8 {
        let a = activePriorities0[cpu] | activePriorities1[cpu]
        return a == 0 ? 0xff : UInt8(a.trailingZeroBitCount * 8)
    }

    /// The highest-priority pending interrupt for `cpu` that is enabled and not active, of
    /// either group (`groupFilter` nil) or one group; returns INTID and priority.
    func highestPending(_ cpu: Int, group1 g: Bool? = nil) -> (intid: Int, priority: UInt8)? {
        var best: (Int, UInt8)? = nil
        func consider(_ intid: Int, _ s: Int) {
            guard enabled[s], !active[s], pending(s) else { return }
            if let g = g, group1[s] != g { return }
            guard group1[s] ? enableGroup1 : enableGroup0 else { return }
            if best == nil || priority[s] < best!.1 { best = (intid, priority[s]) }
        }
        for i in 0..<32 { consider(i, cpu * 32 + i) }
        // SPIs: routing only for the few that are pending at all (this runs on every exit of
        // a hypervisor's vCPU, and most of the SPIs are idle).
        var i = nextPendingSPI(from: 32)
        while i < lines {
            if target(ofSPI: i) == cpu { consider(i, slot(cpu, i)) }
            i = nextPendingSPI(from: i + 1)
        }
        return best
    }

    /// The first SPI from `from` on that is enabled, inactive and pending; `lines` if none.
    /// Reads the arrays' storage directly: no bounds check per INTID.
    private func nextPendingSPI(from: Int) -> Int {
        let base = cpuCount * 32 - 32, n = lines
        return enabled.withUnsafeBufferPointer { en in active.withUnsafeBufferPointer { ac in
            latch.withUnsafeBufferPointer { la in level.withUnsafeBufferPointer { lv in
                edge.withUnsafeBufferPointer { ed in
                    var i = from
                    while i < n {
                        let s = base + i
                        if en[s] && !ac[s] && (la[s] || (!ed[s] && lv[s])) { return i }
                        i += 1
                    }
                    return n
                }
            } }
        } }
    }

    /// Recomputes the IRQ/FIQ lines of one CPU, or of all of them.
    public func update(_ only: Int? = nil) {
        if let c = only { signal(c) } else { for c in 0..<cpuCount { signal(c) } }
    }

    private func signal(_ c: Int) {
        var irq = false, fiq = false
        if let (intid, p) = highestPending(c) {
            let s = slot(c, intid)
            let g1 = group1[s]
            if p < pmr[c] && groupPriority(p, cpu: c, group1: g1) < runningPriority(c) && (g1 ? igrpen1[c] : igrpen0[c]) {
                if g1 || (v2 && !fiqEnable[c]) { irq = true } else { fiq = true }
            }
        }
        if let o = output { o(c, irq, fiq) } else { cpus[c].setInterruptLines(irq: irq, fiq: fiq) }
    }

    // MARK: CPU interface operations

    /// The special INTID a read of the other group's IAR/HPPIR returns for the highest-priority
    /// pending interrupt: 1022 from GICv2's GICC_IAR/HPPIR for Group 1 (IHI 0048 GICC_IAR, with
    /// AckCtl = 0), else 1023.
    private func otherGroupID(_ g1: Bool) -> UInt32 { v2 && !g1 ? 1022 : GICCore.spurious }

    /// Acknowledges the highest-priority pending interrupt if it is of `group1` (ICC_IAR1/IAR0,
    /// GICC_IAR/AIAR): makes it active and raises the running priority. Returns its INTID, or a
    /// special INTID. A higher-priority interrupt of the other group is not bypassed: the IAR
    /// returns "the highest priority pending interrupt, if ... it can be acknowledged" (IHI 0069
    /// ICC_IAR0_EL1/ICC_IAR1_EL1).
    public func acknowledge(_ cpu: Int, group1 g1: Bool) -> UInt32 {
        guard let (intid, p) = highestPending(cpu), p < pmr[cpu] else { return GICCore.spurious }
        let s = slot(cpu, intid), hg1 = group1[s]
        guard groupPriority(p, cpu: cpu, group1: hg1) < runningPriority(cpu),
              hg1 ? igrpen1[cpu] : igrpen0[cpu] else { return GICCore.spurious }
        guard hg1 == g1 else { return otherGroupID(g1) }
        latch[s] = false
        active[s] = true
        acknowledged[intid] &+= 1
        onInterrupt?(cpu, intid, true)
        let bit = UInt32(1) << (groupPriority(p, cpu: cpu, group1: g1) >> 3)
        if g1 { activePriorities1[cpu] |= bit } else { activePriorities0[cpu] |= bit }
        update(cpu)
        var id = UInt32(intid)
        if v2 && intid < 16 { id |= UInt32(sgiSource[cpu * 16 + intid] & 7) << 10 }
        return id
    }

    /// End of interrupt: drops the running priority and, unless EOImode is set, deactivates.
    public func endOfInterrupt(_ cpu: Int, intid: Int, group1 g1: Bool) {
        // "A write of a Special INTID is ignored" (IHI 0069 ICC_EOIR0/1_EL1); GICC_EOIR allows
        // the spurious ID too, and reads of 1020-1023 need no matching EOI.
        guard intid < 1020 else { return }
        onInterrupt?(cpu, intid, false)
        if g1 {
            let a = activePriorities1[cpu]; if a != 0 { activePriorities1[cpu] = a & (a - 1) }
        } else {
            let a = activePriorities0[cpu]; if a != 0 { activePriorities0[cpu] = a & (a - 1) }
        }
        if !eoiMode[cpu] { deactivate(cpu, intid: intid) } else { update(cpu) }
    }

    /// Deactivates an interrupt (ICC_DIR_EL1, GICC_DIR, or EOI with EOImode 0).
    public func deactivate(_ cpu: Int, intid: Int) {
        guard intid < lines else { return }
        active[slot(cpu, intid)] = false
        update(intid < 32 ? cpu : nil)
    }

    /// Highest pending INTID for ICC_HPPIR/GICC_HPPIR (1023 if none). Like the IARs, a group's
    /// HPPIR reports the highest-priority pending interrupt only if it is of that group (IHI 0069
    /// ICC_HPPIR0/1_EL1, GICC_HPPIR/AHPPIR).
    public func highestPendingID(_ cpu: Int, group1 g1: Bool? = nil) -> UInt32 {
        guard let (intid, _) = highestPending(cpu) else { return GICCore.spurious }
        if let g = g1, group1[slot(cpu, intid)] != g { return otherGroupID(g) }
        return UInt32(intid)
    }

    // MARK: A hypervisor's virtual GIC: moving interrupts into list registers

    /// Takes the highest-priority pending interrupt of `cpu` (enabled, not active) for a
    /// list register: its latch is cleared and it counts as active until the guest
    /// deactivates it and the hypervisor calls `deactivate`. Priority masking is left
    /// to the virtual CPU interface, as hardware does.
    public func takeForListRegister(_ cpu: Int) -> (intid: Int, priority: UInt8, group1: Bool)? {
        guard let (intid, p) = highestPending(cpu) else { return nil }
        let s = slot(cpu, intid)
        latch[s] = false
        active[s] = true
        acknowledged[intid] &+= 1
        update(intid < 32 ? cpu : nil)
        return (intid, p, group1[s])
    }

    /// Whether `intid` (active in a list register) was made pending again; clears the latch,
    /// so the hypervisor can mark the list register pending and active.
    public func takeRepeatedEdge(_ cpu: Int, intid: Int) -> Bool {
        guard intid < lines else { return false }
        let s = slot(cpu, intid)
        guard latch[s] && edge[s] && enabled[s] else { return false }
        latch[s] = false
        return true
    }

    /// Makes an interrupt pending as a write to GICD/GICR_ISPENDR would (a hypervisor
    /// injecting a virtual interrupt, whatever its trigger mode).
    public func setPending(_ cpu: Int, intid: Int) {
        guard intid < lines else { return }
        latch[slot(cpu, intid)] = true
        update(intid < 32 ? cpu : nil)
    }

    /// Opens every CPU interface wide (both groups, lowest priority mask): for a virtual
    /// GIC, whose CPU interface is the list registers, the outputs then say "something is
    /// pending and enabled" and masking is left to the virtual CPU interface.
    public func openAllCPUInterfaces() {
        for c in 0..<cpuCount { pmr[c] = 0xff; igrpen0[c] = true; igrpen1[c] = true }
        update()
    }

    /// Whether an interrupt is enabled (a list register may keep only enabled ones pending).
    public func isEnabled(_ cpu: Int, intid: Int) -> Bool { intid < lines && enabled[slot(cpu, intid)] }

    /// Puts an interrupt taken for a list register back as pending and inactive.
    public func returnFromListRegister(_ cpu: Int, intid: Int) {
        guard intid < lines else { return }
        let s = slot(cpu, intid)
        active[s] = false
        if edge[s] { latch[s] = true }
        update(intid < 32 ? cpu : nil)
    }

    /// Whether `cpu` has an interrupt waiting that a list register could take.
    public func hasPending(_ cpu: Int) -> Bool { highestPending(cpu) != nil }

    public func setPriorityMask(_ cpu: Int, _ v: UInt8) { pmr[cpu] = v & GICCore.priorityMask; update(cpu) }
    public func priorityMask(_ cpu: Int) -> UInt8 { pmr[cpu] }

    // MARK: Register-bank helpers for the distributor and redistributors

    /// Reads 32 one-bit fields of `field` for INTIDs base..<base+32 as seen by `cpu`.
    func bits(_ field: [Bool], base: Int, cpu: Int) -> UInt32 {
        var v: UInt32 = 0
        for i in 0..<32 where base + i < lines && field[slot(cpu, base + i)] { v |= 1 << i }
        return v
    }

    /// Applies `body` to each INTID with a set bit in `value`, then updates the outputs.
    func forEachBit(_ value: UInt32, base: Int, cpu: Int, _ body: (Int) -> Void) {
        for i in 0..<32 where value & (1 << i) != 0 && base + i < lines { body(slot(cpu, base + i)) }
        update(base < 32 ? cpu : nil)
    }

    /// The pending state as software sees it (latched or level).
    func pendingBits(base: Int, cpu: Int) -> UInt32 {
        var v: UInt32 = 0
        for i in 0..<32 where base + i < lines && pending(slot(cpu, base + i)) { v |= 1 << i }
        return v
    }

    func configBits(base: Int, cpu: Int) -> UInt32 {
        var v: UInt32 = 0
        for i in 0..<16 where base + i < lines && edge[slot(cpu, base + i)] { v |= 2 << (2 * i) }
        return v
    }

    func setConfig(_ value: UInt32, base: Int, cpu: Int) {
        for i in 0..<16 where base + i < lines && base + i >= 16 {   // SGI configuration is fixed
            edge[slot(cpu, base + i)] = value & (2 << (2 * i)) != 0
        }
        update(base < 32 ? cpu : nil)
    }

    func priorityBytes(base: Int, size: Int, cpu: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<size where base + i < lines { v |= UInt64(priority[slot(cpu, base + i)]) << (8 * i) }
        return v
    }

    func setPriorityBytes(_ value: UInt64, base: Int, size: Int, cpu: Int) {
        for i in 0..<size where base + i < lines {
            priority[slot(cpu, base + i)] = UInt8(truncatingIfNeeded: value >> (8 * i)) & GICCore.priorityMask
        }
        update(base < 32 ? cpu : nil)
    }
}
