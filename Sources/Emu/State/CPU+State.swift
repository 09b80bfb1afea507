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
        var s = try r.raw(CPUState.self)
        let dbg = try r.u64s(count: 64, "debug registers")
        guard s.el <= 2 else { throw StateError("the CPU state is at EL\(s.el)") }
        // The configuration is the machine's, built from the same options, not the file's
        // (a damaged one had instructionsPerTick 0, and the timers divided by it).
        s.keepConfiguration(of: st.pointee)
        for i in 0..<Reg.count { x[i] = regs[i] }
        for i in 0..<64 { v[i] = vregs[i]; debugRegs[i] = dbg[i] }
        st.pointee = s
        st.pointee.checkInterrupts = true
        flushTLB(all: true)
    }
}
