#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `HostConsole.poll` found.
public enum ConsoleEvent: Equatable, Sendable {
    case none
    /// Bytes typed for the guest (escapes already taken out).
    case input([UInt8])
    /// Ctrl-A x: stop the machine and exit with status 0, as QEMU does.
    case quit
}

/// Connects a guest serial port to the host (`--serial`): guest output is buffered and
/// written in chunks with write(2) on `flush()` (the machine flushes after every slice);
/// input is polled with poll(2), without blocking unless asked to.
///
/// With `stdio`, a terminal on stdin goes to raw mode (see `RawTerminal`) until `restore()`,
/// and Ctrl-A escapes are decoded (see `EscapeDecoder`), whether stdin is a terminal or
/// a pipe, so scripts can quit with "\u{1}x" too. Input that is not a terminal (a pipe, a
/// file, /dev/null) is read as it comes; end of file only means no more input.
/// `file:PATH` and `none` have no input. Used from one thread, the machine's.
///
/// Ctrl-A c hands the input to the `monitor` (as QEMU's multiplexed console does): a
/// `(hvsim) ` prompt reads command lines until Ctrl-A c again or `cont`. The guest runs on
/// meanwhile and its output is still shown; nothing typed at the prompt reaches the guest.
public final class HostConsole {
    /// Set by Ctrl-A s; whoever runs the machine saves a snapshot and clears it.
    public var snapshotRequested = false
    /// Runs the lines typed after Ctrl-A c; nil: Ctrl-A c only says there is no monitor.
    public var monitor: Monitor? = nil
    /// Whether the input goes to the monitor's prompt (between Ctrl-A c and Ctrl-A c).
    public private(set) var inMonitor = false
    private var monitorLine = MonitorLine()
    public static let prompt = "(hvsim) "
    public let spec: SerialSpec
    private var inputFD: Int32 = -1
    private var outputFD: Int32 = -1
    private var ownsOutput = false
    private var terminal: RawTerminal?
    private var escapes = EscapeDecoder()
    private var buffer: [UInt8] = []
    /// Output is written out at once past this size, even between flushes.
    static let chunk = 64 << 10

    /// `inputFD`/`outputFD` replace stdin and stdout for `stdio` (tests pass pipes or a pty).
    public init(spec: SerialSpec, inputFD: Int32 = STDIN_FILENO, outputFD: Int32 = STDOUT_FILENO) throws {
        self.spec = spec
        buffer.reserveCapacity(Self.chunk)
        switch spec {
        case .stdio:
            self.outputFD = outputFD
            guard fcntl(inputFD, F_GETFD) >= 0 else { break }   // stdin closed: no input
            if isatty(inputFD) == 1 {
                terminal = RawTerminal(fd: inputFD)
                if terminal == nil { break }   // a terminal we may not read: in the background
            }
            self.inputFD = inputFD
        case .file(let path):
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw ConsoleError("--serial file:\(path): \(String(cString: strerror(errno)))") }
            self.outputFD = fd
            ownsOutput = true
        case .discard:
            break
        }
    }

    deinit {
        restore()
        if ownsOutput { _ = close(outputFD) }
    }

    /// Whether input can still arrive (false after end of file, and for file and none).
    public var hasInput: Bool { inputFD >= 0 }

    /// Whether stdin is a terminal in raw mode.
    public var isRawTerminal: Bool { terminal != nil }

    /// Hypervisor mode: Ctrl-A three times in a row reaches the hosted hypervisor as three
    /// Ctrl-A bytes (it switches the input between domains); see `EscapeDecoder`.
    public var passesTripleEscape: Bool {
        get { escapes.passesTripleEscape }
        set { escapes.passesTripleEscape = newValue }
    }

    /// Queues one byte of guest output.
    public func write(_ byte: UInt8) {
        guard outputFD >= 0 else { return }
        buffer.append(byte)
        if buffer.count >= Self.chunk { flush() }
    }

    public func write(_ bytes: some Sequence<UInt8>) {
        guard outputFD >= 0 else { return }
        buffer.append(contentsOf: bytes)
        if buffer.count >= Self.chunk { flush() }
    }

    /// Writes out the queued output. When the output cannot take more (closed pipe, full
    /// disk), later output is dropped: the guest keeps running.
    public func flush() {
        guard !buffer.isEmpty else { return }
        defer { buffer.removeAll(keepingCapacity: true) }
        guard outputFD >= 0, !writeAll(outputFD, buffer) else { return }
        if ownsOutput { _ = close(outputFD) }
        outputFD = -1
    }

    /// Reads what input there is, waiting up to `timeoutMilliseconds` for some (0: do not
    /// wait, -1: wait for ever). Returns at once when there is no input to wait for
    /// (`hasInput` false). Escape commands and monitor lines are answered here, on the
    /// output.
    public func poll(timeoutMilliseconds: Int32) -> ConsoleEvent {
        guard inputFD >= 0 else { return .none }
        var bytes = [UInt8](repeating: 0, count: 4096)
        switch readAvailable(inputFD, into: &bytes, timeout: timeoutMilliseconds) {
        case .nothing: return .none
        case .closed: inputFD = -1; return .none
        case .read(let n):
            var guest: [UInt8] = []
            defer { flush() }
            for item in escapes.decodeInOrder(bytes[..<n]) {
                switch item {
                case .bytes(let b) where inMonitor:
                    guard let rest = typeAtPrompt(b) else { return quit() }
                    guest += rest   // typed after `cont`
                case .bytes(let b): guest += b
                case .command(.quit): return quit()
                case .command(.help): write(Array(("\n" + EscapeDecoder.help).utf8))
                case .command(.monitor): switchMonitor(on: !inMonitor)
                case .command(.snapshot): snapshotRequested = true
                }
            }
            return guest.isEmpty ? .none : .input(guest)
        }
    }

    private func quit() -> ConsoleEvent {
        write(Array("\nhvsim: terminated\n".utf8))
        flush()
        return .quit
    }

    private func switchMonitor(on: Bool) {
        guard monitor != nil else { write(Array("\nhvsim: no monitor here\n".utf8)); return }
        inMonitor = on
        monitorLine = MonitorLine()
        write(Array((on ? "\nhvsim monitor: 'help' lists the commands, C-a c or 'cont' goes back to the guest\n" + Self.prompt
                        : "\n").utf8))
    }

    /// Bytes typed at the prompt: echoed and edited; each line that ends is run. Returns
    /// the bytes that follow a `cont` (for the guest), or nil after `quit`.
    private func typeAtPrompt(_ bytes: [UInt8]) -> ArraySlice<UInt8>? {
        for (i, b) in bytes.enumerated() {
            let (echo, line) = monitorLine.feed(b)
            write(echo)
            guard let line = line, let monitor = monitor else { continue }
            let reply = monitor.execute(line)
            write(Array(reply.text.utf8))
            switch reply.action {
            case .quit: return nil
            case .resume: inMonitor = false; return bytes[(i + 1)...]
            case .none: write(Array(Self.prompt.utf8))
            }
        }
        return []
    }

    /// Flushes output and puts the terminal back as it was. Safe to call more than once;
    /// output still works afterwards (the exit path may print more).
    public func restore() {
        flush()
        terminal?.restore()
        terminal = nil
    }
}

// System calls at file scope, where write/read/poll are not the methods above.

/// Writes every byte, retrying after signals and waiting out a non-blocking descriptor;
/// false on a real error.
private func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    bytes.withUnsafeBytes { buf in
        var done = 0
        while done < buf.count {
            let n = write(fd, buf.baseAddress! + done, buf.count - done)
            if n > 0 { done += n; continue }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&p, 1, -1)
                continue
            }
            return false
        }
        return true
    }
}

private enum ReadResult { case nothing, closed, read(Int) }

private func readAvailable(_ fd: Int32, into bytes: inout [UInt8], timeout: Int32) -> ReadResult {
    var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    let ready = poll(&p, 1, timeout)
    if ready <= 0 { return .nothing }   // timeout, or interrupted by a signal
    if p.revents & Int16(POLLNVAL) != 0 { return .closed }
    let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
    if n > 0 { return .read(n) }
    if n == 0 { return .closed }   // end of file
    return errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK ? .nothing : .closed
}
