// Credit2 load balancing between runqueues (Xen 4.12, sched_credit2.c: balance_load,
// consider, migrate). Run by a pCPU when its runqueue's credits are reset: it finds the
// runqueue whose decaying load differs most from its own and, if the difference passes
// a tolerance, pushes one vCPU there, pulls one here, or swaps a pair, whichever leaves
// the two loads closest.

extension Credit2Scheduler {
    func balanceLoad(pcpu: Int, now: UInt64) {
        guard runqueues.count > 1 else { return }
        let local = runqueues[runqueueOf[pcpu]]
        updateLoad(local, now: now)
        var other: Credit2Runqueue? = nil
        var maxDelta: Int64 = 0
        for rq in runqueues where rq !== local {
            updateLoad(rq, now: now)
            let delta = abs(local.balanceAvgload - rq.balanceAvgload)
            if delta > maxDelta { maxDelta = delta; other = rq }
        }
        guard let remote = other else { return }

        // Below one pCPU's worth of load per pCPU a whole vCPU of difference is needed;
        // above it, an eighth (opt_underload/overload_balance_tolerance).
        let p = Credit2.loadPrecisionShift
        let loadMax = max(local.balanceAvgload, remote.balanceAvgload)
        let cpusMax = Int64(max(local.pcpus.count, remote.pcpus.count))
        let tolerance = loadMax < cpusMax << p ? Credit2.underloadTolerance : Credit2.overloadTolerance
        guard maxDelta >= 1 << (p + tolerance) else { return }

        var best: (delta: Int64, push: Credit2VCPU?, pull: Credit2VCPU?) = (maxDelta, nil, nil)
        func consider(_ push: Credit2VCPU?, _ pull: Credit2VCPU?) {
            var l = local.balanceAvgload, o = remote.balanceAvgload
            if let v = push { l -= v.avgload; o += v.avgload }
            if let v = pull { l += v.avgload; o -= v.avgload }
            let delta = abs(l - o)
            if delta < best.delta { best = (delta, push, pull) }
        }
        let pushable = local.members.map { vcpus[$0]! }.filter { migrateable($0, to: remote) }
        let pullable = remote.members.map { vcpus[$0]! }.filter { migrateable($0, to: local) }
        for push in pushable {
            for pull in pullable { consider(push, pull) }
            consider(push, nil)
        }
        for pull in pullable { consider(nil, pull) }
        if let v = best.push { migrate(v, to: remote, now: now) }
        if let v = best.pull { migrate(v, to: local, now: now) }
    }

    /// Whether `v` may go to `rq` (vcpu_is_migrateable): its affinity has a pCPU there
    /// and no move is pending.
    func migrateable(_ v: Credit2VCPU, to rq: Credit2Runqueue) -> Bool {
        v.migrateTo == nil && rq.pcpus.contains(where: v.affinity.contains)
    }

    /// Moves `v` to `rq` now, or, if it is running, once its pCPU deschedules it.
    func migrate(_ v: Credit2VCPU, to rq: Credit2Runqueue, now: UInt64) {
        if let p = v.running {
            updateLoad(runqueues[v.runqueue], now: now)
            v.migrateTo = rq.id
            tickle(p, runqueues[v.runqueue])
        } else {
            move(v, to: rq, now: now)
        }
    }

    /// Reassigns a vCPU that is not running to `rq`, on a pCPU of its affinity there
    /// after the runqueue's pick bias; if it was waiting it waits there instead.
    func move(_ v: Credit2VCPU, to rq: Credit2Runqueue, now: UInt64) {
        let old = runqueues[v.runqueue]
        updateLoad(old, now: now)
        updateLoad(rq, now: now)
        let waiting = v.onRunq || v.eligible
        runqRemove(v)
        deassign(v, from: old)
        v.processor = cycle(from: rq.pickBias, in: rq.pcpus.filter(v.affinity.contains))
        rq.pickBias = v.processor
        assign(v, to: rq)
        if waiting && v.eligible {
            runqInsert(v)
            runqTickle(v, now: now)
        }
    }
}
