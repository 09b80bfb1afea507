import Testing
import Foundation
@testable import Machine
import Hypervisor

/// Runstate areas (images/xenguest/runstate): a two-vCPU guest registers vcpu_runstate_info
/// areas for both vCPUs and checks, as they run, block, yield and go offline, that states
/// are right, times only grow and add up to the last entry time (the domain's system time).
@Suite(.serialized) struct HostedRunstateTests {
    typealias H = HostedHypervisorTests

    static func runstate() throws -> DomainConfig { try H.consoleGuest("runstate", vcpus: 2) }

    /// Runs until the runstate domain stopped; its console.
    func run(_ domains: [DomainConfig], pcpus: Int) throws -> String {
        var mc = MachineConfig()
        mc.cpus = pcpus
        mc.ramSize = 256 << 20
        let m = try Machine(mc)
        try m.bootHypervisor(HypervisorConfig(pcpus: pcpus, domains: domains))
        while m.instructions < 300_000_000 && m.hypervisor?.domains[0].state == .running {
            if m.run(limit: 2_000_000) != .instructionLimit { break }
        }
        let out = m.domainConsoles.output(of: "runstate")
        #expect(out.contains("runstate: PASS"), "\(out)")
        #expect(m.hypervisor?.domains[0].state == .shutdown(reason: 0))
        print(out.split(whereSeparator: \.isNewline).filter { $0.hasPrefix("runstate: vCPU") }.joined(separator: "\n"))
        return out
    }

    /// The numbers after `label` in the guest's report line.
    static func number(_ label: String, in out: String) -> UInt64? {
        guard let r = out.range(of: label + " ") else { return nil }
        return UInt64(out[r.upperBound...].prefix { $0.isNumber })
    }

    @Test func aloneOnOnePCPU() throws {
        let out = try run([try Self.runstate()], pcpus: 1)
        // vCPU 1 shares the pCPU: woken by vCPU 0's event it is runnable before it runs.
        #expect((Self.number("right after the send", in: out) ?? 0) > 0, "\(out)")
    }

    /// Next to a CPU-bound domain vCPU 0 also waits runnable (after its yields).
    @Test func nextToABusyDomainOnOnePCPU() throws {
        let busy = DomainConfig(name: "busy", memoryKiB: 16 << 10, vcpus: 1, kernel: .file(try H.guest("busy")))
        let out = try run([try Self.runstate(), busy], pcpus: 1)
        #expect((Self.number("runnable", in: out) ?? 0) > 0, "\(out)")
    }

    @Test func onTwoPCPUs() throws {
        let out = try run([try Self.runstate()], pcpus: 2)
        #expect((Self.number("seen running", in: out) ?? 0) + (Self.number("blocked", in: out) ?? 0) > 0, "\(out)")
    }
}
