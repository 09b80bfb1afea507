import Emu

/// Arm PrimeCell Real Time Clock (PL031), as described in its Technical Reference Manual
/// (DDI 0224): a 32-bit seconds counter, a match register with one interrupt, and a load
/// register that sets the counter.
///
/// The counter runs on the machine's virtual clock, never the host's, so runs stay
/// deterministic: it reads `baseTime` (Unix seconds) at virtual time 0 and advances once per
/// virtual second. Matches are evaluated lazily, on register access and when the machine
/// calls `advance()` at the match deadline, which it learns from `nextMatchDeadline` or,
/// whenever the deadline moves, through `matchDeadlineChanged`.
///
/// The board's firmware is taken to have started the clock: RTCCR reads 1 from reset and,
/// as the TRM says of a started RTC, writes to it have no effect.
public final class PL031: MMIOHandler {
    enum Register: UInt64 {
        case dr = 0x000, mr = 0x004, lr = 0x008, cr = 0x00c
        case imsc = 0x010, ris = 0x014, mis = 0x018, icr = 0x01c
    }
    /// RTCPeriphID0-3 then RTCPCellID0-3, at 0xFE0-0xFFC: part 0x031, designer 0x41 (Arm),
    /// revision 0; Linux's rtc-pl031 binds to 0x00041031.
    static let identification: [UInt64] = [0x31, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1]
    /// The one interrupt bit of RTCIMSC, RTCRIS, RTCMIS and RTCICR.
    static let matchBit: UInt64 = 1
    static let nanosecondsPerSecond: UInt64 = 1_000_000_000

    /// Virtual time since the machine started, in nanoseconds.
    private let now: () -> UInt64
    /// Counter value at virtual second `loadSecond`: the base time, then the last RTCLR write.
    // Internal, not private: PL031+State.swift saves and restores them.
    var loadValue: UInt32
    var loadSecond: UInt64 = 0
    var match: UInt32 = 0, lastLoad: UInt32 = 0, imsc: UInt64 = 0, ris: UInt64 = 0
    /// Last virtual second whose counter value has been compared with the match register.
    var comparedSecond: UInt64 = 0
    /// Called when the interrupt output (RTCINTR) changes level.
    public var irq: (Bool) -> Void = { _ in }
    public internal(set) var interruptAsserted = false
    /// Called with the new `nextMatchDeadline` whenever it changes (a guest write or a match).
    public var matchDeadlineChanged: (UInt64?) -> Void = { _ in }
    var announcedDeadline: UInt64?

    /// `baseTime`: the counter value (seconds since the Unix epoch) at virtual time 0.
    /// `now`: virtual nanoseconds since the machine started; it must never go backwards.
    public init(baseTime: UInt32, now: @escaping () -> UInt64) {
        self.now = now
        loadValue = baseTime
    }

    private var currentSecond: UInt64 { now() / Self.nanosecondsPerSecond }

    private func counter(at second: UInt64) -> UInt32 {
        loadValue &+ UInt32(truncatingIfNeeded: second &- loadSecond)
    }

    /// The counter value (RTCDR) now.
    public var counter: UInt32 { counter(at: currentSecond) }

    /// Brings the match interrupt up to the current virtual time: RTCRIS is set if the
    /// counter equalled the match register at any second since the last check.
    public func advance() {
        let second = currentSecond
        guard second > comparedSecond else { return }
        let distance = UInt64(match &- counter(at: comparedSecond))   // seconds to the next match
        if distance != 0 && comparedSecond + distance <= second { ris |= Self.matchBit }
        comparedSecond = second
        updateLine()
    }

    /// The match deadline as of `comparedSecond`.
    var pendingDeadline: UInt64? {
        guard imsc & Self.matchBit != 0, ris & Self.matchBit == 0 else { return nil }
        var distance = UInt64(match &- counter(at: comparedSecond))
        if distance == 0 { distance = 1 << 32 }   // matched this second: next time round
        // Past the last nanosecond virtual time can count (UInt64, saturating near 585
        // years): never.
        let (second, late) = comparedSecond.addingReportingOverflow(distance)
        let (at, later) = second.multipliedReportingOverflow(by: Self.nanosecondsPerSecond)
        return late || later ? nil : at
    }

    /// Virtual time (ns) at which the match interrupt will next assert, or nil when that
    /// cannot change the interrupt line (masked, or already pending) and needs no event.
    /// Reading it first runs `advance()`, so a match already due is raised, not scheduled.
    public var nextMatchDeadline: UInt64? {
        advance()
        return pendingDeadline
    }

    /// The comparator sees the counter equal to the match register right after a write
    /// to RTCMR or RTCLR makes them equal.
    private func compareNow() {
        if counter(at: comparedSecond) == match { ris |= Self.matchBit }
    }

    private func updateLine() {
        let level = ris & imsc != 0
        if level != interruptAsserted { interruptAsserted = level; irq(level) }
        let deadline = pendingDeadline
        if deadline != announcedDeadline { announcedDeadline = deadline; matchDeadlineChanged(deadline) }
    }

    public func read(offset: UInt64, size: Int, cpu: Int) -> UInt64 {
        if offset >= 0xfe0 && offset < 0x1000 { return Self.identification[Int((offset - 0xfe0) >> 2)] }
        guard let reg = Register(rawValue: offset) else { return 0 }
        advance()
        switch reg {
        case .dr: return UInt64(counter(at: comparedSecond))
        case .mr: return UInt64(match)
        case .lr: return UInt64(lastLoad)   // the last value written (0 from reset)
        case .cr: return 1
        case .imsc: return imsc
        case .ris: return ris
        case .mis: return ris & imsc
        case .icr: return 0
        }
    }

    public func write(offset: UInt64, size: Int, value: UInt64, cpu: Int) {
        guard let reg = Register(rawValue: offset) else { return }
        advance()   // matches before this write happened with the old registers
        let v32 = UInt32(truncatingIfNeeded: value)
        switch reg {
        case .mr: match = v32; compareNow()
        case .lr: lastLoad = v32; loadValue = v32; loadSecond = comparedSecond; compareNow()
        case .imsc: imsc = value & Self.matchBit
        case .icr: ris &= ~(value & Self.matchBit)
        case .dr, .cr, .ris, .mis: break
        }
        updateLine()
    }
}
