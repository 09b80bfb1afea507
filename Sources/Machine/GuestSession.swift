import Foundation

/// Drives a machine from Swift the way a person at its serial console would: boot it, wait
/// for a line, type a command, read what came back. Everything runs on the caller's thread
/// in virtual time, so a session is as deterministic as the machine (the same calls give
/// the same output). Meant for tests: hvsim's own and users' `swift test` suites.
///
///     let s = try GuestSession(config: config, boot: images)
///     try s.waitFor("HVSIM-LINUX-READY")
///     let out = try s.command("uname -a")
public final class GuestSession {
    public let machine: Machine
    /// Everything the guest has written to its consoles so far.
    public private(set) var output: [UInt8] = []
    /// How the last `run` ended.
    public private(set) var lastStop: StopReason? = nil
    /// Where the next `waitFor` starts looking.
    private var mark = 0
    private var needle: [UInt8] = []

    public enum Failure: Error, CustomStringConvertible {
        /// The text did not appear within the instruction budget.
        case timeout(waitingFor: String, instructions: UInt64, tail: String)
        /// The machine stopped (powered off, deadlocked, ...) before the text appeared.
        case stopped(StopReason, waitingFor: String, tail: String)

        public var description: String {
            switch self {
            case .timeout(let t, let n, let tail):
                return "'\(t)' did not appear within \(n) instructions; the console ends with:\n\(tail)"
            case .stopped(let r, let t, let tail):
                return "the machine stopped (\(r)) before '\(t)' appeared; the console ends with:\n\(tail)"
            }
        }
    }

    /// Builds the machine and loads the images; it starts running on the first wait.
    public init(config: MachineConfig, boot images: BootImages) throws {
        machine = try Machine(config)
        machine.console = { [unowned self] b in self.received(b) }
        try machine.boot(images)
    }

    private func received(_ b: UInt8) {
        output.append(b)
        guard let last = needle.last, b == last, output.count - mark >= needle.count else { return }
        if output[(output.count - needle.count)...].elementsEqual(needle) { machine.requestStop() }
    }

    /// The console output as text (invalid UTF-8 replaced).
    public var text: String { String(decoding: output, as: UTF8.self) }

    /// Runs until `text` appears in the output after the previous match and returns the
    /// output from there up to and including it.
    @discardableResult
    public func waitFor(_ text: String, within budget: UInt64 = 20_000_000_000) throws -> String {
        needle = Array(text.utf8)
        defer { needle = [] }
        if let r = search(needle) { return consume(through: r) }
        let stop = machine.run(limit: budget)
        lastStop = stop
        if let r = search(needle) { return consume(through: r) }
        let tail = String(decoding: output.suffix(2000), as: UTF8.self)
        if stop == .instructionLimit { throw Failure.timeout(waitingFor: text, instructions: budget, tail: tail) }
        throw Failure.stopped(stop, waitingFor: text, tail: tail)
    }

    /// Types `text` on the serial port.
    public func type(_ text: String) { machine.type(Array(text.utf8)) }

    /// Types a shell command and a newline, waits for the shell's next prompt and returns
    /// what the command printed (the echoed command line and the prompt's line left out),
    /// with the terminal's CR LF line ends as LF.
    public func command(_ line: String, prompt: String = "# ", within budget: UInt64 = 20_000_000_000) throws -> String {
        _ = try waitFor("", within: 0)   // start after everything seen so far
        type(line + "\n")
        _ = try waitFor("\n", within: budget)   // the echoed command line
        var out = try waitFor(prompt, within: budget)
        out = out.replacingOccurrences(of: "\r\n", with: "\n")
        if let nl = out.lastIndex(of: "\n") { return String(out[...nl]) }
        return ""
    }

    /// Runs until the machine stops by itself (power-off, reset, ...) or the budget ends.
    @discardableResult
    public func runToStop(within budget: UInt64 = 20_000_000_000) -> StopReason {
        let stop = machine.run(limit: budget)
        lastStop = stop
        return stop
    }

    private func search(_ n: [UInt8]) -> Range<Int>? {
        if n.isEmpty { return output.count..<output.count }
        guard output.count - mark >= n.count else { return nil }
        var i = mark
        while i + n.count <= output.count {
            if output[i] == n[0] && output[i..<(i + n.count)].elementsEqual(n) { return i..<(i + n.count) }
            i += 1
        }
        return nil
    }

    private func consume(through r: Range<Int>) -> String {
        let s = String(decoding: output[mark..<r.upperBound], as: UTF8.self)
        mark = r.upperBound
        return s
    }
}
