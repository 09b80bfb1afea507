import ArgumentParser
import Foundation
import Emu
import Machine
#if canImport(Glibc)
import Glibc
#endif

/// Parses "128M", "1G", "512MiB", "65536K" or a plain number of MiB (as QEMU's -m).
func parseSize(_ s: String) -> UInt64? {
    var t = s.uppercased()
    if t.hasSuffix("IB") { t.removeLast(2) } else if t.hasSuffix("B") { t.removeLast() }
    var shift: UInt64 = 20
    if let last = t.last, "KMGT".contains(last) {
        shift = ["K": 10, "M": 20, "G": 30, "T": 40][String(last)]!
        t.removeLast()
    }
    guard let v = UInt64(t), v > 0, v < (1 << (64 - shift)) else { return nil }
    return v << shift
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Boot a kernel or bare-metal program on the virt board.")

    @Option(help: "Kernel to boot: ELF, arm64 Linux Image or raw binary.") var kernel: String
    @Option(help: "Kernel format: auto (ELF or arm64 Image) or raw (binary loaded at RAM base + 512 KiB).")
    var format: String = "auto"
    @Option(help: "Guest RAM size (e.g. 128M, 1G; a plain number is MiB).") var ram: String = "128M"
    @Option(help: "Number of CPUs (1-8).") var cpus: Int = 1
    @Option(help: "Exception level to start in: 1, or 2 (EL2 available to the guest).") var el: Int = 1
    @Flag(help: "Serve Arm semihosting calls (HLT #0xF000), as QEMU's -semihosting.") var semihosting = false
    @Option(help: "Trace: 'insn' prints every instruction, disassembled, to stderr.") var trace: String?
    @Option(help: "Stop after this many instructions (all CPUs together).") var maxInsns: UInt64?
    @Flag(help: "Print run statistics (instructions, time) to stderr at exit.") var stats = false

    func validate() throws {
        guard parseSize(ram) != nil else { throw ValidationError("--ram '\(ram)' is not a size like 128M or 1G") }
        guard format == "auto" || format == "raw" else {
            throw ValidationError("--format '\(format)' is not known (auto or raw)")
        }
        if let t = trace, t != "insn" { throw ValidationError("--trace '\(t)' is not known (available: insn)") }
    }

    func run() throws {
        var config = MachineConfig()
        config.ramSize = parseSize(ram)!
        config.cpus = cpus
        config.startEL = el
        config.semihosting = semihosting
        let machine = try Machine(config)
        machine.console = { b in putchar(Int32(b)); if b == 10 { fflush(stdout) } }
        try machine.loadKernel(path: kernel, raw: format == "raw")
        if trace == "insn" { installInstructionTrace(machine) }
        let start = DispatchTimeShim.now()
        let stop = machine.run(limit: maxInsns ?? .max)
        fflush(stdout)
        let seconds = DispatchTimeShim.since(start)
        if stats {
            let insns = machine.cpus.reduce(UInt64(0)) { $0 + $1.st.pointee.icount }
            let rate = seconds > 0 ? Double(insns) / seconds / 1e6 : 0
            fputs("hvsim: \(insns) instructions in \(String(format: "%.3f", seconds)) s (\(String(format: "%.1f", rate)) M/s)\n", stderr)
        }
        switch stop {
        case .poweredOff(let status): throw ExitCode(status)
        case .reset: fputs("hvsim: guest requested a system reset; stopping\n", stderr)
        case .instructionLimit:
            fputs("hvsim: stopped after the --max-insns limit\n", stderr); throw ExitCode(4)
        case .breakpoint(let cpu, let pc):
            fputs("hvsim: breakpoint on cpu\(cpu) at \(hex(pc))\n", stderr); throw ExitCode(5)
        case .stopRequested: break            // Ctrl-A x: the user quit
        case .deadlock:
            fputs("hvsim: every CPU is waiting for an interrupt that nothing can raise\n", stderr); throw ExitCode(3)
        }
    }

    private func installInstructionTrace(_ machine: Machine) {
        let dis = Disassembler()
        for cpu in machine.cpus {
            cpu.tracer = { c, pc in
                let word = c.debugRead(pc, size: 4).map { UInt32(truncatingIfNeeded: $0) }
                let text = word.flatMap { dis.text($0, pc: pc) } ?? "<unreadable>"
                let w = word.map { String(format: "%08x", $0) } ?? "????????"
                fputs("cpu\(c.index) EL\(c.el) \(hex(pc)): \(w)  \(text)\n", stderr)
            }
        }
    }
}

struct HVSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hvsim",
        abstract: "A full-system Arm64 emulator that hosts a Xen-style hypervisor.",
        subcommands: [Run.self])
}

/// Monotonic wall time for --stats (never seen by the guest).
enum DispatchTimeShim {
    static func now() -> timespec { var t = timespec(); clock_gettime(CLOCK_MONOTONIC, &t); return t }
    static func since(_ s: timespec) -> Double {
        let n = now()
        return Double(n.tv_sec - s.tv_sec) + Double(n.tv_nsec - s.tv_nsec) / 1e9
    }
}

// Every failure is one line on stderr and exit status 2 (guest statuses pass through).
do {
    var command = try HVSim.parseAsRoot()
    try command.run()
} catch let code as ExitCode {
    exit(code.rawValue)
} catch {
    let code = HVSim.exitCode(for: error)
    if code == .success { HVSim.exit(withError: error) }   // --help, --version
    let message = HVSim.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
    fputs("hvsim: error: \(message)\n", stderr)
    exit(2)
}
