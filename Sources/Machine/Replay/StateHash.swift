import Foundation
import Emu
#if canImport(Glibc)
import Glibc
#endif

/// A 64-bit hash of words (multiply-xorshift, word at a time): fast enough to hash all of
/// RAM at the end of a run, and the same on every host.
public struct StateHasher {
    public private(set) var value: UInt64 = 0x6876_7369_6d2d_6831

    public init() {}

    @inline(__always) public mutating func add(_ w: UInt64) {
        var h = (value ^ w) &* 0x9e37_79b9_7f4a_7c15
        h ^= h >> 29
        value = h &* 0xbf58_476d_1ce4_e5b9 ^ (h >> 32)
    }

    /// Adds `count` bytes. Whole 32-byte blocks go to four lanes hashed side by side (word k
    /// of a block to lane k), so a page costs a quarter of the dependent multiplies a word at
    /// a time would (RAM digests, file identities); the lanes are folded in after them, then
    /// the words left and the tail with the count.
    public mutating func add(bytes p: UnsafeRawPointer, count: Int) {
        var lanes = Lanes()
        let blocks = count & ~31
        lanes.add(p, blocks)
        finish(lanes, rest: UnsafeRawBufferPointer(start: p + blocks, count: count - blocks), count: count)
    }

    /// The lanes, then the bytes after the last whole block and the total count.
    mutating func finish(_ lanes: Lanes, rest: UnsafeRawBufferPointer, count: Int) {
        if lanes.used { for l in [lanes.a, lanes.b, lanes.c, lanes.d] { add(l.value) } }
        var i = 0
        while i + 8 <= rest.count { add(rest.loadUnaligned(fromByteOffset: i, as: UInt64.self)); i += 8 }
        var tail: UInt64 = 0
        var k = 0
        while i < rest.count { tail |= UInt64(rest[i]) << (8 * k); i += 1; k += 1 }
        add(tail ^ UInt64(count) << 56)
    }

    /// Four independent hashers, one per word of a 32-byte block.
    struct Lanes {
        var a = StateHasher(lane: 0), b = StateHasher(lane: 1), c = StateHasher(lane: 2), d = StateHasher(lane: 3)
        var used = false

        /// Adds `n` bytes (a multiple of 32).
        mutating func add(_ p: UnsafeRawPointer, _ n: Int) {
            guard n > 0 else { return }
            used = true
            var i = 0
            while i < n {
                a.add(p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                b.add(p.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self))
                c.add(p.loadUnaligned(fromByteOffset: i + 16, as: UInt64.self))
                d.add(p.loadUnaligned(fromByteOffset: i + 24, as: UInt64.self))
                i += 32
            }
        }
    }

    init(lane: UInt64) { add(lane) }

    /// The hash `add(bytes:count:)` gives for bytes that come in pieces of any size.
    public struct Stream {
        private var lanes = Lanes()
        private var pending: [UInt8] = []          // fewer than 32 bytes not yet added
        public private(set) var count: UInt64 = 0

        public init() {}

        public mutating func add(_ piece: Data) {
            count += UInt64(piece.count)
            var bytes = pending + piece
            let blocks = bytes.count & ~31
            bytes.withUnsafeBytes { b in lanes.add(b.baseAddress!, blocks) }
            bytes.removeFirst(blocks)
            pending = bytes
        }

        /// The hash of all the bytes added.
        public var value: UInt64 {
            var h = StateHasher()
            pending.withUnsafeBytes { h.finish(lanes, rest: $0, count: Int(count)) }
            return h.value
        }
    }
}

/// The files hvsim writes (recordings, snapshots) end with a `StateHasher` hash of all that
/// comes before it, so a truncated or corrupted file is refused instead of misread.
enum Checksum {
    static func seal(_ body: [UInt8]) -> [UInt8] {
        var h = StateHasher()
        body.withUnsafeBytes { h.add(bytes: $0.baseAddress!, count: body.count) }
        var w = StateWriter()
        w.u64(h.value)
        return body + w.bytes
    }

    static func isIntact(_ b: [UInt8]) -> Bool {
        guard b.count >= 8 else { return false }
        var h = StateHasher()
        b.withUnsafeBytes { h.add(bytes: $0.baseAddress!, count: b.count - 8) }
        var r = StateReader(b, from: b.count - 8)
        return (try? r.u64()) == h.value
    }
}

extension Machine {
    /// The architectural state of every CPU and the virtual time: what a checkpoint compares.
    /// With `memory`, all of guest RAM too (the end of a run).
    public func stateHash(memory: Bool) -> UInt64 {
        var h = StateHasher()
        h.add(now)
        for c in cpus {
            for r in 0..<Int(Reg.nzcv) where r != Int(Reg.sink) { h.add(c.x[r]) }
            for r in 0..<64 { h.add(c.v[r]) }
            let s = c.st.pointee
            for w in [s.pc, c.nzcv, s.daif, s.el, s.spsel, s.pan, s.icount, s.spEL0, s.spEL1, s.spEL2,
                      s.elrEL1, s.elrEL2, s.spsrEL1, s.spsrEL2, s.esrEL1, s.esrEL2, s.farEL1, s.farEL2,
                      s.sctlrEL1, s.ttbr0EL1, s.ttbr1EL1, s.tcrEL1, s.mairEL1, s.vbarEL1, s.tpidrEL1,
                      s.tpidrEL0, s.hcrEL2, s.vttbrEL2, s.vtcrEL2, s.sctlrEL2, s.vbarEL2,
                      s.cntpCtl, s.cntpCval, s.cntvCtl, s.cntvCval, s.cntvoffEL2, s.fpcr, s.fpsr] {
                h.add(w)
            }
            h.add((s.irqLine ? 1 : 0) | (s.fiqLine ? 2 : 0) | (s.event ? 4 : 0))
        }
        if memory {
            for b in bus.banks { Machine.hashNonZeroPages(b.host, size: Int(b.size), into: &h) }
        }
        return h.value
    }

    /// A hash of the devices' saved state (what a snapshot holds of them).
    func deviceStateHash() -> UInt64 {
        var w = StateWriter()
        saveDevices(&w)
        var h = StateHasher()
        w.bytes.withUnsafeBytes { h.add(bytes: $0.baseAddress!, count: w.bytes.count) }
        return h.value
    }

    /// Adds every 4 KiB page that is not all zeros, with its index.
    static func hashNonZeroPages(_ base: UnsafeMutableRawPointer, size: Int, into h: inout StateHasher) {
        forEachNonZeroPage(base, size: size) { i, p in
            h.add(UInt64(i))
            h.add(bytes: p, count: 4096)
        }
    }

    /// Calls `body` with the index and address of each 4 KiB page that is not all zeros.
    /// Pages the host never backed (mincore: not resident) are zero without reading them, so
    /// a big, mostly untouched RAM costs what the guest touched; the result does not depend
    /// on residency.
    static func forEachNonZeroPage(_ base: UnsafeMutableRawPointer, size: Int, _ body: (Int, UnsafeRawPointer) -> Void) {
        let page = 4096, pages = size / page
        var resident = [UInt8](repeating: 1, count: pages)
        #if canImport(Glibc)
        if mincore(base, size, &resident) != 0 { for i in 0..<pages { resident[i] = 1 } }
        #endif
        for i in 0..<pages where resident[i] & 1 != 0 {
            let p = base + i * page
            var any: UInt64 = 0
            for k in stride(from: 0, to: page, by: 8) { any |= p.load(fromByteOffset: k, as: UInt64.self) }
            if any != 0 { body(i, UnsafeRawPointer(p)) }
        }
    }
}
