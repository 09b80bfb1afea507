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

    func u16(_ va: UInt64) -> UInt16? { read(va, count: 2).map { UInt16($0[0]) | UInt16($0[1]) << 8 } }
    func u32(_ va: UInt64) -> UInt32? { read(va, count: 4).map { le($0) }.map { UInt32(truncatingIfNeeded: $0) } }
    func u64(_ va: UInt64) -> UInt64? { read(va, count: 8).map { le($0) } }

    @discardableResult func put32(_ v: UInt32, at va: UInt64) -> Bool { write(bytesLE(UInt64(v), 4), at: va) }
    @discardableResult func put64(_ v: UInt64, at va: UInt64) -> Bool { write(bytesLE(v, 8), at: va) }
}

func le(_ b: [UInt8]) -> UInt64 { b.reversed().reduce(0) { $0 << 8 | UInt64($1) } }
func bytesLE(_ v: UInt64, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }
