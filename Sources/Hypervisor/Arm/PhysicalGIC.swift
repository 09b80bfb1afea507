import Emu
import Devices

/// The hypervisor's own use of the machine's GICv3, as Xen's gic-v3.c drives it: the
/// distributor and redistributors through MMIO, the CPU interface through the ICC_*
/// system registers at EL2. It takes the interrupts the hypervisor needs: its timer,
/// the guests' virtual timer, the GIC maintenance interrupt and the SGI it kicks other
/// pCPUs with.
final class PhysicalGIC {
    static let kickSGI = 0
    static let maintenancePPI = 25, hypervisorTimerPPI = 26, virtualTimerPPI = 27
    static let spurious = 1023

    private let bus: Bus
    private let gicd: UInt64, gicr: UInt64, stride: UInt64
    private typealias ICC = GICv3CPUInterface.Reg

    init(bus: Bus, distributor: UInt64, redistributors: UInt64, stride: UInt64) {
        self.bus = bus; gicd = distributor; gicr = redistributors; self.stride = stride
    }

    /// Enables the distributor (affinity routing, Group 1) once.
    func initDistributor() {
        bus.write(gicd, size: 4, value: 1 << 4 | 1 << 1)
    }

    /// Wakes `cpu`'s redistributor, puts its private interrupts in Group 1, enables the
    /// ones the hypervisor takes, and opens its CPU interface.
    func initCPU(_ cpu: CPU) {
        let rd = gicr + UInt64(cpu.index) * stride, sgi = rd + 0x1_0000
        bus.write(rd + 0x14, size: 4, value: 0)                 // GICR_WAKER: ProcessorSleep = 0
        bus.write(sgi + 0x80, size: 4, value: 0xffff_ffff)      // GICR_IGROUPR0
        let enable = 1 << PhysicalGIC.kickSGI | 1 << PhysicalGIC.maintenancePPI
            | 1 << PhysicalGIC.hypervisorTimerPPI | 1 << PhysicalGIC.virtualTimerPPI
        bus.write(sgi + 0x100, size: 4, value: UInt64(enable))  // GICR_ISENABLER0
        write(cpu, ICC.pmr, 0xff)
        write(cpu, ICC.igrpen1, 1)
    }

    /// Acknowledges the highest-priority pending interrupt (ICC_IAR1_EL1).
    func acknowledge(_ cpu: CPU) -> Int { Int(read(cpu, ICC.iar1) & 0xff_ffff) }

    /// Priority drop and deactivation (ICC_EOIR1_EL1 with EOImode 0).
    func endOfInterrupt(_ cpu: CPU, _ intid: Int) { write(cpu, ICC.eoir1, UInt64(intid)) }

    /// Sends the kick SGI from `cpu` to pCPU `target` (affinity 0.0.0.target).
    func kick(from cpu: CPU, to target: Int) {
        let rs = UInt64(target / 16)
        write(cpu, ICC.sgi1r, UInt64(PhysicalGIC.kickSGI) << 24 | rs << 44 | 1 << UInt64(target % 16))
    }

    private func read(_ cpu: CPU, _ e: UInt32) -> UInt64 { cpu.gicInterface?.readRegister(cpu, encoding: e) ?? UInt64(PhysicalGIC.spurious) }
    private func write(_ cpu: CPU, _ e: UInt32, _ v: UInt64) { _ = cpu.gicInterface?.writeRegister(cpu, encoding: e, value: v) }
}
