import Emu

/// Snapshot state of the domains' consoles: the lines held back until their newline, the
/// line open on the terminal, and what each domain printed so far (`--stats` counts it,
/// tests read it). So a restored run prints exactly what the original printed from the
/// snapshot on. `--console-log` files are made to hold what each domain printed up to the
/// snapshot, and get what follows appended (`continueLog`).
extension DomainConsoles: StateSaving {
    public func save(_ w: inout StateWriter) {
        w.string("consoles/1")
        w.int(partial.count)
        for id in partial.keys.sorted() { w.int(id); w.data(partial[id]!) }
        w.bool(openLine != nil); w.int(openLine ?? 0)
        w.int(text.count)
        for name in text.keys.sorted() { w.string(name); w.data(text[name]!) }
    }

    public func restore(_ r: inout StateReader) throws {
        guard try r.string() == "consoles/1" else { throw StateError("domain consoles: the snapshot holds something else here") }
        var held: [Int: [UInt8]] = [:]
        let n = try r.int()
        guard n >= 0 && n <= names.count else { throw StateError("domain consoles: \(n) held lines for \(names.count) domains") }
        for _ in 0..<n {
            let id = try r.int()
            guard names[id] != nil else { throw StateError("domain consoles: a line of domain \(id), which does not exist") }
            held[id] = try r.data()
        }
        let hasOpen = try r.bool(), open = try r.int()
        guard !hasOpen || names[open] != nil else { throw StateError("domain consoles: an open line of domain \(open), which does not exist") }
        var printed: [String: [UInt8]] = [:]
        let m = try r.int()
        guard m >= 0 && m <= names.count else { throw StateError("domain consoles: output of \(m) domains; there are \(names.count)") }
        for _ in 0..<m { printed[try r.string()] = try r.data() }
        (partial, openLine, text) = (held, hasOpen ? open : nil, printed)
        self.printed = printed.mapValues(\.count)
        do { for id in names.keys.sorted() { try continueLog(id) } }
        catch { throw StateError("\(error)") }
    }
}
