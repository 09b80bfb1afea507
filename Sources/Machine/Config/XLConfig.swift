// xl.cfg(5) syntax, as Xen 4.12's libxlu reads it (tools/libxl/libxlu_cfg_l.l, _y.y,
// libxlu_cfg.c): `key = value` settings ended by a newline or `;`, `#` comments to the end
// of the line, keys `[a-z][._0-9a-z]*`, values a string ("..." or '...' with C escapes, on
// one line), a number, or a list `[ a, b, ]` of those that may span lines.

import Foundation

/// An error in a configuration file or device tree, with where it is.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    /// The file (or device-tree node path) the error is in.
    public var file: String
    /// 1-based line and column; 0 when the error is about the file as a whole.
    public var line: Int
    public var column: Int
    public var message: String

    public init(_ file: String, line: Int = 0, column: Int = 0, _ message: String) {
        self.file = file; self.line = line; self.column = column; self.message = message
    }

    public var description: String {
        line > 0 ? "\(file):\(line):\(column): \(message)" : "\(file): \(message)"
    }
}

/// A value, as written.
public enum XLValue: Equatable, Sendable {
    case string(String)
    /// A number as written (xl reads it with strtol base 0: 0x hex, leading 0 octal).
    case number(String)
    case list([XLValue])
}

/// One `key = value` line, with where it was.
public struct XLSetting: Equatable, Sendable {
    public var key: String
    public var value: XLValue
    public var line: Int
    public var column: Int
}

/// A parsed xl.cfg-syntax file: its settings in order.
public struct XLConfig: Equatable, Sendable {
    public var file: String
    public var settings: [XLSetting]

    /// Parses `text`; `file` names it in errors.
    public init(text: String, file: String) throws {
        self.file = file
        var parser = XLParser(Array(text.unicodeScalars), file: file)
        settings = try parser.parseFile()
    }

    /// Reads and parses a file.
    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(path, "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw ConfigError(path, "not UTF-8 text") }
        try self.init(text: text, file: path)
    }

    /// The last setting of `key` (a later line overrides an earlier one).
    public subscript(key: String) -> XLSetting? { settings.last { $0.key == key } }

    public func error(_ s: XLSetting, _ message: String) -> ConfigError {
        ConfigError(file, line: s.line, column: s.column, message)
    }

    /// The setting as an integer: a number, or a string holding one (as xl accepts).
    public func integer(_ key: String) throws -> Int? {
        guard let s = self[key] else { return nil }
        switch s.value {
        case .number(let t), .string(let t):
            guard let v = XLConfig.parseInteger(t) else { throw error(s, "\(key): '\(t)' is not an integer") }
            return v
        case .list: throw error(s, "\(key): expected an integer, found a list")
        }
    }

    /// The setting as a string (a number is taken as its text, as xl does).
    public func string(_ key: String) throws -> String? {
        guard let s = self[key] else { return nil }
        switch s.value {
        case .string(let t), .number(let t): return t
        case .list: throw error(s, "\(key): expected a string, found a list")
        }
    }

    /// The setting as a list of strings; a single string is a one-element list.
    public func strings(_ key: String) throws -> [String]? {
        guard let s = self[key] else { return nil }
        switch s.value {
        case .string(let t), .number(let t): return [t]
        case .list(let items):
            return try items.map {
                switch $0 {
                case .string(let t), .number(let t): return t
                case .list: throw error(s, "\(key): lists cannot be nested")
                }
            }
        }
    }

    /// strtol(s, 0): decimal, 0x hexadecimal, leading-0 octal, optional sign.
    static func parseInteger(_ text: String) -> Int? {
        var t = Substring(text.trimmingCharacters(in: .whitespaces))
        var sign = 1
        if t.first == "-" { sign = -1; t = t.dropFirst() } else if t.first == "+" { t = t.dropFirst() }
        let v: Int?
        if t.lowercased().hasPrefix("0x") { v = Int(t.dropFirst(2), radix: 16) }
        else if t.count > 1 && t.first == "0" { v = Int(t.dropFirst(), radix: 8) }
        else { v = Int(t) }
        return v.map { $0 * sign }
    }
}

/// A recursive-descent reader of the xl.cfg grammar over Unicode scalars.
private struct XLParser {
    let text: [Unicode.Scalar]
    let file: String
    var i = 0
    var line = 1
    var lineStart = 0

    init(_ text: [Unicode.Scalar], file: String) { self.text = text; self.file = file }

    var column: Int { i - lineStart + 1 }
    var peek: Unicode.Scalar? { i < text.count ? text[i] : nil }

    func fail(_ message: String, line l: Int? = nil, column c: Int? = nil) -> ConfigError {
        ConfigError(file, line: l ?? line, column: c ?? column, message)
    }

    mutating func advance() {
        if text[i] == "\n" { line += 1; lineStart = i + 1 }
        i += 1
    }

    /// Skips blanks and comments, and newlines too when `newlines` is set.
    mutating func skip(newlines: Bool) {
        while let c = peek {
            if c == " " || c == "\t" || c == "\r" { advance() }
            else if c == "#" { while let d = peek, d != "\n" { advance() } }
            else if c == "\n" && newlines { advance() }
            else { return }
        }
    }

    mutating func parseFile() throws -> [XLSetting] {
        var settings: [XLSetting] = []
        while true {
            skip(newlines: true)
            guard let c = peek else { return settings }
            if c == ";" { advance(); continue }
            let (l, col) = (line, column)
            guard isKeyStart(c) else { throw fail("expected a setting name, found '\(c)'") }
            var key = ""
            while let d = peek, isKeyStart(d) || d == "." || d == "_" || ("0"..."9").contains(d) {
                key.unicodeScalars.append(d); advance()
            }
            skip(newlines: false)
            if peek == "+" { throw fail("'+=' is not supported; write the whole value") }
            guard peek == "=" else { throw fail("expected '=' after '\(key)'") }
            advance()
            skip(newlines: false)
            let value = try parseValue()
            skip(newlines: false)
            switch peek {
            case nil, "\n"?, ";"?: break
            case let c?: throw fail("unexpected '\(c)' after the value of '\(key)'")
            }
            settings.append(XLSetting(key: key, value: value, line: l, column: col))
        }
    }

    func isKeyStart(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) }

    mutating func parseValue() throws -> XLValue {
        guard let c = peek, c != "\n" else { throw fail("missing value") }
        if c == "[" {
            advance()
            var items: [XLValue] = []
            while true {
                skip(newlines: true)
                guard let d = peek else { throw fail("unterminated list: missing ']'") }
                if d == "]" { advance(); return .list(items) }
                if d == "[" { throw fail("lists cannot be nested") }
                items.append(try parseAtom())
                skip(newlines: true)
                switch peek {
                case ","?: advance()
                case "]"?: break
                case nil: throw fail("unterminated list: missing ']'")
                case let e?: throw fail("expected ',' or ']' in list, found '\(e)'")
                }
            }
        }
        return try parseAtom()
    }

    mutating func parseAtom() throws -> XLValue {
        guard let c = peek else { throw fail("missing value") }
        if c == "\"" || c == "'" { return .string(try parseString(quote: c)) }
        if ("0"..."9").contains(c) {
            var t = ""
            while let d = peek, ("0"..."9").contains(d) || ("a"..."f").contains(d) || ("A"..."F").contains(d) || d == "x" || d == "X" {
                t.unicodeScalars.append(d); advance()
            }
            return .number(t)
        }
        if c == "-" || c == "+" || c == "(" || c == ")" || c == ":" || c == "." {
            throw fail("unexpected '\(c)' (xl.cfg is not Python: quote strings, write plain integers)")
        }
        throw fail("expected a value (string, number or list), found '\(c)'")
    }

    /// A quoted string with libxlu's escapes: \" \' \\ \a \b \f \n \r \t \v \xHH \ooo.
    mutating func parseString(quote: Unicode.Scalar) throws -> String {
        let (l, col) = (line, column)
        advance()
        var s = String.UnicodeScalarView()
        while true {
            guard let c = peek, c != "\n" else { throw fail("unterminated string", line: l, column: col) }
            advance()
            if c == quote { return String(s) }
            guard c == "\\" else { s.append(c); continue }
            guard let e = peek, e != "\n" else { throw fail("unterminated string", line: l, column: col) }
            let escapeColumn = column - 1
            advance()
            switch e {
            case "\"", "'", "\\": s.append(e)
            case "a": s.append("\u{7}")
            case "b": s.append("\u{8}")
            case "f": s.append("\u{c}")
            case "n": s.append("\n")
            case "r": s.append("\r")
            case "t": s.append("\t")
            case "v": s.append("\u{b}")
            case "x", "0"..."7":
                let (radix, maxDigits) = e == "x" ? (16, 2) : (8, 2)
                var digits = e == "x" ? "" : String(e)
                while digits.count < (e == "x" ? maxDigits : maxDigits + 1), let d = peek, Int(String(d), radix: radix) != nil {
                    digits.unicodeScalars.append(d); advance()
                }
                guard !digits.isEmpty, let v = UInt32(digits, radix: radix), let u = Unicode.Scalar(v) else {
                    throw fail("invalid \\\(e) escape in string", column: escapeColumn)
                }
                s.append(u)
            default: throw fail("invalid escape '\\\(e)' in string", column: escapeColumn)
            }
        }
    }
}
