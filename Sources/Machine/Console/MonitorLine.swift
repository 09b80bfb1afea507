/// The line typed at the monitor's prompt (Ctrl-A c). The terminal is in raw mode, so the
/// console echoes and edits it itself: printable ASCII is echoed, Backspace/DEL erase a
/// character, Ctrl-U the line, Ctrl-C drops it; CR, LF or CR LF end it. Other bytes are
/// ignored. A pure value: testable without a terminal.
struct MonitorLine {
    private(set) var text: [UInt8] = []
    private var afterCR = false

    /// Takes one byte: what to echo, and the line when it ended.
    mutating func feed(_ b: UInt8) -> (echo: [UInt8], line: String?) {
        defer { afterCR = b == 0x0d }
        switch b {
        case 0x0a where afterCR: return ([], nil)   // the LF of CR LF
        case 0x0d, 0x0a:
            defer { text = [] }
            return ([0x0a], String(decoding: text, as: UTF8.self))
        case 0x08, 0x7f:
            guard !text.isEmpty else { return ([], nil) }
            text.removeLast()
            return ([0x08, 0x20, 0x08], nil)
        case 0x15:
            defer { text = [] }
            return (Array(repeating: [0x08, 0x20, 0x08], count: text.count).flatMap { $0 }, nil)
        case 0x03:
            text = []
            return (Array("^C\n".utf8), "")
        case 0x20..<0x7f:
            text.append(b)
            return ([b], nil)
        default:
            return ([], nil)
        }
    }
}
