// The gdb remote serial protocol's framing ("Overview" and "Packets" in gdb's manual,
// appendix E): a packet is `$payload#cc` with cc the payload's byte sum modulo 256 in two
// hex digits; the receiver answers `+` (or `-` to ask for it again) unless both sides
// agreed on no-ack mode (`QStartNoAckMode`). Outside a packet, the byte 0x03 asks the
// running target to stop. In binary data (the `X` packet, qXfer replies) `}` escapes the
// next byte, XORed with 0x20; `*` starts a run-length repeat in replies (never sent here).

/// One thing read from gdb's side of the connection.
public enum GdbInput: Equatable, Sendable {
    case packet([UInt8])      // a payload with a good checksum (escapes not yet undone)
    case badPacket            // a payload whose checksum did not match: answer `-`
    case interrupt            // 0x03 (Ctrl-C in gdb)
    case ack, nack            // `+`, `-`
}

/// Splits a byte stream from gdb into packets, acknowledgements and interrupts.
public struct GdbPacketParser: Sendable {
    private enum State: Sendable { case idle, payload, checksum1, checksum2 }
    private var state = State.idle
    private var payload: [UInt8] = []
    private var sum: UInt8 = 0
    private var checksum: UInt8 = 0
    private var escaped = false

    public init() {}

    /// Consumes `bytes` and returns what they completed, in order.
    public mutating func feed<S: Sequence>(_ bytes: S) -> [GdbInput] where S.Element == UInt8 {
        var out: [GdbInput] = []
        for b in bytes {
            switch state {
            case .idle:
                switch b {
                case UInt8(ascii: "$"): state = .payload; payload = []; sum = 0; escaped = false
                case 0x03: out.append(.interrupt)
                case UInt8(ascii: "+"): out.append(.ack)
                case UInt8(ascii: "-"): out.append(.nack)
                default: break   // noise between packets is ignored, as gdb does
                }
            case .payload:
                // A `#` right after the escape byte is escaped data, not the end.
                if b == UInt8(ascii: "#") && !escaped { state = .checksum1; continue }
                escaped = !escaped && b == UInt8(ascii: "}")
                payload.append(b); sum &+= b
            case .checksum1:
                guard let d = hexDigit(b) else { state = .idle; out.append(.badPacket); continue }
                checksum = d << 4; state = .checksum2
            case .checksum2:
                state = .idle
                guard let d = hexDigit(b), checksum | d == sum else { out.append(.badPacket); continue }
                out.append(.packet(payload))
            }
        }
        return out
    }
}

public enum GdbPacket {
    /// `$payload#cc` for `payload`, with the bytes the framing reserves escaped.
    public static func frame(_ payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "$")]
        var sum: UInt8 = 0
        for b in payload {
            if b == UInt8(ascii: "$") || b == UInt8(ascii: "#") || b == UInt8(ascii: "}") || b == UInt8(ascii: "*") {
                out.append(UInt8(ascii: "}")); sum &+= UInt8(ascii: "}")
                out.append(b ^ 0x20); sum &+= b ^ 0x20
            } else {
                out.append(b); sum &+= b
            }
        }
        out.append(UInt8(ascii: "#"))
        out.append(hexChars[Int(sum >> 4)]); out.append(hexChars[Int(sum & 15)])
        return out
    }

    public static func frame(_ text: String) -> [UInt8] { frame(Array(text.utf8)) }

    /// Undoes `}` escapes in binary packet data.
    public static func unescape<C: Collection>(_ data: C) -> [UInt8] where C.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(data.count)
        var escape = false
        for b in data {
            if escape { out.append(b ^ 0x20); escape = false }
            else if b == UInt8(ascii: "}") { escape = true }
            else { out.append(b) }
        }
        return out
    }
}

// MARK: Hex helpers (the protocol sends numbers and memory as hex text)

let hexChars: [UInt8] = Array("0123456789abcdef".utf8)

func hexDigit(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
    default: return nil
    }
}

/// Bytes as hex text, two digits each, in order.
func hexEncode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
    var out: [UInt8] = []
    for b in bytes { out.append(hexChars[Int(b >> 4)]); out.append(hexChars[Int(b & 15)]) }
    return String(decoding: out, as: UTF8.self)
}

/// Hex text (an even number of digits) as bytes; nil if malformed.
func hexDecode<S: StringProtocol>(_ text: S) -> [UInt8]? {
    let u = Array(text.utf8)
    guard u.count % 2 == 0 else { return nil }
    var out: [UInt8] = []
    out.reserveCapacity(u.count / 2)
    var i = 0
    while i < u.count {
        guard let h = hexDigit(u[i]), let l = hexDigit(u[i + 1]) else { return nil }
        out.append(h << 4 | l)
        i += 2
    }
    return out
}

/// A register or memory value in target (little-endian) byte order, as hex.
func hexLE(_ value: UInt64, bytes: Int) -> String {
    hexEncode((0..<bytes).map { UInt8(truncatingIfNeeded: value >> UInt64(8 * $0)) })
}

/// Little-endian bytes as a number (at most 8 bytes are used).
func leValue(_ bytes: [UInt8]) -> UInt64 {
    var v: UInt64 = 0
    for (i, b) in bytes.prefix(8).enumerated() { v |= UInt64(b) << UInt64(8 * i) }
    return v
}

/// A number in hex text (as in `m addr,len`); nil if malformed.
func hexNumber<S: StringProtocol>(_ text: S) -> UInt64? { text.isEmpty ? nil : UInt64(text, radix: 16) }

/// A hex number that must fit in an `Int` (a register number, a length); nil otherwise.
func hexInt<S: StringProtocol>(_ text: S) -> Int? { hexNumber(text).flatMap { Int(exactly: $0) } }
