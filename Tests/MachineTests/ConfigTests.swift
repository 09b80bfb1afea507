import Foundation
import Testing
import Machine
import Hypervisor

/// A fresh directory with the given files.
private func directory(_ files: [String: String]) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hvsim-config-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    for (name, text) in files { try text.write(toFile: "\(dir)/\(name)", atomically: true, encoding: .utf8) }
    return dir
}

/// The error `body` throws, as a ConfigError.
private func configError(_ body: () throws -> Any) -> ConfigError? {
    do { _ = try body(); return nil } catch let e as ConfigError { return e } catch { return nil }
}

@Suite struct ConfigXLSyntaxTests {
    @Test func parsesValuesCommentsAndLists() throws {
        let text = """
        # a domain
        name = "d1"; memory = 0x100   # hex
        octal = 010
        quoted = 'it\\'s\\ta\\x41\\101'
        list = [ "a", 'b',
                 3,   # comment inside
               ]
        empty = []
        """
        let c = try XLConfig(text: text, file: "d1.cfg")
        #expect(c.settings.map(\.key) == ["name", "memory", "octal", "quoted", "list", "empty"])
        #expect(try c.integer("memory") == 256 && c.integer("octal") == 8)
        #expect(try c.string("quoted") == "it's\taAA")
        #expect(c["list"]?.value == .list([.string("a"), .string("b"), .number("3")]))
        #expect(c["empty"]?.value == .list([]))
        #expect(c["memory"]?.line == 2 && c["memory"]?.column == 14)
    }

    @Test(arguments: [
        ("name = \"d1\nx = 1", 1, 8, "unterminated string"),
        ("name \"d1\"", 1, 6, "expected '='"),
        ("a = 1\nb = \"\\q\"", 2, 6, "invalid escape"),
        ("l = [ \"a\",\n \"b\"", 2, 5, "unterminated list"),
        ("memory = 1.5", 1, 11, "unexpected '.'"),
        ("x = -1", 1, 5, "not Python"),
        ("x = 1 2", 1, 7, "unexpected '2'"),
        ("Name = 1", 1, 1, "expected a setting name"),
        ("x = [[1]]", 1, 6, "nested"),
    ] as [(String, Int, Int, String)])
    func syntaxErrorsSayWhere(text: String, line: Int, column: Int, message: String) {
        let e = configError { try XLConfig(text: text, file: "bad.cfg") }
        #expect(e?.file == "bad.cfg")
        #expect(e?.line == line && e?.column == column, "\(String(describing: e))")
        #expect(e?.message.contains(message) == true, "\(String(describing: e))")
    }
}

@Suite struct ConfigDomainTests {
    @Test func mapsADomainFile() throws {
        let dir = try directory([:])
        let text = """
        name = "web"
        memory = 256
        vcpus = 2
        kernel = "images/Image"
        ramdisk = "/abs/initrd.cpio"
        root = "/dev/ram0"
        extra = "console=ttyAMA0"
        cpus = "0-3,^2"
        vuart = "sbsa_uart"
        cpu_weight = 512
        cap = 150
        vif = [ "bridge=xenbr0" ]
        frobnicate = 1
        """
        let (d, warnings) = try XLConfig(text: text, file: "\(dir)/web.cfg").domainConfig()
        #expect(d.name == "web" && d.memoryKiB == 256 * 1024 && d.vcpus == 2)
        #expect(d.kernel == .file("\(dir)/images/Image") && d.ramdisk == .file("/abs/initrd.cpio"))
        #expect(d.bootargs == "root=/dev/ram0 console=ttyAMA0")
        #expect(d.cpus == [0, 1, 3] && d.vpl011 && d.weight == 512 && d.cap == 150)
        #expect(warnings.count == 2)
        #expect(warnings[0].contains("'vif' is not supported") && warnings[1].contains("'frobnicate' is unknown"))
    }

    @Test func cmdlineListsAndDefaults() throws {
        let text = "name='a'\nkernel='k'\ncmdline='x=1'\nextra='ignored'\ncpus=[\"1\", \"0\"]\nvpl011=0\nweight=300"
        let (d, warnings) = try XLConfig(text: text, file: "/cfg/a.cfg").domainConfig()
        #expect(d.bootargs == "x=1" && d.cpus == [0, 1] && !d.vpl011 && d.weight == 300)
        #expect(d.memoryKiB == 32 * 1024 && d.vcpus == 1 && d.kernel == .file("/cfg/k"))
        #expect(warnings.count == 1 && warnings[0].contains("union"))
        let all = try XLConfig(text: "name='a'\nkernel='k'\ncpus='all'\nconsole='vpl011'", file: "/a.cfg").domainConfig()
        #expect(all.domain.cpus == nil && all.domain.vpl011)
    }

    @Test(arguments: [
        ("memory = 0", "memory"), ("vcpus = 0", "vcpus"), ("vcpus = 129", "vcpus"),
        ("cpu_weight = 0", "cpu_weight"), ("weight = 65536", "weight"), ("cap = 201", "cap"),
        ("cpus = \"3-1\"", "cpus"), ("vuart = \"pl011\"", "vuart"), ("memory = \"lots\"", "memory"),
        // Past what a guest's RAM banks hold (and, times 1024, past 64 bits).
        ("memory = 18014398509481984", "memory"), ("memory = 17592186044416", "memory"), ("memory = 1043457", "memory"),
        ("cpus = \"0-99999999999\"", "cpus"), ("cpus = \"128\"", "cpus"), ("cpus = \"all,^0-9999999999999\"", "cpus"),
        ("shadow_memory = 0", "shadow_memory"), ("shadow_memory = 261121", "shadow_memory"),
    ])
    func outOfRangeValuesNameTheKey(line: String, key: String) {
        let text = "name = \"d\"\nkernel = \"k\"\nvcpus = 2\n\(line)"
        let e = configError { try XLConfig(text: text, file: "d.cfg").domainConfig() }
        #expect(e?.message.hasPrefix("\(key):") == true, "\(String(describing: e))")
        #expect(e?.line == 4 && e?.column == 1)
    }

    @Test func largestValuesAndThePool() throws {
        let text = "name='a'\nkernel='k'\nmemory=1043456\ncpus='0-127'\nvcpus=128\nshadow_memory=9"
        let d = try XLConfig(text: text, file: "/a.cfg").domainConfig().domain
        #expect(d.memoryKiB == 1043456 << 10 && d.vcpus == 128 && d.cpus == Array(0...127))
        #expect(d.p2mPoolMiB == 9 && d.p2mPoolBytes == 9 << 20)
        // Xen's default pool: 256 pages per vCPU, one per MiB, 128 more, in whole MiB.
        let small = try XLConfig(text: "name='a'\nkernel='k'\nmemory=16", file: "/a.cfg").domainConfig().domain
        #expect(small.p2mPoolMiB == nil && small.p2mPoolBytes == 2 << 20)
        #expect(P2MPool.defaultMiB(memoryKiB: 384 << 10, vcpus: 1) == 3 && P2MPool.defaultMiB(memoryKiB: 1 << 20, vcpus: 4) == 9)
    }

    @Test func missingNameOrKernel() {
        #expect(configError { try XLConfig(text: "kernel='k'", file: "d.cfg").domainConfig() }?.message == "missing 'name'")
        #expect(configError { try XLConfig(text: "name='n'", file: "d.cfg").domainConfig() }?.message == "missing 'kernel'")
    }
}

@Suite struct ConfigMachineFileTests {
    @Test func loadsMachineAndDomains() throws {
        let dir = try directory([
            "machine.cfg": "pcpus = 2\nsched = \"null\"\ncredit2_runqueue = \"cpu\"\nsched_ratelimit_us = 500\ndomains = [ \"a.cfg\", \"sub/../b.cfg\" ]",
            "a.cfg": "name = \"a\"\nkernel = \"Image\"\nvcpus = 2\ncpus = \"0-1\"",
            "b.cfg": "name = \"b\"\nkernel = \"Image\"\ncpus = \"1\"",
        ])
        try FileManager.default.createDirectory(atPath: "\(dir)/sub", withIntermediateDirectories: true)
        let (config, warnings) = try MachineFile.load("\(dir)/machine.cfg")
        #expect(config.pcpus == 2 && config.scheduler == .null)
        #expect(config.pcpusPerRunqueue == 1 && config.ratelimitMicroseconds == 500)
        #expect(config.domains.map(\.name) == ["a", "b"])
        #expect(config.domains[0].cpus == nil && config.domains[1].cpus == [1])
        #expect(config.domains[1].kernel == .file("\(dir)/Image"))
        #expect(warnings.count == 1 && warnings[0].contains("1 of 3 vCPUs wait"))
    }

    @Test func errors() throws {
        let dir = try directory([
            "missing.cfg": "domains = [ \"a.cfg\", \"nope.cfg\" ]",
            "dup.cfg": "domains = [ \"a.cfg\", \"a2.cfg\" ]",
            "pin.cfg": "pcpus = 2\ndomains = [ \"far.cfg\" ]",
            "sched.cfg": "sched = \"rtds\"\ndomains = [ \"a.cfg\" ]",
            "none.cfg": "pcpus = 1",
            "a.cfg": "name = \"a\"\nkernel = \"Image\"",
            "a2.cfg": "name = \"a\"\nkernel = \"Image\"",
            "far.cfg": "name = \"f\"\nkernel = \"Image\"\n\ncpus = \"1-4\"",
        ])
        let missing = configError { try MachineFile.load("\(dir)/missing.cfg") }
        #expect(missing?.message.contains("no such file 'nope.cfg'") == true && missing?.line == 1)
        let dup = configError { try MachineFile.load("\(dir)/dup.cfg") }
        #expect(dup?.file == "\(dir)/a2.cfg" && dup?.message.contains("'a' is also used by \(dir)/a.cfg") == true)
        let pin = configError { try MachineFile.load("\(dir)/pin.cfg") }
        #expect(pin?.file == "\(dir)/far.cfg" && pin?.line == 4 && pin?.message.contains("pCPU 2 does not exist") == true)
        #expect(configError { try MachineFile.load("\(dir)/sched.cfg") }?.message.contains("'rtds'") == true)
        #expect(configError { try MachineFile.load("\(dir)/none.cfg") }?.message.contains("missing 'domains'") == true)
        #expect(configError { try MachineFile.load("\(dir)/absent.cfg") }?.message == "cannot read the file")
    }
}

/// The dom0less example of booting.txt, on a two-CPU board.
private func dom0lessTree(memory: FDTProperty = FDTProperty("memory", cells: [0, 131072]),
                          kernelReg: [UInt32] = [0, 0x4a00_0000, 0xff_ffff],
                          extra: (inout FDTNode) -> Void = { _ in }) -> DeviceTree {
    var d1 = FDTNode("domU1", properties: [
        FDTProperty("compatible", string: "xen,domain"),
        FDTProperty("#address-cells", u32: 2), FDTProperty("#size-cells", u32: 1),
        memory, FDTProperty("cpus", u32: 2), FDTProperty("vpl011"),
    ], children: [
        FDTNode("module@4a000000", properties: [
            FDTProperty("compatible", strings: ["multiboot,kernel", "multiboot,module"]),
            FDTProperty("reg", cells: kernelReg), FDTProperty("bootargs", string: "console=ttyAMA0 init=/bin/sh"),
        ]),
        FDTNode("module@4b000000", properties: [
            FDTProperty("compatible", strings: ["multiboot,ramdisk", "multiboot,module"]),
            FDTProperty("reg", cells: [0, 0x4b00_0000, 0x1000]),
        ]),
    ])
    extra(&d1)
    let d2 = FDTNode("domU2", properties: [
        FDTProperty("compatible", string: "xen,domain"),
        FDTProperty("#address-cells", u32: 1), FDTProperty("#size-cells", u32: 1),
        FDTProperty("memory", cells: [0, 65536]), FDTProperty("cpus", u32: 1),
    ], children: [
        FDTNode("module@4c000000", properties: [
            FDTProperty("compatible", string: "multiboot,module"), FDTProperty("reg", cells: [0x4c00_0000, 0x2000]),
        ]),
    ])
    let chosen = FDTNode("chosen", properties: [FDTProperty("xen,xen-bootargs", string: "console=dtuart sched=null")],
                         children: [d1, d2, FDTNode("other", properties: [FDTProperty("compatible", string: "x,y")])])
    let cpus = FDTNode("cpus", children: [
        FDTNode("cpu@0", properties: [FDTProperty("device_type", string: "cpu")]),
        FDTNode("cpu@1", properties: [FDTProperty("device_type", string: "cpu")]),
    ])
    return DeviceTree(root: FDTNode("", children: [cpus, chosen]))
}

@Suite struct ConfigDom0lessTests {
    @Test func readsDomainsFromChosen() throws {
        // Through a blob and back, as a boot loader would hand it over.
        let tree = try DeviceTree(blob: dom0lessTree().serialize())
        let config = try Dom0less.config(from: tree)
        #expect(config.pcpus == 2 && config.scheduler == .null && config.domains.count == 2)
        let d1 = config.domains[0], d2 = config.domains[1]
        #expect(d1.name == "domU1" && d1.memoryKiB == 131072 && d1.vcpus == 2 && d1.vpl011)
        #expect(d1.kernel == .memory(address: 0x4a00_0000, size: 0xff_ffff))
        #expect(d1.ramdisk == .memory(address: 0x4b00_0000, size: 0x1000))
        #expect(d1.bootargs == "console=ttyAMA0 init=/bin/sh")
        #expect(d2.name == "domU2" && d2.memoryKiB == 65536 && d2.vcpus == 1 && !d2.vpl011)
        #expect(d2.kernel == .memory(address: 0x4c00_0000, size: 0x2000) && d2.ramdisk == nil && d2.bootargs == nil)
    }

    @Test(arguments: [
        ("memory", "must be a 64-bit value"), ("cpus", "missing 'cpus'"), ("#size-cells", "missing '#address-cells' or '#size-cells'"),
    ])
    func propertyErrorsNameTheNode(remove: String, message: String) {
        var tree = dom0lessTree()
        if remove == "memory" {
            tree = dom0lessTree(memory: FDTProperty("memory", u32: 131072))
        } else {
            tree = dom0lessTree { $0.removeProperty(remove) }
        }
        let e = configError { try Dom0less.domains(from: tree) }
        #expect(e?.file == "/chosen/domU1" && e?.message.contains(message) == true, "\(String(describing: e))")
    }

    @Test func limitsAndThePool() throws {
        let pool = try Dom0less.domains(from: dom0lessTree { $0.properties.append(FDTProperty("xen,domain-p2m-mem-mb", u32: 5)) })
        #expect(pool[0].p2mPoolMiB == 5 && pool[1].p2mPoolMiB == nil)
        let cases: [(DeviceTree, String)] = [
            (dom0lessTree(memory: FDTProperty("memory", cells: [0xffff_ffff, 0xffff_ffff])), "'memory' = 18446744073709551615 KiB is outside"),
            (dom0lessTree(memory: FDTProperty("memory", cells: [0, 2])), "'memory' = 2 KiB is outside"),
            (dom0lessTree { $0.properties.append(FDTProperty("xen,domain-p2m-mem-mb", u32: 0)) }, "'xen,domain-p2m-mem-mb'"),
            (dom0lessTree { $0.properties.append(FDTProperty("xen,domain-p2m-mem-mb", cells: [0, 1])) }, "'xen,domain-p2m-mem-mb'"),
        ]
        for (tree, message) in cases {
            let e = configError { try Dom0less.domains(from: tree) }
            #expect(e?.file == "/chosen/domU1" && e?.message.contains(message) == true, "\(String(describing: e))")
        }
        for bad in ["sched_ratelimit_us=-1", "sched_ratelimit_us=x", "sched_ratelimit_us=1000001"] {
            var tree = dom0lessTree()
            tree.root.children[1].properties[0] = FDTProperty("xen,xen-bootargs", string: "console=dtuart \(bad)")
            let e = configError { try Dom0less.config(from: tree) }
            #expect(e?.file == "/chosen" && e?.message.contains(bad) == true, "\(String(describing: e))")
        }
    }

    @Test func moduleErrors() {
        let short = configError { try Dom0less.domains(from: dom0lessTree(kernelReg: [0, 0x4a00_0000])) }
        #expect(short?.file == "/chosen/domU1/module@4a000000" && short?.message.contains("needs 3") == true)
        let noKernel = configError { try Dom0less.domains(from: dom0lessTree { $0.children.removeFirst() }) }
        #expect(noKernel?.file == "/chosen/domU1" && noKernel?.message.contains("no kernel module") == true)
        let noCPUs = configError { try Dom0less.config(from: DeviceTree()) }
        #expect(noCPUs?.file == "/cpus")
    }
}
