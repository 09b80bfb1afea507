import Emu

// Small pieces of the hypervisor's snapshot format (Emu/State/StateCoding.swift holds the
// rest): section names that say what follows, optionals, vCPU ids, and counts and indexes
// that are checked as they are read, so that a damaged snapshot gives a StateError naming
// what is wrong rather than an out-of-range index later.

extension StateWriter {
    mutating func section(_ name: String) { string(name) }
    mutating func optional(_ v: UInt64?) { bool(v != nil); u64(v ?? 0) }
    mutating func optional(_ v: Int?) { bool(v != nil); int(v ?? 0) }
    mutating func vcpuID(_ id: VCPUID) { int(id.domain); int(id.vcpu) }
    mutating func vcpuID(_ id: VCPUID?) { bool(id != nil); vcpuID(id ?? VCPUID(domain: 0, vcpu: 0)) }
    mutating func vcpuIDs(_ ids: [VCPUID]) { int(ids.count); for id in ids { vcpuID(id) } }
    mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }
    /// A set of small integers (pCPUs), in order so that equal sets save equal bytes.
    mutating func intSet(_ s: Set<Int>) { ints(s.sorted()) }
}

extension StateReader {
    /// The section `name` starts here (a snapshot of another layout or a damaged one does not).
    mutating func section(_ name: String) throws {
        let found = try string()
        guard found == name else {
            throw StateError("hypervisor state: found \"\(found.prefix(40))\" where \"\(name)\" was expected")
        }
    }
    mutating func optionalU64() throws -> UInt64? { let has = try bool(); let v = try u64(); return has ? v : nil }
    mutating func optionalInt() throws -> Int? { let has = try bool(); let v = try int(); return has ? v : nil }
    mutating func i64() throws -> Int64 { Int64(bitPattern: try u64()) }

    /// A count of at most `limit` things.
    mutating func count(_ what: String, max limit: Int) throws -> Int {
        let n = try int()
        guard n >= 0 && n <= limit else { throw StateError("hypervisor state: \(n) \(what) (at most \(limit))") }
        return n
    }

    /// A list written with `u64s`, of at most `limit` entries (checked before anything is
    /// read; `u64s()` itself refuses a length beyond the data left).
    mutating func u64s(_ what: String, max limit: Int) throws -> [UInt64] {
        var peek = self
        let n = Int(try peek.u32())
        guard n <= limit else { throw StateError("hypervisor state: \(n) \(what) (at most \(limit))") }
        return try u64s()
    }

    /// A list written with `u64s`, of exactly `count` entries.
    mutating func u64s(_ what: String, exactly count: Int) throws -> [UInt64] {
        let v = try u64s(what, max: count)
        guard v.count == count else { throw StateError("hypervisor state: \(v.count) \(what), expected \(count)") }
        return v
    }

    /// An index below `n`.
    mutating func index(_ what: String, below n: Int) throws -> Int {
        try StateReader.check(try int(), what, below: n)
    }
    mutating func optionalIndex(_ what: String, below n: Int) throws -> Int? {
        try optionalInt().map { try StateReader.check($0, what, below: n) }
    }
    static func check(_ i: Int, _ what: String, below n: Int) throws -> Int {
        guard i >= 0 && i < n else { throw StateError("hypervisor state: \(what) \(i) out of range (0..<\(n))") }
        return i
    }

    /// Small integers, each below `n` (pCPU numbers).
    mutating func indexes(_ what: String, below n: Int) throws -> [Int] {
        let v = try u64s("\(what)s", max: n).map { Int(Int64(bitPattern: $0)) }
        return try v.map { try StateReader.check($0, what, below: n) }
    }

    mutating func vcpuID() throws -> VCPUID {
        let d = try int(), v = try int()
        guard d >= 0 && d < 1 << 16 && v >= 0 && v < 1 << 16 else { throw StateError("hypervisor state: bad vCPU id d\(d)v\(v)") }
        return VCPUID(domain: d, vcpu: v)
    }
    mutating func optionalVCPUID() throws -> VCPUID? { let has = try bool(); let id = try vcpuID(); return has ? id : nil }
    mutating func vcpuIDs(max limit: Int) throws -> [VCPUID] {
        try (0..<count("vCPU ids", max: limit)).map { _ in try vcpuID() }
    }
}
