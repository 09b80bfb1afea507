import Emu

/// A driver error found while reading a virtqueue or a request. The transport answers it by
/// setting DEVICE_NEEDS_RESET (VIRTIO 1.2 §2.1.1); the host never traps on guest input.
public struct VirtioError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Split-virtqueue memory layout (VIRTIO 1.2 §2.7): sizes and offsets of the three areas.
enum SplitRing {
    static let descriptorSize: UInt64 = 16          // §2.7.5 struct virtq_desc
    static let availHeader: UInt64 = 4              // §2.7.6 flags, idx
    static let usedHeader: UInt64 = 4               // §2.7.8 flags, idx
    static let usedElementSize: UInt64 = 8          // id (le32), len (le32)
    static let maxSize: UInt16 = 32768              // §2.7: "maximum Queue Size value is 32768"

    /// Descriptor flags (§2.7.5).
    enum DescFlag { static let next: UInt16 = 1, write: UInt16 = 2, indirect: UInt16 = 4 }
    /// virtq_avail.flags (§2.7.7): the driver asks for no used-buffer notifications.
    static let availNoInterrupt: UInt16 = 1

    /// Longest chain accepted through indirect tables; a direct chain is bounded by the queue size.
    static let maxChainLength = 4096

    static func descTableBytes(_ n: UInt16) -> UInt64 { descriptorSize * UInt64(n) }
    static func availBytes(_ n: UInt16) -> UInt64 { availHeader + 2 * UInt64(n) + 2 }          // + used_event
    static func usedBytes(_ n: UInt16) -> UInt64 { usedHeader + usedElementSize * UInt64(n) + 2 } // + avail_event
}

extension Bus {
    /// Host pointer for `length` bytes of guest RAM at `pa`, only if the whole range lies in one
    /// RAM bank. Device DMA goes through this; anything else is a driver error.
    /// `kept`: the device keeps the pointer and writes through it later (the used ring),
    /// so the pages count as written at every RAM digest update (RAMBank.keepTouched).
    func hostRange(_ pa: UInt64, _ length: UInt64, kept: Bool = false) -> UnsafeMutableRawPointer? {
        guard let b = bank(pa) else { return nil }
        let offset = pa - b.base
        guard length <= b.size - offset else { return nil }
        b.touch(offset: offset, length: length)
        if kept { b.keepTouched(offset: offset, length: length) }
        return b.host + Int(offset)
    }
}

/// One guest buffer of a descriptor chain, already checked to lie in RAM.
public struct VirtioBuffer {
    public let address: UInt64
    public let length: Int
    public let host: UnsafeMutableRawPointer
}

/// A descriptor chain taken from the available ring (§2.7.5.2): the device-readable buffers
/// followed by the device-writable ones, in the driver's order.
public struct DescriptorChain {
    public let head: UInt16
    public var readable: [VirtioBuffer] = []
    public var writable: [VirtioBuffer] = []
    public var readableLength: Int { readable.reduce(0) { $0 + $1.length } }
    public var writableLength: Int { writable.reduce(0) { $0 + $1.length } }

    /// Copies up to `count` device-readable bytes starting at byte `offset` of the readable part.
    public func read(from offset: Int, count: Int) -> [UInt8] {
        var out: [UInt8] = []
        forEachRange(readable, from: offset, count: count) { p, n in
            out.append(contentsOf: UnsafeRawBufferPointer(start: p, count: n))
        }
        return out
    }

    /// Copies bytes into the writable part starting at byte `offset`; returns how many fit.
    @discardableResult
    public func write(_ bytes: [UInt8], at offset: Int) -> Int {
        var done = 0
        bytes.withUnsafeBytes { src in
            forEachRange(writable, from: offset, count: bytes.count) { p, n in
                p.copyMemory(from: src.baseAddress! + done, byteCount: n)
                done += n
            }
        }
        return done
    }

    /// Calls `body` with host ranges covering `count` bytes from `offset` of `buffers`
    /// (fewer if the buffers end first). Lets devices move data without intermediate copies.
    public func forEachRange(_ buffers: [VirtioBuffer], from offset: Int, count: Int,
                             _ body: (UnsafeMutableRawPointer, Int) -> Void) {
        var skip = offset, left = count
        for b in buffers where left > 0 {
            if skip >= b.length { skip -= b.length; continue }
            let n = min(b.length - skip, left)
            body(b.host + skip, n)
            left -= n
            skip = 0
        }
    }
}

/// The device side of one split virtqueue (VIRTIO 1.2 §2.7). Every index, length and address
/// coming from the guest is checked; a violation throws `VirtioError`.
public final class Virtqueue {
    public let index: Int
    public let maxSize: UInt16
    unowned let bus: Bus

    // Set by the driver through the transport while the queue is not ready (§4.2.3.2).
    var size: UInt16
    var descAddress: UInt64 = 0, driverAddress: UInt64 = 0, deviceAddress: UInt64 = 0
    public internal(set) var ready = false

    // Negotiated transport features that change how the ring is read.
    var indirectDescriptors = false
    var eventIndex = false

    // Device-side ring state (internal, not private: Virtio+State.swift restores it).
    var descTable: UnsafeMutableRawPointer?
    var avail: UnsafeMutableRawPointer?
    var used: UnsafeMutableRawPointer?
    /// The used ring's guest addresses, as `used` maps them.
    var usedRange: Range<UInt64> = 0..<0
    var lastAvail: UInt16 = 0
    var usedIndex: UInt16 = 0
    var signalledUsed: UInt16 = 0

    init(index: Int, maxSize: UInt16, bus: Bus) {
        self.index = index
        self.maxSize = min(maxSize, SplitRing.maxSize)
        self.size = self.maxSize
        self.bus = bus
    }

    /// Back to the state after a device reset (§2.4).
    func reset() {
        size = maxSize
        descAddress = 0; driverAddress = 0; deviceAddress = 0
        ready = false
        descTable = nil; avail = nil; used = nil
        lastAvail = 0; usedIndex = 0; signalledUsed = 0
        indirectDescriptors = false; eventIndex = false
    }

    /// QueueReady = 1: checks the size and the three areas (§2.7 alignment table) and maps them.
    func enable() throws(VirtioError) {
        guard size > 0, size <= maxSize, size & (size - 1) == 0 else {
            throw VirtioError("queue \(index): size \(size) is not a power of 2 up to \(maxSize)")
        }
        guard descAddress & 15 == 0, driverAddress & 1 == 0, deviceAddress & 3 == 0 else {
            throw VirtioError("queue \(index): misaligned ring areas")
        }
        guard let d = bus.hostRange(descAddress, SplitRing.descTableBytes(size)),
              let a = bus.hostRange(driverAddress, SplitRing.availBytes(size)),
              let u = bus.hostRange(deviceAddress, SplitRing.usedBytes(size), kept: true) else {
            throw VirtioError("queue \(index): ring areas outside guest RAM")
        }
        descTable = d; avail = a; used = u
        usedRange = deviceAddress..<(deviceAddress + SplitRing.usedBytes(size))   // in RAM: checked above
        // §2.7.8: a fresh ring starts at index 0 on both sides (the driver zeroes it).
        lastAvail = 0; usedIndex = 0; signalledUsed = 0
        ready = true
    }

    func disable() { ready = false; descTable = nil; avail = nil; used = nil }

    // MARK: Available ring (§2.7.6)

    private func le16(_ p: UnsafeMutableRawPointer, _ offset: Int) -> UInt16 {
        p.loadUnaligned(fromByteOffset: offset, as: UInt16.self).littleEndian
    }
    private func putLE16(_ p: UnsafeMutableRawPointer, _ offset: Int, _ v: UInt16) {
        p.storeBytes(of: v.littleEndian, toByteOffset: offset, as: UInt16.self)
    }
    private func putLE32(_ p: UnsafeMutableRawPointer, _ offset: Int, _ v: UInt32) {
        p.storeBytes(of: v.littleEndian, toByteOffset: offset, as: UInt32.self)
    }

    /// True while the driver has made buffers available that the device has not taken.
    public var hasAvailable: Bool {
        guard ready, let a = avail else { return false }
        return le16(a, 2) != lastAvail
    }

    /// Takes the next available descriptor chain, or nil if the ring is empty.
    public func pop() throws(VirtioError) -> DescriptorChain? {
        guard ready, let a = avail else { return nil }
        let availIdx = le16(a, 2)
        if availIdx == lastAvail { return nil }
        // §2.7.13.2 the driver never gets more than Queue Size buffers ahead of the device.
        guard availIdx &- lastAvail <= size else {
            throw VirtioError("queue \(index): available index \(availIdx) runs \(availIdx &- lastAvail) ahead of \(lastAvail)")
        }
        let head = le16(a, Int(SplitRing.availHeader) + 2 * Int(lastAvail % size))
        lastAvail &+= 1
        if eventIndex, let u = used {   // avail_event (§2.7.10): notify me once past this index
            putLE16(u, Int(SplitRing.usedHeader + SplitRing.usedElementSize * UInt64(size)), lastAvail)
            wroteUsedRing()
        }
        return try walkChain(head: head)
    }

    /// Follows a chain from `head`, through at most one indirect table (§2.7.5.3).
    private func walkChain(head: UInt16) throws(VirtioError) -> DescriptorChain {
        guard head < size, let table = descTable else {
            throw VirtioError("queue \(index): head descriptor \(head) out of range (size \(size))")
        }
        var chain = DescriptorChain(head: head)
        var i = head
        var seen = 0
        while true {
            seen += 1
            guard seen <= Int(size) else { throw VirtioError("queue \(index): descriptor chain loops") }
            let d = Descriptor(table, Int(i))
            if d.flags & SplitRing.DescFlag.indirect != 0 {
                try walkIndirect(d, into: &chain)
                // §2.7.5.3.1: an indirect descriptor has no NEXT; whatever follows it is ignored.
                return chain
            }
            try append(d, to: &chain)
            if d.flags & SplitRing.DescFlag.next == 0 { return chain }
            guard d.next < size else { throw VirtioError("queue \(index): next descriptor \(d.next) out of range") }
            i = d.next
        }
    }

    private func walkIndirect(_ d: Descriptor, into chain: inout DescriptorChain) throws(VirtioError) {
        guard indirectDescriptors else { throw VirtioError("queue \(index): indirect descriptor not negotiated") }
        guard d.flags & SplitRing.DescFlag.next == 0 else {
            throw VirtioError("queue \(index): descriptor has both INDIRECT and NEXT")
        }
        let count = Int(d.length) / Int(SplitRing.descriptorSize)
        guard d.length % UInt32(SplitRing.descriptorSize) == 0, count > 0, count <= SplitRing.maxChainLength else {
            throw VirtioError("queue \(index): bad indirect table length \(d.length)")
        }
        guard let table = bus.hostRange(d.address, UInt64(d.length)) else {
            throw VirtioError("queue \(index): indirect table at \(hex(d.address)) outside guest RAM")
        }
        var i = 0, seen = 0
        while true {
            seen += 1
            guard seen <= count else { throw VirtioError("queue \(index): indirect chain loops") }
            let e = Descriptor(table, i)
            guard e.flags & SplitRing.DescFlag.indirect == 0 else {
                throw VirtioError("queue \(index): nested indirect descriptor")
            }
            try append(e, to: &chain)
            if e.flags & SplitRing.DescFlag.next == 0 { return }
            guard Int(e.next) < count else { throw VirtioError("queue \(index): indirect next \(e.next) out of range") }
            i = Int(e.next)
        }
    }

    private func append(_ d: Descriptor, to chain: inout DescriptorChain) throws(VirtioError) {
        let writable = d.flags & SplitRing.DescFlag.write != 0
        // §2.7.4.2: device-writable buffers come after all device-readable ones.
        guard writable || chain.writable.isEmpty else {
            throw VirtioError("queue \(index): readable descriptor after a writable one")
        }
        guard chain.readable.count + chain.writable.count < SplitRing.maxChainLength else {
            throw VirtioError("queue \(index): descriptor chain longer than \(SplitRing.maxChainLength)")
        }
        if d.length == 0 { return }
        guard let p = bus.hostRange(d.address, UInt64(d.length)) else {
            throw VirtioError("queue \(index): buffer \(hex(d.address))+\(d.length) outside guest RAM")
        }
        let b = VirtioBuffer(address: d.address, length: Int(d.length), host: p)
        if writable { chain.writable.append(b) } else { chain.readable.append(b) }
    }

    // MARK: Used ring (§2.7.8)

    /// Returns a chain to the driver with the number of bytes the device wrote into it.
    /// The device has written its buffers by now: code decoded from them is forgotten
    /// (Bus.hostWrote), as it is for the used ring.
    public func push(_ chain: DescriptorChain, written: Int) {
        guard ready, let u = used else { return }
        for b in chain.writable { bus.hostWrote(b.address..<(b.address + UInt64(b.length))) }
        let slot = Int(SplitRing.usedHeader) + Int(SplitRing.usedElementSize) * Int(usedIndex % size)
        putLE32(u, slot, UInt32(chain.head))
        putLE32(u, slot + 4, UInt32(clamping: min(written, chain.writableLength)))
        usedIndex &+= 1
        putLE16(u, 2, usedIndex)
        wroteUsedRing()
    }

    private func wroteUsedRing() { bus.hostWrote(usedRange) }

    /// Whether the driver wants a used-buffer notification for what was pushed since the last
    /// call (§2.7.7 flags, §2.7.10 used_event with VIRTIO_F_EVENT_IDX).
    func takeNotification() -> Bool {
        guard ready, let a = avail else { return false }
        let old = signalledUsed, new = usedIndex
        signalledUsed = new
        if old == new { return false }
        if eventIndex {
            let usedEvent = le16(a, Int(SplitRing.availHeader) + 2 * Int(size))
            return new &- usedEvent &- 1 < new &- old
        }
        return le16(a, 0) & SplitRing.availNoInterrupt == 0
    }
}

/// One 16-byte split-ring descriptor (§2.7.5), read once so the guest cannot change it between checks.
private struct Descriptor {
    let address: UInt64, length: UInt32, flags: UInt16, next: UInt16
    init(_ table: UnsafeMutableRawPointer, _ i: Int) {
        let o = i * Int(SplitRing.descriptorSize)
        address = table.loadUnaligned(fromByteOffset: o, as: UInt64.self).littleEndian
        length = table.loadUnaligned(fromByteOffset: o + 8, as: UInt32.self).littleEndian
        flags = table.loadUnaligned(fromByteOffset: o + 12, as: UInt16.self).littleEndian
        next = table.loadUnaligned(fromByteOffset: o + 14, as: UInt16.self).littleEndian
    }
}
