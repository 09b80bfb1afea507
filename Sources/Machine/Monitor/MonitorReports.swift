import Emu

// What the monitor's `info` and `x` commands print.

extension Monitor {
    /// `info registers` for one CPU: x0-x30 and SP four to a line, then PC and PSTATE.
    func registerReport(_ c: CPU) -> String {
        var out = "CPU \(c.index): \(elName(c)), \(runState(c.index)), \(c.st.pointee.icount) instructions\n"
        for r in 0..<32 {
            let name = r == 31 ? "sp" : "x\(r)"
            out += " " + padded(name, 3) + " " + hexDigits(r == 31 ? c.sp : c[r], 16)
            out += r % 4 == 3 ? "\n" : " "
        }
        let p = c.pstate
        let nzcv = zip("NZCV", [31, 30, 29, 28]).map { p >> UInt64($1) & 1 == 1 ? $0 : "-" }
        let daif = zip("DAIF", [9, 8, 7, 6]).map { p >> UInt64($1) & 1 == 1 ? $0 : "-" }
        out += " pc  \(hexDigits(c.pc, 16))  pstate \(hexDigits(p, 8)) (nzcv \(String(nzcv)), daif \(String(daif)), \(elName(c)))\n"
        return out
    }

    /// `info cpus`: one line per CPU; `*` marks the selected one.
    func cpusReport(selected: Int?) -> String {
        machine.cpus.map { c in
            (c.index == selected ? "* " : "  ") + "CPU \(c.index): pc \(hex(c.pc)) \(elName(c)) \(runState(c.index)), "
                + "\(c.st.pointee.icount) instructions\n"
        }.joined()
    }

    /// `info status` and `stats`: what `--stats` prints that does not need the host's clock.
    func statusReport() -> String {
        let perCPU = machine.cpus.map { "cpu\($0.index) \($0.st.pointee.icount)" }.joined(separator: ", ")
        let ns = machine.nanoseconds(machine.now)
        let fraction = String(ns % 1_000_000_000 / 1000)
        let irqs = machine.interruptsTaken
        return "instructions \(machine.instructions) (\(perCPU))\n"
            + "virtual time \(ns / 1_000_000_000).\(String(repeating: "0", count: 6 - fraction.count) + fraction) s\n"
            + "interrupts taken (INTID:count) \(irqs.isEmpty ? "none" : irqs)\n"
            + "state hash \(hex(machine.stateHash(memory: true)))\n"
    }

    /// "EL1h": the exception level and whether it uses its own stack pointer (h) or SP_EL0 (t).
    private func elName(_ c: CPU) -> String { "EL\(c.el)" + (c.pstate & 1 == 1 ? "h" : "t") }

    func runState(_ i: Int) -> String {
        switch machine.state[i] {
        case .running: return "running"
        case .off: return "off"
        case .waitingInterrupt: return "halted (WFI)"
        case .waitingEvent: return "halted (WFE)"
        case .hypervisorIdle: return "idle (hypervisor)"
        }
    }

    // MARK: x and xp

    /// `x/NFU ADDR` (`physical`: `xp`): N units of size U shown in format F, read through
    /// CPU `k`'s translation or at a physical address; never from device registers.
    func examine(_ args: [String], physical: Bool, cpu k: Int) throws -> String {
        let name = physical ? "xp" : "x"
        var rest = args[...]
        var format = (count: 1, letter: Character("x"), size: 4)
        if let f = rest.first, f.hasPrefix("/") {
            format = try parseFormat(f.dropFirst(), name)
            rest = rest.dropFirst()
        }
        let c = machine.cpus[k]
        guard rest.count == 1 else { throw MonitorError("\(name): needs one address (\(name)/NFU ADDR)") }
        guard let address = number(rest.first!, cpu: c) else {
            throw MonitorError("\(name): bad address '\(rest.first!)' (0x1f, 31, $pc, $sp or $x0-$x30)")
        }
        let (count, size) = (format.count, format.size)
        let bytes = read(c, address, count * size, physical: physical)
        var out = ""
        let perLine = format.letter == "i" ? 1 : format.letter == "c" ? 16 : 16 / size
        for i in stride(from: 0, to: bytes.count / size, by: perLine) {
            let at = address &+ UInt64(i * size)
            out += hexDigits(at, 16) + ":"
            for j in i..<min(i + perLine, bytes.count / size) {
                var v: UInt64 = 0
                for b in 0..<size { v |= UInt64(bytes[j * size + b]) << UInt64(8 * b) }
                out += " " + unit(v, format.letter, size: size, pc: address &+ UInt64(j * size))
            }
            out += "\n"
        }
        if bytes.count < count * size {
            let at = address &+ UInt64(bytes.count)
            out += "\(name): cannot read \(hex(at))" + (physical ? " (not RAM)\n" : " on CPU \(k) (not mapped, or not RAM)\n")
        }
        return out
    }

    /// `/NFU`: a count, then a format letter and a size letter in either order.
    private func parseFormat(_ f: Substring, _ name: String) throws -> (count: Int, letter: Character, size: Int) {
        let digits = f.prefix { $0.isNumber }
        var count = 1, letter: Character = "x", size: Int? = nil
        if !digits.isEmpty {
            guard let n = Int(digits), n >= 1, n <= 4096 else { throw MonitorError("\(name): count must be 1 to 4096") }
            count = n
        }
        for ch in f.dropFirst(digits.count) {
            switch ch {
            case "x", "d", "u", "c", "i": letter = ch
            case "b": size = 1
            case "h": size = 2
            case "w": size = 4
            case "g": size = 8
            default: throw MonitorError("\(name): unknown format letter '\(ch)' (x d u c i, sizes b h w g)")
            }
        }
        if letter == "c" { size = 1 }
        if letter == "i" { size = 4 }
        return (count, letter, size ?? 4)
    }

    private func unit(_ v: UInt64, _ letter: Character, size: Int, pc: UInt64) -> String {
        switch letter {
        case "d":
            let shift = UInt64(64 - 8 * size)
            return String(Int64(bitPattern: v << shift) >> Int64(shift))
        case "u": return String(v)
        case "c": return v >= 0x20 && v < 0x7f ? String(UnicodeScalar(UInt8(v))) : "\\x" + hexDigits(v, 2)
        case "i":
            let text = disassembler.text(UInt32(truncatingIfNeeded: v), pc: pc) ?? "<undefined>"
            return hexDigits(v, 8) + "  " + text
        default: return "0x" + hexDigits(v, 2 * size)
        }
    }

    /// Up to `count` bytes from `address`, a page at a time (each page translates apart),
    /// stopping at the first byte that is not mapped RAM.
    private func read(_ c: CPU, _ address: UInt64, _ count: Int, physical: Bool) -> [UInt8] {
        var out: [UInt8] = []
        _ = c.forEachDebugPage(address, count, physical: physical) { _, pa, n in
            guard let bytes = c.debugRead(physical: pa, count: n) else { return false }
            out += bytes
            return true
        }
        return out
    }
}

/// `s` with spaces after it up to `width` characters.
func padded(_ s: String, _ width: Int) -> String { s.count >= width ? s : s + String(repeating: " ", count: width - s.count) }

/// `v` in hex, zero-padded to `digits`.
func hexDigits(_ v: UInt64, _ digits: Int) -> String {
    let s = String(v, radix: 16)
    return s.count >= digits ? s : String(repeating: "0", count: digits - s.count) + s
}
