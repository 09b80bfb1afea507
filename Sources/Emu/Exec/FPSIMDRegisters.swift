// The SIMD&FP register file as the handlers see it: 128-bit values with element access
// (Arm ARM "Elem[]"), the element loops shared by the element-wise handlers, and the
// FPCR/FPSR plumbing. Element i of size 2^es bytes is bits [(i+1)·8·2^es - 1 : i·8·2^es].

/// A 128-bit SIMD&FP register value.
struct V128: Equatable {
    var lo: UInt64, hi: UInt64

    static let zero = V128(lo: 0, hi: 0)

    /// Element `i` of 2^es bytes, zero-extended.
    @inline(__always) func elem(_ i: Int, _ es: Int) -> UInt64 {
        let pos = i &<< (es &+ 3)
        let word = pos < 64 ? lo : hi
        if es == 3 { return word }
        return (word &>> UInt64(pos & 63)) & ones(8 &<< es)
    }

    /// Replaces element `i` with the low bits of `v`.
    @inline(__always) mutating func setElem(_ i: Int, _ es: Int, _ v: UInt64) {
        let pos = i &<< (es &+ 3)
        if es == 3 {
            if pos < 64 { lo = v } else { hi = v }
            return
        }
        let mask = ones(8 &<< es) &<< UInt64(pos & 63)
        let bits = (v &<< UInt64(pos & 63)) & mask
        if pos < 64 { lo = (lo & ~mask) | bits } else { hi = (hi & ~mask) | bits }
    }

    /// Byte `i` (0-15).
    @inline(__always) func byte(_ i: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: (i < 8 ? lo : hi) &>> UInt64((i & 7) &* 8))
    }

    /// The value with every element equal to element `i` of this one.
    @inline(__always) func broadcast(_ i: Int, _ es: Int) -> V128 {
        let e = elem(i, es)
        let r = es == 3 ? e : replicate(e, 8 << es)
        return V128(lo: r, hi: r)
    }
}

/// Sign-extends an element of 2^es bytes.
@inline(__always) func sext(_ v: UInt64, _ es: Int) -> Int64 {
    Int64(bitPattern: signExtend(v, 8 &<< es))
}

/// Number of elements of 2^es bytes a slot's shape covers.
@inline(__always) func elementCount(_ s: Slot) -> Int {
    switch s.y {
    case Shape.scalar: return 1
    case Shape.q128: return 16 &>> Int(s.x)
    default: return 8 &>> Int(s.x)
    }
}

extension CPU {
    @inline(__always) func vreg(_ r: UInt8) -> V128 {
        V128(lo: v[Int(r) &<< 1], hi: v[Int(r) &<< 1 &+ 1])
    }

    @inline(__always) func setVreg(_ r: UInt8, _ value: V128) {
        v[Int(r) &<< 1] = value.lo
        v[Int(r) &<< 1 &+ 1] = value.hi
    }

    /// Writes a scalar or 64-bit result, clearing the rest of the register.
    @inline(__always) func setVreg(_ r: UInt8, low: UInt64) {
        v[Int(r) &<< 1] = low
        v[Int(r) &<< 1 &+ 1] = 0
    }

    /// Operand m of a two-operand element-wise slot: Vm, or one element of it broadcast.
    @inline(__always) func operandM(_ s: Slot) -> V128 {
        let p = s.payload
        if p & Indexed.flag == 0 { return vreg(s.m) }
        return vreg(s.m).broadcast(Int((p >> 8) & 15), Int(s.x))
    }

    /// The FP environment for one instruction.
    @inline(__always) var fpEnv: FPEnv { FPEnv(fpcr: st.pointee.fpcr) }

    /// Accumulates an instruction's FPSR flags.
    @inline(__always) func raise(_ env: FPEnv) {
        if env.flags != 0 { st.pointee.fpsr |= UInt64(env.flags) }
    }

    /// Sets FPSR.QC (a saturating instruction saturated).
    @inline(__always) func saturated(_ sat: Bool) {
        if sat { st.pointee.fpsr |= UInt64(FPFlag.qc) }
    }
}

// MARK: Element loops (non-escaping bodies, inlined into each handler case)

// Each loop walks the lanes of one 64-bit half at a time, so a lane is a shift and a
// mask away (no per-lane choice of half, no read-modify-write of the result).

/// r[i] = f(a[i]) for the first `count` elements; the rest of r is zero.
@inline(__always)
func mapLanes(_ a: V128, _ es: Int, _ count: Int, _ f: (UInt64) -> UInt64) -> V128 {
    let bits = UInt64(8 &<< es), mask = ones(8 &<< es), low = min(count, 8 &>> es)
    var lo: UInt64 = 0, hi: UInt64 = 0, sh: UInt64 = 0
    for _ in 0..<low { lo |= (f((a.lo &>> sh) & mask) & mask) &<< sh; sh &+= bits }
    sh = 0
    for _ in 0..<(count &- low) { hi |= (f((a.hi &>> sh) & mask) & mask) &<< sh; sh &+= bits }
    return V128(lo: lo, hi: hi)
}

/// r[i] = f(a[i], b[i]).
@inline(__always)
func mapLanes(_ a: V128, _ b: V128, _ es: Int, _ count: Int, _ f: (UInt64, UInt64) -> UInt64) -> V128 {
    let bits = UInt64(8 &<< es), mask = ones(8 &<< es), low = min(count, 8 &>> es)
    var lo: UInt64 = 0, hi: UInt64 = 0, sh: UInt64 = 0
    for _ in 0..<low { lo |= (f((a.lo &>> sh) & mask, (b.lo &>> sh) & mask) & mask) &<< sh; sh &+= bits }
    sh = 0
    for _ in 0..<(count &- low) { hi |= (f((a.hi &>> sh) & mask, (b.hi &>> sh) & mask) & mask) &<< sh; sh &+= bits }
    return V128(lo: lo, hi: hi)
}

/// r[i] = f(a[i], b[i], c[i]) (accumulating forms: c is the old destination).
@inline(__always)
func mapLanes(_ a: V128, _ b: V128, _ c: V128, _ es: Int, _ count: Int,
              _ f: (UInt64, UInt64, UInt64) -> UInt64) -> V128 {
    let bits = UInt64(8 &<< es), mask = ones(8 &<< es), low = min(count, 8 &>> es)
    var lo: UInt64 = 0, hi: UInt64 = 0, sh: UInt64 = 0
    for _ in 0..<low {
        lo |= (f((a.lo &>> sh) & mask, (b.lo &>> sh) & mask, (c.lo &>> sh) & mask) & mask) &<< sh
        sh &+= bits
    }
    sh = 0
    for _ in 0..<(count &- low) {
        hi |= (f((a.hi &>> sh) & mask, (b.hi &>> sh) & mask, (c.hi &>> sh) & mask) & mask) &<< sh
        sh &+= bits
    }
    return V128(lo: lo, hi: hi)
}

/// The lanes of one 64-bit word combined two by two, packed from bit 0.
@inline(__always)
private func pairWord(_ x: UInt64, _ pairs: Int, _ es: Int, _ f: (UInt64, UInt64) -> UInt64) -> UInt64 {
    let bits = UInt64(8 &<< es), mask = ones(8 &<< es)
    var r: UInt64 = 0, sh: UInt64 = 0, out: UInt64 = 0
    for _ in 0..<pairs {
        r |= (f((x &>> sh) & mask, (x &>> (sh &+ bits)) & mask) & mask) &<< out
        sh &+= 2 &* bits
        out &+= bits
    }
    return r
}

/// Pairwise: the elements of b:a (b above a) combined two by two. A scalar shape
/// combines the two elements of a.
@inline(__always)
func pairLanes(_ a: V128, _ b: V128, _ es: Int, _ count: Int, scalar: Bool,
               _ f: (UInt64, UInt64) -> UInt64) -> V128 {
    if es == 3 { return scalar ? V128(lo: f(a.lo, a.hi), hi: 0) : V128(lo: f(a.lo, a.hi), hi: f(b.lo, b.hi)) }
    if scalar { return V128(lo: f(a.lo & 0xffff_ffff, a.lo >> 32) & 0xffff_ffff, hi: 0) }   // FADDP Sd etc.
    let pairs = 4 &>> es                     // pairs in one 64-bit word
    if count == 8 &>> es {                   // 64-bit vectors: a's pairs, then b's
        return V128(lo: pairWord(a.lo, pairs, es, f) | pairWord(b.lo, pairs, es, f) << 32, hi: 0)
    }
    return V128(lo: pairWord(a.lo, pairs, es, f) | pairWord(a.hi, pairs, es, f) << 32,
                hi: pairWord(b.lo, pairs, es, f) | pairWord(b.hi, pairs, es, f) << 32)
}

// The integer pairwise and reduction helpers switch on the element size, so their
// bodies get a constant lane width and the short lane loops unroll (these are the
// string-function hot spots; the other loops stay generic to keep compile time down).

@inline(__always)
func pairInt(_ a: V128, _ b: V128, _ es: Int, _ count: Int, scalar: Bool, _ f: (UInt64, UInt64) -> UInt64) -> V128 {
    switch es {
    case 0: return pairLanes(a, b, 0, count, scalar: scalar, f)
    case 1: return pairLanes(a, b, 1, count, scalar: scalar, f)
    case 2: return pairLanes(a, b, 2, count, scalar: scalar, f)
    default: return pairLanes(a, b, 3, count, scalar: scalar, f)
    }
}

/// Combines the first `count` elements left to right (integer reductions, where the
/// order does not matter).
@inline(__always)
func foldInt(_ a: V128, _ es: Int, _ count: Int, _ f: (UInt64, UInt64) -> UInt64) -> UInt64 {
    @inline(__always) func fold(_ es: Int) -> UInt64 {
        let bits = UInt64(8 &<< es), mask = ones(8 &<< es), low = min(count, 8 &>> es)
        var acc = a.lo & mask, sh = bits
        for _ in 1..<low { acc = f(acc, (a.lo &>> sh) & mask); sh &+= bits }
        sh = 0
        for _ in 0..<(count &- low) { acc = f(acc, (a.hi &>> sh) & mask); sh &+= bits }
        return acc
    }
    switch es {
    case 0: return fold(0)
    case 1: return fold(1)
    default: return fold(2)
    }
}

// MARK: Lane-parallel arithmetic on 64-bit halves (SWAR)

/// The top bit of every lane of 2^es bytes.
@inline(__always) func laneTops(_ es: Int) -> UInt64 {
    switch es {
    case 0: return 0x8080_8080_8080_8080
    case 1: return 0x8000_8000_8000_8000
    case 2: return 0x8000_0000_8000_0000
    default: return 0x8000_0000_0000_0000
    }
}

/// Lane-wise x + y.
@inline(__always) func lanesAdd(_ x: UInt64, _ y: UInt64, _ es: Int) -> UInt64 {
    let h = laneTops(es)
    return ((x & ~h) &+ (y & ~h)) ^ ((x ^ y) & h)
}

/// Lane-wise x - y.
@inline(__always) func lanesSub(_ x: UInt64, _ y: UInt64, _ es: Int) -> UInt64 {
    let h = laneTops(es)
    return ((x | h) &- (y & ~h)) ^ ((x ^ ~y) & h)
}

/// All ones in every nonzero lane, zeros elsewhere.
@inline(__always) func lanesNonZero(_ x: UInt64, _ es: Int) -> UInt64 {
    let h = laneTops(es)
    let tops = (((x & ~h) &+ ~h) | x) & h           // a lane's top bit: any bit of it set
    return (tops &>> UInt64((8 &<< es) &- 1)) &* ones(8 &<< es)
}

/// Reduce (Arm ARM): combines the first `count` elements as a balanced tree.
@inline(__always)
func reduceLanes(_ a: V128, _ es: Int, _ count: Int, _ f: (UInt64, UInt64) -> UInt64) -> UInt64 {
    var level = a, n = count
    while n > 1 {
        var next = V128.zero
        for i in 0..<(n / 2) { next.setElem(i, es, f(level.elem(2 * i, es), level.elem(2 * i + 1, es))) }
        level = next
        n /= 2
    }
    return level.elem(0, es)
}
