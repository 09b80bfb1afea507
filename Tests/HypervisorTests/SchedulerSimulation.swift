import Hypervisor

/// What a simulated vCPU does with a pCPU.
enum Workload: Equatable {
    /// Always runnable.
    case busy
    /// Runs `run` ns of CPU time, then blocks for `block` ns of virtual time, forever.
    case periodic(run: UInt64, block: UInt64)
    /// Blocked from the start, never woken.
    case blocked
}

/// A deterministic stand-in for the hypervisor around a scheduler: N pCPUs, vCPUs with
/// workloads, an event loop over virtual time. It calls the scheduler as the hypervisor
/// will (wake, sleep, schedule at slice ends and tickles, timer) and checks on every
/// decision that the scheduler never breaks affinity, runs a blocked vCPU, or runs one
/// vCPU on two pCPUs.
final class SchedulerSimulation {
    let scheduler: any Scheduler
    private(set) var now: UInt64 = 0
    private(set) var running: [VCPUID?]
    private var sliceEnd: [UInt64?]
    private var workloads: [VCPUID: Workload] = [:]
    private var affinity: [VCPUID: Set<Int>] = [:]
    private var runnable: Set<VCPUID> = []
    /// CPU time left before a periodic vCPU blocks.
    private var workLeft: [VCPUID: UInt64] = [:]
    private var wakeAt: [VCPUID: UInt64] = [:]
    private var wokenAt: [VCPUID: UInt64] = [:]
    private var startedAt: [VCPUID: UInt64] = [:]

    /// CPU time per vCPU since the last `resetCounters`.
    private(set) var cpuTime: [VCPUID: UInt64] = [:]
    /// pCPUs each vCPU ever ran on.
    private(set) var pcpusUsed: [VCPUID: Set<Int>] = [:]
    /// Time from a wake to running, per wake.
    private(set) var wakeLatencies: [UInt64] = []
    /// How long a vCPU had run when it was switched out while still runnable.
    private(set) var preemptedAfter: [UInt64] = []
    /// Every switch: time, pCPU, what runs next.
    private(set) var switches: [(time: UInt64, pcpu: Int, next: VCPUID?)] = []
    private(set) var violations: [String] = []

    init(_ scheduler: any Scheduler) {
        self.scheduler = scheduler
        running = Array(repeating: nil, count: scheduler.pcpuCount)
        sliceEnd = Array(repeating: nil, count: scheduler.pcpuCount)
    }

    /// Adds a vCPU and, unless blocked, wakes it now.
    func add(_ id: VCPUID, _ workload: Workload = .busy, weight: Int = 256, cap: Int = 0,
             affinity list: [Int]? = nil, pcpu: Int? = nil) {
        workloads[id] = workload
        affinity[id] = Set(list ?? Array(0..<scheduler.pcpuCount))
        scheduler.insert(id, parameters: SchedulingParameters(weight: weight, cap: cap), affinity: list, pcpu: pcpu, now: now)
        if case .periodic(let run, _) = workload { workLeft[id] = run }
        if workload != .blocked { wake(id) }
        serviceTickles()
    }

    func remove(_ id: VCPUID) {
        scheduler.remove(id, now: now)
        workloads[id] = nil
        runnable.remove(id)
        wakeAt[id] = nil
        for p in running.indices where running[p] == id { running[p] = nil; sliceEnd[p] = nil }
        serviceTickles()
    }

    /// Restarts the measurements (not `pcpusUsed` nor `switches`).
    func resetCounters() {
        cpuTime = [:]; wakeLatencies = []; preemptedAfter = []
    }

    /// CPU time of a domain's vCPUs since the last reset.
    func domainTime(_ domain: Int) -> UInt64 {
        cpuTime.filter { $0.key.domain == domain }.values.reduce(0, +)
    }

    /// Runs the machine until `end` (virtual ns).
    func run(until end: UInt64) {
        while now < end {
            var next = end
            for t in sliceEnd.compactMap({ $0 }) { next = min(next, t) }
            for t in wakeAt.values { next = min(next, t) }
            for case let id? in running { if let w = workLeft[id] { next = min(next, now + w) } }
            if let t = scheduler.nextTimer { next = min(next, max(t, now)) }
            advance(to: next)
            if let t = scheduler.nextTimer, t <= now { scheduler.timer(now: now) }
            for (id, t) in wakeAt.sorted(by: { $0.key < $1.key }) where t <= now {
                wakeAt[id] = nil
                if case .periodic(let run, _) = workloads[id] { workLeft[id] = run }
                wake(id)
            }
            for p in running.indices {
                guard let id = running[p], workLeft[id] == 0, case .periodic(_, let block)? = workloads[id] else { continue }
                runnable.remove(id)
                wakeAt[id] = now + block
                scheduler.sleep(id, now: now)
            }
            for p in sliceEnd.indices where sliceEnd[p].map({ $0 <= now }) ?? false { schedule(p) }
            serviceTickles()
        }
    }

    private func advance(to t: UInt64) {
        precondition(t >= now)
        let delta = t - now
        for case let id? in running {
            cpuTime[id, default: 0] += delta
            if let w = workLeft[id] { workLeft[id] = w - min(w, delta) }
        }
        now = t
    }

    private func wake(_ id: VCPUID) {
        runnable.insert(id)
        wokenAt[id] = now
        scheduler.wake(id, now: now)
    }

    /// Lets every tickled pCPU reschedule, until nothing more is tickled.
    private func serviceTickles() {
        for _ in 0..<1000 {
            let tickled = scheduler.takeTickles()
            if tickled.isEmpty { return }
            for p in tickled { schedule(p) }
        }
        violations.append("tickles never settle at \(now)")
    }

    private func schedule(_ p: Int) {
        let cur = running[p]
        let d = scheduler.schedule(pcpu: p, now: now, current: cur, currentRunnable: cur.map(runnable.contains) ?? false)
        if let n = d.next {
            if !runnable.contains(n) { violations.append("\(n) runs while blocked at \(now)") }
            if !affinity[n]!.contains(p) { violations.append("\(n) runs on pCPU \(p) outside its affinity at \(now)") }
            if running.indices.contains(where: { $0 != p && running[$0] == n }) {
                violations.append("\(n) runs on two pCPUs at \(now)")
            }
            pcpusUsed[n, default: []].insert(p)
        }
        if d.next != cur {
            if let c = cur, runnable.contains(c) { preemptedAfter.append(now - startedAt[c]!) }
            if let n = d.next {
                startedAt[n] = now
                if let w = wokenAt.removeValue(forKey: n) { wakeLatencies.append(now - w) }
            }
            switches.append((now, p, d.next))
        } else if let n = d.next {
            wokenAt[n] = nil
        }
        running[p] = d.next
        sliceEnd[p] = d.slice.map { now + $0 }
    }
}
