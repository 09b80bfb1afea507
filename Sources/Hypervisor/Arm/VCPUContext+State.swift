import Emu

/// Snapshot state of a vCPU that is off its pCPU (a loaded vCPU's registers are the CPU's,
/// which the machine saves). Every field of VCPUContext: one added there belongs here too.
extension VCPUContext {
    private var systemRegisters: [UInt64] {
        [spEL0, spEL1, pc, pstate, fpcr, fpsr, sctlr, actlr, cpacr, ttbr0, ttbr1, tcr, mair, amair,
         vbar, elr, spsr, esr, far, par, contextidr, afsr0, afsr1, tpidrEL0, tpidrroEL0, tpidrEL1,
         cntkctl, csselr, mdscr, cntvCtl, cntvCval, ichVMCR, ichAP0R, ichAP1R]
    }
    private static let systemRegisterCount = 34

    func save(_ w: inout StateWriter) {
        w.u64s(x); w.u64s(v)
        w.u64s(systemRegisters)
        w.bool(event)
        w.u64s(ichLR)
    }

    init(from r: inout StateReader) throws {
        x = try r.u64s("vCPU general registers", exactly: 31)
        v = try r.u64s("vCPU vector registers", exactly: 64)
        let s = try r.u64s("vCPU system registers", exactly: VCPUContext.systemRegisterCount)
        (spEL0, spEL1, pc, pstate, fpcr, fpsr) = (s[0], s[1], s[2], s[3], s[4], s[5])
        (sctlr, actlr, cpacr, ttbr0, ttbr1, tcr, mair, amair) = (s[6], s[7], s[8], s[9], s[10], s[11], s[12], s[13])
        (vbar, elr, spsr, esr, far, par, contextidr) = (s[14], s[15], s[16], s[17], s[18], s[19], s[20])
        (afsr0, afsr1, tpidrEL0, tpidrroEL0, tpidrEL1) = (s[21], s[22], s[23], s[24], s[25])
        (cntkctl, csselr, mdscr, cntvCtl, cntvCval) = (s[26], s[27], s[28], s[29], s[30])
        (ichVMCR, ichAP0R, ichAP1R) = (s[31], s[32], s[33])
        event = try r.bool()
        ichLR = try r.u64s("vCPU list registers", exactly: ICH.listRegisters)
    }
}
