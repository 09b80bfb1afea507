import Foundation
import Emu

/// Kernel images hvsim can boot, recognised by content: ELF64 for AArch64, an arm64
/// Linux `Image` (Documentation/arm64/booting.rst header), or a raw binary.
public enum KernelFormat: String, Sendable { case elf, image, raw }

public struct LoadedKernel: Sendable {
    public let format: KernelFormat
    public let entry: UInt64
    public let lowest: UInt64
    public let highest: UInt64
    /// ELF symbols (name → address), for breakpoints and traces.
    public let symbols: [String: UInt64]
}

public struct LoadError: Error, CustomStringConvertible {
    public let description: String
    init(_ s: String) { description = s }
}

public enum Loader {
    /// Reads a kernel file, failing with a one-line reason naming the file.
    public static func readFile(_ path: String) throws -> [UInt8] {
        guard FileManager.default.fileExists(atPath: path) else { throw LoadError("\(path): no such file") }
        // Read straight into the array (kernels are tens of MiB: no Data in between).
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw LoadError("\(path): cannot read file") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw LoadError("\(path): cannot read file") }
        if st.st_mode & S_IFMT != S_IFREG {       // a pipe or device: its size is not known ahead
            guard let d = FileManager.default.contents(atPath: path) else { throw LoadError("\(path): cannot read file") }
            if d.isEmpty { throw LoadError("\(path): file is empty") }
            return [UInt8](d)
        }
        let size = Int(st.st_size)
        if size == 0 { throw LoadError("\(path): file is empty") }
        var failed = false
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buf, count in
            while count < size {
                let n = read(fd, buf.baseAddress! + count, size - count)
                if n < 0 && errno == EINTR { continue }      // a signal came first: read again
                if n <= 0 { failed = n < 0; break }
                count += n
            }
        }
        guard !failed, bytes.count == size else { throw LoadError("\(path): cannot read file") }
        return bytes
    }

    public static func detect(_ data: [UInt8]) -> KernelFormat {
        if data.count >= 4 && data[0] == 0x7f && data[1] == 0x45 && data[2] == 0x4c && data[3] == 0x46 { return .elf }
        if data.count >= 64 && data[56] == 0x41 && data[57] == 0x52 && data[58] == 0x4d && data[59] == 0x64 { return .image }
        return .raw
    }

    /// Loads `data` into guest RAM starting at `ramBase` and returns where it went.
    public static func load(_ data: [UInt8], name: String, into bus: Bus, ramBase: UInt64, ramSize: UInt64,
                            allowRaw: Bool = false) throws -> LoadedKernel {
        switch detect(data) {
        case .elf: return try loadELF(data, name: name, bus: bus)
        case .image: return try loadImage(data, name: name, bus: bus, ramBase: ramBase, ramSize: ramSize)
        case .raw:
            guard allowRaw else {
                throw LoadError("\(name): not an AArch64 ELF file or an arm64 Image (load raw binaries with --format raw)")
            }
            return try loadRaw(data, name: name, into: bus, ramBase: ramBase, ramSize: ramSize)
        }
    }

    /// A raw binary goes to RAM base + 512 KiB and starts at its first byte (QEMU's arm64 default).
    public static func loadRaw(_ data: [UInt8], name: String, into bus: Bus, ramBase: UInt64,
                               ramSize: UInt64) throws -> LoadedKernel {
        let at = ramBase + VirtBoard.rawLoadOffset
        guard UInt64(data.count) <= ramSize - VirtBoard.rawLoadOffset else {
            throw LoadError("\(name): \(data.count) bytes do not fit in \(ramSize >> 20) MiB of RAM")
        }
        try bus.load(data, at: at)
        return LoadedKernel(format: .raw, entry: at, lowest: at, highest: at + UInt64(data.count), symbols: [:])
    }

    // MARK: arm64 Image

    /// The Image is placed at a 2 MiB-aligned base plus text_offset; like QEMU, offsets
    /// that would collide with the first page of RAM are moved up by 2 MiB.
    static func loadImage(_ d: [UInt8], name: String, bus: Bus, ramBase: UInt64, ramSize: UInt64) throws -> LoadedKernel {
        let textOffset = le64(d, 8), imageSize = le64(d, 16)
        var offset = VirtBoard.rawLoadOffset
        if imageSize != 0 {
            offset = textOffset
            if offset < 4096 { offset += 2 << 20 }
        }
        let span = max(imageSize, UInt64(d.count))
        guard offset < ramSize, span <= ramSize - offset else {
            throw LoadError("\(name): arm64 Image of \(span >> 10) KiB does not fit in \(ramSize >> 20) MiB of RAM")
        }
        let at = ramBase + offset
        try bus.load(d, at: at)
        return LoadedKernel(format: .image, entry: at, lowest: at, highest: at + span, symbols: [:])
    }

    // MARK: ELF

    static func loadELF(_ d: [UInt8], name: String, bus: Bus) throws -> LoadedKernel {
        guard d.count >= 64 else { throw LoadError("\(name): truncated ELF header (\(d.count) bytes)") }
        guard d[4] == 2 else { throw LoadError("\(name): not a 64-bit ELF file") }
        guard d[5] == 1 else { throw LoadError("\(name): not a little-endian ELF file") }
        let machine = le16(d, 18)
        guard machine == 183 else { throw LoadError("\(name): ELF machine \(machine) is not AArch64 (183)") }
        let entry = le64(d, 24), phoff = le64(d, 32), shoff = le64(d, 40)
        let phentsize = UInt64(le16(d, 54)), phnum = UInt64(le16(d, 56))
        guard phentsize >= 56, phnum > 0, phoff < UInt64(d.count),
              phnum * phentsize <= UInt64(d.count) - phoff else {
            throw LoadError("\(name): ELF program headers lie outside the file")
        }
        var lowest = UInt64.max, highest: UInt64 = 0, loaded = 0
        for i in 0..<phnum {
            let p = Int(phoff + i * phentsize)
            guard le32(d, p) == 1 else { continue }    // PT_LOAD
            let off = le64(d, p + 8), paddr = le64(d, p + 24), filesz = le64(d, p + 32), memsz = le64(d, p + 40)
            guard off <= UInt64(d.count), filesz <= UInt64(d.count) - off else {
                throw LoadError("\(name): ELF segment \(i) extends past the end of the file (truncated?)")
            }
            guard memsz >= filesz, memsz < 1 << 40 else { throw LoadError("\(name): ELF segment \(i) has a bad size") }
            guard let bank = bus.bank(paddr), paddr + memsz <= bank.base + bank.size else {
                throw LoadError("\(name): ELF segment \(i) at \(hex(paddr)) (\(memsz) bytes) is outside guest RAM")
            }
            try bus.load(Array(d[Int(off)..<Int(off + filesz)]), at: paddr)
            if memsz > filesz {
                try bus.load([UInt8](repeating: 0, count: Int(memsz - filesz)), at: paddr + filesz)
            }
            lowest = min(lowest, paddr); highest = max(highest, paddr + memsz); loaded += 1
        }
        guard loaded > 0 else { throw LoadError("\(name): ELF file has no loadable segments") }
        return LoadedKernel(format: .elf, entry: entry, lowest: lowest, highest: highest,
                            symbols: elfSymbols(d, shoff: shoff))
    }

    /// Reads .symtab if present; a malformed table is ignored (symbols are a convenience).
    static func elfSymbols(_ d: [UInt8], shoff: UInt64) -> [String: UInt64] {
        let shentsize = UInt64(le16(d, 58)), shnum = UInt64(le16(d, 60))
        guard shoff > 0, shentsize >= 64, shoff < UInt64(d.count), shnum * shentsize <= UInt64(d.count) - shoff else {
            return [:]
        }
        var out: [String: UInt64] = [:]
        for i in 0..<shnum {
            let s = Int(shoff + i * shentsize)
            guard le32(d, s + 4) == 2 else { continue }   // SHT_SYMTAB
            let off = le64(d, s + 24), size = le64(d, s + 32), link = UInt64(le32(d, s + 40))
            guard link < shnum, off <= UInt64(d.count), size <= UInt64(d.count) - off else { continue }
            let str = Int(shoff + link * shentsize)
            let stroff = le64(d, str + 24), strsize = le64(d, str + 32)
            guard stroff <= UInt64(d.count), strsize <= UInt64(d.count) - stroff else { continue }
            var e = Int(off)
            while e + 24 <= Int(off + size) {
                let nameOff = UInt64(le32(d, e)), value = le64(d, e + 8)
                if nameOff > 0 && nameOff < strsize {
                    var j = Int(stroff + nameOff)
                    var bytes: [UInt8] = []
                    while j < Int(stroff + strsize) && d[j] != 0 { bytes.append(d[j]); j += 1 }
                    if let n = String(bytes: bytes, encoding: .utf8), !n.isEmpty, !n.hasPrefix("$") { out[n] = value }
                }
                e += 24
            }
        }
        return out
    }
}

func le16(_ d: [UInt8], _ o: Int) -> UInt16 { o + 2 <= d.count ? UInt16(d[o]) | UInt16(d[o + 1]) << 8 : 0 }
func le32(_ d: [UInt8], _ o: Int) -> UInt32 {
    guard o + 4 <= d.count else { return 0 }
    return (0..<4).reduce(UInt32(0)) { $0 | UInt32(d[o + $1]) << UInt32(8 * $1) }
}
func le64(_ d: [UInt8], _ o: Int) -> UInt64 {
    guard o + 8 <= d.count else { return 0 }
    return (0..<8).reduce(UInt64(0)) { $0 | UInt64(d[o + $1]) << UInt64(8 * $1) }
}
