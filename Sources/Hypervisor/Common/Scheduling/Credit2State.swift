// Credit2's bookkeeping: per-vCPU, per-domain and per-runqueue state and the decaying load
// averages load balancing reads (xen/common/sched_credit2.c in Xen 4.12: struct
// csched2_vcpu, csched2_dom, csched2_runqueue_data, update_runq_load, update_svc_load).

/// Credit2's constants (sched_credit2.c), in nanoseconds.
enum Credit2 {
    static let defaultWeight = 256
    /// CSCHED2_CREDIT_INIT: the credit every vCPU gets at a reset.
    static let creditInit: Int64 = 10_000_000
    /// CSCHED2_CARRYOVER_MAX: credit beyond `creditInit` kept over a reset.
    static let carryoverMax: Int64 = 500_000
    /// CSCHED2_MIN_TIMER / CSCHED2_MAX_TIMER: bounds of a time slice.
    static let minTimer: UInt64 = 500_000
    static let maxTimer: UInt64 = 10_000_000
    /// CSCHED2_MIGRATE_RESIST: credit advantage needed to pull a vCPU from another pCPU.
    static let migrateResist: Int64 = 500_000
    /// CSCHED2_MIGRATE_COMPENSATION: credit given to a vCPU that moved.
    static let migrateCompensation: Int64 = 50_000
    /// CSCHED2_RATELIMIT_TICKLE_TOLERANCE.
    static let ratelimitTickleTolerance: UInt64 = 50_000
    /// CSCHED2_IDLE_CREDIT: what the idle vCPU is compared with.
    static let idleCredit: Int64 = -(1 << 30)
    /// LOADAVG_GRANULARITY_SHIFT, LOADAVG_PRECISION_SHIFT: load is sampled in units of
    /// 2^10 ns, 1.0 is 2^18; the window is 2^30 ns (credit2_load_window_shift=30).
    static let loadGranularityShift: UInt64 = 10
    static let loadPrecisionShift: Int64 = 18
    /// opt_overload_balance_tolerance (-3) and opt_underload_balance_tolerance (0).
    static let overloadTolerance: Int64 = -3
    static let underloadTolerance: Int64 = 0
}

/// One vCPU as Credit2 sees it (struct csched2_vcpu).
final class Credit2VCPU {
    let id: VCPUID
    var affinity: Set<Int>
    var weight: Int
    var credit: Int64 = Credit2.creditInit
    /// Remainder of the last time-to-credit division (t2c_update).
    var residual: Int64 = 0
    /// Cap budget this vCPU took from its domain, in ns.
    var budget: Int64 = 0
    var budgetQuota: Int64 = 0
    /// The pCPU it last ran on or is meant for (Xen's `v->processor`).
    var processor: Int
    /// Index of the runqueue it belongs to.
    var runqueue: Int
    /// Not blocked.
    var runnable = false
    /// Out of cap budget, waiting for replenishment (_VPF_parked).
    var parked = false
    var onRunq = false
    /// The pCPU running it, if any (CSFLAG_scheduled).
    var running: Int? = nil
    var yieldRequested = false
    var tickledCPU: Int? = nil
    /// When its running time was last charged.
    var startTime: UInt64 = 0
    /// When it started running (its runstate's state_entry_time), for the rate limit.
    var runningSince: UInt64 = 0
    /// Balancing wants it on this runqueue once it stops running (runq_migrate_request).
    var migrateTo: Int? = nil
    var avgload: Int64 = 0
    /// In units of 2^loadGranularityShift ns.
    var loadLastUpdate: UInt64 = 0

    init(id: VCPUID, affinity: Set<Int>, weight: Int, processor: Int, runqueue: Int) {
        self.id = id; self.affinity = affinity; self.weight = weight
        self.processor = processor; self.runqueue = runqueue
    }

    /// Xen's vcpu_runnable(): not blocked, not parked, not being moved.
    var eligible: Bool { runnable && !parked && migrateTo == nil }
}

/// One domain's cap state (struct csched2_dom).
final class Credit2Domain {
    var parameters: SchedulingParameters
    var vcpus: [VCPUID] = []
    /// Budget left in this period and the budget per period (cap% of the period), in ns.
    var budget: Int64 = 0
    var totalBudget: Int64 = 0
    var nextReplenishment: UInt64 = 0
    var parkedVCPUs: [VCPUID] = []

    init(parameters: SchedulingParameters) { self.parameters = parameters }
    var hasCap: Bool { parameters.cap > 0 }
}

/// A runqueue shared by a group of pCPUs (struct csched2_runqueue_data).
final class Credit2Runqueue {
    let id: Int
    let pcpus: [Int]
    /// Every vCPU assigned here, runnable or not (rqd->svc).
    var members: [VCPUID] = []
    /// Runnable vCPUs waiting for a pCPU, highest credit first (rqd->runq).
    var runq: [VCPUID] = []
    var idle: Set<Int>
    var tickled: Set<Int> = []
    var maxWeight = 1
    var pickBias: Int
    /// Decaying average of the number of runnable vCPUs, and the same adjusted at once
    /// when balancing moves a vCPU (avgload, b_avgload).
    var avgload: Int64 = 0
    var balanceAvgload: Int64 = 0
    var loadLastUpdate: UInt64 = 0

    init(id: Int, pcpus: [Int]) {
        self.id = id; self.pcpus = pcpus; idle = Set(pcpus); pickBias = pcpus[0]
    }
}

extension Credit2Scheduler {
    /// Runnable vCPUs of a runqueue: waiting or running (rqd->load).
    func instantLoad(_ rq: Credit2Runqueue) -> Int64 {
        Int64(rq.members.reduce(0) { $0 + (vcpus[$1]!.eligible ? 1 : 0) })
    }

    /// Folds the time since the last update into the decaying averages of the runqueue
    /// and its vCPUs (update_runq_load, update_svc_load). Call before changing who is
    /// runnable on it.
    func updateLoad(_ rq: Credit2Runqueue, now: UInt64) {
        let t = now >> Credit2.loadGranularityShift
        let load = instantLoad(rq)
        rq.avgload = ewma(rq.avgload, sample: load, last: rq.loadLastUpdate, now: t)
        rq.balanceAvgload = ewma(rq.balanceAvgload, sample: load, last: rq.loadLastUpdate, now: t)
        rq.loadLastUpdate = t
        for id in rq.members {
            let v = vcpus[id]!
            v.avgload = ewma(v.avgload, sample: v.eligible ? 1 : 0, last: v.loadLastUpdate, now: t)
            v.loadLastUpdate = t
        }
    }

    /// One step of Xen's EWMA over a window of 2^W sample units: avg += delta * (sample -
    /// avg) / 2^W; after a whole window without updates the average is the sample.
    private func ewma(_ avg: Int64, sample: Int64, last: UInt64, now: UInt64) -> Int64 {
        let w = options.loadWindowShift - Credit2.loadGranularityShift
        let value = sample << Credit2.loadPrecisionShift
        if last + (1 << w) < now { return value }
        let delta = Int64(now >= last ? now - last : 0)
        return avg + ((delta * value) >> w) - ((delta * avg) >> w)
    }

    /// Adds a vCPU to a runqueue's members (_runq_assign).
    func assign(_ v: Credit2VCPU, to rq: Credit2Runqueue) {
        v.runqueue = rq.id
        rq.members.append(v.id)
        rq.balanceAvgload += v.avgload
        recomputeMaxWeight(rq)
    }

    /// Takes a vCPU off a runqueue's members (_runq_deassign).
    func deassign(_ v: Credit2VCPU, from rq: Credit2Runqueue) {
        rq.members.removeAll { $0 == v.id }
        rq.balanceAvgload = max(0, rq.balanceAvgload - v.avgload)
        recomputeMaxWeight(rq)
    }

    /// The largest weight on the runqueue (update_max_weight), which burns credit 1:1.
    func recomputeMaxWeight(_ rq: Credit2Runqueue) {
        rq.maxWeight = rq.members.map { vcpus[$0]!.weight }.max() ?? 1
    }

    /// Puts a vCPU on the runqueue after those with at least its credit (runq_insert).
    func runqInsert(_ v: Credit2VCPU) {
        let rq = runqueues[v.runqueue]
        precondition(!v.onRunq && v.running == nil)
        let at = rq.runq.firstIndex { v.credit > vcpus[$0]!.credit } ?? rq.runq.count
        rq.runq.insert(v.id, at: at)
        v.onRunq = true
    }

    func runqRemove(_ v: Credit2VCPU) {
        guard v.onRunq else { return }
        runqueues[v.runqueue].runq.removeAll { $0 == v.id }
        v.onRunq = false
    }

    /// Charges `v` for running since `startTime` (burn_credits, t2c_update): lighter
    /// vCPUs burn faster, by max weight / weight.
    func burn(_ v: Credit2VCPU, now: UInt64) {
        guard now > v.startTime else { return }
        let delta = Int64(now - v.startTime)
        let rq = runqueues[v.runqueue]
        let val = delta * Int64(rq.maxWeight) + v.residual
        v.credit -= val / Int64(v.weight)
        v.residual = val % Int64(v.weight)
        if domains[v.id.domain]!.hasCap { v.budget -= delta }
        v.startTime = now
    }

    /// Credit to time for `v` (c2t).
    func creditToTime(_ credit: Int64, _ v: Credit2VCPU) -> UInt64 {
        UInt64(max(0, credit * Int64(v.weight) / Int64(runqueues[v.runqueue].maxWeight)))
    }
}
