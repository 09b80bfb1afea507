import Emu

/// The `virt` board's memory map, the same as QEMU's `virt` machine so that images
/// and bare-metal programs written for it run unchanged (DESIGN.md: boards are data).
public enum VirtBoard {
    public struct Region: Sendable {
        public let name: String
        public let base: UInt64
        public let size: UInt64
    }

    public static let flash = Region(name: "flash", base: 0x0000_0000, size: 0x0800_0000)
    public static let gicDistributor = Region(name: "gic-dist", base: 0x0800_0000, size: 0x0001_0000)
    public static let gicRedistributors = Region(name: "gic-redist", base: 0x080a_0000, size: 0x00f6_0000)
    public static let gicCPUInterface = Region(name: "gic-cpu", base: 0x0801_0000, size: 0x0001_0000)
    public static let uart = Region(name: "pl011", base: 0x0900_0000, size: 0x0000_1000)
    public static let rtc = Region(name: "pl031", base: 0x0901_0000, size: 0x0000_1000)
    public static let virtio = Region(name: "virtio-mmio", base: 0x0a00_0000, size: 0x0000_0200)
    public static let ram = Region(name: "ram", base: 0x4000_0000, size: 0)

    /// SPI numbers (INTID - 32) of the board's devices, as on QEMU's virt board.
    public static let uartSPI = 1, rtcSPI = 2, virtioFirstSPI = 16

    /// Largest RAM the low RAM window holds (up to the 256 GiB high-memory area).
    public static let maxRAM: UInt64 = 255 << 30

    /// Offset from the RAM base where raw binaries are loaded (QEMU's arm64 default).
    public static let rawLoadOffset: UInt64 = 0x8_0000
}
