// An xl.cfg file as a `DomainConfig`: the keys of xl.cfg(5) that mean something to an
// Arm domU without dom0 (tools/xl/xl_parse.c in Xen 4.12 for their readings).

import Foundation
import Hypervisor

extension XLConfig {
    /// Keys hvsim reads.
    static let domainKeys: Set<String> = [
        "name", "memory", "vcpus", "kernel", "ramdisk", "extra", "cmdline", "root", "cpus",
        "vpl011", "vuart", "console", "cpu_weight", "weight", "cap", "shadow_memory",
    ]
    /// Keys xl knows (xl_parse.c) that hvsim accepts and ignores, with a warning.
    static let ignoredKeys: Set<String> = [
        "type", "builder", "maxmem", "maxvcpus", "uuid", "on_poweroff", "on_reboot", "on_crash",
        "on_watchdog", "on_soft_reset", "seclabel", "init_seclabel", "pool", "cpus_soft", "vif",
        "disk", "vfb", "vkb", "vtpm", "vsnd", "vdispl", "channel", "p9", "pvcalls", "pci", "dtdev",
        "iomem", "irqs", "device_tree", "gic_version", "nomigrate", "driver_domain", "max_grant_frames",
        "max_maptrack_frames", "max_event_channels", "bootloader", "bootloader_args", "localtime",
        "rtc_timeoffset", "vnuma", "tsc_mode", "altp2m", "serial", "usbctrl", "usbdev", "period",
        "slice", "latency", "extratime", "dm_restrict", "device_model_version", "firmware",
    ]
    /// libxl's memory default when `memory` is not set, in MiB.
    static let defaultMemoryMiB = 32

    /// The domain this file describes. Relative `kernel`/`ramdisk` paths are taken from
    /// the file's directory. Unknown keys are ignored, as xl does, with a warning.
    public func domainConfig() throws -> (domain: DomainConfig, warnings: [String]) {
        var warnings: [String] = []
        for s in settings where !Self.domainKeys.contains(s.key) {
            let what = Self.ignoredKeys.contains(s.key) ? "not supported by hvsim" : "unknown"
            warnings.append("\(file):\(s.line):\(s.column): '\(s.key)' is \(what); ignored")
        }
        guard let name = try string("name") else { throw ConfigError(file, "missing 'name'") }
        if name.isEmpty { throw error(self["name"]!, "name: must not be empty") }
        let memory = try integer("memory") ?? Self.defaultMemoryMiB
        let maxMiB = Int(DomainConfig.memoryKiBRange.upperBound >> 10)
        guard (1...maxMiB).contains(memory) else { throw error(self["memory"]!, "memory: \(memory) is outside 1...\(maxMiB) (MiB)") }
        let vcpus = try integer("vcpus") ?? 1
        let vr = DomainConfig.vcpuRange
        guard vr.contains(vcpus) else { throw error(self["vcpus"]!, "vcpus: \(vcpus) is outside \(vr.lowerBound)...\(vr.upperBound)") }
        guard let kernel = try string("kernel") else { throw ConfigError(file, "missing 'kernel'") }

        var d = DomainConfig(name: name, memoryKiB: UInt64(memory) * 1024, vcpus: vcpus, kernel: .file(absolute(kernel)))
        d.ramdisk = try string("ramdisk").map { .file(absolute($0)) }
        d.bootargs = try commandLine()
        d.cpus = try cpuList(&warnings)
        d.vpl011 = try vpl011()
        if let w = try integer("cpu_weight") ?? integer("weight") {
            guard SchedulingParameters.weightRange.contains(w) else {
                throw error(self["cpu_weight"] ?? self["weight"]!, "\(self["cpu_weight"] != nil ? "cpu_weight" : "weight"): \(w) is outside 1...65535")
            }
            d.weight = w
        }
        if let m = try integer("shadow_memory") {
            // On Arm, xl sizes the domain's P2M pool with it (MiB).
            let r = DomainConfig.p2mPoolMiBRange
            guard m >= 0, r.contains(UInt64(m)) else { throw error(self["shadow_memory"]!, "shadow_memory: \(m) is outside \(r.lowerBound)...\(r.upperBound) (MiB)") }
            d.p2mPoolMiB = UInt64(m)
        }
        if let c = try integer("cap") {
            guard (0...(100 * vcpus)).contains(c) else {
                throw error(self["cap"]!, "cap: \(c) is outside 0...\(100 * vcpus) (percent of one pCPU, \(vcpus) vCPUs)")
            }
            d.cap = c
        }
        return (d, warnings)
    }

    /// xl's rule: `cmdline` if set, else `root=ROOT EXTRA` from `root` and `extra`.
    private func commandLine() throws -> String? {
        if let c = try string("cmdline") { return c }
        let parts = [try string("root").map { "root=\($0)" }, try string("extra")].compactMap { $0 }
        return parts.isEmpty ? nil : parts.joined(separator: " ")
    }

    /// `vpl011=1` (as dom0less), `vuart="sbsa_uart"` (xl's key) or `console="vpl011"`.
    private func vpl011() throws -> Bool {
        if let s = self["vuart"] {
            guard try string("vuart") == "sbsa_uart" else { throw error(s, "vuart: only \"sbsa_uart\" is supported") }
            return true
        }
        if let s = self["console"] {
            guard try string("console") == "vpl011" else { throw error(s, "console: only \"vpl011\" is supported") }
            return true
        }
        if let s = self["vpl011"] {
            guard let v = try integer("vpl011"), v == 0 || v == 1 else { throw error(s, "vpl011: expected 0 or 1") }
            return v == 1
        }
        return true
    }

    /// `cpus`: "all", "0-3", "0,2,5-7", "0-7,^3", or a list (xl pins vCPU i to element
    /// i; hvsim pins every vCPU to their union, with a warning).
    private func cpuList(_ warnings: inout [String]) throws -> [Int]? {
        guard let s = self["cpus"] else { return nil }
        var set = Set<Int>()
        var all = false
        let specs: [String]
        switch s.value {
        case .list(let items):
            specs = try strings("cpus") ?? []
            if items.count > 1 { warnings.append("\(file):\(s.line):\(s.column): cpus: per-vCPU pinning is approximated by the union of the entries") }
        default: specs = [try string("cpus")!]
        }
        for spec in specs {
            guard let (cpus, isAll) = Self.parseCPUs(spec) else { throw error(s, "cpus: '\(spec)' is not a list of CPUs 0...\(HypervisorConfig.pcpuRange.upperBound - 1) (e.g. \"0-3\", \"0,2\", \"all\")") }
            set.formUnion(cpus); all = all || isAll
        }
        if all { return nil }
        guard !set.isEmpty else { throw error(s, "cpus: names no CPU") }
        return set.sorted()
    }

    /// One xl CPU list string: comma-separated "N", "N-M", "^N", "^N-M" or "all".
    static func parseCPUs(_ spec: String) -> (Set<Int>, all: Bool)? {
        var set = Set<Int>(), excluded = Set<Int>(), all = false
        for raw in spec.split(separator: ",", omittingEmptySubsequences: false) {
            var part = raw.trimmingCharacters(in: .whitespaces)[...]
            if part == "all" { all = true; continue }
            let exclude = part.first == "^"
            if exclude { part = part.dropFirst() }
            let ends = part.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(ends.count), let lo = Int(ends[0]), let hi = Int(ends.last!), lo >= 0, lo <= hi,
                  hi < HypervisorConfig.pcpuRange.upperBound else { return nil }
            if exclude { excluded.formUnion(lo...hi) } else { set.formUnion(lo...hi) }
        }
        if all && excluded.isEmpty { return ([], true) }
        if all { set.formUnion(0..<HypervisorConfig.pcpuRange.upperBound) }
        return (set.subtracting(excluded), false)
    }

    /// A path from this file made absolute against the file's directory.
    func absolute(_ path: String) -> String {
        let base = URL(fileURLWithPath: file).deletingLastPathComponent()
        return URL(fileURLWithPath: path, relativeTo: base).standardizedFileURL.path
    }
}
