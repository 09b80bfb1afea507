import Testing
import Foundation
@testable import Machine
import Hypervisor

/// The schedulers at work in the hosted hypervisor: CPU-bound bare-metal domUs (images/
/// xenguest/busy) share pCPUs as their weights and caps say, measured as the vCPU time
/// the hypervisor accounted over a few seconds of virtual time.
@Suite(.serialized) struct HostedSchedulingTests {
    static func busy(_ name: String, weight: Int = 256, cap: Int = 0) throws -> DomainConfig {
        var d = DomainConfig(name: name, memoryKiB: 16 << 10, vcpus: 1, kernel: .file(try HostedHypervisorTests.guest("busy")))
        d.weight = weight
        d.cap = cap
        return d
    }

    /// Runs `domains` for `seconds` of virtual time; each domain's share of `pcpus` pCPUs.
    static func shares(_ domains: [DomainConfig], pcpus: Int = 1, scheduler: SchedulerKind = .credit2,
                       seconds: UInt64 = 3) throws -> [String: Double] {
        var mc = MachineConfig()
        mc.cpus = pcpus
        mc.ramSize = 256 << 20
        let m = try Machine(mc)
        try m.bootHypervisor(HypervisorConfig(pcpus: pcpus, scheduler: scheduler, domains: domains))
        _ = m.run(until: seconds * mc.counterFrequency * mc.instructionsPerTick)
        let hv = try #require(m.hypervisor)
        let total = Double(seconds * mc.counterFrequency)
        var out: [String: Double] = [:]
        for d in hv.domains {
            #expect(m.domainConsoles.output(of: d.name).contains("busy: spinning"))
            out[d.name] = Double(d.vcpus.reduce(0) { $0 + hv.runTicks($1) }) / total
        }
        return out
    }

    @Test func weightsTwoToOneGiveTimeTwoToOne() throws {
        let s = try Self.shares([try Self.busy("heavy", weight: 512), try Self.busy("light", weight: 256)])
        let ratio = s["heavy"]! / s["light"]!
        print("credit2 512:256 on one pCPU: shares \(s), ratio \(ratio)")
        #expect(abs(ratio - 2.0) <= 0.2, "ratio \(ratio), shares \(s)")
        #expect(s["heavy"]! + s["light"]! > 0.97, "the pCPU idled: \(s)")
    }

    @Test func cappedDomainStaysUnderItsCap() throws {
        let s = try Self.shares([try Self.busy("capped", cap: 25), try Self.busy("free")])
        print("credit2 cap 25 against an uncapped domain: \(s)")
        #expect(s["capped"]! <= 0.25 + 0.01, "\(s)")
        #expect(s["capped"]! >= 0.20, "\(s)")
        #expect(s["free"]! >= 0.70, "\(s)")
        let alone = try Self.shares([try Self.busy("capped", cap: 25)])
        print("credit2 cap 25 alone: \(alone)")
        #expect(alone["capped"]! <= 0.25 + 0.01 && alone["capped"]! >= 0.20, "\(alone)")
    }

    @Test func nullSchedulerGivesEachVCPUItsOwnPCPU() throws {
        let s = try Self.shares([try Self.busy("one"), try Self.busy("two")], pcpus: 2, scheduler: .null)
        print("null scheduler, two domains on two pCPUs: \(s)")
        #expect(s["one"]! > 0.98 && s["two"]! > 0.98, "\(s)")
    }
}
