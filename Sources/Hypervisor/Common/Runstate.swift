import Emu

/// A vCPU's runstate (xen/include/public/vcpu.h struct vcpu_runstate_info): the state it
/// is in, when it entered it, and how long it has spent in each state, in ns of its
/// domain's system time. The sum of `time` is `entryTime` less the time the vCPU was
/// created at (0: a domain's system time starts with it), so it never drifts from it.
struct Runstate: Equatable {
    enum State: UInt32 { case running = 0, runnable = 1, blocked = 2, offline = 3 }
    var state = State.offline
    var entryTime: UInt64 = 0
    var time: [UInt64] = [0, 0, 0, 0]

    /// Enters `new` at `now`; time only moves forward (pCPUs' clocks may differ a little),
    /// as Xen's vcpu_runstate_change.
    mutating func change(to new: State, at now: UInt64) {
        guard new != state else { return }
        if now > entryTime {
            time[Int(state.rawValue)] &+= now - entryTime
            entryTime = now
        }
        state = new
    }

    /// The 48 bytes of vcpu_runstate_info: int state (and padding), uint64_t
    /// state_entry_time, uint64_t time[4].
    func bytes(entryFlags: UInt64 = 0) -> [UInt8] {
        bytesLE(UInt64(state.rawValue), 8) + bytesLE(entryTime | entryFlags, 8) + time.flatMap { bytesLE($0, 8) }
    }

    static let size = 48
    /// XEN_RUNSTATE_UPDATE: set in state_entry_time while the area is being written.
    static let updateFlag: UInt64 = 1 << 63
}

/// The runstate area a guest registers with VCPUOP_register_runstate_memory_area: a guest
/// virtual address, written whenever the vCPU's runstate changes. While the vCPU is loaded
/// the address goes through its own stage 1 (as Xen writes it at context switches); while
/// it is not, through the IPAs that translation gave last, then the domain's p2m, so a
/// stale page table never reaches memory outside the domain.
struct RunstateArea {
    var va: UInt64
    /// IPAs of the area's first byte and of its page-crossing part (if any), as last translated.
    var ipas: [UInt64] = []
}

extension HostedHypervisor {
    /// `v` enters runstate `new` now; its area, if registered, shows it.
    func changeRunstate(_ v: VCPU, to new: Runstate.State) {
        guard new != v.runstate.state else { return }
        v.runstate.change(to: new, at: systemTime(v.domain))
        writeRunstateArea(v)
    }

    /// The runstate `v` is in when it is not running.
    func stoppedRunstate(_ v: VCPU) -> Runstate.State {
        !v.online || v.domain.state != .running ? .offline : v.blocked ? .blocked : .runnable
    }

    /// Writes `v.runstate` to its area: through the loaded vCPU's translation when `cpu` (the
    /// pCPU it is loaded on, or the caller registering it) is given, else the IPAs kept.
    /// With VMASST_TYPE_runstate_update_flag, state_entry_time carries XEN_RUNSTATE_UPDATE
    /// while the rest is written (Xen's update_runstate_area).
    func writeRunstateArea(_ v: VCPU, through cpu: CPU? = nil, info: Runstate? = nil) {
        guard var area = v.runstateArea, v.domain.state == .running else { return }
        let d = v.domain
        if let c = cpu ?? v.pcpu.map({ pcpus[$0].cpu }) {
            let last = area.va &+ UInt64(Runstate.size - 1)
            let ends = last & ~0xfff != area.va & ~0xfff ? [area.va, last & ~0xfff] : [area.va]
            area.ipas = ends.compactMap { c.translateGuestVirtualToIPA($0, write: true) }
            if area.ipas.count != ends.count { area.ipas = [] }
            v.runstateArea = area
        }
        guard !area.ipas.isEmpty else { return }
        let firstPage = area.va & ~0xfff
        func machine(_ va: UInt64) -> UInt64? {
            let ipa = va & ~0xfff == firstPage ? area.ipas[0] &+ (va &- area.va) : area.ipas[area.ipas.count - 1] | va & 0xfff
            return d.p2m.lookup(ipa).flatMap { $0.writable ? $0.pa : nil }
        }
        let copy = PagedCopy(bus: bus)
        let r = info ?? v.runstate
        let flagged = d.vmAssist & 1 << XenABI.VMAssist.runstateUpdateFlag != 0
        if flagged { _ = copy.write(bytesLE(r.entryTime | Runstate.updateFlag, 8), at: area.va &+ 8, translate: machine, wrote: memoryWritten) }
        _ = copy.write(r.bytes(entryFlags: flagged ? Runstate.updateFlag : 0), at: area.va, translate: machine, wrote: memoryWritten)
        if flagged { _ = copy.write(bytesLE(r.entryTime, 8), at: area.va &+ 8, translate: machine, wrote: memoryWritten) }
    }

    /// VCPUOP_register_runstate_memory_area for vCPU `t`, called by `v` (Xen's common_vcpu_op):
    /// struct vcpu_register_runstate_memory_area { union { ...; uint64_t p; } addr; }. The area
    /// gets the runstate at once; for another vCPU with its time in the current state so far.
    func registerRunstateArea(_ t: VCPU, caller v: VCPU, arg: UInt64, _ g: GuestVirtual) -> UInt64 {
        guard let va = g.u64(arg) else { return XenABI.Errno.EFAULT.result }
        guard va != 0 else { t.runstateArea = nil; return 0 }              // a null handle: no area
        guard va % 8 == 0 else { return XenABI.Errno.EINVAL.result }        // its 64-bit fields' alignment
        t.runstateArea = RunstateArea(va: va)
        var info = t.runstate
        if t !== v {
            let now = systemTime(t.domain)
            if now > info.entryTime { info.time[Int(info.state.rawValue)] &+= now - info.entryTime }
        }
        writeRunstateArea(t, through: g.cpu, info: info)
        return 0
    }
}
