import Testing
@testable import Emu

/// Watchpoint ranges that reach the end of the address space (a gdb Z packet may ask for one).
@Suite struct WatchpointRangeTests {
    @Test func rangesThatWouldWrapEndAtTheTop() {
        let w = Watchpoint(address: 0xffff_ffff_ffff_f000, length: 0x2000, kind: .write)
        #expect(w.last == .max)
        #expect(w.pages == 0xffff_ffff_ffff_f000...0xffff_ffff_ffff_f000)
        #expect(w.matches(0xffff_ffff_ffff_fff8, 8, write: true))
        #expect(w.matches(0xffff_ffff_ffff_fffc, 8, write: true))     // an access that itself wraps
        #expect(!w.matches(0, 8, write: true))                          // not the bottom page
        #expect(!w.matches(0xffff_ffff_ffff_eff8, 8, write: true))
        #expect(w.matches(0xffff_ffff_ffff_eff9, 8, write: true))
        let zero = Watchpoint(address: 0x1000, length: 0, kind: .access)
        #expect(zero.last == 0x1000 && zero.matches(0xfff, 2, write: false) && !zero.matches(0x1001, 1, write: false))
    }
}
