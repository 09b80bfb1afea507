// The block compiler's own check (Sources/Emu/Compile): a program of the instructions it
// compiles runs on two CPUs, one compiling every block the first time it starts, one
// interpreting; after every run of a small budget both must be at the same place with the
// same count, and at the end have the same registers, flags and memory. The tests run it
// on random programs (RandomProgram), the fuzzer (`make fuzz`, target compiled) on programs
// its inputs pick. The interpreter itself is checked against QEMU by the differential tests.

/// Two CPUs, compiling and interpreting, running the same program.
public enum CompilerCheck {
    public static let code: UInt64 = 0x40_0000, body: UInt64 = 0x40_1000
    /// The scratch buffer: x20 points 16 bytes before a page boundary, so some accesses
    /// cross it and take the slow path, as do the unaligned ones.
    public static let buffer: UInt64 = 0x40_4000 - 16

    /// What a comparison found: the first difference (nil: none), how the runs ended, and
    /// how many regions the compiling CPU compiled.
    public struct Outcome { public let difference: String?, exit: Exit, regionsCompiled: Int }

    /// Runs `words` as the body on both CPUs (registers and buffer from `seed`), `budget`
    /// instructions at a time, until they stop or differ.
    public static func compare(_ words: [UInt32], seed: UInt64, budget: UInt64 = 13, maxRuns: Int = 100_000) throws -> Outcome {
        let a = try machine(words, seed: seed, compile: true)
        let b = try machine(words, seed: seed, compile: false)
        func outcome(_ d: String?, _ e: Exit) -> Outcome { Outcome(difference: d, exit: e, regionsCompiled: a.cpu.code.compiler?.regionsCompiled ?? 0) }
        var runs = 0, exit = Exit.budget
        while runs < maxRuns {
            let ea = a.cpu.run(budget), eb = b.cpu.run(budget)
            exit = ea
            guard ea == eb else { return outcome("after run \(runs): compiled stopped with \(ea), interpreted with \(eb)", ea) }
            guard a.cpu.st.pointee.icount == b.cpu.st.pointee.icount, a.cpu.pc == b.cpu.pc else {
                return outcome("after run \(runs), compiled at \(hex(a.cpu.pc)) count \(a.cpu.st.pointee.icount), interpreted at \(hex(b.cpu.pc)) count \(b.cpu.st.pointee.icount)", ea)
            }
            runs += 1
            if ea != .budget { break }
        }
        for r in 0..<Int(Reg.count) where a.cpu.x[r] != b.cpu.x[r] {
            return outcome("register \(r) is \(hex(a.cpu.x[r])) compiled, \(hex(b.cpu.x[r])) interpreted", exit)
        }
        for off in stride(from: 0, to: 0x1400, by: 8) {
            let pa = buffer - 0x900 + UInt64(off)
            if a.bus.read(pa, size: 8) != b.bus.read(pa, size: 8) { return outcome("memory at \(hex(pa)) differs", exit) }
        }
        return outcome(nil, exit)
    }

    public struct Machine { public let bus: Bus; public let cpu: CPU }

    /// A user-mode CPU whose driver calls the body (at `body`) 30 times, then makes an SVC.
    /// The body's RET chains to the region after the call (block chaining), which stops at
    /// a UDIV, in straight-line code of that other page.
    public static func machine(_ body: [UInt32], seed: UInt64, compile: Bool, driver: [UInt32]? = nil,
                        compiledCodeBytes: Int = 32 << 20) throws -> Machine {
        let bus = Bus()
        _ = try bus.addRAM(base: 0x40_0000, size: 1 << 20)
        let loop: [UInt32] = [0xd280_03db,      // movz x27, #30
                              0xd63f_0380,      // blr x28
                              0x9100_0673, 0x9100_0a73, 0x9100_0e73, 0x9100_1273,   // add x19, x19, #1..4
                              0x9adb_0a72,      // udiv x18, x19, x27
                              0xf100_077b,      // subs x27, x27, #1
                              0x54ff_ff21,      // b.ne .-28
                              0xd400_0001]      // svc #0
        for (i, w) in (driver ?? loop).enumerated() { _ = bus.write(code + UInt64(4 * i), size: 4, value: UInt64(w)) }
        for (i, w) in body.enumerated() { _ = bus.write(Self.body + UInt64(4 * i), size: 4, value: UInt64(w)) }
        var mix = SplitMix64(seed: seed ^ 0x5eed)
        for off in stride(from: 0, to: 0x1400, by: 8) { _ = bus.write(buffer - 0x900 + UInt64(off), size: 8, value: mix.next()) }
        let cpu = CPU(index: 0, bus: bus, codeCache: CPU.makeCodeCache(bus: bus, compiledCodeBytes: compiledCodeBytes))
        cpu.userMode = true
        cpu.reset(entry: code, el: 0)
        cpu.compileBlocks = compile
        cpu.compileThreshold = 0
        for r in 0..<16 { cpu[r] = mix.next() >> (mix.next() % 64) }
        cpu[20] = buffer; cpu[21] = buffer; cpu[23] = 24; cpu[28] = Self.body
        cpu.x[Int(Reg.nzcv)] = (mix.next() & 0xf) << 28
        return Machine(bus: bus, cpu: cpu)
    }
}

/// Random bodies of the instructions the block compiler compiles (encodings from the Arm
/// ARM's A64 encoding index). Data registers are x0–x15; x20 is the buffer, x21 an index
/// register reset after each pre/post-indexed access, x22 the body's loop counter, x23 a
/// register offset (24).
public struct RandomProgram {
    var r: SplitMix64
    public init(seed: UInt64) { r = SplitMix64(seed: seed) }

    mutating func pick(_ n: Int) -> UInt32 { UInt32(r.next() % UInt64(n)) }
    mutating func reg() -> UInt32 { pick(16) }
    /// A source register: sometimes XZR.
    mutating func src() -> UInt32 { pick(10) == 0 ? 31 : reg() }

    /// One data-processing instruction.
    mutating func dataProcessing() -> UInt32 {
        let sf = pick(2), d = reg(), n = src(), m = src()
        switch pick(20) {
        case 17: return 0xD53B_4200 | d                                                            // mrs xd, nzcv
        case 18: return [0xD503_3BBF, 0xD503_203F, 0xF980_0000 | pick(64) << 10 | 20 << 5][Int(pick(3))]  // dmb ish, yield, prfm
        case 19: return sf << 31 | 0x1AC0_0800 | pick(2) << 10 | m << 16 | n << 5 | d              // udiv/sdiv: not compiled
        case 0: return sf << 31 | pick(4) << 29 | 0x1100_0000 | pick(2) << 22 | pick(4096) << 10 | (n == 31 ? 1 : n) << 5 | d  // add/sub(s) imm
        case 1:     // logical immediate
            let opc = pick(4)
            if sf == 1 { return 1 << 31 | opc << 29 | 0x1200_0000 | 1 << 22 | pick(64) << 16 | pick(63) << 10 | n << 5 | d }
            return opc << 29 | 0x1200_0000 | pick(32) << 16 | pick(31) << 10 | n << 5 | d
        case 2: return sf << 31 | [0, 2, 3][Int(pick(3))] << 29 | 0x1280_0000 | (sf == 1 ? pick(4) : pick(2)) << 21 | pick(65536) << 5 | d  // movn/movz/movk
        case 3:     // sbfm/bfm/ubfm
            let opc = pick(3), w = sf == 1 ? 64 : 32
            return sf << 31 | opc << 29 | 0x1300_0000 | sf << 22 | pick(w) << 16 | pick(w) << 10 | n << 5 | d
        case 4: return sf << 31 | 0x1380_0000 | sf << 22 | m << 16 | pick(sf == 1 ? 64 : 32) << 10 | n << 5 | d     // extr
        case 5: return sf << 31 | pick(4) << 29 | 0x0B00_0000 | pick(3) << 22 | m << 16 | pick(sf == 1 ? 64 : 32) << 10 | n << 5 | d  // add/sub shifted
        case 6:     // add/sub extended (Rn, Rd: SP when 31; keep them data registers)
            return sf << 31 | pick(4) << 29 | 0x0B20_0000 | m << 16 | pick(8) << 13 | pick(5) << 10 | reg() << 5 | d
        case 7: return sf << 31 | pick(4) << 29 | 0x0A00_0000 | pick(4) << 22 | pick(2) << 21 | m << 16 | pick(sf == 1 ? 64 : 32) << 10 | n << 5 | d  // logical shifted
        case 8: return sf << 31 | pick(4) << 29 | 0x1A00_0000 | m << 16 | n << 5 | d                 // adc/adcs/sbc/sbcs
        case 9: return sf << 31 | pick(2) << 30 | 0x3A40_0000 | m << 16 | pick(16) << 12 | pick(2) << 11 | n << 5 | pick(16)  // ccmn/ccmp
        case 10: return sf << 31 | pick(2) << 30 | 0x1A80_0000 | m << 16 | pick(16) << 12 | pick(2) << 10 | n << 5 | d  // csel family
        case 11: return sf << 31 | 0x1AC0_2000 | m << 16 | pick(4) << 10 | n << 5 | d               // lslv/lsrv/asrv/rorv
        case 12: return sf == 1 ? 0xDAC0_0C00 | n << 5 | d : 0x5AC0_0800 | n << 5 | d              // rev
        case 13: return sf << 31 | 0x1B00_0000 | m << 16 | pick(2) << 15 | src() << 10 | n << 5 | d // madd/msub
        case 14: return [0x9B20_0000, 0x9B20_8000, 0x9BA0_0000, 0x9BA0_8000][Int(pick(4))] | m << 16 | src() << 10 | n << 5 | d
        case 15: return [0x9B40_7C00, 0x9BC0_7C00][Int(pick(2))] | m << 16 | n << 5 | d             // smulh/umulh
        default: return 0xAA00_03E0 | m << 16 | d                                                   // mov
        }
    }

    /// One load or store at x20, x21 or x20 + x23.
    mutating func access() -> [UInt32] {
        let size = pick(4), t = reg()
        // opc: 0 store, 1 load, 2 load signed to 64 (not for x), 3 load signed to 32 (b, h)
        let opc = size == 3 ? pick(2) : size == 2 ? pick(3) : pick(4)
        switch pick(5) {
        case 4:     // LSE at x20 (aligned): ldadd/ldclr/ldeor/ldset/ldsmax (not compiled)/swp, or cas
            if pick(3) == 0 { return [size << 30 | 0x08A0_7C00 | pick(4) << 22 | src() << 16 | 20 << 5 | src()] }
            let opc: UInt32 = [0, 1, 2, 3, 4, 8][Int(pick(6))]
            return [size << 30 | 0x3820_0000 | pick(4) << 22 | src() << 16 | opc << 12 | 20 << 5 | t]
        case 0: return [size << 30 | 0x3900_0000 | opc << 22 | pick(64) << 10 | 20 << 5 | t]          // unsigned offset
        case 1:     // pre/post-index, any alignment, then x21 back to the buffer
            let imm9 = UInt32(bitPattern: Int32(pick(64)) - 32) & 0x1ff
            return [size << 30 | 0x3800_0000 | opc << 22 | imm9 << 12 | (pick(2) == 0 ? 1 : 3) << 10 | 21 << 5 | t,
                    0xAA00_03E0 | 20 << 16 | 21]
        case 2: return [size << 30 | 0x3820_0800 | opc << 22 | 23 << 16 | [2, 3, 6, 7][Int(pick(4))] << 13 | 20 << 5 | t]  // register offset
        default:    // ldp/stp x or w, offset, pre or post
            let mode: UInt32 = [2, 1, 3][Int(pick(3))], imm7 = UInt32(bitPattern: Int32(pick(16)) - 8) & 0x7f
            let t2 = (t + 1 + pick(14)) % 16
            return [pick(2) << 31 | 0x2800_0000 | mode << 23 | pick(2) << 22 | imm7 << 15 | t2 << 10 | 21 << 5 | t,
                    0xAA00_03E0 | 20 << 16 | 21]
        }
    }

    /// A body: a loop (x22 times) of random instructions with forward branches, then RET.
    public mutating func body() -> [UInt32] {
        var words: [UInt32] = [0xD280_0076]         // movz x22, #3
        let loopStart = words.count
        var pendingBranches: [(at: Int, kind: Int)] = []
        for _ in 0..<(40 + Int(pick(40))) {
            if pick(8) == 0 { pendingBranches.append((words.count, Int(pick(3)))); words.append(0) }
            if pick(3) == 0 { words += access() } else { words.append(dataProcessing()) }
        }
        let loopEnd = words.count
        words += [0xF100_06D6]                      // subs x22, x22, #1
        words += [0x5400_0001 | (UInt32(bitPattern: Int32(loopStart - words.count)) & 0x7ffff) << 5]  // b.ne loop
        words += [0xD65F_03C0]                      // ret
        for (at, kind) in pendingBranches {
            let target = min(at + 1 + Int(pick(6)), loopEnd)
            let off = UInt32(target - at)
            switch kind {
            case 0: words[at] = 0x5400_0000 | off << 5 | pick(15)                         // b.cond (not AL/NV)
            case 1: words[at] = pick(2) << 31 | 0x3400_0000 | pick(2) << 24 | off << 5 | reg()   // cbz/cbnz
            default: let b = pick(64); words[at] = (b >> 5) << 31 | 0x3600_0000 | pick(2) << 24 | (b & 31) << 19 | off << 5 | reg()  // tbz/tbnz
            }
        }
        return words
    }
}
