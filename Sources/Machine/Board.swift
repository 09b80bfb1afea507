import Emu

/// The `virt` board's memory map, the same as QEMU's `virt` machine so that images
/// and bare-metal programs written for it run unchanged (docs/architecture.md, "Boards are data").
public enum VirtBoard {
    public struct Region: Sendable {
        public let name: String
        public let base: UInt64
        public let size: UInt64
    }

    public static let flash = Region(name: "flash", base: 0x0000_0000, size: 0x0800_0000)
    public static let gicDistributor = Region(name: "gic-dist", base: 0x0800_0000, size: 0x0001_0000)
    /// GICv2 only: CPU interface, and with EL2 given to the guest the virtual interface
    /// control (GICH) and virtual CPU interface (GICV) frames.
    public static let gicCPUInterface = Region(name: "gic-cpu", base: 0x0801_0000, size: 0x0001_0000)
    public static let gicHypervisor = Region(name: "gic-hyp", base: 0x0803_0000, size: 0x0001_0000)
    public static let gicVirtualCPU = Region(name: "gic-vcpu", base: 0x0804_0000, size: 0x0001_0000)
    /// GICv3 only: the window holding one redistributor (RD + SGI frames) per CPU.
    public static let gicRedistributors = Region(name: "gic-redist", base: 0x080a_0000, size: 0x00f6_0000)
    public static let gicRedistributorStride: UInt64 = 0x2_0000
    public static let uart = Region(name: "pl011", base: 0x0900_0000, size: 0x0000_1000)
    public static let rtc = Region(name: "pl031", base: 0x0901_0000, size: 0x0000_1000)
    /// The first virtio-mmio transport; the others follow every `size` bytes.
    public static let virtio = Region(name: "virtio-mmio", base: 0x0a00_0000, size: 0x0000_0200)
    public static let virtioSlots = 32
    public static let ram = Region(name: "ram", base: 0x4000_0000, size: 0)

    /// Largest RAM the low RAM window holds (up to the 256 GiB high-memory area).
    public static let maxRAM: UInt64 = 255 << 30

    /// Offset from the RAM base where raw binaries are loaded (QEMU's arm64 default).
    public static let rawLoadOffset: UInt64 = 0x8_0000

    /// The virtio-mmio transport in slot `i` (0 ..< virtioSlots).
    public static func virtioSlot(_ i: Int) -> Region {
        Region(name: "virtio-mmio", base: virtio.base + UInt64(i) * virtio.size, size: virtio.size)
    }

    /// Interrupt numbers as QEMU's virt board wires them: SPIs are numbered from 0
    /// (INTID 32 + n), PPIs from 0 (INTID 16 + n), as the GIC device tree bindings count.
    public enum Interrupt {
        public static let uartSPI: UInt32 = 1
        public static let rtcSPI: UInt32 = 2
        public static let firstVirtioSPI: UInt32 = 16
        public static let gicMaintenancePPI: UInt32 = 9
        public static let hypTimerPPI: UInt32 = 10
        public static let virtualTimerPPI: UInt32 = 11
        public static let secureTimerPPI: UInt32 = 13
        public static let physicalTimerPPI: UInt32 = 14
    }
}
