import Testing
@testable import Emu

/// The block compiler (Sources/Emu/Compile) against the interpreter it stands in for, by
/// CompilerCheck (random programs on two CPUs, compiling and interpreting), and its code
/// memory and invalidation.
@Suite struct BlockCompilerTests {
    static let code = CompilerCheck.code, body = CompilerCheck.body, buffer = CompilerCheck.buffer
    static func machine(_ body: [UInt32], seed: UInt64, compile: Bool, driver: [UInt32]? = nil,
                        compiledCodeBytes: Int = 32 << 20) throws -> CompilerCheck.Machine {
        try CompilerCheck.machine(body, seed: seed, compile: compile, driver: driver, compiledCodeBytes: compiledCodeBytes)
    }

    @Test("random programs run the same compiled and interpreted", arguments: 0..<24)
    func randomProgram(seed: UInt64) throws {
        var g = RandomProgram(seed: seed)
        let o = try CompilerCheck.compare(g.body(), seed: seed)
        #expect(o.difference == nil, "seed \(seed): \(o.difference ?? "")")
        #expect(o.exit == .svcUser(imm: 0), "seed \(seed): stopped with \(o.exit)")
        #expect(o.regionsCompiled > 0)
    }

    /// A code memory that fills is emptied, and the regions it held are compiled again.
    @Test func aFullCodeMemoryIsEmptied() throws {
        // Eight functions (x0 += k + 1, five times, then ret), each called 30 times: more
        // regions than 1 KiB of code memory holds.
        var body = [UInt32](repeating: 0xd503_201f, count: 8 * 16)
        for k in 0..<8 {
            for i in 0..<5 { body[16 * k + i] = 0x9100_0000 | UInt32(k + 1) << 10 }    // add x0, x0, #k+1
            body[16 * k + 5] = 0xd65f_03c0                                            // ret
        }
        let driver: [UInt32] = [0xd280_03db] + (0..<8).map { 0xd63f_0000 | UInt32(10 + $0) << 5 }   // movz x27, #30; blr x10..x17
            + [0xf100_077b, 0x5400_0001 | (UInt32(bitPattern: -9) & 0x7ffff) << 5, 0xd400_0001]   // subs; b.ne; svc
        let m = try Self.machine(body, seed: 1, compile: true, driver: driver, compiledCodeBytes: 1024)
        m.cpu[0] = 0
        for k in 0..<8 { m.cpu[10 + k] = Self.body + UInt64(64 * k) }
        while true {
            let e = m.cpu.run(1000)
            if case .svcUser = e { break }
            guard e == .budget else { Issue.record("stopped with \(e)"); return }
        }
        #expect(m.cpu[0] == 30 * 5 * 36)
        #expect((m.cpu.code.compiler?.timesEmptied ?? 1) > 0)
        #expect((m.cpu.code.compiler?.regionsCompiled ?? 9) > 8)
    }

    /// A compiled region is dropped when its page is written: the new code runs.
    @Test func aStoreToItsPageForgetsARegion() throws {
        // The body: x0 += 1 five times, then ret; the driver calls it, patches the first
        // ADD to add 100 instead, and calls it again.
        let add1: UInt32 = 0x9100_0400, add100: UInt32 = 0x9101_9000     // add x0, x0, #1 / #100
        let m = try Self.machine([add1, add1, add1, add1, add1, 0xd65f_03c0], seed: 0, compile: true,
                                 driver: [0xd63f_0380,                  // blr x28
                                          0xb900_0399,                  // str w25, [x28]
                                          0xd63f_0380,                  // blr x28
                                          0xd400_0001])                 // svc #0
        m.cpu[0] = 0
        m.cpu[25] = UInt64(add100)
        while true {
            let e = m.cpu.run(1000)
            if case .svcUser = e { break }
            guard e == .budget else { Issue.record("stopped with \(e)"); return }
        }
        #expect(m.cpu[0] == 5 + 104)
        #expect((m.cpu.code.compiler?.regionsCompiled ?? 2) >= 2)
    }
}
