import Emu

/// Guest memory as a hypercall's pointer arguments see it: EL1 virtual addresses of
/// the calling vCPU, translated through its stage 1 and its domain's stage 2 (Xen's
/// copy_from_guest / copy_to_guest on Arm). Nothing outside the domain is reachable.
struct GuestVirtual {
    let cpu: CPU
    let bus: Bus
    let written: (Range<UInt64>) -> Void

    func read(_ va: UInt64, count: Int) -> [UInt8]? {
        guard count >= 0, count <= 1 << 24 else { return nil }
        return PagedCopy(bus: bus).read(va, count: count) { cpu.translateGuestVirtual($0, write: false) }
    }

    @discardableResult
    func write(_ bytes: [UInt8], at va: UInt64) -> Bool {
        PagedCopy(bus: bus).write(bytes, at: va, translate: { cpu.translateGuestVirtual($0, write: true) }, wrote: written)
    }

    /// A little-endian value of `n` (1 to 8) bytes at `va`. Within one page (the usual
    /// case: a batch's fields) it is read in place, with no copy.
    func value(_ va: UInt64, _ n: Int) -> UInt64? {
        guard va & 0xfff <= 0x1000 - UInt64(n) else { return read(va, count: n).map(le) }
        guard let pa = cpu.translateGuestVirtual(va, write: false), let h = bus.host(pa) else { return nil }
        var v: UInt64 = 0
        for i in 0..<n { v |= UInt64(h.load(fromByteOffset: i, as: UInt8.self)) << UInt64(8 * i) }
        return v
    }

    func u16(_ va: UInt64) -> UInt16? { value(va, 2).map { UInt16(truncatingIfNeeded: $0) } }
    func u32(_ va: UInt64) -> UInt32? { value(va, 4).map { UInt32(truncatingIfNeeded: $0) } }
    func u64(_ va: UInt64) -> UInt64? { value(va, 8) }

    /// Stores the low `n` bytes of `v` little-endian at `va`; in place when within one page.
    @discardableResult func store(_ v: UInt64, _ n: Int, at va: UInt64) -> Bool {
        guard va & 0xfff <= 0x1000 - UInt64(n) else { return write(bytesLE(v, n), at: va) }
        guard let pa = cpu.translateGuestVirtual(va, write: true), let h = bus.host(pa) else { return false }
        for i in 0..<n { h.storeBytes(of: UInt8(truncatingIfNeeded: v >> UInt64(8 * i)), toByteOffset: i, as: UInt8.self) }
        written(pa..<(pa + UInt64(n)))
        return true
    }

    @discardableResult func put16(_ v: UInt16, at va: UInt64) -> Bool { store(UInt64(v), 2, at: va) }
    @discardableResult func put32(_ v: UInt32, at va: UInt64) -> Bool { store(UInt64(v), 4, at: va) }
    @discardableResult func put64(_ v: UInt64, at va: UInt64) -> Bool { store(v, 8, at: va) }
}

func le(_ b: [UInt8]) -> UInt64 { b.reversed().reduce(0) { $0 << 8 | UInt64($1) } }
func bytesLE(_ v: UInt64, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }
