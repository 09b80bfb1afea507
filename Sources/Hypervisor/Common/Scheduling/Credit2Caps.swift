// Credit2 caps (Xen 4.12, sched_credit2.c: vcpu_grab_budget, vcpu_return_budget,
// replenish_domain_budget, park_vcpu, unpark_parked_vcpus). A capped domain gets cap% of
// CSCHED2_BDGT_REPL_PERIOD (10 ms) of budget per period; its vCPUs take it in quotas and
// burn it while running. A vCPU that finds none left is parked (not runnable) until the
// next replenishment. An overrun is debt: it is taken from the next period's budget.

extension Credit2Scheduler {
    /// (Re)computes a capped domain's budget per period and its vCPUs' quotas
    /// (csched2_dom_cntl); enabling a cap also starts the replenishment timer.
    func applyCap(_ domain: Credit2Domain, now: UInt64, enabling: Bool) {
        domain.totalBudget = Int64(options.capPeriod) * Int64(domain.parameters.cap) / 100
        let quota = max(domain.totalBudget / Int64(max(1, domain.vcpus.count)), Int64(Credit2.minTimer))
        for id in domain.vcpus {
            let v = vcpus[id]!
            v.budgetQuota = quota
            guard enabling else { continue }
            v.budget = 0
            // A running vCPU must pick up budget at once rather than at its slice's end.
            if let p = v.running { tickle(p, runqueues[v.runqueue]) }
        }
        if enabling {
            domain.budget = domain.totalBudget
            domain.nextReplenishment = now + options.capPeriod
        }
    }

    /// Drops a domain's cap: its parked vCPUs may run again.
    func removeCap(_ domain: Credit2Domain, now: UInt64) {
        for id in domain.vcpus { vcpus[id]!.budget = 0; vcpus[id]!.budgetQuota = 0 }
        domain.budget = 0
        domain.totalBudget = 0
        unpark(domain, now: now)
    }

    /// Gives `v` a quota of its domain's budget if it has none (vcpu_grab_budget); parks
    /// it if the domain has none either. Its debt, if any, is paid first.
    @discardableResult
    func grabBudget(_ v: Credit2VCPU, now: UInt64) -> Bool {
        if v.budget > 0 { return true }
        let domain = domains[v.id.domain]!
        domain.budget += v.budget
        if domain.budget > 0 {
            let take = min(v.budgetQuota, domain.budget)
            v.budget = take
            domain.budget -= take
        } else {
            v.budget = 0
            updateLoad(runqueues[v.runqueue], now: now)
            v.parked = true
            runqRemove(v)
            domain.parkedVCPUs.append(v.id)
        }
        return v.budget > 0
    }

    /// Gives a descheduled vCPU's unused budget (or its debt) back to the domain
    /// (vcpu_return_budget); if there is budget, parked vCPUs may try again.
    func returnBudget(_ v: Credit2VCPU, _ domain: Credit2Domain, now: UInt64) {
        domain.budget += v.budget
        v.budget = 0
        if domain.budget > 0 { unpark(domain, now: now) }
    }

    /// Makes a domain's parked vCPUs runnable again (unpark_parked_vcpus).
    func unpark(_ domain: Credit2Domain, now: UInt64) {
        let parked = domain.parkedVCPUs
        domain.parkedVCPUs = []
        for id in parked {
            guard let v = vcpus[id] else { continue }
            updateLoad(runqueues[v.runqueue], now: now)
            v.parked = false
            if v.running == nil && v.eligible && !v.onRunq {
                runqInsert(v)
                runqTickle(v, now: now)
            }
        }
    }

    public var nextTimer: UInt64? {
        domains.values.filter(\.hasCap).map(\.nextReplenishment).min()
    }

    /// Refills the budget of every capped domain whose period ended
    /// (replenish_domain_budget): one period's worth per elapsed period, never more
    /// than one period's worth in total.
    public func timer(now: UInt64) {
        for key in domains.keys.sorted() {
            let domain = domains[key]!
            guard domain.hasCap, domain.nextReplenishment <= now else { continue }
            repeat {
                domain.nextReplenishment += options.capPeriod
                domain.budget += domain.totalBudget
            } while domain.nextReplenishment <= now
            guard domain.budget > 0 else { continue }
            domain.budget = min(domain.budget, domain.totalBudget)
            unpark(domain, now: now)
        }
    }
}
