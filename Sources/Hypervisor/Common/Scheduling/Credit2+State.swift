import Emu

/// Snapshot state of Credit2: every vCPU's credit, load and cap budget, every domain's
/// budget and parked vCPUs, every runqueue's members, queue, idle and tickled pCPUs and
/// load averages, what each pCPU runs, pending tickles. Saved in id order (dictionaries
/// have no order of their own); restored by building the objects anew, after checking
/// that everything one names exists.
extension Credit2Scheduler {
    public func save(_ w: inout StateWriter) {
        w.section("credit2/1")
        w.int(pcpuCount)
        w.int(runqueues.count)
        w.int(vcpus.count)
        for id in vcpus.keys.sorted() {
            let v = vcpus[id]!
            w.vcpuID(id); w.intSet(v.affinity); w.int(v.weight)
            for x in [v.credit, v.residual, v.budget, v.budgetQuota, v.avgload] { w.i64(x) }
            w.int(v.processor); w.int(v.runqueue)
            for b in [v.runnable, v.parked, v.onRunq, v.yieldRequested] { w.bool(b) }
            w.optional(v.running); w.optional(v.tickledCPU); w.optional(v.migrateTo)
            w.u64(v.startTime); w.u64(v.runningSince); w.u64(v.loadLastUpdate)
        }
        w.int(domains.count)
        for key in domains.keys.sorted() {
            let d = domains[key]!
            w.int(key); w.int(d.parameters.weight); w.int(d.parameters.cap)
            w.vcpuIDs(d.vcpus)
            w.i64(d.budget); w.i64(d.totalBudget); w.u64(d.nextReplenishment)
            w.vcpuIDs(d.parkedVCPUs)
        }
        for rq in runqueues {
            w.vcpuIDs(rq.members); w.vcpuIDs(rq.runq)
            w.intSet(rq.idle); w.intSet(rq.tickled)
            w.int(rq.maxWeight); w.int(rq.pickBias)
            w.i64(rq.avgload); w.i64(rq.balanceAvgload); w.u64(rq.loadLastUpdate)
        }
        for c in current { w.vcpuID(c) }
        w.ints(tickles)
    }

    public func restore(_ r: inout StateReader) throws {
        func fail(_ s: String) -> StateError { StateError("hypervisor state: credit2: \(s)") }
        try r.section("credit2/1")
        guard try r.int() == pcpuCount, try r.int() == runqueues.count else {
            throw fail("saved with another number of pCPUs or runqueues")
        }
        let pcpus = pcpuCount, rqs = runqueues.count
        var vs: [VCPUID: Credit2VCPU] = [:]
        for _ in 0..<(try r.count("credit2 vCPUs", max: 1 << 16)) {
            let id = try r.vcpuID()
            let affinity = Set(try r.indexes("pCPU", below: pcpus))
            let weight = try r.int()
            let n = try (0..<5).map { _ in try r.i64() }
            let processor = try r.index("\(id)'s processor", below: pcpus)
            let runqueue = try r.index("\(id)'s runqueue", below: rqs)
            guard !affinity.isEmpty, SchedulingParameters.weightRange.contains(weight), vs[id] == nil else {
                throw fail("\(id) has no pCPU, a weight of \(weight), or is saved twice")
            }
            let v = Credit2VCPU(id: id, affinity: affinity, weight: weight, processor: processor, runqueue: runqueue)
            (v.credit, v.residual, v.budget, v.budgetQuota, v.avgload) = (n[0], n[1], n[2], n[3], n[4])
            (v.runnable, v.parked, v.onRunq, v.yieldRequested) = (try r.bool(), try r.bool(), try r.bool(), try r.bool())
            v.running = try r.optionalIndex("\(id)'s pCPU", below: pcpus)
            v.tickledCPU = try r.optionalIndex("\(id)'s tickled pCPU", below: pcpus)
            v.migrateTo = try r.optionalIndex("\(id)'s target runqueue", below: rqs)
            (v.startTime, v.runningSince, v.loadLastUpdate) = (try r.u64(), try r.u64(), try r.u64())
            vs[id] = v
        }
        func known(_ ids: [VCPUID]) throws -> [VCPUID] {
            if let bad = ids.first(where: { vs[$0] == nil }) { throw fail("names \(bad), which it does not have") }
            return ids
        }
        var ds: [Int: Credit2Domain] = [:]
        for _ in 0..<(try r.count("credit2 domains", max: 1 << 16)) {
            let key = try r.int()
            let p = SchedulingParameters(weight: try r.int(), cap: try r.int())
            guard SchedulingParameters.weightRange.contains(p.weight), p.cap >= 0 else { throw fail("domain \(key) has weight \(p.weight), cap \(p.cap)") }
            let d = Credit2Domain(parameters: p)
            d.vcpus = try known(try r.vcpuIDs(max: 1 << 16))
            (d.budget, d.totalBudget, d.nextReplenishment) = (try r.i64(), try r.i64(), try r.u64())
            d.parkedVCPUs = try known(try r.vcpuIDs(max: 1 << 16))
            ds[key] = d
        }
        if let orphan = vs.keys.sorted().first(where: { ds[$0.domain] == nil }) { throw fail("\(orphan) has no domain") }
        var saved: [(members: [VCPUID], runq: [VCPUID], idle: Set<Int>, tickled: Set<Int>, numbers: [Int64], last: UInt64)] = []
        for rq in runqueues {
            let members = try known(try r.vcpuIDs(max: 1 << 16)), runq = try known(try r.vcpuIDs(max: 1 << 16))
            let idle = Set(try r.indexes("idle pCPU", below: pcpus)), tickled = Set(try r.indexes("tickled pCPU", below: pcpus))
            let maxWeight = try r.int(), bias = try r.int()
            guard maxWeight >= 1, rq.pcpus.contains(bias) else { throw fail("runqueue \(rq.id) has max weight \(maxWeight), pick bias \(bias)") }
            saved.append((members, runq, idle, tickled, [Int64(maxWeight), Int64(bias), try r.i64(), try r.i64()], try r.u64()))
        }
        let cur = try (0..<pcpus).map { _ in try r.optionalVCPUID() }
        _ = try known(cur.compactMap { $0 })
        let t = try r.indexes("tickled pCPU", below: pcpus)

        vcpus = vs
        domains = ds
        for (rq, s) in zip(runqueues, saved) {
            (rq.members, rq.runq, rq.idle, rq.tickled) = (s.members, s.runq, s.idle, s.tickled)
            (rq.maxWeight, rq.pickBias) = (Int(s.numbers[0]), Int(s.numbers[1]))
            (rq.avgload, rq.balanceAvgload, rq.loadLastUpdate) = (s.numbers[2], s.numbers[3], s.last)
        }
        current = cur
        tickles = t
    }
}
