import Emu

/// grant_table_op: the table's size, mapping and unmapping another domain's granted page
/// into this domain's physical space (on Arm host_addr is a guest physical address),
/// and copies between granted pages. Each element gets its own GNTST_* status. Batches
/// of any length (Xen: count < 2^31) are continued every `Continuation.grantOps` elements
/// with the handle advanced and the count reduced (Xen's do_grant_table_op).
extension HostedHypervisor {
    enum GNTST: Int16 {
        case okay = 0, generalError = -1, badDomain = -2, badGntref = -3, badHandle = -4, badVirtAddr = -5
        case noDeviceSpace = -7, permissionDenied = -8, badCopyArg = -10
    }

    func grantTableOp(_ v: VCPU, cmd full: UInt64, arg: UInt64, count wide: UInt64, _ g: GuestVirtual) -> UInt64 {
        let G = XenABI.Gnttab.self, d = v.domain
        // unsigned int cmd and count; the bits of cmd above GNTTABOP_CMD_MASK are only for
        // cache_flush, which Arm guests of hvsim do not get.
        let cmd = full & 0xffff_ffff, count = UInt32(truncatingIfNeeded: wide)
        guard Int32(bitPattern: count) >= 0, cmd >> G.argShift == 0 else { return XenABI.Errno.EINVAL.result }
        /// Runs `body` on each element of `size` bytes, continuing after a piece.
        func each(_ size: UInt64, _ body: (UInt64) -> Bool) -> UInt64 {
            for i in 0..<count {
                if i == XenABI.Continuation.grantOps { return continuation(g.cpu, cmd, arg &+ UInt64(i) &* size, UInt64(count - i)) }
                charge &+= Charges.element
                if !body(arg &+ UInt64(i) &* size) { return XenABI.Errno.EFAULT.result }
            }
            return 0
        }
        switch cmd {
        case G.querySize, G.setupTable:
            guard count == 1 else { return XenABI.Errno.EINVAL.result }    // Xen takes exactly one
            return cmd == G.querySize ? querySize(d, at: arg, g) : setupTable(d, at: arg, g)
        case G.mapGrantRef:
            return each(32) { a in mapGrant(d, at: a, g) }
        case G.unmapGrantRef:
            return each(24) { a in unmapGrant(d, at: a, g) }
        case G.copy:
            return each(40) { a in copyGrant(d, at: a, g) }
        case G.getVersion:
            // struct gnttab_get_version { domid_t dom; uint16_t pad; uint32_t version; }
            return g.put32(1, at: arg &+ 4) ? 0 : XenABI.Errno.EFAULT.result
        case G.setVersion:
            guard let ver = g.u32(arg) else { return XenABI.Errno.EFAULT.result }
            return ver == 1 ? 0 : XenABI.Errno.EINVAL.result       // hvsim implements version 1
        case G.transfer:
            return XenABI.Errno.ENOSYS.result                       // page transfer: not on Arm
        default:
            return XenABI.Errno.ENOSYS.result
        }
    }

    /// struct gnttab_query_size { domid_t dom; uint32_t nr_frames; uint32_t max_nr_frames; int16_t status; }
    private func querySize(_ d: Domain, at a: UInt64, _ g: GuestVirtual) -> UInt64 {
        guard let dom = g.u16(a) else { return XenABI.Errno.EFAULT.result }
        let mine = dom == XenABI.domidSelf || Int(dom) == d.id
        let ok = g.put32(UInt32(d.grants.tableFrames.count), at: a &+ 4)
            && g.put32(UInt32(GrantTable.maxFrames), at: a &+ 8)
            && putStatus(mine ? .okay : .badDomain, g, at: a &+ 12)
        return ok ? 0 : XenABI.Errno.EFAULT.result
    }

    /// struct gnttab_setup_table { domid_t dom; uint32_t nr_frames; int16_t status; XEN_GUEST_HANDLE(xen_pfn_t) frame_list; }
    private func setupTable(_ d: Domain, at a: UInt64, _ g: GuestVirtual) -> UInt64 {
        guard let dom = g.u16(a), let n = g.u32(a &+ 4), let list = g.u64(a &+ 16) else { return XenABI.Errno.EFAULT.result }
        var st = GNTST.okay
        if !(dom == XenABI.domidSelf || Int(dom) == d.id) { st = .badDomain }
        else if n > UInt32(GrantTable.maxFrames) || (n > 0 && d.grants.frame(Int(n) - 1) == nil) { st = .generalError }
        if st == .okay {
            for i in 0..<UInt64(n) {
                let gfn = XenGuestLayout.grantTableBase >> 12 + i
                guard d.p2m.map(ipa: gfn << 12, pa: d.grants.tableFrames[Int(i)], size: 0x1000, kind: .ram) else {
                    stage2Changed(); return XenABI.Errno.ENOMEM.result
                }
                guard g.put64(gfn, at: list &+ i * 8) else { stage2Changed(); return XenABI.Errno.EFAULT.result }
            }
            stage2Changed()
        }
        return putStatus(st, g, at: a &+ 8) ? 0 : XenABI.Errno.EFAULT.result
    }

    private func putStatus(_ s: GNTST, _ g: GuestVirtual, at a: UInt64) -> Bool {
        g.put16(UInt16(bitPattern: s.rawValue), at: a)
    }

    /// The granting domain's entry for `ref` if it grants `to` access; its frame's
    /// machine address and whether the grant is read-only.
    private func granted(_ granter: Domain, ref: UInt32, to grantee: Domain) -> (entry: UnsafeMutableRawPointer, entryPA: UInt64, pa: UInt64, readonly: Bool)? {
        guard let e = granter.grants.entry(ref), let h = bus.host(e) else { return nil }
        let flags = h.load(as: UInt16.self), domid = h.load(fromByteOffset: 2, as: UInt16.self)
        let frame = UInt64(h.load(fromByteOffset: 4, as: UInt32.self))
        // Only the granter's own RAM: not a page it mapped from a third domain (perhaps
        // read-only), nor shared_info or grant-table frames (Xen: the page's owner).
        guard flags & 3 == GrantTable.permitAccess, Int(domid) == grantee.id,
              let (pa, _) = granter.p2m.lookup(frame << 12), ownsRAM(granter, pa) else { return nil }
        return (h, e, pa, flags & GrantTable.readonly != 0)
    }

    /// struct gnttab_map_grant_ref { uint64_t host_addr; uint32_t flags; grant_ref_t ref;
    /// domid_t dom; int16_t status; grant_handle_t handle; uint64_t dev_bus_addr; }
    private func mapGrant(_ d: Domain, at a: UInt64, _ g: GuestVirtual) -> Bool {
        guard let gpa = g.u64(a), let flags = g.u32(a &+ 8), let ref = g.u32(a &+ 12), let dom = g.u16(a &+ 16) else { return false }
        guard let granter = domain(id: Int(dom)), granter !== d, granter.state == .running else {
            return putStatus(.badDomain, g, at: a &+ 18)
        }
        guard flags & GrantTable.mapHost != 0, gpa & 0xfff == 0, gpa < 1 << Stage2.ipaBits,
              d.p2m.lookup(gpa) == nil else { return putStatus(.badVirtAddr, g, at: a &+ 18) }
        guard let (entry, entryPA, pa, grantRO) = granted(granter, ref: ref, to: d) else { return putStatus(.badGntref, g, at: a &+ 18) }
        let readonly = flags & GrantTable.mapReadonly != 0
        guard readonly || !grantRO else { return putStatus(.permissionDenied, g, at: a &+ 18) }
        guard let handle = d.grants.add((granter.id, ref, gpa, readonly)) else { return putStatus(.noDeviceSpace, g, at: a &+ 18) }
        defer { stage2Changed() }
        guard d.p2m.map(ipa: gpa, pa: pa, size: 0x1000, kind: readonly ? .readOnly : .ram) else {
            d.grants.remove(handle)
            return putStatus(.generalError, g, at: a &+ 18)    // its P2M pool is used up (as Xen)
        }
        let f = entry.load(as: UInt16.self)
        entry.storeBytes(of: f | (readonly ? GrantTable.reading : GrantTable.reading | GrantTable.writing), as: UInt16.self)
        memoryWritten(entryPA..<(entryPA + 2))
        return putStatus(.okay, g, at: a &+ 18) && g.put32(handle, at: a &+ 20) && g.put64(0, at: a &+ 24)
    }

    /// struct gnttab_unmap_grant_ref { uint64_t host_addr; uint64_t dev_bus_addr;
    /// grant_handle_t handle; int16_t status; }
    private func unmapGrant(_ d: Domain, at a: UInt64, _ g: GuestVirtual) -> Bool {
        guard let gpa = g.u64(a), let handle = g.u32(a &+ 16) else { return false }
        guard let m = d.grants.maps[handle], m.gpa == gpa else { return putStatus(.badHandle, g, at: a &+ 20) }
        // A grant is mapped as a page of its own: nothing to split, so this cannot fail.
        guard d.p2m.unmap(ipa: gpa) else { return putStatus(.generalError, g, at: a &+ 20) }
        let stillMapped = d.grants.remove(handle) ?? false
        stage2Changed()
        if !stillMapped, let granter = domain(id: m.domain),
           let e = granter.grants.entry(m.ref), let h = bus.host(e) {
            h.storeBytes(of: h.load(as: UInt16.self) & ~(GrantTable.reading | GrantTable.writing), as: UInt16.self)
            memoryWritten(e..<(e + 2))
        }
        return putStatus(.okay, g, at: a &+ 20)
    }

    /// struct gnttab_copy { struct { union { grant_ref_t ref; xen_pfn_t gmfn; } u; domid_t domid;
    /// uint16_t offset; } source, dest; uint16_t len; uint16_t flags; int16_t status; }
    private func copyGrant(_ d: Domain, at a: UInt64, _ g: GuestVirtual) -> Bool {
        guard let b = g.read(a, count: 38) else { return false }
        let len = Int(le(Array(b[32..<34]))), flags = UInt16(le(Array(b[34..<36])))
        func end(_ base: Int, isGref: Bool, write: Bool) -> (UInt64, GNTST) {
            let ref = le(Array(b[base..<(base + 8)])), domid = UInt16(le(Array(b[(base + 8)..<(base + 10)])))
            let offset = Int(le(Array(b[(base + 10)..<(base + 12)])))
            guard offset + len <= 0x1000 else { return (0, .badCopyArg) }
            let dom = domain(domid, caller: d)
            guard let owner = dom, owner.state == .running else { return (0, .badDomain) }
            if isGref {
                guard let (_, _, pa, ro) = granted(owner, ref: UInt32(truncatingIfNeeded: ref), to: d) else {
                    return (0, .badGntref)
                }
                if write && ro { return (0, .permissionDenied) }
                return (pa + UInt64(offset), .okay)
            }
            // A frame of the caller's own memory.
            guard owner === d, ref < 1 << (Stage2.ipaBits - 12), let (pa, w) = d.p2m.lookup(ref << 12), !write || w else {
                return (0, .badCopyArg)
            }
            return (pa + UInt64(offset), .okay)
        }
        let (src, s1) = end(0, isGref: flags & 1 != 0, write: false)
        let (dst, s2) = end(16, isGref: flags & 2 != 0, write: true)
        let st = s1 != .okay ? s1 : s2
        if st == .okay, len > 0, let hs = bus.host(src), let hd = bus.host(dst) {
            hd.copyMemory(from: hs, byteCount: len)
            memoryWritten(dst..<(dst + UInt64(len)))
        }
        return putStatus(st, g, at: a &+ 36)
    }
}
