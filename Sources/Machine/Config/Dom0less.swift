// Dom0less domains from the host device tree, as Xen 4.12 reads them
// (docs/misc/arm/device-tree/booting.txt, "Creating Multiple Domains directly from Xen";
// xen/arch/arm/domain_build.c construct_domU, bootfdt.c process_multiboot_node):
//
//     chosen {
//         domU1 {
//             compatible = "xen,domain";
//             #address-cells = <2>; #size-cells = <1>;   // for the modules' reg
//             memory = <0 131072>;    // KiB, a 64-bit value (two cells)
//             cpus = <2>;             // number of vCPUs
//             vpl011;                 // present: an emulated PL011
//             module@4a000000 {
//                 compatible = "multiboot,kernel", "multiboot,module";
//                 reg = <0 0x4a000000 0xffffff>;
//                 bootargs = "console=ttyAMA0";
//             };
//             module@4b000000 { compatible = "multiboot,ramdisk", "multiboot,module"; reg = <...>; };
//         };
//     };
//
// The machine's pCPUs are the /cpus nodes; `sched=`, `credit2_runqueue=` and
// `sched_ratelimit_us=` are read from /chosen's xen,xen-bootargs as Xen does.

import Hypervisor

public enum Dom0less {
    /// The whole configuration a dom0less device tree describes.
    public static func config(from tree: DeviceTree) throws -> HypervisorConfig {
        let cpus = tree.node(at: "/cpus")?.children.filter { $0.property("device_type")?.string == "cpu" || $0.name.hasPrefix("cpu@") } ?? []
        guard !cpus.isEmpty else { throw ConfigError("/cpus", "no cpu nodes: cannot tell how many pCPUs there are") }
        var config = HypervisorConfig(pcpus: cpus.count, domains: try domains(from: tree))
        for arg in (tree.node(at: "/chosen")?.property("xen,xen-bootargs")?.string ?? "").split(separator: " ") {
            let kv = arg.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { continue }
            switch kv[0] {
            case "sched":
                guard let k = SchedulerKind(rawValue: kv[1]) else { throw ConfigError("/chosen", "xen,xen-bootargs: sched=\(kv[1]) is not supported") }
                config.scheduler = k
            case "credit2_runqueue": config.pcpusPerRunqueue = ["cpu", "core"].contains(kv[1]) ? 1 : nil
            case "sched_ratelimit_us":
                let rr = HypervisorConfig.ratelimitRange
                guard let r = Int(kv[1]), rr.contains(r) else {
                    throw ConfigError("/chosen", "xen,xen-bootargs: sched_ratelimit_us=\(kv[1]) is not a number in \(rr.lowerBound)...\(rr.upperBound)")
                }
                config.ratelimitMicroseconds = r
            default: continue
            }
        }
        return config
    }

    /// Every /chosen child compatible with "xen,domain", in tree order, named after its
    /// node. Images are `.memory` ranges: a boot loader put them there.
    public static func domains(from tree: DeviceTree) throws -> [DomainConfig] {
        guard let chosen = tree.node(at: "/chosen") else { return [] }
        return try chosen.children.filter { isCompatible($0, "xen,domain") }.map { try domain($0, path: "/chosen/\($0.name)") }
    }

    static func isCompatible(_ node: FDTNode, _ name: String) -> Bool {
        node.property("compatible")?.strings?.contains(name) ?? false
    }

    static func domain(_ node: FDTNode, path: String) throws -> DomainConfig {
        func fail(_ message: String) -> ConfigError { ConfigError(path, message) }
        guard let memory = node.property("memory") else { throw fail("missing 'memory' (KiB, a 64-bit value)") }
        guard let kib = memory.u64 else { throw fail("'memory' must be a 64-bit value (two cells), found \(memory.value.count) bytes") }
        let mr = DomainConfig.memoryKiBRange
        guard mr.contains(kib) else { throw fail("'memory' = \(kib) KiB is outside \(mr.lowerBound)...\(mr.upperBound) KiB") }
        guard let cpusProperty = node.property("cpus") else { throw fail("missing 'cpus' (the number of vCPUs)") }
        guard let vcpus = cpusProperty.u32 else { throw fail("'cpus' must be one cell") }
        let vr = DomainConfig.vcpuRange
        guard vr.contains(Int(vcpus)) else { throw fail("'cpus' = \(vcpus) is outside \(vr.lowerBound)...\(vr.upperBound)") }
        guard let ac = node.property("#address-cells")?.u32, let sc = node.property("#size-cells")?.u32 else {
            throw fail("missing '#address-cells' or '#size-cells' (the modules' 'reg' needs both)")
        }
        guard (1...2).contains(ac), (1...2).contains(sc) else { throw fail("'#address-cells' and '#size-cells' must be 1 or 2") }

        var kernel: (ImageSource, String?)? = nil
        var ramdisk: ImageSource? = nil
        var unknown = 0
        for module in node.children {
            let mpath = "\(path)/\(module.name)"
            var kind = moduleKind(module)
            guard kind != .none else { continue }
            if kind == .unknown {
                // booting.txt: the first module without a specific kind is the kernel, the
                // second the ramdisk (Xen counts across all domains; hvsim per domain).
                unknown += 1
                kind = unknown == 1 ? .kernel : unknown == 2 ? .ramdisk : .unknown
                if kind == .unknown { throw ConfigError(mpath, "a third module of unspecified kind: give it \"multiboot,kernel\" or \"multiboot,ramdisk\"") }
            }
            let image = try reg(module, path: mpath, addressCells: Int(ac), sizeCells: Int(sc))
            if kind == .kernel {
                if kernel != nil { throw ConfigError(mpath, "a second kernel module") }
                kernel = (image, module.property("bootargs")?.string)
            } else {
                if ramdisk != nil { throw ConfigError(mpath, "a second ramdisk module") }
                ramdisk = image
            }
        }
        guard let (image, bootargs) = kernel else { throw fail("no kernel module (compatible \"multiboot,kernel\")") }
        var d = DomainConfig(name: node.name, memoryKiB: kib, vcpus: Int(vcpus), kernel: image)
        d.ramdisk = ramdisk
        d.bootargs = bootargs
        d.vpl011 = node.property("vpl011") != nil
        if let p = node.property("xen,domain-p2m-mem-mb") {
            let r = DomainConfig.p2mPoolMiBRange
            guard let mib = p.u32, r.contains(UInt64(mib)) else {
                throw fail("'xen,domain-p2m-mem-mb' must be one cell in \(r.lowerBound)...\(r.upperBound) (MiB)")
            }
            d.p2mPoolMiB = UInt64(mib)
        }
        return d
    }

    enum ModuleKind { case kernel, ramdisk, unknown, none }

    /// A child's module kind from its compatible strings (bootfdt.c, with the Xen 4.4
    /// names); `.none` for a node that is no module.
    static func moduleKind(_ node: FDTNode) -> ModuleKind {
        let c = node.property("compatible")?.strings ?? []
        if c.contains("multiboot,kernel") || c.contains("xen,linux-zimage") { return .kernel }
        if c.contains("multiboot,ramdisk") || c.contains("xen,linux-initrd") { return .ramdisk }
        if c.contains("multiboot,module") || c.contains("xen,multiboot-module") { return .unknown }
        return .none
    }

    /// The module's first `reg` entry with the domain node's cell counts.
    static func reg(_ node: FDTNode, path: String, addressCells ac: Int, sizeCells sc: Int) throws -> ImageSource {
        guard let cells = node.property("reg")?.cells else { throw ConfigError(path, "missing 'reg'") }
        guard cells.count >= ac + sc else {
            throw ConfigError(path, "'reg' has \(cells.count) cells, needs \(ac + sc) (#address-cells \(ac), #size-cells \(sc))")
        }
        func number(_ part: ArraySlice<UInt32>) -> UInt64 { part.reduce(0) { $0 << 32 | UInt64($1) } }
        let size = number(cells[ac..<(ac + sc)])
        guard size > 0 else { throw ConfigError(path, "'reg' size is 0") }
        return .memory(address: number(cells[0..<ac]), size: size)
    }
}
