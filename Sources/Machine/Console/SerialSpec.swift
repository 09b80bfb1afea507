/// Where a guest serial port is connected on the host (`--serial`, as QEMU's `-serial`).
public enum SerialSpec: Equatable, Sendable {
    /// Standard input and output; the terminal goes to raw mode when stdin is one.
    case stdio
    /// Guest output written to a file, created or truncated. No input.
    case file(path: String)
    /// Output dropped, no input (`none`).
    case discard

    public static let usage = "stdio, file:PATH or none"

    /// Parses `stdio`, `file:PATH` or `none`.
    public static func parse(_ s: String) throws -> SerialSpec {
        switch s {
        case "stdio": return .stdio
        case "none": return .discard
        case _ where s.hasPrefix("file:"):
            let path = String(s.dropFirst("file:".count))
            guard !path.isEmpty else { throw ConsoleError("--serial: 'file:' needs a path (file:PATH)") }
            return .file(path: path)
        default:
            throw ConsoleError("--serial: unknown backend '\(s)' (expected \(usage))")
        }
    }
}

/// A console setup failure, as one line for the user.
public struct ConsoleError: Error, CustomStringConvertible {
    public let description: String
    init(_ s: String) { description = s }
}
