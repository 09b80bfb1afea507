/// A device tree blob that cannot be used, with a one-line reason.
public struct FDTError: Error, CustomStringConvertible, Equatable {
    public let description: String
    init(_ what: String) { description = "device tree: " + what }
}

/// Reads a device tree blob (Devicetree Specification v0.4, chapter 5) into a
/// `DeviceTree`. Blobs come from users (`--dtb FILE`), so every size, offset, token,
/// name and nesting level is checked: bad input is an `FDTError`, never a trap.
public enum FDTParser {
    /// Deeper trees are refused: real ones nest a handful of levels, and the tree is
    /// walked recursively afterwards.
    public static let maxDepth = 64

    public static func parse(_ blob: [UInt8]) throws -> DeviceTree {
        let header = try Header(blob)
        let bytes = Array(blob[0..<header.totalSize])
        let reservations = try readReservations(bytes, header)
        var walker = StructureWalker(bytes: bytes, header: header)
        let (root, structureEnd) = try walker.walk()

        // Blocks may come in any order, but must not share bytes (spec 5.1).
        let blocks: [(String, Range<Int>)] = [
            ("memory reservation block", header.reservationOffset..<(header.reservationOffset + 16 * (reservations.count + 1))),
            ("structure block", header.structureOffset..<structureEnd),
            ("strings block", header.stringsOffset..<(header.stringsOffset + header.stringsSize)),
        ]
        for i in blocks.indices {
            for j in blocks.indices where j > i && blocks[i].1.overlaps(blocks[j].1) {
                throw FDTError("the \(blocks[i].0) and the \(blocks[j].0) overlap")
            }
        }
        return DeviceTree(root: root, reservations: reservations, bootCPU: header.bootCPU)
    }

    private static func readReservations(_ b: [UInt8], _ h: Header) throws -> [FDTReservation] {
        var list: [FDTReservation] = []
        var o = h.reservationOffset
        while true {
            guard o + 16 <= h.totalSize else {
                throw FDTError("the memory reservation block runs past the end (no terminating empty entry)")
            }
            let address = UInt64(readU32(b, o)) << 32 | UInt64(readU32(b, o + 4))
            let size = UInt64(readU32(b, o + 8)) << 32 | UInt64(readU32(b, o + 12))
            o += 16
            if address == 0 && size == 0 { return list }
            list.append(FDTReservation(address: address, size: size))
        }
    }
}

/// The header fields, checked against each other and the blob's length.
private struct Header {
    let totalSize: Int
    let structureOffset: Int, structureSize: Int
    let stringsOffset: Int, stringsSize: Int
    let reservationOffset: Int
    let version: UInt32
    let bootCPU: UInt32

    init(_ blob: [UInt8]) throws {
        guard blob.count >= 4 else { throw FDTError("\(blob.count) bytes is too short for a DTB (truncated)") }
        let magic = readU32(blob, 0)
        guard magic == FDTFormat.magic else { throw FDTError("bad magic \(hex(magic)) (not a DTB)") }
        guard blob.count >= FDTFormat.headerSize else {
            throw FDTError("header truncated: \(blob.count) bytes, the header alone needs \(FDTFormat.headerSize)")
        }
        func field(_ i: Int) -> UInt32 { readU32(blob, 4 * i) }
        version = field(5)
        let lastCompatible = field(6)
        guard version >= 16 else { throw FDTError("version \(version) is older than 16, the oldest this reader knows") }
        guard lastCompatible <= FDTFormat.version else {
            throw FDTError("version \(version) needs a reader for version \(lastCompatible); this one reads up to 17")
        }
        guard lastCompatible <= version else {
            throw FDTError("last compatible version \(lastCompatible) is newer than the version \(version)")
        }
        // Version 16 headers lack size_dt_struct (spec 5.2): the token stream's FDT_END bounds it.
        let headerSize = version >= 17 ? 40 : 36
        totalSize = Int(field(1))
        guard totalSize >= headerSize else {
            throw FDTError("total size \(totalSize) is smaller than the \(headerSize)-byte header")
        }
        guard totalSize <= blob.count else {
            throw FDTError("blob truncated: the header says \(totalSize) bytes, there are \(blob.count)")
        }
        structureOffset = Int(field(2))
        stringsOffset = Int(field(3))
        reservationOffset = Int(field(4))
        bootCPU = field(7)
        stringsSize = Int(field(8))
        structureSize = version >= 17 ? Int(field(9)) : max(0, totalSize - structureOffset)

        try check("memory reservation block", reservationOffset, 16, alignment: 8, headerSize)
        try check("structure block", structureOffset, structureSize, alignment: 4, headerSize)
        try check("strings block", stringsOffset, stringsSize, alignment: 1, headerSize)
    }

    private func check(_ block: String, _ offset: Int, _ size: Int, alignment: Int, _ headerSize: Int) throws {
        guard offset >= headerSize else { throw FDTError("the \(block) at \(hex(offset)) overlaps the header") }
        guard offset % alignment == 0 else {
            throw FDTError("the \(block) at \(hex(offset)) is not \(alignment)-byte aligned")
        }
        guard offset <= totalSize && size <= totalSize - offset else {
            throw FDTError("the \(block) runs past the end (\(hex(offset)) + \(hex(size)) > total size \(hex(totalSize)))")
        }
    }
}

/// Walks the structure block's tokens (spec 5.4) into nodes, with an explicit stack
/// of open nodes instead of recursion.
private struct StructureWalker {
    let bytes: [UInt8]
    let header: Header
    private var names: [Int: String] = [:]   // strings-block offset -> property name
    private var open: [(node: FDTNode, propertyNames: Set<String>, childNames: Set<String>)] = []

    init(bytes: [UInt8], header: Header) { self.bytes = bytes; self.header = header }

    /// The root node and the offset just past FDT_END.
    mutating func walk() throws -> (FDTNode, Int) {
        let end = header.structureOffset + header.structureSize
        var root: FDTNode?
        var o = header.structureOffset
        while true {
            guard o + 4 <= end else { throw FDTError("the structure block ends without an FDT_END token") }
            let at = o, token = readU32(bytes, o)
            o += 4
            switch token {
            case FDTFormat.beginNode:
                let name = try nodeName(at: o, end: end)
                o = FDTFormat.align(o + name.utf8.count + 1, 4)
                if open.isEmpty {
                    guard root == nil else { throw FDTError("a second root node at \(hex(at))") }
                    guard name.isEmpty else { throw FDTError("the root node at \(hex(at)) is named \"\(name)\" (must be empty)") }
                } else {
                    guard !name.isEmpty else { throw FDTError("a node in \(path) at \(hex(at)) has an empty name") }
                    guard open.count < FDTParser.maxDepth else {
                        throw FDTError("nodes nest deeper than \(FDTParser.maxDepth) levels at \(hex(at))")
                    }
                    guard open[open.count - 1].childNames.insert(name).inserted else {
                        throw FDTError("\(path) has two subnodes named \"\(name)\"")
                    }
                }
                open.append((FDTNode(name), [], []))
            case FDTFormat.endNode:
                guard let done = open.popLast() else { throw FDTError("FDT_END_NODE at \(hex(at)) outside any node") }
                if open.isEmpty { root = done.node } else { open[open.count - 1].node.children.append(done.node) }
            case FDTFormat.prop:
                guard end - o >= 8 else { throw FDTError("the property at \(hex(at)) runs past the end of the structure block") }
                let length = Int(readU32(bytes, o)), nameOffset = Int(readU32(bytes, o + 4))
                o += 8
                guard length <= end - o else {
                    throw FDTError("the property at \(hex(at)) (\(length) bytes) runs past the end of the structure block")
                }
                let value = Array(bytes[o..<(o + length)])
                o = FDTFormat.align(o + length, 4)
                let name = try propertyName(at: nameOffset, property: at)
                guard !open.isEmpty else { throw FDTError("property \"\(name)\" at \(hex(at)) is outside any node") }
                guard open[open.count - 1].node.children.isEmpty else {
                    throw FDTError("property \"\(name)\" of \(path) comes after a subnode (at \(hex(at)))")
                }
                guard open[open.count - 1].propertyNames.insert(name).inserted else {
                    throw FDTError("\(path) has two properties named \"\(name)\"")
                }
                open[open.count - 1].node.properties.append(FDTProperty(name, bytes: value))
            case FDTFormat.nop:
                continue
            case FDTFormat.end:
                guard open.isEmpty else { throw FDTError("FDT_END at \(hex(at)) with \(path) still open") }
                guard let root else { throw FDTError("the structure block holds no root node") }
                return (root, o)
            default:
                throw FDTError("unknown token \(hex(token)) at \(hex(at)) in the structure block")
            }
        }
    }

    /// The path of the innermost open node, for messages.
    private var path: String {
        open.count <= 1 ? "/" : open.dropFirst().map(\.node.name).reduce("") { $0 + "/" + $1 }
    }

    private func nodeName(at o: Int, end: Int) throws -> String {
        guard let nul = bytes[o..<max(o, end)].firstIndex(of: 0) else {
            throw FDTError("the name of the node at \(hex(o - 4)) runs past the end of the structure block")
        }
        let raw = bytes[o..<nul]
        guard raw.isEmpty || FDTFormat.isValidName(raw, node: true) else {
            throw FDTError("the name of the node at \(hex(o - 4)) has a character that is not printable ASCII or is '/'")
        }
        return String(decoding: raw, as: UTF8.self)
    }

    private mutating func propertyName(at offset: Int, property at: Int) throws -> String {
        if let known = names[offset] { return known }
        guard offset < header.stringsSize else {
            throw FDTError("the property at \(hex(at)) names string \(hex(offset)), outside the strings block (\(header.stringsSize) bytes)")
        }
        let start = header.stringsOffset + offset, end = header.stringsOffset + header.stringsSize
        guard let nul = bytes[start..<end].firstIndex(of: 0) else {
            throw FDTError("the name of the property at \(hex(at)) runs past the end of the strings block")
        }
        guard FDTFormat.isValidName(bytes[start..<nul], node: false) else {
            throw FDTError("the name of the property at \(hex(at)) is empty or not printable ASCII")
        }
        let name = String(decoding: bytes[start..<nul], as: UTF8.self)
        names[offset] = name
        return name
    }
}

func readU32(_ b: [UInt8], _ o: Int) -> UInt32 {
    UInt32(b[o]) << 24 | UInt32(b[o + 1]) << 16 | UInt32(b[o + 2]) << 8 | UInt32(b[o + 3])
}

func hex(_ v: some BinaryInteger) -> String { "0x" + String(v, radix: 16) }
