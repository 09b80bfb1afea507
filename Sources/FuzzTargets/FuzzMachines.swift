import Foundation
import Emu
import Hypervisor
import Machine

/// The machines the stateful targets run inputs on: built once per process, each with a
/// saved good state that every input starts from (`fresh`), so no input sees another's.
final class FuzzMachine {
    let machine: Machine
    let good: [UInt8]

    init(_ machine: Machine) {
        self.machine = machine
        machine.console = { _ in }
        good = machine.saveState()
    }

    /// The machine back in its good state, with nothing an input set outside it.
    func fresh() -> Machine {
        let m = machine
        m.exact = false
        m.cpuLimit = nil
        m.pendingSliceEnd = nil
        for c in m.cpus { c.breakpoints = []; c.watchpoints = [] }
        do { try m.restoreState(good) } catch { fatalError("the fuzz machine's own state does not restore: \(error)") }
        return m
    }

    /// A file under the temporary directory that holds `bytes` (written once per process).
    static func file(_ name: String, _ bytes: [UInt8]) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hvsim-fuzz-\(getpid())-\(name)").path
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { fatalError("cannot write \(path)") }
        return path
    }

    static func words(_ w: [UInt32]) -> [UInt8] { w.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } } }

    /// A raw EL1 program that counts down from 300 and powers off (PSCI SYSTEM_OFF by HVC).
    static let countdown = words([
        0xd280_2582,    // movz x2, #300
        0xf100_0442,    // subs x2, x2, #1
        0x54ff_ffe1,    // b.ne .-4
        0x5280_0100,    // movz w0, #8
        0x72b0_8000,    // movk w0, #0x8400, lsl #16: SYSTEM_OFF
        0xd400_0002,    // hvc #0
        0x1400_0000,    // b .
    ])

    /// A raw program that waits for interrupts forever.
    static let idle = words([0xd503_207f, 0x17ff_ffff])   // wfi; b .-4

    /// A raw program that spins: its CPU is running whenever the machine stops.
    static let spin = words([0x1400_0000])                 // b .

    /// A machine running `program` (raw, at RAM base + 512 KiB) for `instructions`.
    static func make(_ program: [UInt8], _ name: String, el: Int = 1, gic: Int = 3, cpus: Int = 1,
                     drive: Bool = false, instructions: UInt64 = 10_000) -> FuzzMachine {
        var config = MachineConfig()
        config.ramSize = 4 << 20
        config.startEL = el
        config.gicVersion = gic
        config.cpus = cpus
        if drive { config.drives = [Drive(path: file("disk", [UInt8](repeating: 0x5a, count: 64 << 10)), readOnly: true)] }
        do {
            let m = try Machine(config)
            try m.loadKernel(path: file(name, program), raw: true)
            _ = m.run(limit: instructions)
            return FuzzMachine(m)
        } catch { fatalError("cannot build the fuzz machine \(name): \(error)") }
    }
}
