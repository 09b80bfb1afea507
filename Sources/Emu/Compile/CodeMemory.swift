#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Executable memory for compiled regions: one anonymous mapping, filled from the start and
// emptied as a whole when full (the code cache then forgets every compiled region).

final class CodeMemory {
    let base: UnsafeMutableRawPointer
    let size: Int
    private(set) var used = 0

    /// Nil where the host refuses writable, executable memory.
    init?(size: Int) {
        #if arch(x86_64) && os(Linux)
        let p = mmap(nil, size, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let p, p != MAP_FAILED else { return nil }
        base = p
        self.size = size
        #else
        return nil
        #endif
    }

    deinit { munmap(base, size) }

    /// Copies `count` bytes of code in, 64-byte aligned; nil when there is no room left.
    func place(_ code: UnsafePointer<UInt8>, count: Int) -> UnsafeRawPointer? {
        let start = (used + 63) & ~63
        guard start + count <= size else { return nil }
        (base + start).copyMemory(from: code, byteCount: count)
        used = start + count
        return UnsafeRawPointer(base + start)
    }

    func reset() { used = 0 }
}
