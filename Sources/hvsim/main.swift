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

struct HVSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hvsim",
        abstract: "A full-system Arm64 emulator that hosts a Xen-style hypervisor.",
        subcommands: [Run.self, Record.self, Replay.self])
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
