// One A64 processing element. Hot state lives behind unsafe pointers (registers,
// CPUState, TLB) so the interpreter touches no Swift arrays and no class `var`s.

/// Why `CPU.run` returned to its caller (docs/architecture.md, "Traps are values").
public enum Exit: Equatable, Sendable {
    case budget                 // ran the requested number of instructions
    case wfi                    // WFI with nothing pending (PC is past the WFI)
    case wfe                    // WFE with the event register clear (PC is past the WFE)
    case sev                    // SEV: the machine signals an event to every CPU
    case smc(imm: UInt16)       // SMC with EL3 absent: the machine's firmware serves it
    case hvcFirmware(imm: UInt16) // HVC at EL1 with no EL2 software: firmware (PSCI) serves it
    case semihosting            // HLT #0xF000 with semihosting enabled (PC is past the HLT)
    case breakpoint             // PC reached a host-side breakpoint
    case svcUser(imm: UInt16)   // SVC in user-mode emulation (PC is past the SVC)
    case userException(esr: UInt64, far: UInt64) // any other exception in user-mode emulation
    /// An exception was taken to EL2 while a hosted hypervisor owns EL2 (`hostedEL2`):
    /// ESR/ELR/SPSR/FAR/HPFAR_EL2 hold it, and the hypervisor in Swift handles it, then
    /// returns to the guest with `returnFromHypervisor()` (an ERET).
    case hypervisorTrap(VectorKind)
}

/// An interrupt controller's system-register CPU interface (GICv3 ICC_*/ICH_*). The CPU
/// has already checked the minimum EL; the controller returns nil / false for UNDEFINED.
public protocol GICSystemRegisters: AnyObject {
    func readRegister(_ cpu: CPU, encoding: UInt32) -> UInt64?
    func writeRegister(_ cpu: CPU, encoding: UInt32, value: UInt64) -> Bool
}

public final class CPU {
    public let index: Int
    public let bus: Bus
    let code: CodeCache
    /// X0...X30, ZR, the XZR sink and SP (see `Reg`).
    public let x: UnsafeMutablePointer<UInt64>
    public let st: UnsafeMutablePointer<CPUState>
    /// V0...V31, 128 bits each as two little-endian UInt64 (low half first).
    public let v: UnsafeMutablePointer<UInt64>
    /// TLB.tables tables of TLB.entries entries, then TLB's bookkeeping (TLB.allocation).
    let tlbBase: UnsafeMutablePointer<TLBEntry>
    /// The machine page and decoded code of each of `tlbBase`'s table entries (`tlbPage`).
    let tlbPages: UnsafeMutablePointer<TLBPage>

    /// How PSCI reaches the machine's firmware, as on QEMU's virt board: by HVC when
    /// the guest starts at EL1 (EL2 belongs to the firmware; SMC is then UNDEFINED, EL3
    /// being absent), by SMC when the guest owns EL2.
    public enum Conduit: Sendable { case hvc, smc }
    public var conduit: Conduit = .smc
    // The configuration flags below are read inside the interpreter, so they live in the
    // pointer-backed `CPUState` (a class stored property costs an exclusivity check per read).
    /// Whether EL2 exists. Without it HVC is UNDEFINED and stage 2 never applies.
    public var hasEL2: Bool {
        get { st.pointee.hasEL2 }
        set { st.pointee.hasEL2 = newValue }
    }
    /// HLT #0xF000 exits to the machine (Arm semihosting) instead of being UNDEFINED.
    public var semihosting: Bool {
        get { st.pointee.semihosting }
        set { st.pointee.semihosting = newValue }
    }
    /// EL2 belongs to a hypervisor written in Swift (docs/architecture.md, "Hosting the hypervisor"):
    /// an exception to EL2 ends `run` with `.hypervisorTrap` instead of entering VBAR_EL2.
    public var hostedEL2: Bool {
        get { st.pointee.hostedEL2 }
        set { st.pointee.hostedEL2 = newValue }
    }
    /// Hot blocks run compiled to host code (Compile/BlockCompiler.swift) where the host
    /// allows; false interprets every instruction. The results are the same either way.
    public var compileBlocks: Bool {
        get { st.pointee.compileBlocks }
        set { st.pointee.compileBlocks = newValue }
    }
    /// How many times a block starts before it is compiled: 0 compiles every block the
    /// first time (tests of the block compiler).
    public var compileThreshold: UInt64 {
        get { st.pointee.compileThreshold }
        set { st.pointee.compileThreshold = min(newValue, RegionWord.refused - 1) }
    }
    /// User-mode emulation (differential tests): SVC and faults exit to the caller.
    public var userMode: Bool {
        get { st.pointee.userMode }
        set { st.pointee.userMode = newValue }
    }
    /// Instructions per tick of the generic counter (CNTPCT = virtual time / ticks).
    public var instructionsPerTick: UInt64 {
        get { st.pointee.instructionsPerTick }
        set { st.pointee.instructionsPerTick = max(newValue, 1) }
    }
    /// The GIC CPU interface (GICv3 system registers); nil with a GICv2 or no GIC. Weak:
    /// the interface holds the GIC, which holds the CPUs; whoever built them owns it.
    public weak var gicInterface: GICSystemRegisters? = nil
    /// Host-side breakpoints (gdb, tests); checked when a block starts.
    public var breakpoints: Set<UInt64> = [] { didSet { st.pointee.hasBreakpoints = !breakpoints.isEmpty } }
    var hasBreakpoints: Bool { st.pointee.hasBreakpoints }
    /// Called on each exception entry (tracing): kind, syndrome, from EL, to EL, return address.
    public var onException: ((CPU, VectorKind, UInt64, UInt64, UInt64, UInt64) -> Void)? = nil
    /// Called before every instruction when set (tracing). Slow: only with --trace.
    public var tracer: ((CPU, UInt64) -> Void)? = nil
    /// In user-mode emulation, the exception that stopped the run (ESR, FAR).
    var userException: (UInt64, UInt64)? = nil
    /// Set by the machine to resume at a PC that holds a breakpoint.
    public var skipBreakpointAt: UInt64? = nil
    /// Host-side watchpoints (gdb). Their pages are kept out of the soft TLB, so only
    /// accesses to them take the slow path, where they are checked (Watchpoints.swift).
    public var watchpoints: [Watchpoint] = [] { didSet { watchpointsChanged() } }
    /// The watchpoint that ended the last run with `.breakpoint` (before its access), if any.
    public var watchpointHit: WatchpointHit? = nil
    /// Set by the machine to resume over the access that hit a watchpoint: (PC, icount).
    public var skipWatchpointAt: (pc: UInt64, icount: UInt64)? = nil
    /// Instruction by instruction: a run ends exactly at its budget (the gdb stub's
    /// deterministic mode). Interrupts are still looked at only where the fast loop looks.
    public var singleStepping = false
    /// The current run's `toBlockEnd` (read by the stepping loop only).
    var stepToBlockEnd = false
    /// A walk since the EL1 context of the TLB was last emptied gave EL1 data access to an
    /// EL0-accessible page (PAN was clear), so setting PAN must empty it (`setPAN`).
    var el1MayReachUserPages = false
    /// DBGBVR/DBGBCR/DBGWVR/DBGWCR storage (16 each).
    let debugRegs: UnsafeMutablePointer<UInt64>
    /// ConditionHolds as a bit set per condition (see makeConditionTable).
    let conditions: UnsafeMutablePointer<UInt16>
    /// What the interpreter and a compiled region pass each other.
    let regionIO: UnsafeMutablePointer<RegionIO>

    public init(index: Int, bus: Bus, codeCache: CodeCache) {
        self.index = index
        self.bus = bus
        self.code = codeCache
        x = .allocate(capacity: Reg.count)
        x.initialize(repeating: 0, count: Reg.count)
        v = .allocate(capacity: 64)
        v.initialize(repeating: 0, count: 64)
        st = .allocate(capacity: 1)
        st.initialize(to: CPUState())
        st.pointee.mpidr = CPUAffinity.mpidr(ofCPU: index)
        st.pointee.vmpidrEL2 = st.pointee.mpidr
        st.pointee.vpidrEL2 = st.pointee.midr
        // Aligned to a cache line, so no entry straddles two (TLBEntry).
        let tlbMemory = UnsafeMutableRawPointer.allocate(byteCount: TLB.allocation * MemoryLayout<TLBEntry>.stride, alignment: 64)
        tlbBase = tlbMemory.bindMemory(to: TLBEntry.self, capacity: TLB.tables * TLB.entries)
        tlbBase.initialize(repeating: TLBEntry(), count: TLB.tables * TLB.entries)
        // After the tables, the large mappings' lists (TLBLargeMappings.swift): UInt64 words,
        // all zero, so every list starts empty.
        (tlbMemory + TLB.tables * TLB.entries * MemoryLayout<TLBEntry>.stride)
            .initializeMemory(as: UInt64.self, repeating: 0, count: TLB.largeWords)
        tlbPages = .allocate(capacity: TLB.tables * TLB.entries)
        tlbPages.initialize(repeating: TLBPage(), count: TLB.tables * TLB.entries)
        codeCache.tlbs.append((tlbBase, tlbPages))
        debugRegs = .allocate(capacity: 64)
        debugRegs.initialize(repeating: 0, count: 64)
        conditions = makeConditionTable()
        regionIO = .allocate(capacity: 1)
        regionIO.initialize(to: RegionIO(st: UnsafeMutableRawPointer(st)))
    }

    deinit {
        code.tlbs.removeAll { $0.entries == tlbBase }
        x.deallocate(); v.deallocate(); st.deallocate(); tlbBase.deallocate(); tlbPages.deallocate(); debugRegs.deallocate(); conditions.deallocate(); regionIO.deallocate()
    }

    public static func makeCodeCache(bus: Bus) -> CodeCache { CodeCache(bus: bus) }
    /// A code cache whose block compiler has `compiledCodeBytes` of code memory (tests: a
    /// small one fills and empties often).
    static func makeCodeCache(bus: Bus, compiledCodeBytes: Int) -> CodeCache {
        CodeCache(bus: bus, compiledCodeBytes: compiledCodeBytes)
    }

    // MARK: Register access for loaders, firmware and tests

    public var pc: UInt64 {
        get { st.pointee.pc }
        set { st.pointee.pc = newValue }
    }

    public var el: Int { Int(st.pointee.el) }

    /// PSTATE.NZCV in bits 31:28, kept in the register buffer (`Reg.nzcv`).
    public var nzcv: UInt64 {
        get { x[Int(Reg.nzcv)] }
        set { x[Int(Reg.nzcv)] = newValue }
    }

    public subscript(reg: Int) -> UInt64 {
        get { reg == 31 ? x[Int(Reg.sp)] : x[reg] }
        set { if reg == 31 { x[Int(Reg.sp)] = newValue } else if reg < 31 { x[reg] = newValue } }
    }

    public var sp: UInt64 {
        get { x[Int(Reg.sp)] }
        set { x[Int(Reg.sp)] = newValue }
    }

    /// PSTATE in SPSR format.
    public var pstate: UInt64 {
        let s = st.pointee
        return nzcv | s.daif | s.pan << 22 | s.illegal << 20 | s.el << 2 | s.spsel
    }

    /// Resets the CPU to start at `entry` in exception level `el` (1 or 2) with
    /// interrupts masked, MMU off, SP_ELx selected.
    public func reset(entry: UInt64, el: Int) {
        let keep = st.pointee
        st.initialize(to: CPUState())
        st.pointee.keepConfiguration(of: keep)
        let keepMPIDR = keep.mpidr, keepMIDR = keep.midr
        st.pointee.mpidr = keepMPIDR; st.pointee.midr = keepMIDR
        st.pointee.vmpidrEL2 = keepMPIDR; st.pointee.vpidrEL2 = keepMIDR
        for i in 0..<Reg.count { x[i] = 0 }
        for i in 0..<64 { v[i] = 0 }
        st.pointee.el = UInt64(el)
        st.pointee.pc = entry
        if el == 1 { st.pointee.hcrEL2 = HCR.RW }   // EL1 is AArch64
        flushTLB(all: true)
    }

    // MARK: TLB control

    @inline(__always) func tlb(_ context: Int) -> UnsafeMutablePointer<TLBEntry> {
        tlbBase + context &* TLB.entries
    }

    /// The entry that caches `va` in the table of `context`.
    @inline(__always) func tlbEntry(_ context: Int, _ va: UInt64) -> UnsafeMutablePointer<TLBEntry> {
        tlb(context) + TLB.index(va)
    }

    /// The machine page and decoded code of TLB entry `e`.
    @inline(__always) func tlbPage(_ e: UnsafeMutablePointer<TLBEntry>) -> UnsafeMutablePointer<TLBPage> {
        tlbPages + (e - tlbBase)
    }

    /// Drops cached translations: of the EL1&0 regime, or of all regimes. Stage 2's walks
    /// go too, unless `stage2` is false (what changed can only be stage 1).
    public func flushTLB(all: Bool, stage2: Bool = true) {
        if all { TLB.clear(tlbBase, contexts: 0..<TLB.tables) } else { TLB.clearGuest(tlbBase, stage2: stage2) }
        el1MayReachUserPages = false
    }

    func flushTLB(context: Int) {
        TLB.clear(tlbBase, contexts: context..<(context + 1))
        if context == 1 { el1MayReachUserPages = false }
    }
}
