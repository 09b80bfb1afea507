import Testing
import Emu

/// Decoder unit tests: the bitmask immediate decoder, and table sanity.
@Suite struct DecoderUnits {
    @Test func bitMasks() {
        // ORR x0, x0, #0x5555555555555555: N=0 immr=0 imms=0b111100
        #expect(decodeBitMasks(n: 0, imms: 0b111100, immr: 0, immediate: true, dataSize: 64)?.0 == 0x5555_5555_5555_5555)
        // AND w0, w0, #0xff: N=0 imms=7 immr=0
        #expect(decodeBitMasks(n: 0, imms: 7, immr: 0, immediate: true, dataSize: 32)?.0 == 0xff)
        // 64-bit element, rotate: N=1 imms=0 immr=1 -> 0x8000000000000000
        #expect(decodeBitMasks(n: 1, imms: 0, immr: 1, immediate: true, dataSize: 64)?.0 == 0x8000_0000_0000_0000)
        // All-ones element is reserved for logical immediates.
        #expect(decodeBitMasks(n: 1, imms: 63, immr: 0, immediate: true, dataSize: 64) == nil)
    }

    @Test func everyTableLineHas32Bits() {
        #expect(Decoder.shared.encodings.count > 30)
        for e in Decoder.shared.encodings { #expect(e.mask != 0, "\(e.name)") }
    }

    @Test func knownWords() {
        let d = Decoder.shared
        #expect(d.decode(0xd503201f).op == .nop)
        #expect(d.decode(0xd65f03c0).op == .ret)
        #expect(d.decode(0x8b020020).op == .addR64)       // add x0, x1, x2 (unshifted form)
        #expect(d.decode(0x8b020c20).op == .addSh64)      // add x0, x1, x2, lsl #3
        #expect(d.decode(0xaa0103e0).op == .mov64)        // mov x0, x1
        #expect(d.decode(0xd4000001).op == .svc)
        #expect(d.decode(0x00000000).op == .undefined)    // udf #0
        #expect(d.decode(0xd69f03e0).op == .eret)
    }
}
