import Foundation
import Testing
@testable import Machine
import Hypervisor
#if canImport(Glibc)
import Glibc
#endif

/// A hostile neighbour takes no more from a domain than a quiet one does: a fixed job
/// (images/xenguest/job) shares one pCPU with a domain that spins (busy) or with one that
/// storms the hypervisor without end (hostile-forever: wild accesses, garbage hypercalls,
/// long grant batches, P2M pool floods, SGI storms, self-modifying code, WFI spins). The
/// job must end at the same point of the machine's time and in about the same host time
/// (what the hypervisor does for a domain is charged to it, not to the one next to it),
/// with its memory the same.
@Suite(.serialized) struct FairnessTests {
    struct Outcome { let virtual: UInt64; let hostSeconds: Double; let memory: Int; let output: String }

    /// The calling thread's CPU time: what the run cost the host, less what other
    /// processes on a busy machine took from it.
    static func threadSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    static func job(beside neighbour: String, vcpus: Int) throws -> Outcome {
        let job = try HostedHypervisorTests.consoleGuest("job", vcpus: 1)
        let other = try HostedHypervisorTests.consoleGuest(neighbour, vcpus: vcpus)
        var mc = MachineConfig()
        mc.ramSize = 128 << 20
        let m = try Machine(mc)
        m.console = { _ in }
        try m.bootHypervisor(HypervisorConfig(pcpus: 1, domains: [job, other]))
        let d = try #require(m.hypervisor?.domains.first { $0.name == "job" })
        let start = threadSeconds()
        var stop = StopReason.instructionLimit
        while d.state == .running && m.instructions < 2_000_000_000 && stop == .instructionLimit {
            stop = m.run(limit: 100_000)
        }
        let host = threadSeconds() - start
        let ram = try #require(d.read(0x4000_0000, count: Int(d.memorySize)))
        let said = m.domainConsoles.output(of: neighbour)
        #expect(d.state == .shutdown(reason: 0), "job: \(d.state), \(stop); \(m.domainConsoles.output(of: "job"))")
        #expect(m.hypervisor?.domains.first { $0.name == neighbour }?.state == .running, "\(said.suffix(1000))")
        #expect(!said.contains("FAIL"), "\(said.suffix(1000))")
        return Outcome(virtual: m.now, hostSeconds: host, memory: ram.hashValue, output: m.domainConsoles.output(of: "job"))
    }

    /// In the machine's time (deterministic, so in `make test`): the job ends within 10% of
    /// when it ends beside the quiet domain, with the same output and memory.
    @Test func aHostileNeighbourTakesNoMachineTimeFromTheJob() throws {
        let q = try Self.job(beside: "busy", vcpus: 1), h = try Self.job(beside: "hostile-forever", vcpus: 2)
        #expect(q.output.contains("job: done") && q.output == h.output, "\(q.output)\n---\n\(h.output)")
        #expect(q.memory == h.memory, "the job's memory differs beside the hostile domain")
        let ratio = Double(h.virtual) / Double(q.virtual)
        print(String(format: "fairness: the job ends at virtual %llu beside busy, %llu beside hostile (%.3f)", q.virtual, h.virtual, ratio))
        #expect(abs(ratio - 1) <= 0.10, "virtual time ratio \(ratio)")
    }

    /// In the host's time (`make fairness`: timed, so not in `make test`): best of three
    /// runs each, alternating.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["HVSIM_FAIRNESS"] != nil, "make fairness"))
    func aHostileNeighbourTakesNoHostTimeFromTheJob() throws {
        var quiet: [Double] = [], hostile: [Double] = []
        for _ in 0..<3 {
            quiet.append(try Self.job(beside: "busy", vcpus: 1).hostSeconds)
            hostile.append(try Self.job(beside: "hostile-forever", vcpus: 2).hostSeconds)
        }
        let ratio = hostile.min()! / quiet.min()!
        print(String(format: "fairness: host %.3f s beside busy, %.3f s beside hostile", quiet.min()!, hostile.min()!))
        print(String(format: "ratio hostile/quiet %.3f", ratio))
        #expect(abs(ratio - 1) <= 0.10, "host time ratio \(ratio)")
    }
}
