// Floating point and Advanced SIMD execution (Arm ARM C7). Not implemented yet: no
// encoding decodes to `.fpsimd`, ID_AA64PFR0_EL1 reports FP and AdvSIMD as absent, and
// every FP/SIMD encoding is UNDEFINED.

extension CPU {
    /// Executes one FP/SIMD slot. Returns false if it took an exception.
    @inline(never)
    func executeFPSIMD(_ s: Slot, ctx: Int, pc: UInt64) -> Bool {
        undefined(pc: pc)
        return false
    }
}
