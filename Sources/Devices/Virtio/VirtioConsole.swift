/// virtio console device (VIRTIO 1.2 §5.3) with a single port: receiveq 0 carries input to the
/// guest, transmitq 1 carries its output. Multiport is not offered.
public final class VirtioConsole: VirtioDevice {
    /// §5.3.3 feature bits.
    public enum Feature { public static let emergencyWrite: UInt64 = 1 << 2 }
    /// §5.3.4 struct virtio_console_config: cols, rows, max_nr_ports, emerg_wr.
    enum Config { static let cols = 0, rows = 2, maxPorts = 4, emergencyWrite = 8, size = 12 }
    /// §5.3.2 virtqueues of port 0.
    public enum Queue { public static let receive = 0, transmit = 1 }
    static let queueSize: UInt16 = 128

    /// Receives the guest's output, a chain at a time.
    public var output: ([UInt8]) -> Void
    var input: [UInt8] = []
    var inputStart = 0

    public var requestService: ((Int) -> Void)?

    public init(output: @escaping ([UInt8]) -> Void) { self.output = output }

    /// Queues input bytes for the guest; they go into receive buffers as the driver posts them.
    public func receive(_ bytes: [UInt8]) {
        input.append(contentsOf: bytes)
        requestService?(Queue.receive)
    }

    /// Input bytes not yet delivered to the guest.
    public var pendingInput: Int { input.count - inputStart }

    // MARK: VirtioDevice

    public var deviceID: UInt32 { 3 }
    public var features: UInt64 { Feature.emergencyWrite }
    public var queueMaxSizes: [UInt16] { [Self.queueSize, Self.queueSize] }
    public var configSpace: [UInt8] { [UInt8](repeating: 0, count: Config.size) }

    /// §5.3.6.2: a write to emerg_wr outputs one byte even before the queues are set up.
    public func writeConfig(offset: Int, size: Int, value: UInt64) {
        if offset == Config.emergencyWrite && size == 4 { output([UInt8(truncatingIfNeeded: value)]) }
    }

    public func process(queue: Virtqueue) throws(VirtioError) {
        switch queue.index {
        case Queue.receive: try deliverInput(queue)
        case Queue.transmit: try transmit(queue)
        default: break
        }
    }

    /// Output: every device-readable byte of each chain, in order (§5.3.6.1).
    private func transmit(_ queue: Virtqueue) throws(VirtioError) {
        while let chain = try queue.pop() {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(chain.readableLength)
            for b in chain.readable { bytes.append(contentsOf: UnsafeRawBufferPointer(start: b.host, count: b.length)) }
            if !bytes.isEmpty { output(bytes) }
            queue.push(chain, written: 0)
        }
    }

    /// Input: fills posted receive buffers while input is pending; leaves other buffers posted.
    private func deliverInput(_ queue: Virtqueue) throws(VirtioError) {
        while pendingInput > 0, let chain = try queue.pop() {
            let n = min(pendingInput, chain.writableLength)
            chain.write(Array(input[inputStart ..< inputStart + n]), at: 0)
            inputStart += n
            queue.push(chain, written: n)
        }
        if inputStart == input.count {
            input.removeAll(keepingCapacity: true); inputStart = 0
        } else if inputStart >= 4096 {
            input.removeFirst(inputStart); inputStart = 0
        }
    }
}
