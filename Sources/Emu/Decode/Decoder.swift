// The A64 decoder, built from the encoding tables (one line per instruction, its
// bit pattern written as in the Arm ARM encoding diagrams, most significant bit first):
// '0'/'1' are fixed bits, any other character is an operand field or "don't care".
// At start-up the table is bucketed by bits [31:20]; decoding a word scans its bucket
// in table order and the first matching line wins, so more specific lines come first.

public struct Encoding: Sendable {
    public let name: String
    public let mask: UInt32
    public let value: UInt32
    let decode: @Sendable (UInt32) -> Slot

    init(_ name: String, _ pattern: String, _ decode: @escaping @Sendable (UInt32) -> Slot) {
        let bits = pattern.filter { $0 != " " && $0 != "_" }
        precondition(bits.count == 32, "encoding \(name): pattern has \(bits.count) bits")
        var mask: UInt32 = 0, value: UInt32 = 0
        for c in bits {
            mask <<= 1; value <<= 1
            if c == "0" { mask |= 1 } else if c == "1" { mask |= 1; value |= 1 }
        }
        self.name = name; self.mask = mask; self.value = value; self.decode = decode
    }

    @inline(__always) func matches(_ w: UInt32) -> Bool { w & mask == value }
}

public final class Decoder: Sendable {
    public static let shared = Decoder()

    /// Every encoding line, in priority order.
    public let encodings: [Encoding]
    private let buckets: [[Int]]

    init() {
        let all: [Encoding] = dataProcessingImmediate + dataProcessingRegister + loadsAndStores
            + branchesAndSystem + fpsimdLoadsAndStores + fpScalarEncodings + simdArithmeticEncodings
            + simdMiscEncodings + simdPermuteEncodings
        encodings = all
        var b = [[Int]](repeating: [], count: 4096)
        for key in 0..<4096 {
            let top = UInt32(key) << 20
            for (i, e) in all.enumerated() where (top & e.mask & 0xfff0_0000) == (e.value & 0xfff0_0000) {
                b[key].append(i)
            }
        }
        buckets = b
    }

    /// The table line that decodes `word`, or nil if the word is unallocated.
    public func encoding(of word: UInt32) -> Encoding? {
        for i in buckets[Int(word >> 20)] where encodings[i].matches(word) { return encodings[i] }
        return nil
    }

    /// Decodes one instruction word into its slot; unallocated words become `.undefined`.
    public func decode(_ word: UInt32) -> Slot {
        guard let e = encoding(of: word) else { return Slot(.undefined, imm: UInt64(word)) }
        return e.decode(word)
    }
}

/// The slot every unallocated or reserved encoding decodes to.
@inline(__always) func undef(_ w: UInt32) -> Slot { Slot(.undefined, imm: UInt64(w)) }
