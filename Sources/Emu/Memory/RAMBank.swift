import Foundation

/// One bank of guest RAM: host memory from `mmap`, zero-filled, not swapped in until touched.
///
/// Besides the code-page marks, a bank keeps a "touched" mark per page: set whenever host
/// code gets a pointer that can write the page (a write TLB entry, a slow-path store, a
/// device's DMA range, the hosted hypervisor's copies), cleared by `takeTouched`. So the
/// pages written between two `takeTouched` calls are always among those it reports, which
/// is what keeping a hash of all of RAM up to date needs (Machine/Replay/RAMDigest.swift).
/// Marking happens only on slow paths; the interpreter's fast store path relies on write
/// TLB entries being dropped when the marks are taken (`CodeCache.dropWriteAccess`).
public final class RAMBank {
    public let base: UInt64
    public let size: UInt64
    public let host: UnsafeMutableRawPointer
    /// One byte per 4 KiB page: nonzero while the code cache holds decoded code for it.
    let codePages: UnsafeMutablePointer<UInt8>
    /// One byte per 4 KiB page: nonzero if the page may have been written since `takeTouched`.
    private let touched: UnsafeMutablePointer<UInt8>
    /// Pages a device writes through a pointer it keeps (virtio rings): always reported.
    private var kept: Set<Int> = []
    public var pageCount: Int { Int(size >> 12) }

    init(base: UInt64, size: UInt64) throws {
        guard let p = mmap(nil, Int(size), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
              p != MAP_FAILED else {
            throw EmuError.outOfMemory("cannot reserve \(size >> 20) MiB of host memory for guest RAM")
        }
        self.base = base; self.size = size; self.host = p
        let pages = Int(size >> 12)
        codePages = .allocate(capacity: pages)
        codePages.initialize(repeating: 0, count: pages)
        touched = .allocate(capacity: pages)
        touched.initialize(repeating: 1, count: pages)
    }

    deinit {
        munmap(host, Int(size))
        codePages.deallocate()
        touched.deallocate()
    }

    @inline(__always) func contains(_ pa: UInt64) -> Bool { pa &- base < size }

    /// Marks the page at `offset` (into the bank) as possibly written.
    @inline(__always) func touch(_ offset: UInt64) { touched[Int(offset >> 12)] = 1 }

    /// Marks the pages of `length` bytes from `offset` as possibly written.
    public func touch(offset: UInt64, length: UInt64) {
        guard length > 0, offset < size else { return }
        let last = min(offset + length - 1, size - 1) >> 12
        for p in Int(offset >> 12)...Int(last) { touched[p] = 1 }
    }

    /// Sets `length` bytes from `offset` to zero and marks their pages written. Whole host
    /// pages are handed back to the host kernel instead of cleared: they read as zero, and
    /// cost nothing until the guest touches them (a domain's RAM is hundreds of MiB).
    /// The caller forgets decoded code there (`Bus.hostWrote`).
    public func zero(offset: UInt64, length: UInt64) {
        guard offset < size, length > 0 else { return }
        let end = offset + min(length, size - offset)
        let hostPage = UInt64(getpagesize())
        let first = (offset + hostPage - 1) & ~(hostPage - 1), last = end & ~(hostPage - 1)
        if first < last && madvise(host + Int(first), Int(last - first), MADV_DONTNEED) == 0 {
            if first > offset { (host + Int(offset)).initializeMemory(as: UInt8.self, repeating: 0, count: Int(first - offset)) }
            if end > last { (host + Int(last)).initializeMemory(as: UInt8.self, repeating: 0, count: Int(end - last)) }
        } else {
            (host + Int(offset)).initializeMemory(as: UInt8.self, repeating: 0, count: Int(end - offset))
        }
        touch(offset: offset, length: end - offset)
    }

    /// Marks the pages of `length` bytes from `offset` as written at every `takeTouched`:
    /// for memory a device writes through a pointer it holds.
    public func keepTouched(offset: UInt64, length: UInt64) {
        guard length > 0, offset < size else { return }
        let last = min(offset + length - 1, size - 1) >> 12
        for p in Int(offset >> 12)...Int(last) { kept.insert(p) }
    }

    /// Calls `body` with the index of every page marked since the last call, in order, and
    /// clears the marks (the kept pages stay marked). Drop write TLB entries at the same
    /// time (`CodeCache.dropWriteAccess`), or stores through them go unseen.
    public func takeTouched(_ body: (Int) -> Void) {
        let pages = pageCount
        var p = 0
        while p < pages {
            // Eight marks at a time: most of RAM is untouched between two calls.
            if p + 8 <= pages && UnsafeRawPointer(touched + p).loadUnaligned(as: UInt64.self) == 0 { p += 8; continue }
            if touched[p] != 0 { touched[p] = 0; body(p) }
            p += 1
        }
        for k in kept { touched[k] = 1 }
    }
}
