// What a user asks the hypervisor to run: the machine (pCPUs, scheduler) and its
// domains. Both configuration sources map onto these values: Xen's dom0less device-tree
// nodes (/chosen/<domain> with compatible "xen,domain", docs/misc/arm/device-tree/
// booting.txt) and xl.cfg-syntax files plus a machine file (Machine/Config).

/// Which scheduler runs the domains' vCPUs on the pCPUs (Xen's `sched=` boot option).
public enum SchedulerKind: String, Sendable, Equatable, CaseIterable {
    case credit2, null
}

/// Where a boot image comes from: a host file (xl.cfg), or machine memory that a boot
/// loader filled before the hypervisor started (dom0less `multiboot,*` modules with `reg`;
/// hvsim's `--loader FILE@ADDR`, QEMU's `-device loader`).
public enum ImageSource: Sendable, Equatable {
    case file(String)
    case memory(address: UInt64, size: UInt64)
}

/// One domain, as `xl create` or a dom0less node would describe it.
public struct DomainConfig: Sendable, Equatable {
    public var name: String
    /// Guest RAM in KiB (dom0less `memory`; xl.cfg `memory` is MiB and is converted).
    public var memoryKiB: UInt64
    public var vcpus: Int
    /// The kernel (arm64 Image, ELF or raw binary).
    public var kernel: ImageSource
    public var ramdisk: ImageSource? = nil
    /// Kernel command line (xl.cfg `extra`, dom0less `bootargs`).
    public var bootargs: String? = nil
    /// pCPUs the vCPUs may run on (xl.cfg `cpus`); nil means all.
    public var cpus: [Int]? = nil
    /// An emulated PL011 for the domain's console (xl.cfg `vpl011=1`, dom0less `vpl011`).
    public var vpl011: Bool = true
    /// Credit2 weight (xl.cfg `weight`, Xen's default 256) and cap in percent of one
    /// pCPU (`cap`, 0 = no cap).
    public var weight: Int = 256
    public var cap: Int = 0
    /// The P2M pool in MiB (dom0less `xen,domain-p2m-mem-mb`, xl.cfg `shadow_memory`);
    /// nil for Xen's default (P2MPool.defaultMiB).
    public var p2mPoolMiB: UInt64? = nil

    /// The P2M pool's size in bytes.
    public var p2mPoolBytes: UInt64 {
        (p2mPoolMiB ?? P2MPool.defaultMiB(memoryKiB: memoryKiB, vcpus: vcpus)) << 20
    }

    public init(name: String, memoryKiB: UInt64, vcpus: Int, kernel: ImageSource) {
        self.name = name; self.memoryKiB = memoryKiB; self.vcpus = vcpus; self.kernel = kernel
    }

    // The limits every configuration source checks (xl.cfg, dom0less trees, the machine
    // file), so a value out of range is refused where it was written.

    /// vCPUs per domain (Xen on Arm's GUEST_MAX_VCPUS).
    public static let vcpuRange = 1...XenGuestLayout.maxVCPUs
    /// Guest RAM in KiB: at least one page, at most what the guest's two RAM banks hold.
    public static let memoryKiBRange: ClosedRange<UInt64> = 4...((XenGuestLayout.ram0Size + XenGuestLayout.ram1Size) >> 10)
    /// The P2M pool in MiB: room for a root table at least, at most what the board's RAM holds.
    public static let p2mPoolMiBRange: ClosedRange<UInt64> = 1...(255 << 10)
}

/// The whole hosted-hypervisor setup: how many pCPUs, which scheduler, which domains.
public struct HypervisorConfig: Sendable, Equatable {
    public var pcpus: Int
    public var scheduler: SchedulerKind = .credit2
    public var domains: [DomainConfig]
    /// Credit2 runqueue grouping: pCPUs per runqueue, nil for one runqueue holding all
    /// (Xen's `credit2_runqueue=socket` on a one-socket machine; 1 is `=cpu`).
    public var pcpusPerRunqueue: Int? = nil
    /// Xen's `sched_ratelimit_us` (default 1000; 0 turns rate limiting off).
    public var ratelimitMicroseconds: Int = 1000
    public static let ratelimitRange = 0...1_000_000
    /// pCPU numbers a configuration may name (CPU lists, `pcpus`).
    public static let pcpuRange = 1...128

    public init(pcpus: Int, scheduler: SchedulerKind = .credit2, domains: [DomainConfig]) {
        self.pcpus = pcpus; self.scheduler = scheduler; self.domains = domains
    }
}
