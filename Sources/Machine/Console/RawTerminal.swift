#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A terminal in raw mode for a guest console (POSIX termios), put back as it was by
/// `restore()`, or by `TerminalSafetyNet` when hvsim exits or dies first.
///
/// Raw, as QEMU's stdio console: no echo, no line editing, no signal keys (Ctrl-C, Ctrl-Z
/// and Ctrl-\ go to the guest), no flow control (Ctrl-S/Ctrl-Q too), CR not mapped to NL
/// (Enter sends CR, as a serial terminal does), 8-bit characters, a read returns as soon as
/// one byte is there. Output processing (OPOST, ONLCR) is left on, as QEMU leaves it: a
/// bare-metal guest's "\n" then starts a new line, and Linux's "\r\n" still looks right.
final class RawTerminal {
    let fd: Int32
    private var slot: Int?

    /// Nil when `fd` is not a terminal, or is the controlling terminal and hvsim is not in
    /// its foreground process group (changing its modes would stop hvsim with SIGTTOU).
    init?(fd: Int32) {
        guard isatty(fd) == 1 else { return nil }
        let foreground = tcgetpgrp(fd)   // -1 when not our controlling terminal
        guard foreground == -1 || foreground == getpgrp() else { return nil }
        var saved = termios()
        guard tcgetattr(fd, &saved) == 0, let slot = TerminalSafetyNet.remember(fd: fd, saved) else { return nil }
        var raw = saved
        Self.makeRaw(&raw)
        guard tcsetattr(fd, TCSANOW, &raw) == 0 else { TerminalSafetyNet.forget(slot); return nil }
        self.fd = fd
        self.slot = slot
    }

    static func makeRaw(_ t: inout termios) {
        t.c_iflag &= ~tcflag_t(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON)
        t.c_lflag &= ~tcflag_t(ECHO | ECHONL | ICANON | ISIG | IEXTEN)
        t.c_cflag &= ~tcflag_t(CSIZE | PARENB)
        t.c_cflag |= tcflag_t(CS8)
        withUnsafeMutableBytes(of: &t.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
    }

    /// Puts the terminal back as it was; later calls do nothing.
    func restore() {
        guard let s = slot else { return }
        TerminalSafetyNet.restore(slot: s)
        TerminalSafetyNet.forget(s)
        slot = nil
    }

    deinit { restore() }
}

/// Restores every terminal in raw mode when hvsim ends without `RawTerminal.restore()`:
/// through `exit` (an atexit hook: error paths print a line and exit), and on the signals
/// that end a process. The handlers then pass the signal on to whatever handled it before
/// (the default action, or Swift's crash backtracer), so the process ends as it would have.
/// The slots are fixed memory the handlers read without allocating or locking; set-up and
/// `forget` happen on the thread that runs the console.
enum TerminalSafetyNet {
    struct Slot { var fd: Int32; var saved: termios }
    static let capacity = 4
    /// Signals sent to the process: restore, then re-raise with the previous action.
    static let terminating: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE]
    /// Faults: restore, reinstate the previous action and return; the faulting
    /// instruction runs again and faults into it.
    #if arch(arm64)
    static let faults: [Int32] = [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP]
    #else
    static let faults: [Int32] = [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT]
    #endif

    nonisolated(unsafe) private static let slots: UnsafeMutablePointer<Slot> = {
        let p = UnsafeMutablePointer<Slot>.allocate(capacity: capacity)
        p.initialize(repeating: Slot(fd: -1, saved: termios()), count: capacity)
        return p
    }()
    nonisolated(unsafe) private static let previous: UnsafeMutablePointer<sigaction> = {
        let p = UnsafeMutablePointer<sigaction>.allocate(capacity: 65)
        p.initialize(repeating: sigaction(), count: 65)
        return p
    }()
    nonisolated(unsafe) private static var installed = false

    /// Records a terminal's saved modes; nil when every slot is taken.
    static func remember(fd: Int32, _ saved: termios) -> Int? {
        installOnce()
        guard let i = (0..<capacity).first(where: { slots[$0].fd < 0 }) else { return nil }
        slots[i] = Slot(fd: fd, saved: saved)
        return i
    }

    static func forget(_ i: Int) { slots[i].fd = -1 }

    static func restore(slot i: Int) {
        if slots[i].fd >= 0 { _ = tcsetattr(slots[i].fd, TCSANOW, &slots[i].saved) }
    }

    /// What the exit hook and the signal handlers run (async-signal-safe: tcsetattr only).
    static func restoreAll() {
        for i in 0..<capacity { restore(slot: i) }
    }

    private static func installOnce() {
        guard !installed else { return }
        installed = true
        _ = slots; _ = previous   // initialized here, never first inside a handler
        atexit { TerminalSafetyNet.restoreAll() }
        for sig in terminating + faults { install(sig) }
    }

    private static func install(_ sig: Int32) {
        var action = sigaction()
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        #if os(Linux)
        action.__sigaction_handler.sa_handler = { TerminalSafetyNet.caught($0) }
        #else
        action.__sigaction_u.__sa_handler = { TerminalSafetyNet.caught($0) }
        #endif
        var old = sigaction()
        guard sigaction(sig, &action, &old) == 0 else { return }
        previous[Int(sig)] = old
        // A signal someone chose to ignore (nohup) stays ignored.
        #if os(Linux)
        let oldHandler = unsafeBitCast(old.__sigaction_handler.sa_handler, to: Int.self)
        #else
        let oldHandler = unsafeBitCast(old.__sigaction_u.__sa_handler, to: Int.self)
        #endif
        if oldHandler == unsafeBitCast(SIG_IGN, to: Int.self) { _ = sigaction(sig, &old, nil) }
    }

    private static func caught(_ sig: Int32) {
        restoreAll()
        _ = sigaction(sig, previous + Int(sig), nil)
        if terminating.contains(sig) { _ = raise(sig) }   // delivered once this handler returns
    }
}
