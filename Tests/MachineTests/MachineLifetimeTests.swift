import Testing
@testable import Machine
import Emu
import Devices
import Hypervisor

/// A machine that is let go frees its parts: the CPUs, the GIC, the bus with its RAM (the
/// mapping is returned) and the code cache with its compiled-code memory. They refer to
/// one another in rings that `Machine.deinit` breaks; before it, every machine a process
/// made (the test suite makes hundreds) kept its RAM mapped until the process ended.
@Suite struct MachineLifetimeTests {
    final class Parts {
        weak var machine: Machine?, cpu: CPU?, gic: GICCore?, bus: Bus?, codeCache: CodeCache?, ram: RAMBank?
        weak var hypervisor: HostedHypervisor?
        init(_ m: Machine) {
            machine = m; cpu = m.cpus[0]; gic = m.gic; bus = m.bus; codeCache = m.codeCache; ram = m.bus.banks[0]
            hypervisor = m.hypervisor
        }
        var alive: [String] {
            let all: [(String, AnyObject?)] = [("machine", machine), ("CPU", cpu), ("GIC", gic), ("bus", bus),
                                               ("code cache", codeCache), ("RAM", ram), ("hypervisor", hypervisor)]
            return all.filter { $0.1 != nil }.map(\.0)
        }
    }

    @Test func aMachineThatRanIsFreed() throws {
        let parts: Parts
        do {
            let m = try Machine(MachineConfig())
            try m.loadKernel(path: Repo.path("images/cache/baremetal/interrupts.elf"))
            _ = m.run(limit: 1_000_000)
            parts = Parts(m)
        }
        #expect(parts.alive.isEmpty, "still alive: \(parts.alive)")
    }

    @Test func aHypervisorMachineIsFreed() throws {
        let parts: Parts
        do {
            let (m, _, _) = try HostedHypervisorTests.run([try HostedHypervisorTests.consoleGuest("hello", vcpus: 1)])
            #expect(m.hypervisor != nil)
            parts = Parts(m)
        }
        #expect(parts.alive.isEmpty, "still alive: \(parts.alive)")
    }
}
