// Architectural state of one A64 processing element, other than the general-purpose
// registers (which live in their own buffer, see `Reg`). It is kept behind an unsafe
// pointer so the interpreter reads and writes it without exclusivity checks or ARC.

public struct CPUState {
    // PSTATE (Arm ARM D1.4): daif in bits 9:6 as in SPSR. NZCV is with the registers (Reg.nzcv).
    public var pc: UInt64 = 0
    public var daif: UInt64 = 0x3c0
    public var el: UInt64 = 1
    public var spsel: UInt64 = 1
    public var pan: UInt64 = 0
    public var illegal: UInt64 = 0        // PSTATE.IL
    public var icount: UInt64 = 0         // retired instructions

    // Banked stack pointers (the live one is register `Reg.sp`).
    public var spEL0: UInt64 = 0, spEL1: UInt64 = 0, spEL2: UInt64 = 0

    // Exception registers
    public var elrEL1: UInt64 = 0, elrEL2: UInt64 = 0, spsrEL1: UInt64 = 0, spsrEL2: UInt64 = 0
    public var esrEL1: UInt64 = 0, esrEL2: UInt64 = 0, farEL1: UInt64 = 0, farEL2: UInt64 = 0
    public var hpfarEL2: UInt64 = 0, vbarEL1: UInt64 = 0, vbarEL2: UInt64 = 0
    public var afsr0EL1: UInt64 = 0, afsr1EL1: UInt64 = 0, afsr0EL2: UInt64 = 0, afsr1EL2: UInt64 = 0

    // EL1&0 translation regime and controls. SCTLR reset values have the RES1 bits set.
    public var sctlrEL1: UInt64 = 0x30d0_0800, actlrEL1: UInt64 = 0, cpacrEL1: UInt64 = 0
    public var ttbr0EL1: UInt64 = 0, ttbr1EL1: UInt64 = 0, tcrEL1: UInt64 = 0
    public var mairEL1: UInt64 = 0, amairEL1: UInt64 = 0, parEL1: UInt64 = 0, contextidrEL1: UInt64 = 0
    public var tpidrEL0: UInt64 = 0, tpidrroEL0: UInt64 = 0, tpidrEL1: UInt64 = 0, cntkctlEL1: UInt64 = 0
    public var csselrEL1: UInt64 = 0

    // EL2
    public var sctlrEL2: UInt64 = 0x30c5_0830, actlrEL2: UInt64 = 0, hcrEL2: UInt64 = 0, mdcrEL2: UInt64 = 0
    public var cptrEL2: UInt64 = 0x33ff, hstrEL2: UInt64 = 0, hacrEL2: UInt64 = 0
    public var ttbr0EL2: UInt64 = 0, tcrEL2: UInt64 = 0x8080_0000, vttbrEL2: UInt64 = 0, vtcrEL2: UInt64 = 0x8000_0000
    public var mairEL2: UInt64 = 0, amairEL2: UInt64 = 0, tpidrEL2: UInt64 = 0
    public var vpidrEL2: UInt64 = 0, vmpidrEL2: UInt64 = 0

    // Generic timer (registers only; the timer device samples them)
    public var cntfrq: UInt64 = 0
    public var cntpCtl: UInt64 = 0, cntpCval: UInt64 = 0, cntvCtl: UInt64 = 0, cntvCval: UInt64 = 0
    public var cnthpCtl: UInt64 = 0, cnthpCval: UInt64 = 0, cnthctlEL2: UInt64 = 3, cntvoffEL2: UInt64 = 0

    // Debug
    public var mdscrEL1: UInt64 = 0, mdccintEL1: UInt64 = 0, oslsrEL1: UInt64 = 0x8, osdlrEL1: UInt64 = 0
    public var dbgprcrEL1: UInt64 = 0

    // Floating point control/status
    public var fpcr: UInt64 = 0, fpsr: UInt64 = 0

    // Exclusive monitor: address, size and the value(s) the exclusive load saw.
    public var exclusiveAddr: UInt64 = ~0, exclusiveValue: UInt64 = 0, exclusiveValue2: UInt64 = 0
    public var exclusiveSize: UInt64 = 0

    // Interrupt inputs from the interrupt controller (level-sensitive).
    public var irqLine: Bool = false, fiqLine: Bool = false, serrorPending: Bool = false
    /// Virtual interrupt inputs from a GICv3 virtual CPU interface (taken at EL1/EL0 when
    /// HCR_EL2.IMO/FMO route them, like HCR_EL2.VI/VF).
    public var virqLine: Bool = false, vfiqLine: Bool = false
    /// The WFE event register.
    public var event: Bool = false
    /// Set when a register write may have unmasked an interrupt; checked at block boundaries.
    public var checkInterrupts: Bool = true
    /// Ends the current `run` at the next block boundary (set together with checkInterrupts).
    public var exitRequest: Bool = false
    /// The last run or step stopped where the fast loop has no block boundary (inside
    /// straight-line code or a loop within a page): the next run skips the boundary's
    /// checks once (Interpreter.swift).
    public var insideBlock: Bool = false
    /// A compiled region that had gone on into another page (block chaining) stopped in
    /// straight-line code there, at the PC: the fast loop goes on from it as inside a block
    /// (no boundary checks, the budget not looked at), as the interpreter would have.
    public var resumeInPage: Bool = false
    /// When stepping: the count at which the current step began, and whether it began
    /// inside a block (what a watchpoint stop restores, so that resuming changes nothing).
    public var stepStart: UInt64 = 0, stepStartInside: Bool = false
    /// When stepping: the last step ended in straight-line code, where the fast loop cannot
    /// stop; a run to a block's end goes on from here.
    public var midStraight: Bool = false
    /// A watchpoint stopped the current instruction (with exitRequest): see Watchpoints.swift.
    public var watchStop: Bool = false
    /// Added to icount to give the machine's virtual time (the generic counter's source).
    public var timeOffset: UInt64 = 0

    // Configuration (see the CPU properties of the same names), kept across resets.
    public var hasEL2 = true, semihosting = false, userMode = false, hasBreakpoints = false, hasWatchpoints = false
    public var hostedEL2 = false
    /// Hot blocks run as compiled regions (Compile/BlockCompiler.swift) where the host has a
    /// block compiler; off, everything is interpreted. Either way the run is the same.
    public var compileBlocks = true
    /// How many times a block starts before it is compiled (RegionWord).
    public var compileThreshold = RegionWord.defaultThreshold
    public var instructionsPerTick: UInt64 = 1
    /// The kind of the exception to EL2 a hosted hypervisor has still to handle (raw
    /// value + 1 of a VectorKind; 0 when none).
    public var hostedTrap: UInt64 = 0

    mutating func keepConfiguration(of o: CPUState) {
        hasEL2 = o.hasEL2; semihosting = o.semihosting; userMode = o.userMode; hostedEL2 = o.hostedEL2
        hasBreakpoints = o.hasBreakpoints; hasWatchpoints = o.hasWatchpoints; instructionsPerTick = o.instructionsPerTick
        compileBlocks = o.compileBlocks; compileThreshold = o.compileThreshold
    }

    /// Identity
    public var midr: UInt64 = 0x410f_d034      // Arm Cortex-A53 r0p4-shaped ARMv8.0 core
    public var mpidr: UInt64 = 0x8000_0000
}

// HCR_EL2 bits used by the CPU (Arm ARM D17.2.48).
public enum HCR {
    public static let VM: UInt64 = 1 << 0, SWIO: UInt64 = 1 << 1, FMO: UInt64 = 1 << 3, IMO: UInt64 = 1 << 4
    public static let AMO: UInt64 = 1 << 5, VF: UInt64 = 1 << 6, VI: UInt64 = 1 << 7, VSE: UInt64 = 1 << 8
    public static let DC: UInt64 = 1 << 12, TWI: UInt64 = 1 << 13, TWE: UInt64 = 1 << 14
    public static let TID0: UInt64 = 1 << 15, TID1: UInt64 = 1 << 16, TID2: UInt64 = 1 << 17
    public static let TID3: UInt64 = 1 << 18, TSC: UInt64 = 1 << 19, TIDCP: UInt64 = 1 << 20
    public static let TACR: UInt64 = 1 << 21, TSW: UInt64 = 1 << 22, TPCP: UInt64 = 1 << 23
    public static let TPU: UInt64 = 1 << 24, TTLB: UInt64 = 1 << 25, TVM: UInt64 = 1 << 26
    public static let TGE: UInt64 = 1 << 27, TDZ: UInt64 = 1 << 28, HCD: UInt64 = 1 << 29
    public static let TRVM: UInt64 = 1 << 30, RW: UInt64 = 1 << 31
}

// SCTLR_ELx bits (Arm ARM D17.2.118).
public enum SCTLR {
    public static let M: UInt64 = 1 << 0, A: UInt64 = 1 << 1, C: UInt64 = 1 << 2, SA: UInt64 = 1 << 3
    public static let SA0: UInt64 = 1 << 4, UMA: UInt64 = 1 << 9, I: UInt64 = 1 << 12, DZE: UInt64 = 1 << 14
    public static let UCT: UInt64 = 1 << 15, nTWI: UInt64 = 1 << 16, nTWE: UInt64 = 1 << 18
    public static let WXN: UInt64 = 1 << 19, SPAN: UInt64 = 1 << 23, EE: UInt64 = 1 << 25, UCI: UInt64 = 1 << 26
}

/// Exception classes (ESR_ELx.EC, Arm ARM D17.2.37).
public enum EC {
    public static let unknown: UInt64 = 0x00, wfx: UInt64 = 0x01, fpAccess: UInt64 = 0x07
    public static let illegalState: UInt64 = 0x0e, svc: UInt64 = 0x15, hvc: UInt64 = 0x16, smc: UInt64 = 0x17
    public static let sysReg: UInt64 = 0x18, instAbortLower: UInt64 = 0x20, instAbortSame: UInt64 = 0x21
    public static let pcAlign: UInt64 = 0x22, dataAbortLower: UInt64 = 0x24, dataAbortSame: UInt64 = 0x25
    public static let spAlign: UInt64 = 0x26, serror: UInt64 = 0x2f, breakpointLower: UInt64 = 0x30
    public static let softwareStepLower: UInt64 = 0x32, watchpointLower: UInt64 = 0x34, brk: UInt64 = 0x3c
}
