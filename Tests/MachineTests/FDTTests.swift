import Foundation
import Testing
import Machine
import Devices
import Emu

/// A tree with every kind of property value, reservations and a boot CPU.
private func sampleBlob() -> [UInt8] {
    var b = FDTBuilder(bootCPU: 3)
    b.reserveMemory(address: 0x4800_0000, size: 0x10_0000)
    b.reserveMemory(address: 0x1_0000_0000, size: 0x1000)
    let intc = b.newPhandle()
    b.beginNode("")
    b.property("compatible", strings: ["test,board", "test,generic"])
    b.property("#address-cells", u32: 2)
    b.property("#size-cells", u32: 2)
    b.property("interrupt-parent", u32: intc)
    b.beginNode("intc@1000")
    b.property("compatible", string: "test,intc")
    b.property("phandle", u32: intc)
    b.property("interrupt-controller")
    b.property("#interrupt-cells", u32: 3)
    b.property("#address-cells", u32: 0)
    b.property("reg", u64s: [0x1000, 0x100])
    b.endNode()
    b.beginNode("dev@2000")
    b.property("compatible", string: "test,dev")
    b.property("reg", u64s: [0x2000, 0x100])
    b.property("interrupts", cells: [0, 5, 4])
    b.property("big", u64: 0x0123_4567_89ab_cdef)
    b.property("blob", bytes: [1, 2, 3])
    b.beginNode("leaf")
    b.endNode()
    b.endNode()
    b.endNode()
    return b.finish()
}

private func be32(_ b: [UInt8], _ o: Int) -> UInt32 {
    UInt32(b[o]) << 24 | UInt32(b[o + 1]) << 16 | UInt32(b[o + 2]) << 8 | UInt32(b[o + 3])
}

private func setBE32(_ b: inout [UInt8], _ o: Int, _ v: UInt32) {
    for i in 0..<4 { b[o + i] = UInt8(truncatingIfNeeded: v >> (24 - 8 * i)) }
}

private func parseError(_ blob: [UInt8]) -> String? {
    do { _ = try FDTParser.parse(blob); return nil } catch { return "\(error)" }
}


/// Runs a host tool if it is on PATH; nil when it is not. Output goes to files, not
/// pipes, so that a large output cannot block the tool.
private func runTool(_ name: String, _ args: [String]) throws -> (status: Int32, stderr: String)? {
    let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
    guard let tool = dirs.map({ "\($0)/\(name)" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) })
    else { return nil }
    let errFile = temporaryPath("stderr")
    _ = FileManager.default.createFile(atPath: errFile, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: errFile) }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: tool)
    p.arguments = args
    p.standardOutput = FileHandle.nullDevice
    p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errFile))
    try p.run()
    p.waitUntilExit()
    let err = (try? String(contentsOfFile: errFile, encoding: .utf8)) ?? ""
    return (p.terminationStatus, err)
}

private func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("hvsim-fdt-\(getpid())-\(UUID().uuidString)-\(name)").path
}

/// dtc's verdict on a blob: nil when dtc is missing, else its exit status and stderr
/// (where its structure checks print warnings).
private func dtcDecompile(_ blob: [UInt8]) throws -> (status: Int32, stderr: String)? {
    let file = temporaryPath("tree.dtb")
    try Data(blob).write(to: URL(fileURLWithPath: file))
    defer { try? FileManager.default.removeItem(atPath: file) }
    return try runTool("dtc", ["-I", "dtb", "-O", "dts", "-o", "/dev/null", file])
}

@Suite struct FDTBuilderAndParser {
    @Test func roundTrip() throws {
        let blob = sampleBlob()
        let tree = try FDTParser.parse(blob)
        #expect(tree.bootCPU == 3)
        #expect(tree.reservations == [FDTReservation(address: 0x4800_0000, size: 0x10_0000),
                                      FDTReservation(address: 0x1_0000_0000, size: 0x1000)])
        #expect(tree.root.name == "")
        #expect(tree.root.property("compatible")?.strings == ["test,board", "test,generic"])
        #expect(tree.root.property("#address-cells")?.u32 == 2)
        let phandle = try #require(tree.root.property("interrupt-parent")?.u32)
        let intc = try #require(tree.node(at: "/intc@1000"))
        #expect(intc.property("phandle")?.u32 == phandle)
        #expect(intc.property("interrupt-controller")?.value == [])
        #expect(intc.property("reg")?.cells == [0, 0x1000, 0, 0x100])
        #expect(intc.property("compatible")?.string == "test,intc")
        let dev = try #require(tree.node(at: "/dev"))   // found without its unit address
        #expect(dev.name == "dev@2000")
        #expect(dev.property("interrupts")?.cells == [0, 5, 4])
        #expect(dev.property("big")?.u64 == 0x0123_4567_89ab_cdef)
        #expect(dev.property("blob")?.value == [1, 2, 3])
        #expect(dev.property("blob")?.cells == nil)
        #expect(tree.node(at: "/dev@2000/leaf")?.properties == [])
        #expect(tree.node(at: "/missing") == nil)
        // Written back through FDTBuilder, the tree gives the same bytes.
        #expect(tree.serialize() == blob)
    }

    @Test func headerAndBlocks() throws {
        let blob = sampleBlob()
        #expect(be32(blob, 0) == 0xd00d_feed)
        #expect(Int(be32(blob, 4)) == blob.count)
        #expect(be32(blob, 20) == 17)
        #expect(be32(blob, 24) == 16)
        #expect(be32(blob, 28) == 3)
        for field in [8, 12, 16] { #expect(be32(blob, field) % 8 == 0) }
        // Each property name is stored once.
        let strings = Array(blob[Int(be32(blob, 12))..<Int(be32(blob, 12) + be32(blob, 32))])
        let names = strings.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        #expect(names.filter { $0 == "compatible" }.count == 1)
        #expect(Set(names).count == names.count)
        if let dtc = try dtcDecompile(blob) {
            #expect(dtc.status == 0 && dtc.stderr.isEmpty, "dtc: \(dtc.stderr)")
        }
    }

    @Test func badMagic() {
        var blob = sampleBlob()
        blob[0] = 0x7f
        let e = parseError(blob)
        #expect(e == "device tree: bad magic 0x7f0dfeed (not a DTB)")
        #expect(parseError(Array("hello, this is not a tree at all".utf8))?.contains("not a DTB") == true)
    }

    @Test func truncatedBlob() {
        let blob = sampleBlob()
        #expect(parseError([])?.contains("truncated") == true)
        #expect(parseError(Array(blob.prefix(20)))?.contains("header truncated") == true)
        #expect(parseError(Array(blob.dropLast(8)))?.contains("blob truncated: the header says \(blob.count) bytes") == true)
    }

    @Test func corruptHeaderAndStructure() {
        let blob = sampleBlob()
        let structure = Int(be32(blob, 8))
        func patched(_ offset: Int, _ value: UInt32) -> String {
            var b = blob
            setBE32(&b, offset, value)
            return parseError(b) ?? "parsed"
        }
        #expect(patched(36, 0x10_0000).contains("the structure block runs past the end"))
        #expect(patched(32, 0x10_0000).contains("the strings block runs past the end"))
        #expect(patched(16, 44).contains("memory reservation block at 0x2c is not 8-byte aligned"))
        #expect(patched(8, 2).contains("overlaps the header"))
        #expect(patched(20, 3).contains("version 3 is older than 16"))
        #expect(patched(24, 18).contains("needs a reader for version 18"))
        #expect(patched(structure, 7).contains("unknown token 0x7"))
        // The first property of the root: its name offset, then its length.
        #expect(patched(structure + 16, 0xffff).contains("outside the strings block"))
        #expect(patched(structure + 12, 0xffff_fff0).contains("runs past the end of the structure block"))
        // FDT_END turned into FDT_NOP: the token stream never ends.
        var noEnd = blob
        setBE32(&noEnd, Int(be32(blob, 8)) + Int(be32(blob, 36)) - 4, 4)
        #expect(parseError(noEnd)?.contains("without an FDT_END") == true)
    }

    @Test func overlappingBlocksAreRefused() {
        // A tree without properties, so that the strings block is never read from.
        var b = FDTBuilder()
        b.beginNode("")
        b.endNode()
        var blob = b.finish()
        #expect(parseError(blob) == nil)
        setBE32(&blob, 12, be32(blob, 16))   // strings block on the reservation block
        setBE32(&blob, 32, 16)
        #expect(parseError(blob) == "device tree: the memory reservation block and the strings block overlap")
    }

    @Test func deepNestingIsRefused() {
        var b = FDTBuilder()
        b.beginNode("")
        for i in 0..<100 { b.beginNode("n\(i)") }
        for _ in 0..<101 { b.endNode() }
        #expect(parseError(b.finish())?.contains("deeper than 64") == true)
    }

    /// Every truncation, header fields set to edge values and a few hundred random
    /// corruptions: each gives an FDTError or a tree that writes back and reads again.
    @Test func corruptedBlobsNeverCrash() throws {
        let blob = try VirtDeviceTree.build({
            var c = VirtDeviceTreeConfig(); c.cpus = 2; c.virtioSlots = 2; c.bootargs = "console=ttyAMA0"
            c.initrd = 0x4400_0000..<0x4410_0000; return c
        }())
        var variants: [[UInt8]] = []
        for n in 0..<blob.count {
            variants.append(Array(blob.prefix(n)))
            if n >= 40 {   // the header agreeing with the shorter length reaches the deeper checks
                var t = Array(blob.prefix(n))
                setBE32(&t, 4, UInt32(n))
                variants.append(t)
            }
        }
        for field in 1..<10 {
            for v: UInt32 in [0, 1, 3, 4, 8, 16, 17, 39, 40, 0x7fff_ffff, 0xffff_fff8, 0xffff_ffff,
                              UInt32(blob.count), UInt32(blob.count + 1)] {
                var t = blob
                setBE32(&t, 4 * field, v)
                variants.append(t)
            }
        }
        var rng = SplitMix64(seed: 0x6864_7473_696d)
        for _ in 0..<400 {
            var t = blob
            let i = Int.random(in: 0..<t.count, using: &rng)
            t[i] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
            variants.append(t)
        }
        for _ in 0..<200 {
            var t = blob
            for _ in 0..<Int.random(in: 2...6, using: &rng) {
                t[Int.random(in: 0..<t.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            variants.append(t)
        }

        var parsed = 0, refused = 0
        for v in variants {
            let tree: DeviceTree
            do {
                tree = try FDTParser.parse(v)
            } catch let e as FDTError {
                #expect(e.description.hasPrefix("device tree: "))
                refused += 1
                continue
            }
            #expect(try FDTParser.parse(tree.serialize()) == tree)
            parsed += 1
        }
        #expect(parsed + refused == variants.count)
        #expect(refused > variants.count / 2)
        #expect(parsed > 100)   // flips inside values leave a valid, different tree
    }

    @Test func chosenIsCreatedWhenMissing() throws {
        var b = FDTBuilder()
        b.beginNode("")
        b.property("#address-cells", u32: 2)
        b.endNode()
        var tree = try FDTParser.parse(b.finish())
        #expect(tree.node(at: "/chosen") == nil)
        tree.setChosen(bootargs: "console=ttyAMA0 root=/dev/vda", initrd: 0x4800_0000..<0x4812_3456,
                       stdoutPath: "/pl011@9000000")
        let again = try FDTParser.parse(tree.serialize())
        let chosen = try #require(again.node(at: "/chosen"))
        #expect(chosen.property("bootargs")?.string == "console=ttyAMA0 root=/dev/vda")
        #expect(chosen.property("linux,initrd-start")?.u64 == 0x4800_0000)
        #expect(chosen.property("linux,initrd-end")?.u64 == 0x4812_3456)
        #expect(chosen.property("stdout-path")?.string == "/pl011@9000000")
    }

    @Test func chosenPropertiesAreReplaced() throws {
        var c = VirtDeviceTreeConfig()
        c.bootargs = "old"
        c.initrd = 0x4400_0000..<0x4400_1000
        var tree = try FDTParser.parse(try VirtDeviceTree.build(c))
        tree.setChosen(bootargs: "new args", initrd: 0x4800_0000..<0x4800_2000)
        let chosen = try #require(FDTParser.parse(tree.serialize()).node(at: "/chosen"))
        #expect(chosen.properties.map(\.name) == ["bootargs", "stdout-path", "linux,initrd-start", "linux,initrd-end"])
        #expect(chosen.property("bootargs")?.string == "new args")
        #expect(chosen.property("stdout-path")?.string == "/pl011@9000000")   // left alone
        #expect(chosen.property("linux,initrd-start")?.u64 == 0x4800_0000)
        #expect(chosen.property("linux,initrd-end")?.u64 == 0x4800_2000)
        if let dtc = try dtcDecompile(tree.serialize()) {
            #expect(dtc.status == 0 && dtc.stderr.isEmpty, "dtc: \(dtc.stderr)")
        }
    }
}

/// QEMU's own tree for the same board. scripts/deps.sh installs qemu-system-aarch64, so a
/// missing or failing QEMU is a failed test, not a skipped one.
private func qemuVirtDTB(cpus: Int, gic: Int, el2: Bool) throws -> [UInt8]? {
    let file = temporaryPath("qemu.dtb")
    defer { try? FileManager.default.removeItem(atPath: file) }
    let machine = "virt,gic-version=\(gic),virtualization=\(el2 ? "on" : "off"),dumpdtb=\(file)"
    // -nic none: a default NIC needs an option ROM from ipxe-qemu, which is only recommended.
    guard let r = try runTool("qemu-system-aarch64", ["-M", machine, "-cpu", "cortex-a57", "-m", "1024",
                                                      "-smp", "\(cpus)", "-display", "none", "-nic", "none"])
    else {
        Issue.record("qemu-system-aarch64 is not installed (scripts/deps.sh installs it)")
        return nil
    }
    guard r.status == 0 else {
        Issue.record("qemu-system-aarch64 -M \(machine) failed (status \(r.status)): \(r.stderr)")
        return nil
    }
    return [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
}

/// A node's properties with phandle references replaced by the referenced node's
/// path, so that trees numbering their phandles differently compare equal.
private func resolved(_ tree: DeviceTree, _ path: String) -> [String: [UInt8]] {
    var byPhandle: [UInt32: String] = [:]
    func index(_ n: FDTNode, _ p: String) {
        if let h = n.property("phandle")?.u32 { byPhandle[h] = p }
        for c in n.children { index(c, p == "/" ? "/" + c.name : p + "/" + c.name) }
    }
    index(tree.root, "/")
    var out: [String: [UInt8]] = [:]
    for p in tree.node(at: path)?.properties ?? [] where p.name != "phandle" {
        if ["interrupt-parent", "clocks"].contains(p.name), let cells = p.cells {
            out[p.name] = Array(cells.map { byPhandle[$0] ?? "?" }.joined(separator: " ").utf8)
        } else {
            out[p.name] = p.value
        }
    }
    return out
}

@Suite struct FDTVirtBoard {
    private func config(cpus: Int, gic: Int, el2: Bool = false) -> VirtDeviceTreeConfig {
        var c = VirtDeviceTreeConfig()
        c.cpus = cpus
        c.gicVersion = gic
        c.guestOwnsEL2 = el2
        c.ramSize = 1 << 30
        c.virtioSlots = 4
        c.bootargs = "console=ttyAMA0 earlycon"
        c.initrd = 0x4800_0000..<0x4820_0000
        return c
    }

    @Test(arguments: [(1, 2), (1, 3), (4, 2), (4, 3), (8, 2), (8, 3)])
    func treeParsesAndDecompiles(_ cpus: Int, _ gic: Int) throws {
        for el2 in [false, true] {
            let blob = try VirtDeviceTree.build(config(cpus: cpus, gic: gic, el2: el2))
            let tree = try FDTParser.parse(blob)
            #expect(tree.root.property("compatible")?.string == "linux,dummy-virt")
            let gicNode = try #require(tree.node(at: "/intc@8000000"))
            #expect(tree.root.property("interrupt-parent")?.u32 == gicNode.property("phandle")?.u32)
            #expect(gicNode.property("#interrupt-cells")?.u32 == 3)
            #expect(gicNode.property("interrupts")?.cells == (el2 ? [1, 9, 4] : nil))
            if gic == 3 {
                #expect(gicNode.property("compatible")?.string == "arm,gic-v3")
                #expect(gicNode.property("reg")?.cells == [0, 0x0800_0000, 0, 0x1_0000, 0, 0x080a_0000, 0, 0x2_0000 * UInt32(cpus)])
            } else {
                #expect(gicNode.property("compatible")?.string == "arm,cortex-a15-gic")
                #expect(gicNode.property("reg")?.cells?.count == (el2 ? 16 : 8))
            }
            let cpuNodes = try #require(tree.node(at: "/cpus")).children
            #expect(cpuNodes.map(\.name) == (0..<cpus).map { "cpu@\($0)" })
            #expect(cpuNodes.map { $0.property("reg")?.u32 } == (0..<cpus).map { UInt32($0) })
            #expect(tree.node(at: "/psci")?.property("method")?.string == (el2 ? "smc" : "hvc"))
            let flags: UInt32 = gic == 2 ? UInt32((1 << cpus) - 1) << 8 | 4 : 4
            #expect(tree.node(at: "/timer")?.property("interrupts")?.cells
                    == [1, 13, flags, 1, 14, flags, 1, 11, flags, 1, 10, flags])
            #expect(tree.node(at: "/memory")?.property("reg")?.cells == [0, 0x4000_0000, 0, 0x4000_0000])
            #expect(tree.node(at: "/virtio_mmio@a000600")?.property("interrupts")?.cells == [0, 19, 1])
            #expect(tree.node(at: "/virtio_mmio@a000800") == nil)
            let chosen = try #require(tree.node(at: "/chosen"))
            #expect(chosen.property("bootargs")?.string == "console=ttyAMA0 earlycon")
            #expect(chosen.property("stdout-path")?.string == "/pl011@9000000")
            #expect(chosen.property("linux,initrd-start")?.u64 == 0x4800_0000)
            #expect(chosen.property("linux,initrd-end")?.u64 == 0x4820_0000)
            #expect(chosen.property("kaslr-seed") == nil && chosen.property("rng-seed") == nil)
            #expect(tree.serialize() == blob)
            if let dtc = try dtcDecompile(blob) {
                #expect(dtc.status == 0 && dtc.stderr.isEmpty, "dtc: \(dtc.stderr)")
            }
        }
    }

    /// The nodes the board shares with QEMU's virt hold the same properties and values.
    @Test(arguments: [(cpus: 1, gic: 2, el2: false), (4, 3, false), (2, 2, true), (2, 3, true)])
    func matchesQEMU(_ board: (cpus: Int, gic: Int, el2: Bool)) throws {
        let (cpus, gic, el2) = board
        guard let qemuBlob = try qemuVirtDTB(cpus: cpus, gic: gic, el2: el2) else { return }
        let qemu = try FDTParser.parse(qemuBlob)
        var c = config(cpus: cpus, gic: gic, el2: el2)
        c.virtioSlots = 32
        c.bootargs = ""
        c.initrd = nil
        let ours = try FDTParser.parse(try VirtDeviceTree.build(c))

        var paths = ["/", "/psci", "/memory@40000000", "/cpus", "/timer", "/apb-pclk", "/pl011@9000000",
                     "/pl031@9010000", "/intc@8000000"]
        paths += (0..<cpus).map { "/cpus/cpu@\($0)" }
        paths += (0..<32).map { "/virtio_mmio@\(String(0x0a00_0000 + 0x200 * $0, radix: 16))" }
        for path in paths {
            var theirs = resolved(qemu, path), mine = resolved(ours, path)
            if path == "/intc@8000000" {
                // QEMU's GIC has an ITS or v2m child, hence the cells and ranges; its
                // GICv3 redistributor region spans the whole window, ours just the CPUs.
                for name in ["#address-cells", "#size-cells", "ranges"] { theirs[name] = nil; mine[name] = nil }
                if gic == 3 { theirs["reg"] = theirs["reg"].map { Array($0.prefix(24)) }; mine["reg"] = mine["reg"].map { Array($0.prefix(24)) } }
            }
            if cpus == 1 && path.hasPrefix("/cpus/") {
                // QEMU leaves enable-method out with one CPU; hvsim always names PSCI.
                mine["enable-method"] = nil
            }
            #expect(mine == theirs, "\(path)")
        }
        #expect(ours.node(at: "/chosen")?.property("stdout-path") == qemu.node(at: "/chosen")?.property("stdout-path"))
    }

    @Test func badConfigsAreRefused() {
        func refusal(_ change: (inout VirtDeviceTreeConfig) -> Void) -> String {
            var c = VirtDeviceTreeConfig()
            change(&c)
            do { _ = try VirtDeviceTree.build(c); return "built" } catch { return "\(error)" }
        }
        #expect(refusal { $0.cpus = 0 }.contains("1 to 8 CPUs (got 0)"))
        #expect(refusal { $0.cpus = 9 }.contains("1 to 8 CPUs (got 9)"))
        #expect(refusal { $0.gicVersion = 4 }.contains("GIC version 2 or 3"))
        #expect(refusal { $0.virtioSlots = 33 }.contains("virtio-mmio slots"))
        #expect(refusal { $0.initrd = 0x1000..<0x2000 }.contains("not inside RAM"))
        #expect(refusal { $0.ramSize = 0 }.contains("RAM"))
    }

    @Test func treeIsDeterministic() throws {
        let c = config(cpus: 2, gic: 3)
        #expect(try VirtDeviceTree.build(c) == VirtDeviceTree.build(c))
    }

    /// A user's `--dtb` (here QEMU's, 1 MiB with free space) gets its /chosen patched.
    @Test func patchesQEMUsTree() throws {
        guard let qemuBlob = try qemuVirtDTB(cpus: 2, gic: 3, el2: false) else { return }
        var tree = try FDTParser.parse(qemuBlob)
        tree.setChosen(bootargs: "console=ttyAMA0", initrd: 0x4800_0000..<0x4800_1000)
        let patched = tree.serialize()
        #expect(patched.count < qemuBlob.count)
        let again = try FDTParser.parse(patched)
        #expect(again.node(at: "/chosen")?.property("bootargs")?.string == "console=ttyAMA0")
        #expect(again.node(at: "/chosen")?.property("rng-seed") != nil)
        #expect(again.root.children.count == tree.root.children.count)
        if let dtc = try dtcDecompile(patched) {
            #expect(dtc.status == 0 && dtc.stderr.isEmpty, "dtc: \(dtc.stderr)")
        }
    }
}
