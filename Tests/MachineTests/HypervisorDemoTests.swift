import Testing
import Foundation
@testable import Machine
import Hypervisor

/// Demonstrations of the hosted hypervisor with bare-metal domUs (images/xenguest):
/// two domains talking over an inter-domain event channel and a shared grant page, and
/// hostile domains next to well-behaved ones.
@Suite(.serialized) struct HypervisorDemoTests {
    typealias H = HostedHypervisorTests

    /// A domain of test guest `name`; the hostile one has a second vCPU, never started, to
    /// move an event channel to.
    static func domain(_ name: String, image: String? = nil, mib: UInt64 = 16) throws -> DomainConfig {
        var d = DomainConfig(name: name, memoryKiB: mib << 10, vcpus: name == "hostile" ? 2 : 1, kernel: .file(try H.guest(image ?? name)))
        d.vpl011 = true
        return d
    }

    /// The number printed after `prefix` in `out`, if any.
    static func number(after prefix: String, in out: String) -> UInt64? {
        guard let r = out.range(of: prefix) else { return nil }
        return UInt64(out[r.upperBound...].prefix { $0.isNumber })
    }

    // MARK: Ping-pong: event channel + grant page, 1000 round trips

    func pingPong(pcpus: Int) throws {
        let clock = ContinuousClock()
        let start = clock.now
        let (m, stop, out) = try H.run([try Self.domain("ping"), try Self.domain("pong")], pcpus: pcpus,
                                       limit: 2_000_000_000)
        let host = clock.now - start
        #expect(out.contains("[ping] ping: GNTTABOP_copy both ways checked"), "\(out)")
        #expect(out.contains("[ping] ping: 1000 rounds verified, PASS"), "\(out)")
        #expect(out.contains("[pong] pong: 1000 rounds answered, PASS"), "\(out)")
        #expect(stop == .poweredOff(status: 0), "\(stop)")
        for d in m.hypervisor?.domains ?? [] { #expect(d.state == .shutdown(reason: 0), "\(d.name): \(d.state)") }
        let ticks = Self.number(after: "round trips in ", in: out) ?? 0
        print("ping-pong on \(pcpus) pCPU(s): 1000 round trips in \(ticks) counter ticks; whole run \(m.instructions) instructions, host \(host)")
    }

    @Test func pingPongOnePCPU() throws { try pingPong(pcpus: 1) }
    @Test func pingPongTwoPCPUs() throws { try pingPong(pcpus: 2) }

    // MARK: Hostile domains

    /// The hostile domain either survived its rounds or was crashed alone, with a reason logged.
    func checkHostile(_ m: Machine, _ out: String) {
        guard let hv = m.hypervisor, let h = hv.domains.first(where: { $0.name == "hostile" }) else { return }
        #expect(out.contains("[hostile] hostile: P2M pool used up after "), "\(out.suffix(3000))")
        #expect(h.p2mPoolFreePages == 0)
        switch h.state {
        case .shutdown(let r):
            #expect(r == 0, "hostile shut down with \(r)")
            #expect(out.contains("[hostile] hostile: survived, PASS"), "\(out)")
        case .crashed(let reason):
            #expect(hv.log.contains { $0.contains("(hostile) crashed") }, "\(hv.log)")
            print("hostile crashed: \(reason)")
        case .running:
            break                                       // still at it when the others finished
        }
        for d in hv.domains where d.name != "hostile" { #expect(d.state == .shutdown(reason: 0), "\(d.name): \(d.state)") }
    }

    @Test
    func hostileNextToPingPong() throws {
        let clock = ContinuousClock(), start = clock.now
        let (m, stop, out) = try H.run([try Self.domain("ping"), try Self.domain("pong"), try Self.domain("hostile")],
                                       pcpus: 2, limit: 12_000_000)
        #expect(out.contains("[ping] ping: 1000 rounds verified, PASS"), "\(out.suffix(3000))")
        #expect(out.contains("[pong] pong: 1000 rounds answered, PASS"), "\(out.suffix(3000))")
        #expect(out.contains("[hostile] hostile: round 1 "), "\(out.suffix(3000))")
        checkHostile(m, out)
        print("hostile next to ping-pong: \(stop), \(m.instructions) instructions, host \(clock.now - start)")
        print(out.split(separator: "\n").filter { $0.contains("hostile") }.suffix(6).joined(separator: "\n"))
    }

    @Test
    func hostileNextToHelloOnOnePCPU() throws {
        let (m, _, out) = try H.run([try Self.domain("hostile"), try Self.domain("hello")], pcpus: 1, limit: 8_000_000)
        #expect(out.contains("[hello] xenguest hello: PASS"), "\(out.suffix(3000))")
        checkHostile(m, out)
        checkRateLimits(m, out)
    }

    /// What the hostile domain makes the hypervisor print is rate limited (GuestLog.swift):
    /// a burst of 10 messages about it in these few virtual milliseconds (the next would come
    /// 5 s later, with the count of those dropped), about 64 console_io lines and a line
    /// counting the lines dropped; no escape character reaches the console.
    func checkRateLimits(_ m: Machine, _ out: String) {
        guard let hv = m.hypervisor, let h = hv.domains.first(where: { $0.name == "hostile" }) else { return }
        let about = hv.log.filter { $0.hasPrefix("domain \(h.id) vcpu") }
        let suppressed = hv.log.filter { $0.hasPrefix("domain \(h.id) (hostile): ") && $0.hasSuffix("suppressed") }
        #expect(about.count <= 10, "\(about.count) messages about the hostile domain: \(about)")
        #expect(about.count == 10, "the burst: \(about)")
        let flood = out.components(separatedBy: "[hostile] hostile: console flood").count - 1
        // 64 at once, then one each 10 ms of the domain's time; it writes 100 in a round.
        #expect(flood >= 64 && flood < 80, "\(flood) console_io lines of the hostile domain")
        #expect(suppressed.contains { $0.hasSuffix("console lines suppressed") }, "\(hv.log.suffix(20))")
        #expect(!out.contains("\u{1b}"), "an escape reached the console")
        #expect(out.contains("[hostile] hostile: console flood [2J00"), "\(out.suffix(2000))")
        print("hostile: \(about.count) messages, \(flood) console lines shown; \(suppressed)")
    }

    @Test func fatalDomainIsCrashedAlone() throws {
        let (m, stop, out) = try H.run([try Self.domain("crasher"), try Self.domain("hello")], pcpus: 1, limit: 20_000_000)
        #expect(out.contains("[hello] xenguest hello: PASS"), "\(out)")
        #expect(!out.contains("crasher: still alive"), "\(out)")
        #expect(stop == .poweredOff(status: 0), "\(stop)")
        let hv = try #require(m.hypervisor)
        guard case .crashed(let reason) = hv.domains[0].state else { Issue.record("crasher: \(hv.domains[0].state)"); return }
        #expect(reason.contains("own vectors"), "\(reason)")
        #expect(hv.log.contains { $0.contains("domain 1 (crasher) crashed") }, "\(hv.log)")
        #expect(hv.domains[1].state == .shutdown(reason: 0))
    }
}
