import Foundation
import Testing
@testable import Machine
import Hypervisor

/// The soak (`make soak`, not in `make test`): two Debian Linux domUs on 2 pCPUs doing
/// checked compute work for HVSIM_SOAK_SECONDS of host time. Each domU's shell runs an awk
/// loop whose every result the test recomputes; no line may be wrong or missing, neither
/// domain may stop, and the process's resident memory may grow by at most 1% after the
/// first tenth of the run (warm-up: decoded code, compiled regions, guest page cache).
@Suite(.serialized) struct SoakTests {
    static let seconds = ProcessInfo.processInfo.environment["HVSIM_SOAK_SECONDS"].flatMap { Double($0) }

    /// What the guests' loop prints for round n: "soak n s" with s from 20,000 steps.
    static func expected(_ n: Int) -> Int {
        var s = 0
        for k in 1...20_000 { s = (s * 31 + k * n) % 1_000_003 }
        return s
    }

    static func residentKiB() -> Int {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let pages = statm.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return pages * Int(getpagesize()) / 1024
    }

    @Test(.enabled(if: seconds != nil, "set HVSIM_SOAK_SECONDS (make soak)"))
    func twoLinuxDomUsComputeForAnHour() throws {
        let duration = try #require(Self.seconds)
        let names = ["red", "blue"]
        let m = try LinuxDomUTests.machine(try names.map { try LinuxDomUTests.domain($0, vcpus: 1) }, pcpus: 2)
        let ready = LinuxDomUTests.run(m, until: { names.allSatisfy { m.domainConsoles.output(of: $0).contains("\n/ # ") } },
                                             limit: 20_000_000_000)
        #expect(ready == nil)
        let loop = "n=0; while true; do n=$((n+1)); awk -v n=$n 'BEGIN{s=0; for(k=1;k<=20000;k++) s=(s*31+k*n)%1000003; print \"soak\", n, s}'; done\n"
        for name in names {
            // Typed input goes to the domain that has the focus when it is read: wait for
            // this one's first result before the next.
            m.hypervisor?.focus(domain: name)
            m.type(Array(loop.utf8))
            let started = LinuxDomUTests.run(m, until: { m.domainConsoles.output(of: name).contains("soak 1 ") }, limit: 4_000_000_000)
            #expect(started == nil, "\(name): \(m.domainConsoles.output(of: name).suffix(500))")
        }
        let clock = ContinuousClock(), start = clock.now
        var checked = [String: Int](), warm: Int? = nil, peak = 0
        var rounds = 0
        while clock.now - start < .seconds(duration) {
            let stop = m.run(limit: 200_000_000)
            #expect(stop == .instructionLimit, "the machine stopped: \(stop)")
            if stop != .instructionLimit { break }
            rounds += 1
            for name in names {
                // Every complete line with a round past the last one checked: the next
                // round, with the right result. (Old output is dropped by the consoles.)
                let lines = m.domainConsoles.output(of: name).split(whereSeparator: \.isNewline).dropLast()
                for line in lines.suffix(2_000) where line.hasPrefix("soak ") {
                    let f = line.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                    guard f.count == 3, let n = Int(f[1]), let s = Int(f[2]) else { Issue.record("\(name): '\(line)'"); continue }
                    let last = checked[name] ?? 0
                    if n <= last { continue }
                    #expect(n == last + 1 && s == Self.expected(n), "\(name): '\(line)' after round \(last)")
                    checked[name] = n
                }
            }
            let rss = Self.residentKiB()
            if warm == nil && clock.now - start >= .seconds(duration / 10) { warm = rss }
            peak = max(peak, rss)
        }
        let hv = try #require(m.hypervisor)
        for d in hv.domains { #expect(d.state == .running, "\(d.name): \(d.state)") }
        for name in names { #expect((checked[name] ?? 0) > 0, "\(name) printed no result: \(m.domainConsoles.output(of: name).suffix(300).debugDescription)") }
        let w = try #require(warm)
        let growth = Double(peak - w) / Double(w)
        print("soak: \(duration) s, \(m.instructions) instructions, results checked \(checked), RSS after warm-up \(w) KiB, peak \(peak) KiB, growth \(String(format: "%.2f", growth * 100))%")
        #expect(growth < 0.01, "RSS grew from \(w) KiB to \(peak) KiB")
    }
}
