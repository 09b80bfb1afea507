import Emu
import Devices

/// A vCPU's guest state while it is not on a pCPU: what Xen's ctxt_switch_from/_to save
/// and restore (xen/arch/arm/domain.c) — general and FP/SIMD registers, the EL1 system
/// registers, the virtual timer and the GIC virtual interface. The EL2 configuration
/// (HCR, VTTBR, CNTVOFF, VMPIDR) is the domain's and is loaded with it.
struct VCPUContext {
    var x = [UInt64](repeating: 0, count: 31)
    var v = [UInt64](repeating: 0, count: 64)
    var spEL0: UInt64 = 0, spEL1: UInt64 = 0
    /// Where the guest resumes, and its PSTATE in SPSR form (ELR_EL2 / SPSR_EL2).
    var pc: UInt64 = 0, pstate: UInt64 = 0x3c5           // EL1h, DAIF masked
    var fpcr: UInt64 = 0, fpsr: UInt64 = 0

    var sctlr: UInt64 = 0x30d0_0800, actlr: UInt64 = 0, cpacr: UInt64 = 0
    var ttbr0: UInt64 = 0, ttbr1: UInt64 = 0, tcr: UInt64 = 0, mair: UInt64 = 0, amair: UInt64 = 0
    var vbar: UInt64 = 0, elr: UInt64 = 0, spsr: UInt64 = 0, esr: UInt64 = 0, far: UInt64 = 0
    var par: UInt64 = 0, contextidr: UInt64 = 0, afsr0: UInt64 = 0, afsr1: UInt64 = 0
    var tpidrEL0: UInt64 = 0, tpidrroEL0: UInt64 = 0, tpidrEL1: UInt64 = 0
    var cntkctl: UInt64 = 0, csselr: UInt64 = 0, mdscr: UInt64 = 0
    /// The virtual timer (CNTV_CTL_EL0, CNTV_CVAL_EL0).
    var cntvCtl: UInt64 = 0, cntvCval: UInt64 = 0
    /// The WFE event register.
    var event = false

    /// ICH_* state of the GIC virtual CPU interface, and which INTID each list register holds.
    var ichLR = [UInt64](repeating: 0, count: ICH.listRegisters)
    var ichVMCR: UInt64 = 0, ichAP0R: UInt64 = 0, ichAP1R: UInt64 = 0

    /// A vCPU that starts at `entry` in EL1h with the MMU off and x0 = `x0` (the boot
    /// protocol of Linux and of PSCI CPU_ON).
    init(entry: UInt64 = 0, x0: UInt64 = 0) {
        pc = entry
        x[0] = x0
    }

    /// Copies the guest state out of `cpu` (which stands at EL2 after a trap).
    mutating func save(from cpu: CPU) {
        let s = cpu.st.pointee
        for i in 0..<31 { x[i] = cpu.x[i] }
        for i in 0..<64 { v[i] = cpu.v[i] }
        spEL0 = s.spEL0; spEL1 = s.spEL1; pc = s.elrEL2; pstate = s.spsrEL2
        fpcr = s.fpcr; fpsr = s.fpsr
        sctlr = s.sctlrEL1; actlr = s.actlrEL1; cpacr = s.cpacrEL1
        ttbr0 = s.ttbr0EL1; ttbr1 = s.ttbr1EL1; tcr = s.tcrEL1; mair = s.mairEL1; amair = s.amairEL1
        vbar = s.vbarEL1; elr = s.elrEL1; spsr = s.spsrEL1; esr = s.esrEL1; far = s.farEL1
        par = s.parEL1; contextidr = s.contextidrEL1; afsr0 = s.afsr0EL1; afsr1 = s.afsr1EL1
        tpidrEL0 = s.tpidrEL0; tpidrroEL0 = s.tpidrroEL0; tpidrEL1 = s.tpidrEL1
        cntkctl = s.cntkctlEL1; csselr = s.csselrEL1; mdscr = s.mdscrEL1
        cntvCtl = s.cntvCtl; cntvCval = s.cntvCval; event = s.event
        for i in 0..<ICH.listRegisters { ichLR[i] = ICH.read(cpu, ICH.lr(i)) }
        ichVMCR = ICH.read(cpu, ICH.vmcr); ichAP0R = ICH.read(cpu, ICH.ap0r0); ichAP1R = ICH.read(cpu, ICH.ap1r0)
    }

    /// Loads the guest state into `cpu` (at EL2); the next ERET enters the guest.
    func load(into cpu: CPU) {
        let st = cpu.st
        for i in 0..<31 { cpu.x[i] = x[i] }
        for i in 0..<64 { cpu.v[i] = v[i] }
        st.pointee.spEL0 = spEL0; st.pointee.spEL1 = spEL1
        st.pointee.elrEL2 = pc; st.pointee.spsrEL2 = pstate
        st.pointee.fpcr = fpcr; st.pointee.fpsr = fpsr
        st.pointee.sctlrEL1 = sctlr; st.pointee.actlrEL1 = actlr; st.pointee.cpacrEL1 = cpacr
        st.pointee.ttbr0EL1 = ttbr0; st.pointee.ttbr1EL1 = ttbr1; st.pointee.tcrEL1 = tcr
        st.pointee.mairEL1 = mair; st.pointee.amairEL1 = amair
        st.pointee.vbarEL1 = vbar; st.pointee.elrEL1 = elr; st.pointee.spsrEL1 = spsr
        st.pointee.esrEL1 = esr; st.pointee.farEL1 = far; st.pointee.parEL1 = par
        st.pointee.contextidrEL1 = contextidr; st.pointee.afsr0EL1 = afsr0; st.pointee.afsr1EL1 = afsr1
        st.pointee.tpidrEL0 = tpidrEL0; st.pointee.tpidrroEL0 = tpidrroEL0; st.pointee.tpidrEL1 = tpidrEL1
        st.pointee.cntkctlEL1 = cntkctl; st.pointee.csselrEL1 = csselr; st.pointee.mdscrEL1 = mdscr
        st.pointee.cntvCtl = cntvCtl; st.pointee.cntvCval = cntvCval; st.pointee.event = event
        for i in 0..<ICH.listRegisters { ICH.write(cpu, ICH.lr(i), ichLR[i]) }
        ICH.write(cpu, ICH.vmcr, ichVMCR); ICH.write(cpu, ICH.ap0r0, ichAP0R); ICH.write(cpu, ICH.ap1r0, ichAP1R)
        // Another vCPU's (or no) translations were cached under the EL1&0 regime.
        cpu.flushTLB(all: false)
    }
}

/// The GICv3 hypervisor-control registers (ICH_*_EL2, IHI 0069 12.4) as the Swift
/// hypervisor reaches them: through the emulated CPU's GIC system-register interface.
enum ICH {
    static let listRegisters = GICv3CPUInterface.listRegisters
    private typealias R = GICv3CPUInterface.Reg
    static let ap0r0 = R.ichAP0R0, ap1r0 = R.ichAP1R0, hcr = R.ichHCR, misr = R.ichMISR, vmcr = R.ichVMCR
    static func lr(_ n: Int) -> UInt32 { R.ichLR(n) }

    static func read(_ cpu: CPU, _ e: UInt32) -> UInt64 { cpu.gicInterface?.readRegister(cpu, encoding: e) ?? 0 }
    static func write(_ cpu: CPU, _ e: UInt32, _ v: UInt64) { _ = cpu.gicInterface?.writeRegister(cpu, encoding: e, value: v) }

    /// List register fields (ICH_LR<n>_EL2).
    static func lrState(_ lr: UInt64) -> UInt64 { lr >> 62 }
    static func lrINTID(_ lr: UInt64) -> Int { Int(lr & 0xffff_ffff) }
    static func makeLR(intid: Int, priority: UInt8, group1: Bool, state: UInt64 = 1) -> UInt64 {
        state << 62 | (group1 ? 1 << 60 : 0) | UInt64(priority) << 48 | UInt64(intid)
    }
}
