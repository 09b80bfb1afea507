// The Credit2 scheduler, Xen's default since 4.10 (xen/common/sched_credit2.c, 4.12).
// Every vCPU holds credit, burnt while it runs at a rate of max weight / its weight; a
// runqueue runs its highest-credit vCPU, and when the one picked next has none left all
// its vCPUs get CSCHED2_CREDIT_INIT more. Runqueues group pCPUs and are balanced by load
// (Credit2Balance.swift); caps are per-domain budgets refilled every period (Credit2Caps).

public final class Credit2Scheduler: Scheduler {
    /// Tunables, with Xen's defaults.
    public struct Options: Sendable, Equatable {
        /// pCPUs per runqueue; nil puts all in one (credit2_runqueue=socket, one socket).
        public var pcpusPerRunqueue: Int? = nil
        /// sched_ratelimit_us: a vCPU runs at least this long before being preempted.
        public var ratelimit: UInt64 = 1_000_000
        /// credit2_cap_period_ms: the cap budget replenishment period.
        public var capPeriod: UInt64 = 10_000_000
        /// credit2_load_window_shift: log2 of the load averaging window in ns.
        public var loadWindowShift: UInt64 = 30
        public init() {}
    }

    public let name = "credit2"
    public let pcpuCount: Int
    public let options: Options
    var vcpus: [VCPUID: Credit2VCPU] = [:]
    var domains: [Int: Credit2Domain] = [:]
    var runqueues: [Credit2Runqueue]
    /// pCPU -> runqueue index.
    let runqueueOf: [Int]
    /// What each pCPU runs (curr_on_cpu).
    var current: [VCPUID?]
    var tickles: [Int] = []

    public init(pcpus: Int, options: Options = Options()) {
        precondition(pcpus > 0)
        pcpuCount = pcpus
        self.options = options
        let size = max(1, min(options.pcpusPerRunqueue ?? pcpus, pcpus))
        runqueues = stride(from: 0, to: pcpus, by: size).enumerated().map { i, first in
            Credit2Runqueue(id: i, pcpus: Array(first..<min(first + size, pcpus)))
        }
        runqueueOf = (0..<pcpus).map { $0 / size }
        current = Array(repeating: nil, count: pcpus)
    }

    // MARK: Domains and vCPUs

    public func insert(_ id: VCPUID, parameters: SchedulingParameters, affinity: [Int]?, pcpu: Int?, now: UInt64) {
        precondition(vcpus[id] == nil, "\(id) inserted twice")
        let domain = domains[id.domain] ?? Credit2Domain(parameters: parameters)
        domains[id.domain] = domain
        let allowed = affinitySet(affinity, pcpus: pcpuCount)
        let processor = pcpu.flatMap { allowed.contains($0) ? $0 : nil } ?? pickPCPU(allowed, now: now)
        let v = Credit2VCPU(id: id, affinity: allowed, weight: domain.parameters.weight,
                            processor: processor, runqueue: runqueueOf[processor])
        vcpus[id] = v
        updateLoad(runqueues[v.runqueue], now: now)
        assign(v, to: runqueues[v.runqueue])
        domain.vcpus.append(id)
        if domain.hasCap { applyCap(domain, now: now, enabling: false) }
    }

    public func remove(_ id: VCPUID, now: UInt64) {
        guard let v = vcpus[id], let domain = domains[id.domain] else { return }
        let rq = runqueues[v.runqueue]
        updateLoad(rq, now: now)
        if let p = v.running { current[p] = nil; rq.idle.insert(p); tickle(p, rq) }
        runqRemove(v)
        deassign(v, from: rq)
        vcpus[id] = nil
        domain.vcpus.removeAll { $0 == id }
        domain.parkedVCPUs.removeAll { $0 == id }
        if domain.hasCap { domain.budget += max(0, v.budget) }
        if domain.vcpus.isEmpty { domains[id.domain] = nil } else if domain.hasCap { applyCap(domain, now: now, enabling: false) }
    }

    public func setParameters(domain id: Int, _ parameters: SchedulingParameters, now: UInt64) {
        guard let domain = domains[id] else { return }
        precondition(SchedulingParameters.weightRange.contains(parameters.weight))
        let hadCap = domain.hasCap
        domain.parameters = parameters
        for vid in domain.vcpus {
            let v = vcpus[vid]!
            if v.running != nil { burn(v, now: now) }
            v.weight = parameters.weight
        }
        for rq in runqueues { recomputeMaxWeight(rq) }
        if domain.hasCap { applyCap(domain, now: now, enabling: !hadCap) } else if hadCap { removeCap(domain, now: now) }
    }

    /// The least loaded runqueue that the affinity allows, and a pCPU of it after its
    /// pick bias (csched2_cpu_pick, simplified: no soft affinity, no SMT).
    func pickPCPU(_ allowed: Set<Int>, now: UInt64) -> Int {
        var best: (rq: Credit2Runqueue, load: Int64)? = nil
        for rq in runqueues where rq.pcpus.contains(where: allowed.contains) {
            updateLoad(rq, now: now)
            let load = rq.balanceAvgload + (instantLoad(rq) << Credit2.loadPrecisionShift)
            if best == nil || load < best!.load { best = (rq, load) }
        }
        let rq = best!.rq
        let p = cycle(from: rq.pickBias, in: rq.pcpus.filter(allowed.contains))
        rq.pickBias = p
        return p
    }

    /// The first pCPU of `candidates` after `from` (cpumask_cycle), wrapping around.
    func cycle(from: Int, in candidates: [Int]) -> Int {
        candidates.sorted().first { $0 > from } ?? candidates.min()!
    }

    // MARK: Blocking and waking

    public func wake(_ id: VCPUID, now: UInt64) {
        guard let v = vcpus[id], !v.runnable else { return }
        let rq = runqueues[v.runqueue]
        updateLoad(rq, now: now)
        v.runnable = true
        // Running (it blocked and woke before its pCPU rescheduled), parked (it waits for
        // budget) or being moved: its pCPU or the replenishment will see to it.
        guard v.running == nil, !v.parked, v.migrateTo == nil else { return }
        runqInsert(v)
        runqTickle(v, now: now)
    }

    public func sleep(_ id: VCPUID, now: UInt64) {
        guard let v = vcpus[id], v.runnable else { return }
        let rq = runqueues[v.runqueue]
        updateLoad(rq, now: now)
        v.runnable = false
        if let p = v.running { tickle(p, rq) } else { runqRemove(v) }
    }

    public func yield(_ id: VCPUID) { vcpus[id]?.yieldRequested = true }

    public func takeTickles() -> [Int] {
        defer { tickles = [] }
        return tickles
    }

    func tickle(_ pcpu: Int, _ rq: Credit2Runqueue) {
        rq.tickled.insert(pcpu)
        if !tickles.contains(pcpu) { tickles.append(pcpu) }
    }

    /// Finds a pCPU for a vCPU just put on the runqueue (runq_tickle): an idle one of
    /// its affinity, preferring its own; else the busy one whose vCPU it beats by the
    /// most credit (minus CSCHED2_MIGRATE_RESIST elsewhere), if past the rate limit.
    func runqTickle(_ v: Credit2VCPU, now: UInt64) {
        let rq = runqueues[v.runqueue]
        let allowed = rq.pcpus.filter { v.affinity.contains($0) && !rq.tickled.contains($0) }
        let idle = allowed.filter { rq.idle.contains($0) }
        if !idle.isEmpty {
            let p = idle.contains(v.processor) ? v.processor : cycle(from: v.processor, in: idle)
            tickle(p, rq)
            v.tickledCPU = p
            return
        }
        var best: (pcpu: Int, score: Int64)? = nil
        let busy = allowed.filter { $0 == v.processor } + allowed.filter { $0 != v.processor }
        for p in busy {
            guard let cid = current[p], let cur = vcpus[cid] else { continue }
            guard options.ratelimit <= Credit2.ratelimitTickleTolerance
                    || now - cur.runningSince > options.ratelimit - Credit2.ratelimitTickleTolerance else { continue }
            burn(cur, now: now)
            var score = v.credit - cur.credit
            if p != v.processor { score -= Credit2.migrateResist }
            if score > (best?.score ?? 0) { best = (p, score) }
        }
        if let b = best {
            tickle(b.pcpu, rq)
            v.tickledCPU = b.pcpu
        }
    }

    // MARK: Scheduling

    public func schedule(pcpu: Int, now: UInt64, current cid: VCPUID?, currentRunnable: Bool) -> SchedulingDecision {
        timer(now: now)
        let rq = runqueues[runqueueOf[pcpu]]
        rq.tickled.remove(pcpu)
        // A vCPU removed while running has already left its pCPU.
        precondition(cid == current[pcpu] || (current[pcpu] == nil && vcpus[cid!] == nil),
                     "pCPU \(pcpu) runs \(String(describing: current[pcpu])), not \(String(describing: cid))")
        let scurr = current[pcpu].flatMap { vcpus[$0] }
        if let s = scurr {
            if !currentRunnable && s.runnable { updateLoad(rq, now: now); s.runnable = false }
            burn(s, now: now)
            if domains[s.id.domain]!.hasCap && s.budget <= 0 { grabBudget(s, now: now) }
        }
        var (snext, skipped) = candidate(rq, scurr, pcpu: pcpu, now: now)
        var migrated = false
        if let n = snext {
            if n !== scurr {
                runqRemove(n)
                n.running = pcpu
                n.runningSince = now
                n.startTime = now
            }
            rq.idle.remove(pcpu)
            if skipped == 0 && n.credit <= 0 {
                resetCredit(rq, now: now, next: n)
                balanceLoad(pcpu: pcpu, now: now)
                // Balancing may have asked for snext to move: it stays this time.
                if n.migrateTo != nil && n === scurr { n.migrateTo = nil }
            }
            n.startTime = now
            n.tickledCPU = nil
            if n.processor != pcpu {
                n.credit += Credit2.migrateCompensation
                n.processor = pcpu
                migrated = true
            }
        } else {
            rq.idle.insert(pcpu)
            skipped = 0
        }
        let slice = snext.map { runtime($0, rq, now: now, continuing: $0 === scurr) }
        current[pcpu] = snext?.id
        if let s = scurr, s !== snext { descheduled(s, now: now) }
        updateLoad(rq, now: now)
        return SchedulingDecision(next: snext?.id, slice: slice, migrated: migrated)
    }

    /// What runs next on `pcpu` (runq_candidate): the current vCPU while within the rate
    /// limit; else the first vCPU of the runqueue that may run here, if it has more
    /// credit than the current one (or the current one yields), and budget if capped.
    func candidate(_ rq: Credit2Runqueue, _ scurr: Credit2VCPU?, pcpu: Int, now: UInt64) -> (Credit2VCPU?, Int) {
        var snext: Credit2VCPU? = nil
        var yield = false
        if let s = scurr {
            yield = s.yieldRequested
            s.yieldRequested = false
            if !yield && options.ratelimit > 0 && s.eligible && now - s.runningSince < options.ratelimit {
                return (s, 0)
            }
            if s.eligible { snext = s }
        }
        var skipped = 0
        for id in rq.runq {
            let v = vcpus[id]!
            if !v.affinity.contains(pcpu) { skipped += 1; continue }
            if let t = v.tickledCPU, t != pcpu, rq.tickled.contains(t) { skipped += 1; continue }
            let snextCredit = snext?.credit ?? Credit2.idleCredit
            if v.processor != pcpu && snextCredit + Credit2.migrateResist > v.credit { skipped += 1; continue }
            if (yield || v.credit > snextCredit) && (!domains[id.domain]!.hasCap || grabBudget(v, now: now)) {
                snext = v
            }
            break
        }
        return (snext, skipped)
    }

    /// The slice for `next` (csched2_runtime): until its credit falls to that of the
    /// runqueue's head, at least CSCHED2_MIN_TIMER and what is left of the rate limit, at
    /// most CSCHED2_MAX_TIMER, and no longer than its cap budget.
    func runtime(_ next: Credit2VCPU, _ rq: Credit2Runqueue, now: UInt64, continuing: Bool) -> UInt64 {
        var minTime = Credit2.minTimer
        if options.ratelimit > 0 {
            let end = (continuing ? next.runningSince : now) + options.ratelimit
            if end > now { minTime = max(minTime, end - now) }
        }
        var credit = next.credit
        if let head = rq.runq.first.flatMap({ vcpus[$0] }), head.credit > 0 { credit -= head.credit }
        var time = credit > 0 ? creditToTime(credit, next) : 0
        if domains[next.id.domain]!.hasCap { time = min(time, UInt64(max(0, next.budget))) }
        return min(max(time, minTime), Credit2.maxTimer)
    }

    /// After a switch away from `v` (csched2_context_saved): it gives back unused
    /// budget, goes to the runqueue it was asked to move to, and waits again if runnable.
    func descheduled(_ v: Credit2VCPU, now: UInt64) {
        v.running = nil
        let domain = domains[v.id.domain]!
        if domain.hasCap { returnBudget(v, domain, now: now) }
        if let target = v.migrateTo {
            v.migrateTo = nil
            move(v, to: runqueues[target], now: now)
        } else if v.eligible && !v.onRunq {
            runqInsert(v)
            runqTickle(v, now: now)
        }
    }

    /// Gives every vCPU of the runqueue CSCHED2_CREDIT_INIT more credit, keeping at most
    /// CSCHED2_CARRYOVER_MAX above it; more if `next` was very far below (reset_credit).
    func resetCredit(_ rq: Credit2Runqueue, now: UInt64, next: Credit2VCPU) {
        var m: Int64 = 1
        if next.credit < -Credit2.creditInit { m += -next.credit / Credit2.creditInit }
        for id in rq.members {
            let v = vcpus[id]!
            if v.running != nil { burn(v, now: now) }
            v.credit = min(v.credit + m * Credit2.creditInit, Credit2.creditInit + Credit2.carryoverMax)
            v.startTime = now
        }
    }
}
