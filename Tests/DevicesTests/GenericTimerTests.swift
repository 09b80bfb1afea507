import Testing
@testable import Devices
@testable import Emu

/// The generic timers of real CPUs feeding a GICv3 (Arm ARM D11). Timer levels are read back
/// as the PPIs' pending state in each CPU's redistributor (level-sensitive: pending = high).
private final class TimerFixture {
    let gic: GICv3Fixture
    let timer: GenericTimer
    var cpus: [CPU] { gic.cpus }

    init(cpus n: Int = 2, instructionsPerTick ipt: UInt64 = 1) throws {
        gic = try GICv3Fixture.booted(cpus: n)
        for c in gic.cpus { c.instructionsPerTick = ipt }
        timer = GenericTimer(gic.gic)
        for c in 0..<n {
            for p in [GenericTimer.PPI.hyp, GenericTimer.PPI.virt, GenericTimer.PPI.phys] { gic.ppi(p, cpu: c) }
        }
    }

    func high(_ c: Int, _ ppi: Int) -> Bool { gic.sgiFrame(c, GICR.ispendr0) & (1 << UInt64(ppi)) != 0 }
    /// The timer PPIs that are high on CPU `c`, as a set.
    func levels(_ c: Int) -> Set<Int> {
        Set([GenericTimer.PPI.hyp, GenericTimer.PPI.virt, GenericTimer.PPI.phys].filter { high(c, $0) })
    }
    func st(_ c: Int) -> UnsafeMutablePointer<CPUState> { cpus[c].st }
}

/// CNTx_CTL bits: ENABLE 0, IMASK 1.
private let enable: UInt64 = 1, imask: UInt64 = 2

@Suite struct GenericTimerTests {
    @Test func ppiNumbersFollowTheVirtBoard() {
        #expect(GenericTimer.PPI.phys == 30)
        #expect(GenericTimer.PPI.virt == 27)
        #expect(GenericTimer.PPI.hyp == 26)
    }

    @Test func physicalTimerRaisesPPI30AtCompareValue() throws {
        let f = try TimerFixture()
        f.st(1).pointee.cntpCtl = enable
        f.st(1).pointee.cntpCval = 100
        f.timer.update(now: 99)
        #expect(f.levels(1).isEmpty)
        f.timer.update(now: 100)
        #expect(f.levels(1) == [30])
        #expect(f.levels(0).isEmpty)
        #expect(f.gic.irq(1) && !f.gic.irq(0))
        #expect(f.gic.ack1(1) == 30)
        f.timer.update(now: 5000)                                 // stays high while count >= CVAL
        #expect(f.levels(1) == [30])
        f.st(1).pointee.cntpCval = 10_000                         // new compare value: condition no longer met
        f.timer.update(now: 5001)
        #expect(f.levels(1).isEmpty)
    }

    @Test func virtualTimerRaisesPPI27AndIsShiftedByCNTVOFF() throws {
        let f = try TimerFixture()
        f.st(0).pointee.cntvCtl = enable
        f.st(0).pointee.cntvCval = 100
        f.st(0).pointee.cntvoffEL2 = 50                           // CNTVCT = CNTPCT - 50
        f.timer.update(now: 149)
        #expect(f.levels(0).isEmpty)
        f.timer.update(now: 150)
        #expect(f.levels(0) == [27])
        f.st(0).pointee.cntvoffEL2 = 51
        f.timer.update(now: 150)
        #expect(f.levels(0).isEmpty)
        // An offset above the physical count wraps the virtual count (64-bit, unsigned compare).
        f.st(0).pointee.cntvoffEL2 = 1000
        f.st(0).pointee.cntvCval = 0
        f.timer.update(now: 150)
        #expect(f.levels(0) == [27])
    }

    @Test func hypervisorTimerRaisesPPI26() throws {
        let f = try TimerFixture()
        f.st(0).pointee.cnthpCtl = enable
        f.st(0).pointee.cnthpCval = 7
        f.timer.update(now: 6)
        #expect(f.levels(0).isEmpty)
        f.timer.update(now: 7)
        #expect(f.levels(0) == [26])
        #expect(f.levels(1).isEmpty)
    }

    @Test func imaskAndDisableLowerTheOutput() throws {
        let f = try TimerFixture()
        f.st(0).pointee.cntpCtl = enable
        f.st(0).pointee.cntvCtl = enable
        f.st(0).pointee.cnthpCtl = enable
        f.timer.update(now: 1)                                    // every CVAL is 0
        #expect(f.levels(0) == [26, 27, 30])
        f.st(0).pointee.cntvCtl = enable | imask
        f.timer.update(now: 2)
        #expect(f.levels(0) == [26, 30])
        f.st(0).pointee.cntpCtl = 0
        f.timer.update(now: 3)
        #expect(f.levels(0) == [26])
        f.st(0).pointee.cnthpCtl = imask                          // masked and disabled
        f.timer.update(now: 4)
        #expect(f.levels(0).isEmpty)
        f.st(0).pointee.cntvCtl = enable
        f.timer.update(now: 5)
        #expect(f.levels(0) == [27])
    }

    @Test func countIsVirtualTimeOverInstructionsPerTick() throws {
        let f = try TimerFixture(instructionsPerTick: 4)
        f.st(0).pointee.cntpCtl = enable
        f.st(0).pointee.cntpCval = 25
        f.timer.update(now: 99)                                   // count 24
        #expect(f.levels(0).isEmpty)
        f.timer.update(now: 100)                                  // count 25
        #expect(f.levels(0) == [30])
    }

    @Test func nextDeadlineIsTheExactFiringTime() throws {
        let f = try TimerFixture()
        #expect(f.timer.nextDeadline(now: 0) == .max)             // nothing enabled
        f.st(0).pointee.cntpCtl = enable
        f.st(0).pointee.cntpCval = 100
        #expect(f.timer.nextDeadline(now: 10) == 100)
        #expect(f.timer.nextDeadline(now: 99) == 100)
        f.st(1).pointee.cntvCtl = enable
        f.st(1).pointee.cntvCval = 40
        f.st(1).pointee.cntvoffEL2 = 20                            // fires at physical count 60
        #expect(f.timer.nextDeadline(now: 25) == 60)
        // Before physical count 20 the virtual count has wrapped below zero, i.e. it is huge
        // and already >= CVAL: that timer fires now, so it sets no future deadline.
        #expect(f.timer.nextDeadline(now: 10) == 100)
        f.st(0).pointee.cnthpCtl = enable
        f.st(0).pointee.cnthpCval = 30
        #expect(f.timer.nextDeadline(now: 25) == 30)
        f.timer.update(now: 29)
        #expect(f.levels(0).isEmpty)
        f.timer.update(now: f.timer.nextDeadline(now: 29))
        #expect(f.levels(0) == [26])
    }

    @Test func nextDeadlineWithSeveralInstructionsPerTick() throws {
        let f = try TimerFixture(instructionsPerTick: 3)
        f.st(0).pointee.cntpCtl = enable
        f.st(0).pointee.cntpCval = 100
        // Count 100 starts at virtual time 300, also when now is mid-tick.
        #expect(f.timer.nextDeadline(now: 0) == 300)
        #expect(f.timer.nextDeadline(now: 298) == 300)
        #expect(f.timer.nextDeadline(now: 299) == 300)
        f.timer.update(now: 299)
        #expect(f.levels(0).isEmpty)
        f.timer.update(now: 300)
        #expect(f.levels(0) == [30])
        // Virtual timer: CVAL 50 + CNTVOFF 20 = count 70 = time 210.
        f.st(1).pointee.cntvCtl = enable
        f.st(1).pointee.cntvCval = 50
        f.st(1).pointee.cntvoffEL2 = 20
        #expect(f.timer.nextDeadline(now: 100) == 210)
        f.timer.update(now: 209)
        #expect(!f.levels(1).contains(27))
        f.timer.update(now: 210)
        #expect(f.levels(1) == [27])
    }

    @Test func nextDeadlineIgnoresDisabledMaskedAndFiringTimers() throws {
        let f = try TimerFixture()
        f.st(0).pointee.cntpCval = 50                             // disabled
        f.st(0).pointee.cntvCtl = enable | imask                  // masked
        f.st(0).pointee.cntvCval = 60
        f.st(1).pointee.cnthpCtl = enable                         // already firing at now = 100
        f.st(1).pointee.cnthpCval = 80
        #expect(f.timer.nextDeadline(now: 100) == .max)
        #expect(f.timer.nextDeadline(now: 10) == 80)              // not yet firing: counts
        f.st(1).pointee.cntpCtl = enable
        f.st(1).pointee.cntpCval = 500
        #expect(f.timer.nextDeadline(now: 100) == 500)
        // A compare value out of reach of the 64-bit time does not overflow into the past.
        let g = try TimerFixture(instructionsPerTick: 16)
        g.st(0).pointee.cntpCtl = enable
        g.st(0).pointee.cntpCval = .max
        #expect(g.timer.nextDeadline(now: 0) == .max)
    }

    @Test func eventStreamFromCNTKCTLOnTheVirtualCount() throws {
        let f = try TimerFixture()
        let cpu = f.cpus[0]
        #expect(GenericTimer.nextEventStream(cpu, now: 0) == nil)   // EVNTEN = 0
        // EVNTEN (bit 2), EVNTDIR (bit 3) = 0: 0 -> 1 transitions of count bit EVNTI (7:4) = 3,
        // so events at counts 8, 24, 40, ... (every 16).
        f.st(0).pointee.cntkctlEL1 = 3 << 4 | 1 << 2
        #expect(GenericTimer.nextEventStream(cpu, now: 0) == 8)
        #expect(GenericTimer.nextEventStream(cpu, now: 7) == 8)
        #expect(GenericTimer.nextEventStream(cpu, now: 8) == 24)
        #expect(GenericTimer.nextEventStream(cpu, now: 9) == 24)
        // EVNTDIR = 1: 1 -> 0 transitions, at counts 16, 32, ...
        f.st(0).pointee.cntkctlEL1 = 3 << 4 | 1 << 3 | 1 << 2
        #expect(GenericTimer.nextEventStream(cpu, now: 0) == 16)
        #expect(GenericTimer.nextEventStream(cpu, now: 16) == 32)
        #expect(GenericTimer.nextEventStream(cpu, now: 17) == 32)
        // EVNTI = 0: bit 0 rises at every odd count.
        f.st(0).pointee.cntkctlEL1 = 0 << 4 | 1 << 2
        #expect(GenericTimer.nextEventStream(cpu, now: 4) == 5)
        #expect(GenericTimer.nextEventStream(cpu, now: 5) == 7)
        // The virtual count is CNTPCT - CNTVOFF: with an offset of 5, virtual 8 is physical 13.
        f.st(0).pointee.cntkctlEL1 = 3 << 4 | 1 << 2
        f.st(0).pointee.cntvoffEL2 = 5
        #expect(GenericTimer.nextEventStream(cpu, now: 0) == 13)
        #expect(GenericTimer.nextEventStream(cpu, now: 13) == 29)
    }

    @Test func eventStreamScalesWithInstructionsPerTick() throws {
        let f = try TimerFixture(instructionsPerTick: 10)
        let cpu = f.cpus[0]
        f.st(0).pointee.cntkctlEL1 = 3 << 4 | 1 << 2              // rising edges of bit 3: 8, 24, ...
        #expect(GenericTimer.nextEventStream(cpu, now: 0) == 80)
        #expect(GenericTimer.nextEventStream(cpu, now: 79) == 80)
        #expect(GenericTimer.nextEventStream(cpu, now: 80) == 240)
        #expect(GenericTimer.nextEventStream(cpu, now: 85) == 240)  // still count 8
    }

    @Test func eventStreamFromCNTHCTLOnThePhysicalCount() throws {
        let f = try TimerFixture()
        let cpu = f.cpus[1]
        f.st(1).pointee.cntvoffEL2 = 5                            // does not apply to CNTHCTL's stream
        f.st(1).pointee.cnthctlEL2 = 3 | 2 << 4 | 1 << 3 | 1 << 2 // EVNTI 2, falling edges: 8, 16, ...
        #expect(GenericTimer.nextEventStream(cpu, now: 0) == 8)
        #expect(GenericTimer.nextEventStream(cpu, now: 8) == 16)
        // With both streams on, the earlier one wins.
        f.st(1).pointee.cntkctlEL1 = 0 << 4 | 1 << 2             // virtual bit 0 rising: virtual odd counts
        #expect(GenericTimer.nextEventStream(cpu, now: 8) == 10)  // virtual 3 -> next odd 5 = physical 10
    }
}
