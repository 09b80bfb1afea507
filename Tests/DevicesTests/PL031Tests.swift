import Testing
@testable import Devices

/// A PL031 on a virtual clock the test moves by hand.
private final class Clock {
    var ns: UInt64 = 0
    func seconds(_ s: Double) { ns += UInt64(s * 1e9) }
}

private enum Reg {
    static let dr: UInt64 = 0x000, mr: UInt64 = 0x004, lr: UInt64 = 0x008, cr: UInt64 = 0x00c
    static let imsc: UInt64 = 0x010, ris: UInt64 = 0x014, mis: UInt64 = 0x018, icr: UInt64 = 0x01c
}

private func makeRTC(base: UInt32 = 1_700_000_000) -> (PL031, Clock, () -> [Bool]) {
    let clock = Clock()
    let rtc = PL031(baseTime: base, now: { clock.ns })
    var edges: [Bool] = []
    rtc.irq = { edges.append($0) }
    return (rtc, clock, { edges })
}

extension PL031 {
    fileprivate func r(_ o: UInt64) -> UInt64 { read(offset: o, size: 4, cpu: 0) }
    fileprivate func w(_ o: UInt64, _ v: UInt64) { write(offset: o, size: 4, value: v, cpu: 0) }
}

@Suite struct PL031Tests {
    @Test func identifiesAsArmPL031() {
        let (rtc, _, _) = makeRTC()
        let id = (0..<4).reduce(UInt64(0)) { $0 | rtc.r(0xfe0 + UInt64($1) * 4) << (8 * UInt64($1)) }
        let cell = (0..<4).reduce(UInt64(0)) { $0 | rtc.r(0xff0 + UInt64($1) * 4) << (8 * UInt64($1)) }
        #expect(id == 0x0004_1031)
        #expect(cell == 0xb105_f00d)
        #expect(rtc.r(Reg.cr) == 1)           // started by the board
        rtc.w(Reg.cr, 0)
        #expect(rtc.r(Reg.cr) == 1)           // and cannot be stopped
    }

    @Test func countsVirtualSecondsFromTheBaseTime() {
        let (rtc, clock, _) = makeRTC(base: 1000)
        #expect(rtc.r(Reg.dr) == 1000)
        clock.seconds(0.999)
        #expect(rtc.r(Reg.dr) == 1000)
        clock.seconds(0.001)
        #expect(rtc.r(Reg.dr) == 1001)
        clock.seconds(59)
        #expect(rtc.r(Reg.dr) == 1060)
        #expect(rtc.counter == 1060)
    }

    @Test func loadRegisterSetsTheCounter() {
        let (rtc, clock, _) = makeRTC(base: 1000)
        #expect(rtc.r(Reg.lr) == 0)
        clock.seconds(2.5)
        rtc.w(Reg.lr, 5000)
        #expect(rtc.r(Reg.dr) == 5000)
        #expect(rtc.r(Reg.lr) == 5000)
        clock.seconds(0.5)                     // the 1 Hz clock keeps its phase
        #expect(rtc.r(Reg.dr) == 5001)
        rtc.w(Reg.dr, 7)                       // read-only
        #expect(rtc.r(Reg.dr) == 5001)
    }

    @Test func counterWrapsAt32Bits() {
        let (rtc, clock, _) = makeRTC(base: 0xffff_ffff)
        clock.seconds(2)
        #expect(rtc.r(Reg.dr) == 1)
    }

    @Test func matchRaisesTheInterruptWhenUnmasked() {
        let (rtc, clock, edges) = makeRTC(base: 100)
        rtc.w(Reg.mr, 103)
        #expect(rtc.r(Reg.mr) == 103)
        #expect(rtc.nextMatchDeadline == nil)  // masked: no event needed
        rtc.w(Reg.imsc, 1)
        #expect(rtc.nextMatchDeadline == 3_000_000_000)
        clock.seconds(2.9)
        rtc.advance()
        #expect(rtc.r(Reg.ris) == 0)
        #expect(edges().isEmpty)
        clock.seconds(0.1)
        rtc.advance()
        #expect(rtc.r(Reg.ris) == 1)
        #expect(rtc.r(Reg.mis) == 1)
        #expect(edges() == [true])
        #expect(rtc.interruptAsserted)
        #expect(rtc.nextMatchDeadline == nil)  // already pending
        rtc.w(Reg.icr, 1)
        #expect(rtc.r(Reg.ris) == 0)
        #expect(edges() == [true, false])
        // The next match is a full counter wrap away.
        #expect(rtc.nextMatchDeadline == (3 + (1 << 32)) * 1_000_000_000)
    }

    @Test func matchPassedBetweenChecksIsNotMissed() {
        let (rtc, clock, edges) = makeRTC(base: 100)
        rtc.w(Reg.mr, 105)
        clock.seconds(60)                      // nobody looked at second 5
        #expect(rtc.r(Reg.ris) == 1)           // masked, but raw status is set
        #expect(rtc.r(Reg.mis) == 0)
        #expect(edges().isEmpty)
        rtc.w(Reg.imsc, 1)
        #expect(edges() == [true])
    }

    @Test func writingAMatchEqualToTheCounterMatchesAtOnce() {
        let (rtc, clock, edges) = makeRTC(base: 100)
        rtc.w(Reg.imsc, 1)
        clock.seconds(4)
        rtc.w(Reg.mr, 104)
        #expect(edges() == [true])
        rtc.w(Reg.icr, 1)
        rtc.w(Reg.lr, 104)                     // loading the match value matches too
        #expect(edges() == [true, false, true])
    }

    @Test func loadMovesTheDeadline() {
        let (rtc, clock, _) = makeRTC(base: 100)
        rtc.w(Reg.mr, 200)
        rtc.w(Reg.imsc, 1)
        #expect(rtc.nextMatchDeadline == 100_000_000_000)
        clock.seconds(10.25)
        rtc.w(Reg.lr, 190)                     // counter 190 at second 10: match 10 s later
        #expect(rtc.nextMatchDeadline == 20_000_000_000)
        rtc.w(Reg.imsc, 0)
        #expect(rtc.nextMatchDeadline == nil)
    }

    @Test func icrOnlyClearsWithBitZero() {
        let (rtc, _, _) = makeRTC(base: 100)
        rtc.w(Reg.mr, 100)
        #expect(rtc.r(Reg.ris) == 1)
        rtc.w(Reg.icr, 2)
        #expect(rtc.r(Reg.ris) == 1)
        rtc.w(Reg.icr, 1)
        #expect(rtc.r(Reg.ris) == 0)
    }

    @Test func announcesDeadlineChanges() {
        let (rtc, clock, _) = makeRTC(base: 100)
        var announced: [UInt64?] = []
        rtc.matchDeadlineChanged = { announced.append($0) }
        rtc.w(Reg.mr, 110)
        #expect(announced.isEmpty)             // masked: still no deadline
        rtc.w(Reg.imsc, 1)
        #expect(announced == [10_000_000_000])
        rtc.w(Reg.imsc, 1)                     // unchanged: not announced again
        #expect(announced.count == 1)
        clock.seconds(10)
        rtc.advance()                          // the machine's event fires
        #expect(rtc.interruptAsserted)
        #expect(announced == [10_000_000_000, nil])
        rtc.w(Reg.mr, 115)
        rtc.w(Reg.icr, 1)
        #expect(announced == [10_000_000_000, nil, 15_000_000_000])
    }

    /// Near the end of what virtual nanoseconds count (an idle machine fast-forwards to the
    /// match deadline, 136 years at a time; the devices fuzz target got here), a match
    /// past the last nanosecond is never, not an overflow.
    @Test func aMatchPastTheEndOfTimeIsNever() {
        let (rtc, clock, _) = makeRTC(base: 100)
        clock.ns = UInt64.max - 5_000_000_000            // 5 s before the end
        rtc.w(Reg.mr, 100)                               // 2^32 s away, and more
        rtc.w(Reg.imsc, 1)
        rtc.w(Reg.icr, 1)
        #expect(rtc.nextMatchDeadline == nil)
        rtc.w(Reg.mr, UInt64(rtc.r(Reg.dr) + 2))         // 2 s away: still there
        let second = (UInt64.max - 5_000_000_000) / 1_000_000_000 + 2
        #expect(rtc.nextMatchDeadline == second * 1_000_000_000)
    }
}
