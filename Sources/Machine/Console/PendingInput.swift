/// Console input waiting for the guest: a UART refuses bytes while its receive FIFO is
/// full (or its receiver is off), and they wait here, in order, for the next offer.
public struct PendingInput: Sendable {
    private var bytes: [UInt8] = []
    private var head = 0

    public init() {}

    public var isEmpty: Bool { head == bytes.count }
    /// The bytes still waiting, in order (snapshots).
    public var waiting: [UInt8] { Array(bytes[head...]) }
    public var count: Int { bytes.count - head }

    public mutating func append(_ more: [UInt8]) {
        if head >= 4096 { bytes.removeFirst(head); head = 0 }   // drop what was delivered
        bytes.append(contentsOf: more)
    }

    /// Offers bytes in order until `accept` refuses one (e.g. `uart.receive`);
    /// returns how many it took.
    @discardableResult
    public mutating func deliver(to accept: (UInt8) -> Bool) -> Int {
        let start = head
        while head < bytes.count && accept(bytes[head]) { head += 1 }
        let taken = head - start
        if head == bytes.count { bytes.removeAll(keepingCapacity: true); head = 0 }
        return taken
    }
}
