import Emu
import Machine

/// The file parsers: each input is one file's bytes.
enum ParserFuzz {
    static func xlConfig(_ input: [UInt8]) {
        guard let c = try? XLConfig(text: String(decoding: input, as: UTF8.self), file: "fuzz.cfg") else { return }
        _ = try? c.domainConfig()
    }

    static func dom0less(_ input: [UInt8]) {
        guard let tree = try? DeviceTree(blob: input) else { return }
        _ = try? Dom0less.config(from: tree)
    }

    /// A tree that parsed must serialize to a blob that parses back to the same tree.
    static func fdt(_ input: [UInt8]) {
        guard let tree = try? DeviceTree(blob: input) else { return }
        let blob = tree.serialize()
        guard let again = try? DeviceTree(blob: blob) else { fatalError("a parsed device tree serialized to a blob that does not parse") }
        guard again == tree else { fatalError("a device tree changed through serialize and parse") }
        _ = tree.node(at: "/chosen")
    }

    static func kernel(_ input: [UInt8]) {
        let bus = Bus()
        guard let _ = try? bus.addRAM(base: VirtBoard.ram.base, size: 16 << 20) else { fatalError("no RAM for the kernel target") }
        _ = try? Loader.load(input, name: "fuzz", into: bus, ramBase: VirtBoard.ram.base, ramSize: 16 << 20, allowRaw: true)
    }

    static func runLog(_ input: [UInt8]) {
        _ = try? RunLog(bytes: input, name: "fuzz.hvrec")
    }
}
