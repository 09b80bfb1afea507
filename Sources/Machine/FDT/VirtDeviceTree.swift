import Emu

/// What the `virt` board's device tree describes.
public struct VirtDeviceTreeConfig: Equatable, Sendable {
    public var cpus = 1
    /// The `compatible` of each CPU node ("arm,cortex-a57" as QEMU's `-cpu cortex-a57`,
    /// or "arm,armv8").
    public var cpuCompatible = "arm,cortex-a57"
    public var ramBase = VirtBoard.ram.base
    public var ramSize: UInt64 = 128 << 20
    public var gicVersion = 3
    /// EL2 belongs to the guest (it boots at EL2, QEMU's `virtualization=on`): the GIC
    /// then shows its virtualization parts and PSCI is reached by SMC.
    public var guestOwnsEL2 = false
    /// Kernel command line; empty leaves `bootargs` out.
    public var bootargs = ""
    /// Where the initrd lies in guest memory; `upperBound` is one past its last byte.
    public var initrd: Range<UInt64>?
    /// Bytes for /chosen `rng-seed` (the kernel seeds its random pool from them, as QEMU's
    /// board provides); nil leaves the property out.
    public var rngSeed: [UInt8]?
    /// virtio-mmio transports described, from slot 0 (0 ... VirtBoard.virtioSlots).
    public var virtioSlots = 0
    public var stdoutPath = VirtDeviceTree.uartPath

    public init() {}

    /// How the guest calls PSCI: HVC traps to the firmware's EL2 when the guest runs at
    /// EL1; a guest that owns EL2 calls down to EL3 with SMC (as on QEMU's virt).
    public var psciMethod: String { guestOwnsEL2 ? "smc" : "hvc" }
}

/// The device tree for the `virt` board, with QEMU's `virt` node names, memory map and
/// interrupt numbers (compared against `qemu-system-aarch64 -M virt,dumpdtb=`), keeping
/// to the devices the board has: no flash, fw-cfg, PCIe, GPIO or PMU.
public enum VirtDeviceTree {
    public static let uartPath = "/" + nodeName("pl011", VirtBoard.uart.base)
    static let apbClockHz: UInt32 = 24_000_000

    // Interrupt specifier cells (bindings/interrupt-controller/arm,gic*.yaml).
    static let spi: UInt32 = 0, ppi: UInt32 = 1
    static let edgeRising: UInt32 = 1, levelHigh: UInt32 = 4

    public static func build(_ c: VirtDeviceTreeConfig) throws -> [UInt8] {
        try validate(c)
        var b = FDTBuilder()
        let gic = b.newPhandle(), clock = b.newPhandle()
        b.beginNode("")
        b.property("compatible", string: "linux,dummy-virt")
        b.property("model", string: "linux,dummy-virt")
        b.property("#address-cells", u32: 2)
        b.property("#size-cells", u32: 2)
        b.property("interrupt-parent", u32: gic)
        addPSCI(&b, c)
        addMemory(&b, c)
        addCPUs(&b, c)
        addGIC(&b, c, phandle: gic)
        addTimer(&b, c)
        addClock(&b, phandle: clock)
        addUART(&b, clock: clock)
        addRTC(&b, clock: clock)
        for i in 0..<c.virtioSlots { addVirtio(&b, slot: i) }
        addChosen(&b, c)
        b.endNode()
        return b.finish()
    }

    static func validate(_ c: VirtDeviceTreeConfig) throws {
        guard (1...8).contains(c.cpus) else { throw FDTError("the virt board has 1 to 8 CPUs (got \(c.cpus))") }
        guard c.gicVersion == 2 || c.gicVersion == 3 else {
            throw FDTError("the virt board has GIC version 2 or 3 (got \(c.gicVersion))")
        }
        guard c.ramSize > 0, c.ramSize <= VirtBoard.maxRAM, c.ramBase <= UInt64.max - c.ramSize else {
            throw FDTError("RAM of \(hex(c.ramSize)) bytes at \(hex(c.ramBase)) does not fit the virt board")
        }
        guard (0...VirtBoard.virtioSlots).contains(c.virtioSlots) else {
            throw FDTError("the virt board has 0 to \(VirtBoard.virtioSlots) virtio-mmio slots (got \(c.virtioSlots))")
        }
        if let r = c.initrd, r.lowerBound < c.ramBase || r.upperBound > c.ramBase + c.ramSize {
            throw FDTError("the initrd at \(hex(r.lowerBound))..\(hex(r.upperBound)) is not inside RAM")
        }
    }

    static func nodeName(_ name: String, _ address: UInt64) -> String { name + "@" + String(address, radix: 16) }

    private static func addPSCI(_ b: inout FDTBuilder, _ c: VirtDeviceTreeConfig) {
        b.beginNode("psci")
        b.property("compatible", strings: ["arm,psci-1.0", "arm,psci-0.2", "arm,psci"])
        b.property("method", string: c.psciMethod)
        // Function IDs for "arm,psci" (PSCI 0.1) readers, as QEMU lists them.
        b.property("cpu_suspend", u32: 0xc400_0001)
        b.property("cpu_off", u32: 0x8400_0002)
        b.property("cpu_on", u32: 0xc400_0003)
        b.property("migrate", u32: 0xc400_0005)
        b.endNode()
    }

    private static func addMemory(_ b: inout FDTBuilder, _ c: VirtDeviceTreeConfig) {
        b.beginNode(nodeName("memory", c.ramBase))
        b.property("device_type", string: "memory")
        b.property("reg", u64s: [c.ramBase, c.ramSize])
        b.endNode()
    }

    /// `reg` holds CPU n's MPIDR affinity (CPUAffinity).
    private static func addCPUs(_ b: inout FDTBuilder, _ c: VirtDeviceTreeConfig) {
        b.beginNode("cpus")
        b.property("#address-cells", u32: 1)
        b.property("#size-cells", u32: 0)
        for n in 0..<c.cpus {
            b.beginNode(nodeName("cpu", UInt64(n)))
            b.property("device_type", string: "cpu")
            b.property("compatible", string: c.cpuCompatible)
            b.property("reg", u32: UInt32(CPUAffinity.affinity(ofCPU: n)))
            b.property("enable-method", string: "psci")
            b.endNode()
        }
        b.endNode()
    }

    private static func addGIC(_ b: inout FDTBuilder, _ c: VirtDeviceTreeConfig, phandle: UInt32) {
        let dist = VirtBoard.gicDistributor
        b.beginNode(nodeName("intc", dist.base))
        b.property("phandle", u32: phandle)
        b.property("interrupt-controller")
        b.property("#interrupt-cells", u32: 3)
        // No children (QEMU's ITS or v2m frame): 0 address cells for interrupt-map users.
        b.property("#address-cells", u32: 0)
        if c.gicVersion == 3 {
            // One redistributor region covering exactly the CPUs there are.
            let redist = VirtBoard.gicRedistributors
            b.property("compatible", string: "arm,gic-v3")
            b.property("#redistributor-regions", u32: 1)
            b.property("reg", u64s: [dist.base, dist.size,
                                     redist.base, VirtBoard.gicRedistributorStride * UInt64(c.cpus)])
        } else {
            var reg = [dist.base, dist.size, VirtBoard.gicCPUInterface.base, VirtBoard.gicCPUInterface.size]
            if c.guestOwnsEL2 {
                reg += [VirtBoard.gicHypervisor.base, VirtBoard.gicHypervisor.size,
                        VirtBoard.gicVirtualCPU.base, VirtBoard.gicVirtualCPU.size]
            }
            b.property("compatible", string: "arm,cortex-a15-gic")
            b.property("reg", u64s: reg)
        }
        if c.guestOwnsEL2 {
            b.property("interrupts", cells: [ppi, VirtBoard.Interrupt.gicMaintenancePPI, levelHigh])
        }
        b.endNode()
    }

    private static func addTimer(_ b: inout FDTBuilder, _ c: VirtDeviceTreeConfig) {
        // GICv2 PPI specifiers also carry the mask of CPUs the PPI is wired to (bits 15:8).
        let flags = c.gicVersion == 2 ? UInt32((1 << c.cpus) - 1) << 8 | levelHigh : levelHigh
        let ppis = [VirtBoard.Interrupt.secureTimerPPI, VirtBoard.Interrupt.physicalTimerPPI,
                    VirtBoard.Interrupt.virtualTimerPPI, VirtBoard.Interrupt.hypTimerPPI]
        b.beginNode("timer")
        b.property("compatible", strings: ["arm,armv8-timer", "arm,armv7-timer"])
        b.property("interrupts", cells: ppis.flatMap { [ppi, $0, flags] })
        b.property("always-on")
        b.endNode()
    }

    /// The APB clock that the PrimeCell bindings require each device to name.
    private static func addClock(_ b: inout FDTBuilder, phandle: UInt32) {
        b.beginNode("apb-pclk")
        b.property("phandle", u32: phandle)
        b.property("compatible", string: "fixed-clock")
        b.property("#clock-cells", u32: 0)
        b.property("clock-frequency", u32: apbClockHz)
        b.property("clock-output-names", string: "clk24mhz")
        b.endNode()
    }

    private static func addUART(_ b: inout FDTBuilder, clock: UInt32) {
        let r = VirtBoard.uart
        b.beginNode(nodeName("pl011", r.base))
        b.property("compatible", strings: ["arm,pl011", "arm,primecell"])
        b.property("reg", u64s: [r.base, r.size])
        b.property("interrupts", cells: [spi, VirtBoard.Interrupt.uartSPI, levelHigh])
        b.property("clocks", cells: [clock, clock])
        b.property("clock-names", strings: ["uartclk", "apb_pclk"])
        b.endNode()
    }

    private static func addRTC(_ b: inout FDTBuilder, clock: UInt32) {
        let r = VirtBoard.rtc
        b.beginNode(nodeName("pl031", r.base))
        b.property("compatible", strings: ["arm,pl031", "arm,primecell"])
        b.property("reg", u64s: [r.base, r.size])
        b.property("interrupts", cells: [spi, VirtBoard.Interrupt.rtcSPI, levelHigh])
        b.property("clocks", cells: [clock])
        b.property("clock-names", string: "apb_pclk")
        b.endNode()
    }

    private static func addVirtio(_ b: inout FDTBuilder, slot: Int) {
        let r = VirtBoard.virtioSlot(slot)
        b.beginNode(nodeName("virtio_mmio", r.base))
        b.property("compatible", string: "virtio,mmio")
        b.property("reg", u64s: [r.base, r.size])
        b.property("interrupts", cells: [spi, VirtBoard.Interrupt.firstVirtioSPI + UInt32(slot), edgeRising])
        b.property("dma-coherent")
        b.endNode()
    }

    /// No kaslr-seed or rng-seed: the tree, like the whole run, is deterministic.
    private static func addChosen(_ b: inout FDTBuilder, _ c: VirtDeviceTreeConfig) {
        b.beginNode("chosen")
        if !c.bootargs.isEmpty { b.property("bootargs", string: c.bootargs) }
        b.property("stdout-path", string: c.stdoutPath)
        if let seed = c.rngSeed { b.property("rng-seed", bytes: seed) }
        if let r = c.initrd {
            b.property("linux,initrd-start", u64: r.lowerBound)
            b.property("linux,initrd-end", u64: r.upperBound)
        }
        b.endNode()
    }
}
