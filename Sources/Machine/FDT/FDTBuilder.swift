/// The flattened device tree format (Devicetree Specification v0.4, chapter 5): a
/// 40-byte header, the memory reservation block, the structure block (a token
/// stream) and the strings block (property names), all big-endian.
enum FDTFormat {
    static let magic: UInt32 = 0xd00d_feed
    static let version: UInt32 = 17
    static let lastCompatibleVersion: UInt32 = 16
    static let headerSize = 40

    // Structure block tokens (spec 5.4.1).
    static let beginNode: UInt32 = 1
    static let endNode: UInt32 = 2
    static let prop: UInt32 = 3
    static let nop: UInt32 = 4
    static let end: UInt32 = 9

    /// Names are kept to printable ASCII (a superset of the spec's character sets,
    /// 2.2.1 and 2.2.4) so that every name the parser accepts can be written back.
    static func isValidName(_ bytes: some Collection<UInt8>, node: Bool) -> Bool {
        !bytes.isEmpty && bytes.allSatisfy { $0 > 0x20 && $0 < 0x7f && !(node && $0 == UInt8(ascii: "/")) }
    }

    static func align(_ n: Int, _ to: Int) -> Int { (n + to - 1) & ~(to - 1) }
}

/// One entry of the memory reservation block: memory the OS must not use.
public struct FDTReservation: Equatable, Sendable {
    public var address: UInt64
    public var size: UInt64
    public init(address: UInt64, size: UInt64) { self.address = address; self.size = size }
}

/// Big-endian encodings of the property value types (spec 2.2.4).
enum FDTValue {
    static func u32(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)]
    }
    static func u64(_ v: UInt64) -> [UInt8] { u32(UInt32(v >> 32)) + u32(UInt32(truncatingIfNeeded: v)) }
    static func cells(_ v: [UInt32]) -> [UInt8] { v.flatMap(u32) }
    static func u64s(_ v: [UInt64]) -> [UInt8] { v.flatMap(u64) }
    static func string(_ s: String) -> [UInt8] { Array(s.utf8) + [0] }
    static func strings(_ list: [String]) -> [UInt8] { list.flatMap(string) }
}

/// Writes a device tree blob, version 17 (last compatible version 16):
///
///     var b = FDTBuilder()
///     b.beginNode("")
///     b.property("compatible", strings: ["linux,dummy-virt"])
///     b.endNode()
///     let blob = b.finish()
///
/// Misuse (a property outside a node or after a subnode, unbalanced nodes, a second
/// root, invalid names) is a programming error and traps.
public struct FDTBuilder {
    /// The header's boot_cpuid_phys: the `reg` of the boot CPU's node.
    public var bootCPU: UInt32
    private var reservations: [FDTReservation] = []
    private var structure: [UInt8] = []
    private var strings: [UInt8] = []
    private var stringOffsets: [String: UInt32] = [:]
    /// One entry per open node: whether it already has a subnode (properties must
    /// come first, spec 5.4.2).
    private var open: [Bool] = []
    private var rootWritten = false
    private var nextPhandle: UInt32 = 1

    public init(bootCPU: UInt32 = 0) { self.bootCPU = bootCPU }

    /// Adds an entry to the memory reservation block.
    public mutating func reserveMemory(address: UInt64, size: UInt64) {
        reservations.append(FDTReservation(address: address, size: size))
    }

    /// A fresh phandle value for a node's `phandle` property, allocated before the
    /// node is written so that earlier nodes can refer to it.
    public mutating func newPhandle() -> UInt32 {
        defer { nextPhandle += 1 }
        return nextPhandle
    }

    /// Opens a node; the root is named "" and is the only node at the top level.
    public mutating func beginNode(_ name: String) {
        if open.isEmpty {
            precondition(!rootWritten && name.isEmpty, "FDTBuilder: the one root node must be named \"\"")
            rootWritten = true
        } else {
            precondition(FDTFormat.isValidName(name.utf8, node: true), "FDTBuilder: invalid node name \"\(name)\"")
            open[open.count - 1] = true
        }
        open.append(false)
        appendToken(FDTFormat.beginNode)
        structure += FDTValue.string(name)
        padStructure()
    }

    public mutating func endNode() {
        precondition(!open.isEmpty, "FDTBuilder: endNode without an open node")
        open.removeLast()
        appendToken(FDTFormat.endNode)
    }

    /// A property with raw bytes as its value.
    public mutating func property(_ name: String, bytes: [UInt8]) {
        precondition(!open.isEmpty, "FDTBuilder: property \"\(name)\" outside a node")
        precondition(open.last == false, "FDTBuilder: property \"\(name)\" after a subnode")
        precondition(FDTFormat.isValidName(name.utf8, node: false), "FDTBuilder: invalid property name \"\(name)\"")
        appendToken(FDTFormat.prop)
        appendToken(UInt32(bytes.count))
        appendToken(stringOffset(name))
        structure += bytes
        padStructure()
    }

    /// A property with no value (a flag such as `interrupt-controller`).
    public mutating func property(_ name: String) { property(name, bytes: []) }
    public mutating func property(_ name: String, u32: UInt32) { property(name, bytes: FDTValue.u32(u32)) }
    public mutating func property(_ name: String, u64: UInt64) { property(name, bytes: FDTValue.u64(u64)) }
    /// A list of 32-bit cells (`reg`, `interrupts`, phandle lists).
    public mutating func property(_ name: String, cells: [UInt32]) { property(name, bytes: FDTValue.cells(cells)) }
    /// A list of 64-bit values, i.e. pairs of cells (`reg` with #address-cells = #size-cells = 2).
    public mutating func property(_ name: String, u64s: [UInt64]) { property(name, bytes: FDTValue.u64s(u64s)) }
    public mutating func property(_ name: String, string: String) { property(name, bytes: FDTValue.string(string)) }
    public mutating func property(_ name: String, strings: [String]) { property(name, bytes: FDTValue.strings(strings)) }

    /// The blob: header, reservations, structure and strings, each block 8-byte aligned.
    public func finish() -> [UInt8] {
        precondition(rootWritten && open.isEmpty, "FDTBuilder: finish with \(open.count) open nodes or no root")
        let header = FDTFormat.headerSize
        let reservationOffset = FDTFormat.align(header, 8)
        let structureOffset = FDTFormat.align(reservationOffset + 16 * (reservations.count + 1), 8)
        let structureSize = structure.count + 4   // + FDT_END
        let stringsOffset = FDTFormat.align(structureOffset + structureSize, 8)
        let total = FDTFormat.align(stringsOffset + strings.count, 8)

        var out: [UInt8] = []
        out.reserveCapacity(total)
        for field in [FDTFormat.magic, UInt32(total), UInt32(structureOffset), UInt32(stringsOffset),
                      UInt32(reservationOffset), FDTFormat.version, FDTFormat.lastCompatibleVersion,
                      bootCPU, UInt32(strings.count), UInt32(structureSize)] {
            out += FDTValue.u32(field)
        }
        out += [UInt8](repeating: 0, count: reservationOffset - out.count)
        for r in reservations { out += FDTValue.u64(r.address) + FDTValue.u64(r.size) }
        out += [UInt8](repeating: 0, count: 16)
        out += [UInt8](repeating: 0, count: structureOffset - out.count)
        out += structure + FDTValue.u32(FDTFormat.end)
        out += [UInt8](repeating: 0, count: stringsOffset - out.count)
        out += strings
        out += [UInt8](repeating: 0, count: total - out.count)
        return out
    }

    private mutating func appendToken(_ v: UInt32) { structure += FDTValue.u32(v) }

    private mutating func padStructure() {
        structure += [UInt8](repeating: 0, count: FDTFormat.align(structure.count, 4) - structure.count)
    }

    /// Each property name is stored once in the strings block.
    private mutating func stringOffset(_ name: String) -> UInt32 {
        if let o = stringOffsets[name] { return o }
        let o = UInt32(strings.count)
        strings += FDTValue.string(name)
        stringOffsets[name] = o
        return o
    }
}
