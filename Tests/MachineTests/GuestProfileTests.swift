import Foundation
import Testing
import Emu
@testable import Machine

/// The guest profiler (`hvsim run --profile`): samples by instruction count at the right
/// spacing, the same report for the same run, no effect on the run, samples summed per
/// function with a symbol table.
@Suite struct GuestProfileTests {
    /// tlb.elf zeroes its two 2 MiB test blocks in pool_alloc: most of its instructions.
    static func profiledRun(every: UInt64, profile: Bool) throws -> (GuestRun, GuestProfile?, UInt64) {
        let file = Repo.path("images/cache/baremetal/tlb.elf")
        guard FileManager.default.fileExists(atPath: file) else { throw MissingImage.file("images/cache/baremetal/tlb.elf") }
        var config = MachineConfig()
        config.startEL = 2
        config.semihosting = true
        let m = try Machine(config)
        var out: [UInt8] = []
        m.console = { out.append($0) }
        try m.loadKernel(path: file)
        let p = profile ? GuestProfile(every: every, symbols: m.kernel.flatMap { SymbolTable(symbols: $0.symbols) }) : nil
        p?.attach(to: m)
        let stop = m.run(limit: 100_000_000)
        let run = GuestRun(stop: stop, console: String(decoding: out, as: UTF8.self), instructions: m.instructions)
        return (run, p, m.stateHash(memory: true))
    }

    @Test func samplesAreRepeatableAndChangeNothing() throws {
        let (plain, _, plainHash) = try Self.profiledRun(every: 1000, profile: false)
        let (a, pa, hashA) = try Self.profiledRun(every: 1000, profile: true)
        let (_, pb, _) = try Self.profiledRun(every: 1000, profile: true)
        #expect(plain.stop == .poweredOff(status: 0), "console:\n\(plain.console)")
        // The run is the one without the profiler.
        #expect(a.instructions == plain.instructions && a.console == plain.console && hashA == plainHash)
        let p = try #require(pa)
        // One sample per 1000 instructions, but for a multiple a straight run passed whole.
        let most = Int(a.instructions / 1000)
        #expect(p.samples <= most && p.samples >= most * 99 / 100, "\(p.samples) samples for \(a.instructions) instructions")
        #expect(p.report() == pb?.report())
        // With the ELF's symbols the hot function leads the report.
        let lines = p.report().split(separator: "\n")
        #expect(lines.count > 3 && lines[0].hasPrefix("# hvsim guest profile: \(p.samples) samples, one every 1000"))
        let top = lines[2].split(separator: " ", omittingEmptySubsequences: true)
        #expect(top.last == "pool_alloc" && Int(top[0])! > p.samples / 2, "\(lines[2])")
    }

    @Test func symbolTablesFromNmAndKallsyms() throws {
        let t = try SymbolTable(text: """
            ffff800008010000 T _stext
            ffff800008010000 t __irqentry_text_start
            ffff800008020000 T memset
            ffff800008020100 D some_data
            ffff800008030000 t mod_func\t[virtio_mmio]
            0000000000000000 T zeroed_by_kptr_restrict
            not a symbol line
            """, source: "test")
        #expect(t.count == 3)
        #expect(t.name(of: 0xffff_8000_0801_0004) == "_stext")       // fewest leading underscores
        #expect(t.name(of: 0xffff_8000_0802_00fc) == "memset")
        #expect(t.name(of: 0xffff_8000_0802_0104) == "memset")       // data symbols are skipped
        #expect(t.name(of: 0xffff_8000_0803_0000) == "mod_func [virtio_mmio]")
        #expect(t.name(of: 0xffff_8000_0800_fffc) == nil)            // below the first
        #expect(t.name(of: 0xffff_8000_0813_0000) == nil)            // far past the last
        #expect(throws: ConfigError.self) { try SymbolTable(text: "0000000000000000 T hidden\n", source: "kallsyms") }
    }

    @Test func reportOrdersByCountThenName() throws {
        let p = GuestProfile(every: 10)
        for _ in 0..<3 { p.record(pc: 0x4000_0010, el: 1) }
        for _ in 0..<3 { p.record(pc: 0x4000_0000, el: 1) }
        p.record(pc: 0x4000_0020, el: 0)
        let lines = p.report().split(separator: "\n").map(String.init)
        #expect(lines.count == 5)
        #expect(lines[2].hasSuffix("0x40000000") && lines[3].hasSuffix("0x40000010") && lines[4].hasSuffix("0x40000020"))
        #expect(lines[2].contains("42.86%") && lines[4].contains("   0  "))
    }
}
