import Emu

/// Snapshot state of a grant table: its frames (the entries themselves are in machine
/// memory) and the mappings this domain holds, in handle order.
extension GrantTable {
    func save(_ w: inout StateWriter) {
        w.u64s(tableFrames)
        w.int(maps.count)
        for h in maps.keys.sorted() {
            let m = maps[h]!
            w.u32(h); w.int(m.domain); w.u32(m.ref); w.u64(m.gpa); w.bool(m.readonly)
        }
        w.u32(nextHandle)
    }

    func restore(_ r: inout StateReader, bus: Bus) throws {
        let f = try r.u64s("grant-table frames", max: GrantTable.maxFrames)
        guard f.allSatisfy({ $0 & 0xfff == 0 && pool.contains($0) }) else {
            throw StateError("hypervisor state: a grant-table frame is not a page of the domain's P2M pool")
        }
        var m: [UInt32: Mapping] = [:]
        for _ in 0..<(try r.count("grant mappings", max: GrantTable.maxMaps)) {
            let h = try r.u32()
            m[h] = (try r.int(), try r.u32(), try r.u64(), try r.bool())
        }
        let next = try r.u32()
        tableFrames = f
        setMaps(m, next: next)
    }
}
