import ArgumentParser
import Foundation
import Emu
import Hypervisor
import Machine
#if canImport(Glibc)
import Glibc
#endif

// `hvsim run --hypervisor`: the hosted hypervisor boots its domains, described by a
// machine file with xl.cfg domain files, a single xl.cfg file, or a dom0less device tree
// (issue 9). The options are declared in RunOptions.swift; what they do is here.

/// What `--hypervisor` boots: the configuration, the files to load first, the RAM size.
struct HypervisorSetup {
    var config: HypervisorConfig
    var loaders: [LoaderFile]
    var ramSize: UInt64
}

extension RunOptions {
    /// Without an explicit --ram: the domains' memory + the --loader files + this much
    /// (stage-2 tables, hypervisor pages, partly used 2 MiB blocks), rounded up to 16 MiB.
    static let hypervisorHeadroom: UInt64 = 64 << 20
    static let hypervisorRAMRounding: UInt64 = 16 << 20

    /// The option rules of hypervisor mode (called from `validate`).
    func validateHypervisorOptions() throws {
        guard hypervisor else {
            if configFile != nil { throw ValidationError("--config needs --hypervisor (it names the hypervisor's domains)") }
            if consoleLog != nil { throw ValidationError("--console-log needs --hypervisor (it writes one file per domain)") }
            return
        }
        let unused: [(String, Bool)] = [
            ("--kernel", kernel != nil), ("--initrd", initrd != nil), ("--append", append != nil),
            ("--dump-dtb", dumpDtb != nil), ("--drive", !drive.isEmpty),
        ]
        if let (name, _) = unused.first(where: { $0.1 }) {
            throw ValidationError("\(name) is not used with --hypervisor (the domains come from --config or the --dtb's /chosen xen,domain nodes)")
        }
        switch (configFile, dtb) {
        case (nil, nil) where restore != nil: break      // the snapshot names them
        case (nil, nil):
            throw ValidationError("--hypervisor needs --config MACHINE.cfg (or one xl.cfg domain file), or --dtb HOST.dtb with /chosen xen,domain nodes")
        case (_?, _?): throw ValidationError("--hypervisor takes --config or --dtb, not both")
        default: break
        }
        if gic != 3 { throw ValidationError("--hypervisor needs --gic 3 (the hosted hypervisor drives a GICv3)") }
    }

    /// Reads the configuration and the --loader files, checks them against each other and
    /// --cpus/--ram, and prints the parsers' warnings.
    func hypervisorSetup() throws -> HypervisorSetup {
        let (config, source, warnings) = try hypervisorConfig()
        for w in warnings { fputs("hvsim: warning: \(w)\n", stderr) }
        if let c = cpus, c != config.pcpus {
            throw ValidationError("--cpus \(c) differs from the \(config.pcpus) pCPUs of \(source)")
        }
        guard (1...8).contains(config.pcpus) else {
            throw ValidationError("\(source) names \(config.pcpus) pCPUs; hvsim emulates 1 to 8")
        }
        let loaders = try loader.map { try LoaderFile(spec: $0) }
        // Overlaps first: they are wrong whatever the RAM size.
        try LoaderFile.check(loaders, ramSize: VirtBoard.maxRAM)
        try config.checkModules(loadedBy: loaders)
        // Each domain's memory and P2M pool are at most about 1 TiB (DomainConfig's
        // ranges), so the sum stays far from overflow once it is checked against the board
        // after each one.
        var domainBytes: UInt64 = 0
        for d in config.domains {
            domainBytes += d.memoryKiB * 1024 + d.p2mPoolBytes
            guard domainBytes <= VirtBoard.maxRAM else {
                throw ValidationError("the domains need more than \(VirtBoard.maxRAM >> 30) GiB of RAM, the most the board has")
            }
        }
        let fileBytes = loaders.reduce(0) { $0 + UInt64($1.bytes.count) }
        let ramSize: UInt64
        if let r = ram {
            ramSize = parseSize(r)!
            guard domainBytes + fileBytes <= ramSize else {
                let each = config.domains.map { "\($0.name) \($0.memoryKiB >> 10) MiB + \($0.p2mPoolBytes >> 20) MiB P2M pool" }.joined(separator: ", ")
                throw ValidationError("the domains do not fit in RAM: they need \(domainBytes >> 20) MiB (\(each))\(fileBytes > 0 ? " besides \(fileBytes >> 10) KiB of --loader files" : ""); --ram \(r) is \(ramSize >> 20) MiB (leave it out for a size that fits)")
            }
        } else {
            let need = max(domainBytes + fileBytes + Self.hypervisorHeadroom, LoaderFile.ramNeeded(loaders))
            ramSize = (need + Self.hypervisorRAMRounding - 1) / Self.hypervisorRAMRounding * Self.hypervisorRAMRounding
            guard ramSize <= VirtBoard.maxRAM else {
                throw ValidationError("the domains need \(ramSize >> 20) MiB of RAM; the board has at most \(VirtBoard.maxRAM >> 30) GiB")
            }
        }
        return HypervisorSetup(config: config, loaders: loaders, ramSize: ramSize)
    }

    /// The configuration from --config (a machine file or one xl.cfg file) or --dtb, with
    /// the name of where it came from and the warnings.
    func hypervisorConfig() throws -> (HypervisorConfig, source: String, warnings: [String]) {
        if let path = configFile {
            let file = URL(fileURLWithPath: path).standardizedFileURL.path
            guard FileManager.default.fileExists(atPath: file) else { throw ValidationError("--config \(path): no such file") }
            let xl = try XLConfig(contentsOf: file)
            // A machine file names its domain files; one with machine keys but no
            // `domains` is a machine file that forgot them (MachineFile says so).
            if xl["domains"] != nil || xl["pcpus"] != nil || xl["sched"] != nil {
                let (config, warnings) = try MachineFile.load(xl)
                return (config, path, warnings)
            }
            var (d, warnings) = try xl.domainConfig()
            let pcpus = cpus ?? 1
            if let bad = d.cpus?.first(where: { $0 >= pcpus }) {
                throw xl.error(xl["cpus"]!, "cpus: pCPU \(bad) does not exist (the machine has \(pcpus); set --cpus)")
            }
            d.cpus = d.cpus.flatMap { $0.count == pcpus ? nil : $0 }
            return (HypervisorConfig(pcpus: pcpus, domains: [d]), path, warnings)
        }
        let path = dtb!
        let tree: DeviceTree
        do { tree = try DeviceTree(blob: try Loader.readFile(path)) }
        catch let e as LoadError { throw e }
        catch { throw ValidationError("--dtb \(path): not a valid device tree (\(error))") }
        do {
            guard try !Dom0less.domains(from: tree).isEmpty else {
                throw ValidationError("--dtb \(path): /chosen has no compatible = \"xen,domain\" nodes: no dom0less domains to boot")
            }
            return (try Dom0less.config(from: tree), path, [])
        } catch let e as ConfigError {
            throw ValidationError("--dtb \(path): \(e)")
        }
    }

    /// Boots the domains on `machine`: log files, --loader files, then the hypervisor.
    func startHypervisor(_ machine: Machine, _ host: HostConsole, _ setup: HypervisorSetup, announceInput: Bool = true) throws {
        if let dir = consoleLog {
            do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
            catch { throw ValidationError("--console-log \(dir): cannot create the directory (\(error.localizedDescription))") }
            machine.domainConsoles.logDirectory = dir
        }
        host.passesTripleEscape = true
        try machine.load(setup.loaders)
        try machine.bootHypervisor(setup.config)
        if host.hasInput && announceInput { machine.hypervisor?.announceInput() }
    }

    /// After the run: the per-domain summary (--stats) and, when every domain stopped,
    /// the exit status: 0 if all powered off, 1 if one crashed or shut down otherwise.
    func finishHypervisor(_ machine: Machine, _ stop: StopReason) throws {
        guard let hv = machine.hypervisor else { return }
        let names = [0: "poweroff", 1: "reboot", 2: "suspend", 3: "crash", 4: "watchdog", 5: "soft_reset"]
        func state(_ d: Domain) -> String {
            switch d.state {
            case .running: return "running"
            case .shutdown(let r): return "shut down (\(names[Int(r)] ?? "reason \(r)"))"
            case .crashed(let why): return "crashed: \(why)"
            }
        }
        if stats {
            let hz = Double(machine.config.counterFrequency)
            func ms(_ ticks: UInt64) -> String { String(format: "%.3f ms", Double(ticks) / hz * 1e3) }
            for d in hv.domains {
                let total = d.vcpus.reduce(0) { $0 + hv.runTicks($1) }
                let each = d.vcpus.count > 1 ? " (" + d.vcpus.map { "vcpu\($0.id) \(ms(hv.runTicks($0)))" }.joined(separator: ", ") + ")" : ""
                fputs("hvsim: domain \(d.id) (\(d.name)): \(state(d)); vCPU run time \(ms(total))\(each); console \(machine.domainConsoles.bytes(of: d.name)) bytes\n", stderr)
            }
            fputs("hvsim: hypervisor: \(hv.traps) traps\n", stderr)
            for line in hv.stateDescription.split(separator: "\n") { fputs("hvsim:   \(line)\n", stderr) }
        }
        var failed = false
        for d in hv.domains {
            switch d.state {
            case .running, .shutdown(reason: 0): continue
            default:
                failed = true
                fputs("hvsim: domain \(d.id) (\(d.name)) \(state(d))\n", stderr)
            }
        }
        if case .poweredOff = stop { throw ExitCode(failed ? 1 : 0) }
    }
}
