import Testing
import Foundation
@testable import Machine
import Emu
import Hypervisor

/// Snapshots of a machine running the hosted hypervisor: saved part way, restored into a
/// machine freshly booted from the same configuration (or into the one that saved it), the
/// run goes on exactly as the original did: same console output from there, same final
/// state hash, instruction count, and hypervisor state.
@Suite(.serialized) struct HypervisorSnapshotTests {
    typealias H = HostedHypervisorTests

    final class Output { var bytes: [UInt8] = [] }

    static func boot(_ config: HypervisorConfig) throws -> (Machine, Output) {
        var mc = MachineConfig()
        mc.cpus = config.pcpus
        mc.ramSize = 256 << 20
        let m = try Machine(mc)
        let out = Output()
        m.console = { out.bytes.append($0) }
        try m.bootHypervisor(config)
        return (m, out)
    }

    /// What a run ended with.
    struct End: Equatable {
        var stop: StopReason
        var instructions: UInt64
        var hash: UInt64
        var hypervisor: [UInt8]
        var domains: [String]
        var description: String
    }

    static func end(_ m: Machine, _ stop: StopReason) -> End {
        var w = StateWriter()
        m.hypervisor!.save(&w)
        return End(stop: stop, instructions: m.instructions, hash: m.stateHash(memory: true), hypervisor: w.bytes,
                   domains: m.hypervisor!.domains.map { m.domainConsoles.output(of: $0.name) },
                   description: m.hypervisor!.stateDescription)
    }

    /// Runs `config` to `limit` instructions (or until it stops) with a snapshot after `at`;
    /// restores the snapshot into a new machine and runs that to the same end.
    static func roundTrip(_ config: HypervisorConfig, at: UInt64, limit: UInt64) throws -> (End, String, rest: String) {
        let (a, outA) = try boot(config)
        #expect(a.run(limit: at) == .instructionLimit)
        let snapshot = a.saveState(), saved = a.instructions
        let mark = outA.bytes.count
        let endA = end(a, a.run(limit: limit - a.instructions))

        let (b, outB) = try boot(config)
        try b.restoreState(snapshot)
        #expect(b.instructions == saved)
        let endB = end(b, b.run(limit: limit - b.instructions))
        let restA = String(decoding: outA.bytes[mark...], as: UTF8.self)
        let restB = String(decoding: outB.bytes, as: UTF8.self)
        #expect(restA == restB, "restored output:\n\(restB.suffix(800))\n--- original:\n\(restA.suffix(800))")
        #expect(endA.stop == endB.stop)
        #expect(endA.instructions == endB.instructions)
        #expect(endA.hash == endB.hash)
        #expect(endA.domains == endB.domains)
        #expect(endA.description == endB.description, "\(endA.description)\n---\n\(endB.description)")
        #expect(endA.hypervisor == endB.hypervisor, "hypervisor state differs at the end")

        // The same snapshot restored into the machine that saved it (as gdb's reverse
        // execution does) ends there too.
        try a.restoreState(snapshot)
        let endC = end(a, a.run(limit: limit - a.instructions))
        #expect(endC.hash == endA.hash && endC.instructions == endA.instructions && endC.hypervisor == endA.hypervisor)
        return (endA, String(decoding: outA.bytes, as: UTF8.self), restA)
    }

    static func domain(_ image: String) throws -> DomainConfig { try H.consoleGuest(image, vcpus: 1) }

    @Test func pingPongUnderCredit2RestoresExactly() throws {
        let config = HypervisorConfig(pcpus: 2, scheduler: .credit2, domains: [try Self.domain("ping"), try Self.domain("pong")])
        let (end, out, rest) = try Self.roundTrip(config, at: 1_200_000, limit: 2_000_000_000)
        #expect(rest.contains("1000 rounds verified"), "the snapshot was taken too late: \(rest)")
        #expect(end.stop == .poweredOff(status: 0), "\(end.stop)")
        #expect(out.contains("[ping] ping: 1000 rounds verified, PASS"), "\(out.suffix(2000))")
        #expect(out.contains("[pong] pong: 1000 rounds answered, PASS"))
        print("ping-pong credit2: \(end.instructions) instructions")
    }

    @Test func pingPongUnderNullSchedulerRestoresExactly() throws {
        let config = HypervisorConfig(pcpus: 2, scheduler: .null, domains: [try Self.domain("ping"), try Self.domain("pong")])
        let (end, out, rest) = try Self.roundTrip(config, at: 1_200_000, limit: 2_000_000_000)
        #expect(rest.contains("1000 rounds verified"), "the snapshot was taken too late: \(rest)")
        #expect(end.stop == .poweredOff(status: 0), "\(end.stop)")
        #expect(out.contains("[ping] ping: 1000 rounds verified, PASS"), "\(out.suffix(2000))")
        print("ping-pong null: \(end.instructions) instructions")
    }

    /// Credit2 with a cap and weights on one pCPU: budgets, parking and credit resets are
    /// in the snapshot.
    @Test func cappedBusyDomainsRestoreExactly() throws {
        var capped = try HostedSchedulingTests.busy("capped", cap: 25)
        capped.vpl011 = true
        var heavy = try HostedSchedulingTests.busy("heavy", weight: 512)
        heavy.vpl011 = true
        let config = HypervisorConfig(pcpus: 1, scheduler: .credit2, domains: [capped, heavy, try Self.domain("hello")])
        let (end, _, _) = try Self.roundTrip(config, at: 9_000_000, limit: 30_000_000)
        #expect(end.stop == .instructionLimit)
    }

    /// Hypervisor state cut short anywhere is refused with a StateError; a whole snapshot
    /// restored over what those attempts left behind still ends as the original.
    @Test func truncatedHypervisorStateIsRefused() throws {
        let config = HypervisorConfig(pcpus: 2, scheduler: .credit2, domains: [try Self.domain("ping"), try Self.domain("pong")])
        let (a, _) = try Self.boot(config)
        _ = a.run(limit: 1_200_000)
        let state = a.saveState()
        let tag = Array("hypervisor/1".utf8)
        let start = try #require((0...(state.count - tag.count)).first { state[$0..<($0 + tag.count)].elementsEqual(tag) })
        let (b, _) = try Self.boot(config)
        for cut in stride(from: start - 4, to: state.count, by: max(1, (state.count - start) / 250)) {
            #expect(throws: StateError.self) { try b.restoreState(Array(state[..<cut])) }
        }
        try b.restoreState(state)
        let endA = Self.end(a, a.run(limit: 2_000_000_000)), endB = Self.end(b, b.run(limit: 2_000_000_000))
        #expect(endA == endB)
        #expect(endA.stop == .poweredOff(status: 0))
    }

    // MARK: hvsim run --hypervisor --snapshot-at / --restore

    /// A machine file with ping and pong (ping-pong over an event channel and a grant page).
    static func pingPongConfig(sched: String = "credit2") throws -> String {
        let img = { (n: String) in try H.guest(n) }
        let dir = try HypervisorCLITests.directory([
            "machine.cfg": Array("pcpus = 2\nsched = \"\(sched)\"\ndomains = [ \"ping.cfg\", \"pong.cfg\" ]\n".utf8),
            "ping.cfg": HypervisorCLITests.domainFile("ping", kernel: try img("ping")),
            "pong.cfg": HypervisorCLITests.domainFile("pong", kernel: try img("pong")),
        ])
        return dir + "/machine.cfg"
    }

    static func temp(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("hvsim-hvsnap-\(getpid())-\(name)").path
    }

    /// The --stats lines that must agree between a run and its restore: the final state hash,
    /// the instruction count, each domain's line and the hypervisor's state lines.
    static func endLines(_ err: String) -> [String] {
        err.split(separator: "\n").map(String.init).compactMap { line in
            if line.hasPrefix("hvsim: final state hash ") || line.hasPrefix("hvsim: domain ") || line.hasPrefix("hvsim:   ") { return line }
            if line.hasSuffix(" M/s)"), let r = line.range(of: " instructions in ") { return String(line[..<r.lowerBound]) }
            return nil
        }
    }

    @Test(arguments: ["credit2", "null"])
    func cliRestoreEndsInTheSameState(sched: String) throws {
        let cfg = try Self.pingPongConfig(sched: sched)
        let snap = Self.temp("\(sched).hvsnap")
        defer { try? FileManager.default.removeItem(atPath: snap) }
        let run = ["run", "--hypervisor", "--config", cfg, "--stats"]
        let (a, outA, errA) = try runHVSim(run + ["--snapshot-at", "1200000", "--snapshot-file", snap])
        #expect(a == 0, "\(errA)")
        #expect(errA.contains("hvsim: snapshot after"), "\(errA)")
        #expect(outA.contains("[ping] ping: 1000 rounds verified, PASS"), "\(outA)")

        let (b, outB, errB) = try runHVSim(run + ["--restore", snap])
        #expect(b == 0, "\(errB)")
        #expect(outB.contains("[ping] ping: 1000 rounds verified, PASS") && outA.hasSuffix(outB), "restored output:\n\(outB)\n---\n\(outA)")
        let endA = Self.endLines(errA), endB = Self.endLines(errB)
        #expect(endA.count > 4 && endA == endB, "\(errA)\n---\n\(errB)")

        // The options come from the snapshot: --restore alone is enough, and the hypervisor
        // traces may be asked for anew (they follow the restored vCPUs and hypercalls).
        let timeline = Self.temp("\(sched).json")
        defer { try? FileManager.default.removeItem(atPath: timeline) }
        let (c, outC, errC) = try runHVSim(["run", "--restore", snap, "--stats", "--trace", "sched,hvc", "--trace-out", timeline])
        #expect(c == 0 && outC == outB && Self.endLines(errC) == endA, "\(errC)")
        let json = (try? String(contentsOfFile: timeline, encoding: .utf8)) ?? ""
        #expect(json.contains("d1v0") && json.contains("hypercall "), "\(json.prefix(2000))")
    }

    /// `--console-log` with `--restore`: each log file holds what its domain printed up to the
    /// snapshot and the restored run appends to it, so it reads as the whole run: the same
    /// as the saving run's (which went on to the end), also if a file was lost meanwhile.
    @Test func restoredRunContinuesTheConsoleLogs() throws {
        let cfg = try Self.pingPongConfig()
        let snap = Self.temp("logs.hvsnap"), logs = Self.temp("logs")
        defer { for p in [snap, logs] { try? FileManager.default.removeItem(atPath: p) } }
        let (a, _, errA) = try runHVSim(["run", "--hypervisor", "--config", cfg, "--console-log", logs,
                                         "--snapshot-at", "1200000", "--snapshot-file", snap])
        #expect(a == 0, "\(errA)")
        func log(_ name: String) -> String { (try? String(contentsOfFile: "\(logs)/\(name).log", encoding: .utf8)) ?? "<missing>" }
        let ping = log("ping"), pong = log("pong")
        #expect(ping.hasPrefix("ping: ") && ping.contains("ping: 1000 rounds verified, PASS"), "\(ping)")
        #expect(pong.contains("pong: 1000 rounds answered, PASS"), "\(pong)")

        try FileManager.default.removeItem(atPath: "\(logs)/pong.log")
        let (b, _, errB) = try runHVSim(["run", "--restore", snap])
        #expect(b == 0, "\(errB)")
        #expect(log("ping") == ping, "restored ping.log:\n\(log("ping"))\n--- original:\n\(ping)")
        #expect(log("pong") == pong, "restored pong.log:\n\(log("pong"))\n--- original:\n\(pong)")
    }

    /// The snapshot names the domains' images; one changed since is refused (status 2).
    @Test func changedDomainImageIsRefused() throws {
        let pong = Self.temp("pong.img")
        defer { try? FileManager.default.removeItem(atPath: pong) }
        try FileManager.default.copyItem(atPath: try H.guest("pong"), toPath: pong)
        let dir = try HypervisorCLITests.directory([
            "machine.cfg": Array("pcpus = 2\ndomains = [ \"ping.cfg\", \"pong.cfg\" ]\n".utf8),
            "ping.cfg": HypervisorCLITests.domainFile("ping", kernel: try H.guest("ping")),
            "pong.cfg": HypervisorCLITests.domainFile("pong", kernel: pong),
        ])
        let snap = Self.temp("image.hvsnap")
        defer { try? FileManager.default.removeItem(atPath: snap) }
        let (a, _, errA) = try runHVSim(["run", "--hypervisor", "--config", dir + "/machine.cfg", "--snapshot-at", "1200000", "--snapshot-file", snap])
        #expect(a == 0, "\(errA)")
        let h = try #require(FileHandle(forWritingAtPath: pong))
        h.seekToEndOfFile(); h.write(Data([0])); try h.close()
        let (b, _, errB) = try runHVSim(["run", "--restore", snap])
        #expect(b == 2 && errB.contains("domain pong image \(pong) is not the file the snapshot was made with"), "\(errB)")
    }

    /// Ctrl-A s writes a snapshot of a hypervisor run as of a plain one.
    @Test func consoleSnapshotOfAHypervisorRun() throws {
        let cfg = try Self.pingPongConfig()
        let snap = Self.temp("console.hvsnap")
        defer { try? FileManager.default.removeItem(atPath: snap) }
        let (a, _, errA) = try runHVSim(["run", "--hypervisor", "--config", cfg, "--stats", "--snapshot-file", snap], input: "\u{1}s")
        #expect(a == 0 && errA.contains("hvsim: snapshot after"), "\(errA)")
        let (b, _, errB) = try runHVSim(["run", "--restore", snap, "--stats"])
        #expect(b == 0, "\(errB)")
        let endA = Self.endLines(errA), endB = Self.endLines(errB)
        #expect(endA.count > 4 && endA == endB, "\(errA)\n---\n\(errB)")
    }

    /// A snapshot whose hypervisor part is damaged (and whose checksum was made to fit) is
    /// refused with one line naming what is wrong, exit status 2.
    @Test func damagedHypervisorStateIsRefused() throws {
        let cfg = try Self.pingPongConfig()
        let snap = Self.temp("good.hvsnap")
        defer { try? FileManager.default.removeItem(atPath: snap) }
        let (a, _, errA) = try runHVSim(["run", "--hypervisor", "--config", cfg, "--snapshot-at", "1200000", "--snapshot-file", snap])
        #expect(a == 0, "\(errA)")
        let good = try Snapshot(bytes: try Loader.readFile(snap), name: snap)

        func damaged(_ tag: String, _ change: (inout [UInt8], Int) -> Void) throws -> [UInt8] {
            var state = good.state
            let t = Array(tag.utf8)
            let at = try #require((0...(state.count - t.count)).first { state[$0..<($0 + t.count)].elementsEqual(t) })
            change(&state, at + t.count)
            return try Snapshot(header: good.header, state: state).encoded()
        }
        // Nine domains where the configuration has two.
        let nine = try damaged("hypervisor/1") { s, after in s[after] = 9 }
        try expectRefusedFile(nine, { ["run", "--restore", $0] }, mentioning: "cannot restore the snapshot: hypervisor state: 9 domains, where this configuration has 2")
        // Another scheduler's section where Credit2's belongs.
        let other = try damaged("credit2/1") { s, after in s[after - 3] = UInt8(ascii: "7") }
        try expectRefusedFile(other, { ["run", "--restore", $0] }, mentioning: "found \"credit7/1\" where \"credit2/1\" was expected")
        // A domain id that the configuration does not have.
        let five = try damaged("domain/3") { s, after in s[after] = 5 }
        try expectRefusedFile(five, { ["run", "--restore", $0] }, mentioning: "hypervisor state: domain 5 (ping) where this configuration has domain 1 (ping)")
    }
}
