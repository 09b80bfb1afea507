// The guest physical memory map and interrupt numbers Xen on Arm gives a domU, from
// Xen's public header xen/include/public/arch-arm.h (GUEST_* constants). Guests find
// most of these in their device tree; Linux also relies on a few fixed ones.

public enum XenGuestLayout {
    /// RAM0: the first 3 GiB of guest RAM; RAM1 takes the rest (up to 1016 GiB).
    public static let ram0Base: UInt64 = 0x4000_0000, ram0Size: UInt64 = 0xc000_0000
    public static let ram1Base: UInt64 = 0x2_0000_0000, ram1Size: UInt64 = 0xfe_0000_0000

    /// GICv3: distributor and one 128 KiB redistributor (RD + SGI frames) per vCPU.
    public static let gicdBase: UInt64 = 0x0300_1000, gicdSize: UInt64 = 0x1_0000
    public static let gicrBase: UInt64 = 0x0302_0000, gicrSize: UInt64 = 0x100_0000
    public static let gicrStride: UInt64 = 0x2_0000

    /// The emulated PL011 (vpl011) and its interrupt (GUEST_VPL011_SPI, an INTID).
    public static let vpl011Base: UInt64 = 0x2200_0000, vpl011Size: UInt64 = 0x1000
    public static let vpl011INTID = 32

    /// Where the guest maps grant-table frames and shared_info (the /hypervisor node's
    /// `reg`), and the magic pages (console ring, xenstore).
    public static let grantTableBase: UInt64 = 0x3800_0000, grantTableSize: UInt64 = 0x100_0000
    public static let magicBase: UInt64 = 0x3900_0000, magicSize: UInt64 = 0x100_0000

    /// PPIs: the event-channel upcall (GUEST_EVTCHN_PPI) and the timers.
    public static let eventChannelPPI = 31
    public static let virtualTimerPPI = 27, physicalTimerPPI = 30, securePhysicalTimerPPI = 29
    public static let maxVCPUs = 128

    /// The guest RAM banks for `bytes` of memory: RAM0 first, the rest in RAM1.
    public static func ramBanks(bytes: UInt64) -> [(base: UInt64, size: UInt64)] {
        let low = min(bytes, ram0Size)
        var banks = [(base: ram0Base, size: low)]
        if bytes > low { banks.append((base: ram1Base, size: min(bytes - low, ram1Size))) }
        return banks
    }
}
