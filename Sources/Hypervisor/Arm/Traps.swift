import Emu
import Devices

/// Synchronous exceptions from a guest to EL2, dispatched on ESR_EL2.EC (the one switch
/// on exception class, as Xen's arch/arm/traps.c do_trap_guest_sync).
extension HostedHypervisor {
    func handleSync(_ v: VCPU, _ c: CPU) {
        let esr = c.st.pointee.esrEL2
        let ec = esr >> 26, iss = esr & 0x1ff_ffff
        switch ec {
        case EC.wfx:
            advancePC(c)
            if iss & 1 == 0 { block(v) } else { yield(v) }   // WFE yields
        case EC.hvc:
            let imm = iss & 0xffff
            if imm == XenABI.hypercallTag {
                hypercall(v, c)
            } else if imm == 0 {
                psci(v, c)
            } else {
                sayAbout(v.domain, "domain \(v.domain.id) vcpu \(v.id): HVC #\(hex(imm)) at pc \(hex(c.st.pointee.elrEL2 &- 4)) is no hypercall")
                c.st.pointee.elrEL2 &-= 4            // UNDEFINED at the HVC itself
                injectUndefined(c)
            }
        case EC.smc:
            advancePC(c)
            psci(v, c)
        case EC.sysReg:
            systemRegister(v, c, iss: iss)
        case EC.dataAbortLower:
            dataAbort(v, c, iss: iss)
        case EC.instAbortLower:
            sayAbout(v.domain, "domain \(v.domain.id) vcpu \(v.id): instruction abort at IPA \(hex(faultIPA(c)))")
            injectAbort(c, instruction: true)
        default:
            sayAbout(v.domain, "domain \(v.domain.id) vcpu \(v.id): unhandled trap, ESR \(hex(esr)) at pc \(hex(c.st.pointee.elrEL2))")
            injectUndefined(c)
        }
    }

    func advancePC(_ c: CPU) { c.st.pointee.elrEL2 &+= 4 }

    /// The IPA of a stage 2 fault (HPFAR_EL2 page, FAR_EL2 offset).
    func faultIPA(_ c: CPU) -> UInt64 { (c.st.pointee.hpfarEL2 >> 4) << 12 | c.st.pointee.farEL2 & 0xfff }

    // MARK: Emulated MMIO

    /// A stage 2 data abort: an access to the vGIC or vpl011, or to nothing.
    private func dataAbort(_ v: VCPU, _ c: CPU, iss: UInt64) {
        let ipa = faultIPA(c)
        // ISV: the syndrome describes a single load or store we can emulate.
        guard iss & (1 << 24) != 0 else {
            sayAbout(v.domain, "domain \(v.domain.id) vcpu \(v.id): undecodable access to IPA \(hex(ipa))")
            injectAbort(c, instruction: false)
            return
        }
        let size = 1 << Int((iss >> 22) & 3), signExtend = iss & (1 << 21) != 0
        let rt = Int((iss >> 16) & 31), sf = iss & (1 << 15) != 0, write = iss & (1 << 6) != 0
        let d = v.domain
        if write {
            let value = rt == 31 ? 0 : c[rt] & (size == 8 ? ~0 : (1 << UInt64(size * 8)) - 1)
            guard mmioWrite(d, v, ipa: ipa, size: size, value: value) else { return unhandledMMIO(v, c, ipa) }
        } else {
            guard var value = mmioRead(d, v, ipa: ipa, size: size) else { return unhandledMMIO(v, c, ipa) }
            if signExtend && size < 8 {
                let shift = UInt64(64 - size * 8)
                value = UInt64(bitPattern: Int64(bitPattern: value << shift) >> Int64(shift))
            }
            if !sf { value &= 0xffff_ffff }
            if rt != 31 { c[rt] = value }
        }
        advancePC(c)
    }

    private func unhandledMMIO(_ v: VCPU, _ c: CPU, _ ipa: UInt64) {
        sayAbout(v.domain, "domain \(v.domain.id) vcpu \(v.id): access to unmapped IPA \(hex(ipa)) at pc \(hex(c.st.pointee.elrEL2))")
        injectAbort(c, instruction: false)
    }

    private func mmioRead(_ d: Domain, _ v: VCPU, ipa: UInt64, size: Int) -> UInt64? {
        if let r = d.vgic.read(ipa: ipa, size: size, vcpu: v.id) { return r }
        let L = XenGuestLayout.self
        if let u = d.vpl011, ipa &- L.vpl011Base < L.vpl011Size { return u.read(offset: ipa - L.vpl011Base, size: size, cpu: v.id) }
        return nil
    }

    private func mmioWrite(_ d: Domain, _ v: VCPU, ipa: UInt64, size: Int, value: UInt64) -> Bool {
        if d.vgic.write(ipa: ipa, size: size, value: value, vcpu: v.id) { return true }
        let L = XenGuestLayout.self
        if let u = d.vpl011, ipa &- L.vpl011Base < L.vpl011Size {
            u.write(offset: ipa - L.vpl011Base, size: size, value: value, cpu: v.id)
            return true
        }
        return false
    }

    // MARK: System registers

    /// A trapped MSR/MRS (ISS: Op0, Op2, Op1, CRn, Rt, CRm, direction; Arm ARM D17.2.37).
    private func systemRegister(_ v: VCPU, _ c: CPU, iss: UInt64) {
        let op0 = (iss >> 20) & 3, op2 = (iss >> 17) & 7, op1 = (iss >> 14) & 7
        let crn = (iss >> 10) & 15, rt = Int((iss >> 5) & 31), crm = (iss >> 1) & 15
        let read = iss & 1 != 0
        // ICC_SGI1R_EL1 / ICC_ASGI1R_EL1 / ICC_SGI0R_EL1 (op0 3, op1 0, CRn 12, CRm 11, op2 5/6/7).
        if op0 == 3 && op1 == 0 && crn == 12 && crm == 11 && op2 >= 5 && !read {
            v.domain.vgic.sendSGI(rt == 31 ? 0 : c[rt], from: v.id)
            advancePC(c)
            return
        }
        sayAbout(v.domain, "domain \(v.domain.id) vcpu \(v.id): unhandled system register \(read ? "read" : "write") S\(op0)_\(op1)_C\(crn)_C\(crm)_\(op2) at pc \(hex(c.st.pointee.elrEL2))")
        injectUndefined(c)
    }

    // MARK: Injecting exceptions into the guest (Xen's inject_undef64_exception etc.)

    /// Enters the guest's EL1 synchronous vector with `esr` and `far`, from the state that
    /// ELR_EL2 / SPSR_EL2 hold, as the hardware would have had EL2 not trapped.
    func injectSync(_ c: CPU, esr: UInt64, far: UInt64? = nil) {
        let s = c.st
        // A fault in the guest's own vector table would be injected again forever.
        if s.pointee.elrEL2 &- s.pointee.vbarEL1 & ~0x7ff < 0x800, let v = pcpus[handling].current {
            return crash(v.domain, "exception (ESR \(hex(esr))) in its own vectors at \(hex(s.pointee.elrEL2))")
        }
        let spsr = s.pointee.spsrEL2
        let fromEL = (spsr >> 2) & 3, spx = spsr & 1
        s.pointee.spsrEL1 = spsr
        s.pointee.elrEL1 = s.pointee.elrEL2
        s.pointee.esrEL1 = esr
        if let f = far { s.pointee.farEL1 = f }
        let offset: UInt64 = fromEL == 0 ? 0x400 : (spx == 1 ? 0x200 : 0)
        s.pointee.elrEL2 = (s.pointee.vbarEL1 & ~0x7ff) + offset
        s.pointee.spsrEL2 = 0x3c5                                // EL1h, DAIF masked
    }

    func injectUndefined(_ c: CPU) {
        injectSync(c, esr: EC.unknown << 26 | 1 << 25)
    }

    /// A synchronous external abort on the access (the guest touched nothing there).
    func injectAbort(_ c: CPU, instruction: Bool) {
        let fromEL0 = (c.st.pointee.spsrEL2 >> 2) & 3 == 0
        let ec: UInt64 = instruction ? (fromEL0 ? EC.instAbortLower : EC.instAbortSame)
                                     : (fromEL0 ? EC.dataAbortLower : EC.dataAbortSame)
        injectSync(c, esr: ec << 26 | 1 << 25 | 0x10, far: c.st.pointee.farEL2)
    }
}
