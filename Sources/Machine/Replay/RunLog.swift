import Foundation

/// A recorded run (`hvsim record`): the command line, the identity of every file the run
/// read, and each input from outside the machine with the place it entered (the machine's
/// poll count and virtual time), plus state hashes at checkpoints and at the end. Everything
/// else is deterministic, so this is all `hvsim replay` needs.
///
/// File layout (little-endian): "HVSIMREC", version (u32), header length (u32), header
/// (JSON), events, then a 64-bit hash of everything before it. An event is kind (u8), poll
/// (u64), time (u64), payload length (u32), payload.
public struct RunLog: Equatable, Sendable {
    public static let magic = Array("HVSIMREC".utf8)
    public static let version: UInt32 = 1

    /// A file the run read, as it was when recording started.
    public struct FileIdentity: Codable, Equatable, Sendable {
        public var role: String
        public var path: String
        public var size: UInt64
        public var hash: UInt64

        public init(role: String, path: String) throws {
            self.role = role
            self.path = path
            guard let d = FileManager.default.contents(atPath: path) else {
                throw LoadError("\(path): cannot read file")
            }
            size = UInt64(d.count)
            var h = StateHasher()
            d.withUnsafeBytes { h.add(bytes: $0.baseAddress!, count: d.count) }
            hash = h.value
        }
    }

    public struct Header: Codable, Equatable, Sendable {
        /// The `hvsim run` options the run was made with (host-dependent ones resolved).
        public var arguments: [String]
        public var files: [FileIdentity]
        /// Checkpoint spacing, in polls.
        public var checkpointEvery: UInt64
        public init(arguments: [String], files: [FileIdentity], checkpointEvery: UInt64) {
            self.arguments = arguments; self.files = files; self.checkpointEvery = checkpointEvery
        }
    }

    public enum Kind: UInt8, Sendable {
        case input = 1        // bytes typed on the serial port
        case checkpoint = 2   // payload: state hash (u64)
        case quit = 3         // the user quit (Ctrl-A x)
        case end = 0xff       // payload: total instructions (u64), final state hash with RAM (u64), stop
    }

    public struct Event: Equatable, Sendable {
        public var kind: Kind
        public var poll: UInt64
        public var time: UInt64
        public var payload: [UInt8]
        public init(_ kind: Kind, poll: UInt64, time: UInt64, payload: [UInt8] = []) {
            self.kind = kind; self.poll = poll; self.time = time; self.payload = payload
        }
    }

    public var header: Header
    public var events: [Event] = []

    public init(header: Header) { self.header = header }

    // MARK: Writing

    public func encoded() throws -> [UInt8] {
        var out = RunLog.magic
        append32(&out, RunLog.version)
        let json = [UInt8](try JSONEncoder().encode(header))
        append32(&out, UInt32(json.count))
        out += json
        for e in events {
            out.append(e.kind.rawValue)
            append64(&out, e.poll)
            append64(&out, e.time)
            append32(&out, UInt32(e.payload.count))
            out += e.payload
        }
        var h = StateHasher()
        out.withUnsafeBytes { h.add(bytes: $0.baseAddress!, count: out.count) }
        append64(&out, h.value)
        return out
    }

    // MARK: Reading

    /// Parses and checks a recording; every defect is an error naming what is wrong.
    public init(bytes b: [UInt8], name: String) throws {
        func fail(_ why: String) -> LoadError { LoadError("\(name): \(why)") }
        guard b.count >= 8, Array(b[0..<8]) == RunLog.magic else { throw fail("not an hvsim recording (bad magic)") }
        guard b.count >= 16 + 8 else { throw fail("truncated (\(b.count) bytes)") }
        let version = read32(b, 8)
        guard version == RunLog.version else {
            throw fail("recorded in format version \(version); this hvsim reads version \(RunLog.version)")
        }
        let body = b.count - 8
        var h = StateHasher()
        b.withUnsafeBytes { h.add(bytes: $0.baseAddress!, count: body) }
        guard h.value == read64(b, body) else { throw fail("corrupted or truncated (checksum mismatch)") }
        let headerLength = Int(read32(b, 12))
        guard headerLength <= body - 16 else { throw fail("header runs past the end") }
        do { header = try JSONDecoder().decode(Header.self, from: Data(b[16..<(16 + headerLength)])) }
        catch { throw fail("unreadable header (\(error))") }
        var at = 16 + headerLength
        var lastPoll: UInt64 = 0
        while at < body {
            guard at + 21 <= body else { throw fail("event at byte \(at) runs past the end") }
            guard let kind = Kind(rawValue: b[at]) else { throw fail("unknown event kind \(b[at]) at byte \(at)") }
            let poll = read64(b, at + 1), time = read64(b, at + 9), length = Int(read32(b, at + 17))
            guard length <= body - at - 21 else { throw fail("event at byte \(at) runs past the end") }
            guard poll >= lastPoll else { throw fail("events out of order at byte \(at)") }
            lastPoll = poll
            events.append(Event(kind, poll: poll, time: time, payload: Array(b[(at + 21)..<(at + 21 + length)])))
            at += 21 + length
        }
        guard let last = events.last, last.kind == .end, last.payload.count >= 16 else {
            throw fail("has no end record (the recording was cut short)")
        }
    }
}

func append32(_ out: inout [UInt8], _ v: UInt32) { for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * k))) } }
func append64(_ out: inout [UInt8], _ v: UInt64) { for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: v >> (8 * k))) } }
func read32(_ b: [UInt8], _ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(b[at + $1]) << (8 * $1) } }
func read64(_ b: [UInt8], _ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(b[at + $1]) << (8 * $1) } }
