import Emu
import Machine

/// MMIO sequences to the board's devices, with RAM the input fills (rings, descriptors,
/// buffers for virtio), between short runs of an idle CPU that takes the interrupts.
/// Even first bytes pick the GICv3 board, odd ones the GICv2 board.
enum DeviceFuzz {
    nonisolated(unsafe) static let v3 = FuzzMachine.make(FuzzMachine.idle, "devices3", gic: 3, cpus: 2, drive: true)
    nonisolated(unsafe) static let v2 = FuzzMachine.make(FuzzMachine.idle, "devices2", gic: 2, cpus: 2, drive: true)

    /// Where the devices are: the GIC's frames, the UART, the RTC and the virtio slots in use.
    static func regions(v2: Bool) -> [(base: UInt64, size: UInt64)] {
        var r = [VirtBoard.gicDistributor, v2 ? VirtBoard.gicCPUInterface : VirtBoard.gicRedistributors,
                 VirtBoard.uart, VirtBoard.rtc].map { ($0.base, $0.size) }
        for i in 0..<3 { let s = VirtBoard.virtioSlot(i); r.append((s.base, s.size)) }
        return r
    }

    static func run(_ input: [UInt8]) {
        var f = FuzzInput(input)
        let gic2 = f.u8() & 1 != 0
        let m = (gic2 ? v2 : v3).fresh()
        let devices = regions(v2: gic2)
        let ramBase = VirtBoard.ram.base, ramWindow: UInt64 = 1 << 20
        var ops = 0
        while !f.isEmpty && ops < 4096 {
            ops += 1
            let op = f.u8()
            switch op % 4 {
            case 0:     // RAM: 8 bytes somewhere in the first MiB (as a device's DMA would)
                let at = ramBase + UInt64(f.u16()) * 16 % ramWindow
                try? m.bus.load(Array(f.take(8)), at: at)
            case 1, 2:  // a device register
                let d = devices[Int(f.u8()) % devices.count]
                let offset = UInt64(f.u16()) % d.size
                let size = [1, 2, 4, 8][Int(op >> 2) & 3]
                var value = f.u64()
                if op & 0x10 != 0 { value = ramBase + value % ramWindow }    // an address in RAM
                if op % 4 == 1 { _ = m.bus.write(d.base + offset, size: size, value: value) }
                else { _ = m.bus.read(d.base + offset, size: size) }
            default:    // let the CPUs run and take interrupts
                _ = m.run(limit: UInt64(f.u8()) * 16 + 1)
            }
        }
        _ = m.run(limit: 2_000)
    }
}
