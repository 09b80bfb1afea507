import Testing
@testable import Emu

/// `RAMBank.zero` hands whole host pages back to the kernel and clears the partial pages
/// at either end itself: every byte in the range must read zero afterwards, every byte
/// outside it keep its value, and every page it covers be reported written.
struct RAMBankTests {
    @Test func zeroClearsExactlyTheRangeAndMarksItsPages() throws {
        let bank = try RAMBank(base: 0x4000_0000, size: 0x10_0000)
        let bytes = bank.host.assumingMemoryBound(to: UInt8.self)
        for i in 0..<Int(bank.size) { bytes[i] = UInt8(truncatingIfNeeded: i % 251 &+ 1) }
        bank.takeTouched { _ in }

        // From inside page 1 to inside page 70: whole pages in between, ragged ends.
        let offset: UInt64 = 0x1234, length: UInt64 = 0x45678
        bank.zero(offset: offset, length: length)

        var wrong = 0
        for i in 0..<Int(bank.size) {
            let inside = UInt64(i) >= offset && UInt64(i) < offset + length
            let expected: UInt8 = inside ? 0 : UInt8(truncatingIfNeeded: i % 251 &+ 1)
            if bytes[i] != expected { wrong += 1 }
        }
        #expect(wrong == 0)

        var pages: [Int] = []
        bank.takeTouched { pages.append($0) }
        #expect(pages == Array(Int(offset >> 12)...Int((offset + length - 1) >> 12)))
    }

    @Test func zeroStopsAtTheBanksEnd() throws {
        let bank = try RAMBank(base: 0, size: 0x4000)
        let bytes = bank.host.assumingMemoryBound(to: UInt8.self)
        for i in 0..<0x4000 { bytes[i] = 0xa5 }
        bank.zero(offset: 0x3ff0, length: 0x1000)     // runs past the end: clipped
        bank.zero(offset: 0x4000, length: 0x10)       // wholly outside: nothing
        #expect((0..<0x3ff0).allSatisfy { bytes[$0] == 0xa5 })
        #expect((0x3ff0..<0x4000).allSatisfy { bytes[$0] == 0 })
    }
}
