import Foundation
import Emu

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
    public static let version: UInt32 = 3   // 2: checkpoints hash RAM and devices; 3: fingerprints, GICD_IROUTER

    /// A file the run read, as it was when recording started.
    public struct FileIdentity: Codable, Equatable, Sendable {
        public var role: String
        public var path: String
        public var size: UInt64
        public var hash: UInt64

        public init(role: String, path: String) throws {
            self.role = role
            self.path = path
            // In 1 MiB pieces: a disk image may be far bigger than what is worth reading at once.
            guard let f = FileHandle(forReadingAtPath: path) else { throw LoadError("\(path): cannot read file") }
            defer { try? f.close() }
            var h = StateHasher.Stream()
            do {
                while let piece = try f.read(upToCount: 1 << 20), !piece.isEmpty { h.add(piece) }
            } catch { throw LoadError("\(path): cannot read file (\(error))") }
            size = h.count
            hash = h.value
        }
    }

    public struct Header: Codable, Equatable, Sendable {
        /// The `hvsim run` options the run was made with (host-dependent ones resolved).
        public var arguments: [String]
        public var files: [FileIdentity]
        /// Checkpoint spacing: a checkpoint at the first poll after each this many million
        /// instructions (and at the first poll).
        public var checkpointEvery: UInt64
        /// Fingerprint spacing in instructions (0: none): a 32-bit hash of the CPUs' state and
        /// of every device access so far, at the first block boundary after each multiple,
        /// which places a divergence this closely (see `Fingerprints`).
        public var fingerprintEvery: UInt64
        public init(arguments: [String], files: [FileIdentity], checkpointEvery: UInt64, fingerprintEvery: UInt64) {
            self.arguments = arguments; self.files = files
            self.checkpointEvery = checkpointEvery; self.fingerprintEvery = fingerprintEvery
        }
    }

    public enum Kind: UInt8, Sendable {
        case input = 1        // bytes typed on the serial port
        case checkpoint = 2   // payload: hashes of the CPUs, RAM and devices (u64 each; see Checkpoint)
        case quit = 3         // the user quit (Ctrl-A x)
        case fingerprints = 4 // payload: the fingerprints (u32 each) taken since the last such event
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
        var w = StateWriter()
        for b in RunLog.magic { w.u8(b) }
        w.u32(RunLog.version)
        w.data([UInt8](try JSONEncoder().encode(header)))
        for e in events {
            w.u8(e.kind.rawValue)
            w.u64(e.poll)
            w.u64(e.time)
            w.data(e.payload)
        }
        return Checksum.seal(w.bytes)
    }

    // MARK: Reading

    /// Parses and checks a recording; every defect is an error naming what is wrong.
    public init(bytes b: [UInt8], name: String) throws {
        func fail(_ why: String) -> LoadError { LoadError("\(name): \(why)") }
        guard b.count >= 8, Array(b[0..<8]) == RunLog.magic else { throw fail("not an hvsim recording (bad magic)") }
        guard b.count >= 16 + 8 else { throw fail("truncated (\(b.count) bytes)") }
        var r = StateReader(b, from: 8, to: b.count - 8)
        let version = try r.u32()
        guard version == RunLog.version else {
            throw fail("recorded in format version \(version); this hvsim reads version \(RunLog.version)")
        }
        guard Checksum.isIntact(b) else { throw fail("corrupted or truncated (checksum mismatch)") }
        let json: [UInt8]
        do { json = try r.data() } catch { throw fail("header runs past the end") }
        do { header = try JSONDecoder().decode(Header.self, from: Data(json)) }
        catch { throw fail("unreadable header (\(error))") }
        var lastPoll: UInt64 = 0
        while r.at < r.end {
            let at = r.at
            do {
                guard let kind = Kind(rawValue: try r.u8()) else { throw fail("unknown event kind \(b[at]) at byte \(at)") }
                let poll = try r.u64(), time = try r.u64(), payload = try r.data()
                guard poll >= lastPoll else { throw fail("events out of order at byte \(at)") }
                lastPoll = poll
                if kind == .fingerprints && payload.count % 4 != 0 {
                    throw fail("fingerprint event at byte \(at) has \(payload.count) bytes, not whole 32-bit words")
                }
                events.append(Event(kind, poll: poll, time: time, payload: payload))
            } catch is StateError { throw fail("event at byte \(at) runs past the end") }
        }
        guard let last = events.last, last.kind == .end, last.payload.count >= 16 else {
            throw fail("has no end record (the recording was cut short)")
        }
    }
}
