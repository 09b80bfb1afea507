import Emu
import Devices

/// The Swift hypervisor hosted as the emulated machine's EL2 (docs/architecture.md, "Hosting the
/// hypervisor"). The machine runs its pCPUs; whenever one traps to EL2 the machine calls
/// `handleTrap`, and the hypervisor edits the vCPU state, its stage 2 and the GIC list
/// registers, schedules, and returns to a guest with an ERET — or leaves the pCPU idle
/// until an interrupt (its timer, a kick from another pCPU) arrives.
public final class HostedHypervisor {
    /// The Xen interface version guests see (xen_version, the /hypervisor node).
    public static let xenVersion = (major: 4, minor: 12)

    /// What the machine does with a pCPU after the hypervisor ran on it.
    public enum Action: Equatable, Sendable {
        case run        // a vCPU is loaded: run the CPU
        case idle       // nothing to run: wait for an interrupt, then call `resumeIdle`
    }

    let bus: Bus
    let frames: FrameAllocator
    let gic: PhysicalGIC
    public let config: HypervisorConfig
    public internal(set) var domains: [Domain] = []
    var pcpus: [PCPU]
    /// Counter ticks per second (CNTFRQ), for time in hypercalls and the scheduler.
    let ticksPerSecond: UInt64
    /// Output of a domain's console (vpl011, console_io), or of the hypervisor (nil).
    public var consoleOutput: (Domain?, [UInt8]) -> Void = { _, _ in }
    /// The hypervisor wrote machine memory: decoded code there is dropped (Bus.hostWrote).
    func memoryWritten(_ range: Range<UInt64>) { bus.hostWrote(range) }
    /// Sees every hypercall: pCPU, vCPU, hypercall number, first argument, result (tracing).
    public var onHypercall: ((Int, VCPU, UInt64, UInt64, UInt64) -> Void)? = nil
    /// Sees every context switch on a pCPU: the vCPU leaving and the one entering (tracing).
    public var onSwitch: ((Int, VCPU?, VCPU?) -> Void)? = nil
    /// Messages about domains (shutdown, crash), for the log and tests.
    public internal(set) var log: [String] = []
    /// Which domain's console the terminal's input goes to (Ctrl-A three times switches).
    public internal(set) var consoleFocus = 0
    var escapeCount = 0
    var nextVMID: UInt16 = 1
    /// The pCPU the hypervisor is running on now (or last ran on), and whether it is
    /// running now: a device of the machine (console input) may also wake a vCPU, between
    /// the CPUs' slices, and then even the pCPU `handling` names needs a kick.
    var handling = 0
    var inside = false
    /// The work's charge not yet taken by the machine (Charges.swift).
    var charge: UInt64 = 0
    /// Traps handled (for --stats).
    public internal(set) var traps: UInt64 = 0
    /// Chooses which vCPU each pCPU runs (Credit2 or null, from the configuration).
    let scheduler: any Scheduler
    var lastSchedulerTime: UInt64 = 0
    /// vCPUs in SCHEDOP_poll with a timeout (`VCPU.pollDeadline`).
    var pollTimeouts: [VCPU] = []

    public init(bus: Bus, cpus: [CPU], config: HypervisorConfig, freeRAM: [Range<UInt64>],
                gicDistributor: UInt64, gicRedistributors: UInt64, redistributorStride: UInt64,
                ticksPerSecond: UInt64) {
        self.bus = bus
        self.config = config
        frames = FrameAllocator(bus: bus, ranges: freeRAM)
        gic = PhysicalGIC(bus: bus, distributor: gicDistributor, redistributors: gicRedistributors, stride: redistributorStride)
        self.ticksPerSecond = ticksPerSecond
        pcpus = cpus.map { PCPU(index: $0.index, cpu: $0) }
        scheduler = makeScheduler(for: config)
    }

    func say(_ s: String) {
        log.append(s)
        consoleOutput(nil, Array("(XEN) \(s)\n".utf8))
    }

    // MARK: Boot

    /// Puts every pCPU in the hypervisor's EL2 configuration. Call once, after the domains
    /// are created and loaded; then `boot(pcpu:)` for each pCPU.
    public func start() {
        gic.initDistributor()
        for p in pcpus {
            let c = p.cpu
            c.hostedEL2 = true
            c.reset(entry: 0, el: 2)
            gic.initCPU(c)
            c.st.pointee.cnthctlEL2 = 1          // EL1 reads the counter; its physical timer traps
        }
        for d in domains { insertIntoScheduler(d) }
    }

    /// The pCPU's first scheduling decision.
    public func boot(pcpu p: Int) -> Action {
        handling = p
        inside = true
        defer { inside = false }
        pcpus[p].needsSchedule = true
        return leave(p)
    }

    /// The vCPU loaded on pCPU `p` now, if any.
    public func loadedVCPU(pcpu p: Int) -> VCPU? { p < pcpus.count ? pcpus[p].current : nil }

    public var allDomainsStopped: Bool { domains.allSatisfy { $0.state != .running } }

    // MARK: Entry from the machine

    /// A pCPU took an exception to EL2 (`Exit.hypervisorTrap`).
    public func handleTrap(pcpu p: Int, kind: VectorKind) -> Action {
        let pc = pcpus[p]
        handling = p
        inside = true
        defer { inside = false }
        traps &+= 1
        charge &+= Charges.trap
        guard let v = pc.current else { return leave(p) }
        switch kind {
        case .irq, .fiq: physicalInterrupts(p)
        case .sync: handleSync(v, pc.cpu)
        case .serror: crash(v.domain, "SError from the guest")
        }
        return leave(p)
    }

    /// An idle pCPU has an interrupt pending: take it and schedule.
    public func resumeIdle(pcpu p: Int) -> Action {
        handling = p
        inside = true
        defer { inside = false }
        physicalInterrupts(p)
        pcpus[p].needsSchedule = true
        return leave(p)
    }

    /// Takes every pending physical interrupt of pCPU `p`.
    func physicalInterrupts(_ p: Int) {
        let pc = pcpus[p], c = pc.cpu
        // Each source once: a level (a timer) may stay high until the machine samples
        // the timer registers the hypervisor has just changed.
        var seen = Set<Int>()
        while true {
            let intid = gic.acknowledge(c)
            if intid >= 1020 { break }
            if !seen.insert(intid).inserted { gic.endOfInterrupt(c, intid); break }
            switch intid {
            case PhysicalGIC.virtualTimerPPI:
                // The loaded vCPU's virtual timer fired: mask it (the guest unmasks when it
                // reprograms) and give the guest its virtual timer interrupt.
                c.st.pointee.cntvCtl |= 2
                if let v = pc.current { inject(v, XenGuestLayout.virtualTimerPPI) }
            case PhysicalGIC.hypervisorTimerPPI:
                c.st.pointee.cnthpCtl = 0
                expireTimers(p)
            default: break       // kick SGI, maintenance: the exit path does the work
            }
            gic.endOfInterrupt(c, intid)
        }
    }

    // MARK: Leaving the hypervisor

    /// Schedules if needed, then enters the chosen vCPU (or idles).
    func leave(_ p: Int) -> Action {
        let pc = pcpus[p]
        if let v = pc.current, !v.runnable { pc.needsSchedule = true }
        if pc.needsSchedule { schedule(p) }
        guard let v = pc.current else {
            programTimer(p)
            return .idle
        }
        let c = pc.cpu
        v.domain.vgic.sync(v.id, cpu: c)
        v.domain.vgic.flush(v.id, cpu: c)
        programTimer(p)
        c.returnFromHypervisor()
        return .run
    }

    // MARK: Domains going away

    /// Stops a domain for a fatal fault; the others keep running.
    func crash(_ d: Domain, _ reason: String) {
        guard d.state == .running else { return }
        d.state = .crashed(reason)
        say("domain \(d.id) (\(d.name)) crashed: \(reason)")
        descheduleAll(d)
    }

    func shutdown(_ d: Domain, reason: UInt32) {
        guard d.state == .running else { return }
        d.state = .shutdown(reason: reason)
        let names = [0: "poweroff", 1: "reboot", 2: "suspend", 3: "crash", 4: "watchdog", 5: "soft_reset"]
        say("domain \(d.id) (\(d.name)) shut down: \(names[Int(reason)] ?? "reason \(reason)")")
        descheduleAll(d)
    }

    private func descheduleAll(_ d: Domain) {
        for v in d.vcpus {
            scheduler.remove(VCPUID(domain: d.id, vcpu: v.id), now: schedulerTime(handling))
            if let p = v.pcpu { pcpus[p].needsSchedule = true } else { changeRunstate(v, to: .offline) }
        }
        applyTickles()
    }
}

/// A physical CPU as the hypervisor sees it.
final class PCPU {
    let index: Int
    let cpu: CPU
    /// The vCPU loaded in the CPU's registers.
    var current: VCPU? = nil
    var needsSchedule = true
    /// End of the current time slice (counter ticks).
    var sliceEnd: UInt64 = .max
    /// Virtual timers of vCPUs that are not loaded: (deadline in physical ticks, vCPU).
    var timers: [(deadline: UInt64, vcpu: VCPU)] = []

    init(index: Int, cpu: CPU) { self.index = index; self.cpu = cpu }

    var now: UInt64 { cpu.counter(icount: cpu.st.pointee.icount) }
}

extension HostedHypervisor {
    /// One line per pCPU and vCPU: what runs where, for diagnostics and `--stats`.
    public var stateDescription: String {
        var lines: [String] = []
        for p in pcpus {
            let c = p.cpu
            let cur = p.current.map { "d\($0.domain.id)v\($0.id) pc \(hex(c.pc)) el \(c.el)" } ?? "idle"
            lines.append("pcpu \(p.index): \(cur), sliceEnd \(p.sliceEnd), timers \(p.timers.count), irq \(c.st.pointee.irqLine)")
        }
        for d in domains {
            for v in d.vcpus {
                let x = v.context
                lines.append("d\(d.id)v\(v.id) \(d.name): online \(v.online) blocked \(v.blocked) pcpu \(v.pcpu.map(String.init) ?? "-") pc \(hex(x.pc)) pstate \(hex(x.pstate)) ran \(v.runTicks)")
                lines.append("  cntv ctl \(x.cntvCtl) cval \(hex(x.cntvCval)) (vcount \(hex(pcpus[0].now &- d.counterOffset))) lr \(x.ichLR.map { hex($0) }) vmcr \(hex(x.ichVMCR)) ap1r \(hex(x.ichAP1R)) pending \(d.vgic.core.hasPending(v.id))")
            }
        }
        return lines.joined(separator: "\n")
    }
}
