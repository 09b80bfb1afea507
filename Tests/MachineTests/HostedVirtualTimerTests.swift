import Testing
import Foundation
@testable import Machine
import Emu
@testable import Hypervisor

/// A vCPU's virtual timer (PPI 27) while the scheduler moves the vCPU between pCPUs
/// (images/xenguest/vtimer): next to two CPU-bound domains on 2 pCPUs, Credit2 takes the
/// vCPU off one pCPU with its timer armed and puts it back on either. The timer of a vCPU
/// that is off every pCPU is the hypervisor's (Xen's virt_timer); it must go with the vCPU:
/// one interrupt per armed timer, none for a timer the guest disabled or moved later.
@Suite(.serialized) struct HostedVirtualTimerTests {
    typealias H = HostedHypervisorTests

    static func domains() throws -> [DomainConfig] {
        var t = DomainConfig(name: "vtimer", memoryKiB: 16 << 10, vcpus: 2, kernel: .file(try H.guest("vtimer")))
        t.vpl011 = true
        let busy = try ["busy1", "busy2"].map { DomainConfig(name: $0, memoryKiB: 16 << 10, vcpus: 1, kernel: .file(try H.guest("busy"))) }
        return [t] + busy
    }

    /// Where the hypervisor keeps the timers of vCPUs that are off their pCPU: no vCPU's
    /// timer twice, and none of a vCPU that is loaded (its timer is in the CPU then).
    static func timerProblems(_ hv: HostedHypervisor) -> [String] {
        var seen: [ObjectIdentifier: Int] = [:], problems: [String] = []
        for p in hv.pcpus {
            for t in p.timers {
                let name = "d\(t.vcpu.domain.id)v\(t.vcpu.id)"
                if let q = seen.updateValue(p.index, forKey: ObjectIdentifier(t.vcpu)) {
                    problems.append("\(name)'s timer on pCPU \(q) and on pCPU \(p.index)")
                }
                if let q = t.vcpu.pcpu { problems.append("\(name) runs on pCPU \(q) and its timer waits on pCPU \(p.index)") }
            }
        }
        return problems
    }

    @Test func timerFollowsAVCPUMovedBetweenPCPUs() throws {
        var mc = MachineConfig()
        mc.cpus = 2
        mc.ramSize = 256 << 20
        let m = try Machine(mc)
        var bytes: [UInt8] = []
        m.console = { bytes.append($0) }
        try m.bootHypervisor(HypervisorConfig(pcpus: 2, domains: try Self.domains()))
        let hv = try #require(m.hypervisor)
        let t = hv.domains[0].vcpus[0]
        // Where the timer domain's vCPU was loaded last, and how often it came back on the
        // other pCPU with its timer armed and not yet due (what the test is about).
        var last: Int? = nil, moves = 0, loads = 0
        hv.onSwitch = { [unowned hv] p, _, to in
            guard to === t else { return }
            loads += 1
            let x = t.context
            if let q = last, q != p, x.cntvCtl & 3 == 1, x.cntvCval &+ t.domain.counterOffset > hv.pcpus[p].now { moves += 1 }
            last = p
        }
        var problems: [String] = []
        while hv.domains[0].state == .running && m.instructions < 600_000_000 {
            _ = m.run(limit: 200_000)
            problems += Self.timerProblems(hv)
        }
        let out = String(decoding: bytes, as: UTF8.self)
        print("vtimer next to two busy domains on 2 pCPUs, \(m.instructions) instructions: loaded \(loads) times, \(moves) on the other pCPU with its timer armed; "
              + (out.split(separator: "\n").first { $0.contains("rounds,") }.map(String.init) ?? "no summary"))
        #expect(moves >= 20, "the vCPU hardly moved with its timer armed (\(moves) of \(loads) loads): the test proves nothing")
        #expect(problems.count == 0, "\(problems.prefix(5))")
        #expect(!out.contains("spurious"), "\(out.suffix(2000))")
        #expect(out.contains("[vtimer] vtimer: PASS"), "\(out.suffix(2000))")
        #expect(hv.domains[0].state == .shutdown(reason: 0), "\(hv.domains[0].state)")
        // Scheduling delays only: a timer of a vCPU waiting for a pCPU fires when it is
        // due, and the vCPU runs at most a Credit2 slice (10 ms) later.
        let late = out.components(separatedBy: "late by at most ").dropFirst().compactMap { UInt64($0.prefix { $0.isNumber }) }
        #expect(late.count == 1 && late[0] <= 11_000_000, "late by \(late) ns")
    }

    // MARK: Snapshots

    /// A snapshot taken while a pCPU keeps vCPU 0's timer (it is off every pCPU) restores
    /// exactly: the same console output and end state through the moves that follow, to
    /// the guest's end.
    @Test func snapshotWithAKeptTimerRestoresExactly() throws {
        let config = HypervisorConfig(pcpus: 2, domains: try Self.domains())
        let (m, _) = try HypervisorSnapshotTests.boot(config)
        let hv = try #require(m.hypervisor)
        let t = hv.domains[0].vcpus[0]
        // Past the guest's start, the first point (in steps of 100k) where a pCPU keeps it.
        _ = m.run(limit: 2_000_000)
        while !hv.pcpus.contains(where: { $0.timers.contains { $0.vcpu === t } }) && m.instructions < 60_000_000 {
            _ = m.run(limit: 100_000)
        }
        #expect(t.pcpu == nil && m.instructions < 60_000_000, "vCPU 0's timer is never kept by a pCPU")
        let at = m.instructions
        // The guest ends after about 75 M instructions; the busy domains run on.
        let (end, _, rest) = try HypervisorSnapshotTests.roundTrip(config, at: at, limit: 90_000_000)
        #expect(end.stop == .instructionLimit)
        #expect(rest.contains("[vtimer] vtimer: PASS"), "\(rest)")
        print("vtimer snapshot at \(at) instructions, restored and run to \(end.instructions)")
    }

    /// A state in which a pCPU keeps the timer of a vCPU that is loaded, or two pCPUs keep
    /// one vCPU's timer (as the hypervisor left them before that was fixed), is refused.
    @Test func snapshotWithAStrayTimerIsRefused() throws {
        let config = HypervisorConfig(pcpus: 2, domains: try Self.domains())
        func refused(_ stray: (HostedHypervisor) throws -> Void) throws -> String {
            let (a, _) = try HypervisorSnapshotTests.boot(config)
            _ = a.run(limit: 3_000_000)
            try stray(try #require(a.hypervisor))
            let (b, _) = try HypervisorSnapshotTests.boot(config)
            let e = try #require(throws: StateError.self) { try b.restoreState(a.saveState()) }
            return e.description
        }
        let loaded = try refused { hv in
            let v = try #require(hv.pcpus[0].current)
            hv.pcpus[1].timers.append((deadline: .max, vcpu: v))
        }
        #expect(loaded.contains("pCPU 1 keeps the timer of d"), "\(loaded)")
        #expect(loaded.contains("which is loaded"), "\(loaded)")
        let twice = try refused { hv in
            let v = hv.domains[0].vcpus[1]          // vCPU 1 waits blocked in SCHEDOP_poll
            try #require(v.pcpu == nil)
            hv.pcpus[0].timers.append((deadline: .max, vcpu: v))
            hv.pcpus[1].timers.append((deadline: .max, vcpu: v))
        }
        #expect(twice.contains("pCPU 1 keeps the timer of d1v1, which another pCPU keeps too"), "\(twice)")
    }
}
