// Machine state as bytes, for snapshots: each component writes its fields in a fixed order
// and reads them back in the same order. Little-endian; lengths before variable data.

/// A snapshot that cannot be read back: names what is wrong.
public struct StateError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

public struct StateWriter {
    public private(set) var bytes: [UInt8] = []
    public init() {}

    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    public mutating func bool(_ v: Bool) { bytes.append(v ? 1 : 0) }
    public mutating func u32(_ v: UInt32) { for k in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * k))) } }
    public mutating func u64(_ v: UInt64) { for k in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * k))) } }
    public mutating func int(_ v: Int) { u64(UInt64(bitPattern: Int64(v))) }
    public mutating func data(_ v: [UInt8]) { u32(UInt32(v.count)); bytes += v }
    public mutating func u64s(_ v: [UInt64]) { u32(UInt32(v.count)); for x in v { u64(x) } }
    public mutating func bools(_ v: [Bool]) { data(v.map { $0 ? 1 : 0 }) }
    public mutating func ints(_ v: [Int]) { u64s(v.map { UInt64(bitPattern: Int64($0)) }) }
    public mutating func string(_ s: String) { data(Array(s.utf8)) }
    /// Raw bytes of a value with no references (a struct of integers and Bools).
    public mutating func raw<T>(_ v: T) { withUnsafeBytes(of: v) { bytes += $0 } }
}

public struct StateReader {
    private let bytes: [UInt8]
    public private(set) var at: Int
    public let end: Int

    public init(_ bytes: [UInt8], from: Int = 0, to: Int? = nil) {
        self.bytes = bytes; at = from; end = to ?? bytes.count
    }

    private mutating func take(_ n: Int) throws -> Int {
        guard n >= 0, n <= end - at else { throw StateError("snapshot data ends early (wanted \(n) bytes at \(at))") }
        defer { at += n }
        return at
    }
    public mutating func u8() throws -> UInt8 { bytes[try take(1)] }
    public mutating func bool() throws -> Bool { try u8() != 0 }
    public mutating func u32() throws -> UInt32 {
        let p = try take(4)
        return (0..<4).reduce(0) { $0 | UInt32(bytes[p + $1]) << (8 * $1) }
    }
    public mutating func u64() throws -> UInt64 {
        let p = try take(8)
        return (0..<8).reduce(0) { $0 | UInt64(bytes[p + $1]) << (8 * $1) }
    }
    public mutating func int() throws -> Int { Int(Int64(bitPattern: try u64())) }
    public mutating func data() throws -> [UInt8] { let n = Int(try u32()); let p = try take(n); return Array(bytes[p..<(p + n)]) }
    public mutating func u64s() throws -> [UInt64] {
        let n = Int(try u32())
        // Checked before anything is allocated: a damaged count must not size the array.
        guard n <= (end - at) / 8 else { throw StateError("snapshot data ends early (\(n) words wanted at \(at))") }
        return try (0..<n).map { _ in try u64() }
    }
    public mutating func bools() throws -> [Bool] { try data().map { $0 != 0 } }
    public mutating func ints() throws -> [Int] { try u64s().map { Int(Int64(bitPattern: $0)) } }
    public mutating func string() throws -> String { String(decoding: try data(), as: UTF8.self) }
    /// An array read back must have the length the machine expects.
    public mutating func u64s(count: Int, _ what: String) throws -> [UInt64] {
        let v = try u64s(); guard v.count == count else { throw StateError("\(what): \(v.count) entries, expected \(count)") }; return v
    }
    public mutating func bools(count: Int, _ what: String) throws -> [Bool] {
        let v = try bools(); guard v.count == count else { throw StateError("\(what): \(v.count) entries, expected \(count)") }; return v
    }
    /// `count` bytes from `from` (already read, or not yet) without moving on.
    public func bytes(_ from: Int, count: Int) throws -> [UInt8] {
        guard from >= 0, count >= 0, count <= end - from else { throw StateError("snapshot data ends early (wanted \(count) bytes at \(from))") }
        return Array(bytes[from..<(from + count)])
    }
    public mutating func raw<T>(_ type: T.Type) throws -> T {
        let p = try take(MemoryLayout<T>.size)
        return bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: p, as: T.self) }
    }
}

/// A part of the machine whose state a snapshot keeps.
public protocol StateSaving: AnyObject {
    func save(_ w: inout StateWriter)
    func restore(_ r: inout StateReader) throws
}
