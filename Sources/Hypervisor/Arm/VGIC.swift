import Emu
import Devices

/// A domain's virtual GICv3 (as Xen's vgic-v3.c): the distributor and redistributors
/// the guest programs through trapped MMIO, and the list registers of the GIC virtual
/// CPU interface through which pending interrupts reach a running vCPU.
///
/// The distributor state is a `GICCore` whose "CPUs" are the domain's vCPUs, decoded by
/// the same register models as the physical GIC. An interrupt moves from that state
/// into a list register when its vCPU enters the guest (`flush`), and back when the
/// guest has deactivated it (`sync`), as Xen's vgic_sync_to_lrs / vgic_sync_from_lrs do.
final class VGIC {
    static let lines = 96                    // SGIs, PPIs and 64 SPIs (GICD_TYPER.ITLinesNumber 2)

    let core: GICCore
    let distributor: GICDistributor
    let redistributors: GICRedistributors
    /// A vCPU got an interrupt it may take: wake it or refresh its list registers.
    var onPending: (Int) -> Void = { _ in }
    var signalled: [Bool]

    init(vcpus: Int) {
        core = GICCore(cpuCount: vcpus, lines: VGIC.lines)
        distributor = GICDistributor(core, v3: true)
        redistributors = GICRedistributors(core)
        signalled = Array(repeating: false, count: vcpus)
        // On the rising edge only: a vCPU is woken (or its pCPU kicked) once per arrival.
        core.output = { [unowned self] cpu, irq, fiq in
            let now = irq || fiq
            if now && !self.signalled[cpu] { self.signalled[cpu] = true; self.onPending(cpu) }
            if !now { self.signalled[cpu] = false }
        }
        core.openAllCPUInterfaces()
    }

    // MARK: Trapped MMIO (the guest's GICD and GICR frames)

    /// Serves a guest access at `ipa` if it falls in the GIC's frames; nil if not ours.
    func read(ipa: UInt64, size: Int, vcpu: Int) -> UInt64? {
        let L = XenGuestLayout.self
        if ipa &- L.gicdBase < L.gicdSize { return distributor.read(offset: ipa - L.gicdBase, size: size, cpu: vcpu) }
        let r = ipa &- L.gicrBase
        if r < UInt64(core.cpuCount) * L.gicrStride { return redistributors.read(offset: r, size: size, cpu: vcpu) }
        if r < L.gicrSize { return 0 }                  // frames of vCPUs that do not exist: RAZ
        return nil
    }

    func write(ipa: UInt64, size: Int, value: UInt64, vcpu: Int) -> Bool {
        let L = XenGuestLayout.self
        if ipa &- L.gicdBase < L.gicdSize { distributor.write(offset: ipa - L.gicdBase, size: size, value: value, cpu: vcpu); return true }
        let r = ipa &- L.gicrBase
        if r < UInt64(core.cpuCount) * L.gicrStride { redistributors.write(offset: r, size: size, value: value, cpu: vcpu); return true }
        return r < L.gicrSize                           // WI
    }

    // MARK: Interrupt sources

    /// Makes a vCPU's private interrupt pending (virtual timer, event-channel upcall).
    func raise(_ intid: Int, vcpu: Int) {
        core.setPending(vcpu, intid: intid)
    }

    /// The level of an SPI (vpl011).
    func setLevel(_ intid: Int, _ high: Bool) { core.setLine(intid, high) }

    /// ICC_SGI1R_EL1 written by vCPU `from` (trapped by HCR_EL2.IMO): the same fields as
    /// on hardware (IHI 0069 ICC_SGI1R_EL1), vCPUs laid out as CPUAffinity says.
    func sendSGI(_ v: UInt64, from: Int) { core.sendSGI(register: v, from: from) }

    /// Whether vCPU `vcpu` has an interrupt waiting, in the distributor or its list registers.
    /// `listRegisters` are the vCPU's list register values (live, or saved in its context).
    func hasPending(_ vcpu: Int, listRegisters: [UInt64]) -> Bool {
        core.hasPending(vcpu) || listRegisters.contains { ICH.lrState($0) & 1 != 0 }
    }

    // MARK: List registers (the vCPU is loaded on `cpu`)

    /// Folds the list registers back into the distributor state: an interrupt the guest
    /// has deactivated leaves its list register.
    func sync(_ vcpu: Int, cpu: CPU) {
        for i in 0..<ICH.listRegisters {
            let lr = ICH.read(cpu, ICH.lr(i))
            guard lr != 0 else { continue }
            let intid = ICH.lrINTID(lr)
            if ICH.lrState(lr) == 0 {
                ICH.write(cpu, ICH.lr(i), 0)
                core.deactivate(vcpu, intid: intid)
            } else if ICH.lrState(lr) == 1 && !core.isEnabled(vcpu, intid: intid) {
                // Disabled while still only pending: it waits in the distributor again.
                ICH.write(cpu, ICH.lr(i), 0)
                core.returnFromListRegister(vcpu, intid: intid)
            }
        }
    }

    /// Moves pending interrupts into free list registers, highest priority first, and
    /// asks for a maintenance interrupt when more wait than fit.
    func flush(_ vcpu: Int, cpu: CPU) {
        var free = 0     // a bit per empty list register (this runs on every exit: no array)
        for i in 0..<ICH.listRegisters {
            let lr = ICH.read(cpu, ICH.lr(i))
            if lr == 0 { free |= 1 << i; continue }
            // An edge that came again while active: pending and active (IHI 0069 4.1.2).
            if ICH.lrState(lr) == 2 && core.takeRepeatedEdge(vcpu, intid: ICH.lrINTID(lr)) {
                ICH.write(cpu, ICH.lr(i), lr | 1 << 62)
            }
        }
        var waiting = true
        for i in 0..<ICH.listRegisters where free & 1 << i != 0 {
            guard let (intid, priority, group1) = core.takeForListRegister(vcpu) else { waiting = false; break }
            ICH.write(cpu, ICH.lr(i), ICH.makeLR(intid: intid, priority: priority, group1: group1))
        }
        // En, and UIE when interrupts still wait: a maintenance interrupt once the list
        // registers are (nearly) empty brings the vCPU back here. (When one found nothing
        // to take, nothing waits: no second look.)
        ICH.write(cpu, ICH.hcr, waiting && core.hasPending(vcpu) ? 3 : 1)
    }
}
