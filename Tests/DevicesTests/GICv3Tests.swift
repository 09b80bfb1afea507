import Testing
@testable import Devices
@testable import Emu

/// Real CPUs on one bus, built as `Machine` builds them; the GIC drives their IRQ/FIQ inputs.
func makeTestCPUs(_ n: Int) throws -> [CPU] {
    let bus = Bus()
    try bus.addRAM(base: 0x4000_0000, size: 0x1_0000)
    let cache = CPU.makeCodeCache(bus: bus)
    return (0..<n).map { CPU(index: $0, bus: bus, codeCache: cache) }
}

/// GICv3 register offsets and system-register encodings, written out from the register
/// descriptions of IHI 0069 (GICD_*, GICR_*, ICC_*, ICH_*) rather than taken from the code under test.
enum GICD {
    static let ctlr: UInt64 = 0x0000, typer: UInt64 = 0x0004, igroupr: UInt64 = 0x0080
    static let isenabler: UInt64 = 0x0100, icenabler: UInt64 = 0x0180, ispendr: UInt64 = 0x0200
    static let icpendr: UInt64 = 0x0280, isactiver: UInt64 = 0x0300, icactiver: UInt64 = 0x0380
    static let ipriorityr: UInt64 = 0x0400, itargetsr: UInt64 = 0x0800, icfgr: UInt64 = 0x0c00
    static let sgir: UInt64 = 0x0f00, irouter: UInt64 = 0x6000
    /// Offset of the 32-bit register holding INTID `i`'s bit in a one-bit-per-INTID bank.
    static func bank(_ base: UInt64, _ i: Int) -> UInt64 { base + UInt64(i / 32) * 4 }
}

enum GICR {
    static let stride: UInt64 = 0x2_0000, sgiBase: UInt64 = 0x1_0000
    static let ctlr: UInt64 = 0x0000, typer: UInt64 = 0x0008, waker: UInt64 = 0x0014, pidr2: UInt64 = 0xffe8
    // SGI_base frame
    static let igroupr0: UInt64 = 0x0080, isenabler0: UInt64 = 0x0100, icenabler0: UInt64 = 0x0180
    static let ispendr0: UInt64 = 0x0200, icpendr0: UInt64 = 0x0280, isactiver0: UInt64 = 0x0300
    static let ipriorityr: UInt64 = 0x0400, icfgr0: UInt64 = 0x0c00, icfgr1: UInt64 = 0x0c04
}

/// op0 = 3: op0:op1:CRn:CRm:op2 packed as the CPU passes it to `GICSystemRegisters`.
private func sysreg(_ op1: UInt32, _ crn: UInt32, _ crm: UInt32, _ op2: UInt32) -> UInt32 {
    3 << 14 | op1 << 11 | crn << 7 | crm << 3 | op2
}

enum ICC {
    static let pmr = sysreg(0, 4, 6, 0)
    static let iar0 = sysreg(0, 12, 8, 0), eoir0 = sysreg(0, 12, 8, 1), hppir0 = sysreg(0, 12, 8, 2)
    static let bpr0 = sysreg(0, 12, 8, 3), ap0r0 = sysreg(0, 12, 8, 4), ap1r0 = sysreg(0, 12, 9, 0)
    static let dir = sysreg(0, 12, 11, 1), rpr = sysreg(0, 12, 11, 3), sgi1r = sysreg(0, 12, 11, 5)
    static let sgi0r = sysreg(0, 12, 11, 7)
    static let iar1 = sysreg(0, 12, 12, 0), eoir1 = sysreg(0, 12, 12, 1), hppir1 = sysreg(0, 12, 12, 2)
    static let bpr1 = sysreg(0, 12, 12, 3), ctlr = sysreg(0, 12, 12, 4), sre = sysreg(0, 12, 12, 5)
    static let igrpen0 = sysreg(0, 12, 12, 6), igrpen1 = sysreg(0, 12, 12, 7)
}

enum ICH {
    static let hcr = sysreg(4, 12, 11, 0), vtr = sysreg(4, 12, 11, 1), misr = sysreg(4, 12, 11, 2)
    static let eisr = sysreg(4, 12, 11, 3), elrsr = sysreg(4, 12, 11, 5), vmcr = sysreg(4, 12, 11, 7)
    /// ICH_LR<n>_EL2: CRm = 0b110:n<3>, op2 = n<2:0>.
    static func lr(_ n: UInt32) -> UInt32 { sysreg(4, 12, 12 | n >> 3, n & 7) }
}

/// A GICv3 (distributor, redistributors, system-register CPU interface) wired to real CPUs.
final class GICv3Fixture {
    let cpus: [CPU]
    let gic: GICCore
    let dist: GICDistributor
    let redist: GICRedistributors
    let icc: GICv3CPUInterface

    init(cpus n: Int = 2, lines: Int = 96) throws {
        cpus = try makeTestCPUs(n)
        gic = GICCore(cpus: cpus, lines: lines)
        dist = GICDistributor(gic, v3: true)
        redist = GICRedistributors(gic)
        icc = GICv3CPUInterface(gic)
        for c in cpus { c.gicInterface = icc }
    }

    /// What Linux's GICv3 driver does at boot: distributor groups on, redistributors awake,
    /// every CPU interface with PMR 0xff and Group 0 and 1 enabled.
    static func booted(cpus n: Int = 2, lines: Int = 96) throws -> GICv3Fixture {
        let f = try GICv3Fixture(cpus: n, lines: lines)
        f.d(GICD.ctlr, 3)
        for c in 0..<n {
            f.rd(c, GICR.waker, 0)
            f.sys(c, ICC.pmr, 0xff)
            f.sys(c, ICC.igrpen0, 1)
            f.sys(c, ICC.igrpen1, 1)
        }
        return f
    }

    // Distributor
    func d(_ off: UInt64, size: Int = 4) -> UInt64 { dist.read(offset: off, size: size, cpu: 0) }
    func d(_ off: UInt64, _ v: UInt64, size: Int = 4) { dist.write(offset: off, size: size, value: v, cpu: 0) }
    // Redistributor of CPU c: RD_base frame and SGI_base frame
    func rd(_ c: Int, _ off: UInt64, size: Int = 4) -> UInt64 {
        redist.read(offset: UInt64(c) * GICR.stride + off, size: size, cpu: 0)
    }
    func rd(_ c: Int, _ off: UInt64, _ v: UInt64, size: Int = 4) {
        redist.write(offset: UInt64(c) * GICR.stride + off, size: size, value: v, cpu: 0)
    }
    func sgiFrame(_ c: Int, _ off: UInt64) -> UInt64 { rd(c, GICR.sgiBase + off) }
    func sgiFrame(_ c: Int, _ off: UInt64, _ v: UInt64, size: Int = 4) { rd(c, GICR.sgiBase + off, v, size: size) }
    // CPU interface
    func sys(_ c: Int, _ e: UInt32) -> UInt64? { icc.readRegister(cpus[c], encoding: e) }
    @discardableResult
    func sys(_ c: Int, _ e: UInt32, _ v: UInt64) -> Bool { icc.writeRegister(cpus[c], encoding: e, value: v) }
    func ack1(_ c: Int) -> UInt64 { sys(c, ICC.iar1)! }
    func ack0(_ c: Int) -> UInt64 { sys(c, ICC.iar0)! }
    func rpr(_ c: Int) -> UInt64 { sys(c, ICC.rpr)! }
    // Outputs
    func irq(_ c: Int) -> Bool { cpus[c].st.pointee.irqLine }
    func fiq(_ c: Int) -> Bool { cpus[c].st.pointee.fiqLine }

    /// Sets up SPI `i` through the distributor: group, priority, trigger, route (Aff0), enabled.
    func spi(_ i: Int, group1: Bool = true, priority: UInt8 = 0x80, edge: Bool = false, cpu: Int = 0) {
        let bit = UInt64(1) << (i % 32)
        let g = d(GICD.bank(GICD.igroupr, i))
        d(GICD.bank(GICD.igroupr, i), group1 ? g | bit : g & ~bit)
        d(GICD.ipriorityr + UInt64(i), UInt64(priority), size: 1)
        let cfgOff = GICD.icfgr + UInt64(i / 16) * 4, shift = UInt64(i % 16) * 2 + 1
        let cfg = d(cfgOff)
        d(cfgOff, edge ? cfg | 1 << shift : cfg & ~(1 << shift))
        d(GICD.irouter + 8 * UInt64(i), UInt64(cpu), size: 8)
        d(GICD.bank(GICD.isenabler, i), bit)
    }

    /// Sets up SGI/PPI `i` of CPU `c` through its redistributor.
    func ppi(_ i: Int, cpu c: Int, group1: Bool = true, priority: UInt8 = 0x80, edge: Bool = false) {
        let bit = UInt64(1) << i
        let g = sgiFrame(c, GICR.igroupr0)
        sgiFrame(c, GICR.igroupr0, group1 ? g | bit : g & ~bit)
        sgiFrame(c, GICR.ipriorityr + UInt64(i), UInt64(priority), size: 1)
        if i >= 16 {
            let shift = UInt64(i - 16) * 2 + 1, cfg = sgiFrame(c, GICR.icfgr1)
            sgiFrame(c, GICR.icfgr1, edge ? cfg | 1 << shift : cfg & ~(1 << shift))
        }
        sgiFrame(c, GICR.isenabler0, bit)
    }

    func pendingSPI(_ i: Int) -> Bool { d(GICD.bank(GICD.ispendr, i)) & (1 << (i % 32)) != 0 }
    func activeSPI(_ i: Int) -> Bool { d(GICD.bank(GICD.isactiver, i)) & (1 << (i % 32)) != 0 }
    func pendSPI(_ i: Int) { d(GICD.bank(GICD.ispendr, i), 1 << (i % 32)) }
}

@Suite struct GICv3Tests {
    // MARK: Identification and bring-up (GICD_CTLR/TYPER/PIDR2, GICR_TYPER/WAKER)

    @Test func distributorIdentifiesAsGICv3WithAffinityRouting() throws {
        let f = try GICv3Fixture(lines: 96)
        #expect((f.d(0xffe8) >> 4) & 0xf == 3)                 // GICD_PIDR2.ArchRev
        let typer = f.d(GICD.typer)
        #expect(typer & 0x1f == 96 / 32 - 1)                    // ITLinesNumber
        #expect((typer >> 19) & 0x1f >= 9)                      // IDbits: at least 10 INTID bits
        #expect(typer & (1 << 10) == 0)                         // SecurityExtn: one security state
        // GICD_CTLR with DS = 1: ARE (bit 4) and DS (bit 6) are RAO/WI; the enables are RW.
        #expect(f.d(GICD.ctlr) & 0x50 == 0x50)
        f.d(GICD.ctlr, 0)
        #expect(f.d(GICD.ctlr) == 0x50)
        f.d(GICD.ctlr, 3)
        #expect(f.d(GICD.ctlr) == 0x53)
        // With ARE, the distributor's banks for INTIDs 0-31 are RAZ/WI.
        f.d(GICD.isenabler, 0xffff_ffff)
        #expect(f.d(GICD.isenabler) == 0)
        #expect(f.sgiFrame(0, GICR.isenabler0) == 0)
    }

    @Test func redistributorTyperReportsAffinityAndLast() throws {
        let f = try GICv3Fixture(cpus: 3)
        for c in 0..<3 {
            let mpidr = f.cpus[c].st.pointee.mpidr
            let affinity = (mpidr & 0xff_ffff) | ((mpidr >> 32) & 0xff) << 24   // Aff3.Aff2.Aff1.Aff0
            let typer = f.rd(c, GICR.typer, size: 8)
            #expect(typer >> 32 == affinity)
            #expect((typer >> 8) & 0xffff == UInt64(c))           // Processor_Number
            #expect(typer & (1 << 4) != 0 ? c == 2 : c != 2)      // Last: only the final frame
            #expect(typer & 1 == 0)                               // PLPIS: no physical LPIs
            // The two 32-bit halves agree with the 64-bit read.
            #expect(f.rd(c, GICR.typer) | f.rd(c, GICR.typer + 4) << 32 == typer)
            #expect((f.rd(c, GICR.pidr2) >> 4) & 0xf == 3)
        }
    }

    @Test func wakerHandshake() throws {
        let f = try GICv3Fixture()
        // Out of reset the redistributor is asleep: ProcessorSleep (bit 1) and ChildrenAsleep (bit 2).
        #expect(f.rd(0, GICR.waker) & 6 == 6)
        f.rd(0, GICR.waker, 0)                                    // clear ProcessorSleep...
        #expect(f.rd(0, GICR.waker) & 6 == 0)                     // ...and poll ChildrenAsleep to 0
        #expect(f.rd(1, GICR.waker) & 6 == 6)                     // per CPU
        f.rd(0, GICR.waker, 2)
        #expect(f.rd(0, GICR.waker) & 6 == 6)
    }

    // MARK: SPIs through the distributor

    @Test func spiEnableAndPendThroughTheDistributor() throws {
        let f = try GICv3Fixture.booted()
        f.spi(40, priority: 0x80, edge: true)
        #expect(f.d(GICD.bank(GICD.isenabler, 40)) == 1 << 8)
        #expect(f.d(GICD.ipriorityr + 40, size: 1) == 0x80)
        #expect(!f.irq(0))
        f.pendSPI(40)
        #expect(f.pendingSPI(40))
        #expect(f.irq(0) && !f.fiq(0) && !f.irq(1))
        #expect(f.sys(0, ICC.hppir1) == 40)
        #expect(f.ack1(0) == 40)
        #expect(!f.irq(0))
        #expect(f.activeSPI(40) && !f.pendingSPI(40))
        #expect(f.rpr(0) == 0x80)
        f.sys(0, ICC.eoir1, 40)
        #expect(!f.activeSPI(40))
        #expect(f.rpr(0) == 0xff)
        #expect(f.ack1(0) == 1023)
        // A disabled interrupt stays pending but is not forwarded.
        f.d(GICD.bank(GICD.icenabler, 40), 1 << 8)
        f.pendSPI(40)
        #expect(f.pendingSPI(40) && !f.irq(0))
        f.d(GICD.bank(GICD.isenabler, 40), 1 << 8)
        #expect(f.irq(0))
        // The distributor's group enable gates forwarding too.
        f.d(GICD.ctlr, 1)
        #expect(!f.irq(0))
        f.d(GICD.ctlr, 3)
        #expect(f.irq(0))
    }

    @Test func irouterRoutesToCPU1Only() throws {
        let f = try GICv3Fixture.booted()
        f.spi(50, cpu: 1)
        #expect(f.d(GICD.irouter + 8 * 50, size: 8) == 1)
        f.gic.setLine(50, true)
        #expect(f.irq(1) && !f.irq(0))
        #expect(f.ack1(0) == 1023)
        #expect(f.ack1(1) == 50)
        f.sys(1, ICC.eoir1, 50)
        f.gic.setLine(50, false)
        #expect(!f.irq(0) && !f.irq(1))
        // Re-routed while pending: the line moves with it.
        f.gic.setLine(50, true)
        #expect(f.irq(1))
        f.d(GICD.irouter + 8 * 50, 0, size: 8)
        #expect(f.irq(0) && !f.irq(1))
        // The 32-bit halves of IROUTER are accessible separately.
        f.d(GICD.irouter + 8 * 50, 1)
        #expect(f.d(GICD.irouter + 8 * 50) == 1 && f.d(GICD.irouter + 8 * 50 + 4) == 0)
        #expect(f.irq(1) && !f.irq(0))
    }

    @Test func irouterToAnAbsentPEForwardsNowhereAndReadsBack() throws {
        let f = try GICv3Fixture.booted()
        f.spi(41)
        // Aff1 = 1: no such PE on this board. IHI 0069 GICD_IROUTER<n>: one permitted behaviour is
        // "not forwarded to any PE, direct reads return the written value"; bits 30:24, 63:40 are RES0.
        f.d(GICD.irouter + 8 * 41, 0x100, size: 8)
        f.gic.setLine(41, true)
        #expect(!f.irq(0) && !f.irq(1))
        #expect(f.d(GICD.irouter + 8 * 41, size: 8) == 0x100)
        #expect(f.d(GICD.irouter + 8 * 41 + 4) == 0)
        f.d(GICD.irouter + 8 * 41, 0x12_0000_0000, size: 8)       // Aff3 = 0x12
        #expect(f.d(GICD.irouter + 8 * 41, size: 8) == 0x12_0000_0000)
        #expect(f.d(GICD.irouter + 8 * 41) == 0 && f.d(GICD.irouter + 8 * 41 + 4) == 0x12)   // 32-bit halves
        #expect(!f.irq(0) && !f.irq(1))
        f.d(GICD.irouter + 8 * 41, 1, size: 8)
        #expect(f.irq(1))
    }

    @Test func oneOfNDeliversToExactlyOneParticipatingCPU() throws {
        let f = try GICv3Fixture.booted(cpus: 3)
        f.spi(60)
        f.d(GICD.irouter + 8 * 60, 1 << 31, size: 8)              // Interrupt_Routing_Mode = 1
        #expect(f.d(GICD.irouter + 8 * 60, size: 8) & (1 << 31) != 0)
        f.gic.setLine(60, true)
        #expect([f.irq(0), f.irq(1), f.irq(2)].filter { $0 }.count == 1)
        // A CPU interface with Group 1 disabled does not take part (Group 0 still enabled there),
        // and the SPI moves to a CPU that does.
        #expect(f.irq(0))
        f.sys(0, ICC.igrpen1, 0)
        #expect(!f.irq(0))
        #expect([f.irq(1), f.irq(2)].filter { $0 }.count == 1)
        let taker = f.irq(1) ? 1 : 2
        #expect(f.ack1(taker) == 60)
        f.sys(taker, ICC.eoir1, 60)
    }

    // MARK: SGIs and PPIs through the redistributor

    @Test func ppiConfiguredThroughTheRedistributorIsBankedPerCPU() throws {
        let f = try GICv3Fixture.booted()
        f.ppi(20, cpu: 1, priority: 0x40)
        #expect(f.sgiFrame(1, GICR.isenabler0) == 1 << 20)
        #expect(f.sgiFrame(0, GICR.isenabler0) == 0)
        #expect(f.sgiFrame(1, GICR.igroupr0) == 1 << 20)
        #expect(f.rd(1, GICR.sgiBase + GICR.ipriorityr + 20, size: 1) == 0x40)
        #expect(f.sgiFrame(1, GICR.icfgr1) & (2 << 8) == 0)       // level-sensitive
        f.gic.setLine(20, cpu: 0, true)                           // CPU 0's PPI 20 is not enabled
        #expect(!f.irq(0) && !f.irq(1))
        f.gic.setLine(20, cpu: 1, true)
        #expect(f.irq(1) && !f.irq(0))
        #expect(f.sgiFrame(1, GICR.ispendr0) & (1 << 20) != 0)
        #expect(f.ack1(1) == 20)
        #expect(f.sgiFrame(1, GICR.isactiver0) & (1 << 20) != 0)
        f.sys(1, ICC.eoir1, 20)
        #expect(f.irq(1))                                          // still high: pending again
        f.gic.setLine(20, cpu: 1, false)
        #expect(!f.irq(1))
        // SGIs are edge-triggered and their configuration is read-only (ICFGR0 reads 0xaaaaaaaa).
        #expect(f.sgiFrame(0, GICR.icfgr0) == 0xaaaa_aaaa)
        f.sgiFrame(0, GICR.icfgr0, 0)
        #expect(f.sgiFrame(0, GICR.icfgr0) == 0xaaaa_aaaa)
    }

    @Test func sgiPendedThroughTheRedistributor() throws {
        let f = try GICv3Fixture.booted()
        f.ppi(3, cpu: 0)
        f.sgiFrame(0, GICR.ispendr0, 1 << 3)
        #expect(f.irq(0) && !f.irq(1))
        f.sgiFrame(0, GICR.icpendr0, 1 << 3)
        #expect(!f.irq(0))
        #expect(f.sgiFrame(0, GICR.ispendr0) == 0)
    }

    @Test func sgi1rTargetListAndIRM() throws {
        let f = try GICv3Fixture.booted(cpus: 3)
        for c in 0..<3 { f.ppi(5, cpu: c) }
        // ICC_SGI1R_EL1: INTID 27:24, TargetList 15:0 (Aff0 = RS * 16 + bit), IRM bit 40.
        f.sys(0, ICC.sgi1r, 5 << 24 | 0b110)                     // to CPUs 1 and 2
        #expect(!f.irq(0) && f.irq(1) && f.irq(2))
        #expect(f.ack1(1) == 5 && f.ack1(2) == 5)                 // GICv3 IAR has no source field
        f.sys(1, ICC.eoir1, 5); f.sys(2, ICC.eoir1, 5)
        f.sys(1, ICC.sgi1r, 5 << 24 | 1 << 40 | 0b10)            // IRM: every PE but the sender
        #expect(f.irq(0) && !f.irq(1) && f.irq(2))
        #expect(f.ack1(0) == 5 && f.ack1(2) == 5)
        f.sys(0, ICC.eoir1, 5); f.sys(2, ICC.eoir1, 5)
        // A target list in another cluster (Aff1 = 1) or range (RS = 1) reaches nobody here.
        f.sys(0, ICC.sgi1r, 5 << 24 | 1 << 16 | 0b110)
        f.sys(0, ICC.sgi1r, 5 << 24 | 1 << 44 | 0b110)
        #expect(!f.irq(0) && !f.irq(1) && !f.irq(2))
        // To itself.
        f.sys(2, ICC.sgi1r, 5 << 24 | 0b100)
        #expect(f.irq(2) && f.ack1(2) == 5)
    }

    // MARK: Priority, masking and preemption (IHI 0069 4.8)

    @Test func pmrMasksInterruptsAtOrBelowItsPriority() throws {
        let f = try GICv3Fixture.booted()
        f.spi(40, priority: 0x80)
        f.pendSPI(40)
        #expect(f.irq(0))
        f.sys(0, ICC.pmr, 0x80)                                   // equal priority: masked
        #expect(!f.irq(0))
        #expect(f.ack1(0) == 1023)
        #expect(f.pendingSPI(40))
        f.sys(0, ICC.pmr, 0x88)
        #expect(f.irq(0))
        f.sys(0, ICC.pmr, 0x00)
        #expect(!f.irq(0))
        // Five priority bits: the low three bits of PMR and of priorities read as zero.
        f.sys(0, ICC.pmr, 0xff)
        #expect(f.sys(0, ICC.pmr) == 0xf8)
        f.d(GICD.ipriorityr + 40, 0xff, size: 1)
        #expect(f.d(GICD.ipriorityr + 40, size: 1) == 0xf8)
        #expect(!f.irq(0))                                        // 0xf8 is not below PMR 0xf8
        #expect((f.sys(0, ICC.ctlr)! >> 8) & 7 == 4)              // ICC_CTLR_EL1.PRIbits = 5 - 1
    }

    @Test func onlyHigherPriorityPreemptsTheRunningPriority() throws {
        let f = try GICv3Fixture.booted()
        f.spi(40, priority: 0x80, edge: true)
        f.spi(41, priority: 0x40, edge: true)
        f.spi(42, priority: 0xa0, edge: true)
        f.spi(43, priority: 0x80, edge: true)
        f.pendSPI(40)
        #expect(f.ack1(0) == 40)
        #expect(f.rpr(0) == 0x80)
        f.pendSPI(42)                                             // lower priority: waits
        #expect(!f.irq(0))
        #expect(f.ack1(0) == 1023)
        f.pendSPI(43)                                             // same priority: waits
        #expect(!f.irq(0))
        f.pendSPI(41)                                             // higher: preempts
        #expect(f.irq(0))
        #expect(f.ack1(0) == 41)
        #expect(f.rpr(0) == 0x40)
        #expect(!f.irq(0))
        f.sys(0, ICC.eoir1, 41)
        #expect(f.rpr(0) == 0x80)
        #expect(!f.irq(0))
        f.sys(0, ICC.eoir1, 40)
        #expect(f.rpr(0) == 0xff)
        #expect(f.irq(0))
        #expect(f.ack1(0) == 43)                                  // 0x80 before 0xa0
        f.sys(0, ICC.eoir1, 43)
        #expect(f.ack1(0) == 42)
        f.sys(0, ICC.eoir1, 42)
        #expect(!f.irq(0) && f.rpr(0) == 0xff)
    }

    @Test func binaryPointGroupsPrioritiesForPreemption() throws {
        let f = try GICv3Fixture.booted()
        // The minimum BPR1 is the minimum BPR0 plus one; lower writes read as the minimum.
        f.sys(0, ICC.bpr0, 0)
        f.sys(0, ICC.bpr1, 0)
        #expect(f.sys(0, ICC.bpr0) == 2 && f.sys(0, ICC.bpr1) == 3)
        f.spi(40, priority: 0x48, edge: true)
        f.spi(41, priority: 0x40, edge: true)
        f.spi(42, priority: 0x38, edge: true)
        // BPR1 = 4: Group 1 group priority is bits [7:4], so 0x40 and 0x48 are one group.
        f.sys(0, ICC.bpr1, 4)
        #expect(f.sys(0, ICC.bpr1) == 4)
        f.pendSPI(40)
        #expect(f.ack1(0) == 40)
        #expect(f.rpr(0) == 0x40)                                 // the group priority of 0x48
        f.pendSPI(41)
        #expect(!f.irq(0))                                        // 0x40 does not preempt 0x48 here
        f.pendSPI(42)
        #expect(f.irq(0))                                         // 0x38 is in group 0x30: it does
        #expect(f.ack1(0) == 42)
        f.sys(0, ICC.eoir1, 42)
        f.sys(0, ICC.eoir1, 40)
        // BPR1 = 3 (bits [7:3]): now 0x40 preempts an active 0x48.
        f.sys(0, ICC.bpr1, 3)
        #expect(f.ack1(0) == 41)
        f.sys(0, ICC.eoir1, 41)
        f.pendSPI(40)
        #expect(f.ack1(0) == 40)
        f.pendSPI(41)
        #expect(f.irq(0))
    }

    // MARK: Acknowledge, EOI, deactivation

    @Test func iar1ReturnsTheINTIDOr1023() throws {
        let f = try GICv3Fixture.booted()
        #expect(f.ack1(0) == 1023)
        #expect(f.sys(0, ICC.hppir1) == 1023)
        f.ppi(7, cpu: 0, priority: 0x10)
        f.spi(70, priority: 0x20)
        f.pendSPI(70)
        f.sgiFrame(0, GICR.ispendr0, 1 << 7)
        #expect(f.sys(0, ICC.hppir1) == 7)                        // HPPIR does not acknowledge
        #expect(f.ack1(0) == 7)
        #expect(f.ack1(0) == 1023)                                // 0x20 cannot preempt 0x10
        f.sys(0, ICC.eoir1, 7)
        #expect(f.ack1(0) == 70)
        f.sys(0, ICC.eoir1, 70)
        #expect(f.ack1(0) == 1023)
    }

    @Test func eoiModeZeroDropsPriorityAndDeactivates() throws {
        let f = try GICv3Fixture.booted()
        #expect(f.sys(0, ICC.ctlr)! & 2 == 0)
        f.spi(40, edge: true)
        f.pendSPI(40)
        #expect(f.ack1(0) == 40)
        f.pendSPI(40)                                             // active and pending
        #expect(!f.irq(0))
        f.sys(0, ICC.eoir1, 40)
        #expect(!f.activeSPI(40) && f.rpr(0) == 0xff)
        #expect(f.irq(0))
    }

    @Test func eoiModeOneOnlyDropsPriorityAndDIRDeactivates() throws {
        let f = try GICv3Fixture.booted()
        f.sys(0, ICC.ctlr, 2)                                     // EOImode = 1
        #expect(f.sys(0, ICC.ctlr)! & 2 == 2)
        f.spi(40, priority: 0x80, edge: true)
        f.spi(41, priority: 0xa0, edge: true)
        f.pendSPI(40)
        #expect(f.ack1(0) == 40)
        f.pendSPI(40)
        f.pendSPI(41)
        f.sys(0, ICC.eoir1, 40)
        #expect(f.rpr(0) == 0xff)                                 // priority dropped...
        #expect(f.activeSPI(40))                                  // ...but still active
        #expect(f.irq(0))                                         // so the lower 41 is signalled
        #expect(f.ack1(0) == 41)                                  // and 40 (active) is not taken
        f.sys(0, ICC.eoir1, 41)
        f.sys(0, ICC.dir, 41)
        #expect(!f.irq(0))
        f.sys(0, ICC.dir, 40)
        #expect(!f.activeSPI(40))
        #expect(f.irq(0))
        #expect(f.ack1(0) == 40)
    }

    @Test func eoiOfASpecialINTIDIsIgnored() throws {
        // ICC_EOIR0_EL1/ICC_EOIR1_EL1: "A write of a Special INTID is ignored" (IHI 0069).
        let f = try GICv3Fixture.booted()
        f.spi(40, priority: 0x80)
        f.pendSPI(40)
        #expect(f.ack1(0) == 40)
        f.sys(0, ICC.eoir1, 1023)
        #expect(f.rpr(0) == 0x80)
        #expect(f.activeSPI(40))
        f.sys(0, ICC.eoir1, 1020)
        #expect(f.rpr(0) == 0x80)
        f.sys(0, ICC.eoir1, 40)
        #expect(f.rpr(0) == 0xff && !f.activeSPI(40))
    }

    @Test func levelInterruptStaysPendingWhileHighAndResignalsAfterDeactivation() throws {
        let f = try GICv3Fixture.booted()
        f.spi(45, edge: false)
        f.gic.setLine(45, true)
        #expect(f.irq(0))
        #expect(f.ack1(0) == 45)
        #expect(f.activeSPI(45) && f.pendingSPI(45))              // active and pending
        #expect(!f.irq(0))
        f.sys(0, ICC.eoir1, 45)
        #expect(f.irq(0))                                         // still high: signalled again
        // ICPENDR cannot clear the pending state of an asserted level-sensitive interrupt.
        f.d(GICD.bank(GICD.icpendr, 45), 1 << 13)
        #expect(f.pendingSPI(45) && f.irq(0))
        f.gic.setLine(45, false)
        #expect(!f.pendingSPI(45) && !f.irq(0))
        // GICD_ISPENDR latches a level interrupt pending until acknowledged or cleared.
        f.pendSPI(45)
        #expect(f.irq(0))
        f.d(GICD.bank(GICD.icpendr, 45), 1 << 13)
        #expect(!f.irq(0))
    }

    @Test func edgeInterruptLatchesUntilAcknowledgedOrCleared() throws {
        let f = try GICv3Fixture.booted()
        f.spi(46, edge: true)
        #expect(f.d(GICD.icfgr + 46 / 16 * 4) & (2 << ((46 % 16) * 2)) != 0)
        f.gic.setLine(46, true)
        f.gic.setLine(46, false)
        #expect(f.pendingSPI(46) && f.irq(0))                     // the pulse is latched
        #expect(f.ack1(0) == 46)
        #expect(!f.pendingSPI(46))
        f.sys(0, ICC.eoir1, 46)
        #expect(!f.irq(0))
        f.gic.setLine(46, true)                                    // another rising edge
        #expect(f.irq(0))
        f.d(GICD.bank(GICD.icpendr, 46), 1 << 14)                  // ICPENDR clears the latch
        #expect(!f.pendingSPI(46) && !f.irq(0))
        f.gic.setLine(46, true)                                    // no edge while high
        #expect(!f.irq(0))
    }

    // MARK: Groups

    @Test func group0SignalsFIQAndGroup1IRQ() throws {
        let f = try GICv3Fixture.booted()
        f.spi(40, group1: false, priority: 0x80)
        f.spi(41, group1: true, priority: 0x80)
        f.pendSPI(40)
        #expect(f.fiq(0) && !f.irq(0))
        #expect(f.ack1(0) == 1023)                                // IAR1 does not take Group 0
        #expect(f.sys(0, ICC.hppir0) == 40)
        #expect(f.ack0(0) == 40)
        #expect(!f.fiq(0))
        f.sys(0, ICC.eoir0, 40)
        #expect(!f.activeSPI(40))
        f.pendSPI(41)
        #expect(f.irq(0) && !f.fiq(0))
        #expect(f.ack0(0) == 1023)
        #expect(f.ack1(0) == 41)
        f.sys(0, ICC.eoir1, 41)
    }

    @Test func iarOfOneGroupDoesNotBypassAHigherPriorityInterruptOfTheOther() throws {
        // ICC_IAR1_EL1 returns the INTID of *the* highest priority pending interrupt if it can
        // be acknowledged as Group 1, else a special INTID (1023 with one security state).
        let f = try GICv3Fixture.booted()
        f.spi(40, group1: false, priority: 0x40)
        f.spi(41, group1: true, priority: 0x80)
        f.pendSPI(40)
        f.pendSPI(41)
        #expect(f.fiq(0) && !f.irq(0))
        #expect(f.ack1(0) == 1023)
        #expect(!f.activeSPI(41))
        #expect(f.ack0(0) == 40)
        // Group 0 at 0x40 is running: the Group 1 interrupt cannot preempt it.
        #expect(!f.irq(0) && f.ack1(0) == 1023)
        f.sys(0, ICC.eoir0, 40)
        #expect(f.irq(0))
        #expect(f.ack1(0) == 41)
    }

    @Test func igrpen1ZeroMasksGroup1() throws {
        let f = try GICv3Fixture.booted()
        f.spi(40)
        f.pendSPI(40)
        #expect(f.irq(0))
        f.sys(0, ICC.igrpen1, 0)
        #expect(f.sys(0, ICC.igrpen1) == 0)
        #expect(!f.irq(0))
        #expect(f.ack1(0) == 1023)
        #expect(f.pendingSPI(40))
        f.sys(0, ICC.igrpen1, 1)
        #expect(f.irq(0))
        // IGRPEN0 masks Group 0 the same way.
        f.spi(41, group1: false, priority: 0x40)
        f.pendSPI(41)
        #expect(f.fiq(0))
        f.sys(0, ICC.igrpen0, 0)
        #expect(!f.fiq(0))
        #expect(f.ack0(0) == 1023)
    }

    @Test func sreReportsSystemRegisterInterface() throws {
        let f = try GICv3Fixture()
        #expect(f.sys(0, ICC.sre)! & 1 == 1)
        #expect(f.sys(0, ICC.eoir1) == nil)                       // write-only registers
        #expect(f.sys(0, ICC.iar1, 0) == false)                   // read-only registers
    }

    // MARK: Hypervisor control (ICH_*_EL2)

    @Test func ichVTRDescribesTheListRegisters() throws {
        let f = try GICv3Fixture()
        let vtr = f.sys(0, ICH.vtr)!
        let lrs = Int(vtr & 0x1f) + 1
        #expect(lrs == GICv3CPUInterface.listRegisters)
        #expect((vtr >> 29) & 7 == 4)                             // PRIbits: 5 bits
        #expect((vtr >> 26) & 7 == 4)                             // PREbits: 5 bits
        #expect((vtr >> 23) & 7 == 0)                             // IDbits: 16
        for n in 0..<UInt32(lrs) {
            #expect(f.sys(0, ICH.lr(n), 0x1234 | UInt64(n) << 32))
            #expect(f.sys(0, ICH.lr(n)) == 0x1234 | UInt64(n) << 32)
            #expect(f.sys(1, ICH.lr(n)) == 0)                    // per CPU
        }
    }

    @Test func ichELRSRAndEISRFollowTheListRegisterState() throws {
        let f = try GICv3Fixture()
        let state: (UInt64) -> UInt64 = { $0 << 62 }
        let hw: UInt64 = 1 << 61, eoi: UInt64 = 1 << 41, group1: UInt64 = 1 << 60
        #expect(f.sys(0, ICH.elrsr) == 0xf)                       // all empty
        #expect(f.sys(0, ICH.eisr) == 0)
        f.sys(0, ICH.lr(0), state(1) | group1 | 27)               // pending
        f.sys(0, ICH.lr(1), state(2) | group1 | 30)               // active
        f.sys(0, ICH.lr(2), state(3) | group1 | 31)               // active and pending
        #expect(f.sys(0, ICH.elrsr) == 0b1000)
        // Invalid, but with EOI = 1 and HW = 0: the EOI maintenance interrupt is still owed,
        // so the LR is not empty and EISR reports it (ICH_ELRSR_EL2, ICH_EISR_EL2).
        f.sys(0, ICH.lr(3), group1 | eoi | 40)
        #expect(f.sys(0, ICH.elrsr) == 0)
        #expect(f.sys(0, ICH.eisr) == 0b1000)
        f.sys(0, ICH.lr(3), group1 | eoi | hw | 40)               // HW = 1: EOI bit is not used
        #expect(f.sys(0, ICH.elrsr) == 0b1000)
        #expect(f.sys(0, ICH.eisr) == 0)
        for n in 0..<3 { f.sys(0, ICH.lr(UInt32(n)), 0) }
        #expect(f.sys(0, ICH.elrsr) == 0xf)
        #expect(f.sys(1, ICH.elrsr) == 0xf)
        #expect(f.sys(0, ICH.elrsr, 0) == false)                  // read-only
    }
}

/// A domain's worth of vCPUs (the hypervisor's vGIC: GIC state with no CPUs behind it), laid
/// out as Xen lays out vCPUs: Aff0 = n & 15, Aff1 = n >> 4 (CPUAffinity).
@Suite struct GICv3ManyCPUsTests {
    static let sgi1r = { (intid: UInt64, aff1: UInt64, targets: UInt64) in intid << 24 | aff1 << 16 | targets }

    /// GIC state for `n` vCPUs with SGI 5 enabled in Group 1 everywhere.
    static func gic(_ n: Int) -> (GICCore, GICDistributor, GICRedistributors) {
        let gic = GICCore(cpuCount: n, output: { _, _, _ in })
        let dist = GICDistributor(gic, v3: true), redist = GICRedistributors(gic)
        dist.write(offset: GICD.ctlr, size: 4, value: 3, cpu: 0)
        for c in 0..<n {
            redist.write(offset: UInt64(c) * GICR.stride + GICR.sgiBase + GICR.igroupr0, size: 4, value: 1 << 5, cpu: c)
            redist.write(offset: UInt64(c) * GICR.stride + GICR.sgiBase + GICR.isenabler0, size: 4, value: 1 << 5, cpu: c)
        }
        return (gic, dist, redist)
    }

    @Test(arguments: [33, 64, 65, 128])
    func everyVCPUIsReachedByItsAffinity(n: Int) {
        let (gic, _, redist) = Self.gic(n)
        for target in 0..<n {
            let aff = CPUAffinity.affinity(ofCPU: target)
            #expect(redist.read(offset: UInt64(target) * GICR.stride + GICR.typer, size: 8, cpu: 0) >> 32 == aff)
            gic.sendSGI(register: Self.sgi1r(5, aff >> 8, 1 << (aff & 0xff)), from: 0)
            let pending = (0..<n).filter { gic.hasPending($0) }
            #expect(pending == [target], "SGI to vCPU \(target) of \(n) went to \(pending)")
            _ = gic.takeRepeatedEdge(target, intid: 5)
        }
        // IRM: everyone but the sender; a range selector or Aff2 names nobody.
        gic.sendSGI(register: 5 << 24 | 1 << 40, from: n - 1)
        #expect((0..<n).filter { gic.hasPending($0) } == Array(0..<(n - 1)))
        for c in 0..<n { _ = gic.takeRepeatedEdge(c, intid: 5) }
        gic.sendSGI(register: Self.sgi1r(5, 0, 1) | 1 << 44, from: 0)
        gic.sendSGI(register: Self.sgi1r(5, 0, 1) | 1 << 32, from: 0)
        gic.sendSGI(register: Self.sgi1r(5, 0xff, 0xffff), from: 0)      // a cluster past the last
        #expect(!(0..<n).contains { gic.hasPending($0) })
    }

    @Test func irouterNamesAVCPUByAffinity() {
        let (gic, dist, _) = Self.gic(40)
        // SPI 40 to Aff1.Aff0 = 2.3: vCPU 35.
        dist.write(offset: GICD.irouter + 8 * 40, size: 8, value: 2 << 8 | 3, cpu: 0)
        dist.write(offset: GICD.bank(GICD.igroupr, 40), size: 4, value: 1 << 8, cpu: 0)
        dist.write(offset: GICD.bank(GICD.isenabler, 40), size: 4, value: 1 << 8, cpu: 0)
        dist.write(offset: GICD.bank(GICD.ispendr, 40), size: 4, value: 1 << 8, cpu: 0)
        #expect((0..<40).filter { gic.hasPending($0) } == [35])
        // Aff0 16 and up is no vCPU of this layout: forwarded nowhere.
        dist.write(offset: GICD.irouter + 8 * 40, size: 8, value: 0x10, cpu: 0)
        #expect(!(0..<40).contains { gic.hasPending($0) })
    }
}
