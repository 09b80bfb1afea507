import Testing
import Foundation
@testable import Machine
import Hypervisor

/// Hypercall continuations (images/xenguest/batch): a 20000-element GNTTABOP_copy, a
/// 3000-element map batch and a 6000-byte console write complete correctly in pieces, and
/// another domain runs between the pieces.
@Suite(.serialized) struct HostedContinuationTests {
    typealias H = HostedHypervisorTests

    /// Runs batch (and `others`) until batch stopped; the grant_table_op calls batch made
    /// (one per piece), and `watch`'s run time at the first and the last of them.
    func run(pcpus: Int, others: [DomainConfig] = []) throws -> (out: String, gnttabCalls: Int, watched: [UInt64]) {
        let batch = try H.consoleGuest("batch", vcpus: 1)
        var mc = MachineConfig()
        mc.cpus = pcpus
        mc.ramSize = 256 << 20
        let m = try Machine(mc)
        try m.bootHypervisor(HypervisorConfig(pcpus: pcpus, domains: [batch] + others))
        let hv = try #require(m.hypervisor)
        var calls = 0, watched: [UInt64] = []
        hv.onHypercall = { [unowned hv] _, v, op, cmd, result in
            guard v.domain.id == 1, op == 20 else { return }
            calls += 1
            // The copy batch: its first and last piece (cmd 5 in x0 each time).
            if cmd == 5, let o = hv.domains.dropFirst().first { watched.append(hv.runTicks(o.vcpus[0])) }
        }
        while m.instructions < 100_000_000 && hv.domains[0].state == .running {
            if m.run(limit: 2_000_000) != .instructionLimit { break }
        }
        let out = m.domainConsoles.output(of: "batch")
        #expect(out.contains("batch: 20000 copies checked (21 refused)"), "\(out)")
        #expect(out.contains("batch: 3000 refused maps checked"), "\(out)")
        #expect(out.contains("batch: PASS"), "\(out)")
        #expect(hv.domains[0].state == .shutdown(reason: 0), "\(hv.domains[0].state)")
        // The console write arrived whole, in order.
        for l in 0..<30 {
            let line = String((0..<199).map { Character(UnicodeScalar(UInt8(97 + (l + $0) % 26))) })
            #expect(out.contains(line + "\r\n") || out.contains(line + "\n"), "line \(l)")
        }
        return (out, calls, watched)
    }

    @Test func longBatchesCompleteInPieces() throws {
        let (_, calls, _) = try run(pcpus: 1)
        // 20000 copies and 3000 maps in pieces of 256: 79 + 12 calls, and the five bad ones.
        #expect(calls == 79 + 12 + 5, "\(calls) grant_table_op calls")
    }

    /// On two pCPUs a busy domain runs on the other pCPU while the copy batch is in pieces:
    /// its run time grows between the first piece and the last.
    @Test func anotherDomainRunsBetweenThePieces() throws {
        let busy = DomainConfig(name: "busy", memoryKiB: 16 << 10, vcpus: 1, kernel: .file(try H.guest("busy")))
        let (_, _, watched) = try run(pcpus: 2, others: [busy])
        let copyPieces = watched.prefix(79)
        #expect(copyPieces.count == 79)
        let grew = (copyPieces.last ?? 0) - (copyPieces.first ?? 0)
        print("busy ran \(grew) ticks while the copy batch was continued")
        #expect(grew > 100_000, "busy ran \(grew) ticks during the batch")
    }
}
