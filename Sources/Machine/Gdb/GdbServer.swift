#if canImport(Glibc)
import Glibc
#endif

// `hvsim run --gdb tcp::PORT [--gdb-wait]`: serves one gdb at a time over TCP. With
// `--gdb-wait` the machine waits for gdb before its first instruction; otherwise it runs at
// full speed, and a gdb that connects stops it (as does Ctrl-C in gdb, the byte 0x03, while
// it runs). From the first connection on the machine runs in its exact mode and keeps the
// history that reverse execution goes back through (so it starts there). When gdb
// detaches (or its connection drops) the machine runs on, and another gdb can connect.
// gdb's `kill` ends the run.

public final class GdbServer {
    public let listener: GdbListener
    public let machine: Machine
    /// Made when gdb first connects.
    public private(set) var stub: GdbStub?
    /// What gdb's `monitor` commands run in (made with the stub when not set).
    public var monitor: Monitor?
    private let checkpointInterval: UInt64
    private var connection: GdbConnection?
    private var parser = GdbPacketParser()
    private var noAck = false
    /// What gdb sent while the machine ran (handled when it stops).
    private var pending: [GdbInput] = []
    private var lastReply: [UInt8] = []

    public init(machine: Machine, address: GdbAddress, checkpointInterval: UInt64 = 20_000_000) throws {
        listener = try GdbListener(address)
        self.machine = machine
        self.checkpointInterval = checkpointInterval
        installPoll()
    }

    /// The stub, made on first use: the history starts here.
    private func attach() -> GdbStub {
        if let s = stub { return s }
        let s = GdbStub(machine: machine, checkpointInterval: checkpointInterval)
        s.interrupted = { [unowned self] in gdbWantsStop() }
        s.note = { fputs($0 + "\n", stderr) }
        if let m = monitor { s.monitor = m }
        stub = s
        return s
    }

    /// Runs the machine under gdb until the guest powers off or resets, or gdb kills it
    /// (`.stopRequested`). With `wait`, waits for gdb before the first instruction.
    public func run(wait: Bool) -> StopReason {
        if wait { connection = listener.accept() }
        while true {
            if let c = connection {
                let stub = attach()
                serve(c, stub)
                connection = nil
                if stub.killed { return .stopRequested }
                if let e = stub.exited { return e }
                continue
            }
            // No gdb: the machine runs; a gdb that connects stops it (see the poll).
            let stop = machine.run(limit: stub?.history.interval ?? 20_000_000)
            stub?.history.advanced()
            switch stop {
            case .instructionLimit, .timeReached: if connection == nil { _ = gdbWantsStop() }
            case .breakpoint(let cpu, let pc):   // --break: wait there for gdb
                fputs("hvsim: breakpoint on cpu\(cpu) at 0x\(String(pc, radix: 16)); waiting for gdb\n", stderr)
                connection = listener.accept()
            case .stopRequested: if connection == nil { return stop }   // the user quit (Ctrl-A x)
            case .poweredOff, .reset, .deadlock: return stop
            }
        }
    }

    /// Answers gdb's packets until it detaches, kills the machine or goes away.
    private func serve(_ c: GdbConnection, _ stub: GdbStub) {
        parser = GdbPacketParser()
        noAck = false
        stub.detached = false
        if stub.exited == nil { _ = stub.stopped(stub.cThread) }
        while true {
            var inputs = pending
            pending = []
            if inputs.isEmpty {
                guard let bytes = c.read() else { stub.arm(false); return }   // gdb went away
                inputs = parser.feed(bytes)
            }
            for input in inputs {
                switch input {
                case .packet(let p):
                    if !noAck { c.write([UInt8(ascii: "+")]) }
                    guard let reply = stub.handle(p) else { c.shutdown(); return }   // k
                    for o in stub.takeOutput() { c.write(GdbPacket.frame(o)) }   // monitor output
                    lastReply = GdbPacket.frame(reply)
                    c.write(lastReply)
                    if p == Array("QStartNoAckMode".utf8) { noAck = true }
                    if stub.killed { c.shutdown(); return }
                    if stub.detached { c.shutdown(); return }
                case .badPacket: if !noAck { c.write([UInt8(ascii: "-")]) }
                case .nack: c.write(lastReply)
                case .ack, .interrupt: break   // an interrupt while stopped has nothing to stop
                }
            }
        }
    }

    /// Checks, without waiting, whether gdb wants the running machine stopped: it sent an
    /// interrupt, went away, or (with none attached) a gdb connected.
    private func gdbWantsStop() -> Bool {
        guard let c = connection else {
            guard let new = listener.accept(timeoutMilliseconds: 0) else { return false }
            connection = new
            return true
        }
        guard let bytes = c.read(timeoutMilliseconds: 0) else { return true }
        var stop = false
        for i in parser.feed(bytes) {
            if i == .interrupt { stop = true } else { pending.append(i) }
        }
        return stop
    }

    /// Between CPU slices: gdb's interrupts and connections, and console input (from the
    /// history's log while history runs again). A machine with nothing to do waits here
    /// for the console or gdb.
    private func installPoll() {
        let machine = self.machine
        let console = machine.pollInput
        machine.pollInput = { [unowned self, unowned machine] idleFor in
            if gdbWantsStop() { machine.requestStop(); return false }
            if let history = stub?.history, history.replaying { return history.feedInputs() }
            guard idleFor == nil else { return console?(idleFor) ?? false }
            while true {
                if console?(machine.time(nanoseconds: 20_000_000)) == true { return true }
                if waitReadable(connection?.fd ?? listener.fd, 20), gdbWantsStop() { machine.requestStop(); return false }
            }
        }
    }
}

// MARK: Sockets

// The TCP side of the gdb stub: a listening socket (`--gdb tcp::1234`, `tcp:HOST:PORT`;
// port 0 picks a free port) and one connection with gdb at a time.

/// Where to listen, parsed from `tcp::PORT` or `tcp:HOST:PORT`.
public struct GdbAddress: Equatable, Sendable {
    public var host: String
    public var port: UInt16

    /// Nil if `spec` is not one of the accepted forms.
    public init?(_ spec: String) {
        guard spec.hasPrefix("tcp:") else { return nil }
        let rest = spec.dropFirst(4)
        guard let colon = rest.lastIndex(of: ":"), let p = UInt16(rest[rest.index(after: colon)...]) else { return nil }
        let h = String(rest[..<colon])
        host = h.isEmpty ? "127.0.0.1" : h == "localhost" ? "127.0.0.1" : h
        port = p
        var probe = in_addr()
        guard inet_pton(AF_INET, host, &probe) == 1 else { return nil }
    }
}

public struct GdbSocketError: Error, CustomStringConvertible {
    public let description: String
    init(_ what: String) { description = "\(what): \(String(cString: strerror(errno)))" }
}

/// A listening TCP socket.
public final class GdbListener {
    public let fd: Int32
    /// The port it listens on (the chosen one when asked for port 0).
    public let port: UInt16

    public init(_ address: GdbAddress) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw GdbSocketError("socket") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = address.port.bigEndian
        inet_pton(AF_INET, address.host, &a.sin_addr)
        let bound = withUnsafePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 1) == 0 else {
            let e = GdbSocketError("cannot listen on \(address.host):\(address.port)")
            close(fd)
            throw e
        }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        self.fd = fd
        port = UInt16(bigEndian: a.sin_port)
    }

    deinit { close(fd) }

    /// Waits up to `timeoutMilliseconds` (-1: forever) for gdb to connect.
    public func accept(timeoutMilliseconds: Int32 = -1) -> GdbConnection? {
        guard waitReadable(fd, timeoutMilliseconds) else { return nil }
        let c = Glibc.accept(fd, nil, nil)
        guard c >= 0 else { return nil }
        var one: Int32 = 1
        setsockopt(c, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        return GdbConnection(fd: c)
    }
}

/// Whether `fd` has something to read within the timeout.
func waitReadable(_ fd: Int32, _ timeoutMilliseconds: Int32) -> Bool {
    var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    return poll(&p, 1, timeoutMilliseconds) > 0
}

/// A byte stream to and from gdb (a TCP connection, or one end of a socket pair in tests).
public final class GdbConnection {
    public let fd: Int32
    public private(set) var closed = false

    public init(fd: Int32) { self.fd = fd }
    deinit { close(fd) }

    /// Reads what is there, waiting up to `timeoutMilliseconds`; [] on timeout, nil when
    /// the other side closed the connection.
    public func read(timeoutMilliseconds: Int32 = -1) -> [UInt8]? {
        if closed { return nil }
        guard waitReadable(fd, timeoutMilliseconds) else { return [] }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { closed = true; return nil }
        return Array(buffer[0..<n])
    }

    public func write(_ bytes: [UInt8]) {
        var at = 0
        while at < bytes.count && !closed {
            let n = bytes[at...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { closed = true; return }
            at += n
        }
    }

    /// Closes the connection now (detach, kill).
    public func shutdown() { closed = true; Glibc.shutdown(fd, Int32(SHUT_RDWR)) }

    /// Two connected ends (tests).
    public static func pair() -> (GdbConnection, GdbConnection) {
        var fds: [Int32] = [0, 0]
        _ = socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds)
        return (GdbConnection(fd: fds[0]), GdbConnection(fd: fds[1]))
    }
}
