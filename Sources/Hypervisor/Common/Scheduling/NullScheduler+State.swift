import Emu

/// Snapshot state of the null scheduler: assignments, the wait queue, affinities, who is
/// runnable and running, pending tickles. Sets and dictionaries are saved in order.
extension NullScheduler {
    public func save(_ w: inout StateWriter) {
        w.section("null/1")
        w.int(pcpuCount)
        for p in 0..<pcpuCount { w.vcpuID(assigned[p]); w.vcpuID(running[p]) }
        w.vcpuIDs(waitqueue)
        w.int(affinity.count)
        for id in affinity.keys.sorted() { w.vcpuID(id); w.intSet(affinity[id]!) }
        w.vcpuIDs(runnable.sorted())
        w.ints(tickles)
    }

    public func restore(_ r: inout StateReader) throws {
        try r.section("null/1")
        guard try r.int() == pcpuCount else { throw StateError("hypervisor state: the null scheduler had another number of pCPUs") }
        var a: [VCPUID?] = [], run: [VCPUID?] = []
        for _ in 0..<pcpuCount { a.append(try r.optionalVCPUID()); run.append(try r.optionalVCPUID()) }
        let wait = try r.vcpuIDs(max: 1 << 16)
        var aff: [VCPUID: Set<Int>] = [:]
        for _ in 0..<(try r.count("vCPUs", max: 1 << 16)) {
            let id = try r.vcpuID()
            let set = Set(try r.indexes("pCPU", below: pcpuCount))
            guard !set.isEmpty else { throw StateError("hypervisor state: \(id) may run on no pCPU") }
            aff[id] = set
        }
        let runnableNow = try r.vcpuIDs(max: 1 << 16)
        let t = try r.indexes("tickled pCPU", below: pcpuCount)
        // Everything named must be a vCPU the scheduler knows (the code unwraps affinities).
        for id in a.compactMap({ $0 }) + run.compactMap({ $0 }) + wait + runnableNow where aff[id] == nil {
            throw StateError("hypervisor state: the null scheduler names \(id), which it does not have")
        }
        (assigned, running, waitqueue, affinity, runnable, tickles) = (a, run, wait, aff, Set(runnableNow), t)
    }
}
