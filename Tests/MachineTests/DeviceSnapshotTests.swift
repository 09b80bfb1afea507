import Testing
import Foundation
@testable import Machine
import Emu
import Devices

/// Plain snapshots (no --hypervisor) keep every device's state: a machine whose interrupt
/// controller, timers, UART, RTC and virtio devices hold values other than their reset values
/// is saved and restored into a fresh machine, which then reads the same through every
/// register and saves the same state again.
@Suite struct DeviceSnapshotTests {
    static func machine(gic: Int) throws -> Machine {
        var c = MachineConfig()
        c.cpus = 2
        c.gicVersion = gic
        c.ramSize = 16 << 20
        return try Machine(c)
    }

    /// What the guest can read without changing anything: every 32-bit register of the board's
    /// devices (as each CPU sees those banked per CPU), but the reads that acknowledge an
    /// interrupt (GICC_IAR, GICC_AIAR) or pop the UART's FIFO (UARTDR); with GICv3 every
    /// ICC_*/ICH_* register but ICC_IAR0/1; and each CPU's interrupt inputs.
    static func registers(_ m: Machine) -> [String] {
        var out: [String] = []
        func dump(_ region: VirtBoard.Region, size: UInt64? = nil, banked: Bool = false, skip: Set<UInt64> = []) {
            for cpu in banked ? Array(m.cpus.indices) : [0] {
                for off in stride(from: UInt64(0), to: size ?? region.size, by: 4) where !skip.contains(off) {
                    let v = m.bus.read(region.base + off, size: 4, cpu: cpu)
                    out.append("\(region.name)+\(hex(off)) cpu\(cpu): \(v.map(hex) ?? "unmapped")")
                }
            }
        }
        dump(VirtBoard.gicDistributor, banked: m.gic.v2)
        if m.gic.v2 {
            dump(VirtBoard.gicCPUInterface, banked: true, skip: [0x0c, 0x20])
        } else {
            dump(VirtBoard.gicRedistributors, size: UInt64(m.cpus.count) * VirtBoard.gicRedistributorStride)
            let R = GICv3CPUInterface.Reg.self
            let regs: [UInt32] = [R.pmr, R.hppir0, R.hppir1, R.bpr0, R.bpr1, R.ap0r0, R.ap1r0, R.rpr, R.ctlr, R.sre,
                                  R.igrpen0, R.igrpen1, R.ichHCR, R.ichVTR, R.ichVMCR, R.ichAP0R0, R.ichAP1R0,
                                  R.ichMISR, R.ichEISR, R.ichELRSR] + (0..<GICv3CPUInterface.listRegisters).map(R.ichLR)
            for c in m.cpus {
                for e in regs { out.append("sysreg \(hex(UInt64(e))) cpu\(c.index): \(c.gicInterface!.readRegister(c, encoding: e).map(hex) ?? "undefined")") }
            }
        }
        for c in m.cpus {
            let s = c.st.pointee
            out.append("cpu\(c.index) lines irq \(s.irqLine) fiq \(s.fiqLine) virq \(s.virqLine) vfiq \(s.vfiqLine)")
        }
        dump(VirtBoard.uart, skip: [0x000])
        dump(VirtBoard.rtc)
        for i in m.virtio.indices { dump(VirtBoard.virtioSlot(i)) }
        return out
    }

    // MARK: Non-default state

    static func write(_ m: Machine, _ base: UInt64, _ off: UInt64, _ v: UInt64, cpu: Int = 0, size: Int = 4) {
        #expect(m.bus.write(base + off, size: size, value: v, cpu: cpu))
    }

    /// GICv3: both groups on, SPIs with groups, enables, pending and active bits, priorities,
    /// trigger modes and affinity routing (to CPU 1, 1-of-N, and to an affinity with no PE);
    /// one redistributor awake with SGIs and PPIs set up; CPU interfaces with priority masks,
    /// binary points, group enables, EOImode, a pending SGI and an acknowledged SPI (active
    /// priorities), and the EL2 list registers filled in.
    static func configureGICv3(_ m: Machine) {
        let D = VirtBoard.gicDistributor.base
        let R1 = VirtBoard.gicRedistributors.base + VirtBoard.gicRedistributorStride, sgi: UInt64 = 0x1_0000
        write(m, D, 0x000, 3)                                  // GICD_CTLR: EnableGrp0, EnableGrp1
        write(m, D, 0x084, 0xf0f0_f0f0)                        // GICD_IGROUPR1 (SPIs 32-63)
        write(m, D, 0x104, 0x0ff0_0ff0)                        // GICD_ISENABLER1
        write(m, D, 0x204, 0x0000_ff00)                        // GICD_ISPENDR1
        write(m, D, 0x304, 0x0000_0003)                        // GICD_ISACTIVER1
        write(m, D, 0x420, 0x1030_5070)                        // GICD_IPRIORITYR8 (INTIDs 32-35)
        write(m, D, 0xc08, 0xaaaa_0000)                        // GICD_ICFGR2: 40-47 edge-triggered
        write(m, D, 0x6000 + 8 * 40, 1, size: 8)               // GICD_IROUTER40: CPU 1
        write(m, D, 0x6000 + 8 * 41, 1 << 31, size: 8)         // GICD_IROUTER41: 1 of N
        write(m, D, 0x6000 + 8 * 42, 0x1_0000_0100, size: 8)   // GICD_IROUTER42: Aff3 1, Aff1 1: no PE
        write(m, R1, 0x014, 0)                                 // GICR_WAKER of CPU 1: awake
        write(m, R1, sgi + 0x080, 0xffff_0000)                 // GICR_IGROUPR0: SGIs Group 0, PPIs Group 1
        write(m, R1, sgi + 0x100, 0x0800_0003)                 // GICR_ISENABLER0: SGIs 0, 1 and PPI 27
        write(m, R1, sgi + 0x400, 0x0808_1018)                 // GICR_IPRIORITYR0 (SGIs 0-3)
        write(m, R1, sgi + 0xc04, 0xa000_0000)                 // GICR_ICFGR1: PPIs 30, 31 edge-triggered
        let R = GICv3CPUInterface.Reg.self
        func sys(_ c: Int, _ e: UInt32, _ v: UInt64) { #expect(m.cpus[c].gicInterface!.writeRegister(m.cpus[c], encoding: e, value: v)) }
        for c in 0..<2 {
            sys(c, R.pmr, c == 0 ? 0xf0 : 0x80)
            sys(c, R.bpr0, 4); sys(c, R.bpr1, 5)
            sys(c, R.igrpen0, 1); sys(c, R.igrpen1, 1)
        }
        sys(1, R.ctlr, 2)                                      // EOImode 1: EOI drops priority only
        sys(0, R.sgi1r, 1 << 24 | 2)                           // SGI 1 from CPU 0 to CPU 1
        let cpu1 = m.cpus[1]
        // SPI 40 (Group 0, priority 0, routed to CPU 1) is the highest: it becomes active.
        #expect(cpu1.gicInterface!.readRegister(cpu1, encoding: R.iar0) == 40)
        sys(0, R.ichVMCR, 0xf000_0003)
        sys(0, R.ichLR(0), 1 << 62 | 1 << 60 | 0x80 << 48 | 40)   // pending, Group 1, vINTID 40
        sys(0, R.ichLR(2), 2 << 62 | 0xa0 << 48 | 7)              // active, Group 0, vINTID 7
        sys(0, R.ichAP1R0, 1 << 5)
        sys(0, R.ichHCR, 1 | 1 << 27)                          // En, EOIcount 1
    }

    /// GICv2: both groups on, SPIs targeted at CPUs with groups, enables, pending and active
    /// bits and priorities; banked SGI/PPI state of CPU 1; CPU interfaces with GICC_CTLR
    /// (FIQEn, EOImode), priority masks, binary points and an acknowledged SGI.
    static func configureGICv2(_ m: Machine) {
        let D = VirtBoard.gicDistributor.base, C = VirtBoard.gicCPUInterface.base
        write(m, D, 0x000, 3)                                  // GICD_CTLR
        write(m, D, 0x084, 0xf0f0_f0f0)                        // GICD_IGROUPR1
        write(m, D, 0x104, 0x0ff0_0ff0)                        // GICD_ISENABLER1
        write(m, D, 0x204, 0x0000_ff00)                        // GICD_ISPENDR1
        write(m, D, 0x304, 0x0000_0003)                        // GICD_ISACTIVER1
        write(m, D, 0x420, 0x1030_5070)                        // GICD_IPRIORITYR8
        write(m, D, 0x820, 0x0302_0102)                        // GICD_ITARGETSR8 (SPIs 32-35)
        write(m, D, 0xc08, 0xaaaa_0000)                        // GICD_ICFGR2
        write(m, D, 0x080, 0xffff_0000, cpu: 1)                // GICD_IGROUPR0 of CPU 1
        write(m, D, 0x100, 0x4000_0003, cpu: 1)                // GICD_ISENABLER0 of CPU 1: SGIs 0, 1, PPI 30
        write(m, D, 0x400, 0x0808_1018, cpu: 1)                // GICD_IPRIORITYR0 of CPU 1
        for c in 0..<2 {
            write(m, C, 0x000, c == 0 ? 0x3 : 0x20b, cpu: c)   // GICC_CTLR: groups; CPU 1 also FIQEn, EOImode
            write(m, C, 0x004, c == 0 ? 0xf0 : 0x80, cpu: c)   // GICC_PMR
            write(m, C, 0x008, 4, cpu: c); write(m, C, 0x01c, 5, cpu: c)   // GICC_BPR, GICC_ABPR
        }
        write(m, D, 0xf00, 2 << 16 | 1)                        // GICD_SGIR: SGI 1 to CPU 1
        #expect(m.bus.read(C + 0x0c, size: 4, cpu: 1) == 1)    // GICC_IAR: SGI 1 from CPU 0, active
        write(m, D, 0xf00, 2 << 16 | 0)                        // SGI 0 pending behind it
    }

    /// The timer, UART, RTC and virtio devices away from their reset state.
    static func configureDevices(_ m: Machine) throws {
        // A virtual timer firing on CPU 0 (the registers are CPU state; the level is the timer's).
        m.cpus[0].st.pointee.cntvCtl = 1
        m.cpus[0].st.pointee.cntvCval = 0
        m.timer.update(now: m.now)

        let U = VirtBoard.uart.base
        write(m, U, 0x024, 0x27); write(m, U, 0x028, 0x05)    // UARTIBRD, UARTFBRD
        write(m, U, 0x02c, 0x70)                               // UARTLCR_H: FIFOs on, 8 bits
        write(m, U, 0x030, 0x301)                              // UARTCR: UARTEN, TXE, RXE
        write(m, U, 0x034, 0x09); write(m, U, 0x020, 0x33); write(m, U, 0x048, 0x4)
        write(m, U, 0x038, 0x450)                              // UARTIMSC: RX, RT, overrun
        m.type(Array("0123456789abcdefXYZ!".utf8))             // 16 in the FIFO, 4 waiting for room
        #expect(m.bus.read(U, size: 4) == UInt64(UInt8(ascii: "0")))

        let T = VirtBoard.rtc.base
        write(m, T, 0x008, 1000); write(m, T, 0x004, 1234); write(m, T, 0x010, 1)   // RTCLR, RTCMR, RTCIMSC

        // Slot 0 is the entropy device, slot 1 the console (no drives): both negotiated, with a
        // queue each; the entropy device served one request (generator and used ring advanced,
        // interrupt raised), the console has input its guest has not taken yet.
        for (slot, queue) in [(0, 0), (1, 1)] {
            let V = VirtBoard.virtioSlot(slot).base
            let rings = 0x4010_0000 + UInt64(slot) * 0x1_0000
            write(m, V, 0x070, 3)                              // Status: ACKNOWLEDGE, DRIVER
            write(m, V, 0x024, 1); write(m, V, 0x020, 1)       // DriverFeatures high word: VERSION_1
            write(m, V, 0x070, 11)                             // FEATURES_OK
            write(m, V, 0x030, UInt64(queue))                  // QueueSel
            write(m, V, 0x038, 8)                              // QueueNum
            write(m, V, 0x080, rings); write(m, V, 0x090, rings + 0x1000); write(m, V, 0x0a0, rings + 0x2000)
            write(m, V, 0x044, 1)                              // QueueReady
            write(m, V, 0x070, 15)                             // DRIVER_OK
            write(m, V, 0x014, 1)                              // DeviceFeaturesSel
        }
        var w = StateWriter()
        w.u64(0x4020_0000); w.u32(16); w.u32(2)              // descriptor 0: 16 bytes, device-writable
        try m.bus.load(w.bytes, at: 0x4010_0000)
        try m.bus.load([0, 0, 1, 0, 0, 0], at: 0x4010_1000)    // available ring: idx 1, ring[0] = 0
        write(m, VirtBoard.virtioSlot(0).base, 0x050, 0)       // QueueNotify
        #expect(m.bus.read(VirtBoard.virtioSlot(0).base + 0x060, size: 4) == 1)   // used buffer interrupt
        m.typeVirtioConsole(Array("pending".utf8))
    }

    @Test(arguments: [3, 2])
    func everyRegisterReadsTheSameAfterRestore(gic: Int) throws {
        let a = try Self.machine(gic: gic)
        let reset = Self.registers(a)
        if gic == 3 { Self.configureGICv3(a) } else { Self.configureGICv2(a) }
        try Self.configureDevices(a)
        let want = Self.registers(a)
        let changed = zip(reset, want).filter { $0 != $1 }.count
        #expect(changed > 60, "only \(changed) registers differ from reset")

        let state = a.saveState()
        let b = try Self.machine(gic: gic)
        try b.restoreState(state)
        let have = Self.registers(b)
        #expect(have.count == want.count)
        let wrong = zip(want, have).filter { $0 != $1 }.map { "\($0.1) (saved: \($0.0))" }
        #expect(wrong.isEmpty, "\(wrong.count) registers differ after restore:\n\(wrong.prefix(12).joined(separator: "\n"))")
        #expect(b.saveState() == state)
        #expect(b.deviceStateHash() == a.deviceStateHash())
    }
}
