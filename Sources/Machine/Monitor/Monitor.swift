import Emu

/// What a front end does after a monitor command, besides printing its text.
public enum MonitorAction: Equatable, Sendable {
    case none
    /// `cont`: the console goes back to the guest.
    case resume
    /// `quit`: stop the machine, as Ctrl-A x does.
    case quit
}

/// A command's answer: text (each line ending in "\n", or empty) and what to do next.
public struct MonitorReply: Equatable, Sendable {
    public var text: String
    public var action: MonitorAction
    public init(_ text: String, action: MonitorAction = .none) { self.text = text; self.action = action }
}

/// A command that cannot run as typed; its message is printed as one line.
struct MonitorError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// The monitor's command interpreter, in the manner of QEMU's human monitor: a line in,
/// text out. The console (Ctrl-A c, see `HostConsole`) and gdb (`monitor ...`, the qRcmd
/// packet, see `GdbStub`) both use it. It runs on the machine's thread between CPU slices
/// (or while gdb holds the machine), so it sees a consistent state; it never runs guest code.
public final class Monitor {
    public let machine: Machine
    /// Writes a snapshot of the machine to the file and says what it wrote; throws where
    /// snapshots are refused. Nil where there is no snapshot writer (the hvsim command
    /// gives one: snapshot files are written there).
    public var snapshot: ((String) throws -> String)?
    /// The CPU that `cpu N` selected on the console; nil: `info registers` shows every
    /// CPU and `x` reads through CPU 0. gdb passes its selected thread instead.
    public private(set) var selected: Int? = nil
    /// Made when `x/i` first needs it.
    lazy var disassembler = Disassembler()

    public init(machine: Machine, snapshot: ((String) throws -> String)? = nil) {
        self.machine = machine
        self.snapshot = snapshot
    }

    /// The commands, with their arguments and the line `help` shows.
    static let commands: [(usage: String, help: String)] = [
        ("help", "list the commands"),
        ("info registers", "x0-x30, SP, PC, PSTATE and EL of each CPU (of the selected one if any)"),
        ("info cpus", "each CPU's PC, exception level, and whether it runs or waits"),
        ("info status", "instructions, virtual time, interrupts taken, state hash (also: stats)"),
        ("cpu N", "select CPU N for info registers and x (the console; gdb uses its thread)"),
        ("x/NFU ADDR", "N units of memory at virtual ADDR, through the CPU's current translation;"),
        ("", "F: x hex (default), d, u, c characters, i instructions; U: b h w (default) g"),
        ("xp/NFU ADDR", "the same at physical ADDR (ADDR: 0x1f, 31, $pc, $sp or $x0-$x30)"),
        ("snapshot FILE", "write the machine state to FILE, as --snapshot-at and C-a s do"),
        ("cont, c", "back to the guest's console (C-a c does the same)"),
        ("quit, q", "stop the machine and exit hvsim, as C-a x does"),
    ]

    public static var help: String {
        commands.map { padded($0.usage, 15) + " " + $0.help + "\n" }.joined()
    }

    /// Runs one command line. `cpu`: the CPU gdb has selected (nil on the console).
    /// Unknown commands and bad arguments give one line naming the problem.
    public func execute(_ line: String, cpu: Int? = nil) -> MonitorReply {
        var words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard !words.isEmpty else { return MonitorReply("") }
        // `x/4xg ADDR` and `x /4xg ADDR` are the same command.
        if let slash = words[0].firstIndex(of: "/"), slash != words[0].startIndex {
            words.insert(String(words[0][slash...]), at: 1)
            words[0] = String(words[0][..<slash])
        }
        let name = words[0], args = Array(words.dropFirst())
        do {
            switch name {
            case "help", "?": return MonitorReply(Self.help)
            case "info": return MonitorReply(try info(args, cpu: cpu))
            case "stats": return MonitorReply(try noArguments(name, args) + statusReport())
            case "cpu": return MonitorReply(try select(args, gdb: cpu != nil))
            case "x", "xp": return MonitorReply(try examine(args, physical: name == "xp", cpu: cpu ?? selected ?? 0))
            case "snapshot": return MonitorReply(try writeSnapshot(args))
            case "cont", "c": return MonitorReply(try noArguments(name, args), action: .resume)
            case "quit", "q": return MonitorReply(try noArguments(name, args), action: .quit)
            default: throw MonitorError("unknown command '\(name)' (help lists the commands)")
            }
        } catch let e as MonitorError {
            return MonitorReply(e.message + "\n")
        } catch {
            return MonitorReply("\(name): \(error)\n")
        }
    }

    private func info(_ args: [String], cpu: Int?) throws -> String {
        guard let what = args.first else { throw MonitorError("info: what? (registers, cpus or status)") }
        let rest = Array(args.dropFirst())
        switch what {
        case "registers", "reg", "r":
            _ = try noArguments("info \(what)", rest)
            let shown = (cpu ?? selected).map { [machine.cpus[$0]] } ?? machine.cpus
            return shown.map(registerReport).joined()
        case "cpus": return try noArguments("info cpus", rest) + cpusReport(selected: cpu ?? selected)
        case "status": return try noArguments("info status", rest) + statusReport()
        default: throw MonitorError("info: unknown item '\(what)' (registers, cpus or status)")
        }
    }

    private func select(_ args: [String], gdb: Bool) throws -> String {
        if gdb { throw MonitorError("cpu: in gdb, select the CPU with gdb's `thread N` (thread N is CPU N-1)") }
        guard args.count == 1, let n = Int(args[0]), machine.cpus.indices.contains(n) else {
            throw MonitorError("cpu: needs a CPU number from 0 to \(machine.cpus.count - 1)")
        }
        selected = n
        return ""
    }

    private func writeSnapshot(_ args: [String]) throws -> String {
        guard args.count == 1 else { throw MonitorError("snapshot: needs one file name (snapshot FILE)") }
        guard let write = snapshot else { throw MonitorError("snapshot: not available here") }
        do { return try write(args[0]) + "\n" }
        catch { throw MonitorError("snapshot: \(error)") }
    }

    private func noArguments(_ name: String, _ args: [String]) throws -> String {
        guard args.isEmpty else { throw MonitorError("\(name): takes no arguments (got '\(args.joined(separator: " "))')") }
        return ""
    }

    /// `0x1f`, `31`, `$pc`, `$sp` or `$x0`-`$x30` (of `cpu`).
    func number(_ s: String, cpu c: CPU) -> UInt64? {
        switch s {
        case "$pc": return c.pc
        case "$sp": return c.sp
        case _ where s.hasPrefix("$x"): return Int(s.dropFirst(2)).flatMap { (0...30).contains($0) ? c[$0] : nil }
        case _ where s.hasPrefix("0x") || s.hasPrefix("0X"): return UInt64(s.dropFirst(2), radix: 16)
        default: return UInt64(s)
        }
    }
}
