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

    public init() {}
}

/// Why `Machine.run` returned.
public enum StopReason: Equatable, Sendable {
    case poweredOff(status: Int32)     // PSCI SYSTEM_OFF (0) or semihosting exit
    case reset                         // PSCI SYSTEM_RESET
    case instructionLimit
    case breakpoint(cpu: Int, pc: UInt64)
    case deadlock                      // every CPU waits and nothing can wake one
}

/// A `virt` board: RAM, CPUs, the PL011 UART and the firmware (PSCI, semihosting).
public final class Machine {
    public let config: MachineConfig
    public let bus = Bus()
    public let cpus: [CPU]
    public let uart: PL011
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
        uart = PL011(output: { _ in })
        uart.output = { [unowned self] b in self.console(b) }
        try bus.addMMIO(base: VirtBoard.uart.base, size: VirtBoard.uart.size, name: "pl011", handler: uart)
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

    /// Runs until the guest powers off or another stop reason; `limit` bounds the
    /// total number of instructions over all CPUs.
    public func run(limit: UInt64 = .max) -> StopReason {
        var executed: UInt64 = 0
        while true {
            var progressed = false
            for i in cpus.indices where state[i] == .running || (state[i] == .waiting && cpus[i].interruptPending) {
                state[i] = .running
                let c = cpus[i]
                let before = c.st.pointee.icount
                let exit = c.run(min(config.quantum, limit - executed))
                executed += c.st.pointee.icount - before
                progressed = true
                if let stop = handle(exit, cpu: i) { return stop }
                if executed >= limit { return .instructionLimit }
            }
            if !progressed { return .deadlock }
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
