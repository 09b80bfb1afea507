import Testing
import Foundation
@testable import Machine
import Hypervisor

/// SCHEDOP_poll with timeouts (images/xenguest/polltime): bad arguments get Xen's errors,
/// a timeout wakes the vCPU at (never before) the time it named, an event before it ends
/// the poll early, alone and next to a CPU-bound domain.
@Suite(.serialized) struct HostedPollTests {
    typealias H = HostedHypervisorTests

    static func polltime() throws -> DomainConfig { try H.consoleGuest("polltime", vcpus: 2) }

    /// How late each timed poll woke (ns), from the guest's "late by N ns" lines.
    static func lateness(_ out: String) -> [UInt64] {
        out.components(separatedBy: "late by ").dropFirst().compactMap { UInt64($0.prefix { $0.isNumber }) }
    }

    func check(_ domains: [DomainConfig], pcpus: Int, within bound: UInt64) throws {
        var mc = MachineConfig()
        mc.cpus = pcpus
        mc.ramSize = 256 << 20
        let m = try Machine(mc)
        var bytes: [UInt8] = []
        m.console = { bytes.append($0) }
        try m.bootHypervisor(HypervisorConfig(pcpus: pcpus, domains: domains))
        var stop = StopReason.instructionLimit
        while stop == .instructionLimit && m.instructions < 200_000_000
                && m.hypervisor?.domains.first(where: { $0.name == "polltime" })?.state == .running {
            stop = m.run(limit: 2_000_000)
        }
        let out = String(decoding: bytes, as: UTF8.self)
        #expect(out.contains("[polltime] polltime: bad arguments checked"), "\(out)")
        #expect(out.contains("[polltime] polltime: PASS"), "\(out)")
        let late = Self.lateness(out)
        #expect(late.count == 5, "\(out)")
        #expect(late.allSatisfy { $0 <= bound }, "late by \(late) ns (bound \(bound))")
        let p = try #require(m.hypervisor?.domains.first { $0.name == "polltime" })
        #expect(p.state == .shutdown(reason: 0), "\(p.state)")
        if let hv = m.hypervisor, let busy = hv.domains.first(where: { $0.name == "busy" }) {
            // The busy domain had the pCPU while the poller waited (over 60 ms of timeouts).
            #expect(hv.runTicks(busy.vcpus[0]) > 5_000_000, "busy ran \(hv.runTicks(busy.vcpus[0])) ticks")
        }
        print("polltime on \(pcpus) pCPU(s) with \(domains.map(\.name)): \(stop), late by \(late) ns")
    }

    @Test func timeoutsAloneOnOnePCPU() throws {
        try check([try Self.polltime()], pcpus: 1, within: 1_000)
    }

    /// A CPU-bound domain shares the pCPU and runs while the poller is blocked. The timeout
    /// makes the poller runnable on time; Credit2 lets it preempt the busy vCPU only past
    /// the rate limit, and a busy vCPU that started alone on the pCPU has a slice of up to
    /// 10 ms: so the wake-up may be that late, never earlier than the timeout.
    @Test func timeoutsNextToABusyDomain() throws {
        let busy = DomainConfig(name: "busy", memoryKiB: 16 << 10, vcpus: 1, kernel: .file(try H.guest("busy")))
        try check([try Self.polltime(), busy], pcpus: 1, within: 11_000_000)
    }

    @Test func timeoutsOnTwoPCPUs() throws {
        try check([try Self.polltime()], pcpus: 2, within: 1_000)
    }
}
