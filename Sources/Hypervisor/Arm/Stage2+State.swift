import Emu

/// Snapshot state of a p2m: the tables themselves are in machine memory (saved with RAM);
/// kept here is which frames they use, so that they are freed with the domain.
extension Stage2 {
    func save(_ w: inout StateWriter) {
        w.u64(UInt64(vmid)); w.u64(root)
        w.u64s(tables)
    }

    func restore(_ r: inout StateReader) throws {
        let id = try r.u64(), rt = try r.u64()
        guard id == UInt64(vmid), rt == root else {
            throw StateError("hypervisor state: a stage 2 with VMID \(id) at \(hex(rt)), where this configuration builds VMID \(vmid) at \(hex(root))")
        }
        let t = try r.u64s("stage-2 table frames", max: 1 << 20)
        guard t.allSatisfy({ $0 & 0xfff == 0 && pool.contains($0) }) else {
            throw StateError("hypervisor state: a stage-2 table frame is not a page of the domain's P2M pool")
        }
        tables = t
    }
}
