#if canImport(Glibc)
import Glibc
#endif

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
