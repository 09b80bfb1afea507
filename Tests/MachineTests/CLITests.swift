import Foundation
import Testing

/// Bad input gets one clear line on stderr and exit status 2, never a crash.
@Suite struct CommandLine {
    private func expectRefused(_ args: [String], mentioning text: String) throws {
        let (status, _, err) = try runHVSim(args)
        #expect(status == 2, "stderr: \(err)")
        #expect(err.hasPrefix("hvsim: error: "), "stderr: \(err)")
        #expect(err.contains(text), "stderr: \(err)")
        #expect(err.split(separator: "\n").count == 1, "stderr: \(err)")
    }

    private func temp(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hvsim-cli-\(getpid())-\(name)")
        try Data(bytes).write(to: url)
        return url.path
    }

    @Test func missingFile() throws {
        try expectRefused(["run", "--kernel", "/nonexistent/kernel"], mentioning: "no such file")
    }

    @Test func emptyFile() throws {
        try expectRefused(["run", "--kernel", try temp("empty", [])], mentioning: "empty")
    }

    @Test func garbageFile() throws {
        let junk = (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919) }
        try expectRefused(["run", "--kernel", try temp("junk", junk)], mentioning: "not an AArch64 ELF")
    }

    @Test func truncatedELF() throws {
        let elf = try Data(contentsOf: URL(fileURLWithPath: Repo.path("images/cache/baremetal/tlb.elf")))
        try expectRefused(["run", "--kernel", try temp("trunc", Array(elf.prefix(300)))], mentioning: "ELF")
        try expectRefused(["run", "--kernel", try temp("trunc2", Array(elf.prefix(40)))], mentioning: "truncated")
    }

    @Test func wrongMachineELF() throws {
        var elf = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Repo.path("images/cache/baremetal/tlb.elf"))))
        elf[18] = 62   // EM_X86_64
        try expectRefused(["run", "--kernel", try temp("x86", elf)], mentioning: "not AArch64")
    }

    @Test func badOptions() throws {
        try expectRefused(["run", "--kernel", "x", "--bogus"], mentioning: "--bogus")
        try expectRefused(["run", "--kernel", "x", "--ram", "lots"], mentioning: "--ram")
        try expectRefused(["run", "--kernel", Repo.path("images/cache/baremetal/tlb.elf"), "--cpus", "0"],
                          mentioning: "--cpus")
        try expectRefused(["run", "--kernel", Repo.path("images/cache/baremetal/tlb.elf"), "--ram", "1M"],
                          mentioning: "outside guest RAM")
    }

    @Test func initrdLargerThanRAM() throws {
        let big = [UInt8](repeating: 0x5a, count: 40 << 20)
        try expectRefused(["run", "--kernel", Repo.path("images/cache/baremetal/tlb.elf"), "--ram", "32M",
                           "--initrd", try temp("big-initrd", big)], mentioning: "does not fit")
    }

    @Test func brokenDeviceTree() throws {
        let tlb = Repo.path("images/cache/baremetal/tlb.elf")
        try expectRefused(["run", "--kernel", tlb, "--dtb", try temp("junk-dtb", [UInt8](repeating: 7, count: 64))],
                          mentioning: "device tree")
        // A real blob cut short.
        let dtb = FileManager.default.temporaryDirectory.appendingPathComponent("hvsim-cli-\(getpid())-board.dtb").path
        let (status, _, err) = try runHVSim(["run", "--kernel", tlb, "--dump-dtb", dtb])
        #expect(status == 0, "\(err)")
        let blob = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dtb)))
        #expect(blob.count > 512 && blob.prefix(4) == [0xd0, 0x0d, 0xfe, 0xed])
        try expectRefused(["run", "--kernel", tlb, "--dtb", try temp("cut-dtb", Array(blob.prefix(blob.count / 2)))],
                          mentioning: "device tree")
    }

    @Test func badDeviceOptions() throws {
        let tlb = Repo.path("images/cache/baremetal/tlb.elf")
        try expectRefused(["run", "--kernel", tlb, "--gic", "4"], mentioning: "--gic")
        try expectRefused(["run", "--kernel", tlb, "--serial", "telnet:1234"], mentioning: "--serial")
        try expectRefused(["run", "--kernel", tlb, "--drive", "/nonexistent/disk.img"], mentioning: "/nonexistent/disk.img")
        try expectRefused(["run", "--kernel", tlb, "--drive", "x.img,cache=none"], mentioning: "--drive")
        try expectRefused(["run", "--kernel", tlb, "--rtc", "yesterday"], mentioning: "--rtc")
    }

    @Test func profile() throws {
        let tlb = Repo.path("images/cache/baremetal/tlb.elf")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("hvsim-cli-\(getpid())-profile.txt").path
        let (status, _, err) = try runHVSim(["run", "--el", "2", "--semihosting", "--kernel", tlb,
                                             "--profile", out, "--profile-every", "5000"])
        #expect(status == 0 && err.contains("guest profile of"), "\(err)")
        let report = try String(contentsOfFile: out, encoding: .utf8)
        // The ELF's own symbols name the places.
        #expect(report.hasPrefix("# hvsim guest profile:") && report.contains("  pool_alloc\n"), "\(report)")
        try expectRefused(["run", "--kernel", tlb, "--profile-every", "100"], mentioning: "--profile")
        try expectRefused(["run", "--kernel", tlb, "--profile", out, "--profile-every", "0"], mentioning: "--profile-every")
        try expectRefused(["run", "--kernel", tlb, "--profile", out, "--profile-symbols", "/nonexistent/System.map"],
                          mentioning: "/nonexistent/System.map")
        try expectRefused(["run", "--kernel", tlb, "--profile", out, "--profile-symbols", try temp("no-syms", Array("hello\n".utf8))],
                          mentioning: "no text symbols")
    }

    @Test func guestStatusIsTheExitStatus() throws {
        let (ok, out, _) = try runHVSim(["run", "--el", "2", "--semihosting",
                                         "--kernel", Repo.path("images/cache/baremetal/tlb.elf")])
        #expect(ok == 0)
        #expect(out.contains("PASS tlb"))
        let (fail, _, _) = try runHVSim(["run", "--el", "1", "--semihosting",
                                         "--kernel", Repo.path("images/cache/bench/hash.elf")])
        #expect(fail == 1)
    }

    @Test func instructionTrace() throws {
        let (status, _, err) = try runHVSim(["run", "--el", "2", "--semihosting", "--trace", "insn", "--max-insns", "50",
                                             "--kernel", Repo.path("images/cache/baremetal/tlb.elf")])
        #expect(status == 4)
        let lines = err.split(separator: "\n").filter { $0.hasPrefix("cpu0 EL2 0x4008") }
        #expect(lines.count >= 40, "\(err)")
        // Capstone's text for each instruction follows the address and the word.
        #expect(lines.allSatisfy { $0.split(separator: " ").count >= 5 }, "\(err)")
    }
}
