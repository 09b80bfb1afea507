// Snapshot state of a CPU: registers, the architectural state struct and the debug registers.
// The state struct is kept as its raw bytes: a snapshot records its size, and one made by a
// build with another layout is refused rather than misread.

extension CPU: StateSaving {
    public static var stateLayout: Int { MemoryLayout<CPUState>.size }

    public func save(_ w: inout StateWriter) {
        w.u64s((0..<Reg.count).map { x[$0] })
        w.u64s((0..<64).map { v[$0] })
        w.int(CPU.stateLayout)
        w.raw(st.pointee)
        w.u64s((0..<64).map { debugRegs[$0] })
    }

    public func restore(_ r: inout StateReader) throws {
        let regs = try r.u64s(count: Reg.count, "general registers")
        let vregs = try r.u64s(count: 64, "vector registers")
        guard try r.int() == CPU.stateLayout else {
            throw StateError("the CPU state was saved by an hvsim build with another layout")
        }
        try CPUState.checkBools(r.bytes(r.at, count: CPU.stateLayout))
        var s = try r.raw(CPUState.self)
        try s.checkBounds()
        let dbg = try r.u64s(count: 64, "debug registers")
        // The configuration is the machine's, built from the same options, not the file's
        // (a damaged one had instructionsPerTick 0, and the timers divided by it), and so
        // is the identity the board gave this CPU.
        s.keepConfiguration(of: st.pointee)
        s.midr = st.pointee.midr; s.mpidr = st.pointee.mpidr
        for i in 0..<Reg.count { x[i] = regs[i] }
        for i in 0..<64 { v[i] = vregs[i]; debugRegs[i] = dbg[i] }
        st.pointee = s
        st.pointee.checkInterrupts = true
        flushTLB(all: true)
    }
}

extension CPUState {
    /// The fields a file's bytes must hold a Bool in (a byte of 0 or 1; any other byte
    /// loaded as a Bool is undefined behaviour, not merely a wrong value).
    static let boolFields: [PartialKeyPath<CPUState>] = [
        \.irqLine, \.fiqLine, \.serrorPending, \.virqLine, \.vfiqLine, \.event, \.checkInterrupts,
        \.exitRequest, \.insideBlock, \.resumeInPage, \.stepStartInside, \.midStraight, \.watchStop,
        \.hasEL2, \.semihosting, \.userMode, \.hasBreakpoints, \.hasWatchpoints, \.hostedEL2, \.compileBlocks,
    ]

    /// PSTATE and the other fields that only ever hold a few values, with what they may be:
    /// the code that reads them relies on it (the exclusive monitor's size picks how much
    /// memory to compare, a hosted trap is a VectorKind).
    static let boundedFields: [(name: String, field: KeyPath<CPUState, UInt64>, valid: (UInt64) -> Bool)] = [
        ("EL", \.el, { $0 <= 2 }),
        ("PSTATE.SP", \.spsel, { $0 <= 1 }),
        ("PSTATE.PAN", \.pan, { $0 <= 1 }),
        ("PSTATE.IL", \.illegal, { $0 <= 1 }),
        ("PSTATE.DAIF", \.daif, { $0 & ~0x3c0 == 0 }),
        ("the exclusive monitor's size", \.exclusiveSize, { [0, 1, 2, 4, 8, 16].contains($0) }),
        ("the pending hosted trap", \.hostedTrap, { $0 == 0 || VectorKind(rawValue: $0 &- 1) != nil }),
    ]

    /// Checks a CPU state's bytes from a file before they are loaded as one.
    static func checkBools(_ bytes: [UInt8]) throws {
        for f in boolFields {
            guard let at = MemoryLayout<CPUState>.offset(of: f), at < bytes.count else { continue }
            guard bytes[at] <= 1 else { throw StateError("the CPU state holds \(bytes[at]) in a Bool at offset \(at)") }
        }
    }

    func checkBounds() throws {
        for f in CPUState.boundedFields where !f.valid(self[keyPath: f.field]) {
            throw StateError("the CPU state's \(f.name) is \(self[keyPath: f.field]), which no CPU can have")
        }
    }
}
