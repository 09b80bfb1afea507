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
    /// Mappings this domain made: handle → (granting domain, ref, guest address, readonly).
    var maps: [UInt32: (domain: Int, ref: UInt32, gpa: UInt64, readonly: Bool)] = [:]
    var nextHandle: UInt32 = 1

    init(pool: P2MPool) { self.pool = pool }

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
