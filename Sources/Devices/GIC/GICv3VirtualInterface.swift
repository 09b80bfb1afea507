import Emu

/// The GICv3 virtual CPU interface (IHI 0069 6): with HCR_EL2.IMO (FMO) set, EL1 and EL0
/// accesses to the Group 1 (Group 0) ICC_* registers reach the ICV_* registers instead, which
/// work on the list registers EL2 software filled in (ICH_LR<n>_EL2), the virtual machine
/// control (ICH_VMCR_EL2) and active priorities (ICH_AP<n>R0_EL2). The highest pending list
/// register is signalled to the CPU as a virtual IRQ or FIQ, and ICH_MISR_EL2 conditions
/// raise the maintenance interrupt (PPI 25).
extension GICv3CPUInterface {
    /// List register fields (ICH_LR<n>_EL2).
    enum ListReg {
        static func state(_ lr: UInt64) -> UInt64 { lr >> 62 }
        static func vINTID(_ lr: UInt64) -> UInt64 { lr & 0xffff_ffff }
        static func pINTID(_ lr: UInt64) -> Int { Int((lr >> 32) & 0x3ff) }
        static func priority(_ lr: UInt64) -> UInt8 { UInt8((lr >> 48) & 0xff) & GICCore.priorityMask }
        static func group1(_ lr: UInt64) -> Bool { lr & (1 << 60) != 0 }
        static func hw(_ lr: UInt64) -> Bool { lr & (1 << 61) != 0 }
        static func eoi(_ lr: UInt64) -> Bool { lr & (1 << 41) != 0 }
        static let pending: UInt64 = 1, active: UInt64 = 2
    }
    public static let maintenancePPI = 25

    /// Whether this access goes to the virtual interface.
    func isVirtual(_ cpu: CPU, _ e: UInt32) -> Bool {
        let s = cpu.st.pointee
        guard cpu.hasEL2, s.el < 2 else { return false }
        let imo = s.hcrEL2 & HCR.IMO != 0, fmo = s.hcrEL2 & HCR.FMO != 0
        let R = Reg.self
        switch e {
        case R.iar1, R.eoir1, R.hppir1, R.bpr1, R.igrpen1, R.ap1r0...(R.ap1r0 + 3): return imo
        case R.iar0, R.eoir0, R.hppir0, R.bpr0, R.igrpen0, R.ap0r0...(R.ap0r0 + 3): return fmo
        case R.pmr, R.rpr, R.ctlr, R.dir: return imo || fmo
        default: return false
        }
    }

    // MARK: ICH_VMCR_EL2 fields

    private func vpmr(_ c: Int) -> UInt8 { UInt8(truncatingIfNeeded: ichVMCR[c] >> 24) }
    private func veoim(_ c: Int) -> Bool { ichVMCR[c] & (1 << 9) != 0 }
    private func vengine(_ c: Int, group1: Bool) -> Bool { ichVMCR[c] & (group1 ? 2 : 1) != 0 }

    /// The virtual running priority: the highest active virtual group priority, or idle.
    func virtualRunningPriority(_ c: Int) -> UInt8 {
        let a = UInt32(truncatingIfNeeded: ichAP0R[c] | ichAP1R[c])
        return a == 0 ? 0xff : UInt8(a.trailingZeroBitCount * 8)
    }

    private func groupPriority(_ p: UInt8, _ c: Int, group1: Bool) -> UInt8 {
        let b = group1 ? max(Int((ichVMCR[c] >> 18) & 7) - 1, 0) : Int((ichVMCR[c] >> 21) & 7)
        return p & UInt8(truncatingIfNeeded: 0xff << (b + 1)) & GICCore.priorityMask
    }

    /// The pending list register of highest priority (optionally of one group).
    private func highestPendingLR(_ c: Int, group1: Bool? = nil) -> Int? {
        var best: Int? = nil
        for (i, lr) in ichLR[c].enumerated() where ListReg.state(lr) == ListReg.pending {
            if let g = group1, ListReg.group1(lr) != g { continue }
            if best == nil || ListReg.priority(lr) < ListReg.priority(ichLR[c][best!]) { best = i }
        }
        return best
    }

    /// Whether list register `i` may be signalled or acknowledged now.
    private func deliverable(_ c: Int, _ i: Int) -> Bool {
        let lr = ichLR[c][i], g1 = ListReg.group1(lr)
        return vengine(c, group1: g1) && ListReg.priority(lr) < vpmr(c)
            && groupPriority(ListReg.priority(lr), c, group1: g1) < virtualRunningPriority(c)
    }

    /// ICH_MISR_EL2 (IHI 0069 12.4.9).
    func maintenanceStatus(_ c: Int) -> UInt64 {
        let hcr = ichHCR[c], lrs = ichLR[c]
        var m: UInt64 = 0
        if lrs.contains(where: { ListReg.state($0) == 0 && !ListReg.hw($0) && ListReg.eoi($0) }) { m |= 1 }
        if hcr & 2 != 0 && lrs.filter({ ListReg.state($0) != 0 }).count <= 1 { m |= 2 }
        if hcr & 4 != 0 && (hcr >> 27) != 0 { m |= 4 }
        if hcr & 8 != 0 && !lrs.contains(where: { ListReg.state($0) == ListReg.pending }) { m |= 8 }
        let g0 = vengine(c, group1: false), g1 = vengine(c, group1: true)
        if hcr & 0x10 != 0 && g0 { m |= 0x10 }
        if hcr & 0x20 != 0 && !g0 { m |= 0x20 }
        if hcr & 0x40 != 0 && g1 { m |= 0x40 }
        if hcr & 0x80 != 0 && !g1 { m |= 0x80 }
        return m
    }

    /// Recomputes the CPU's virtual IRQ/FIQ inputs and the maintenance interrupt.
    func signalVirtual(_ c: Int) {
        let enabled = ichHCR[c] & 1 != 0
        var virq = false, vfiq = false
        if enabled, let i = highestPendingLR(c), deliverable(c, i) {
            if ListReg.group1(ichLR[c][i]) { virq = true } else { vfiq = true }
        }
        gic.cpus[c].setVirtualInterruptLines(irq: virq, fiq: vfiq)
        gic.setLine(GICv3CPUInterface.maintenancePPI, cpu: c, enabled && maintenanceStatus(c) != 0)
    }

    // MARK: ICV_* accesses

    func virtualRead(_ c: Int, _ e: UInt32) -> UInt64? {
        let R = Reg.self
        switch e {
        case R.iar1, R.iar0: return virtualAcknowledge(c, group1: e == R.iar1)
        case R.hppir1, R.hppir0:
            guard let i = highestPendingLR(c, group1: e == R.hppir1) else { return UInt64(GICCore.spurious) }
            return ListReg.vINTID(ichLR[c][i])
        case R.pmr: return UInt64(vpmr(c))
        case R.bpr1: return (ichVMCR[c] >> 18) & 7
        case R.bpr0: return (ichVMCR[c] >> 21) & 7
        case R.igrpen1: return vengine(c, group1: true) ? 1 : 0
        case R.igrpen0: return vengine(c, group1: false) ? 1 : 0
        case R.rpr: return UInt64(virtualRunningPriority(c))
        case R.ctlr: return 4 << 8 | (veoim(c) ? 2 : 0) | ((ichVMCR[c] >> 4) & 1)
        case R.ap1r0: return ichAP1R[c]
        case R.ap0r0: return ichAP0R[c]
        case R.ap1r0 + 1, R.ap1r0 + 2, R.ap1r0 + 3, R.ap0r0 + 1, R.ap0r0 + 2, R.ap0r0 + 3: return 0
        default: return nil   // EOIR, DIR: write-only
        }
    }

    func virtualWrite(_ c: Int, _ e: UInt32, _ v: UInt64) -> Bool {
        let R = Reg.self
        switch e {
        case R.eoir1, R.eoir0:
            if e == R.eoir1 { let a = ichAP1R[c]; if a != 0 { ichAP1R[c] = a & (a - 1) } }
            else { let a = ichAP0R[c]; if a != 0 { ichAP0R[c] = a & (a - 1) } }
            if !veoim(c) { virtualDeactivate(c, v & 0xff_ffff) }
        case R.dir: if veoim(c) { virtualDeactivate(c, v & 0xff_ffff) }
        case R.pmr: ichVMCR[c] = ichVMCR[c] & ~(0xff << 24) | (v & 0xf8) << 24
        case R.bpr1: ichVMCR[c] = ichVMCR[c] & ~(7 << 18) | max(v & 7, 3) << 18
        case R.bpr0: ichVMCR[c] = ichVMCR[c] & ~(7 << 21) | max(v & 7, 2) << 21
        case R.igrpen1: ichVMCR[c] = ichVMCR[c] & ~2 | (v & 1) << 1
        case R.igrpen0: ichVMCR[c] = ichVMCR[c] & ~1 | (v & 1)
        case R.ctlr: ichVMCR[c] = ichVMCR[c] & ~(1 << 9 | 1 << 4) | (v & 2) << 8 | (v & 1) << 4
        case R.ap1r0: ichAP1R[c] = v & 0xffff_ffff
        case R.ap0r0: ichAP0R[c] = v & 0xffff_ffff
        case R.ap1r0 + 1, R.ap1r0 + 2, R.ap1r0 + 3, R.ap0r0 + 1, R.ap0r0 + 2, R.ap0r0 + 3: break
        default: return false
        }
        signalVirtual(c)
        return true
    }

    /// ICV_IAR: the deliverable pending list register of the group becomes active.
    private func virtualAcknowledge(_ c: Int, group1: Bool) -> UInt64 {
        guard ichHCR[c] & 1 != 0, let i = highestPendingLR(c), ListReg.group1(ichLR[c][i]) == group1,
              deliverable(c, i) else { return UInt64(GICCore.spurious) }
        let lr = ichLR[c][i]
        ichLR[c][i] = lr & ~(3 << 62) | ListReg.active << 62
        let bit = UInt64(1) << (groupPriority(ListReg.priority(lr), c, group1: group1) >> 3)
        if group1 { ichAP1R[c] |= bit } else { ichAP0R[c] |= bit }
        signalVirtual(c)
        return ListReg.vINTID(lr)
    }

    /// Deactivates the active list register holding `intid`: with HW set, the physical
    /// interrupt too; with none, ICH_HCR_EL2.EOIcount counts the miss.
    private func virtualDeactivate(_ c: Int, _ intid: UInt64) {
        guard let i = ichLR[c].firstIndex(where: { ListReg.vINTID($0) == intid && ListReg.state($0) & ListReg.active != 0 }) else {
            let count = (ichHCR[c] >> 27) & 0x1f
            if count < 0x1f { ichHCR[c] = ichHCR[c] & ~(0x1f << 27) | (count + 1) << 27 }
            return
        }
        let lr = ichLR[c][i]
        ichLR[c][i] = lr & ~(ListReg.active << 62)
        if ListReg.hw(lr) { gic.deactivate(c, intid: ListReg.pINTID(lr)) }
    }
}
