import Testing
@testable import Emu

/// The soft TLB's fast path never takes an empty entry for a hit.
@Suite struct TLBTests {
    /// A user-mode CPU running `code` at 0x400000 with x1 = `address`.
    static func run(_ code: [UInt32], address: UInt64) throws -> Exit {
        let bus = Bus()
        _ = try bus.addRAM(base: 0x40_0000, size: 1 << 20)
        for (i, w) in code.enumerated() { _ = bus.write(0x40_0000 + UInt64(4 * i), size: 4, value: UInt64(w)) }
        let cpu = CPU(index: 0, bus: bus, codeCache: CPU.makeCodeCache(bus: bus))
        cpu.userMode = true
        cpu.reset(entry: 0x40_0000, el: 0)
        cpu[1] = address
        return cpu.run(100)
    }

    /// Unaligned accesses to page 0 (nothing mapped) abort: with the empty tag 1, `va &
    /// (~0xfff | size - 1)` of a 2-, 4- or 8-byte access at VA 1 matched it, and the CPU
    /// loaded or stored through a stale host address (the fuzzer's a64 and compiled targets).
    @Test(arguments: [(0x7940_0020 as UInt32, "ldrh w0, [x1]"), (0xb940_0020, "ldr w0, [x1]"), (0xf940_0020, "ldr x0, [x1]"),
                      (0x7900_0020, "strh w0, [x1]"), (0xf900_0020, "str x0, [x1]")])
    func unalignedAccessToPageZeroAborts(word: UInt32, text: String) throws {
        for address: UInt64 in [1, 3, 5, 7] {
            let exit = try Self.run([word, 0xd400_0001], address: address)
            guard case .userException(_, let far) = exit else { Issue.record("\(text) at \(address): \(exit)"); continue }
            #expect(far == address, "\(text)")
        }
    }
}
