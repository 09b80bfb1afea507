import Testing
import Foundation
@testable import Machine

/// `--trace hvc,sched --trace-out` with the hosted hypervisor: a Perfetto/Chrome timeline
/// with a track per pCPU (which vCPU ran when) and a process per domain (its vCPUs' runs
/// and hypercalls).
@Suite struct HypervisorTraceTests {
    @Test func timelineHasPCPUAndDomainTracks() throws {
        guard FileManager.default.fileExists(atPath: Repo.path("images/cache/xenguest/hello.img")) else {
            throw LoadError("images/cache/xenguest/hello.img is missing: run images/build-xenguests.sh")
        }
        let out = NSTemporaryDirectory() + "hvsim-hv-trace-\(getpid()).json"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let (status, _, err) = try runHVSim(["run", "--hypervisor", "--config", Repo.path("examples/hypervisor/machine.cfg"),
                                             "--trace", "hvc,sched", "--trace-out", out])
        #expect(status == 0, "\(err)")
        let data = try Data(contentsOf: URL(fileURLWithPath: out))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let events = try #require(root["traceEvents"] as? [[String: Any]])
        func named(_ n: String) -> [[String: Any]] { events.filter { ($0["name"] as? String) == n } }
        // Metadata: one process per domain, named after it.
        let processes = named("process_name").compactMap { ($0["args"] as? [String: Any])?["name"] as? String }
        #expect(processes.contains("domain 1 alpha") && processes.contains("domain 2 beta"), "\(processes)")
        // Hypercalls on each domain's vCPU track: xen_version (17) and console_io (18).
        for pid in [1001, 1002] {
            let calls = events.filter { ($0["cat"] as? String) == "hvc" && ($0["pid"] as? Int) == pid }
            #expect(calls.contains { ($0["name"] as? String) == "hypercall 17" }, "domain \(pid - 1000): \(calls.count) hypercalls")
            #expect(calls.contains { ($0["name"] as? String) == "hypercall 18" })
        }
        // Scheduling: vCPU slices on the pCPU tracks begin and end in pairs.
        let sched = events.filter { ($0["cat"] as? String) == "sched" && ($0["pid"] as? Int) == 0 }
        let begins = sched.filter { ($0["ph"] as? String) == "B" }.count, ends = sched.filter { ($0["ph"] as? String) == "E" }.count
        #expect(begins >= 2 && begins - ends <= 2, "\(begins) begins, \(ends) ends")
        #expect(sched.contains { ($0["name"] as? String) == "d1v0" } && sched.contains { ($0["name"] as? String) == "d2v0" })
    }

    @Test func hypervisorClassesNeedHypervisorMode() throws {
        let (status, _, err) = try runHVSim(["run", "--kernel", Repo.path("images/cache/xenguest/hello.img"), "--trace", "sched"])
        #expect(status == 2 && err.contains("need --hypervisor"), "\(err)")
    }
}
