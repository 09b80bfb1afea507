import Testing
import Foundation
@testable import Machine
import Hypervisor

/// Demonstrations of the hosted hypervisor with bare-metal domUs (images/xenguest):
/// two domains talking over an inter-domain event channel and a shared grant page, and
/// hostile domains next to well-behaved ones.
@Suite(.serialized) struct HypervisorDemoTests {
    typealias H = HostedHypervisorTests

    static func domain(_ name: String, image: String? = nil, mib: UInt64 = 16) throws -> DomainConfig {
        var d = DomainConfig(name: name, memoryKiB: mib << 10, vcpus: 1, kernel: .file(try H.guest(image ?? name)))
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
}
