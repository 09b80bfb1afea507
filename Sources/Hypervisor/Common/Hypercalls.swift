import Emu

/// The hypercall table: HVC #0xEA1 with the number in x16, arguments in x0-x4 and the
/// result in x0 (xen/arch/arm/traps.c do_trap_hypercall). Unknown numbers give -ENOSYS.
extension HostedHypervisor {
    func hypercall(_ v: VCPU, _ c: CPU) {
        let g = GuestVirtual(cpu: c, bus: bus, written: memoryWritten)
        let op = c[16], a0 = c[0], a1 = c[1]
        let r: UInt64
        switch op {
        case XenABI.Call.xenVersion: r = xenVersion(cmd: a0, arg: a1, g)
        case XenABI.Call.consoleIO: r = consoleIO(v, cmd: a0, count: a1, buffer: c[2], g)
        case XenABI.Call.schedOp: r = schedOp(v, cmd: a0, arg: a1, g)
        case XenABI.Call.vcpuOp: r = vcpuOp(v, cmd: a0, target: a1, arg: c[2], g)
        case XenABI.Call.memoryOp: r = memoryOp(v, cmd: a0, arg: a1, g)
        case XenABI.Call.hvmOp: r = hvmOp(v, cmd: a0, arg: a1, g)
        case XenABI.Call.eventChannelOp: r = eventChannelOp(v, cmd: a0, arg: a1, g)
        case XenABI.Call.grantTableOp: r = grantTableOp(v, cmd: a0, arg: a1, count: c[2], g)
        case XenABI.Call.vmAssist: r = vmAssist(v.domain, cmd: a0, type: a1)
        default:
            sayAbout(v.domain, "domain \(v.domain.id) vcpu \(v.id): unknown hypercall \(op)")
            r = XenABI.Errno.ENOSYS.result
        }
        c[0] = r
        onHypercall?(c.index, v, op, a0, r)
    }

    private func ok(_ v: Int64 = 0) -> UInt64 { UInt64(bitPattern: v) }

    // MARK: xen_version

    private func xenVersion(cmd: UInt64, arg: UInt64, _ g: GuestVirtual) -> UInt64 {
        let V = XenABI.Version.self
        func string(_ s: String, size: Int) -> UInt64 {
            var b = Array(s.utf8.prefix(size - 1)); b += [UInt8](repeating: 0, count: size - b.count)
            return g.write(b, at: arg) ? 0 : XenABI.Errno.EFAULT.result
        }
        switch cmd {
        case V.version: return UInt64(HostedHypervisor.xenVersion.major << 16 | HostedHypervisor.xenVersion.minor)
        case V.extraversion: return string("-hvsim", size: 16)
        case V.compileInfo: return string("hvsim", size: 64 + 16 + 32 + 32)
        case V.capabilities: return string("xen-3.0-aarch64 ", size: 1024)
        case V.changeset: return string("hvsim", size: 64)
        case V.platformParameters: return g.put64(0, at: arg) ? 0 : XenABI.Errno.EFAULT.result
        case V.getFeatures:
            guard let idx = g.u32(arg) else { return XenABI.Errno.EFAULT.result }
            guard idx == 0 else { return XenABI.Errno.EINVAL.result }
            return g.put32(V.features, at: arg &+ 4) ? 0 : XenABI.Errno.EFAULT.result
        case V.pagesize: return 4096
        case V.guestHandle: return g.write([UInt8](repeating: 0, count: 16), at: arg) ? 0 : XenABI.Errno.EFAULT.result
        case V.commandline, V.buildID: return XenABI.Errno.EPERM.result
        default: return XenABI.Errno.ENOSYS.result
        }
    }

    // MARK: console_io

    private func consoleIO(_ v: VCPU, cmd: UInt64, count: UInt64, buffer: UInt64, _ g: GuestVirtual) -> UInt64 {
        switch cmd {
        case XenABI.Console.write:
            // unsigned int count, written a piece at a time (Xen's guest_console_write): the
            // continuation carries the count left and the buffer advanced.
            let left = UInt32(truncatingIfNeeded: count), n = min(left, XenABI.Continuation.consoleBytes)
            guard let bytes = g.read(buffer, count: Int(n)) else { return XenABI.Errno.EFAULT.result }
            guestConsoleWrite(v.domain, bytes)
            return n < left ? continuation(g.cpu, cmd, UInt64(left - n), buffer &+ UInt64(n)) : 0
        case XenABI.Console.read: return 0
        default: return XenABI.Errno.ENOSYS.result
        }
    }

    // MARK: sched_op

    private func schedOp(_ v: VCPU, cmd: UInt64, arg: UInt64, _ g: GuestVirtual) -> UInt64 {
        let S = XenABI.Sched.self
        switch cmd {
        case S.yield:
            yield(v)
            return 0
        case S.block:
            block(v)
            return 0
        case S.shutdown:
            guard let reason = g.u32(arg) else { return XenABI.Errno.EFAULT.result }
            shutdown(v.domain, reason: reason)
            return 0
        case S.shutdownCode:
            return g.u32(arg) == nil ? XenABI.Errno.EFAULT.result : 0
        case S.poll:
            return poll(v, arg: arg, g)
        case S.remoteShutdown, S.watchdog: return XenABI.Errno.EPERM.result
        default: return XenABI.Errno.ENOSYS.result
        }
    }

    // MARK: vcpu_op (on Arm: register_vcpu_info, runstate area, up/down queries)

    private func vcpuOp(_ v: VCPU, cmd: UInt64, target: UInt64, arg: UInt64, _ g: GuestVirtual) -> UInt64 {
        let d = v.domain
        guard target < UInt64(d.vcpus.count) else { return XenABI.Errno.ENOENT.result }
        let t = d.vcpus[Int(target)]
        switch cmd {
        case XenABI.VCPUOp.isUp: return t.online ? 1 : 0
        case XenABI.VCPUOp.registerVCPUInfo:
            // struct vcpu_register_vcpu_info { uint64_t mfn; uint32_t offset; uint32_t rsvd; }
            guard let b = g.read(arg, count: 16) else { return XenABI.Errno.EFAULT.result }
            let gfn = le(Array(b[0..<8])), offset = le(Array(b[8..<12]))
            guard t.vcpuInfo == nil else { return XenABI.Errno.EINVAL.result }
            // Within one page and aligned for its 64-bit fields, which are read in place.
            guard offset + UInt64(XenABI.Layout.vcpuInfoSize) <= 0x1000, offset % 8 == 0, gfn < 1 << 27,
                  let (pa, writable) = d.p2m.lookup(gfn << 12), writable else { return XenABI.Errno.EINVAL.result }
            // The new vcpu_info starts with what the legacy one held (Xen's map_vcpu_info).
            let old = legacyVCPUInfo(t)
            let new = pa + offset
            if let o = old, let src = bus.host(o), let dst = bus.host(new) {
                dst.copyMemory(from: src, byteCount: XenABI.Layout.vcpuInfoSize)
                memoryWritten(new..<(new + UInt64(XenABI.Layout.vcpuInfoSize)))
            }
            t.vcpuInfo = new
            if upcallPending(t) { inject(t, XenGuestLayout.eventChannelPPI) }
            return 0
        case XenABI.VCPUOp.registerRunstateMemoryArea:
            return registerRunstateArea(t, caller: v, arg: arg, g)
        default: return XenABI.Errno.ENOSYS.result
        }
    }

    // MARK: vm_assist (xen/common/domain.c do_vm_assist; Arm knows runstate_update_flag only)

    private func vmAssist(_ d: Domain, cmd: UInt64, type: UInt64) -> UInt64 {
        let cmd = cmd & 0xffff_ffff, type = type & 0xffff_ffff         // unsigned int arguments
        guard type == XenABI.VMAssist.runstateUpdateFlag else { return XenABI.Errno.EINVAL.result }
        switch cmd {
        case XenABI.VMAssist.enable: d.vmAssist |= 1 << type; return 0
        case XenABI.VMAssist.disable: d.vmAssist &= ~(1 << type); return 0
        default: return XenABI.Errno.ENOSYS.result
        }
    }

    // MARK: hvm_op get/set param

    private func hvmOp(_ v: VCPU, cmd: UInt64, arg: UInt64, _ g: GuestVirtual) -> UInt64 {
        // struct xen_hvm_param { domid_t domid; uint16_t pad; uint32_t index; uint64_t value; }
        guard cmd == XenABI.HVM.setParam || cmd == XenABI.HVM.getParam else { return XenABI.Errno.ENOSYS.result }
        guard let b = g.read(arg, count: 16) else { return XenABI.Errno.EFAULT.result }
        let domid = UInt16(le(Array(b[0..<2]))), index = UInt32(le(Array(b[4..<8])))
        guard domid == XenABI.domidSelf || Int(domid) == v.domain.id else { return XenABI.Errno.EPERM.result }
        guard index < XenABI.HVM.paramCount else { return XenABI.Errno.EINVAL.result }
        if cmd == XenABI.HVM.setParam {
            v.domain.hvmParams[index] = le(Array(b[8..<16]))
            return 0
        }
        return g.put64(v.domain.hvmParams[index] ?? 0, at: arg &+ 8) ? 0 : XenABI.Errno.EFAULT.result
    }
}
