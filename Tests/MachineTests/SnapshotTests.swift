import Foundation
import Testing
import Machine

/// `--snapshot-at N` writes the whole machine; `--restore FILE` continues exactly as the
/// original run did (same console output from there, same final state and instruction count).
@Suite(.serialized) struct SnapshotTests {
    private func temp(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("hvsim-snap-\(getpid())-\(name)").path
    }

    private func finalHash(_ err: String) -> String? {
        err.split(separator: "\n").first { $0.hasPrefix("hvsim: final state hash ") }.map(String.init)
    }

    @Test func restoredLinuxRunEndsInTheSameState() throws {
        try LinuxImages.require()
        let snap = temp("linux.hvsnap")
        defer { try? FileManager.default.removeItem(atPath: snap) }
        let run = ["run", "--kernel", LinuxImages.kernel, "--initrd", LinuxImages.initrd,
                   "--append", "console=ttyAMA0 hvsim.poweroff", "--ram", "1G", "--cpus", "2", "--stats"]
        let (a, outA, errA) = try runHVSim(run + ["--snapshot-at", "700000000", "--snapshot-file", snap])
        #expect(a == 0, "\(errA)")
        #expect(errA.contains("hvsim: snapshot after"), "\(errA)")
        let size = (try FileManager.default.attributesOfItem(atPath: snap)[.size] as? Int) ?? 0
        // RAM is kept sparsely: far less than the guest's 1 GiB.
        #expect(size > 1 << 20 && size < 300 << 20, "snapshot of \(size) bytes")

        let (b, outB, errB) = try runHVSim(["run", "--restore", snap, "--stats"])
        #expect(b == 0, "\(errB)")
        #expect(!outB.isEmpty && outA.hasSuffix(outB), "restored output:\n\(outB.suffix(300))")
        #expect(outB.contains(LinuxImages.marker))
        let hashA = finalHash(errA), hashB = finalHash(errB)
        #expect(hashA != nil && hashA == hashB, "\(errA)\n---\n\(errB)")
        // Taking the snapshot did not change the run: it ends as one that took none.
        let (c, outC, errC) = try runHVSim(run)
        #expect(c == 0 && outC == outA && finalHash(errC) == hashA, "\(errA)\n---\n\(errC)")
    }

    /// A snapshot at a guest time, and one asked for from the console (Ctrl-A s), restore to
    /// the same end as the run that saved them.
    @Test func guestTimeAndConsoleSnapshots() throws {
        try LinuxImages.require()
        let run = ["run", "--kernel", LinuxImages.kernel, "--initrd", LinuxImages.initrd,
                   "--append", "console=ttyAMA0 hvsim.poweroff", "--ram", "1G", "--stats"]
        let (_, _, plain) = try runHVSim(run)
        for (how, input) in [(["--snapshot-at", "2.5s"], ""), ([String](), "\u{1}s")] {
            let snap = temp("t.hvsnap")
            defer { try? FileManager.default.removeItem(atPath: snap) }
            let (a, _, errA) = try runHVSim(run + how + ["--snapshot-file", snap], input: input)
            #expect(a == 0 && errA.contains("hvsim: snapshot after"), "\(errA)")
            let (b, _, errB) = try runHVSim(["run", "--restore", snap, "--stats"], input: "")
            #expect(b == 0, "\(errB)")
            #expect(finalHash(errA) != nil && finalHash(errA) == finalHash(errB), "\(errA)\n---\n\(errB)")
            #expect(finalHash(errA) == finalHash(plain), "\(errA)\n---\n\(plain)")
        }
        let (bad, _, badErr) = try runHVSim(run + ["--snapshot-at", "5parsecs"])
        #expect(bad == 2 && badErr.contains("--snapshot-at"), "\(badErr)")
    }

    /// A program that rewrites its own code after the snapshot: restored into the machine that
    /// saved it (as gdb's reverse execution and the tests do), it runs the code the snapshot's
    /// RAM holds, not what was decoded from the later RAM.
    @Test func restoreIntoAMachineThatRanForgetsDecodedCode() throws {
        let code: [UInt32] = [
            0x9400_0008,    // 00: bl f          x0 = 1
            0xaa00_03e3,    // 04: mov x3, x0
            0x1000_00c1,    // 08: adr x1, f
            0x1800_00e2,    // 0c: ldr w2, new
            0xb900_0022,    // 10: str w2, [x1]  f becomes "mov x0, #2"
            0x9400_0003,    // 14: bl f          x0 = 2
            0x1400_0000,    // 18: b .
            0xd503_201f,    // 1c: nop
            0xd280_0020,    // 20: f: mov x0, #1
            0xd65f_03c0,    // 24: ret
            0xd280_0040,    // 28: new: mov x0, #2
        ]
        let file = temp("selfmod.bin")
        defer { try? FileManager.default.removeItem(atPath: file) }
        try Data(code.flatMap { w in (0..<4).map { UInt8(truncatingIfNeeded: w >> (8 * $0)) } }).write(to: URL(fileURLWithPath: file))
        let m = try Machine(MachineConfig())
        try m.loadKernel(path: file, raw: true)
        let start = m.saveState()
        for round in 0..<2 {
            #expect(m.run(limit: 100) == .instructionLimit)
            #expect(m.cpus[0][3] == 1 && m.cpus[0][0] == 2, "round \(round): x3 \(m.cpus[0][3]), x0 \(m.cpus[0][0])")
            try m.restoreState(start)
        }
    }

    @Test func badSnapshotsAreRefused() throws {
        let snap = temp("smp.hvsnap")
        defer { try? FileManager.default.removeItem(atPath: snap) }
        let (s, _, e) = try runHVSim(["run", "--el", "2", "--semihosting", "--cpus", "2", "--snapshot-at", "20000",
                                      "--snapshot-file", snap, "--kernel", Repo.path("images/cache/baremetal/smp.elf")])
        #expect(s == 0, "\(e)")
        let good = [UInt8](try Data(contentsOf: URL(fileURLWithPath: snap)))
        let (ok, _, okErr) = try runHVSim(["run", "--restore", snap])
        #expect(ok == 0, "\(okErr)")
        func refused(_ bytes: [UInt8], _ text: String) throws {
            try expectRefusedFile(bytes, { ["run", "--restore", $0] }, mentioning: text)
        }
        try refused(Array(good.prefix(good.count - 100)), "checksum")
        var flipped = good
        flipped[good.count / 3] ^= 1
        try refused(flipped, "checksum")
        var version = good
        version[8] = 7
        try refused(version, "version 7")
        try refused(Array("not a snapshot at all".utf8), "not an hvsim snapshot")
        let (noKernel, _, nkErr) = try runHVSim(["run", "--ram", "1G"])
        #expect(noKernel == 2 && nkErr.contains("--kernel"), "\(nkErr)")
    }
}
