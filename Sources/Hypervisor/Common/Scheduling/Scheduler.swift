// The one interface between the hypervisor and its vCPU schedulers, after Xen's
// `struct scheduler` ops (xen/include/xen/sched-if.h in 4.12: insert_vcpu, remove_vcpu,
// wake, sleep, yield, do_schedule, adjust). Schedulers are pure logic: they see virtual
// time only through `now` arguments, never read a host clock and hold no randomness, so
// the same calls in the same order give the same decisions.
//
// Protocol of use (what Xen's schedule.c does around the ops):
// - `insert` every vCPU at domain creation (not yet runnable), `wake` it to start it.
// - When a vCPU blocks (WFI, SCHEDOP_block) call `sleep`; when an event makes it runnable,
//   `wake`. Both may tickle pCPUs: drain `takeTickles()` and run `schedule` on each.
// - Run `schedule(pcpu:)` when the slice armed by the previous decision expires, when the
//   pCPU was tickled, or when the running vCPU blocked or yielded. It charges the running
//   vCPU the time since the pCPU's previous decision.
// - Call `timer(now:)` at `nextTimer` (Credit2's cap budget replenishment).
// - `save` / `restore` (StateSaving) keep all of it in a snapshot.

import Emu

/// A vCPU: its domain's id and its index within the domain.
public struct VCPUID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var domain: Int
    public var vcpu: Int

    public init(domain: Int, vcpu: Int) { self.domain = domain; self.vcpu = vcpu }

    public static func < (a: VCPUID, b: VCPUID) -> Bool { (a.domain, a.vcpu) < (b.domain, b.vcpu) }
    public var description: String { "d\(domain)v\(vcpu)" }
}

/// A domain's share of CPU time (Xen's `xen_domctl_sched_credit2`): `weight` is relative
/// (1...65535, default 256), `cap` is a ceiling in percent of one pCPU for the whole domain
/// (0 = none). The null scheduler ignores both.
public struct SchedulingParameters: Sendable, Equatable {
    public var weight: Int
    public var cap: Int

    public init(weight: Int = 256, cap: Int = 0) { self.weight = weight; self.cap = cap }

    public static let weightRange = 1...65535
}

/// What a pCPU runs next (Xen's `struct task_slice`).
public struct SchedulingDecision: Sendable, Equatable {
    /// The vCPU to run, nil to idle.
    public var next: VCPUID?
    /// Virtual nanoseconds until `schedule` must run again on this pCPU; nil arms no
    /// timer (idle, or a scheduler without time slices): a wake or tickle ends it.
    public var slice: UInt64?
    /// `next` last ran on another pCPU.
    public var migrated: Bool

    public init(next: VCPUID?, slice: UInt64?, migrated: Bool = false) {
        self.next = next; self.slice = slice; self.migrated = migrated
    }
}

/// Xen's scheduler ops, for the schedulers in this folder.
public protocol Scheduler: AnyObject, StateSaving {
    /// Xen's `opt_name` ("credit2", "null").
    var name: String { get }
    var pcpuCount: Int { get }

    /// Adds a vCPU, blocked. `affinity` lists the pCPUs it may run on (nil: all);
    /// `pcpu` is a placement hint (Xen's `v->processor` at vCPU creation).
    func insert(_ vcpu: VCPUID, parameters: SchedulingParameters, affinity: [Int]?, pcpu: Int?, now: UInt64)
    /// Takes a vCPU out for good (domain destruction). If it is running, the hypervisor
    /// must stop it; its pCPU is tickled.
    func remove(_ vcpu: VCPUID, now: UInt64)
    /// Changes a domain's weight and cap (Xen's `adjust`, `xl sched-credit2 -d`).
    func setParameters(domain: Int, _ parameters: SchedulingParameters, now: UInt64)

    /// The vCPU became runnable.
    func wake(_ vcpu: VCPUID, now: UInt64)
    /// The vCPU blocked; if it is running its pCPU is tickled.
    func sleep(_ vcpu: VCPUID, now: UInt64)
    /// The running vCPU offers its pCPU to others at the next `schedule` (SCHEDOP_yield).
    func yield(_ vcpu: VCPUID)

    /// Picks what `pcpu` runs next. `current` is the vCPU it ran since the previous
    /// decision (nil if idle); `currentRunnable` false means it blocked.
    func schedule(pcpu: Int, now: UInt64, current: VCPUID?, currentRunnable: Bool) -> SchedulingDecision

    /// pCPUs that should run `schedule` now, in the order they were tickled; clears them.
    func takeTickles() -> [Int]
    /// When `timer(now:)` is due next, if ever.
    var nextTimer: UInt64? { get }
    /// Runs the scheduler's own timers that are due.
    func timer(now: UInt64)
}

extension Scheduler {
    public func insert(_ vcpu: VCPUID, parameters: SchedulingParameters = SchedulingParameters(),
                       affinity: [Int]? = nil, pcpu: Int? = nil, now: UInt64 = 0) {
        insert(vcpu, parameters: parameters, affinity: affinity, pcpu: pcpu, now: now)
    }
}

/// Builds the scheduler a configuration names (Xen's `sched=` boot option).
public func makeScheduler(for config: HypervisorConfig) -> any Scheduler {
    switch config.scheduler {
    case .credit2:
        var options = Credit2Scheduler.Options()
        options.pcpusPerRunqueue = config.pcpusPerRunqueue
        options.ratelimit = UInt64(config.ratelimitMicroseconds) * 1000
        return Credit2Scheduler(pcpus: config.pcpus, options: options)
    case .null:
        return NullScheduler(pcpus: config.pcpus)
    }
}

/// The set of pCPUs a vCPU may run on, checked against the machine.
func affinitySet(_ affinity: [Int]?, pcpus: Int) -> Set<Int> {
    guard let list = affinity else { return Set(0..<pcpus) }
    let set = Set(list.filter { (0..<pcpus).contains($0) })
    precondition(!set.isEmpty, "affinity \(list) names no pCPU of \(pcpus)")
    return set
}
