import Emu

/// virtio entropy device (VIRTIO 1.2 §5.4): one request queue whose device-writable buffers are
/// filled with random bytes. The bytes come from a seeded PRNG, not the host, so that runs
/// are reproducible (docs/architecture.md, "Determinism and record/replay").
public final class VirtioEntropy: VirtioDevice {
    /// §5.4.2 virtqueues.
    public enum Queue { public static let request = 0 }
    static let queueSize: UInt16 = 64

    var generator: SplitMix64
    public var requestService: ((Int) -> Void)?

    /// The same `seed` gives the same byte stream on every run.
    public init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    public var deviceID: UInt32 { 4 }
    public var features: UInt64 { 0 }                    // §5.4.3: none
    public var queueMaxSizes: [UInt16] { [Self.queueSize] }
    public var configSpace: [UInt8] { [] }               // §5.4.4: none

    /// §5.4.6: fill every writable byte; the used length says how many were filled.
    public func process(queue: Virtqueue) throws(VirtioError) {
        while let chain = try queue.pop() {
            var written = 0
            for b in chain.writable {
                fill(b.host, b.length)
                written += b.length
            }
            queue.push(chain, written: written)
        }
    }

    private func fill(_ p: UnsafeMutableRawPointer, _ count: Int) {
        var i = 0
        while i < count {
            let word = generator.next()
            let n = min(8, count - i)
            for k in 0..<n { p.storeBytes(of: UInt8(truncatingIfNeeded: word >> (8 * UInt64(k))), toByteOffset: i + k, as: UInt8.self) }
            i += n
        }
    }
}
