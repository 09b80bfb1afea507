import Emu
import Devices
import Hypervisor

/// Everything needed to build a machine (command line options map onto this).
public struct MachineConfig: Sendable {
    public var ramSize: UInt64 = 128 << 20
    public var cpus = 1
    /// Exception level the boot CPU starts in: 1, or 2 (EL2 owned by the guest).
    public var startEL = 1
    /// Serve Arm semihosting (HLT #0xF000), as QEMU's `-semihosting`.
    public var semihosting = false
    /// Instructions per generic-counter tick, and the counter frequency the guest sees.
    public var instructionsPerTick: UInt64 = 1
    /// Compile hot blocks to host code where the host allows (Emu's block compiler); false
    /// interprets every instruction. Runs are the same either way.
    public var compileBlocks = true
    public var counterFrequency: UInt64 = 100_000_000
    /// Instructions a CPU runs before the next one gets its turn.
    public var quantum: UInt64 = 20_000
    /// Disk images for virtio-blk devices (`--drive`), in slot order.
    public var drives: [Drive] = []
    /// A virtio console (hvc0) whose output goes to the same place as the UART's.
    public var virtioConsole = true
    /// A virtio entropy device, fed from a PRNG with this seed (deterministic by default).
    public var entropySeed: UInt64? = 0x6876_7369_6d2d_7267
    /// Seconds since the Unix epoch the RTC (PL031) shows at power-on. Fixed by default so
    /// runs are reproducible (2026-01-01 00:00:00 UTC); `--rtc host` uses the host's clock.
    public var rtcBase: UInt32 = 1_767_225_600
    /// Interrupt controller: GICv3 (system-register CPU interface) or GICv2 (memory-mapped).
    public var gicVersion = 3

    public init() {}
}

/// A disk image attached as a virtio block device.
public struct Drive: Sendable, Equatable {
    public var path: String
    public var readOnly: Bool
    public init(path: String, readOnly: Bool = false) { self.path = path; self.readOnly = readOnly }
}

/// Why `Machine.run` returned.
public enum StopReason: Equatable, Sendable {
    case poweredOff(status: Int32)     // PSCI SYSTEM_OFF (0) or semihosting exit
    case reset                         // PSCI SYSTEM_RESET
    case instructionLimit
    case breakpoint(cpu: Int, pc: UInt64)
    case deadlock                      // every CPU waits and nothing can wake one
    case stopRequested                 // `requestStop()` (a test found its text, the user quit)
    case timeReached                   // the virtual time given to `run(limit:until:)`
}

/// A `virt` board: RAM, CPUs, the PL011 UART and the firmware (PSCI, semihosting).
public final class Machine {
    public let config: MachineConfig
    public let bus = Bus()
    public let cpus: [CPU]
    public let uart: PL011
    public let gic: GICCore
    public let timer: GenericTimer
    public private(set) var rtc: PL031! = nil
    /// The CPU whose slice is running (device models read the time through it).
    private var running: CPU? = nil
    /// The machine's virtual time, in instructions: every CPU's generic counter reads it
    /// (divided by `instructionsPerTick`). It advances with retired instructions of any CPU
    /// and jumps ahead to the next timer event when every CPU waits.
    public internal(set) var now: UInt64 = 0
    /// Called between CPU slices about every `pollInterval` instructions of virtual time, and
    /// when every CPU waits (with the virtual time to the next timer event, or nil if none):
    /// the place where input from outside enters. Returns true if it delivered anything.
    public var pollInput: ((_ idleFor: UInt64?) -> Bool)? = nil
    public var pollInterval: UInt64 = 1_000_000
    /// How many times `pollInput` has been called: the position in the run where outside
    /// input enters, the same in every run with the same inputs (record/replay use it).
    public internal(set) var polls: UInt64 = 0
    /// When the next input poll is due; the next CPU of the round; whether the round ran one.
    var nextPoll: UInt64 = 1_000_000, cursor = 0, roundProgressed = false
    /// Sees every byte sequence typed for the UART (`type`), when it is typed (recording).
    public var onType: (([UInt8]) -> Void)? = nil
    private var stopFlag = false
    /// Bytes typed for the guest's UART, delivered as its receive FIFO has room.
    var uartInput = PendingInput()
    public internal(set) var kernel: LoadedKernel?
    /// Where the device tree was loaded (x0 of the boot CPU).
    public internal(set) var dtbAddress: UInt64 = 0
    /// The virtio-mmio transports, in slot order (drives, then entropy, then console).
    public private(set) var virtio: [VirtioMMIO] = []
    public private(set) var virtioConsoleDevice: VirtioConsole?
    /// The GIC's front ends that keep state of their own (distributor, redistributors, CPU
    /// interfaces).
    var gicParts: [StateSaving] = []
    /// Receives every byte the guest writes to its console (UART or semihosting).
    public var console: (UInt8) -> Void = { _ in }

    enum RunState: Equatable {
        case running, off
        case waitingInterrupt                             // WFI
        case waitingEvent(stream: UInt64?)               // WFE, until the next event-stream event
        case hypervisorIdle                              // the hosted hypervisor has nothing to run
    }

    /// The hosted hypervisor, when the machine runs one (`bootHypervisor`).
    public internal(set) var hypervisor: HostedHypervisor? = nil
    /// Domains' consoles (hypervisor mode).
    public let domainConsoles = DomainConsoles()

    var state: [RunState]
    let codeCache: CodeCache
    /// What the block compiler did (CodeCache.compiledCode); nil when it is off or the host
    /// has none.
    public var compiledCode: (regions: Int, codeBytes: Int, emptied: Int)? {
        config.compileBlocks ? codeCache.compiledCode : nil
    }

    public init(_ config: MachineConfig) throws {
        guard config.cpus >= 1 && config.cpus <= 8 else {
            throw LoadError("--cpus must be between 1 and 8 (got \(config.cpus))")
        }
        guard config.ramSize >= 1 << 20, config.ramSize <= VirtBoard.maxRAM, config.ramSize & 0xfff == 0 else {
            throw LoadError("RAM size must be between 1 MiB and \(VirtBoard.maxRAM >> 30) GiB, in whole pages")
        }
        guard config.startEL == 1 || config.startEL == 2 else {
            throw LoadError("start EL must be 1 or 2 (got \(config.startEL))")
        }
        self.config = config
        try bus.addRAM(base: VirtBoard.ram.base, size: config.ramSize)
        codeCache = CPU.makeCodeCache(bus: bus)
        var list: [CPU] = []
        for i in 0..<config.cpus { list.append(CPU(index: i, bus: bus, codeCache: codeCache)) }
        cpus = list
        state = Array(repeating: .off, count: config.cpus)
        guard config.gicVersion == 2 || config.gicVersion == 3 else {
            throw LoadError("--gic must be 2 or 3 (got \(config.gicVersion))")
        }
        guard config.gicVersion == 3 || config.cpus <= GICCore.maxV2CPUs else {
            throw LoadError("--gic 2 serves at most \(GICCore.maxV2CPUs) CPUs (got --cpus \(config.cpus)); use --gic 3")
        }
        gic = GICCore(cpus: list, v2: config.gicVersion == 2)
        timer = GenericTimer(gic)
        uart = PL011(output: { _ in })
        uart.output = { [unowned self] b in self.console(b) }
        try bus.addMMIO(base: VirtBoard.uart.base, size: VirtBoard.uart.size, name: "pl011", handler: uart)
        try attachInterruptController()
        rtc = PL031(baseTime: config.rtcBase, now: { [unowned self] in self.nanoseconds(self.currentTime) })
        rtc.irq = { [unowned self] level in self.gic.setLine(GICCore.spiBase + Int(VirtBoard.Interrupt.rtcSPI), level) }
        try bus.addMMIO(base: VirtBoard.rtc.base, size: VirtBoard.rtc.size, name: "pl031", handler: rtc)
        try attachVirtio()
        for c in cpus {
            c.semihosting = config.semihosting
            c.instructionsPerTick = config.instructionsPerTick
            c.compileBlocks = config.compileBlocks
            // Booted at EL1, EL2 belongs to the firmware: HVC reaches PSCI, as on QEMU's virt.
            c.conduit = config.startEL == 1 ? .hvc : .smc
        }
    }

    /// Drops every hook an embedder connected (console, input, observers, traces): they
    /// usually hold the machine, and a machine its own hooks hold is never freed.
    public func disconnect() {
        console = { _ in }
        pollInput = nil
        onType = nil
        observers = []
        bus.onMMIO = nil
        gic.onInterrupt = nil
        for c in cpus { c.tracer = nil; c.onException = nil }
        if let hv = hypervisor { hv.consoleOutput = { _, _ in }; hv.onHypercall = nil; hv.onSwitch = nil }
    }

    deinit {
        // The board's parts refer to one another in a ring: the bus holds its devices, the
        // GIC's devices hold the GIC, the GIC holds the CPUs, and the CPUs hold the bus.
        // Broken here, or none of them is ever freed and every machine keeps its RAM and
        // its compiled-code memory mapped.
        bus.detachDevices()
    }

    /// Loads a kernel image and points the boot CPU at it; other CPUs stay off until
    /// PSCI CPU_ON. x0 carries the device tree address (see `boot`).
    public func loadKernel(path: String, raw: Bool = false) throws {
        var images = BootImages(kernel: path)
        images.rawKernel = raw
        try boot(images)
    }

    func resetCPU(_ i: Int, entry: UInt64, el: Int, context: UInt64) {
        let c = cpus[i]
        c.reset(entry: entry, el: el)
        c.st.pointee.cntfrq = config.counterFrequency
        c[0] = context
        state[i] = .running
    }

    /// Registers the GIC (distributor, redistributors or GICv2 CPU interface) and wires the
    /// board's interrupt sources to it (QEMU virt numbering: UART SPI 1).
    private func attachInterruptController() throws {
        let d = VirtBoard.gicDistributor
        let distributor = GICDistributor(gic, v3: !gic.v2)
        try bus.addMMIO(base: d.base, size: d.size, name: "gic-dist", handler: distributor)
        if gic.v2 {
            let c = VirtBoard.gicCPUInterface
            let cpuInterface = GICv2CPUInterface(gic)
            gicParts = [distributor, cpuInterface]
            try bus.addMMIO(base: c.base, size: c.size, name: "gic-cpu", handler: cpuInterface)
        } else {
            let r = VirtBoard.gicRedistributors
            let redistributors = GICRedistributors(gic)
            try bus.addMMIO(base: r.base, size: r.size, name: "gic-redist", handler: redistributors)
            let cpuInterface = GICv3CPUInterface(gic)
            gicParts = [distributor, redistributors, cpuInterface]
            for c in cpus { c.gicInterface = cpuInterface }
        }
        uart.irq = { [unowned self] level in self.gic.setLine(GICCore.spiBase + Int(VirtBoard.Interrupt.uartSPI), level) }
    }

    /// Creates the virtio-mmio devices and puts them in consecutive slots with their SPIs.
    private func attachVirtio() throws {
        var devices: [any VirtioDevice] = []
        for d in config.drives {
            do { devices.append(try VirtioBlock(path: d.path, readOnly: d.readOnly)) }
            catch { throw LoadError("--drive \(d.path): \(error)") }
        }
        if let seed = config.entropySeed { devices.append(VirtioEntropy(seed: seed)) }
        if config.virtioConsole {
            let con = VirtioConsole(output: { _ in })
            con.output = { [unowned self] bytes in for b in bytes { self.console(b) } }
            virtioConsoleDevice = con
            devices.append(con)
        }
        guard devices.count <= VirtBoard.virtioSlots else {
            throw LoadError("too many virtio devices (\(devices.count)); the board has \(VirtBoard.virtioSlots) slots")
        }
        for (i, d) in devices.enumerated() {
            let t = VirtioMMIO(device: d, bus: bus)
            let spi = GICCore.spiBase + Int(VirtBoard.Interrupt.firstVirtioSPI) + i
            t.irq = { [unowned self] level in self.gic.setLine(spi, level) }
            let r = VirtBoard.virtioSlot(i)
            try bus.addMMIO(base: r.base, size: r.size, name: "virtio-mmio", handler: t)
            virtio.append(t)
        }
    }

    /// Queues bytes for the guest's serial port (the UART, ttyAMA0).
    public func type(_ bytes: [UInt8]) {
        onType?(bytes)
        if hypervisor != nil { return typeForDomains(bytes) }
        uartInput.append(bytes)
        _ = uartInput.deliver(to: uart.receive)
    }

    /// Queues bytes for the guest's virtio console (hvc0), if there is one.
    public func typeVirtioConsole(_ bytes: [UInt8]) { virtioConsoleDevice?.receive(bytes) }

    /// The virtual time now, also in the middle of a CPU's slice.
    public var currentTime: UInt64 {
        guard let c = running else { return now }
        return c.st.pointee.icount &+ c.st.pointee.timeOffset
    }

    /// Virtual time in nanoseconds of the generic counter's clock.
    public func nanoseconds(_ time: UInt64) -> UInt64 {
        let ticks = time / config.instructionsPerTick
        let ns = (Double(ticks) * 1e9 / Double(config.counterFrequency)).rounded(.down)
        return ns >= 1.8e19 ? .max : UInt64(ns)     // past 570 years of virtual time (a restored state can say so)
    }

    /// The virtual time at which the counter's clock reaches `ns` nanoseconds.
    public func time(nanoseconds ns: UInt64) -> UInt64 {
        let ticks = (Double(ns) * Double(config.counterFrequency) / 1e9).rounded(.up)
        return ticks >= 1.8e19 / Double(config.instructionsPerTick) ? .max : UInt64(ticks) * config.instructionsPerTick
    }

    /// Instructions retired by all CPUs since power-on.
    public var instructions: UInt64 { cpus.reduce(0) { $0 + $1.st.pointee.icount } }
    /// The interrupts the CPUs have acknowledged, as "INTID:count" pairs ("27:2660 48:3";
    /// empty if none): what `--stats` and the monitor's `info status` print.
    public var interruptsTaken: String {
        gic.acknowledged.enumerated().filter { $0.element > 0 }.map { "\($0.offset):\($0.element)" }.joined(separator: " ")
    }

    /// Makes `run` return `.stopRequested` at the end of the current CPU slice.
    public func requestStop() { stopFlag = true }

    /// The gdb stub's deterministic mode (and that of replay fingerprints taken at every
    /// instruction): CPUs run instruction by instruction and `run` stops exactly at its
    /// limit (without it, at the next block boundary). In both modes a slice that a stop cut
    /// short is resumed where it was cut, and stepping takes interrupts where the fast loop
    /// does, so a run stopped and resumed anywhere executes exactly as one that was not,
    /// which reverse execution, snapshots and replay fingerprints rely on.
    public var exact = false { didSet { for c in cpus { c.singleStepping = exact } } }
    /// Where the slice a stop cut short ends (its CPU's instruction count); that CPU (at
    /// `cursor`) continues it first. Part of the machine's state.
    public var pendingSliceEnd: UInt64? = nil
    /// Stops `run` (`.instructionLimit`) when this CPU has retired this many instructions
    /// (in exact mode: when it is about to run the next one).
    public var cpuLimit: (cpu: Int, icount: UInt64)? = nil

    /// Something to call each time the instructions retired by all CPUs reach a multiple of
    /// `every` (at the next block boundary): replay fingerprints, the guest profiler. It does
    /// not change the run.
    struct Observer {
        var every: UInt64, next: UInt64
        var body: (UInt64, Int) -> Void
    }
    var observers: [Observer] = []

    /// Calls `body` with the instruction count each time the instructions retired by all
    /// CPUs reach a multiple of `every`, at the first block boundary there. Observing does
    /// not change the run: the slice it stops in goes on as if it had not stopped.
    public func observe(every: UInt64, _ body: @escaping (UInt64) -> Void) {
        addObserver(every: every) { n, _ in body(n) }
    }

    /// As `observe`, with the CPU whose slice reached the count, as it stands at that
    /// boundary (the guest profiler samples its PC).
    public func sample(every: UInt64, _ body: @escaping (UInt64, CPU) -> Void) {
        addObserver(every: every) { [unowned self] n, i in body(n, cpus[i]) }
    }

    private func addObserver(every: UInt64, _ body: @escaping (UInt64, Int) -> Void) {
        let e = max(every, 1)
        observers.append(Observer(every: e, next: (instructions / e + 1) * e, body: body))
    }

    /// Runs until the guest powers off or another stop reason; `limit` bounds the
    /// total number of instructions over all CPUs.
    public func run(limit: UInt64 = .max, until: UInt64 = .max) -> StopReason {
        var executed: UInt64 = 0
        stopFlag = false
        if now >= until { return .timeReached }
        // The round-robin position, the poll schedule and the round's progress live in the
        // machine, so a run that stops (at a limit, for a snapshot) resumes exactly as if it
        // had not stopped.
        while true {
            while cursor < cpus.count {
                let i = cursor
                let c = cpus[i]
                let sliceEnd: UInt64, resuming = pendingSliceEnd != nil
                if let end = pendingSliceEnd {
                    pendingSliceEnd = nil
                    sliceEnd = end
                    cursor += 1
                } else {
                    cursor += 1
                    guard wake(i) else { continue }
                    // Run up to the next timer event, so it is raised at its exact virtual time.
                    sliceEnd = c.st.pointee.icount &+ min(config.quantum, nextDeadline() - now)
                    c.st.pointee.timeOffset = now &- c.st.pointee.icount
                }
                let before = c.st.pointee.icount
                // The slice ends at the first block boundary after `sliceEnd` (as the fast loop
                // can end it); a stop before or at it is exact when stepping. A breakpoint can
                // stop a CPU past `sliceEnd`, in the straight-line code before that boundary:
                // the rest of the slice is then that code alone.
                let toEnd = sliceEnd > before ? sliceEnd - before : 0
                var stop = min(limit - executed, until - now)
                if let l = cpuLimit, l.cpu == i { stop = min(stop, l.icount > before ? l.icount - before : 0) }
                for o in observers { stop = min(stop, o.next &- min(instructions, o.next)) }
                let budget = min(toEnd, stop)
                running = c
                let exit = c.run(budget, resume: resuming, toBlockEnd: toEnd < stop)
                running = nil
                let ran = c.st.pointee.icount - before
                executed += ran
                now += ran
                roundProgressed = true
                for k in observers.indices where instructions >= observers[k].next {
                    let n = instructions, o = observers[k]
                    observers[k].next = (n / o.every + 1) * o.every
                    o.body(n, i)
                }
                // A stop inside the slice (a limit, the observer, in exact mode a breakpoint;
                // when stepping, also one at `sliceEnd` in straight-line code) keeps the rest
                // of it, which this CPU runs next with nothing in between: no device update,
                // no poll. A CPU that reaches `cpuLimit` as its slice ends stops when it next
                // runs (budget 0): a position is where the CPU is about to run its next
                // instruction.
                let cut = exit == .budget ? ran >= budget && (before &+ ran < sliceEnd || c.st.pointee.midStraight)
                                          : exact && exit == .breakpoint
                if cut {
                    pendingSliceEnd = sliceEnd
                    cursor = i
                    if exact {
                        if exit == .budget { c.takePendingInterruptNow() }   // stop after an interrupt entry
                        if let stop = handle(exit, cpu: i) { return stop }
                    }
                    if let stop = stopAsked(executed: executed, limit: limit, until: until, cpu: i) { return stop }
                    continue
                }
                devicesReached()
                if let stop = handle(exit, cpu: i) { return stop }
                if !exact, let stop = stopAsked(executed: executed, limit: limit, until: until, cpu: i) { return stop }
                if now >= until { return .timeReached }
                if now >= nextPoll, let poll = pollInput {
                    nextPoll = now &+ pollInterval
                    polls &+= 1
                    _ = poll(0)
                    if stopFlag { return .stopRequested }
                }
                if stopFlag { return .stopRequested }
                if executed >= limit { return .instructionLimit }
            }
            cursor = 0
            if roundProgressed { roundProgressed = false; continue }
            // Every CPU waits: skip to the next event, or wait for input from outside. A stop
            // at `until` comes before this wait's poll, so it is the same poll on resuming.
            let deadline = nextDeadline(waiters: true)
            if until != .max && deadline >= until {
                now = until
                devicesReached()
                return .timeReached
            }
            if pollInput != nil { polls &+= 1 }
            if let poll = pollInput, poll(deadline == .max ? nil : deadline - now) {
                if stopFlag { return .stopRequested }
                continue
            }
            if stopFlag { return .stopRequested }
            if deadline == .max { return .deadlock }
            now = deadline
            devicesReached()
        }
    }

    /// Why `run` stops after CPU `cpu`'s turn, if it does: a stop request, the instruction
    /// limit, `cpuLimit` reached by that CPU, or the time `until`.
    private func stopAsked(executed: UInt64, limit: UInt64, until: UInt64, cpu i: Int) -> StopReason? {
        if stopFlag { return .stopRequested }
        if executed >= limit { return .instructionLimit }
        if let l = cpuLimit, l.cpu == i, cpus[i].st.pointee.icount >= l.icount { return .instructionLimit }
        if now >= until { return .timeReached }
        return nil
    }

    /// Lets the timer and RTC raise what is due at the current virtual time.
    private func devicesReached() {
        timer.update(now: now)
        if !uartInput.isEmpty {
            if let hv = hypervisor { _ = uartInput.deliver(to: hv.consoleInput) } else { _ = uartInput.deliver(to: uart.receive) }
        }
        if let ns = rtc.nextMatchDeadline, time(nanoseconds: ns) <= now { rtc.advance() }
    }

    /// Whether CPU `i` runs now: it is running, or what it waits for has happened. A WFE
    /// ends with an interrupt, an event (SEV), its event stream, or another CPU's store to
    /// the location its exclusive monitor watches (the spinlock pattern LDAXR; WFE).
    private func wake(_ i: Int) -> Bool {
        switch state[i] {
        case .running: return true
        case .off: return false
        case .waitingInterrupt:
            guard cpus[i].interruptPending else { return false }
        case .hypervisorIdle:
            let c = cpus[i]
            guard c.interruptPending, let hv = hypervisor else { return false }
            c.st.pointee.timeOffset = now &- c.st.pointee.icount
            let action = hv.resumeIdle(pcpu: i)
            timer.update(now: now)
            guard action == .run else { return false }
        case .waitingEvent(let stream):
            let c = cpus[i]
            if c.st.pointee.event { c.st.pointee.event = false }
            else if !(c.interruptPending || stream.map({ now >= $0 }) == true || c.exclusiveMonitorLost) { return false }
        }
        state[i] = .running
        return true
    }

    /// The virtual time of the next timer interrupt, and with `waiters` also of the next
    /// event-stream event of a CPU in WFE.
    private func nextDeadline(waiters: Bool = false) -> UInt64 {
        var d = timer.nextDeadline(now: now)
        if let ns = rtc.nextMatchDeadline { d = min(d, max(time(nanoseconds: ns), now + 1)) }
        if waiters {
            for i in cpus.indices {
                if case .waitingEvent(let stream?) = state[i], stream < d { d = max(stream, now + 1) }
            }
        }
        return d
    }

    private func handle(_ exit: Exit, cpu i: Int) -> StopReason? {
        let c = cpus[i]
        let action: FirmwareAction
        switch exit {
        case .budget: return nil
        case .wfe:
            state[i] = .waitingEvent(stream: GenericTimer.nextEventStream(c, now: now))
            return nil
        case .wfi: state[i] = .waitingInterrupt; return nil
        case .sev:
            for o in cpus { o.st.pointee.event = true }
            return nil
        case .breakpoint: return .breakpoint(cpu: i, pc: c.pc)   // also a watchpoint (c.watchpointHit)
        case .smc, .hvcFirmware:
            action = Firmware.psci(c, cpus: cpus, online: { self.state[$0] != .off })
        case .semihosting:
            action = Firmware.semihost(c, console: console)
        case .hypervisorTrap(let kind):
            guard let hv = hypervisor else { return .deadlock }
            if hv.handleTrap(pcpu: i, kind: kind) == .idle { state[i] = .hypervisorIdle }
            // The hypervisor's work takes the machine's time, as it takes the pCPU's under
            // Xen (Hypervisor/Common/Charges.swift); the CPU's clock moves with it.
            let charge = hv.takeCharge()
            now &+= charge
            c.st.pointee.timeOffset &+= charge
            timer.update(now: now)          // the hypervisor may have changed timer registers
            return hv.allDomainsStopped ? .poweredOff(status: 0) : nil
        case .svcUser, .userException:
            return .deadlock   // user-mode exits never happen in a machine
        }
        switch action {
        case .resume: return nil
        case .powerOff(let status): return .poweredOff(status: status)
        case .reset: return .reset
        case .cpuOff: state[i] = .off; return nil
        case .cpuOn(let t, let entry, let context, let el):
            resetCPU(t, entry: entry, el: el, context: context)
            return nil
        }
    }
}
