import Emu
import Devices

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
    public var counterFrequency: UInt64 = 100_000_000
    /// Instructions a CPU runs before the next one gets its turn.
    public var quantum: UInt64 = 20_000
    /// Interrupt controller: GICv3 (system-register CPU interface) or GICv2 (memory-mapped).
    public var gicVersion = 3

    public init() {}
}

/// Why `Machine.run` returned.
public enum StopReason: Equatable, Sendable {
    case poweredOff(status: Int32)     // PSCI SYSTEM_OFF (0) or semihosting exit
    case reset                         // PSCI SYSTEM_RESET
    case instructionLimit
    case breakpoint(cpu: Int, pc: UInt64)
    case deadlock                      // every CPU waits and nothing can wake one
    case stopRequested                 // `requestStop()` (a test found its text, the user quit)
}

/// A `virt` board: RAM, CPUs, the PL011 UART and the firmware (PSCI, semihosting).
public final class Machine {
    public let config: MachineConfig
    public let bus = Bus()
    public let cpus: [CPU]
    public let uart: PL011
    public let gic: GICCore
    public let timer: GenericTimer
    /// The machine's virtual time, in instructions: every CPU's generic counter reads it
    /// (divided by `instructionsPerTick`). It advances with retired instructions of any CPU
    /// and jumps ahead to the next timer event when every CPU waits.
    public private(set) var now: UInt64 = 0
    /// Called between CPU slices about every `pollInterval` instructions of virtual time, and
    /// when every CPU waits (with the virtual time to the next timer event, or nil if none):
    /// the place where input from outside enters. Returns true if it delivered anything.
    public var pollInput: ((_ idleFor: UInt64?) -> Bool)? = nil
    public var pollInterval: UInt64 = 1_000_000
    private var stopFlag = false
    public private(set) var kernel: LoadedKernel?
    /// Receives every byte the guest writes to its console (UART or semihosting).
    public var console: (UInt8) -> Void = { _ in }

    enum RunState { case running, waiting, off }

    private var state: [RunState]
    private let codeCache: CodeCache

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
        gic = GICCore(cpus: list, v2: config.gicVersion == 2)
        timer = GenericTimer(gic)
        uart = PL011(output: { _ in })
        uart.output = { [unowned self] b in self.console(b) }
        try bus.addMMIO(base: VirtBoard.uart.base, size: VirtBoard.uart.size, name: "pl011", handler: uart)
        try attachInterruptController()
        for c in cpus {
            c.semihosting = config.semihosting
            c.instructionsPerTick = config.instructionsPerTick
            // Booted at EL1, EL2 belongs to the firmware: HVC reaches PSCI, as on QEMU's virt.
            c.conduit = config.startEL == 1 ? .hvc : .smc
        }
    }

    /// Loads a kernel image and points the boot CPU at it; other CPUs stay off until
    /// PSCI CPU_ON. x0 carries the device tree address when there is one.
    public func loadKernel(path: String, raw: Bool = false) throws {
        let data = try Loader.readFile(path)
        let k = raw ? try Loader.loadRaw(data, name: path, into: bus, ramBase: VirtBoard.ram.base, ramSize: config.ramSize)
                    : try Loader.load(data, name: path, into: bus, ramBase: VirtBoard.ram.base, ramSize: config.ramSize)
        kernel = k
        resetCPU(0, entry: k.entry, el: config.startEL, context: 0)
    }

    private func resetCPU(_ i: Int, entry: UInt64, el: Int, context: UInt64) {
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
        try bus.addMMIO(base: d.base, size: d.size, name: "gic-dist", handler: GICDistributor(gic, v3: !gic.v2))
        if gic.v2 {
            let c = VirtBoard.gicCPUInterface
            try bus.addMMIO(base: c.base, size: c.size, name: "gic-cpu", handler: GICv2CPUInterface(gic))
        } else {
            let r = VirtBoard.gicRedistributors
            try bus.addMMIO(base: r.base, size: r.size, name: "gic-redist", handler: GICRedistributors(gic))
            let cpuInterface = GICv3CPUInterface(gic)
            for c in cpus { c.gicInterface = cpuInterface }
        }
        uart.irq = { [unowned self] level in self.gic.setLine(GICCore.spiBase + Int(VirtBoard.Interrupt.uartSPI), level) }
    }

    /// Makes `run` return `.stopRequested` at the end of the current CPU slice.
    public func requestStop() { stopFlag = true }

    /// Runs until the guest powers off or another stop reason; `limit` bounds the
    /// total number of instructions over all CPUs.
    public func run(limit: UInt64 = .max) -> StopReason {
        var executed: UInt64 = 0
        var nextPoll = now &+ pollInterval
        stopFlag = false
        while true {
            var progressed = false
            for i in cpus.indices {
                if state[i] == .waiting && cpus[i].interruptPending { state[i] = .running }
                guard state[i] == .running else { continue }
                let c = cpus[i]
                // Run up to the next timer event, so it is raised at its exact virtual time.
                let deadline = timer.nextDeadline(now: now)
                let budget = min(config.quantum, limit - executed, deadline - now)
                c.st.pointee.timeOffset = now &- c.st.pointee.icount
                let before = c.st.pointee.icount
                let exit = c.run(budget)
                let ran = c.st.pointee.icount - before
                executed += ran
                now += ran
                timer.update(now: now)
                progressed = true
                if let stop = handle(exit, cpu: i) { return stop }
                if stopFlag { return .stopRequested }
                if executed >= limit { return .instructionLimit }
                if now >= nextPoll, let poll = pollInput {
                    nextPoll = now &+ pollInterval
                    _ = poll(0)
                    if stopFlag { return .stopRequested }
                }
            }
            if progressed { continue }
            // Every CPU waits: skip to the next timer event, or wait for input from outside.
            let deadline = timer.nextDeadline(now: now)
            if let poll = pollInput, poll(deadline == .max ? nil : deadline - now) {
                if stopFlag { return .stopRequested }
                continue
            }
            if stopFlag { return .stopRequested }
            if deadline == .max { return .deadlock }
            now = deadline
            timer.update(now: now)
        }
    }

    private func handle(_ exit: Exit, cpu i: Int) -> StopReason? {
        let c = cpus[i]
        let action: FirmwareAction
        switch exit {
        case .budget, .wfe: return nil
        case .wfi: state[i] = .waiting; return nil
        case .sev:
            for o in cpus { o.st.pointee.event = true }
            return nil
        case .breakpoint: return .breakpoint(cpu: i, pc: c.pc)
        case .smc, .hvcFirmware:
            action = Firmware.psci(c, cpus: cpus, online: { self.state[$0] != .off })
        case .semihosting:
            action = Firmware.semihost(c, console: console)
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
