import Emu

/// Putting vCPUs on pCPUs and taking them off: the context switch (Xen's
/// context_switch), time slices, the timers of vCPUs that are not loaded, blocking and
/// waking. Which vCPU runs next is the scheduler's choice.
extension HostedHypervisor {
    /// HCR_EL2 while a guest runs (Xen's HCR_GUEST_FLAGS, less the traps hvsim does not
    /// need): stage 2, IRQ/FIQ/SError to EL2, virtual interrupts, WFI/WFE and SMC trapped.
    static let guestHCR: UInt64 = HCR.VM | HCR.SWIO | HCR.FMO | HCR.IMO | HCR.AMO | HCR.TWI | HCR.TWE
        | HCR.TSC | HCR.RW

    /// Virtual nanoseconds for the scheduler, never going back (pCPUs' counters differ
    /// by at most one slice of the machine's round robin).
    func schedulerTime(_ p: Int) -> UInt64 {
        let ticks = pcpus[p].now
        let ns = ticks.multipliedFullWidth(by: 1_000_000_000)
        let t = ticksPerSecond.dividingFullWidth((ns.high, ns.low)).quotient
        lastSchedulerTime = max(lastSchedulerTime, t)
        return lastSchedulerTime
    }

    /// Counter ticks in `ns` nanoseconds.
    func ticks(nanoseconds ns: UInt64) -> UInt64 {
        let x = ns.multipliedFullWidth(by: ticksPerSecond)
        return UInt64(1_000_000_000).dividingFullWidth((x.high, x.low)).quotient
    }

    /// Hands a new domain's vCPUs to the scheduler; vCPU 0 is woken when it starts.
    func insertIntoScheduler(_ d: Domain) {
        let now = schedulerTime(handling)
        let params = SchedulingParameters(weight: d.config.weight, cap: d.config.cap)
        let allowed = d.config.cpus?.filter { $0 >= 0 && $0 < pcpus.count }
        for v in d.vcpus {
            scheduler.insert(VCPUID(domain: d.id, vcpu: v.id), parameters: params,
                             affinity: allowed?.isEmpty == false ? allowed : nil, pcpu: nil, now: now)
            if v.online { scheduler.wake(VCPUID(domain: d.id, vcpu: v.id), now: now) }
        }
        applyTickles()
    }

    /// The pCPUs the scheduler asked to reschedule: mark them, and kick the others.
    func applyTickles() {
        for t in scheduler.takeTickles() where t < pcpus.count {
            pcpus[t].needsSchedule = true
            if t != handling || !inside { gic.kick(from: pcpus[handling].cpu, to: t) }
        }
    }

    /// The domain with id `id`, if it exists.
    func domain(id: Int) -> Domain? { domains.first { $0.id == id } }

    /// The domain a guest's domid_t names: DOMID_SELF is the caller's own.
    func domain(_ domid: UInt16, caller: Domain) -> Domain? {
        domid == XenABI.domidSelf ? caller : domain(id: Int(domid))
    }

    func vcpu(_ id: VCPUID) -> VCPU? {
        guard let d = domain(id: id.domain), id.vcpu < d.vcpus.count else { return nil }
        return d.vcpus[id.vcpu]
    }

    /// Asks the scheduler what pCPU `p` runs next and switches to it.
    func schedule(_ p: Int) {
        let pc = pcpus[p]
        pc.needsSchedule = false
        let now = schedulerTime(p)
        let cur = pc.current
        let decision = scheduler.schedule(pcpu: p, now: now, current: cur.map { VCPUID(domain: $0.domain.id, vcpu: $0.id) },
                                          currentRunnable: cur?.runnable ?? false)
        var next = decision.next.flatMap(vcpu)
        if let n = next, let q = n.pcpu, q != p { next = nil }       // running elsewhere: never load twice
        if let n = next, !n.runnable { next = nil }
        if next !== cur {
            if cur != nil { unload(pc) }
            if let n = next { load(n, on: pc) }
            onSwitch?(p, cur, next)
        }
        pc.sliceEnd = decision.slice.map { pc.now &+ max(ticks(nanoseconds: $0), 1) } ?? .max
        applyTickles()
    }

    /// Loads `v`'s state and its domain's EL2 configuration into the pCPU.
    func load(_ v: VCPU, on pc: PCPU) {
        let c = pc.cpu, d = v.domain
        c.st.pointee.hcrEL2 = HostedHypervisor.guestHCR
        c.st.pointee.vtcrEL2 = Stage2.vtcr
        c.st.pointee.vttbrEL2 = d.p2m.vttbr
        c.st.pointee.cntvoffEL2 = d.counterOffset
        c.st.pointee.vmpidrEL2 = v.mpidr
        v.context.load(into: c)
        stopVirtualTimer(v)
        v.pcpu = pc.index
        v.loadedAt = pc.now
        pc.current = v
        changeRunstate(v, to: .running)
    }

    /// Saves the loaded vCPU and leaves the pCPU empty; its virtual timer, if armed,
    /// becomes a hypervisor timer that will raise its interrupt.
    func unload(_ pc: PCPU) {
        guard let v = pc.current else { return }
        let c = pc.cpu
        changeRunstate(v, to: stoppedRunstate(v))        // while its translation is still loaded
        v.domain.vgic.sync(v.id, cpu: c)
        v.context.save(from: c)
        v.runTicks += pc.now &- v.loadedAt
        let ctl = v.context.cntvCtl
        if ctl & 1 != 0 && ctl & 2 == 0 {
            pc.timers.append((deadline: v.context.cntvCval &+ v.domain.counterOffset, vcpu: v))
        }
        c.st.pointee.cntvCtl = 0
        for i in 0..<ICH.listRegisters { ICH.write(c, ICH.lr(i), 0) }
        ICH.write(c, ICH.hcr, 0)
        v.pcpu = nil
        pc.current = nil
    }

    /// Takes `v`'s virtual timer off the pCPU that keeps it while `v` is off every pCPU
    /// (Xen's stop_timer in virt_timer_restore). That is the pCPU `v` left, which need not
    /// be the one it is loaded on next: the scheduler moves vCPUs. Left behind, the timer
    /// would raise a stray interrupt there, and mask the vCPU's timer if it is off its
    /// pCPU again then. The pCPU's CNTHP may stay armed for it: it then finds nothing due.
    func stopVirtualTimer(_ v: VCPU) {
        for pc in pcpus { pc.timers.removeAll { $0.vcpu === v } }
    }

    /// Arms the pCPU's hypervisor timer (CNTHP) for its next deadline.
    func programTimer(_ p: Int) {
        let pc = pcpus[p]
        var next = pc.timers.map(\.deadline).min().map { min($0, pc.sliceEnd) } ?? pc.sliceEnd
        // The scheduler's own timer (cap budget refills) runs on pCPU 0.
        if p == 0, let t = scheduler.nextTimer { next = min(next, max(ticks(nanoseconds: t), 1)) }
        if let t = nextPollTimeout { next = min(next, t) }
        if next == .max {
            pc.cpu.st.pointee.cnthpCtl = 0
        } else {
            pc.cpu.st.pointee.cnthpCval = next
            pc.cpu.st.pointee.cnthpCtl = 1
        }
    }

    /// The hypervisor timer fired: raise the virtual timers that are due, end the slice.
    func expireTimers(_ p: Int) {
        let pc = pcpus[p]
        let now = pc.now
        let due = pc.timers.filter { $0.deadline <= now }
        pc.timers.removeAll { $0.deadline <= now }
        for t in due {
            t.vcpu.context.cntvCtl |= 2
            inject(t.vcpu, XenGuestLayout.virtualTimerPPI)
        }
        expirePollTimeouts(now: now)
        if now >= pc.sliceEnd { pc.needsSchedule = true }
        if p == 0, let t = scheduler.nextTimer, schedulerTime(p) >= t {
            scheduler.timer(now: schedulerTime(p))
            applyTickles()
        }
    }

    /// Makes a private interrupt pending for `v` (and wakes it: see `interruptArrived`).
    func inject(_ v: VCPU, _ intid: Int) {
        v.domain.vgic.raise(intid, vcpu: v.id)
    }

    /// The vGIC has an interrupt for `v`: unblock it; if it runs on another pCPU, kick that
    /// one so it refreshes the list registers.
    func interruptArrived(_ v: VCPU) {
        guard v.online, v.domain.state == .running else { return }
        if v.blocked { wake(v) }
        if let p = v.pcpu, p != handling || !inside { gic.kick(from: pcpus[handling].cpu, to: p) }
    }

    /// `v` may run again (an interrupt, an event, PSCI CPU_ON).
    func wake(_ v: VCPU) {
        v.blocked = false
        endPoll(v)
        guard v.runnable else { return }
        if v.pcpu == nil { changeRunstate(v, to: .runnable) }
        scheduler.wake(VCPUID(domain: v.domain.id, vcpu: v.id), now: schedulerTime(handling))
        applyTickles()
    }

    /// `v` cannot run (blocked, taken down, its domain stopped).
    func sleep(_ v: VCPU) {
        scheduler.sleep(VCPUID(domain: v.domain.id, vcpu: v.id), now: schedulerTime(handling))
        if let p = v.pcpu { pcpus[p].needsSchedule = true }
        applyTickles()
    }

    /// WFI or SCHEDOP_block: the vCPU sleeps until an interrupt or event is pending.
    func block(_ v: VCPU) {
        if eventsWaiting(v) { return }
        v.blocked = true
        sleep(v)
    }

    /// SCHEDOP_yield, a trapped WFE: others may run first.
    func yield(_ v: VCPU) {
        scheduler.yield(VCPUID(domain: v.domain.id, vcpu: v.id))
        pcpus[handling].needsSchedule = true
    }
}
