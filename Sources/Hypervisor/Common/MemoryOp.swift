import Emu

/// memory_op (xen/include/public/memory.h): mapping shared_info and grant-table frames
/// into the guest's physical space, and growing or shrinking its RAM.
extension HostedHypervisor {
    func memoryOp(_ v: VCPU, cmd: UInt64, arg: UInt64, _ g: GuestVirtual) -> UInt64 {
        let M = XenABI.Memory.self, d = v.domain
        switch cmd & 0xffff {            // the upper bits carry a continuation start extent
        case M.currentReservation, M.maximumReservation:
            guard let domid = g.u16(arg) else { return XenABI.Errno.EFAULT.result }
            guard domid == XenABI.domidSelf || Int(domid) == d.id else { return XenABI.Errno.EPERM.result }
            return cmd == M.currentReservation ? d.pages : d.maxPages
        case M.addToPhysmap:
            return addToPhysmap(d, arg: arg, g)
        case M.decreaseReservation, M.populatePhysmap, M.increaseReservation:
            return reservation(d, cmd: cmd & 0xffff, arg: arg, g)
        default:
            return XenABI.Errno.ENOSYS.result
        }
    }

    /// struct xen_add_to_physmap { domid_t domid; uint16_t size; unsigned int space;
    /// xen_ulong_t idx; xen_pfn_t gpfn; }
    private func addToPhysmap(_ d: Domain, arg: UInt64, _ g: GuestVirtual) -> UInt64 {
        guard let b = g.read(arg, count: 24) else { return XenABI.Errno.EFAULT.result }
        let domid = UInt16(le(Array(b[0..<2]))), space = UInt32(le(Array(b[4..<8])))
        let idx = le(Array(b[8..<16])), gpfn = le(Array(b[16..<24]))
        guard domid == XenABI.domidSelf || Int(domid) == d.id else { return XenABI.Errno.EPERM.result }
        guard gpfn < 1 << (Stage2.ipaBits - 12) else { return XenABI.Errno.EINVAL.result }
        let frame: UInt64
        switch space {
        case XenABI.Memory.spaceSharedInfo:
            guard idx == 0 else { return XenABI.Errno.EINVAL.result }
            frame = d.sharedInfoFrame
            d.sharedInfo = frame
        case XenABI.Memory.spaceGrantTable:
            guard idx & (1 << 31) == 0 else { return XenABI.Errno.EINVAL.result }   // v1 has no status frames
            guard let f = d.grants.frame(Int(idx)) else { return XenABI.Errno.EINVAL.result }
            frame = f
        default:
            return XenABI.Errno.ENOSYS.result
        }
        d.p2m.map(ipa: gpfn << 12, pa: frame, size: 0x1000, kind: .ram)
        stage2Changed()
        return 0
    }

    /// struct xen_memory_reservation { XEN_GUEST_HANDLE(xen_pfn_t) extent_start;
    /// xen_ulong_t nr_extents; unsigned int extent_order; unsigned int mem_flags; domid_t domid; }
    private func reservation(_ d: Domain, cmd: UInt64, arg: UInt64, _ g: GuestVirtual) -> UInt64 {
        guard let b = g.read(arg, count: 26) else { return XenABI.Errno.EFAULT.result }
        let list = le(Array(b[0..<8])), count = le(Array(b[8..<16])), order = le(Array(b[16..<20]))
        let domid = UInt16(le(Array(b[24..<26])))
        guard domid == XenABI.domidSelf || Int(domid) == d.id else { return XenABI.Errno.EPERM.result }
        guard order <= 9, count <= 1 << 20 else { return XenABI.Errno.EINVAL.result }
        if cmd == XenABI.Memory.increaseReservation { return 0 }     // auto-translated guests populate
        let pages = UInt64(1) << order
        var done: UInt64 = 0
        while done < count {
            guard let gpfn = g.u64(list + done * 8) else { break }
            let ipa = gpfn << 12
            guard ipa & (pages * 0x1000 - 1) == 0, ipa + pages * 0x1000 <= 1 << Stage2.ipaBits else { break }
            if cmd == XenABI.Memory.decreaseReservation {
                for i in 0..<pages where d.p2m.lookup(ipa + i * 0x1000) != nil {
                    d.p2m.unmap(ipa: ipa + i * 0x1000)
                    d.pages -= 1
                }
            } else {
                guard d.pages + pages <= d.maxPages,
                      let pa = frames.allocate(pages * 0x1000, alignment: pages * 0x1000) else { break }
                d.p2m.map(ipa: ipa, pa: pa, size: pages * 0x1000, kind: .ram)
                d.extraFrames.append((pa, pages * 0x1000))
                d.pages += pages
            }
            done += 1
        }
        stage2Changed()
        return done
    }

    /// A p2m changed: drop every pCPU's cached guest translations.
    func stage2Changed() {
        for p in pcpus { p.cpu.flushTLB(all: false) }
    }
}
