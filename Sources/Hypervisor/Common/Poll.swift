import Emu

/// SCHEDOP_poll (xen/include/public/sched.h; Xen's do_poll in common/sched/core.c): the
/// vCPU blocks until one of the listed event-channel ports is pending, an event or
/// interrupt arrives, or its timeout (an absolute system time in ns, 0 = none) passes.
/// It returns 0 in every one of these cases, so a guest tells them apart by the pending
/// bits and the time.
extension HostedHypervisor {
    /// struct sched_poll { XEN_GUEST_HANDLE(evtchn_port_t) ports; unsigned int nr_ports; uint64_t timeout; }
    func poll(_ v: VCPU, arg: UInt64, _ g: GuestVirtual) -> UInt64 {
        guard let list = g.u64(arg), let n = g.u32(arg &+ 8), let timeout = g.u64(arg &+ 16) else {
            return XenABI.Errno.EFAULT.result
        }
        guard n <= XenABI.Sched.maxPollPorts else { return XenABI.Errno.EINVAL.result }
        // As Xen: events the guest would take now (SPSR_EL2.I clear: its IRQs unmasked) end
        // the poll before the ports are read; then the ports in order, a pending one ends it.
        if g.cpu.st.pointee.spsrEL2 & 1 << 7 == 0 && eventsWaiting(v) { return 0 }
        var ports: [UInt32] = []
        for i in 0..<UInt64(n) {
            guard let p = g.u32(list &+ i &* 4) else { return XenABI.Errno.EFAULT.result }
            // Xen's port_is_valid: a port the domain has allocated space for (a free one
            // there is polled too, and never pending).
            guard Int(p) < v.domain.events.ports.count else { return XenABI.Errno.EINVAL.result }
            if portPending(v.domain, p) { return 0 }
            ports.append(p)
        }
        if timeout != 0 {
            let deadline = machineTicks(v.domain, systemTime: timeout)
            if deadline <= pcpus[handling].now { return 0 }      // already past: Xen's timer fires at once
            v.pollDeadline = deadline
            pollTimeouts.append(v)
        }
        v.polling = true
        v.pollPorts = ports
        v.blocked = true
        sleep(v)
        return 0
    }

    /// An interrupt or an upcall is pending for `v` (Xen's local_events_need_delivery_nomask).
    func eventsWaiting(_ v: VCPU) -> Bool {
        let lrs = v.pcpu.map { p in (0..<ICH.listRegisters).map { ICH.read(pcpus[p].cpu, ICH.lr($0)) } } ?? v.context.ichLR
        return v.domain.vgic.hasPending(v.id, listRegisters: lrs) || upcallPending(v)
    }

    /// Ends `v`'s poll, if it polls (it woke for another reason, or its timeout passed).
    func endPoll(_ v: VCPU) {
        guard v.polling else { return }
        v.polling = false
        v.pollPorts = []
        if v.pollDeadline != nil {
            v.pollDeadline = nil
            pollTimeouts.removeAll { $0 === v }
        }
    }

    /// The earliest poll timeout of any vCPU (machine counter ticks). Every pCPU arms its
    /// timer for it, so the one that polled has it armed at once; whichever fires first
    /// wakes the vCPU, and the others find nothing due.
    var nextPollTimeout: UInt64? { pollTimeouts.lazy.compactMap(\.pollDeadline).min() }

    /// Wakes the polling vCPUs whose timeout passed, earliest first (ties: domain, vCPU).
    func expirePollTimeouts(now: UInt64) {
        let due = pollTimeouts.filter { $0.pollDeadline! <= now }.sorted {
            ($0.pollDeadline!, $0.domain.id, $0.id) < ($1.pollDeadline!, $1.domain.id, $1.id)
        }
        for v in due { wake(v) }
    }
}
