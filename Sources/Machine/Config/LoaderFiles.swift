// Files put into machine RAM before boot: hvsim's `--loader FILE@ADDR`, as QEMU's
// `-device loader,file=FILE,addr=ADDR`. A dom0less device tree's boot modules
// (`multiboot,kernel`, `multiboot,ramdisk` with `reg`) name such ranges: on hardware a
// boot loader (U-Boot, ImageBuilder's script) put the files there before Xen started.

import Emu
import Hypervisor

public struct LoaderFile: Sendable, Equatable {
    public var path: String
    public var address: UInt64
    public var bytes: [UInt8]
    public var range: Range<UInt64> { address..<(address + UInt64(bytes.count)) }

    public init(path: String, address: UInt64, bytes: [UInt8]) {
        self.path = path; self.address = address; self.bytes = bytes
    }

    /// Parses `FILE@ADDR` (ADDR hexadecimal with 0x, or decimal) and reads the file.
    public init(spec: String) throws {
        guard let at = spec.lastIndex(of: "@"), at != spec.startIndex else {
            throw LoadError("--loader '\(spec)': expected FILE@ADDR (e.g. kernel.img@0x4a000000)")
        }
        let text = String(spec[spec.index(after: at)...])
        guard let address = Self.parseAddress(text) else {
            throw LoadError("--loader '\(spec)': '\(text)' is not an address (0x4a000000 or decimal)")
        }
        let path = String(spec[..<at])
        let bytes = try Loader.readFile(path)
        guard address <= UInt64.max - UInt64(bytes.count) else {
            throw LoadError("--loader '\(spec)': \(bytes.count) bytes at \(hex(address)) wrap around the address space")
        }
        self.init(path: path, address: address, bytes: bytes)
    }

    static func parseAddress(_ s: String) -> UInt64? {
        let t = s.lowercased()
        return t.hasPrefix("0x") ? UInt64(t.dropFirst(2), radix: 16) : UInt64(t)
    }

    /// Where `files` end: the RAM size they need, counted from the RAM base.
    public static func ramNeeded(_ files: [LoaderFile]) -> UInt64 {
        files.map { $0.range.upperBound > VirtBoard.ram.base ? $0.range.upperBound - VirtBoard.ram.base : 0 }.max() ?? 0
    }

    /// Checks that no two files overlap and that all lie in `ramSize` bytes of RAM.
    public static func check(_ files: [LoaderFile], ramSize: UInt64) throws {
        let ram = VirtBoard.ram.base..<(VirtBoard.ram.base + ramSize)
        for (i, f) in files.enumerated() {
            if let o = files[..<i].first(where: { $0.range.overlaps(f.range) }) {
                throw LoadError("--loader \(f.path)@\(hex(f.address)) (\(f.bytes.count) bytes) overlaps --loader \(o.path)@\(hex(o.address)) (\(o.bytes.count) bytes)")
            }
            guard f.range.lowerBound >= ram.lowerBound, f.range.upperBound <= ram.upperBound else {
                throw LoadError("--loader \(f.path)@\(hex(f.address)) (\(f.bytes.count) bytes) is outside RAM (\(hex(ram.lowerBound))-\(hex(ram.upperBound - 1)), --ram \(ramSize >> 20)M)")
            }
        }
    }
}

extension Machine {
    /// Copies `files` into RAM (after checking them); before `boot` or `bootHypervisor`.
    public func load(_ files: [LoaderFile]) throws {
        try LoaderFile.check(files, ramSize: config.ramSize)
        for f in files {
            try bus.load(f.bytes, at: f.address)      // forgets decoded code there (Bus.hostWrote)
        }
    }
}

extension HypervisorConfig {
    /// Checks that every boot module given as machine memory (dom0less `reg`) lies within
    /// one of the loaded files; errors name the domain's node and the module's address.
    public func checkModules(loadedBy files: [LoaderFile]) throws {
        for d in domains {
            for (kind, source) in [("kernel", d.kernel), ("ramdisk", d.ramdisk)] {
                guard case .memory(let a, let n)? = source else { continue }
                let what = "/chosen/\(d.name): \(kind) module at \(hex(a)) (\(n) bytes)"
                guard let f = files.first(where: { $0.range.contains(a) }) else {
                    throw LoadError("\(what) is not loaded: no --loader file covers \(hex(a))")
                }
                guard n <= f.range.upperBound - a else {
                    throw LoadError("\(what) runs past the end of --loader \(f.path)@\(hex(f.address)) (\(f.bytes.count) bytes, up to \(hex(f.range.upperBound)))")
                }
            }
        }
    }
}
