// The guest profiler (`hvsim run --profile FILE`). Each time the instructions retired by
// all CPUs reach a multiple of `every`, it takes the PC of the CPU whose slice reached the
// count, at the block boundary there (so a loop is seen at its head rather than spread
// over its body). Samples are by guest instruction count, not host time: two runs of the
// same image give the same profile, and the profile says where the guest spends its
// instructions (what the emulator's speed multiplies). Profiling does not change the run.
// With a symbol table (`SymbolTable`: a file from nm or /proc/kallsyms, or an ELF kernel's
// own symbols), samples are summed per function.

import Emu

public final class GuestProfile {
    public let every: UInt64
    /// Where samples are summed per function, if given.
    public let symbols: SymbolTable?
    public private(set) var samples = 0
    private struct Key: Hashable { let pc: UInt64, el: Int }
    private var counts: [Key: Int] = [:]

    public init(every: UInt64, symbols: SymbolTable? = nil) {
        self.every = max(every, 1)
        self.symbols = symbols
    }

    /// Starts sampling `machine`.
    public func attach(to machine: Machine) {
        machine.sample(every: every) { [unowned self] _, cpu in record(pc: cpu.pc, el: cpu.el) }
    }

    func record(pc: UInt64, el: Int) {
        counts[Key(pc: pc, el: el), default: 0] += 1
        samples += 1
    }

    /// The report: a header, then one line per function (or per PC without `symbols`, or for
    /// a PC no symbol covers) with its samples, share and exception level (* for several),
    /// the most first. Ties are ordered by name, so equal runs give equal reports.
    public func report(top: Int = 60) -> String {
        var byPlace: [String: (count: Int, el: Int)] = [:]
        for (k, n) in counts {
            let place = symbols?.name(of: k.pc) ?? hex(k.pc)
            let old = byPlace[place]
            byPlace[place] = ((old?.count ?? 0) + n, old.map { $0.el == k.el ? k.el : -1 } ?? k.el)
        }
        let rows = byPlace.sorted { $0.value.count != $1.value.count ? $0.value.count > $1.value.count : $0.key < $1.key }
        var out = "# hvsim guest profile: \(samples) samples, one every \(every) instructions (all CPUs)\n"
        out += "# samples   share  EL  where\n"
        for (place, v) in rows.prefix(top) {
            let share = samples > 0 ? 100 * Double(v.count) / Double(samples) : 0
            let el = v.el < 0 ? "*" : String(v.el)
            out += pad(String(v.count), 9) + pad(String(format: "%.2f%%", share), 8) + pad(el, 4) + "  " + place + "\n"
        }
        if rows.count > top { out += "# \(rows.count - top) more places, \(rows.dropFirst(top).reduce(0) { $0 + $1.value.count }) samples\n" }
        return out
    }

    private func pad(_ s: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
}

/// Function addresses from `nm`, a System.map or /proc/kallsyms: lines `ADDRESS TYPE NAME`
/// (a trailing `[module]` is kept in the name). Only text symbols (types t, T, w, W) count.
public struct SymbolTable {
    private let addresses: [UInt64]
    private let names: [String]
    public var count: Int { addresses.count }

    public init(text: String, source: String) throws {
        var entries: [(UInt64, String)] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })   // kallsyms puts a tab before [module]
            guard f.count >= 3, f[1].count == 1, "tTwW".contains(f[1]), let a = UInt64(f[0], radix: 16), a != 0 else { continue }
            entries.append((a, f[2...].joined(separator: " ")))
        }
        guard !entries.isEmpty else {
            throw ConfigError(source, "no text symbols with addresses (expected lines 'ADDRESS t NAME' as from nm, a System.map or /proc/kallsyms read as root)")
        }
        (addresses, names) = SymbolTable.ordered(entries)
    }

    /// From an ELF kernel's symbols (`LoadedKernel.symbols`); nil if it has none.
    public init?(symbols: [String: UInt64]) {
        let entries = symbols.filter { $0.value != 0 }.map { ($0.value, $0.key) }
        guard !entries.isEmpty else { return nil }
        (addresses, names) = SymbolTable.ordered(entries)
    }

    /// Sorted by address, one name per address: the one with the fewest leading underscores
    /// (`_start` rather than `__image_start`), then the first alphabetically.
    private static func ordered(_ entries: [(UInt64, String)]) -> ([UInt64], [String]) {
        func rank(_ n: String) -> Int { n.prefix { $0 == "_" }.count }
        let sorted = entries.sorted {
            $0.0 != $1.0 ? $0.0 < $1.0 : rank($0.1) != rank($1.1) ? rank($0.1) < rank($1.1) : $0.1 < $1.1
        }
        var a: [UInt64] = [], n: [String] = []
        for (addr, name) in sorted where a.last != addr { a.append(addr); n.append(name) }
        return (a, n)
    }

    /// The name of the function `pc` is in: the last symbol at or below it, unless that is
    /// more than `reach` below (no function is that long: past the table's end, or in a
    /// gap); nil then and below the first symbol.
    public func name(of pc: UInt64, reach: UInt64 = 1 << 20) -> String? {
        var lo = 0, hi = addresses.count       // after this, lo - 1 is the last address <= pc
        while lo < hi {
            let mid = (lo + hi) / 2
            if addresses[mid] <= pc { lo = mid + 1 } else { hi = mid }
        }
        return lo == 0 || pc - addresses[lo - 1] >= reach ? nil : names[lo - 1]
    }
}
