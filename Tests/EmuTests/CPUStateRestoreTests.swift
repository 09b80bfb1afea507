import Testing
@testable import Emu

/// A CPU state read back from a file is checked field by field before the CPU takes it.
@Suite struct CPUStateRestoreTests {
    static func cpu() throws -> CPU {
        let bus = Bus()
        _ = try bus.addRAM(base: 0x4000_0000, size: 1 << 20)
        let c = CPU(index: 0, bus: bus, codeCache: CPU.makeCodeCache(bus: bus))
        c.reset(entry: 0x4000_0000, el: 1)
        return c
    }

    /// Where CPUState starts in what `CPU.save` writes: the general and vector registers
    /// (each a count and the words), then the layout's size.
    static let stateStart = 4 + 8 * Reg.count + 4 + 8 * 64 + 8

    static func restore(_ edit: (inout [UInt8]) -> Void) throws -> String? {
        let c = try cpu()
        var w = StateWriter()
        c.save(&w)
        var bytes = w.bytes
        edit(&bytes)
        var r = StateReader(bytes)
        do { try c.restore(&r); return nil } catch { return "\(error)" }
    }

    static func offset(_ f: PartialKeyPath<CPUState>) -> Int { stateStart + MemoryLayout<CPUState>.offset(of: f)! }

    static func put(_ v: UInt64, _ f: KeyPath<CPUState, UInt64>, in b: inout [UInt8]) {
        for k in 0..<8 { b[offset(f) + k] = UInt8(truncatingIfNeeded: v >> (8 * k)) }
    }

    @Test func theStateAsSavedRestores() throws {
        #expect(try Self.restore { _ in } == nil)
    }

    /// Every Bool of CPUState is in the table the check reads (a new one added to the
    /// struct and not to the table fails here).
    @Test func everyBoolIsChecked() {
        let bools = Mirror(reflecting: CPUState()).children.filter { $0.value is Bool }.count
        #expect(bools == CPUState.boolFields.count)
    }

    @Test func aByteThatIsNoBoolIsRefused() throws {
        for f in CPUState.boolFields {
            let error = try Self.restore { $0[Self.offset(f)] = 2 }
            #expect(error?.contains("Bool") == true, "\(f): \(error ?? "restored")")
        }
    }

    @Test func valuesNoCPUCanHaveAreRefused() throws {
        let bad: [(KeyPath<CPUState, UInt64>, UInt64, String)] = [
            (\.el, 3, "EL"), (\.spsel, 2, "PSTATE.SP"), (\.pan, 5, "PAN"), (\.illegal, 2, "PSTATE.IL"),
            (\.daif, 0x3c1, "DAIF"), (\.exclusiveSize, 0x8000_0000_0000_0000, "exclusive monitor"),
            (\.exclusiveSize, 3, "exclusive monitor"), (\.hostedTrap, 2, "hosted trap"),
        ]
        for (f, v, what) in bad {
            let error = try Self.restore { Self.put(v, f, in: &$0) }
            #expect(error?.contains(what) == true, "\(f) = \(v): \(error ?? "restored")")
        }
        // Values a CPU does have still restore.
        for (f, v) in [(\CPUState.exclusiveSize, UInt64(16)), (\.hostedTrap, VectorKind.irq.rawValue + 1), (\.daif, 0x140)] {
            #expect(try Self.restore { Self.put(v, f, in: &$0) } == nil)
        }
    }

    /// The board's identity for the CPU and its configuration are the machine's, not the file's.
    @Test func identityAndConfigurationStayTheMachines() throws {
        let c = try Self.cpu()
        let mpidr = c.st.pointee.mpidr, perTick = c.st.pointee.instructionsPerTick
        var w = StateWriter()
        c.save(&w)
        var bytes = w.bytes
        Self.put(0x8000_0123, \.mpidr, in: &bytes)
        Self.put(0, \.instructionsPerTick, in: &bytes)
        var r = StateReader(bytes)
        try c.restore(&r)
        #expect(c.st.pointee.mpidr == mpidr && c.st.pointee.instructionsPerTick == perTick)
    }
}
