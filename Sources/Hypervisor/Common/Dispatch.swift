import Emu

/// Putting vCPUs on pCPUs and taking them off: the context switch (Xen's
/// context_switch), time slices, the timers of vCPUs that are not loaded, blocking and
/// waking. Which vCPU runs next is the scheduler's choice.
extension HostedHypervisor {
    /// HCR_EL2 while a guest runs (Xen's HCR_GUEST_FLAGS, less the traps hvsim does not
    /// need): stage 2, IRQ/FIQ/SError to EL2, virtual interrupts, WFI/WFE and SMC trapped.
    static let guestHCR: UInt64 = HCR.VM | HCR.SWIO | HCR.FMO | HCR.IMO | HCR.AMO | HCR.TWI | HCR.TWE
        | HCR.TSC | HCR.RW

    /// A time slice when other vCPUs wait for the pCPU: 10 ms.
    var slice: UInt64 { ticksPerSecond / 100 }

    /// Places each vCPU of a new domain in a pCPU's run queue: its first allowed pCPU
    /// with the fewest vCPUs.
    func assignToPCPUs(_ d: Domain) {
        let allowed = d.config.cpus?.filter { $0 >= 0 && $0 < pcpus.count } ?? Array(pcpus.indices)
        for v in d.vcpus {
            let p = (allowed.isEmpty ? Array(pcpus.indices) : allowed).min { pcpus[$0].runQueue.count < pcpus[$1].runQueue.count }!
            v.home = p
            pcpus[p].runQueue.append(v)
        }
    }

    /// Picks the vCPU pCPU `p` runs next (round robin among the runnable ones) and
    /// switches to it.
    func schedule(_ p: Int) {
        let pc = pcpus[p]
        pc.needsSchedule = false
        let now = pc.now
        let queue = pc.runQueue
        let start = pc.current.flatMap { c in queue.firstIndex { $0 === c } }.map { $0 + 1 } ?? 0
        var next: VCPU? = nil
        for k in 0..<queue.count {
            let v = queue[(start + k) % queue.count]
            if v.runnable { next = v; break }
        }
        // Keep the current vCPU until its slice ends, if it can still run.
        if let c = pc.current, c.runnable, now < pc.sliceEnd { next = c }
        let previous = pc.current
        if next !== pc.current {
            if pc.current != nil { unload(pc) }
            if let n = next { load(n, on: pc) }
        }
        let others = queue.contains { $0 !== next && $0.runnable }
        // A kept vCPU keeps its slice's end: rescheduling (a WFE, a wake-up) must not extend it.
        if next !== previous || pc.sliceEnd == .max || !others { pc.sliceEnd = next != nil && others ? now + slice : .max }
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
        pc.timers.removeAll { $0.vcpu === v }
        v.pcpu = pc.index
        v.loadedAt = pc.now
        pc.current = v
    }

    /// Saves the loaded vCPU and leaves the pCPU empty; its virtual timer, if armed,
    /// becomes a hypervisor timer that will raise its interrupt.
    func unload(_ pc: PCPU) {
        guard let v = pc.current else { return }
        let c = pc.cpu
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

    /// Arms the pCPU's hypervisor timer (CNTHP) for its next deadline.
    func programTimer(_ p: Int) {
        let pc = pcpus[p]
        let next = pc.timers.map(\.deadline).min().map { min($0, pc.sliceEnd) } ?? pc.sliceEnd
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
        if now >= pc.sliceEnd { pc.needsSchedule = true }
    }

    /// Makes a private interrupt pending for `v` (and wakes it: see `interruptArrived`).
    func inject(_ v: VCPU, _ intid: Int) {
        v.domain.vgic.raise(intid, vcpu: v.id)
    }

    /// The vGIC has an interrupt for `v`: unblock it, and make its pCPU look again.
    func interruptArrived(_ v: VCPU) {
        guard v.online, v.domain.state == .running else { return }
        let p = v.pcpu ?? v.home
        if v.blocked { v.blocked = false; pcpus[p].needsSchedule = true }
        if p != handling { gic.kick(from: pcpus[handling].cpu, to: p) }
    }

    /// WFI or SCHEDOP_block: the vCPU sleeps until an interrupt or event is pending.
    func block(_ v: VCPU) {
        if v.domain.vgic.hasPending(v.id, context: v.pcpu != nil ? liveContext(v) : v.context) { return }
        if upcallPending(v) { return }
        v.blocked = true
        pcpus[v.pcpu ?? v.home].needsSchedule = true
    }

    /// The list registers of a loaded vCPU, read from its pCPU.
    private func liveContext(_ v: VCPU) -> VCPUContext {
        var ctx = VCPUContext()
        guard let p = v.pcpu else { return v.context }
        for i in 0..<ICH.listRegisters { ctx.ichLR[i] = ICH.read(pcpus[p].cpu, ICH.lr(i)) }
        return ctx
    }
}
