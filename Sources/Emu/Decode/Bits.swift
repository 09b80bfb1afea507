// Bit-manipulation helpers shared by the decoder and the instruction handlers.
// Pseudocode names follow the Arm ARM (shared/functions/common).

@inline(__always) func bits(_ v: UInt32, _ hi: Int, _ lo: Int) -> UInt32 {
    (v >> UInt32(lo)) & ((1 << UInt32(hi - lo + 1)) - 1)
}

@inline(__always) func bit(_ v: UInt32, _ n: Int) -> Bool { (v >> UInt32(n)) & 1 != 0 }

/// Sign-extends the low `width` bits (1...64) of `v` to 64 bits.
@inline(__always) func signExtend(_ v: UInt64, _ width: Int) -> UInt64 {
    let s = UInt64(truncatingIfNeeded: 64 &- width)     // 0...63: masking shifts, no range checks
    return UInt64(bitPattern: Int64(bitPattern: v &<< s) &>> Int64(bitPattern: s))
}

/// All-ones in the low `n` bits (n in 0...64).
@inline(__always) func ones(_ n: Int) -> UInt64 { n >= 64 ? ~0 : (1 << UInt64(n)) &- 1 }

@inline(__always) func ror(_ v: UInt64, _ amount: Int, width: Int) -> UInt64 {
    let a = amount % width
    if a == 0 { return v & ones(width) }
    return ((v >> UInt64(a)) | (v << UInt64(width - a))) & ones(width)
}

/// Replicates the low `esize` bits of `v` across 64 bits.
func replicate(_ v: UInt64, _ esize: Int) -> UInt64 {
    var r: UInt64 = 0
    var i = 0
    while i < 64 { r |= (v & ones(esize)) << UInt64(i); i += esize }
    return r
}

/// DecodeBitMasks (Arm ARM, shared/functions/bitmasks). Returns (wmask, tmask),
/// or nil for a reserved encoding.
public func decodeBitMasks(n: UInt32, imms: UInt32, immr: UInt32, immediate: Bool, dataSize: Int) -> (UInt64, UInt64)? {
    let combined = (n << 6) | (~imms & 0x3f)
    guard combined != 0 else { return nil }
    let len = 31 - combined.leadingZeroBitCount
    guard len >= 1, dataSize >= (1 << len) else { return nil }
    let levels = UInt32((1 << len) - 1)
    if immediate && (imms & levels) == levels { return nil }
    let s = Int(imms & levels), r = Int(immr & levels)
    let diff = (s - r) & Int(levels)
    let esize = 1 << len
    let welem = ones(s + 1), telem = ones(diff + 1)
    let wmask = replicate(ror(welem, r, width: esize), esize) & ones(dataSize)
    let tmask = replicate(telem, esize) & ones(dataSize)
    return (wmask, tmask)
}
