// The null scheduler (xen/common/sched_null.c, Xen 4.12): each vCPU is assigned to one
// pCPU of its own and stays there; no time slicing, no migration. A vCPU that finds no
// free pCPU of its affinity waits, first come first served, until one is freed. When the
// assigned vCPU blocks its pCPU idles: nobody else runs there.

public final class NullScheduler: Scheduler {
    public let name = "null"
    public let pcpuCount: Int
    /// The vCPU assigned to each pCPU (npc.vcpu).
    var assigned: [VCPUID?]
    /// vCPUs without a pCPU, in arrival order (prv->waitq).
    var waitqueue: [VCPUID] = []
    var affinity: [VCPUID: Set<Int>] = [:]
    var runnable: Set<VCPUID> = []
    var running: [VCPUID?]
    var tickles: [Int] = []

    public init(pcpus: Int) {
        precondition(pcpus > 0)
        pcpuCount = pcpus
        assigned = Array(repeating: nil, count: pcpus)
        running = Array(repeating: nil, count: pcpus)
    }

    /// The pCPU a vCPU is assigned to, nil while it waits.
    public func pcpu(of vcpu: VCPUID) -> Int? { assigned.firstIndex { $0 == vcpu } }
    /// vCPUs waiting for a pCPU, first to be served first.
    public var waiting: [VCPUID] { waitqueue }

    /// Assigns the vCPU to the hinted pCPU if free and allowed, else to the first free
    /// pCPU of its affinity, else queues it (null_vcpu_insert, pick_cpu).
    public func insert(_ id: VCPUID, parameters: SchedulingParameters, affinity list: [Int]?, pcpu: Int?, now: UInt64) {
        precondition(affinity[id] == nil, "\(id) inserted twice")
        let allowed = affinitySet(list, pcpus: pcpuCount)
        affinity[id] = allowed
        if let p = pcpu, allowed.contains(p), assigned[p] == nil {
            assign(id, to: p)
        } else if let p = (0..<pcpuCount).first(where: { allowed.contains($0) && assigned[$0] == nil }) {
            assign(id, to: p)
        } else {
            waitqueue.append(id)
        }
    }

    /// Frees the vCPU's pCPU and gives it to the first waiting vCPU allowed there
    /// (null_vcpu_remove, _vcpu_remove).
    public func remove(_ id: VCPUID, now: UInt64) {
        guard affinity[id] != nil else { return }
        affinity[id] = nil
        runnable.remove(id)
        waitqueue.removeAll { $0 == id }
        guard let p = pcpu(of: id) else { return }
        assigned[p] = nil
        if running[p] == id { running[p] = nil }
        if let i = waitqueue.firstIndex(where: { affinity[$0]!.contains(p) }) {
            assign(waitqueue.remove(at: i), to: p)
        }
        tickle(p)
    }

    /// The null scheduler has no weights or caps.
    public func setParameters(domain: Int, _ parameters: SchedulingParameters, now: UInt64) {}

    /// A woken vCPU's own pCPU reschedules, unless it is already running there or the
    /// vCPU is still waiting for a pCPU (null_vcpu_wake).
    public func wake(_ id: VCPUID, now: UInt64) {
        guard affinity[id] != nil, runnable.insert(id).inserted else { return }
        if let p = pcpu(of: id), running[p] != id { tickle(p) }
    }

    public func sleep(_ id: VCPUID, now: UInt64) {
        guard runnable.remove(id) != nil else { return }
        if let p = pcpu(of: id), running[p] == id { tickle(p) }
    }

    /// Nobody else may run on the pCPU, so yielding changes nothing.
    public func yield(_ id: VCPUID) {}

    /// Runs the pCPU's vCPU if it is runnable; a free pCPU first takes a waiting vCPU
    /// (null_schedule). No slice: only a wake, a block or a removal reschedules.
    public func schedule(pcpu: Int, now: UInt64, current: VCPUID?, currentRunnable: Bool) -> SchedulingDecision {
        if let c = current, !currentRunnable { runnable.remove(c) }
        if assigned[pcpu] == nil, let i = waitqueue.firstIndex(where: { affinity[$0]!.contains(pcpu) }) {
            assign(waitqueue.remove(at: i), to: pcpu)
        }
        let next = assigned[pcpu].flatMap { runnable.contains($0) ? $0 : nil }
        running[pcpu] = next
        return SchedulingDecision(next: next, slice: nil)
    }

    public func takeTickles() -> [Int] {
        defer { tickles = [] }
        return tickles
    }

    public var nextTimer: UInt64? { nil }
    public func timer(now: UInt64) {}

    private func assign(_ id: VCPUID, to p: Int) {
        assigned[p] = id
        tickle(p)
    }

    private func tickle(_ p: Int) {
        if !tickles.contains(p) { tickles.append(p) }
    }
}
