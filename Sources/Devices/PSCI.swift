// PSCI 1.1 and SMCCC function identifiers and return codes (Arm DEN 0022, DEN 0028),
// shared by the board firmware (PSCI for the whole machine) and the hypervisor's
// virtual PSCI for a domain's vCPUs.

public enum PSCI {
    public static let version: UInt64 = 0x8400_0000, cpuSuspend32: UInt64 = 0x8400_0001, cpuSuspend64: UInt64 = 0xc400_0001
    public static let cpuOff: UInt64 = 0x8400_0002, cpuOn32: UInt64 = 0x8400_0003, cpuOn64: UInt64 = 0xc400_0003
    public static let affinityInfo32: UInt64 = 0x8400_0004, affinityInfo64: UInt64 = 0xc400_0004
    public static let migrateInfoType: UInt64 = 0x8400_0006, systemOff: UInt64 = 0x8400_0008
    public static let systemReset: UInt64 = 0x8400_0009, features: UInt64 = 0x8400_000a
    public static let smcccVersion: UInt64 = 0x8000_0000, smcccArchFeatures: UInt64 = 0x8000_0001
    // Return codes
    public static let success: Int64 = 0, notSupported: Int64 = -1, invalidParameters: Int64 = -2
    public static let denied: Int64 = -3, alreadyOn: Int64 = -4, onPending: Int64 = -5
}
