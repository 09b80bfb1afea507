// Floating point and Advanced SIMD execution (Arm ARM C7): the FP access checks and the
// dispatch of `.fpsimd` slots to the handler groups of Exec/FPSIMD*.swift and Exec/SIMD*.swift.

extension CPU {
    /// Executes one FP/SIMD slot. Returns false if it took an exception.
    @inline(never)
    func executeFPSIMD(_ s: Slot, ctx: Int, pc: UInt64) -> Bool {
        if fpAccessTrapped(pc: pc) { return false }
        switch s.fgroup {
        case 0: return loadStoreSingle(s, ctx: ctx, pc: pc)
        case 1: return loadStoreStructures(s, ctx: ctx, pc: pc)
        case 2: fpScalar(s)
        case 3: fpTransfer(s)
        case 4: floatBinary(s)
        case 5: floatUnary(s)
        case 6: intBinary(s)
        case 7: intUnary(s)
        case 8: intWidenNarrow(s)
        case 9: permute(s)
        default: shiftImmediate(s)
        }
        return true
    }

    /// AArch64.CheckFPAdvSIMDEnabled: CPACR_EL1.FPEN traps EL0/EL1 to EL1 (to EL2 with
    /// EC 0 when HCR_EL2.TGE routes it there); CPTR_EL2.TFP traps EL0-EL2 to EL2. The
    /// syndrome carries CV = 1, COND = 0xE. Returns true if an exception was taken.
    @inline(__always)
    func fpAccessTrapped(pc: UInt64) -> Bool {
        let s = st.pointee
        if s.el < 2 {
            let fpen = (s.cpacrEL1 >> 20) & 3
            if fpen != 3 && (fpen != 1 || s.el == 0) { fpTrap(pc: pc, toEL2: false); return true }
        }
        if s.cptrEL2 & (1 << 10) != 0 && hasEL2 { fpTrap(pc: pc, toEL2: true); return true }
        return false
    }

    @inline(never)
    private func fpTrap(pc: UInt64, toEL2: Bool) {
        let s = st.pointee
        if toEL2 {
            syncException(ec: EC.fpAccess, iss: 0x1e0_0000, pc: pc, target: 2)
        } else if s.el == 0 && hasEL2 && s.hcrEL2 & HCR.TGE != 0 {
            syncException(ec: EC.unknown, iss: 0, pc: pc, target: 2)
        } else {
            syncException(ec: EC.fpAccess, iss: 0x1e0_0000, pc: pc, target: 1)
        }
    }
}
