import Emu

/// A domain's stage-2 translation tables (its p2m: guest physical → machine), kept in
/// machine memory in the VMSAv8-64 stage 2 format so that the emulated MMU walks them
/// for real (Arm ARM D8.2, D8.3). 4 KiB granule, 39-bit IPA, walks start at level 1.
public final class Stage2 {
    /// What a mapping allows; device mappings are for passthrough MMIO.
    public enum Kind: Equatable, Sendable { case ram, readOnly, device }

    /// VTCR_EL2: T0SZ 25 (39-bit IPA), SL0 1 (start at level 1), inner/outer write-back,
    /// inner shareable, 4 KiB granule, PS 40-bit, RES1 bit 31.
    public static let vtcr: UInt64 = 25 | 1 << 6 | 1 << 8 | 1 << 10 | 3 << 12 | 2 << 16 | 1 << 31
    public static let ipaBits: UInt64 = 39

    let bus: Bus
    /// The domain's P2M pool: every table comes from it.
    let pool: P2MPool
    /// Root table (level 1) machine address.
    public let root: UInt64
    public let vmid: UInt16
    /// Frames of tables below the root, freed with the domain.
    var tables: [UInt64] = []

    public init?(bus: Bus, pool: P2MPool, vmid: UInt16) {
        guard let r = pool.allocate() else { return nil }
        self.bus = bus; self.pool = pool; self.vmid = vmid; root = r
    }

    /// VTTBR_EL2 for this domain.
    public var vttbr: UInt64 { UInt64(vmid) << 48 | root }

    private static func leafAttributes(_ kind: Kind) -> UInt64 {
        let af: UInt64 = 1 << 10, sh: UInt64 = 3 << 8
        switch kind {
        case .ram: return af | sh | 3 << 6 | 0xf << 2                  // RW, normal write-back
        case .readOnly: return af | sh | 1 << 6 | 0xf << 2             // RO
        case .device: return af | 3 << 6 | 1 << 2 | 1 << 54             // RW, Device-nGnRE, XN
        }
    }

    private func entryAddress(_ table: UInt64, _ ipa: UInt64, level: Int) -> UInt64 {
        table + ((ipa >> UInt64(39 - 9 * level)) & 0x1ff) * 8
    }
    private func read(_ pa: UInt64) -> UInt64 { bus.read(pa, size: 8) ?? 0 }
    private func write(_ pa: UInt64, _ v: UInt64) { bus.write(pa, size: 8, value: v) }

    /// The table at `level` + 1 under the entry, creating it (or splitting a block) when
    /// `create`. nil if absent and not created, or the pool is used up.
    private func nextTable(_ entry: UInt64, level: Int, create: Bool) -> UInt64? {
        let d = read(entry)
        if d & 3 == 3 { return d & 0x0000_ffff_ffff_f000 }
        guard create, let t = pool.allocate() else { return nil }
        tables.append(t)
        if d & 3 == 1 {
            // Split a block into the next level's entries, same attributes.
            let span = UInt64(1) << UInt64(39 - 9 * (level + 1))
            let base = d & 0x0000_ffff_ffff_f000 & ~(span * 512 - 1)
            let attrs = d & ~0x0000_ffff_ffff_f000 & ~3
            for i in 0..<UInt64(512) { write(t + i * 8, base + i * span | attrs | (level + 1 == 3 ? 3 : 1)) }
        }
        write(entry, t | 3)
        return t
    }

    /// Maps `size` bytes of IPA space at `ipa` to machine `pa` (both page aligned),
    /// with 2 MiB blocks where alignment allows. False if the pool has no table for it
    /// (what was mapped before that stays) or the range leaves the IPA space.
    public func map(ipa: UInt64, pa: UInt64, size: UInt64, kind: Kind) -> Bool {
        guard ipa & 0xfff == 0, pa & 0xfff == 0, ipa + size <= 1 << Stage2.ipaBits else { return false }
        let attrs = Stage2.leafAttributes(kind)
        var off: UInt64 = 0
        while off < size {
            let i = ipa + off, p = pa + off
            let l1 = entryAddress(root, i, level: 1)
            guard let l2t = nextTable(l1, level: 1, create: true) else { return false }
            let l2 = entryAddress(l2t, i, level: 2)
            let block = FrameAllocator.blockSize
            if i & (block - 1) == 0, p & (block - 1) == 0, size - off >= block, read(l2) & 3 != 3 {
                write(l2, p | attrs | 1)
                off += block
                continue
            }
            guard let l3t = nextTable(l2, level: 2, create: true) else { return false }
            write(entryAddress(l3t, i, level: 3), p | attrs | 3)
            off += FrameAllocator.pageSize
        }
        return true
    }

    /// Removes the mapping of the 4 KiB page at `ipa` (splitting a block if needed).
    /// False if a block had to be split and the pool has no table for it.
    public func unmap(ipa: UInt64) -> Bool {
        guard ipa < 1 << Stage2.ipaBits,
              let l2t = nextTable(entryAddress(root, ipa, level: 1), level: 1, create: false) else { return true }
        let l2 = entryAddress(l2t, ipa, level: 2)
        guard read(l2) & 1 != 0 else { return true }
        guard let l3t = nextTable(l2, level: 2, create: true) else { return false }
        write(entryAddress(l3t, ipa, level: 3), 0)
        return true
    }

    /// The machine address and kind of the page holding `ipa`, by a software walk.
    public func lookup(_ ipa: UInt64) -> (pa: UInt64, writable: Bool)? {
        guard ipa < 1 << Stage2.ipaBits else { return nil }
        var table = root
        for level in 1...3 {
            let d = read(entryAddress(table, ipa, level: level))
            if d & 1 == 0 { return nil }
            if d & 2 != 0 && level < 3 { table = d & 0x0000_ffff_ffff_f000; continue }
            if level == 1 { return nil }
            let span = UInt64(1) << UInt64(39 - 9 * level)
            let pa = d & 0x0000_ffff_ffff_f000 & ~(span - 1) | ipa & (span - 1)
            return (pa, (d >> 6) & 2 != 0)
        }
        return nil
    }

    /// Gives the table frames back (the domain is destroyed).
    public func release() {
        for t in tables { pool.release(t) }
        tables = []
        pool.release(root)
    }
}
