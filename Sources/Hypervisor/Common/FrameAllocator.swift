import Emu

/// Hands out machine RAM to the hypervisor: 4 KiB frames for its own tables and pages
/// (stage-2 tables, shared_info), and 2 MiB-aligned runs for domain RAM. It is a
/// deterministic first-fit allocator over the ranges the board gives it; the frames it
/// returns are zeroed.
public final class FrameAllocator {
    public static let pageSize: UInt64 = 0x1000
    public static let blockSize: UInt64 = 0x20_0000

    let bus: Bus
    /// Free machine ranges, sorted by address, page aligned.
    var free: [Range<UInt64>]

    public init(bus: Bus, ranges: [Range<UInt64>]) {
        self.bus = bus
        free = ranges.map { ($0.lowerBound + 0xfff) & ~0xfff ..< $0.upperBound & ~0xfff }
            .filter { !$0.isEmpty }.sorted { $0.lowerBound < $1.lowerBound }
    }

    public var freeBytes: UInt64 { free.reduce(0) { $0 + UInt64($1.count) } }

    /// `size` bytes aligned to `alignment`, zeroed; nil when no free range can hold them.
    public func allocate(_ size: UInt64, alignment: UInt64 = pageSize) -> UInt64? {
        let size = (size + 0xfff) & ~0xfff
        for (i, r) in free.enumerated() {
            let start = (r.lowerBound + alignment - 1) & ~(alignment - 1)
            guard start < r.upperBound, r.upperBound - start >= size else { continue }
            var pieces: [Range<UInt64>] = []
            if start > r.lowerBound { pieces.append(r.lowerBound..<start) }
            if start + size < r.upperBound { pieces.append((start + size)..<r.upperBound) }
            free.replaceSubrange(i...i, with: pieces)
            zero(start, size)
            return start
        }
        return nil
    }

    /// Returns a range to the pool (coalescing with its neighbours).
    public func release(_ base: UInt64, _ size: UInt64) {
        let size = (size + 0xfff) & ~0xfff
        var r = base..<(base + size)
        let i = free.firstIndex { $0.lowerBound >= r.upperBound } ?? free.count
        var lo = i
        if lo > 0, free[lo - 1].upperBound == r.lowerBound { lo -= 1; r = free[lo].lowerBound..<r.upperBound }
        var hi = i
        if hi < free.count, free[hi].lowerBound == r.upperBound { r = r.lowerBound..<free[hi].upperBound; hi += 1 }
        free.replaceSubrange(lo..<hi, with: [r])
    }

    func zero(_ base: UInt64, _ size: UInt64) {
        var pa = base
        while pa < base + size {
            guard let b = bus.bank(pa) else { return }
            let n = min(base + size, b.base + b.size) - pa
            b.zero(offset: pa - b.base, length: n)
            bus.hostWrote(pa..<(pa + n))       // decoded code there is forgotten
            pa += n
        }
    }
}
