import Foundation

/// A device's MMIO handler. Called only on the slow path (never per instruction), with
/// the offset into the device's region, the access size in bytes (1, 2, 4 or 8) and
/// the index of the CPU making the access.
public protocol MMIOHandler: AnyObject {
    func read(offset: UInt64, size: Int, cpu: Int) -> UInt64
    func write(offset: UInt64, size: Int, value: UInt64, cpu: Int)
}

public enum EmuError: Error, CustomStringConvertible {
    case outOfMemory(String)
    case badMemoryMap(String)
    public var description: String {
        switch self {
        case .outOfMemory(let s), .badMemoryMap(let s): return s
        }
    }
}

/// The physical address space: RAM banks and MMIO regions. Anything else is unmapped
/// and an access to it is an external abort (docs/architecture.md, "The soft TLB").
public final class Bus {
    // Read on every page walk and slow access: no dynamic exclusivity check (they are only
    // appended to while the machine is built).
    @exclusivity(unchecked) public private(set) var banks: [RAMBank] = []
    struct Region { let base: UInt64; let size: UInt64; let handler: MMIOHandler; let name: String }
    @exclusivity(unchecked) private(set) var regions: [Region] = []
    /// The machine's decoded and compiled code (it registers itself, and clears this when
    /// it goes), for `hostWrote`: not counted, as hostWrote runs on every event and DMA.
    unowned(unsafe) var codeCache: CodeCache?

    public init() {}

    @discardableResult
    public func addRAM(base: UInt64, size: UInt64) throws -> RAMBank {
        guard base & 0xfff == 0, size & 0xfff == 0, size > 0 else {
            throw EmuError.badMemoryMap("RAM bank at \(hex(base)) must be page-aligned and non-empty")
        }
        try checkOverlap(base, size, "RAM")
        let b = try RAMBank(base: base, size: size)
        banks.append(b)
        return b
    }

    /// Lets go of every MMIO handler (a machine going away: its devices refer back to what
    /// refers to the bus, a ring nothing else would break).
    public func detachDevices() {
        regions = []
        onMMIO = nil
    }

    public func addMMIO(base: UInt64, size: UInt64, name: String, handler: MMIOHandler) throws {
        try checkOverlap(base, size, name)
        regions.append(Region(base: base, size: size, handler: handler, name: name))
    }

    private func checkOverlap(_ base: UInt64, _ size: UInt64, _ what: String) throws {
        let end = base &+ size
        for b in banks where base < b.base + b.size && b.base < end {
            throw EmuError.badMemoryMap("\(what) at \(hex(base)) overlaps RAM at \(hex(b.base))")
        }
        for r in regions where base < r.base + r.size && r.base < end {
            throw EmuError.badMemoryMap("\(what) at \(hex(base)) overlaps \(r.name) at \(hex(r.base))")
        }
    }

    /// The RAM bank holding `pa`, if any.
    @inline(__always) public func bank(_ pa: UInt64) -> RAMBank? {
        for b in banks where b.contains(pa) { return b }
        return nil
    }

    /// Host address of guest physical `pa` if it is RAM.
    @inline(__always) public func host(_ pa: UInt64) -> UnsafeMutableRawPointer? {
        guard let b = bank(pa) else { return nil }
        b.touch(pa - b.base)          // the caller may write through it (record/replay RAM digests)
        return b.host + Int(pa - b.base)
    }

    func region(_ pa: UInt64) -> Region? {
        for r in regions where pa &- r.base < r.size { return r }
        return nil
    }

    /// Sees every device access (tracing): region name, physical address, size, value,
    /// whether it is a write, and the CPU.
    public var onMMIO: ((String, UInt64, Int, UInt64, Bool, Int) -> Void)? = nil

    /// A running hash of every device access (address, size, value, direction) since power-on:
    /// what replay fingerprints compare of the data that reached devices, which the
    /// registers may no longer show (a byte printed, a block written).
    public private(set) var ioDigest: UInt64 = 0

    /// Mixes one access into `ioDigest` (also for devices emulated outside the bus, such as
    /// the hosted hypervisor's consoles).
    @inline(__always) public func digestIO(_ pa: UInt64, _ size: Int, _ value: UInt64, write: Bool) {
        var h = (ioDigest ^ pa &* 0x9e37_79b9_7f4a_7c15 ^ value) &* 0xbf58_476d_1ce4_e5b9
        h ^= UInt64(size) << 1 | (write ? 1 : 0)
        ioDigest = h ^ h >> 31
    }

    /// Physical read for the slow path; nil means an external abort.
    public func read(_ pa: UInt64, size: Int, cpu: Int = 0) -> UInt64? {
        if let h = host(pa) { return loadLE(h, size) }
        if let r = region(pa) {
            let v = r.handler.read(offset: pa - r.base, size: size, cpu: cpu)
            digestIO(pa, size, v, write: false)
            onMMIO?(r.name, pa, size, v, false, cpu)
            return v
        }
        return nil
    }

    /// Physical write for the slow path; false means an external abort.
    @discardableResult
    public func write(_ pa: UInt64, size: Int, value: UInt64, cpu: Int = 0) -> Bool {
        if let h = host(pa) { storeLE(h, size, value); return true }
        if let r = region(pa) {
            digestIO(pa, size, value, write: true)
            onMMIO?(r.name, pa, size, value, true, cpu)
            r.handler.write(offset: pa - r.base, size: size, value: value, cpu: cpu)
            return true
        }
        return false
    }

    /// Copies bytes into guest physical memory (loaders). Throws if not all RAM.
    public func load(_ data: [UInt8], at pa: UInt64) throws {
        guard let b = bank(pa), pa + UInt64(data.count) <= b.base + b.size else {
            throw EmuError.badMemoryMap("\(data.count) bytes at \(hex(pa)) do not fit in guest RAM")
        }
        data.withUnsafeBytes { src in
            if let s = src.baseAddress { (b.host + Int(pa - b.base)).copyMemory(from: s, byteCount: data.count) }
        }
        b.touch(offset: pa - b.base, length: UInt64(data.count))
        hostWrote(pa..<(pa + UInt64(data.count)))
    }

    /// Host software wrote guest RAM `range` (a device's DMA, the hypervisor, a loader):
    /// forget what was decoded or compiled from it. Guest stores do this on their own
    /// path; no guest cache maintenance covers host writes, and CTR_EL0 (DIC = IDC = 1)
    /// tells guests that none is needed, so every host writer calls this.
    public func hostWrote(_ range: Range<UInt64>) { codeCache?.hostWrote(range) }
}

@inline(__always) func loadLE(_ p: UnsafeMutableRawPointer, _ size: Int) -> UInt64 {
    switch size {
    case 1: return UInt64(p.load(as: UInt8.self))
    case 2: return UInt64(p.loadUnaligned(as: UInt16.self))
    case 4: return UInt64(p.loadUnaligned(as: UInt32.self))
    default: return p.loadUnaligned(as: UInt64.self)
    }
}

@inline(__always) func storeLE(_ p: UnsafeMutableRawPointer, _ size: Int, _ v: UInt64) {
    switch size {
    case 1: p.storeBytes(of: UInt8(truncatingIfNeeded: v), as: UInt8.self)
    case 2: p.storeBytes(of: UInt16(truncatingIfNeeded: v), as: UInt16.self)
    case 4: p.storeBytes(of: UInt32(truncatingIfNeeded: v), as: UInt32.self)
    default: p.storeBytes(of: v, as: UInt64.self)
    }
}

public func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }
