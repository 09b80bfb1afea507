import Emu

/// Xen's printk rate limit (drivers/char/console.c __printk_ratelimit), kept per domain and
/// on the domain's system time, so it is deterministic: a burst of messages, then one per
/// interval. What it drops is counted; the next message it lets through is preceded by
/// a line saying how many were suppressed.
struct LogLimit: Equatable {
    /// Time one message costs, and how many may come at once.
    let interval: UInt64
    let burst: UInt64
    /// Time saved up for messages (at most burst × interval), as of `last`.
    var credit: UInt64
    var last: UInt64 = 0
    var missed: UInt64 = 0

    init(interval: UInt64, burst: UInt64) {
        self.interval = interval
        self.burst = burst
        credit = interval * burst
    }

    /// Messages about a domain: Xen's printk_ratelimit_ms and _burst (5 s, 10).
    static let messages = LogLimit(interval: 5_000_000_000, burst: 10)
    /// Lines a domain writes with console_io: a hundred a second, 64 at once.
    static let consoleLines = LogLimit(interval: 10_000_000, burst: 64)

    /// Whether a message at system time `now` may go out; if so, how many were dropped
    /// since the last one that did.
    mutating func allow(now: UInt64) -> (ok: Bool, suppressed: UInt64) {
        if now > last { credit = min(credit &+ (now - last), interval * burst) }
        last = max(last, now)
        guard credit >= interval else { missed += 1; return (false, 0) }
        credit -= interval
        defer { missed = 0 }
        return (true, missed)
    }
}

extension HostedHypervisor {
    /// A message about something domain `d` did (a bad access, an unknown trap or
    /// hypercall): to the log and console within the domain's rate limit.
    func sayAbout(_ d: Domain, _ s: String) {
        let (ok, dropped) = d.messageLimit.allow(now: systemTime(d))
        guard ok else { return }
        if dropped > 0 { say("domain \(d.id) (\(d.name)): \(dropped) messages suppressed") }
        say(s)
    }

    /// console_io write (Xen's guest_console_write for a domU): printable characters only,
    /// gathered into lines, each line within the domain's console rate limit.
    func guestConsoleWrite(_ d: Domain, _ bytes: [UInt8]) {
        for b in bytes {
            if b == 0x0a || d.consoleLine.count >= GuestLog.lineLength {
                let line = d.consoleLine
                d.consoleLine = []
                let (ok, dropped) = d.consoleLimit.allow(now: systemTime(d))
                if ok {
                    if dropped > 0 { say("domain \(d.id) (\(d.name)): \(dropped) console lines suppressed") }
                    consoleOutput(d, line + [0x0a])
                }
                if b == 0x0a { continue }
            }
            if (0x20..<0x7f).contains(b) || b == 0x09 { d.consoleLine.append(b) }
        }
    }
}

enum GuestLog {
    /// A console_io line longer than this is cut into lines of this length (Xen keeps a
    /// bounded buffer per domain too).
    static let lineLength = 256
}
