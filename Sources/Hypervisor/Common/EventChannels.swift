import Emu

/// A domain's event-channel ports with the 2-level ABI (xen/include/public/event_channel.h,
/// xen/common/event_2l.c): pending and mask bits in shared_info, a selector word and the
/// upcall flag in each vCPU's vcpu_info, and the event-channel PPI as the upcall.
final class EventChannels {
    enum Binding: Equatable {
        case free
        case unbound(remote: Int)
        case interdomain(remote: Int, port: UInt32)
        case virq(UInt32)
        case ipi
    }
    struct Port { var binding: Binding = .free; var vcpu = 0 }

    /// Port 0 is never allocated (Xen reserves it).
    var ports = [Port](repeating: Port(), count: 1)
    var virqs: [[UInt32]]     // per vCPU: VIRQ number → port (0 = unbound)

    init(vcpus: Int) {
        virqs = Array(repeating: Array(repeating: 0, count: Int(XenABI.Evtchn.virqCount)), count: vcpus)
    }

    /// No port below this one is free (a hint, so allocation is not a scan of every port).
    var lowestFree = 1

    func allocate(_ b: Binding, vcpu: Int) -> UInt32? {
        while lowestFree < ports.count, case .free = ports[lowestFree].binding {
            ports[lowestFree] = Port(binding: b, vcpu: vcpu)
            lowestFree += 1
            return UInt32(lowestFree - 1)
        }
        while lowestFree < ports.count {
            if case .free = ports[lowestFree].binding { return allocate(b, vcpu: vcpu) }
            lowestFree += 1
        }
        guard ports.count < XenABI.Evtchn.ports else { return nil }
        ports.append(Port(binding: b, vcpu: vcpu))
        return UInt32(ports.count - 1)
    }

    func valid(_ p: UInt32) -> Bool { p > 0 && Int(p) < ports.count }
}

extension HostedHypervisor {
    // MARK: Bits in guest memory

    /// The vcpu_info of `v`: the registered one, or vCPU 0's slot in shared_info.
    func legacyVCPUInfo(_ v: VCPU) -> UInt64? {
        if let a = v.vcpuInfo { return a }
        guard v.id == 0, let s = v.domain.sharedInfo else { return nil }
        return s
    }

    /// A word of shared_info or vcpu_info. Where the hypervisor changes one, it also says so
    /// (memoryWritten: decoded code there is forgotten), only when a bit really changes.
    private func word(_ pa: UInt64) -> UnsafeMutablePointer<UInt64>? {
        bus.host(pa)?.assumingMemoryBound(to: UInt64.self)
    }

    func upcallPending(_ v: VCPU) -> Bool {
        guard let a = legacyVCPUInfo(v), let h = bus.host(a) else { return false }
        return h.load(as: UInt8.self) != 0
    }

    /// Marks `port` pending and, unless masked or already pending, signals its vCPU
    /// (evtchn_2l_set_pending).
    func setPending(_ d: Domain, _ port: UInt32) {
        guard let s = d.sharedInfo, d.events.valid(port) else { return }
        let w = Int(port / 64), bit = UInt64(1) << UInt64(port % 64)
        let pendingAt = s + UInt64(XenABI.Layout.evtchnPending + w * 8)
        guard let pending = word(pendingAt), let mask = word(s + UInt64(XenABI.Layout.evtchnMask + w * 8)) else { return }
        if pending.pointee & bit != 0 { return }
        pending.pointee |= bit
        memoryWritten(pendingAt..<(pendingAt + 8))
        if mask.pointee & bit == 0 { markEventsPending(d.vcpus[d.events.ports[Int(port)].vcpu], word: w) }
        // Pollers wake whether or not the port is masked (evtchn_check_pollers): SCHEDOP_poll
        // is meant for masked ports, and an unmasked one whose selector bit is still set
        // raises no new upcall.
        for v in d.vcpus where v.polling && (v.pollPorts.count != 1 || v.pollPorts[0] == port) { wakePoller(v) }
    }

    /// Sets the selector bit and the upcall flag; on the 0 → 1 edge, raises the upcall PPI.
    private func markEventsPending(_ v: VCPU, word w: Int) {
        guard let a = legacyVCPUInfo(v), let sel = word(a + UInt64(XenABI.Layout.pendingSelector)),
              let h = bus.host(a) else { return }
        if sel.pointee & (1 << UInt64(w)) != 0 { return }
        sel.pointee |= 1 << UInt64(w)
        let selAt = a + UInt64(XenABI.Layout.pendingSelector)
        memoryWritten(selAt..<(selAt + 8))
        if h.load(as: UInt8.self) != 0 { return }
        memoryWritten(a..<(a + 1))
        h.storeBytes(of: 1, as: UInt8.self)
        inject(v, XenGuestLayout.eventChannelPPI)
        wakePoller(v)
    }

    /// A vCPU in SCHEDOP_poll wakes when an event arrives.
    private func wakePoller(_ v: VCPU) {
        guard v.polling else { return }
        interruptArrived(v)
    }

    /// Whether `port`'s pending bit is set in the domain's shared_info.
    func portPending(_ d: Domain, _ port: UInt32) -> Bool {
        guard let s = d.sharedInfo, let w = word(s + UInt64(XenABI.Layout.evtchnPending + Int(port / 64) * 8)) else { return false }
        return w.pointee & (1 << UInt64(port % 64)) != 0
    }

    // MARK: event_channel_op

    func eventChannelOp(_ v: VCPU, cmd: UInt64, arg: UInt64, _ g: GuestVirtual) -> UInt64 {
        let E = XenABI.Evtchn.self, d = v.domain, ev = d.events!
        let EFAULT = XenABI.Errno.EFAULT.result, EINVAL = XenABI.Errno.EINVAL.result
        switch cmd {
        case E.allocUnbound:
            // struct evtchn_alloc_unbound { domid_t dom, remote_dom; evtchn_port_t port; }
            guard let dom = g.u16(arg), let remote = g.u16(arg &+ 2) else { return EFAULT }
            guard domain(dom, caller: d) === d else { return XenABI.Errno.EPERM.result }
            guard let r = domain(remote, caller: d) else { return XenABI.Errno.ESRCH.result }
            guard let p = ev.allocate(.unbound(remote: r.id), vcpu: 0) else { return XenABI.Errno.ENOSPC.result }
            return g.put32(p, at: arg &+ 4) ? 0 : EFAULT
        case E.bindInterdomain:
            // struct evtchn_bind_interdomain { domid_t remote_dom; evtchn_port_t remote_port; evtchn_port_t local_port; }
            guard let rd = g.u16(arg), let rp = g.u32(arg &+ 4) else { return EFAULT }
            guard let r = domain(rd, caller: d), r.state == .running else { return XenABI.Errno.ESRCH.result }
            guard r.events.valid(rp), r.events.ports[Int(rp)].binding == .unbound(remote: d.id) else { return EINVAL }
            guard let lp = ev.allocate(.interdomain(remote: r.id, port: rp), vcpu: 0) else { return XenABI.Errno.ENOSPC.result }
            r.events.ports[Int(rp)].binding = .interdomain(remote: d.id, port: lp)
            guard g.put32(lp, at: arg &+ 8) else { return EFAULT }
            setPending(d, lp)                       // as Xen does, so neither side misses an event
            return 0
        case E.bindVIRQ:
            // struct evtchn_bind_virq { uint32_t virq; uint32_t vcpu; evtchn_port_t port; }
            guard let virq = g.u32(arg), let vc = g.u32(arg &+ 4) else { return EFAULT }
            guard virq < E.virqCount, Int(vc) < d.vcpus.count else { return EINVAL }
            guard ev.virqs[Int(vc)][Int(virq)] == 0 else { return XenABI.Errno.EEXIST.result }
            guard let p = ev.allocate(.virq(virq), vcpu: Int(vc)) else { return XenABI.Errno.ENOSPC.result }
            ev.virqs[Int(vc)][Int(virq)] = p
            return g.put32(p, at: arg &+ 8) ? 0 : EFAULT
        case E.bindIPI:
            guard let vc = g.u32(arg) else { return EFAULT }
            guard Int(vc) < d.vcpus.count else { return XenABI.Errno.ENOENT.result }
            guard let p = ev.allocate(.ipi, vcpu: Int(vc)) else { return XenABI.Errno.ENOSPC.result }
            return g.put32(p, at: arg &+ 4) ? 0 : EFAULT
        case E.close:
            guard let p = g.u32(arg) else { return EFAULT }
            guard ev.valid(p) else { return EINVAL }
            close(d, p)
            return 0
        case E.send:
            guard let p = g.u32(arg) else { return EFAULT }
            guard ev.valid(p) else { return EINVAL }
            switch ev.ports[Int(p)].binding {
            case .interdomain(let rid, let rp):
                if let r = domain(id: rid), r.state == .running { setPending(r, rp) }
            case .ipi: setPending(d, p)
            case .unbound: break                  // nobody listens yet: dropped, as Xen does
            default: return EINVAL
            }
            return 0
        case E.unmask:
            guard let p = g.u32(arg) else { return EFAULT }
            guard ev.valid(p) else { return EINVAL }
            unmask(d, p)
            return 0
        case E.status:
            return status(d, arg: arg, g)
        case E.bindVCPU:
            guard let p = g.u32(arg), let vc = g.u32(arg &+ 4) else { return EFAULT }
            guard ev.valid(p), Int(vc) < d.vcpus.count else { return XenABI.Errno.ENOENT.result }
            switch ev.ports[Int(p)].binding {
            case .interdomain, .unbound: ev.ports[Int(p)].vcpu = Int(vc); return 0
            case .virq(let n) where n != 0: ev.ports[Int(p)].vcpu = Int(vc); return 0   // VIRQ_TIMER is per vCPU
            default: return EINVAL
            }
        default:
            // FIFO control (init_control, expand_array, set_priority), PIRQs, reset: the guest
            // keeps the 2-level ABI.
            return XenABI.Errno.ENOSYS.result
        }
    }

    private func unmask(_ d: Domain, _ port: UInt32) {
        guard let s = d.sharedInfo else { return }
        let w = Int(port / 64), bit = UInt64(1) << UInt64(port % 64)
        let maskAt = s + UInt64(XenABI.Layout.evtchnMask + w * 8)
        guard let pending = word(s + UInt64(XenABI.Layout.evtchnPending + w * 8)), let mask = word(maskAt) else { return }
        let wasMasked = mask.pointee & bit != 0
        mask.pointee &= ~bit
        if wasMasked { memoryWritten(maskAt..<(maskAt + 8)) }
        if wasMasked && pending.pointee & bit != 0 { markEventsPending(d.vcpus[d.events.ports[Int(port)].vcpu], word: w) }
    }

    func close(_ d: Domain, _ port: UInt32) {
        let ev = d.events!
        switch ev.ports[Int(port)].binding {
        case .interdomain(let rid, let rp):
            if let r = domain(id: rid), r.events.valid(rp) {
                r.events.ports[Int(rp)].binding = .unbound(remote: d.id)
            }
        case .virq(let n):
            // Bound on one vCPU, perhaps notifying another since (bind_vcpu): the table
            // entry is wherever it names this port, as Xen's evtchn_close looks for it.
            for i in ev.virqs.indices where ev.virqs[i][Int(n)] == port { ev.virqs[i][Int(n)] = 0 }
        default: break
        }
        ev.ports[Int(port)] = EventChannels.Port()
        ev.lowestFree = min(ev.lowestFree, Int(port))
    }

    /// struct evtchn_status { domid_t dom; evtchn_port_t port; uint32_t status; uint32_t vcpu; union u; }
    private func status(_ d: Domain, arg: UInt64, _ g: GuestVirtual) -> UInt64 {
        guard let dom = g.u16(arg), let p = g.u32(arg &+ 4) else { return XenABI.Errno.EFAULT.result }
        guard dom == XenABI.domidSelf || Int(dom) == d.id else { return XenABI.Errno.EPERM.result }
        guard d.events.valid(p) else { return XenABI.Errno.EINVAL.result }
        let port = d.events.ports[Int(p)]
        let E = XenABI.Evtchn.self
        // status, vcpu, then the 8-byte union (interdomain: domid_t dom; evtchn_port_t port at +4).
        var out = [UInt8](repeating: 0, count: 16)
        func put(_ v: UInt64, _ at: Int, _ n: Int) { out.replaceSubrange(at..<(at + n), with: bytesLE(v, n)) }
        switch port.binding {
        case .free: put(UInt64(E.statClosed), 0, 4)
        case .unbound(let r): put(UInt64(E.statUnbound), 0, 4); put(UInt64(r), 8, 2)
        case .interdomain(let r, let rp): put(UInt64(E.statInterdomain), 0, 4); put(UInt64(r), 8, 2); put(UInt64(rp), 12, 4)
        case .virq(let n): put(UInt64(E.statVIRQ), 0, 4); put(UInt64(n), 8, 4)
        case .ipi: put(UInt64(E.statIPI), 0, 4)
        }
        put(UInt64(port.vcpu), 4, 4)
        return g.write(out, at: arg &+ 8) ? 0 : XenABI.Errno.EFAULT.result
    }
}
