import Emu

/// Copies between host bytes and a guest's memory one 4 KiB page at a time, each page
/// through `translate` (guest physical via the p2m, or guest virtual via both stages) to a
/// machine physical address; a page it refuses (nil) or that is not RAM ends the copy.
struct PagedCopy {
    let bus: Bus

    /// Reads `count` bytes from `start`; nil if a page is not reachable.
    func read(_ start: UInt64, count: Int, translate: (UInt64) -> UInt64?) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let a = start &+ UInt64(done)
            guard let pa = translate(a), let h = bus.host(pa) else { return nil }
            let n = min(count - done, Int(0x1000 - (a & 0xfff)))
            out.withUnsafeMutableBytes { ($0.baseAddress! + done).copyMemory(from: h, byteCount: n) }
            done += n
        }
        return out
    }

    /// Writes `bytes` at `start`, calling `wrote` with each machine range written; false if
    /// a page is not reachable (the pages before it are written).
    func write(_ bytes: [UInt8], at start: UInt64, translate: (UInt64) -> UInt64?,
               wrote: (Range<UInt64>) -> Void = { _ in }) -> Bool {
        bytes.withUnsafeBytes { write($0, at: start, translate: translate, wrote: wrote) }
    }

    func write(_ bytes: UnsafeRawBufferPointer, at start: UInt64, translate: (UInt64) -> UInt64?,
               wrote: (Range<UInt64>) -> Void = { _ in }) -> Bool {
        var done = 0
        while done < bytes.count {
            let a = start &+ UInt64(done)
            guard let pa = translate(a), let h = bus.host(pa) else { return false }
            let n = min(bytes.count - done, Int(0x1000 - (a & 0xfff)))
            h.copyMemory(from: bytes.baseAddress! + done, byteCount: n)
            wrote(pa..<(pa + UInt64(n)))
            done += n
        }
        return true
    }
}
