import ArgumentParser
import Foundation
import Emu
import Machine
#if canImport(Glibc)
import Glibc
#endif

/// The options of `hvsim run` (and `hvsim record`, which takes the same ones).
struct RunOptions: ParsableArguments {

    @Option(help: "Kernel to boot: ELF, arm64 Linux Image or raw binary.") var kernel: String?
    @Option(help: "Kernel format: auto (ELF or arm64 Image) or raw (binary loaded at RAM base + 512 KiB).")
    var format: String = "auto"
    @Option(help: "Guest RAM size (e.g. 128M, 1G; a plain number is MiB). Default 128M; with --hypervisor, enough for the domains (see there).")
    var ram: String?
    @Option(help: "Number of CPUs (1-8). Default 1; with --hypervisor, the pCPUs of the configuration.") var cpus: Int?
    @Option(help: "Exception level to start in: 1, or 2 (EL2 available to the guest).") var el: Int = 1
    @Flag(help: "Serve Arm semihosting calls (HLT #0xF000), as QEMU's -semihosting.") var semihosting = false
    @Flag(help: "Interpret every instruction: no compiling of hot blocks to host code (the run is the same; for checking and measuring the block compiler).") var interpret = false
    @Option(help: "Initial RAM disk (initramfs) to load for the kernel.") var initrd: String?
    @Option(help: "Kernel command line.") var append: String?
    @Option(help: "Use this device tree blob instead of the board's own (its /chosen gets --append and --initrd). With --hypervisor: the host device tree whose /chosen compatible = \"xen,domain\" nodes are the domains (dom0less, pCPUs from /cpus).")
    var dtb: String?
    @Option(help: "Write the device tree the guest would get to FILE and exit.") var dumpDtb: String?
    @Option(help: "Interrupt controller version: 3 (default) or 2.") var gic: Int = 3
    @Option(help: ArgumentHelp("Disk image for a virtio block device: PATH or PATH,readonly (repeatable).",
                               valueName: "file")) var drive: [String] = []
    @Flag(help: "No virtio entropy device.") var noRng = false
    @Option(help: "Where the serial port goes: stdio (default; the terminal in raw mode, Ctrl-A x quits), file:PATH or none.")
    var serial: String = "stdio"
    @Option(help: "Real-time clock start: a Unix time in seconds, or 'host' for the host's clock (default: 2026-01-01, reproducible).")
    var rtc: String?
    @Option(help: "Trace classes, comma-separated: insn (every instruction, disassembled, with the registers it wrote), exc (exceptions), irq (interrupts), mmio (device accesses), and with --hypervisor hvc (hypercalls) and sched (which vCPU runs on which pCPU). To stderr, or with --trace-out to a timeline (one track per pCPU, one process per domain).")
    var trace: String?
    @Option(help: "Write the exc/irq/mmio events as a Chrome trace-event / Perfetto JSON timeline to FILE.")
    var traceOut: String?
    @Option(help: "Start the trace after this many instructions of a CPU.") var traceFrom: UInt64 = 0
    @Option(help: "Stop after this many instructions (all CPUs together).") var maxInsns: UInt64?
    @Option(help: ArgumentHelp("Stop when a CPU reaches this address (repeatable); prints its registers.",
                               valueName: "addr")) var `break`: [String] = []
    @Option(help: "Write a snapshot of the whole machine, then go on: after N instructions (all CPUs), or at a guest time such as 2.5s or 300ms.")
    var snapshotAt: String?
    @Option(help: "Where --snapshot-at writes the snapshot.") var snapshotFile: String = "hvsim.hvsnap"
    @Option(help: "Continue a snapshot made with --snapshot-at (the other machine options come from it).")
    var restore: String?
    @Flag(help: "Print run statistics (instructions, time; with --hypervisor each domain's state, vCPU run time and console bytes) to stderr at exit.") var stats = false

    // MARK: Hypervisor mode (issue 9). Only these options here; the code is in HypervisorMode.swift.
    @Flag(help: ArgumentHelp("""
        Run the hosted Xen-style hypervisor and boot all domains of --config or of the --dtb's /chosen xen,domain nodes; no dom0 is needed. \
        Each console line shows its domain's name; Ctrl-A three times in a row switches the input to the next domain (Ctrl-A Ctrl-A then a key sends one Ctrl-A; Ctrl-A x/h/s work as always). \
        Default --ram: the domains' memory + the --loader files + 64 MiB, rounded up to 16 MiB, and at least up to the end of the last --loader file. \
        Exit status: 0 when every domain powered off, 1 when one crashed (or shut down otherwise), 2 for bad input.
        """)) var hypervisor = false
    @Option(name: .customLong("config"), help: ArgumentHelp("""
        With --hypervisor: a machine file (pcpus, sched, domains = [ "d1.cfg", ... ]: xl.cfg domain files), or a single xl.cfg domain file (1 pCPU unless --cpus). The machine file's pcpus are the --cpus.
        """, valueName: "file")) var configFile: String?
    @Option(help: ArgumentHelp("Load FILE into RAM at ADDR before boot (repeatable), as QEMU's -device loader,file=FILE,addr=ADDR: dom0less boot modules (multiboot,kernel reg) refer to these addresses.",
                               valueName: "file@addr")) var loader: [String] = []
    @Option(help: ArgumentHelp("With --hypervisor: also write each domain's console to DIR/<name>.log (DIR is created if missing).",
                               valueName: "dir")) var consoleLog: String?
    // MARK: end of hypervisor mode options
    @Option(help: ArgumentHelp("Serve the gdb remote protocol (gdb-multiarch) on tcp::PORT or tcp:HOST:PORT; port 0 picks a free one (printed on stderr).",
                               valueName: "tcp::port")) var gdb: String?
    @Flag(help: "With --gdb: wait for gdb to connect before the first instruction.") var gdbWait = false
    @Option(help: ArgumentHelp("Profile the guest: every --profile-every instructions (all CPUs), take the PC of the CPU running; at exit write the places with the most samples to FILE. By instruction count, so repeatable; the run is unchanged.",
                               valueName: "file")) var profile: String?
    @Option(help: "With --profile: the sampling interval in instructions.") var profileEvery: UInt64 = RunOptions.defaultProfileEvery
    @Option(help: ArgumentHelp("With --profile: sum samples per function, from FILE's text symbols (nm output, a System.map, or /proc/kallsyms read as root in the guest). An ELF --kernel's own symbols are used without it.",
                               valueName: "file")) var profileSymbols: String?

    func validate() throws {
        try validateHypervisorOptions()
        if restore == nil && kernel == nil && !hypervisor { throw ValidationError("missing --kernel (or --restore SNAPSHOT, or --hypervisor)") }
        if let r = ram, parseSize(r) == nil { throw ValidationError("--ram '\(r)' is not a size like 128M or 1G") }
        guard format == "auto" || format == "raw" else {
            throw ValidationError("--format '\(format)' is not known (auto or raw)")
        }
        guard gic == 2 || gic == 3 else { throw ValidationError("--gic \(gic) is not known (2 or 3)") }
        for d in drive { _ = try RunOptions.parseDrive(d) }
        _ = try SerialSpec.parse(serial)
        if let r = rtc, r != "host", UInt32(r) == nil { throw ValidationError("--rtc '\(r)' is not 'host' or a Unix time in seconds") }
        if let a = snapshotAt, RunOptions.parseSnapshotPoint(a) == nil {
            throw ValidationError("--snapshot-at '\(a)' is not an instruction count or a time like 2.5s, 300ms, 40us")
        }
        if let g = gdb, GdbAddress(g) == nil {
            throw ValidationError("--gdb '\(g)' is not tcp::PORT or tcp:HOST:PORT (an IPv4 address)")
        }
        if gdbWait && gdb == nil { throw ValidationError("--gdb-wait needs --gdb") }
        try validateProfileOptions()
        let classes = try traceClasses()
        if traceOut != nil && classes.subtracting([.insn]).isEmpty {
            throw ValidationError("--trace-out needs event classes in --trace (exc, irq, mmio, hvc, sched)")
        }
        if !hypervisor && restore == nil && !classes.isDisjoint(with: [.hvc, .sched]) {   // a snapshot says (checked again in Run)
            throw ValidationError("--trace hvc and sched follow the hosted hypervisor: they need --hypervisor")
        }
    }

    /// Builds the machine, boots it and runs it to a stop; `hooks` let record and replay
    /// take part (they see the machine after boot and the stop reason at the end).
    func execute(_ hooks: RunHooks? = nil) throws {
        let setup = hypervisor ? try hypervisorSetup() : nil
        var config = MachineConfig()
        config.ramSize = setup?.ramSize ?? parseSize(ram ?? "128M")!
        config.cpus = setup?.config.pcpus ?? cpus ?? 1
        config.startEL = el
        config.semihosting = semihosting
        config.compileBlocks = !interpret
        config.gicVersion = gic
        config.drives = try drive.map(RunOptions.parseDrive)
        if noRng { config.entropySeed = nil }
        if let r = rtc { config.rtcBase = r == "host" ? UInt32(truncatingIfNeeded: time(nil)) : UInt32(r)! }
        let machine = try Machine(config)
        let host = try HostConsole(spec: try SerialSpec.parse(serial))
        defer { host.restore() }
        defer { machine.disconnect(); host.monitor = nil }   // the hooks below hold the machine
        machine.console = { host.write($0) }
        var snapshotArguments: [String]? = nil
        // Ctrl-A s and --snapshot-at: a snapshot in --snapshot-file, announced on stderr.
        let snapshotNow: () throws -> Void = { fputs(try writeSnapshot(machine, arguments: snapshotArguments) + "\n", stderr) }
        connectInput(machine, host, snapshot: snapshotNow)
        // The monitor (Ctrl-A c, and gdb's `monitor`) writes snapshots as Ctrl-A s does.
        let monitor = Monitor(machine: machine) { try writeSnapshot(machine, arguments: snapshotArguments, to: $0) }
        host.monitor = monitor
        var images = BootImages(kernel: kernel ?? "")
        images.rawKernel = format == "raw"
        images.initrd = initrd
        images.append = append
        images.dtb = dtb
        var blob: [UInt8] = []
        if let setup = setup {
            // A restored run says nothing at boot: it goes on printing what the saved one would.
            try startHypervisor(machine, host, setup, announceInput: !(hooks is RestoreHooks))
        } else {
            blob = try machine.boot(images)
            try machine.load(try loader.map { try LoaderFile(spec: $0) })
        }
        try hooks?.prepare(machine, host)   // after boot: a restore replaces what boot set up
        snapshotArguments = hooks?.runArguments
        if let out = dumpDtb {
            guard FileManager.default.createFile(atPath: out, contents: Data(blob)) else {
                throw ValidationError("--dump-dtb: cannot write \(out)")
            }
            return
        }
        let classes = try traceClasses()
        if classes.contains(.insn) { installInstructionTrace(machine) }
        let events = classes.subtracting([.insn]).isEmpty ? nil
            : EventTrace(machine: machine, classes: classes, text: traceOut == nil ? { fputs($0 + "\n", stderr) } : nil)
        let stops = try self.break.map { text -> UInt64 in
            let digits = text.hasPrefix("0x") ? String(text.dropFirst(2)) : text
            guard let a = UInt64(digits, radix: 16) else { throw ValidationError("--break '\(text)' is not a hex address") }
            return a
        }
        for c in machine.cpus { c.breakpoints = Set(stops) }
        let profiler = try startProfile(machine)
        let start = DispatchTimeShim.now()
        // --max-insns counts from here; --snapshot-at counts from boot (a restored machine
        // has run some already).
        let first = machine.instructions, budget = maxInsns ?? .max
        var stop: StopReason
        switch snapshotAt.flatMap(RunOptions.parseSnapshotPoint) {
        case _ where gdb != nil:
            stop = try serveGdb(machine, hooks, monitor: monitor)
        case .instructions(let at)? where at > first && at - first < budget:
            stop = machine.run(limit: at - first)
            if stop == .instructionLimit {
                try snapshotNow()
                stop = machine.run(limit: budget - (machine.instructions - first))
            }
        case .nanoseconds(let ns)?:
            stop = machine.run(limit: budget, until: machine.time(nanoseconds: ns))
            if stop == .timeReached {
                try snapshotNow()
                stop = machine.run(limit: budget - (machine.instructions - first))
            }
        default:
            stop = machine.run(limit: budget)
        }
        machine.domainConsoles.finishLines()
        host.flush()
        if let out = traceOut, let e = events {
            guard FileManager.default.createFile(atPath: out, contents: Data(e.timeline().utf8)) else {
                throw ValidationError("--trace-out: cannot write \(out)")
            }
        }
        try hooks?.finish(machine, stop)
        let seconds = DispatchTimeShim.since(start)
        try finishProfile(profiler)
        if stats {
            let insns = machine.instructions
            let rate = seconds > 0 ? Double(insns) / seconds / 1e6 : 0
            fputs("hvsim: virtual time \(String(format: "%.3f", Double(machine.nanoseconds(machine.now)) / 1e9)) s; interrupts taken (INTID:count) \(machine.interruptsTaken)\n", stderr)
            fputs("hvsim: final state hash \(hex(machine.stateHash(memory: true)))\n", stderr)
            fputs("hvsim: \(insns) instructions in \(String(format: "%.3f", seconds)) s (\(String(format: "%.1f", rate)) M/s)\n", stderr)
            if let c = machine.compiledCode {
                fputs("hvsim: block compiler: \(c.regions) regions compiled, \(c.codeBytes / 1024) KiB of host code held" +
                      (c.emptied > 0 ? ", code memory emptied \(c.emptied) times" : "") + "\n", stderr)
            } else {
                fputs("hvsim: block compiler: \(interpret ? "off (--interpret)" : "not available on this host"): every instruction interpreted\n", stderr)
            }
        }
        if hypervisor { try finishHypervisor(machine, stop) }
        switch stop {
        case .poweredOff(let status): throw ExitCode(status)
        case .reset: fputs("hvsim: guest requested a system reset; stopping\n", stderr)
        case .instructionLimit:
            let where_ = machine.cpus.map { "cpu\($0.index) EL\($0.el) pc \(hex($0.pc))" }.joined(separator: ", ")
            fputs("hvsim: stopped after the --max-insns limit (\(where_))\n", stderr); throw ExitCode(4)
        case .breakpoint(let cpu, let pc):
            fputs("hvsim: breakpoint on cpu\(cpu) at \(hex(pc)) after \(machine.cpus[cpu].st.pointee.icount) instructions\n", stderr)
            fputs(registerDump(machine.cpus[cpu]), stderr)
            throw ExitCode(5)
        case .stopRequested, .timeReached: break   // Ctrl-A x: the user quit
        case .deadlock:
            fputs("hvsim: every CPU is waiting for an interrupt that nothing can raise\n", stderr); throw ExitCode(3)
        }
    }

    /// Feeds terminal input to the guest. With a terminal, an idle guest waits in host time
    /// for its next timer event (so it keeps pace with the user); otherwise idle virtual time
    /// is skipped at once. Ctrl-A x stops the machine.
    func connectInput(_ machine: Machine, _ host: HostConsole, snapshot: @escaping () throws -> Void) {
        let paced = host.isRawTerminal
        machine.pollInput = { idleFor in
            host.flush()
            guard host.hasInput else { return false }
            var timeout: Int32 = 0
            if let t = idleFor {
                if paced { timeout = Int32(min(machine.nanoseconds(t) / 1_000_000, 1000)) }
            } else {
                timeout = -1    // nothing can happen in the guest until input arrives
            }
            var event: ConsoleEvent
            repeat {
                event = host.poll(timeoutMilliseconds: timeout)
                if host.snapshotRequested {
                    host.snapshotRequested = false
                    do { try snapshot() } catch { fputs("hvsim: snapshot failed: \(error)\n", stderr) }
                }
                // With nothing to wake the guest but input, escapes and monitor lines are not
                // that input: wait on for it (the machine would otherwise see a deadlock).
            } while event == .none && idleFor == nil && host.hasInput
            switch event {
            case .input(let bytes): machine.type(bytes); return true
            case .quit: machine.requestStop(); return true
            case .none: return false
            }
        }
    }

    enum SnapshotPoint { case instructions(UInt64), nanoseconds(UInt64) }

    /// `N` instructions, or a guest time `Ns`, `Nms`, `Nus`, `Nns` (N may have a fraction).
    static func parseSnapshotPoint(_ s: String) -> SnapshotPoint? {
        if let n = UInt64(s) { return .instructions(n) }
        for (suffix, scale) in [("ms", 1e6), ("us", 1e3), ("ns", 1.0), ("s", 1e9)] where s.hasSuffix(suffix) {
            guard let v = Double(s.dropLast(suffix.count)), v >= 0, v * scale < 1.8e19 else { return nil }
            return .nanoseconds(UInt64(v * scale))
        }
        return nil
    }

    /// The classes named by --trace.
    func traceClasses() throws -> Set<TraceClass> {
        guard let t = trace else { return [] }
        return Set(try t.split(separator: ",").map { name -> TraceClass in
            guard let c = TraceClass(rawValue: String(name)) else {
                throw ValidationError("--trace: unknown class '\(name)' (available: \(TraceClass.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return c
        })
    }

    /// `PATH`, `PATH,readonly` or QEMU's `file=PATH[,readonly=on]`.
    static func parseDrive(_ s: String) throws -> Drive {
        var path: String? = nil, readOnly = false
        for (i, part) in s.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            switch part {
            case "readonly", "readonly=on", "readonly=true": readOnly = true
            case "readonly=off", "format=raw", "if=virtio", "if=none": break
            case _ where part.hasPrefix("file="): path = String(part.dropFirst(5))
            case _ where i == 0 && !part.contains("="): path = String(part)
            default: throw ValidationError("--drive '\(s)': unknown part '\(part)' (expected PATH[,readonly])")
            }
        }
        guard let p = path, !p.isEmpty else { throw ValidationError("--drive '\(s)': no file given") }
        return Drive(path: p, readOnly: readOnly)
    }


    func registerDump(_ c: CPU) -> String {
        var out = ""
        for r in 0..<31 { out += "x\(r)=\(hex(c[r]))" + (r % 4 == 3 ? "\n" : " ") }
        let s = c.st.pointee
        out += "sp=\(hex(c.sp)) pstate=\(hex(c.pstate))\n"
        out += "vbar_el1=\(hex(s.vbarEL1)) ttbr1_el1=\(hex(s.ttbr1EL1))\n"
        out += "elr_el1=\(hex(s.elrEL1)) esr_el1=\(hex(s.esrEL1)) far_el1=\(hex(s.farEL1)) spsr_el1=\(hex(s.spsrEL1))\n"
        out += "elr_el2=\(hex(s.elrEL2)) esr_el2=\(hex(s.esrEL2)) far_el2=\(hex(s.farEL2)) hpfar_el2=\(hex(s.hpfarEL2))\n"
        return out
    }

    /// Prints each instruction with the registers it wrote (seen when the next one starts:
    /// a line is held until then; an exception entry shows as the registers it changed).
    func installInstructionTrace(_ machine: Machine) {
        let dis = Disassembler()
        for cpu in machine.cpus {
            let from = traceFrom
            var pending: String? = nil
            var last = [UInt64](repeating: 0, count: 33)
            cpu.tracer = { c, pc in
                if c.st.pointee.icount < from { return }
                var regs = [UInt64](repeating: 0, count: 33)
                for r in 0..<31 { regs[r] = c[r] }
                regs[31] = c.sp; regs[32] = c.nzcv
                if c.x[31] != 0 { fputs("ZR=\(hex(c.x[31]))\n", stderr); c.x[31] = 0 }
                if let line = pending {
                    var written = ""
                    for r in 0..<33 where regs[r] != last[r] {
                        written += " " + (r == 31 ? "sp" : r == 32 ? "nzcv" : "x\(r)") + "=" + hex(regs[r])
                    }
                    fputs(line + (written.isEmpty ? "" : "  ;" + written) + "\n", stderr)
                }
                last = regs
                let word = c.debugRead(pc, size: 4).map { UInt32(truncatingIfNeeded: $0) }
                let text = word.flatMap { dis.text($0, pc: pc) } ?? "<unreadable>"
                let w = word.map { String(format: "%08x", $0) } ?? "????????"
                pending = "cpu\(c.index) EL\(c.el) \(hex(pc)): \(w)  \(text)"
            }
        }
    }
}

/// How `record`, `replay` and `--restore` take part in a run.
protocol RunHooks {
    /// After boot, before the first instruction.
    func prepare(_ machine: Machine, _ host: HostConsole) throws
    /// The run options to store in a snapshot, when not this command line's.
    var runArguments: [String]? { get }
    /// After the machine stopped, before the stop is reported.
    func finish(_ machine: Machine, _ stop: StopReason) throws
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Boot a kernel or bare-metal program on the virt board.")
    @OptionGroup var options: RunOptions
    func run() throws {
        guard let path = options.restore else { return try options.execute() }
        let snapshot = try Snapshot(bytes: try Loader.readFile(path), name: path)
        try verifyFiles(snapshot.header.files, of: "snapshot")
        // The machine is built from the snapshot's options; these may change on restore.
        var opts = try RunOptions.parse(snapshot.header.arguments)
        opts.serial = options.serial; opts.stats = options.stats; opts.maxInsns = options.maxInsns
        opts.trace = options.trace; opts.traceFrom = options.traceFrom; opts.traceOut = options.traceOut
        opts.break = options.break; opts.snapshotAt = options.snapshotAt; opts.snapshotFile = options.snapshotFile
        opts.gdb = options.gdb; opts.gdbWait = options.gdbWait
        try opts.validate()     // the options given anew against the snapshot's (--trace hvc needs its --hypervisor)
        try opts.execute(RestoreHooks(snapshot: snapshot))
    }
}

/// Checks that the files a recording or snapshot names are still the ones it saw.
func verifyFiles(_ files: [RunLog.FileIdentity], of what: String) throws {
    for f in files {
        let now: RunLog.FileIdentity
        do { now = try RunLog.FileIdentity(role: f.role, path: f.path) }
        catch { throw ValidationError("\(f.role) \(f.path) of the \(what) cannot be read") }
        guard now == f else {
            throw ValidationError("\(f.role) \(f.path) is not the file the \(what) was made with (size or content changed)")
        }
    }
}

final class RestoreHooks: RunHooks {
    let snapshot: Snapshot
    init(snapshot: Snapshot) { self.snapshot = snapshot }
    func prepare(_ machine: Machine, _ host: HostConsole) throws {
        do { try machine.restoreState(snapshot.state) }
        catch { throw ValidationError("cannot restore the snapshot: \(error)") }
    }
    var runArguments: [String]? { snapshot.header.arguments }
    func finish(_ machine: Machine, _ stop: StopReason) throws {}
}

extension RunOptions {
    /// The role of a `--drive` file: the one kind of input the guest may write.
    static let driveRole = "drive"

    /// The files this run reads (role, path), for recordings and snapshots.
    func inputFiles() throws -> [(role: String, path: String)] {
        var files: [(role: String, path: String)] = []
        if let f = kernel { files.append(("kernel", f)) }
        if let f = initrd { files.append(("initrd", f)) }
        if let f = dtb { files.append(("dtb", f)) }
        if let f = configFile { files.append(("config", f)) }
        for l in loader { files.append(("loader", String(l[..<(l.lastIndex(of: "@") ?? l.endIndex)]))) }
        for d in drive { files.append((RunOptions.driveRole, try RunOptions.parseDrive(d).path)) }
        // With --hypervisor also the domains' images that the configuration names.
        if hypervisor, configFile != nil || dtb != nil {
            for d in try hypervisorConfig().0.domains {
                for case .file(let path)? in [d.kernel, d.ramdisk] { files.append(("domain \(d.name) image", path)) }
            }
        }
        return files
    }

    func fileIdentities() throws -> [RunLog.FileIdentity] {
        try inputFiles().map { try RunLog.FileIdentity(role: $0.role, path: $0.path) }
    }

    /// Writes the machine's state to `file` (default: --snapshot-file); returns the line
    /// that says what was written.
    func writeSnapshot(_ machine: Machine, arguments: [String]?, to file: String? = nil) throws -> String {
        let args = arguments ?? Record.runArguments(rtc: rtc, snapshot: true)
        let snap = Snapshot(header: Snapshot.Header(arguments: args, files: try fileIdentities(),
                                                    instructions: machine.instructions),
                            state: machine.saveState())
        let bytes = try snap.encoded()
        let path = file ?? snapshotFile
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw ValidationError(file == nil ? "--snapshot-file: cannot write \(path)" : "cannot write \(path)")
        }
        return "hvsim: snapshot after \(machine.instructions) instructions, \(bytes.count) bytes, in \(path)"
    }
}

extension RunOptions {
    /// --gdb: the machine runs under the gdb stub until the guest stops or gdb kills it.
    func serveGdb(_ machine: Machine, _ hooks: RunHooks?, monitor: Monitor) throws -> StopReason {
        // A recording holds the run's options, and a replay must not wait for a debugger.
        if hooks is RecordHooks { throw ValidationError("record does not take --gdb") }
        let address = GdbAddress(gdb!)!
        let server: GdbServer
        do { server = try GdbServer(machine: machine, address: address) }
        catch { throw ValidationError("--gdb \(gdb!): \(error)") }
        server.monitor = monitor
        fputs("hvsim: gdb can connect on tcp:\(address.host):\(server.listener.port)"
              + (gdbWait ? "; waiting for it before the first instruction" : "") + "\n", stderr)
        return server.run(wait: gdbWait)
    }
}
