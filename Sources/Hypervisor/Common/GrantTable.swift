import Emu

/// A domain's grant table, version 1 (xen/include/public/grant_table.h): an array of
/// 8-byte grant_entry_v1 { uint16_t flags; domid_t domid; uint32_t frame; } in frames
/// the hypervisor owns and the guest maps at its grant-table region, plus the mappings
/// this domain holds of other domains' grants.
final class GrantTable {
    static let maxFrames = 64
    static let entriesPerFrame = 512
    /// GTF_* flags and GNTMAP_* options.
    static let permitAccess: UInt16 = 1, readonly: UInt16 = 1 << 2, reading: UInt16 = 1 << 3, writing: UInt16 = 1 << 4
    static let mapHost: UInt32 = 1 << 1, mapReadonly: UInt32 = 1 << 2

    /// The domain's P2M pool, which the table's frames come from.
    let pool: P2MPool
    var tableFrames: [UInt64] = []
    typealias Mapping = (domain: Int, ref: UInt32, gpa: UInt64, readonly: Bool)
    /// Mappings this domain made: handle → (granting domain, ref, guest address, readonly).
    private(set) var maps: [UInt32: Mapping] = [:]
    /// How many of `maps` hold each (granting domain, ref): an unmap asks whether the grant
    /// is still mapped, and must not look through every mapping to know.
    private var holders: [UInt64: Int] = [:]
    var nextHandle: UInt32 = 1
    /// Xen's default maptrack limit (max_maptrack_frames 1024, 512 handles a frame): past
    /// it a map gets GNTST_no_device_space.
    static let maxMaps = 1024 * 512

    init(pool: P2MPool) { self.pool = pool }

    private static func key(_ m: Mapping) -> UInt64 { UInt64(truncatingIfNeeded: m.domain) << 32 | UInt64(m.ref) }

    /// Records a mapping under a new handle; nil when the domain holds `maxMaps` already.
    func add(_ m: Mapping) -> UInt32? {
        guard maps.count < GrantTable.maxMaps else { return nil }
        while maps[nextHandle] != nil || nextHandle == 0 { nextHandle &+= 1 }
        let h = nextHandle
        nextHandle &+= 1
        maps[h] = m
        holders[GrantTable.key(m), default: 0] += 1
        return h
    }

    /// Forgets mapping `h`; whether the grant it mapped is still mapped by another (nil:
    /// no such mapping).
    @discardableResult
    func remove(_ h: UInt32) -> Bool? {
        guard let m = maps.removeValue(forKey: h) else { return nil }
        let k = GrantTable.key(m), left = (holders[k] ?? 1) - 1
        holders[k] = left > 0 ? left : nil
        return left > 0
    }

    /// Puts back what a snapshot held.
    func setMaps(_ m: [UInt32: Mapping], next: UInt32) {
        maps = m
        nextHandle = next
        holders = [:]
        for v in m.values { holders[GrantTable.key(v), default: 0] += 1 }
    }

    /// Machine address of table frame `i`, growing the table up to it.
    func frame(_ i: Int) -> UInt64? {
        guard i >= 0 && i < GrantTable.maxFrames else { return nil }
        while tableFrames.count <= i {
            guard let f = pool.allocate() else { return nil }
            tableFrames.append(f)
        }
        return tableFrames[i]
    }

    var entries: Int { tableFrames.count * GrantTable.entriesPerFrame }

    /// Machine address of entry `ref`, if the table has it.
    func entry(_ ref: UInt32) -> UInt64? {
        guard Int(ref) < entries else { return nil }
        return tableFrames[Int(ref) / GrantTable.entriesPerFrame] + UInt64(Int(ref) % GrantTable.entriesPerFrame) * 8
    }

    func release() {
        for f in tableFrames { pool.release(f) }
        tableFrames = []
    }
}
