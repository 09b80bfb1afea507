import Testing
@testable import Emu

/// The subtraction shortcut the interpreter uses for CMP, SUBS and CCMP must give what
/// the Arm ARM's AddWithCarry(a, NOT b, 1) gives, result and NZCV, at both widths.
struct FlagsTests {
    static let edges: [UInt64] = [0, 1, 2, 0x7fff_ffff, 0x8000_0000, 0x8000_0001, 0xffff_ffff, 0x1_0000_0000,
                                  0x7fff_ffff_ffff_ffff, 0x8000_0000_0000_0000, 0x8000_0000_0000_0001,
                                  0xffff_ffff_ffff_fffe, 0xffff_ffff_ffff_ffff, 0x1234_5678_9abc_def0]

    @Test func subtractMatchesAddWithCarry() {
        var values = FlagsTests.edges
        var r: UInt64 = 0x9e37_79b9_7f4a_7c15
        for _ in 0..<200 {
            r ^= r << 13; r ^= r >> 7; r ^= r << 17
            values.append(r)
            values.append(r & 0xffff_ffff)
        }
        // Compared in plain code (an expectation per pair made the test take 45 s).
        var mismatches: [String] = []
        for a in values {
            for b in values {
                let s64 = subtract64(a, b), g64 = addWithCarry64(a, ~b, 1)
                if s64 != g64 { mismatches.append("64-bit \(a) - \(b): \(s64) against \(g64)") }
                let s32 = subtract32(a, b), g32 = addWithCarry32(a, ~b, 1)
                if s32 != g32 { mismatches.append("32-bit \(a) - \(b): \(s32) against \(g32)") }
            }
        }
        let count = mismatches.count
        #expect(count == 0, "\(count) mismatches, first: \(mismatches.first ?? "")")
    }
}
