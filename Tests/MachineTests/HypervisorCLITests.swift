import Foundation
import Testing
import Machine
import Hypervisor

/// `hvsim run --hypervisor`: domains from a machine file with xl.cfg domain files, from
/// one xl.cfg file, or from a dom0less device tree with --loader; their consoles, the
/// exit status, and one clear error line (status 2) for bad input.
@Suite(.serialized) struct HypervisorCLITests {
    static var hello: String { Repo.path("images/cache/xenguest/hello.img") }

    /// A fresh directory with the given files.
    static func directory(_ files: [String: [UInt8]]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hvsim-hvcli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, bytes) in files { try Data(bytes).write(to: URL(fileURLWithPath: "\(dir)/\(name)")) }
        return dir
    }

    static func domainFile(_ name: String, memory: Int = 16, kernel: String = hello, extra: String = "") -> [UInt8] {
        Array("name = \"\(name)\"\nmemory = \(memory)\nvcpus = 1\nkernel = \"\(kernel)\"\nvpl011 = 1\n\(extra)".utf8)
    }

    /// A machine file with two domain files, both the hello guest.
    static func machineDirectory(pcpus: Int = 2, extra: String = "") throws -> String {
        try directory([
            "machine.cfg": Array("pcpus = \(pcpus)\nsched = \"credit2\"\ndomains = [ \"alpha.cfg\", \"beta.cfg\" ]\n".utf8),
            "alpha.cfg": domainFile("alpha", extra: extra),
            "beta.cfg": domainFile("beta"),
        ])
    }

    static func requireGuest() throws {
        guard FileManager.default.fileExists(atPath: hello) else { throw MissingImage.file("images/cache/xenguest/hello.img (run images/build-xenguests.sh)") }
    }

    @Test func machineFileBootsBothDomains() throws {
        try Self.requireGuest()
        let dir = try Self.machineDirectory(extra: "on_crash = \"destroy\"\n")
        let logs = dir + "/logs/nested"
        let (status, out, err) = try runHVSim(["run", "--hypervisor", "--config", dir + "/machine.cfg", "--stats",
                                               "--console-log", logs])
        #expect(status == 0, "\(err)")
        #expect(out.contains("[alpha] xenguest hello: PASS"), "\(out)")
        #expect(out.contains("[beta] xenguest hello: PASS"), "\(out)")
        #expect(out.contains("(XEN) input to domain 1 (alpha); Ctrl-A three times switches"), "\(out)")
        // The ignored xl key is a warning; --stats has a line per domain.
        #expect(err.contains("hvsim: warning: \(dir)/alpha.cfg:6:1: 'on_crash' is not supported by hvsim; ignored"), "\(err)")
        #expect(err.contains("hvsim: domain 1 (alpha): shut down (poweroff); vCPU run time "), "\(err)")
        #expect(err.contains("hvsim: domain 2 (beta): shut down (poweroff)"), "\(err)")
        for name in ["alpha", "beta"] {
            let log = try String(contentsOfFile: "\(logs)/\(name).log", encoding: .utf8)
            #expect(log.hasPrefix("xenguest hello: started") && log.contains("xenguest hello: PASS"), "\(log)")
            #expect(!log.contains("[\(name)]"))
        }
    }

    @Test func readmeExampleBoots() throws {
        try Self.requireGuest()
        let (status, out, err) = try runHVSim(["run", "--hypervisor", "--config", Repo.path("examples/hypervisor/machine.cfg")])
        #expect(status == 0 && err.isEmpty, "\(err)")
        #expect(out.contains("[alpha] xenguest hello: PASS") && out.contains("[beta] xenguest hello: PASS"), "\(out)")
    }

    @Test func singleDomainFile() throws {
        try Self.requireGuest()
        let dir = try Self.machineDirectory()
        let (status, out, err) = try runHVSim(["run", "--hypervisor", "--config", dir + "/beta.cfg"])
        #expect(status == 0, "\(err)")
        #expect(out.contains("[beta] xenguest hello: PASS"), "\(out)")
        #expect(!out.contains("[alpha]"))
    }

    /// The dom0less host tree: two pCPUs and /chosen domains whose kernels are modules at
    /// `addresses` (`size` bytes each).
    static func dom0lessTree(addresses: [UInt64], size: UInt64, chosenDomains: Bool = true, memoryKiB: UInt64 = 16 << 10,
                             xenBootargs: String = "console=dtuart sched=credit2") -> [UInt8] {
        let domains = zip(["alpha", "beta"], addresses).map { name, a in
            FDTNode(name, properties: [
                FDTProperty("compatible", string: "xen,domain"),
                FDTProperty("#address-cells", u32: 2), FDTProperty("#size-cells", u32: 1),
                FDTProperty("memory", u64: memoryKiB), FDTProperty("cpus", u32: 1), FDTProperty("vpl011"),
            ], children: [
                FDTNode("module@" + String(a, radix: 16), properties: [
                    FDTProperty("compatible", strings: ["multiboot,kernel", "multiboot,module"]),
                    FDTProperty("reg", cells: [UInt32(a >> 32), UInt32(truncatingIfNeeded: a), UInt32(size)]),
                    FDTProperty("bootargs", string: "console=ttyAMA0"),
                ]),
            ])
        }
        let cpus = FDTNode("cpus", properties: [FDTProperty("#address-cells", u32: 1), FDTProperty("#size-cells", u32: 0)],
                           children: (0..<2).map { FDTNode("cpu@\($0)", properties: [FDTProperty("device_type", string: "cpu"),
                                                                                      FDTProperty("reg", u32: UInt32($0))]) })
        let chosen = FDTNode("chosen", properties: [FDTProperty("xen,xen-bootargs", string: xenBootargs)],
                             children: chosenDomains ? domains : [])
        return DeviceTree(root: FDTNode("", children: [cpus, chosen])).serialize()
    }

    @Test func dom0lessDeviceTreeWithLoaderFiles() throws {
        try Self.requireGuest()
        let size = UInt64(try Data(contentsOf: URL(fileURLWithPath: Self.hello)).count)
        let dir = try Self.directory(["host.dtb": Self.dom0lessTree(addresses: [0x4800_0000, 0x4820_0000], size: size)])
        let (status, out, err) = try runHVSim([
            "run", "--hypervisor", "--dtb", dir + "/host.dtb", "--console-log", dir,
            "--loader", "\(Self.hello)@0x48000000", "--loader", "\(Self.hello)@0x48200000",
        ])
        #expect(status == 0, "\(err)")
        #expect(out.contains("[alpha] xenguest hello: PASS"), "\(out)")
        #expect(out.contains("[beta] xenguest hello: PASS"), "\(out)")
        #expect(try String(contentsOfFile: dir + "/beta.log", encoding: .utf8).contains("xenguest hello: PASS"))
    }

    /// An arm64 Image whose code asks for SCHEDOP_shutdown(SHUTDOWN_crash).
    static func crashingImage() -> [UInt8] {
        var words: [UInt32] = [0x1400_0010]                 // b 64: over the header
        words += [UInt32](repeating: 0, count: 15)
        words[14] = 0x644d_5241                             // "ARM\x64" at byte 56
        words += [0xd2a8_0201,                              // movz x1, #0x4010, lsl #16
                  0x5280_0062,                              // mov w2, #3 (SHUTDOWN_crash)
                  0xb900_0022,                              // str w2, [x1]
                  0xd280_0040,                              // mov x0, #2 (SCHEDOP_shutdown)
                  0xd280_03b0,                              // mov x16, #29 (sched_op)
                  0xd401_d422,                              // hvc #0xea1
                  0x1400_0000]                              // b .
        return words.flatMap { w in (0..<4).map { UInt8(truncatingIfNeeded: w >> (8 * $0)) } }
    }

    @Test func crashedDomainGivesStatus1() throws {
        try Self.requireGuest()
        let dir = try Self.directory([
            "crash.img": Self.crashingImage(),
            "machine.cfg": Array("pcpus = 1\ndomains = [ \"alpha.cfg\", \"bad.cfg\" ]\n".utf8),
            "alpha.cfg": Self.domainFile("alpha"),
            "bad.cfg": Self.domainFile("bad", kernel: "crash.img"),
        ])
        let (status, out, err) = try runHVSim(["run", "--hypervisor", "--config", dir + "/machine.cfg"])
        #expect(status == 1, "\(out)\n\(err)")
        #expect(out.contains("[alpha] xenguest hello: PASS"), "\(out)")
        #expect(err.contains("hvsim: domain 2 (bad) shut down (crash)"), "\(err)")
    }

    @Test func tripleCtrlASwitchesTheInput() throws {
        try Self.requireGuest()
        var mc = MachineConfig()
        mc.ramSize = 128 << 20
        let m = try Machine(mc)
        var out: [UInt8] = []
        m.console = { out.append($0) }
        let domains = ["alpha", "beta"].map { DomainConfig(name: $0, memoryKiB: 16 << 10, vcpus: 1, kernel: .file(Self.hello)) }
        try m.bootHypervisor(HypervisorConfig(pcpus: 1, domains: domains))
        #expect(m.hypervisor?.focusedDomain?.name == "alpha")
        // hello never turns its vpl011 receiver on: the 'a' cannot be delivered, and the
        // switch still happens (dropping it).
        m.type([0x61, 0x01, 0x01, 0x01])
        #expect(m.hypervisor?.focusedDomain?.name == "beta")
        m.type([0x01, 0x01])
        m.type([0x01])
        #expect(m.hypervisor?.focusedDomain?.name == "alpha")
        #expect(String(decoding: out, as: UTF8.self).contains("(XEN) input to domain 2 (beta); Ctrl-A three times switches"))
    }

    /// Two echo guests (images/xenguest/echo): typed bytes reach the domain that has the
    /// input; Ctrl-A three times moves it to the other one.
    @Test func tripleCtrlAOnTheConsoleSwitchesDomains() throws {
        let echo = Repo.path("images/cache/xenguest/echo.img")
        guard FileManager.default.fileExists(atPath: echo) else { throw MissingImage.file("images/cache/xenguest/echo.img (run images/build-xenguests.sh)") }
        let dir = try Self.directory([
            "machine.cfg": Array("pcpus = 2\ndomains = [ \"e1.cfg\", \"e2.cfg\" ]\n".utf8),
            "e1.cfg": Self.domainFile("e1", kernel: echo),
            "e2.cfg": Self.domainFile("e2", kernel: echo),
        ])
        let (p, input, out, err) = try launchHVSim(["run", "--hypervisor", "--config", dir + "/machine.cfg", "--stats"])
        // SIGKILL: hvsim started from the test runner inherits its blocked SIGTERM.
        let pid = p.processIdentifier
        DispatchQueue.global().asyncAfter(deadline: .now() + 120) { if p.isRunning { kill(pid, SIGKILL) } }
        var text = ""
        func wait(for s: String) -> Bool {
            while !text.contains(s) {
                let d = out.fileHandleForReading.availableData
                if d.isEmpty { return false }
                text += String(decoding: d, as: UTF8.self)
            }
            return true
        }
        func type(_ s: String) { input.fileHandleForWriting.write(Data(s.utf8)) }
        #expect(wait(for: "[e1] xenguest echo: ready") && wait(for: "[e2] xenguest echo: ready"), "\(text)")
        #expect(text.contains("(XEN) input to domain 1 (e1); Ctrl-A three times switches"))
        type("a\u{1}\u{1}\u{1}b")
        #expect(wait(for: "[e2] got b"), "\(text)")
        #expect(text.contains("[e1] got a") && text.contains("(XEN) input to domain 2 (e2)"), "\(text)")
        #expect(!text.contains("[e2] got a") && !text.contains("[e1] got b") && !text.contains("got ."), "\(text)")
        type("q")
        #expect(wait(for: "[e2] xenguest echo: bye"), "\(text)")
        // A byte typed between e2's last line and its shutdown would still be e2's (and
        // go with it, as under Xen): the next one waits for the shutdown.
        #expect(wait(for: "(XEN) domain 2 (e2) shut down"), "\(text)")
        type("q")                                   // e2 is gone: the input is e1's again
        #expect(wait(for: "[e1] xenguest echo: bye"), "\(text)")
        try input.fileHandleForWriting.close()
        _ = wait(for: "\u{0}")                       // to the end of the output
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(errors)")
        #expect(errors.contains("hvsim: domain 2 (e2): shut down (poweroff); vCPU run time "), "\(errors)")
    }

    // MARK: Bad input: one line, status 2

    private func expectRefused(_ args: [String], mentioning texts: String...) throws {
        let (status, _, err) = try runHVSim(args)
        #expect(status == 2, "stderr: \(err)")
        #expect(err.hasPrefix("hvsim: error: "), "stderr: \(err)")
        for t in texts { #expect(err.contains(t), "stderr: \(err)") }
        #expect(err.split(separator: "\n").count == 1, "stderr: \(err)")
    }

    @Test func badConfigFiles() throws {
        let dir = try Self.machineDirectory()
        try expectRefused(["run", "--hypervisor", "--config", "/nonexistent/machine.cfg"], mentioning: "no such file")
        let garbled = try Self.directory(["m.cfg": Array("pcpus = 2\ndomains = [ \"a.cfg\"\n".utf8),
                                          "d.cfg": Array("name = \"d\nmemory = 16\n".utf8),
                                          "missing.cfg": Array("pcpus = 1\ndomains = [ \"nope.cfg\" ]\n".utf8)])
        try expectRefused(["run", "--hypervisor", "--config", garbled + "/m.cfg"], mentioning: "m.cfg:", "unterminated list")
        try expectRefused(["run", "--hypervisor", "--config", garbled + "/d.cfg"], mentioning: "d.cfg:1:8", "unterminated string")
        try expectRefused(["run", "--hypervisor", "--config", garbled + "/missing.cfg"], mentioning: "nope.cfg")
        try expectRefused(["run", "--hypervisor", "--config", dir + "/machine.cfg", "--cpus", "1"],
                          mentioning: "--cpus 1 differs from the 2 pCPUs")
    }

    /// Values that overflowed or hung the parsers: each is one error line naming the key.
    @Test func valuesPastTheLimits() throws {
        let dir = try Self.directory([
            "huge.cfg": Self.domainFile("huge", memory: 18_014_398_509_481_984),
            "wraps.cfg": Self.domainFile("wraps", memory: 17_592_186_044_416),
            "many.cfg": Self.domainFile("many", extra: "cpus = \"0-99999999999\""),
            "pool.cfg": Self.domainFile("pool", extra: "shadow_memory = 0"),
            "twice.cfg": Array("pcpus = 1\ndomains = [ \"a.cfg\", \"b.cfg\" ]\n".utf8),
            "a.cfg": Self.domainFile("a", memory: 200 << 10), "b.cfg": Self.domainFile("b", memory: 200 << 10),
        ])
        for name in ["huge", "wraps"] {
            try expectRefused(["run", "--hypervisor", "--config", "\(dir)/\(name).cfg"], mentioning: "\(name).cfg:2:1: memory:", "is outside 1...")
        }
        try expectRefused(["run", "--hypervisor", "--config", dir + "/many.cfg"], mentioning: "many.cfg:6:1: cpus:", "0-99999999999")
        try expectRefused(["run", "--hypervisor", "--config", dir + "/pool.cfg"], mentioning: "pool.cfg:6:1: shadow_memory:")
        try expectRefused(["run", "--hypervisor", "--config", dir + "/twice.cfg"], mentioning: "need more than 255 GiB of RAM")
        try Self.requireGuest()
        let size = UInt64(try Data(contentsOf: URL(fileURLWithPath: Self.hello)).count)
        let trees = try Self.directory([
            "memory.dtb": Self.dom0lessTree(addresses: [0x4800_0000], size: size, memoryKiB: 0xffff_ffff_ffff_ffff),
            "ratelimit.dtb": Self.dom0lessTree(addresses: [0x4800_0000], size: size, xenBootargs: "sched_ratelimit_us=-1"),
        ])
        let loader = ["--loader", "\(Self.hello)@0x48000000"]
        try expectRefused(["run", "--hypervisor", "--dtb", trees + "/memory.dtb"] + loader, mentioning: "/chosen/alpha", "'memory' = 18446744073709551615 KiB is outside")
        try expectRefused(["run", "--hypervisor", "--dtb", trees + "/ratelimit.dtb"] + loader, mentioning: "sched_ratelimit_us=-1")
    }

    @Test func domainsThatDoNotFit() throws {
        let dir = try Self.directory(["big.cfg": Self.domainFile("big", memory: 512)])
        try expectRefused(["run", "--hypervisor", "--config", dir + "/big.cfg", "--ram", "256M"],
                          mentioning: "do not fit in RAM", "big 512 MiB")
    }

    @Test func badDom0lessInput() throws {
        try Self.requireGuest()
        let size = UInt64(try Data(contentsOf: URL(fileURLWithPath: Self.hello)).count)
        let dir = try Self.directory([
            "host.dtb": Self.dom0lessTree(addresses: [0x4800_0000, 0x4820_0000], size: size),
            "empty.dtb": Self.dom0lessTree(addresses: [], size: size, chosenDomains: false),
            "junk.dtb": [UInt8](repeating: 7, count: 64),
        ])
        let host = dir + "/host.dtb"
        try expectRefused(["run", "--hypervisor", "--dtb", dir + "/empty.dtb"], mentioning: "no compatible = \"xen,domain\" nodes")
        try expectRefused(["run", "--hypervisor", "--dtb", dir + "/junk.dtb"], mentioning: "junk.dtb", "device tree")
        // beta's kernel at 0x48200000 is not loaded.
        try expectRefused(["run", "--hypervisor", "--dtb", host, "--loader", "\(Self.hello)@0x48000000"],
                          mentioning: "/chosen/beta: kernel module at 0x48200000", "no --loader file")
        try expectRefused(["run", "--hypervisor", "--dtb", host, "--loader", "\(Self.hello)@0x48000000",
                           "--loader", "\(Self.hello)@0x48000100"], mentioning: "overlaps")
        try expectRefused(["run", "--hypervisor", "--dtb", host, "--loader", "\(Self.hello)@0x48000000",
                           "--loader", "\(Self.hello)@0x481fff00"], mentioning: "/chosen/beta", "runs past the end")
        try expectRefused(["run", "--hypervisor", "--dtb", host, "--loader", "\(Self.hello)@0x48000000",
                           "--loader", "\(Self.hello)@0x48200000", "--ram", "64M"], mentioning: "outside RAM")
        try expectRefused(["run", "--hypervisor", "--dtb", host, "--loader", "\(Self.hello)"], mentioning: "FILE@ADDR")
    }

    @Test func optionsThatNeedHypervisorMode() throws {
        let dir = try Self.machineDirectory()
        try expectRefused(["run", "--config", dir + "/machine.cfg"], mentioning: "--config needs --hypervisor")
        try expectRefused(["run", "--kernel", Self.hello, "--console-log", dir], mentioning: "--console-log needs --hypervisor")
        try expectRefused(["run", "--hypervisor"], mentioning: "--hypervisor needs --config")
        // --loader works without --hypervisor too (after the kernel is loaded).
        try expectRefused(["run", "--kernel", Repo.path("images/cache/baremetal/tlb.elf"), "--loader", "/nonexistent/f@0x48000000"],
                          mentioning: "/nonexistent/f: no such file")
        try expectRefused(["run", "--hypervisor", "--config", dir + "/machine.cfg", "--kernel", Self.hello],
                          mentioning: "--kernel is not used with --hypervisor")
        try expectRefused(["run", "--hypervisor", "--config", dir + "/machine.cfg", "--dtb", dir + "/x.dtb"],
                          mentioning: "not both")
    }
}
