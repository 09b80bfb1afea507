import Testing
@testable import Devices
@testable import Emu

/// GICC_* offsets (IHI 0048B 4.4) and GICC_CTLR bits without the Security Extensions.
private enum GICC {
    static let ctlr: UInt64 = 0x00, pmr: UInt64 = 0x04, bpr: UInt64 = 0x08, iar: UInt64 = 0x0c
    static let eoir: UInt64 = 0x10, rpr: UInt64 = 0x14, hppir: UInt64 = 0x18, aiar: UInt64 = 0x20
    static let iidr: UInt64 = 0xfc, dir: UInt64 = 0x1000
    static let enableGrp0: UInt64 = 1, enableGrp1: UInt64 = 2, fiqEn: UInt64 = 1 << 3, eoiMode: UInt64 = 1 << 9
}

/// A GICv2 (banked distributor, memory-mapped CPU interface) wired to real CPUs.
private final class GICv2Fixture {
    let cpus: [CPU]
    let gic: GICCore
    let dist: GICDistributor
    let cpuif: GICv2CPUInterface

    init(cpus n: Int = 2, lines: Int = 96) throws {
        cpus = try makeTestCPUs(n)
        gic = GICCore(cpus: cpus, lines: lines, v2: true)
        dist = GICDistributor(gic, v3: false)
        cpuif = GICv2CPUInterface(gic)
    }

    /// Linux's GICv2 bring-up: distributor on (Group 0), each CPU interface enabled, PMR 0xf0.
    static func booted(cpus n: Int = 2) throws -> GICv2Fixture {
        let f = try GICv2Fixture(cpus: n)
        f.d(GICD.ctlr, 1)
        for c in 0..<n { f.c(c, GICC.ctlr, GICC.enableGrp0); f.c(c, GICC.pmr, 0xf0) }
        return f
    }

    // Distributor, as seen by CPU `cpu` (INTIDs 0-31 are banked).
    func d(_ off: UInt64, size: Int = 4, cpu: Int = 0) -> UInt64 { dist.read(offset: off, size: size, cpu: cpu) }
    func d(_ off: UInt64, _ v: UInt64, size: Int = 4, cpu: Int = 0) { dist.write(offset: off, size: size, value: v, cpu: cpu) }
    // CPU interface of CPU `cpu`
    func c(_ cpu: Int, _ off: UInt64) -> UInt64 { cpuif.read(offset: off, size: 4, cpu: cpu) }
    func c(_ cpu: Int, _ off: UInt64, _ v: UInt64) { cpuif.write(offset: off, size: 4, value: v, cpu: cpu) }
    func irq(_ c: Int) -> Bool { cpus[c].st.pointee.irqLine }
    func fiq(_ c: Int) -> Bool { cpus[c].st.pointee.fiqLine }

    /// SPI `i`: Group 0, priority, targets (a CPU bit mask), enabled.
    func spi(_ i: Int, priority: UInt8 = 0x80, targets: UInt8 = 1, edge: Bool = true) {
        d(GICD.ipriorityr + UInt64(i), UInt64(priority), size: 1)
        d(GICD.itargetsr + UInt64(i), UInt64(targets), size: 1)
        let cfgOff = GICD.icfgr + UInt64(i / 16) * 4, shift = UInt64(i % 16) * 2 + 1
        let cfg = d(cfgOff)
        d(cfgOff, edge ? cfg | 1 << shift : cfg & ~(1 << shift))
        d(GICD.bank(GICD.isenabler, i), 1 << UInt64(i % 32))
    }
    func pend(_ i: Int, cpu: Int = 0) { d(GICD.bank(GICD.ispendr, i), 1 << UInt64(i % 32), cpu: cpu) }
    func active(_ i: Int, cpu: Int = 0) -> Bool { d(GICD.bank(GICD.isactiver, i), cpu: cpu) & (1 << UInt64(i % 32)) != 0 }
}

@Suite struct GICv2Tests {
    @Test func identifiesAsGICv2() throws {
        let f = try GICv2Fixture(cpus: 3, lines: 96)
        #expect((f.d(0xfe8) >> 4) & 0xf == 2)                    // GICD_PIDR2.ArchRev
        let typer = f.d(GICD.typer)
        #expect(typer & 0x1f == 2)                                // ITLinesNumber: 96 INTIDs
        #expect((typer >> 5) & 7 == 2)                            // CPUNumber: 3 CPU interfaces
        #expect((f.c(0, GICC.iidr) >> 16) & 0xf == 2)             // GICC_IIDR.ArchitectureVersion
        f.d(GICD.ctlr, 0xff)
        #expect(f.d(GICD.ctlr) == 3)                              // no ARE/DS bits in GICv2
    }

    @Test func itargetsrRoutesSPIs() throws {
        let f = try GICv2Fixture.booted()
        // ITARGETSR0-7 are read-only and read as the reading CPU's own bit.
        #expect(f.d(GICD.itargetsr, cpu: 0) == 0x0101_0101)
        #expect(f.d(GICD.itargetsr + 28, cpu: 1) == 0x0202_0202)
        f.d(GICD.itargetsr, 0x0202_0202, cpu: 0)
        #expect(f.d(GICD.itargetsr, cpu: 0) == 0x0101_0101)
        // Bits for CPU interfaces that do not exist are RAZ/WI.
        f.d(GICD.itargetsr + 40, 0xff, size: 1)
        #expect(f.d(GICD.itargetsr + 40, size: 1) == 0x03)
        f.spi(40, targets: 0b10)
        #expect(f.d(GICD.itargetsr + 40, size: 1) == 0b10)
        f.pend(40)
        #expect(f.irq(1) && !f.irq(0))
        #expect(f.c(0, GICC.iar) == 1023)
        #expect(f.c(1, GICC.iar) == 40)
        f.c(1, GICC.eoir, 40)
        f.d(GICD.itargetsr + 40, 0b01, size: 1)
        f.pend(40)
        #expect(f.irq(0) && !f.irq(1))
        f.d(GICD.itargetsr + 40, 0, size: 1)                     // no target: not forwarded
        #expect(!f.irq(0) && !f.irq(1))
        f.d(GICD.itargetsr + 40, 0b10, size: 1)
        #expect(f.irq(1))
    }

    @Test func sgirFiltersAndSourceCPUInIAR() throws {
        let f = try GICv2Fixture.booted(cpus: 3)
        for c in 0..<3 {                                          // SGI 1, banked per CPU
            f.d(GICD.ipriorityr + 1, 0x80, size: 1, cpu: c)
            f.d(GICD.isenabler, 1 << 1, cpu: c)
        }
        // GICD_SGIR: TargetListFilter 25:24, CPUTargetList 23:16, SGIINTID 3:0.
        f.d(GICD.sgir, 0 << 24 | 0b100 << 16 | 1, cpu: 0)        // the list: CPU 2
        #expect(!f.irq(0) && !f.irq(1) && f.irq(2))
        let iar = f.c(2, GICC.iar)
        #expect(iar & 0x3ff == 1 && (iar >> 10) & 7 == 0)         // from CPU 0
        f.c(2, GICC.eoir, iar)
        #expect(!f.active(1, cpu: 2))
        f.d(GICD.sgir, 1 << 24 | 1, cpu: 2)                      // all but the requester
        #expect(f.irq(0) && f.irq(1) && !f.irq(2))
        #expect(f.c(0, GICC.iar) == 1 | 2 << 10)
        #expect(f.c(1, GICC.iar) == 1 | 2 << 10)
        f.c(0, GICC.eoir, 1 | 2 << 10); f.c(1, GICC.eoir, 1 | 2 << 10)
        f.d(GICD.sgir, 2 << 24 | 0b001 << 16 | 1, cpu: 1)        // the requester only
        #expect(!f.irq(0) && f.irq(1) && !f.irq(2))
        #expect(f.c(1, GICC.iar) == 1 | 1 << 10)
        f.c(1, GICC.eoir, 1 | 1 << 10)
        f.d(GICD.sgir, 3 << 24 | 0b111 << 16 | 1, cpu: 0)        // reserved filter: nothing
        #expect(!f.irq(0) && !f.irq(1) && !f.irq(2))
    }

    @Test func privateInterruptsAreBankedPerCPU() throws {
        let f = try GICv2Fixture.booted()
        f.d(GICD.isenabler, 1 << 27, cpu: 1)
        #expect(f.d(GICD.isenabler, cpu: 1) & (1 << 27) != 0)
        #expect(f.d(GICD.isenabler, cpu: 0) & (1 << 27) == 0)
        f.d(GICD.ipriorityr + 27, 0x40, size: 1, cpu: 1)
        f.gic.setLine(27, cpu: 1, true)
        f.gic.setLine(27, cpu: 0, true)
        #expect(f.irq(1) && !f.irq(0))
        #expect(f.c(1, GICC.iar) == 27)
    }

    @Test func gicc_ctlrEnablesSignalling() throws {
        let f = try GICv2Fixture.booted()
        f.spi(40)
        f.c(0, GICC.ctlr, 0)
        f.pend(40)
        #expect(!f.irq(0) && !f.fiq(0))
        #expect(f.c(0, GICC.iar) == 1023)                         // signalling disabled
        f.c(0, GICC.ctlr, GICC.enableGrp0)
        #expect(f.c(0, GICC.ctlr) == GICC.enableGrp0)
        #expect(f.irq(0))
        f.d(GICD.ctlr, 0)                                         // distributor forwarding off
        #expect(!f.irq(0))
        #expect(f.c(0, GICC.iar) == 1023)
        f.d(GICD.ctlr, 1)
        #expect(f.irq(0))
    }

    @Test func group0IsIRQUnlessFIQEn() throws {
        let f = try GICv2Fixture.booted()
        f.spi(40)
        f.pend(40)
        #expect(f.irq(0) && !f.fiq(0))
        f.c(0, GICC.ctlr, GICC.enableGrp0 | GICC.fiqEn)
        #expect(f.fiq(0) && !f.irq(0))
        // Group 1 is always IRQ.
        f.d(GICD.igroupr + 4, 1 << 8)                             // INTID 40 to Group 1
        f.d(GICD.ctlr, 3)
        f.c(0, GICC.ctlr, GICC.enableGrp0 | GICC.enableGrp1 | GICC.fiqEn)
        #expect(f.irq(0) && !f.fiq(0))
        // GICC_IAR with a Group 1 interrupt highest (DS = 1, AckCtl = 0): the special INTID 1022.
        #expect(f.c(0, GICC.iar) == 1022)
        #expect(f.c(0, GICC.aiar) == 40)
    }

    @Test func eoiAndDir() throws {
        let f = try GICv2Fixture.booted()
        f.spi(40)
        f.spi(41, priority: 0xa0)
        // EOImode 0: EOIR drops the priority and deactivates.
        f.pend(40)
        #expect(f.c(0, GICC.iar) == 40)
        #expect(f.c(0, GICC.rpr) == 0x80 && f.active(40))
        f.c(0, GICC.eoir, 40)
        #expect(f.c(0, GICC.rpr) == 0xff && !f.active(40))
        // EOImode 1: EOIR only drops the priority; GICC_DIR deactivates.
        f.c(0, GICC.ctlr, GICC.enableGrp0 | GICC.eoiMode)
        #expect(f.c(0, GICC.ctlr) & GICC.eoiMode != 0)
        f.pend(40)
        #expect(f.c(0, GICC.iar) == 40)
        f.pend(40)
        f.pend(41)
        f.c(0, GICC.eoir, 40)
        #expect(f.c(0, GICC.rpr) == 0xff && f.active(40))
        #expect(f.c(0, GICC.hppir) == 41)                         // 40 is active: not offered
        #expect(f.c(0, GICC.iar) == 41)
        f.c(0, GICC.eoir, 41)
        f.c(0, GICC.dir, 41)
        f.c(0, GICC.dir, 40)
        #expect(!f.active(40) && !f.active(41))
        #expect(f.irq(0))
        #expect(f.c(0, GICC.iar) == 40)
        // A write of the spurious INTID to GICC_EOIR is ignored.
        f.c(0, GICC.eoir, 1023)
        #expect(f.c(0, GICC.rpr) == 0x80)
    }

    @Test func pmrAndPreemption() throws {
        let f = try GICv2Fixture.booted()
        f.spi(40, priority: 0x80)
        f.spi(41, priority: 0x40)
        f.c(0, GICC.pmr, 0x80)
        f.pend(40)
        #expect(!f.irq(0))
        f.c(0, GICC.pmr, 0xf0)
        #expect(f.irq(0))
        #expect(f.c(0, GICC.iar) == 40)
        f.pend(41)
        #expect(f.irq(0))
        #expect(f.c(0, GICC.iar) == 41)
        #expect(f.c(0, GICC.rpr) == 0x40)
        f.c(0, GICC.eoir, 41)
        #expect(f.c(0, GICC.rpr) == 0x80)
        f.c(0, GICC.eoir, 40)
        #expect(f.c(0, GICC.rpr) == 0xff)
    }
}
