/// How CPU numbers map to MPIDR affinity, for the board's CPUs and a domain's vCPUs alike:
/// clusters of 16, Aff0 = n & 15 and Aff1 = n >> 4 (Xen's vcpuid_to_vaffinity; QEMU's virt
/// board with a GICv3 groups its CPUs the same way). A GICv3 SGI's TargetList is 16 bits
/// for the Aff0 values of one Aff1.Aff2.Aff3 cluster, so with this layout every CPU can be
/// named without range selectors (ICC_CTLR_EL1.RSS = 0).
public enum CPUAffinity {
    public static let clusterSize = 16

    /// Aff1.Aff0 as they sit in MPIDR_EL1 (Aff1 in bits 15:8, Aff0 in 7:0; Aff2 and Aff3 are 0).
    public static func affinity(ofCPU n: Int) -> UInt64 {
        UInt64(n / clusterSize) << 8 | UInt64(n % clusterSize)
    }

    /// MPIDR_EL1 for CPU `n`: the affinity with bit 31 (RES1) set.
    public static func mpidr(ofCPU n: Int) -> UInt64 { 0x8000_0000 | affinity(ofCPU: n) }

    /// The CPU number that has affinity `aff` (Aff3 in bits 39:32, Aff2 23:16, Aff1 15:8,
    /// Aff0 7:0, as in MPIDR and GICD_IROUTER; other bits are ignored); nil when no CPU of
    /// this layout can have it. The caller checks the number against its CPU count.
    public static func cpu(ofAffinity aff: UInt64) -> Int? {
        let aff0 = aff & 0xff, aff1 = (aff >> 8) & 0xff, aff2 = (aff >> 16) & 0xff, aff3 = (aff >> 32) & 0xff
        guard aff0 < UInt64(clusterSize), aff2 == 0, aff3 == 0 else { return nil }
        return Int(aff1) * clusterSize + Int(aff0)
    }
}
