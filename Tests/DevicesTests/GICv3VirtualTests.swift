import Testing
@testable import Devices
@testable import Emu

/// The virtual CPU interface: list registers written at EL2, ICV_* accesses at EL1 with
/// HCR_EL2.IMO/FMO set (IHI 0069 chapter 6).
@Suite struct GICv3VirtualTests {
    let cpus: [CPU]
    let gic: GICCore
    let cpuif: GICv3CPUInterface

    init() throws {
        cpus = try makeTestCPUs(1)
        gic = GICCore(cpus: cpus)
        cpuif = GICv3CPUInterface(gic)
        cpus[0].gicInterface = cpuif
        cpus[0].st.pointee.hcrEL2 = HCR.RW | HCR.IMO | HCR.FMO
    }

    /// An ICH_* write as EL2 software does it.
    func el2(_ e: UInt32, _ v: UInt64) {
        cpus[0].st.pointee.el = 2
        #expect(cpuif.writeRegister(cpus[0], encoding: e, value: v))
        cpus[0].st.pointee.el = 1
    }
    func el2(_ e: UInt32) -> UInt64 {
        cpus[0].st.pointee.el = 2
        defer { cpus[0].st.pointee.el = 1 }
        return cpuif.readRegister(cpus[0], encoding: e) ?? 0xdead
    }
    /// An ICC_* access from the guest at EL1 (reaches ICV_* while IMO/FMO route interrupts).
    func el1(_ e: UInt32) -> UInt64? { cpuif.readRegister(cpus[0], encoding: e) }
    func el1(_ e: UInt32, _ v: UInt64) { #expect(cpuif.writeRegister(cpus[0], encoding: e, value: v)) }

    /// List register: State, HW, Group, Priority, pINTID/EOI, vINTID.
    func lr(state: UInt64, vintid: UInt64, priority: UInt64 = 0xa0, group1: Bool = true,
            hw: Bool = false, pintid: UInt64 = 0, eoi: Bool = false) -> UInt64 {
        state << 62 | (hw ? 1 << 61 : 0) | (group1 ? 1 << 60 : 0) | priority << 48
            | (hw ? pintid << 32 : 0) | (eoi ? 1 << 41 : 0) | vintid
    }

    func enable(pmr: UInt64 = 0xf8) {
        el2(ICH.hcr, 1)                          // En
        el2(ICH.vmcr, pmr << 24 | 2)             // VPMR, VENG1
    }

    @Test func pendingListRegisterIsAVirtualIRQUntilAcknowledged() {
        enable()
        #expect(!cpus[0].st.pointee.virqLine)
        el2(ICH.lr(0), lr(state: 1, vintid: 27))
        #expect(cpus[0].st.pointee.virqLine && cpus[0].interruptPending)
        #expect(el1(ICC.hppir1) == 27)
        #expect(el1(ICC.iar1) == 27)
        #expect(el2(ICH.lr(0)) >> 62 == 2)          // active
        #expect(!cpus[0].st.pointee.virqLine)
        #expect(el1(ICC.rpr) == 0xa0)
        #expect(el1(ICC.iar1) == 1023)
        el1(ICC.eoir1, 27)
        #expect(el2(ICH.lr(0)) >> 62 == 0)          // invalid again
        #expect(el1(ICC.rpr) == 0xff)
        #expect(el2(ICH.elrsr) & 1 == 1)
        // The physical interface was not touched.
        #expect(gic.activePriorities1[0] == 0)
    }

    @Test func priorityMaskAndGroupEnableHoldInterruptsBack() {
        enable(pmr: 0x80)
        el2(ICH.lr(0), lr(state: 1, vintid: 40, priority: 0xa0))
        #expect(!cpus[0].st.pointee.virqLine)
        #expect(el1(ICC.iar1) == 1023)
        el1(ICC.pmr, 0xf0)
        #expect(cpus[0].st.pointee.virqLine)
        el1(ICC.igrpen1, 0)
        #expect(!cpus[0].st.pointee.virqLine)
        el1(ICC.igrpen1, 1)
        // A Group 0 list register is a virtual FIQ, acknowledged through IAR0.
        el2(ICH.lr(0), lr(state: 1, vintid: 41, group1: false))
        el2(ICH.vmcr, 0xf8 << 24 | 3)
        #expect(cpus[0].st.pointee.vfiqLine && !cpus[0].st.pointee.virqLine)
        #expect(el1(ICC.iar1) == 1023)
        #expect(el1(ICC.iar0) == 41)
    }

    @Test func hardwareListRegisterDeactivatesThePhysicalInterrupt() {
        enable()
        gic.active[gic.slot(0, 48)] = true              // the physical SPI the hypervisor took
        el2(ICH.lr(1), lr(state: 1, vintid: 33, hw: true, pintid: 48))
        #expect(el1(ICC.iar1) == 33)
        el1(ICC.eoir1, 33)
        #expect(!gic.active[gic.slot(0, 48)])
    }

    @Test func splitEOIAndMaintenance() {
        enable()
        el2(ICH.vmcr, 0xf8 << 24 | 1 << 9 | 2)          // VEOIM: EOIR drops priority, DIR deactivates
        el2(ICH.lr(0), lr(state: 1, vintid: 50, eoi: true))
        #expect(el1(ICC.iar1) == 50)
        el1(ICC.eoir1, 50)
        #expect(el2(ICH.lr(0)) >> 62 == 2)              // still active
        el1(ICC.dir, 50)
        #expect(el2(ICH.lr(0)) >> 62 == 0)
        // EOI maintenance: the list register asked for it (EOI = 1, HW = 0).
        #expect(el2(ICH.eisr) == 1 && el2(ICH.misr) & 1 == 1)
        #expect(gic.level[gic.slot(0, 25)])             // maintenance PPI 25 asserted
        el2(ICH.lr(0), 0)
        #expect(!gic.level[gic.slot(0, 25)])
        // A deactivation with no matching list register counts in EOIcount.
        el1(ICC.dir, 77)
        #expect(el2(ICH.hcr) >> 27 == 1)
        el2(ICH.hcr, 1 | 4)                              // LRENPIE: EOIcount != 0 asks for maintenance
        #expect(el2(ICH.misr) & 4 == 0)                  // the write cleared EOIcount
    }

    @Test func withoutRoutingTheGuestReachesThePhysicalInterface() {
        enable()
        el2(ICH.lr(0), lr(state: 1, vintid: 27))
        cpus[0].st.pointee.hcrEL2 = HCR.RW
        #expect(el1(ICC.iar1) == 1023)                   // nothing pending physically
        #expect(el2(ICH.lr(0)) >> 62 == 1)               // the list register is untouched
    }
}

/// Generating an SGI at EL1 while EL2 routes interrupts traps to EL2 (EC 0x18), so that the
/// hypervisor can send the virtual SGI itself.
@Test func sgiGenerationTrapsToEL2WhenRouted() throws {
    let cpus = try makeTestCPUs(1)
    let c = cpus[0]
    let cpuif = GICv3CPUInterface(GICCore(cpus: cpus))   // the CPU holds it weakly: the test owns it
    c.gicInterface = cpuif
    defer { withExtendedLifetime(cpuif) {} }
    let code: UInt64 = 0x4000_0000
    #expect(c.bus.write(code, size: 4, value: 0xd518_cba0))   // msr icc_sgi1r_el1, x0
    c.reset(entry: code, el: 1)
    c.st.pointee.hcrEL2 = HCR.RW | HCR.IMO
    c.st.pointee.vbarEL2 = 0x4000_8000
    _ = c.run(1)
    #expect(c.el == 2)
    #expect(c.pc == 0x4000_8000 + 0x400)                       // lower EL, AArch64, synchronous
    #expect(c.st.pointee.esrEL2 >> 26 == 0x18)
    #expect(c.st.pointee.elrEL2 == code)
}
