import Foundation
import Hypervisor

/// Where domains' console output goes: the machine's console, each line with the
/// domain's name in front (the hypervisor's own lines come as they are), and with
/// `--console-log DIR` also one file per domain, as Xen's xenconsoled writes them. As in
/// Xen, the domain that has the input is shown as it writes (a shell prompt, typed
/// characters echoed); the others one whole line at a time, so lines do not mix.
public final class DomainConsoles {
    var output: (UInt8) -> Void = { _ in }
    /// Where `<name>.log` files go (nil: no log files). Set before `bootHypervisor`.
    public var logDirectory: String? = nil
    var partial: [Int: [UInt8]] = [:]
    var names: [Int: String] = [:]
    private var files: [Int: FileHandle] = [:]
    /// The domain whose line is open on the terminal (written without its newline yet).
    var openLine: Int? = nil
    /// Which domain has the input (its output is not held back to whole lines).
    var focused: () -> Int? = { nil }
    /// What each domain printed (tests read it), its last `keptBytes` at least: a domain
    /// that prints for days must not grow the process without end.
    var text: [String: [UInt8]] = [:]
    static let keptBytes = 4 << 20
    /// Bytes each domain printed in all.
    var printed: [String: Int] = [:]
    /// A line held back longer than this (a domain printing with no newline) is shown as it is.
    static let longestLine = 4096

    /// Creates the domain's log file (empty, so a silent domain has one too).
    func open(_ d: Domain) throws {
        names[d.id] = d.name
        guard let dir = logDirectory, files[d.id] == nil else { return }
        let path = dir + "/" + d.name + ".log"
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let f = FileHandle(forWritingAtPath: path) else {
            throw LoadError("--console-log: cannot write \(path)")
        }
        files[d.id] = f
    }

    /// Makes domain `id`'s log file hold exactly what the domain printed so far; what it
    /// prints next is appended. After a snapshot restore that is its output up to the
    /// snapshot (which keeps it), so the log reads as one run from boot, whatever the run
    /// that saved the snapshot wrote to the file after that point.
    func continueLog(_ id: Int) throws {
        guard let f = files[id], let name = names[id] else { return }
        do {
            try f.truncate(atOffset: 0)
            try f.write(contentsOf: text[name] ?? [])
        } catch {
            throw LoadError("--console-log: cannot write \(logDirectory ?? ".")/\(name).log (\(error.localizedDescription))")
        }
    }

    /// How many bytes the domain named `name` wrote to its console.
    public func bytes(of name: String) -> Int { printed[name] ?? 0 }
    /// What domain `name` printed so far (the last 4 MiB at least).
    public func output(of name: String) -> String { String(decoding: text[name] ?? [], as: UTF8.self) }

    func write(_ d: Domain?, _ bytes: [UInt8]) {
        guard let d = d else {
            if openLine != nil { output(0x0a); openLine = nil }
            bytes.forEach(output)
            return
        }
        text[d.name, default: []] += bytes
        printed[d.name, default: 0] += bytes.count
        if let n = text[d.name]?.count, n > Self.keptBytes + Self.keptBytes / 4 { text[d.name]!.removeFirst(n - Self.keptBytes) }
        if logDirectory != nil {
            if files[d.id] == nil { try? open(d) }
            files[d.id]?.write(Data(bytes))
        }
        if focused() == d.id {
            for b in bytes where b != 0x0d {
                if openLine != d.id { startLine(d.id) }
                output(b)
                if b == 0x0a { openLine = nil }
            }
            return
        }
        for b in bytes {
            if b == 0x0d { continue }
            partial[d.id, default: []].append(b)
            if b == 0x0a || partial[d.id]!.count >= Self.longestLine { emit(d.id) }
        }
    }

    /// Begins a line of domain `id` on the terminal, ending another domain's open line.
    private func startLine(_ id: Int) {
        if openLine != nil { output(0x0a) }
        Array("[\(names[id] ?? "domain \(id)")] ".utf8).forEach(output)
        openLine = id
    }

    /// Prints what domains wrote after their last newline, as lines of their own (at exit).
    public func finishLines() {
        if openLine != nil { output(0x0a); openLine = nil }
        for id in partial.keys.sorted() where !(partial[id]?.isEmpty ?? true) {
            partial[id]!.append(0x0a)
            emit(id)
        }
    }

    private func emit(_ id: Int) {
        startLine(id)
        partial[id]!.forEach(output)
        if partial[id]!.last != 0x0a { output(0x0a) }     // a line cut at longestLine
        partial[id] = []
        openLine = nil
    }
}

extension Machine {
    /// Typed bytes with the hosted hypervisor: they go to the domain that has the input.
    /// Ctrl-A three times switches it even when that domain takes nothing (its vpl011
    /// receiver off, or full): what waits for it is dropped then, as Xen drops input its
    /// vpl011 ring has no room for; otherwise the input would be stuck behind it.
    func typeForDomains(_ bytes: [UInt8]) {
        guard let hv = hypervisor else { return }
        var rest = bytes[...]
        while let i = rest.indices.first(where: { rest[$0...].starts(with: [0x01, 0x01, 0x01]) }) {
            uartInput.append(Array(rest[..<i]))
            _ = uartInput.deliver(to: hv.consoleInput)
            if !uartInput.isEmpty { uartInput = PendingInput() }
            for b in rest[i..<(i + 3)] { _ = hv.consoleInput(b) }
            rest = rest[(i + 3)...]
        }
        uartInput.append(Array(rest))
        _ = uartInput.deliver(to: hv.consoleInput)
    }
}
