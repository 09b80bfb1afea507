import Foundation
import Testing
import Machine

/// Runs hvsim and types each of `lines` after the next shell prompt appears on its output,
/// as a person would; returns (status, stdout, stderr).
func runHVSimInteractively(_ args: [String], lines: [String], prompt: String = "# ") throws -> (Int32, String, String) {
    let (p, inPipe, out, err) = try launchHVSim(args)
    var output = Data()
    var pending = lines[...]
    var seen = 0                                     // prompts answered so far
    while true {
        let chunk = out.fileHandleForReading.availableData
        if chunk.isEmpty { break }                   // end of output: hvsim exited
        output.append(chunk)
        let text = String(decoding: output, as: UTF8.self)
        let prompts = text.components(separatedBy: prompt).count - 1
        while seen < prompts, let line = pending.first {
            inPipe.fileHandleForWriting.write(Data((line + "\n").utf8))
            pending = pending.dropFirst()
            seen += 1
        }
    }
    try? inPipe.fileHandleForWriting.close()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

@Suite(.serialized) struct RecordReplayTests {
    private func temp(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("hvsim-rr-\(getpid())-\(name)").path
    }

    /// The number that follows `words` in `text`.
    private func count(after words: String, in text: String) -> UInt64? {
        guard let r = text.range(of: words + " ") else { return nil }
        return UInt64(text[r.upperBound...].prefix { $0.isNumber })
    }

    /// An interactive Linux session (commands typed on the serial port, the RTC from the host
    /// clock) replays to the same console output and final state.
    @Test func linuxSessionReplaysExactly() throws {
        try LinuxImages.require()
        let log = temp("linux.hvrec")
        defer { try? FileManager.default.removeItem(atPath: log) }
        let run = ["--kernel", LinuxImages.kernel, "--initrd", LinuxImages.initrd, "--append", "console=ttyAMA0",
                   "--ram", "1G", "--cpus", "2", "--rtc", "host"]
        let typed = ["echo typed-$((6*7))", "date +%s", "head -c 8 /dev/hwrng | od -An -tx1", "poweroff -f"]
        let (status, recorded, err) = try runHVSimInteractively(["record", "-o", log] + run, lines: typed)
        #expect(status == 0, "\(err)")
        #expect(recorded.contains("typed-42"), "\(recorded.suffix(500))")
        let size = (try FileManager.default.attributesOfItem(atPath: log)[.size] as? Int) ?? 0
        #expect(size > 0 && size < 200_000, "recording of \(size) bytes")

        let (rstatus, replayed, rerr) = try runHVSim(["replay", log], input: "")
        #expect(rstatus == 0, "\(rerr)")
        #expect(rerr.contains("replay matches the recording"), "\(rerr)")
        #expect(replayed == recorded)

        // A typed byte changed in the log: the shell reads another command, and the replay
        // stops at the first fingerprint after it, naming the instructions between which
        // the run went another way.
        var changed = try RunLog(bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: log))), name: log)
        let k = try #require(changed.events.firstIndex { $0.kind == .input && $0.payload.contains(UInt8(ascii: "6")) })
        let six = try #require(changed.events[k].payload.firstIndex(of: UInt8(ascii: "6")))
        changed.events[k].payload[six] = UInt8(ascii: "7")
        let f = temp("changed.hvrec")
        defer { try? FileManager.default.removeItem(atPath: f) }
        try Data(try changed.encoded()).write(to: URL(fileURLWithPath: f))
        let (d, _, dErr) = try runHVSim(["replay", f], input: "")
        #expect(d == 1 && dErr.contains("replay diverged: ") && dErr.contains("(the last fingerprint that matched; there: cpu0 EL1 pc 0x"), "\(dErr)")
        let after = try #require(count(after: "after instruction", in: dErr)), by = try #require(count(after: "by instruction", in: dErr))
        #expect(by > after && by - after <= (1 << 20) + 4096, "\(dErr)")
    }

    /// A run of the hosted hypervisor with two Linux domUs replays with every fingerprint
    /// and checkpoint matching (what each domain prints is fingerprinted; the hypervisor's
    /// own notices, some of which depend on the host's terminal, are not).
    @Test func hypervisorRunReplays() throws {
        try LinuxImages.require()
        let log = temp("xen.hvrec")
        defer { try? FileManager.default.removeItem(atPath: log) }
        let (status, _, err) = try runHVSim(["record", "-o", log, "--hypervisor", "--config",
                                             Repo.path("examples/hypervisor/linux.cfg"), "--max-insns", "200000000"], input: "")
        #expect(status == 4, "\(err)")   // stopped at --max-insns
        let (r, _, rErr) = try runHVSim(["replay", log], input: "")
        #expect(r == 4 && rErr.contains("replay matches the recording (") && !rErr.contains("(0 fingerprints"), "\(rErr)")
    }

    /// Bad recordings are refused with one clear line and status 2; a recording whose
    /// checkpoint does not match what the run computes is reported as a divergence.
    @Test func badRecordingsAreRefused() throws {
        let guest = Repo.path("images/cache/baremetal/smp.elf")
        let log = temp("smp.hvrec")
        defer { try? FileManager.default.removeItem(atPath: log) }
        let (status, _, err) = try runHVSim(["record", "-o", log, "--checkpoint-every", "1", "--el", "2",
                                             "--semihosting", "--cpus", "2", "--kernel", guest], input: "")
        #expect(status == 0, "\(err)")
        let good = [UInt8](try Data(contentsOf: URL(fileURLWithPath: log)))
        let (ok, _, okErr) = try runHVSim(["replay", log], input: "")
        #expect(ok == 0, "\(okErr)")

        func refused(_ bytes: [UInt8], _ text: String) throws {
            try expectRefusedFile(bytes, { ["replay", $0] }, mentioning: text)
        }
        try refused(Array(good.prefix(good.count / 2)), "checksum")
        var flipped = good
        flipped[good.count / 2] ^= 0x40
        try refused(flipped, "checksum")
        var version = good
        version[8] = 9
        try refused(version, "version 9")
        try refused(Array("#!/bin/sh\necho not a recording\n".utf8), "not an hvsim recording")

        // A well-formed recording of a different state: the replay says where it diverged.
        var tampered = try RunLog(bytes: good, name: "good")
        let k = try #require(tampered.events.firstIndex { $0.kind == .checkpoint })
        tampered.events[k].payload[0] ^= 1
        let f = temp("tampered.hvrec")
        defer { try? FileManager.default.removeItem(atPath: f) }
        try Data(try tampered.encoded()).write(to: URL(fileURLWithPath: f))
        let (d, _, dErr) = try runHVSim(["replay", f], input: "")
        #expect(d == 1 && dErr.contains("replay diverged: state differs at checkpoint"), "\(dErr)")
        #expect(dErr.contains("the CPU registers") && !dErr.contains("RAM"), "\(dErr)")

        // Only the RAM hash differs: the replay names RAM.
        var ram = try RunLog(bytes: good, name: "good")
        ram.events[k].payload[8] ^= 1
        try Data(try ram.encoded()).write(to: URL(fileURLWithPath: f))
        let (r, _, rErr) = try runHVSim(["replay", f], input: "")
        #expect(r == 1 && rErr.contains("state differs at checkpoint") && rErr.hasSuffix(": RAM\n"), "\(rErr)")

        // A fingerprint that does not match: the replay stops there and says between which
        // instruction counts the state went another way.
        let (fs, _, fErr) = try runHVSim(["record", "-o", log, "--fingerprint-every", "4096", "--el", "2",
                                          "--semihosting", "--cpus", "2", "--kernel", guest], input: "")
        #expect(fs == 0, "\(fErr)")
        var printed = try RunLog(bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: log))), name: log)
        #expect(printed.header.fingerprintEvery == 4096)
        let p = try #require(printed.events.firstIndex { $0.kind == .fingerprints })
        try #require(printed.events[p].payload.count >= 12)
        printed.events[p].payload[8] ^= 1     // its third fingerprint
        try Data(try printed.encoded()).write(to: URL(fileURLWithPath: f))
        let (x, _, xErr) = try runHVSim(["replay", f], input: "")
        #expect(x == 1 && xErr.contains("the state first differs from the recording (the CPUs or what reached the devices) after instruction"), "\(xErr)")
        #expect(xErr.contains(", where the replay has cpu0 EL2 pc 0x"), "\(xErr)")
        // The second fingerprint matched, the third did not: each at the first block boundary
        // after 2 × 4096 and 3 × 4096 instructions.
        let matched = try #require(count(after: "after instruction", in: xErr)), by = try #require(count(after: "by instruction", in: xErr))
        #expect((8192..<8192 + 4096).contains(matched) && (12288..<12288 + 4096).contains(by), "\(xErr)")
        let (y, _, yErr) = try runHVSim(["replay", log], input: "")
        #expect(y == 0 && yErr.contains("replay matches the recording (") && !yErr.contains("(0 fingerprints"), "\(yErr)")

        // Fingerprints every instruction (record and replay step one at a time): the replay
        // names the one instruction after which the state went another way.
        let (es, _, eErr) = try runHVSim(["record", "-o", log, "--fingerprint-every", "1", "--el", "2",
                                          "--semihosting", "--cpus", "2", "--kernel", guest], input: "")
        #expect(es == 0, "\(eErr)")
        var each = try RunLog(bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: log))), name: log)
        let (e0, _, e0Err) = try runHVSim(["replay", log], input: "")
        #expect(e0 == 0, "\(e0Err)")
        let q = try #require(each.events.firstIndex { $0.kind == .fingerprints })
        try #require(each.events[q].payload.count > 4 * 5001)
        each.events[q].payload[4 * 5000] ^= 1     // the fingerprint after instruction 5001
        try Data(try each.encoded()).write(to: URL(fileURLWithPath: f))
        let (z, _, zErr) = try runHVSim(["replay", f], input: "")
        #expect(z == 1 && zErr.contains("after instruction 5000 (the last fingerprint that matched; there: cpu0 EL2 pc 0x"), "\(zErr)")
        #expect(zErr.contains("and by instruction 5001, where the replay has cpu0 EL2 pc 0x"), "\(zErr)")
    }

    /// A file's identity is hashed in pieces; the pieces' sizes do not change the hash.
    @Test func streamedHashEqualsWholeHash() {
        let bytes = (0..<10_007).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }
        var whole = StateHasher()
        bytes.withUnsafeBytes { whole.add(bytes: $0.baseAddress!, count: bytes.count) }
        for piece in [1, 3, 8, 13, 4096, 20_000] {
            var s = StateHasher.Stream()
            var at = 0
            while at < bytes.count { let n = min(piece, bytes.count - at); s.add(Data(bytes[at..<(at + n)])); at += n }
            #expect(s.value == whole.value && s.count == UInt64(bytes.count), "pieces of \(piece)")
        }
    }

    /// The digest kept from touched pages equals a hash of all of RAM made afresh, after the
    /// guest's stores (fast path, through write TLB entries) and after a host write.
    @Test func ramDigestFollowsEveryWrite() throws {
        let m = try LoopGuest.machine()
        let digest = RAMDigest(machine: m)
        let start = digest.value
        _ = m.run(limit: 1000)
        let after = digest.update()
        #expect(after != start)
        #expect(after == RAMDigest(machine: m).value)
        _ = m.run(limit: 1001)                               // the TLB entry was dropped: marked again
        let later = digest.update()
        #expect(later != after && later == RAMDigest(machine: m).value)
        #expect(m.bus.write(0x4100_0000, size: 8, value: 0x1234, cpu: 0))
        #expect(digest.update() == RAMDigest(machine: m).value)
        #expect(m.bus.write(0x4100_0000, size: 8, value: 0, cpu: 0))   // back to zero: as before
        #expect(digest.update() == later)
    }

    @Test func replayRefusesAChangedImage() throws {
        let original = Repo.path("images/cache/baremetal/tlb.elf")
        let copy = temp("tlb.elf")
        let log = temp("tlb.hvrec")
        defer { for f in [copy, log] { try? FileManager.default.removeItem(atPath: f) } }
        try? FileManager.default.removeItem(atPath: copy)
        try FileManager.default.copyItem(atPath: original, toPath: copy)
        let (status, _, err) = try runHVSim(["record", "-o", log, "--el", "2", "--semihosting", "--kernel", copy], input: "")
        #expect(status == 0, "\(err)")
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: copy))
        try h.seekToEnd()
        h.write(Data([0]))
        try h.close()
        let (s, _, e) = try runHVSim(["replay", log], input: "")
        #expect(s == 2 && e.contains("not the file the recording was made with"), "\(e)")
    }
}
