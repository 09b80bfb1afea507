import Testing
@testable import Hypervisor

/// The per-domain log rate limit (Xen's printk_ratelimit on virtual time).
struct LogLimitTests {
    @Test func burstThenOnePerIntervalWithTheDroppedCounted() {
        var l = LogLimit(interval: 1000, burst: 3)
        #expect((0..<3).map { _ in l.allow(now: 0).ok } == [true, true, true])
        #expect(l.allow(now: 10).ok == false)
        #expect(l.allow(now: 999).ok == false)
        // One interval after the burst began: one more, reporting the two dropped.
        let next = l.allow(now: 1000)
        #expect(next.ok && next.suppressed == 2)
        #expect(l.allow(now: 1500).ok == false)
        // A long quiet time refills the burst, no more.
        #expect((0..<4).map { _ in l.allow(now: 1_000_000).ok } == [true, true, true, false])
    }

    @Test func timeGoingBackDoesNotAddCredit() {
        var l = LogLimit(interval: 1000, burst: 1)
        #expect(l.allow(now: 5000).ok)
        #expect(l.allow(now: 4000).ok == false)
        #expect(l.allow(now: 5999).ok == false)
        #expect(l.allow(now: 6000).ok)
    }
}
