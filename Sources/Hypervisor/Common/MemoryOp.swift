import Emu

/// memory_op (xen/include/public/memory.h): mapping shared_info and grant-table frames
/// into the guest's physical space, and growing or shrinking its RAM.
extension HostedHypervisor {
    func memoryOp(_ v: VCPU, cmd: UInt64, arg: UInt64, _ g: GuestVirtual) -> UInt64 {
        let M = XenABI.Memory.self, d = v.domain
        switch cmd & XenABI.Memory.cmdMask {   // the upper bits carry a continuation's start extent
        case M.currentReservation, M.maximumReservation:
            guard let domid = g.u16(arg) else { return XenABI.Errno.EFAULT.result }
            guard domid == XenABI.domidSelf || Int(domid) == d.id else { return XenABI.Errno.EPERM.result }
            return cmd & M.cmdMask == M.currentReservation ? d.pages : d.maxPages
        case M.addToPhysmap:
            return addToPhysmap(d, arg: arg, g)
        case M.decreaseReservation, M.populatePhysmap, M.increaseReservation:
            return reservation(d, cmd: cmd, arg: arg, g)
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
        case XenABI.Memory.spaceGrantTable:
            // v1 has no status frames (XENMAPIDX_grant_table_status); Int(idx) must not trap.
            guard idx < UInt64(GrantTable.maxFrames) else { return XenABI.Errno.EINVAL.result }
            guard let f = d.grants.frame(Int(idx)) else { return XenABI.Errno.ENOMEM.result }   // its P2M pool is used up
            frame = f
        default:
            return XenABI.Errno.ENOSYS.result
        }
        defer { stage2Changed() }   // a failed map may have left a table or a split behind
        guard d.p2m.map(ipa: gpfn << 12, pa: frame, size: 0x1000, kind: .ram) else { return XenABI.Errno.ENOMEM.result }
        if space == XenABI.Memory.spaceSharedInfo { d.sharedInfo = frame }
        return 0
    }

    /// struct xen_memory_reservation { XEN_GUEST_HANDLE(xen_pfn_t) extent_start;
    /// xen_ulong_t nr_extents; unsigned int extent_order; unsigned int mem_flags; domid_t domid; }
    /// Long requests are preempted as Xen's: the HVC runs again with the start extent in the
    /// command's upper bits (MEMOP_EXTENT_SHIFT), so other vCPUs get their turn in between.
    private func reservation(_ d: Domain, cmd full: UInt64, arg: UInt64, _ g: GuestVirtual) -> UInt64 {
        let cmd = full & XenABI.Memory.cmdMask
        guard let b = g.read(arg, count: 26) else { return XenABI.Errno.EFAULT.result }
        let list = le(Array(b[0..<8])), count = le(Array(b[8..<16])), order = le(Array(b[16..<20]))
        let domid = UInt16(le(Array(b[24..<26])))
        guard domid == XenABI.domidSelf || Int(domid) == d.id else { return XenABI.Errno.EPERM.result }
        guard order <= 9, count <= 1 << 20 else { return XenABI.Errno.EINVAL.result }
        if cmd == XenABI.Memory.increaseReservation { return 0 }     // auto-translated guests populate
        let pages = UInt64(1) << order
        var done = full >> XenABI.Memory.extentShift
        var budget = XenABI.Memory.pagesPerContinuation
        defer { stage2Changed() }
        while done < count {
            if budget < pages { return continuation(g.cpu, cmd | done << XenABI.Memory.extentShift) }
            budget -= pages
            charge &+= pages &* Charges.element
            guard let gpfn = g.u64(list &+ done * 8) else { break }
            guard gpfn < 1 << (Stage2.ipaBits - 12) else { break }
            let ipa = gpfn << 12
            guard ipa & (pages * 0x1000 - 1) == 0, ipa + pages * 0x1000 <= 1 << Stage2.ipaBits else { break }
            if cmd == XenABI.Memory.decreaseReservation {
                // Only the domain's own RAM goes (not grant mappings, shared_info or grant
                // frames); its frames wait in the domain's pool for populate_physmap.
                // A block split that the P2M pool cannot hold ends the request there.
                var split = true
                for i in 0..<pages {
                    guard let (pa, _) = d.p2m.lookup(ipa + i * 0x1000), ownsRAM(d, pa) else { continue }
                    guard d.p2m.unmap(ipa: ipa + i * 0x1000) else { split = false; break }
                    d.freedFrames.append(pa)
                    d.pages -= 1
                }
                guard split else { break }
            } else {
                guard d.pages + pages <= d.maxPages else { break }
                if pages == 1, let pa = d.freedFrames.popLast() {
                    frames.zero(pa, 0x1000)
                    guard d.p2m.map(ipa: ipa, pa: pa, size: 0x1000, kind: .ram) else { d.freedFrames.append(pa); break }
                } else {
                    guard let pa = frames.allocate(pages * 0x1000, alignment: pages * 0x1000) else { break }
                    guard d.p2m.map(ipa: ipa, pa: pa, size: pages * 0x1000, kind: .ram) else {
                        // Unmapped again what was mapped of it before the pool ran out.
                        for i in 0..<pages where d.p2m.lookup(ipa + i * 0x1000)?.pa == pa + i * 0x1000 { _ = d.p2m.unmap(ipa: ipa + i * 0x1000) }
                        frames.release(pa, pages * 0x1000)
                        break
                    }
                    d.extraFrames.append((pa, pages * 0x1000))
                }
                d.pages += pages
            }
            done += 1
        }
        return done
    }

    /// Whether machine page `pa` is the domain's RAM (built with it or populated since).
    func ownsRAM(_ d: Domain, _ pa: UInt64) -> Bool {
        d.ram.contains { pa &- $0.pa < $0.size } || d.extraFrames.contains { pa &- $0.0 < $0.1 }
    }

    /// A p2m changed: drop every pCPU's cached guest translations.
    func stage2Changed() {
        for p in pcpus { p.cpu.flushTLB(all: false) }
    }
}
