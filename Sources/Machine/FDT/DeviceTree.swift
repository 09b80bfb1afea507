/// A property: its name and raw (big-endian) value, with typed views of the value.
public struct FDTProperty: Equatable, Sendable {
    public var name: String
    public var value: [UInt8]

    public init(_ name: String, bytes: [UInt8] = []) { self.name = name; value = bytes }
    public init(_ name: String, u32: UInt32) { self.init(name, bytes: FDTValue.u32(u32)) }
    public init(_ name: String, u64: UInt64) { self.init(name, bytes: FDTValue.u64(u64)) }
    public init(_ name: String, cells: [UInt32]) { self.init(name, bytes: FDTValue.cells(cells)) }
    public init(_ name: String, string: String) { self.init(name, bytes: FDTValue.string(string)) }
    public init(_ name: String, strings: [String]) { self.init(name, bytes: FDTValue.strings(strings)) }

    public var u32: UInt32? { value.count == 4 ? cells?.first : nil }
    public var u64: UInt64? { value.count == 8 ? cells.map { UInt64($0[0]) << 32 | UInt64($0[1]) } : nil }
    public var cells: [UInt32]? {
        guard value.count % 4 == 0 else { return nil }
        return stride(from: 0, to: value.count, by: 4).map { readU32(value, $0) }
    }
    /// The value as one NUL-terminated string.
    public var string: String? {
        guard let list = strings, list.count == 1 else { return nil }
        return list[0]
    }
    /// The value as a list of NUL-terminated UTF-8 strings (`compatible`, `clock-names`).
    public var strings: [String]? {
        guard value.last == 0 else { return nil }
        var list: [String] = []
        for part in value.dropLast().split(separator: 0, omittingEmptySubsequences: false) {
            guard let s = String(validating: part, as: UTF8.self) else { return nil }
            list.append(s)
        }
        return list
    }
}

/// A node: its name (with unit address, "" for the root), properties and subnodes.
public struct FDTNode: Equatable, Sendable {
    public var name: String
    public var properties: [FDTProperty]
    public var children: [FDTNode]

    public init(_ name: String, properties: [FDTProperty] = [], children: [FDTNode] = []) {
        self.name = name; self.properties = properties; self.children = children
    }

    public func property(_ name: String) -> FDTProperty? { properties.first { $0.name == name } }

    /// Replaces the property with the same name, or adds it.
    public mutating func setProperty(_ p: FDTProperty) {
        if let i = properties.firstIndex(where: { $0.name == p.name }) { properties[i] = p } else { properties.append(p) }
    }

    public mutating func removeProperty(_ name: String) { properties.removeAll { $0.name == name } }

    /// The subnode called `name`; "memory" also finds "memory@40000000" (as Linux's
    /// path lookup does when the unit address is left out).
    public func child(_ name: String) -> FDTNode? { childIndex(name).map { children[$0] } }

    func childIndex(_ name: String) -> Int? {
        if let i = children.firstIndex(where: { $0.name == name }) { return i }
        if name.contains("@") { return nil }
        return children.firstIndex { $0.name.split(separator: "@", maxSplits: 1).first.map(String.init) == name }
    }
}

/// A whole device tree: what a DTB holds.
public struct DeviceTree: Equatable, Sendable {
    public var root: FDTNode
    public var reservations: [FDTReservation]
    /// The header's boot_cpuid_phys.
    public var bootCPU: UInt32

    public init(root: FDTNode = FDTNode(""), reservations: [FDTReservation] = [], bootCPU: UInt32 = 0) {
        self.root = root; self.reservations = reservations; self.bootCPU = bootCPU
    }

    /// Parses and validates a blob (see `FDTParser`).
    public init(blob: [UInt8]) throws { self = try FDTParser.parse(blob) }

    /// The node at an absolute path such as "/chosen" or "/cpus/cpu@0"; "/" is the root.
    public func node(at path: String) -> FDTNode? {
        var node = root
        for part in path.split(separator: "/") {
            guard let c = node.child(String(part)) else { return nil }
            node = c
        }
        return node
    }

    /// Runs `body` on the node at `path`, creating missing nodes on the way when
    /// `creating` is set; nil when the node does not exist.
    @discardableResult
    public mutating func withNode<R>(at path: String, creating: Bool = false, _ body: (inout FDTNode) -> R) -> R? {
        Self.descend(&root, path.split(separator: "/").map(String.init)[...], creating, body)
    }

    private static func descend<R>(_ node: inout FDTNode, _ path: ArraySlice<String>, _ creating: Bool,
                                   _ body: (inout FDTNode) -> R) -> R? {
        guard let name = path.first else { return body(&node) }
        let i: Int
        if let found = node.childIndex(name) {
            i = found
        } else {
            guard creating else { return nil }
            node.children.append(FDTNode(name))
            i = node.children.count - 1
        }
        return descend(&node.children[i], path.dropFirst(), creating, body)
    }

    /// What a boot loader puts into /chosen, creating the node if missing; nil leaves a
    /// property as it is. QEMU does the same to a user's `-dtb`, and so does `--dtb`.
    /// The initrd bounds are written as 64-bit values; `initrd.upperBound` is the
    /// first byte after the initrd (Documentation/devicetree/bindings/chosen.txt).
    public mutating func setChosen(bootargs: String? = nil, initrd: Range<UInt64>? = nil, stdoutPath: String? = nil) {
        withNode(at: "/chosen", creating: true) { chosen in
            if let s = bootargs { chosen.setProperty(FDTProperty("bootargs", string: s)) }
            if let r = initrd {
                chosen.setProperty(FDTProperty("linux,initrd-start", u64: r.lowerBound))
                chosen.setProperty(FDTProperty("linux,initrd-end", u64: r.upperBound))
            }
            if let p = stdoutPath { chosen.setProperty(FDTProperty("stdout-path", string: p)) }
        }
    }

    /// The tree as a blob, written by `FDTBuilder`.
    public func serialize() -> [UInt8] {
        var b = FDTBuilder(bootCPU: bootCPU)
        for r in reservations { b.reserveMemory(address: r.address, size: r.size) }
        Self.write(root, into: &b)
        return b.finish()
    }

    private static func write(_ node: FDTNode, into b: inout FDTBuilder) {
        b.beginNode(node.name)
        for p in node.properties { b.property(p.name, bytes: p.value) }
        for c in node.children { write(c, into: &b) }
        b.endNode()
    }
}
