import Testing
@testable import Emu

/// Decode-time fusion of adjacent instructions (Sources/Emu/Decode/Fusion.swift). What the
/// fused slots compute is checked against QEMU by the differential tests' "fused" group.
@Suite struct FusionTests {
    static let cmp: UInt32 = 0xeb02_003f       // cmp x1, x2
    static let bne: UInt32 = 0x54ff_ffe1       // b.ne .-4
    static let mul0: UInt32 = 0x9b02_7c20      // mul x0, x1, x2
    static let mul3: UInt32 = 0x9b02_7c03      // mul x3, x0, x2
    static let mul4: UInt32 = 0x9b02_7c64      // mul x4, x3, x2
    static let nop: UInt32 = 0xd503_201f

    /// A code page of `words` (the rest NOPs) with its slots undecoded.
    final class Page {
        let words = UnsafeMutablePointer<UInt32>.allocate(capacity: CodeCache.slotsPerPage)
        let slots = UnsafeMutablePointer<Slot>.allocate(capacity: CodeCache.slotsPerPage)
        init(_ code: [UInt32], at start: Int = 0) {
            words.initialize(repeating: FusionTests.nop, count: CodeCache.slotsPerPage)
            for (i, w) in code.enumerated() { words[start + i] = w }
            slots.initialize(repeating: .undecoded, count: CodeCache.slotsPerPage)
        }
        deinit { words.deallocate(); slots.deallocate() }
        func decode(_ i: Int) { Fusion.decode(slots, i, words: UnsafeRawPointer(words)) }
    }

    @Test func aPairDecodesFusedAndItsSecondHalfToo() {
        let p = Page([Self.cmp, Self.bne])
        p.decode(0)
        #expect(p.slots[0].op == .subsR64_bcond)
        #expect(p.slots[0].n == 1 && p.slots[0].m == 2)          // the first's own fields
        #expect(p.slots[1].op == .bcond)                          // a branch to it runs it alone
        #expect(p.slots[1].imm == Decoder.shared.decode(Self.bne).imm)
    }

    @Test func aFusedSecondSlotKeepsItsOwnPair() {
        // mul, mul, mul: a branch to the second ran first, fusing it with the third. The
        // first then fuses with the second, whose fields (its own mul's) stay; so does its op.
        let p = Page([Self.mul0, Self.mul3, Self.mul4])
        p.decode(1)
        #expect(p.slots[1].op == .madd64_madd64)
        #expect(p.slots[2].op == .madd64)
        p.decode(0)
        #expect(p.slots[0].op == .madd64_madd64)
        #expect(p.slots[1].op == .madd64_madd64 && p.slots[1].d == 3)
    }

    @Test func noPairAcrossThePageEndOrWithAnUnfusedSecond() {
        let last = CodeCache.slotsPerPage - 1
        let p = Page([Self.cmp], at: last)
        p.decode(last)
        #expect(p.slots[last].op == .subsR64)
        let q = Page([Self.cmp, Self.nop])
        q.decode(0)
        #expect(q.slots[0].op == .subsR64)
        #expect(q.slots[1].op == .undecoded)                      // left for its own turn
    }

    @Test func aFusedOpStandsForItsFirstInstruction() {
        #expect(Op.subsR64_bcond.generic == .subsSh64)
        #expect(Op.ldrxReg_ldrxReg.generic == .ldrx)             // data abort syndromes
        #expect(Fusion.pair(.addsSh64_strxReg)! == (Op.addsSh64, Op.strxReg))
        #expect(Fusion.pair(.madd64) == nil)
        for op in Fusion.fusedOps {
            let (a, b) = Fusion.pair(op)!
            #expect(Fusion.fused(a, b) == op)
            #expect(Fusion.pair(a) == nil && Fusion.pair(b) == nil)
        }
    }
}
