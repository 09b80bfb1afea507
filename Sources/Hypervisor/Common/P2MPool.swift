import Emu

/// A domain's P2M pool (Xen 4.17's per-domain pool, XSA-409): machine frames set aside when
/// the domain is built, from which come its stage-2 tables and every frame the hypervisor
/// keeps for it (shared_info, grant-table frames). A domain that makes the hypervisor
/// allocate more than its pool holds gets -ENOMEM, and the machine's memory, which the
/// other domains grow from, is never touched.
public final class P2MPool {
    let frames: FrameAllocator
    /// The pool's machine range, reserved whole at domain build.
    public let base: UInt64, pages: Int
    /// Pages `base ..< base + next * 4 KiB` have been handed out at least once.
    var next = 0
    /// Pages handed back, to go out again first.
    var returned: [UInt64] = []

    /// Xen's default size for a domain's pool (domain_p2m_pages for dom0less domains; xl
    /// on Arm is alike): 256 pages per vCPU, one per MiB of RAM and 128 more, rounded up
    /// to whole MiB.
    public static func defaultMiB(memoryKiB: UInt64, vcpus: Int) -> UInt64 {
        let kib = 4 * (256 * UInt64(vcpus) + memoryKiB / 1024 + 128)
        return (kib + 1023) / 1024
    }

    /// Reserves `bytes` (whole pages) of machine memory; nil when the machine has no room.
    init?(frames: FrameAllocator, bytes: UInt64) {
        guard bytes >= FrameAllocator.pageSize, let b = frames.allocate(bytes) else { return nil }
        self.frames = frames
        base = b
        pages = Int(bytes / FrameAllocator.pageSize)
    }

    public var freePages: Int { pages - next + returned.count }

    /// A zeroed page of the pool; nil when the pool is used up.
    func allocate() -> UInt64? {
        let pa: UInt64
        if let r = returned.popLast() {
            pa = r
            frames.zero(pa, FrameAllocator.pageSize)
        } else {
            guard next < pages else { return nil }
            pa = base + UInt64(next) * FrameAllocator.pageSize   // zeroed when reserved
            next += 1
        }
        return pa
    }

    func release(_ pa: UInt64) { returned.append(pa) }

    /// Whether machine page `pa` is one of the pool's.
    func contains(_ pa: UInt64) -> Bool { pa &- base < UInt64(pages) * FrameAllocator.pageSize }
}

extension P2MPool {
    func save(_ w: inout StateWriter) {
        w.u64(base); w.int(pages); w.int(next); w.u64s(returned)
    }

    func restore(_ r: inout StateReader) throws {
        let b = try r.u64(), n = try r.int()
        guard b == base, n == pages else {
            throw StateError("hypervisor state: a P2M pool of \(n) pages at \(hex(b)), where this configuration builds \(pages) at \(hex(base))")
        }
        let used = try r.int()
        let back = try r.u64s("returned P2M pool pages", max: pages)
        guard (0...pages).contains(used),
              back.allSatisfy({ $0 & 0xfff == 0 && contains($0) && $0 < base + UInt64(used) * FrameAllocator.pageSize }),
              Set(back).count == back.count else {
            throw StateError("hypervisor state: a P2M pool's pages are not its own")
        }
        (next, returned) = (used, back)
    }
}
