import Emu
import Hypervisor

/// The device tree a domU gets, shaped as Xen's dom0less builder makes it
/// (xen/arch/arm/domain_build.c prepare_dtb_domU): the Xen guest memory map, PSCI over
/// HVC, a GICv3, the timer, the /hypervisor node (grant-table region and event-channel
/// PPI) and, with vpl011, an SBSA UART as the console.
enum GuestDeviceTree {
    static let ppi: UInt32 = 1, spi: UInt32 = 0
    static let levelHigh: UInt32 = 4, levelLow: UInt32 = 8

    static func build(_ d: Domain, bootargs: String, initrd: Range<UInt64>?, counterFrequency: UInt64) -> [UInt8] {
        let L = XenGuestLayout.self
        var b = FDTBuilder()
        let gic = b.newPhandle()
        let uartPath = "/sbsa-uart@" + String(L.vpl011Base, radix: 16)
        b.beginNode("")
        b.property("compatible", strings: ["xen,xenvm-\(HostedHypervisor.xenVersion.major).\(HostedHypervisor.xenVersion.minor)", "xen,xenvm"])
        b.property("#address-cells", u32: 2)
        b.property("#size-cells", u32: 2)
        b.property("interrupt-parent", u32: gic)

        b.beginNode("chosen")
        if !bootargs.isEmpty { b.property("bootargs", string: bootargs) }
        if let r = initrd {
            b.property("linux,initrd-start", u64: r.lowerBound)
            b.property("linux,initrd-end", u64: r.upperBound)
        }
        if d.config.vpl011 { b.property("stdout-path", string: uartPath) }
        b.endNode()

        b.beginNode("psci")
        b.property("compatible", strings: ["arm,psci-1.0", "arm,psci-0.2", "arm,psci"])
        b.property("method", string: "hvc")
        b.property("cpu_off", u32: 0x8400_0002)
        b.property("cpu_on", u32: 0xc400_0003)
        b.endNode()

        b.beginNode("cpus")
        b.property("#address-cells", u32: 1)
        b.property("#size-cells", u32: 0)
        for i in 0..<d.vcpus.count {
            // Named by vCPU number, `reg` the MPIDR affinity (as Xen's make_cpus_node).
            b.beginNode("cpu@\(String(i, radix: 16))")
            b.property("device_type", string: "cpu")
            b.property("compatible", string: "arm,armv8")
            b.property("enable-method", string: "psci")
            b.property("reg", u32: UInt32(CPUAffinity.affinity(ofCPU: i)))
            b.endNode()
        }
        b.endNode()

        let banks = L.ramBanks(bytes: d.memorySize)
        b.beginNode("memory@" + String(banks[0].base, radix: 16))
        b.property("device_type", string: "memory")
        b.property("reg", u64s: banks.flatMap { [$0.base, $0.size] })
        b.endNode()

        b.beginNode("interrupt-controller@" + String(L.gicdBase, radix: 16))
        b.property("compatible", string: "arm,gic-v3")
        b.property("#interrupt-cells", u32: 3)
        b.property("#address-cells", u32: 0)
        b.property("interrupt-controller")
        b.property("redistributor-stride", u32: UInt32(L.gicrStride))
        b.property("#redistributor-regions", u32: 1)
        b.property("reg", u64s: [L.gicdBase, L.gicdSize, L.gicrBase, UInt64(d.vcpus.count) * L.gicrStride])
        b.property("phandle", u32: gic)
        b.endNode()

        b.beginNode("timer")
        b.property("compatible", strings: ["arm,armv8-timer", "arm,armv7-timer"])
        b.property("interrupts", cells: [UInt32(L.securePhysicalTimerPPI), UInt32(L.physicalTimerPPI),
                                         UInt32(L.virtualTimerPPI), 26].flatMap { [ppi, $0 - 16, levelLow] })
        b.property("clock-frequency", u32: UInt32(counterFrequency))
        b.endNode()

        b.beginNode("hypervisor")
        b.property("compatible", strings: ["xen,xen-\(HostedHypervisor.xenVersion.major).\(HostedHypervisor.xenVersion.minor)", "xen,xen"])
        b.property("reg", u64s: [L.grantTableBase, L.grantTableSize])
        b.property("interrupts", cells: [ppi, UInt32(L.eventChannelPPI - 16), levelLow])
        b.endNode()

        if d.config.vpl011 {
            b.beginNode(String(uartPath.dropFirst()))
            b.property("compatible", string: "arm,sbsa-uart")
            b.property("reg", u64s: [L.vpl011Base, L.vpl011Size])
            b.property("interrupts", cells: [spi, UInt32(L.vpl011INTID - 32), levelHigh])
            b.property("current-speed", u32: 115200)
            b.endNode()
        }
        b.endNode()
        return b.finish()
    }
}
