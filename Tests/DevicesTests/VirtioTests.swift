import Foundation
import Testing
@testable import Devices
@testable import Emu

/// The driver side of virtio-mmio, as a guest would do it (VIRTIO 1.2 §3.1.1, §4.2.3), through
/// MMIO register accesses and a real `Bus` with a RAM bank holding the rings and buffers.
final class TestDriver {
    static let ramBase: UInt64 = 0x4000_0000
    static let ramSize: UInt64 = 0x10_0000
    /// Each queue's rings live in their own 16 KiB: descriptors, avail ring (+4 KiB), used ring (+8 KiB).
    static func ringBase(_ q: Int) -> UInt64 { ramBase + UInt64(q) * 0x4000 }
    static let dataBase: UInt64 = ramBase + 0x4_0000

    struct Ring { var size: UInt16; var nextDesc: UInt16 = 0; var availIdx: UInt16 = 0; var lastUsed: UInt16 = 0 }

    let bus = Bus()
    let dev: VirtioMMIO
    var rings: [Int: Ring] = [:]
    private var nextData = TestDriver.dataBase
    var level = false
    var edges = 0

    init(_ device: any VirtioDevice) throws {
        try bus.addRAM(base: Self.ramBase, size: Self.ramSize)
        dev = VirtioMMIO(device: device, bus: bus)
        dev.irq = { [unowned self] in level = $0; edges += 1 }
    }

    // Registers
    func r32(_ off: UInt64) -> UInt32 { UInt32(dev.read(offset: off, size: 4, cpu: 0)) }
    func w32(_ off: UInt64, _ v: UInt32) { dev.write(offset: off, size: 4, value: UInt64(v), cpu: 0) }
    var status: UInt32 { r32(0x70) }
    var needsReset: Bool { status & VirtioMMIO.Status.needsReset != 0 }
    var deviceFeatures: UInt64 {
        w32(0x14, 0); let lo = UInt64(r32(0x10))
        w32(0x14, 1); return lo | UInt64(r32(0x10)) << 32
    }

    /// Reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK (read back), queues, DRIVER_OK.
    /// Returns false if the device refused the features.
    @discardableResult
    func initialize(features: UInt64? = nil, queueSizes: [UInt16]) -> Bool {
        w32(0x70, 0)
        w32(0x70, 1)
        w32(0x70, 1 | 2)
        let f = features ?? deviceFeatures
        w32(0x24, 0); w32(0x20, UInt32(truncatingIfNeeded: f))
        w32(0x24, 1); w32(0x20, UInt32(truncatingIfNeeded: f >> 32))
        w32(0x70, 1 | 2 | 8)
        guard status & 8 != 0 else { return false }
        for (i, n) in queueSizes.enumerated() { setUpQueue(i, size: n) }
        w32(0x70, 1 | 2 | 8 | 4)
        return true
    }

    func setUpQueue(_ q: Int, size: UInt16) {
        let base = Self.ringBase(q)
        for off in stride(from: UInt64(0), to: 0x4000, by: 8) { bus.write(base + off, size: 8, value: 0) }
        w32(0x30, UInt32(q))
        w32(0x38, UInt32(size))
        setAddress(0x80, base)
        setAddress(0x90, base + 0x1000)
        setAddress(0xa0, base + 0x2000)
        w32(0x44, 1)
        rings[q] = Ring(size: size)
    }

    func setAddress(_ reg: UInt64, _ pa: UInt64) {
        w32(reg, UInt32(truncatingIfNeeded: pa)); w32(reg + 4, UInt32(pa >> 32))
    }

    // Guest memory
    func alloc(_ n: Int) -> UInt64 {
        let pa = nextData
        nextData += UInt64((n + 15) & ~15)
        return pa
    }
    func put(_ bytes: [UInt8]) -> UInt64 { let pa = alloc(bytes.count); try! bus.load(bytes, at: pa); return pa }
    func bytes(_ pa: UInt64, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(bus.read(pa + UInt64($0), size: 1)!) } }

    /// Writes raw descriptor `i` of queue `q`.
    func writeDescriptor(_ q: Int, _ i: UInt16, addr: UInt64, len: UInt32, flags: UInt16, next: UInt16) {
        writeDescriptor(at: Self.ringBase(q) + 16 * UInt64(i), addr: addr, len: len, flags: flags, next: next)
    }
    func writeDescriptor(at pa: UInt64, addr: UInt64, len: UInt32, flags: UInt16, next: UInt16) {
        bus.write(pa, size: 8, value: addr)
        bus.write(pa + 8, size: 4, value: UInt64(len))
        bus.write(pa + 12, size: 2, value: UInt64(flags))
        bus.write(pa + 14, size: 2, value: UInt64(next))
    }

    /// Makes a head descriptor available (§2.7.13) without notifying.
    func publish(_ q: Int, head: UInt16) {
        var r = rings[q]!
        let avail = Self.ringBase(q) + 0x1000
        bus.write(avail + 4 + 2 * UInt64(r.availIdx % r.size), size: 2, value: UInt64(head))
        r.availIdx &+= 1
        bus.write(avail + 2, size: 2, value: UInt64(r.availIdx))
        rings[q] = r
    }

    /// Posts a chain of (address, length, device-writable) buffers and returns its head.
    @discardableResult
    func post(_ q: Int, _ buffers: [(UInt64, Int, Bool)], notify: Bool = true) -> UInt16 {
        var r = rings[q]!
        let head = r.nextDesc
        for (k, b) in buffers.enumerated() {
            let i = (head &+ UInt16(k)) % r.size
            let last = k == buffers.count - 1
            writeDescriptor(q, i, addr: b.0, len: UInt32(b.1), flags: (last ? 0 : 1) | (b.2 ? 2 : 0),
                            next: (i + 1) % r.size)
        }
        r.nextDesc = (head &+ UInt16(buffers.count)) % r.size
        rings[q] = r
        publish(q, head: head)
        if notify { w32(0x50, UInt32(q)) }
        return head
    }

    /// The next used element (id, len), if the device returned one.
    func takeUsed(_ q: Int) -> (id: UInt32, len: UInt32)? {
        var r = rings[q]!
        let used = Self.ringBase(q) + 0x2000
        guard UInt16(bus.read(used + 2, size: 2)!) != r.lastUsed else { return nil }
        let e = used + 4 + 8 * UInt64(r.lastUsed % r.size)
        r.lastUsed &+= 1
        rings[q] = r
        // used_event (§2.7.10): with EVENT_IDX, ask for a notification at the next completion.
        bus.write(Self.ringBase(q) + 0x1000 + 4 + 2 * UInt64(r.size), size: 2, value: UInt64(r.lastUsed))
        return (UInt32(bus.read(e, size: 4)!), UInt32(bus.read(e + 4, size: 4)!))
    }

    func ack() { w32(0x64, r32(0x60)) }
}

// MARK: - Block device helpers

struct BlockRequest {
    static func header(_ type: UInt32, sector: UInt64) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: 16)
        for i in 0..<4 { h[i] = UInt8(truncatingIfNeeded: type >> (8 * UInt32(i))) }
        for i in 0..<8 { h[8 + i] = UInt8(truncatingIfNeeded: sector >> (8 * UInt64(i))) }
        return h
    }
}

final class TempImage {
    let path: String
    init(sectors: Int, fill: (Int) -> UInt8 = { _ in 0 }) {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("hvsim-virtio-\(UUID().uuidString).img").path
        let data = Data((0..<sectors * 512).map(fill))
        _ = FileManager.default.createFile(atPath: path, contents: data)
    }
    var contents: [UInt8] { [UInt8](FileManager.default.contents(atPath: path)!) }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Sends one block request: header, optional out-data, then in-data + status. Returns (status, used len).
func blockRequest(_ d: TestDriver, type: UInt32, sector: UInt64, out: [UInt8] = [], inLength: Int = 0)
    -> (status: UInt8, used: UInt32, data: [UInt8]) {
    let hdr = d.put(BlockRequest.header(type, sector: sector))
    var chain: [(UInt64, Int, Bool)] = [(hdr, 16, false)]
    if !out.isEmpty { chain.append((d.put(out), out.count, false)) }
    let inBuf = d.alloc(max(inLength, 1))
    if inLength > 0 { chain.append((inBuf, inLength, true)) }
    let st = d.put([0xff])
    chain.append((st, 1, true))
    let head = d.post(0, chain)
    let used = d.takeUsed(0)
    #expect(used?.id == UInt32(head))
    return (d.bytes(st, 1)[0], used?.len ?? 0, d.bytes(inBuf, inLength))
}

// MARK: - Tests

@Suite struct VirtioTransportTests {
    @Test func identifiesItself() throws {
        let image = TempImage(sectors: 8)
        let d = try TestDriver(VirtioBlock(path: image.path))
        #expect(d.r32(0x000) == 0x7472_6976)
        #expect(d.r32(0x004) == 2)
        #expect(d.r32(0x008) == 2)
        #expect(d.r32(0x00c) == 0x4853_5649)
        #expect(d.deviceFeatures & VirtioMMIO.Feature.version1 != 0)
        d.w32(0x30, 0)
        #expect(d.r32(0x034) == 256)
        d.w32(0x30, 1)
        #expect(d.r32(0x034) == 0)                                  // no second queue
        #expect(d.dev.read(offset: 0x100, size: 8, cpu: 0) == 8)   // capacity in sectors
        #expect(d.r32(0x104) == 0)

        let empty = VirtioMMIO.emptySlot(bus: d.bus)
        #expect(empty.read(offset: 0, size: 4, cpu: 0) == 0x7472_6976)
        #expect(empty.read(offset: 8, size: 4, cpu: 0) == 0)
    }

    @Test func refusesFeaturesWithoutVersion1OrNotOffered() {
        let d = try! TestDriver(VirtioEntropy(seed: 1))
        #expect(!d.initialize(features: 0, queueSizes: [8]))
        #expect(!d.initialize(features: VirtioMMIO.Feature.version1 | 1 << 40, queueSizes: [8]))
        #expect(d.initialize(features: VirtioMMIO.Feature.version1, queueSizes: [8]))
        #expect(d.status == 1 | 2 | 4 | 8)
        d.w32(0x70, 0)
        #expect(d.status == 0)
        d.w32(0x30, 0)
        #expect(d.r32(0x44) == 0)                                  // reset unreadies the queue
    }

    @Test func interruptLineFollowsInterruptStatus() {
        let d = try! TestDriver(VirtioEntropy(seed: 7))
        d.initialize(features: VirtioMMIO.Feature.version1, queueSizes: [8])
        #expect(!d.level)
        d.post(0, [(d.alloc(16), 16, true)])
        #expect(d.level)
        #expect(d.r32(0x60) == 1)
        d.ack()
        #expect(!d.level)
        #expect(d.r32(0x60) == 0)
        #expect(d.edges == 2)

        // VIRTQ_AVAIL_F_NO_INTERRUPT (§2.7.7) suppresses the notification, not the completion.
        d.bus.write(TestDriver.ringBase(0) + 0x1000, size: 2, value: 1)
        d.post(0, [(d.alloc(16), 16, true)])
        #expect(d.takeUsed(0) != nil)
        #expect(d.takeUsed(0) != nil)
        #expect(!d.level)
    }

    @Test func eventIndexSuppressesUntilUsedEvent() {
        let d = try! TestDriver(VirtioEntropy(seed: 7))
        d.initialize(queueSizes: [8])   // all offered features, EVENT_IDX included
        let usedEvent = TestDriver.ringBase(0) + 0x1000 + 4 + 2 * 8
        d.bus.write(usedEvent, size: 2, value: 1)   // interrupt when used idx passes 1
        d.post(0, [(d.alloc(4), 4, true)])
        #expect(!d.level)                           // used idx 0 -> 1: not past used_event
        d.post(0, [(d.alloc(4), 4, true)])
        #expect(d.level)                            // 1 -> 2 crosses it
        // avail_event tells the driver where the device has read up to.
        #expect(d.bus.read(TestDriver.ringBase(0) + 0x2000 + 4 + 8 * 8, size: 2) == 2)
    }
}

@Suite struct VirtioBlockTests {
    @Test func readsWritesAndFlushesTheImage() throws {
        let image = TempImage(sectors: 16) { UInt8(truncatingIfNeeded: $0 / 512 + 0x10) }
        let blk = try VirtioBlock(path: image.path)
        #expect(blk.capacity == 16)
        let d = try TestDriver(blk)
        #expect(d.deviceFeatures & VirtioBlock.Feature.readOnly == 0)
        #expect(d.initialize(queueSizes: [16]))

        let r = blockRequest(d, type: 0, sector: 3, inLength: 1024)
        #expect(r.status == 0)
        #expect(r.used == 1025)
        #expect(r.data == [UInt8](repeating: 0x13, count: 512) + [UInt8](repeating: 0x14, count: 512))

        let payload = (0..<1024).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let w = blockRequest(d, type: 1, sector: 5, out: payload)
        #expect(w.status == 0)
        #expect(w.used == 1)
        #expect(Array(image.contents[5 * 512 ..< 7 * 512]) == payload)
        #expect(image.contents[4 * 512] == 0x14 && image.contents[7 * 512] == 0x17)

        #expect(blockRequest(d, type: 4, sector: 0).status == 0)     // FLUSH
        #expect(blockRequest(d, type: 99, sector: 0).status == 2)    // UNSUPP
        #expect(!d.needsReset)
    }

    @Test func headerSplitAcrossDescriptorsAndIndirectTable() throws {
        let image = TempImage(sectors: 4) { UInt8(truncatingIfNeeded: $0) }
        let d = try TestDriver(VirtioBlock(path: image.path))
        d.initialize(queueSizes: [16])
        let hdr = BlockRequest.header(0, sector: 1)
        let a = d.put(Array(hdr[0..<5])), b = d.put(Array(hdr[5...]))
        let data = d.alloc(512), st = d.put([0xff])
        // Four descriptors in an indirect table (§2.7.5.3), reached from one ring descriptor.
        let table = d.alloc(64)
        let parts: [(UInt64, UInt32, UInt16)] = [(a, 5, 1), (b, 11, 1), (data, 512, 3), (st, 1, 2)]
        for (k, p) in parts.enumerated() {
            d.writeDescriptor(at: table + 16 * UInt64(k), addr: p.0, len: p.1, flags: p.2, next: UInt16(k + 1))
        }
        d.writeDescriptor(0, 0, addr: table, len: 64, flags: 4, next: 0)
        d.publish(0, head: 0)
        d.w32(0x50, 0)
        #expect(d.takeUsed(0)?.len == 513)
        #expect(d.bytes(st, 1) == [0])
        #expect(d.bytes(data, 512) == (512..<1024).map { UInt8(truncatingIfNeeded: $0) })
    }

    @Test func readOnlyImageRefusesWrites() throws {
        let image = TempImage(sectors: 4) { _ in 0xaa }
        let d = try TestDriver(VirtioBlock(path: image.path, readOnly: true))
        #expect(d.deviceFeatures & VirtioBlock.Feature.readOnly != 0)
        d.initialize(queueSizes: [8])
        #expect(blockRequest(d, type: 1, sector: 0, out: [UInt8](repeating: 0x55, count: 512)).status == 1)
        #expect(image.contents == [UInt8](repeating: 0xaa, count: 4 * 512))
        #expect(blockRequest(d, type: 0, sector: 0, inLength: 512).data == [UInt8](repeating: 0xaa, count: 512))
    }

    @Test func outOfRangeSectorsAreIOErrors() throws {
        let image = TempImage(sectors: 4)
        let d = try TestDriver(VirtioBlock(path: image.path))
        d.initialize(queueSizes: [8])
        #expect(blockRequest(d, type: 0, sector: 4, inLength: 512).status == 1)
        #expect(blockRequest(d, type: 0, sector: 3, inLength: 1024).status == 1)
        #expect(blockRequest(d, type: 1, sector: UInt64.max, out: [UInt8](repeating: 1, count: 512)).status == 1)
        #expect(blockRequest(d, type: 0, sector: 0, inLength: 100).status == 1)   // not whole sectors
        #expect(blockRequest(d, type: 0, sector: 3, inLength: 512).status == 0)
        #expect(image.contents == [UInt8](repeating: 0, count: 4 * 512))
        #expect(!d.needsReset)
    }

    @Test func getIDAnswersTheSerial() throws {
        let image = TempImage(sectors: 1)
        let d = try TestDriver(VirtioBlock(path: image.path, serial: "disk-0"))
        d.initialize(queueSizes: [8])
        let r = blockRequest(d, type: 8, sector: 0, inLength: 20)
        #expect(r.status == 0)
        #expect(r.used == 21)
        #expect(r.data == Array("disk-0".utf8) + [UInt8](repeating: 0, count: 14))
    }

    @Test func missingImageThrowsAClearError() {
        let path = "/nonexistent/hvsim/disk.img"
        let error = #expect(throws: DiskImageError.self) { _ = try VirtioBlock(path: path) }
        #expect(error?.description.contains(path) == true)
        #expect(error?.description.contains("No such file") == true)
        #expect(throws: DiskImageError.self) { _ = try VirtioBlock(path: "/tmp") }   // a directory
    }
}

@Suite struct VirtioConsoleTests {
    @Test func outputGoesToTheClosure() throws {
        var out: [UInt8] = []
        let d = try TestDriver(VirtioConsole(output: { out += $0 }))
        #expect(d.r32(0x08) == 3)
        d.initialize(queueSizes: [8, 8])
        d.post(1, [(d.put(Array("hel".utf8)), 3, false), (d.put(Array("lo\n".utf8)), 3, false)])
        #expect(String(decoding: out, as: UTF8.self) == "hello\n")
        #expect(d.takeUsed(1)?.len == 0)
        #expect(d.level)
        d.dev.write(offset: 0x108, size: 4, value: 0x21, cpu: 0)   // emerg_wr
        #expect(out.last == 0x21)
    }

    @Test func inputWaitsForReceiveBuffers() throws {
        let con = VirtioConsole(output: { _ in })
        let d = try TestDriver(con)
        d.initialize(queueSizes: [8, 8])
        con.receive(Array("abcdef".utf8))                 // nothing posted yet: held back
        #expect(con.pendingInput == 6)
        #expect(!d.level)
        let b1 = d.alloc(4)
        d.post(0, [(b1, 4, true)])
        #expect(d.takeUsed(0)?.len == 4)
        #expect(d.bytes(b1, 4) == Array("abcd".utf8))
        #expect(d.level)
        d.ack()
        let b2 = d.alloc(4), b3 = d.alloc(4)
        d.post(0, [(b2, 4, true)])
        d.post(0, [(b3, 4, true)])
        #expect(d.takeUsed(0)?.len == 2)
        #expect(d.bytes(b2, 2) == Array("ef".utf8))
        #expect(d.takeUsed(0) == nil)                     // b3 stays posted
        d.ack()
        con.receive([0x7a])                               // arrives into the waiting buffer
        #expect(d.takeUsed(0)?.len == 1)
        #expect(d.bytes(b3, 1) == [0x7a])
        #expect(d.level)
    }
}

@Suite struct VirtioEntropyTests {
    func draw(seed: UInt64, count: Int) throws -> [UInt8] {
        let d = try TestDriver(VirtioEntropy(seed: seed))
        #expect(d.r32(0x08) == 4)
        d.initialize(queueSizes: [8])
        let a = d.alloc(count / 2), b = d.alloc(count - count / 2)
        d.post(0, [(a, count / 2, true), (b, count - count / 2, true)])
        #expect(d.takeUsed(0)?.len == UInt32(count))
        return d.bytes(a, count / 2) + d.bytes(b, count - count / 2)
    }

    @Test func sameSeedSameBytes() throws {
        let x = try draw(seed: 42, count: 37), y = try draw(seed: 42, count: 37), z = try draw(seed: 43, count: 37)
        #expect(x == y)
        #expect(x != z)
        #expect(Set(x).count > 10)
    }
}

@Suite struct VirtioMalformedRingTests {
    /// A console's transmit queue with one raw descriptor chain; returns the driver after notify.
    func run(_ build: (TestDriver) -> Void, features: UInt64? = nil) throws -> TestDriver {
        let d = try TestDriver(VirtioConsole(output: { _ in }))
        d.initialize(features: features, queueSizes: [8, 8])
        build(d)
        d.w32(0x50, 1)
        return d
    }

    func expectNeedsReset(_ d: TestDriver) {
        #expect(d.needsReset)
        #expect(d.r32(0x60) & 2 != 0)          // configuration change notification
        #expect(d.level)
        // Nothing more is processed until the driver resets; then it works again.
        d.initialize(queueSizes: [8, 8])
        #expect(!d.needsReset)
        d.post(1, [(d.put([1, 2, 3]), 3, false)])
        #expect(d.takeUsed(1) != nil)
    }

    @Test func headIndexOutOfRange() throws {
        expectNeedsReset(try run { d in d.publish(1, head: 200) })
    }

    @Test func loopInTheChain() throws {
        expectNeedsReset(try run { d in
            let buf = d.put([1])
            d.writeDescriptor(1, 0, addr: buf, len: 1, flags: 1, next: 1)
            d.writeDescriptor(1, 1, addr: buf, len: 1, flags: 1, next: 0)
            d.publish(1, head: 0)
        })
    }

    @Test func nextIndexOutOfRange() throws {
        expectNeedsReset(try run { d in
            d.writeDescriptor(1, 0, addr: d.put([1]), len: 1, flags: 1, next: 0xffff)
            d.publish(1, head: 0)
        })
    }

    @Test func addressOutsideRAM() throws {
        expectNeedsReset(try run { d in
            d.writeDescriptor(1, 0, addr: 0x0900_0000, len: 4, flags: 0, next: 0)
            d.publish(1, head: 0)
        })
    }

    @Test func hugeLength() throws {
        expectNeedsReset(try run { d in
            d.writeDescriptor(1, 0, addr: TestDriver.dataBase, len: 0xffff_ffff, flags: 0, next: 0)
            d.publish(1, head: 0)
        })
        expectNeedsReset(try run { d in   // runs off the end of the bank
            d.writeDescriptor(1, 0, addr: TestDriver.ramBase + TestDriver.ramSize - 2, len: 4, flags: 0, next: 0)
            d.publish(1, head: 0)
        })
    }

    @Test func availableIndexTooFarAhead() throws {
        expectNeedsReset(try run { d in
            d.bus.write(TestDriver.ringBase(1) + 0x1000 + 2, size: 2, value: 100)
        })
    }

    @Test func badIndirectTables() throws {
        // Not negotiated.
        expectNeedsReset(try run({ d in
            d.writeDescriptor(1, 0, addr: d.alloc(16), len: 16, flags: 4, next: 0)
            d.publish(1, head: 0)
        }, features: VirtioMMIO.Feature.version1))
        // Length not a multiple of 16, and a huge one.
        for len: UInt32 in [24, 0xffff_fff0] {
            expectNeedsReset(try run { d in
                d.writeDescriptor(1, 0, addr: d.alloc(32), len: len, flags: 4, next: 0)
                d.publish(1, head: 0)
            })
        }
        // Nested indirect, and a loop inside the table.
        expectNeedsReset(try run { d in
            let t = d.alloc(16)
            d.writeDescriptor(at: t, addr: t, len: 16, flags: 4, next: 0)
            d.writeDescriptor(1, 0, addr: t, len: 16, flags: 4, next: 0)
            d.publish(1, head: 0)
        })
        expectNeedsReset(try run { d in
            let t = d.alloc(32), buf = d.put([1])
            d.writeDescriptor(at: t, addr: buf, len: 1, flags: 1, next: 1)
            d.writeDescriptor(at: t + 16, addr: buf, len: 1, flags: 1, next: 0)
            d.writeDescriptor(1, 0, addr: t, len: 32, flags: 4, next: 0)
            d.publish(1, head: 0)
        })
    }

    @Test func ringsOutsideRAMRefusedAtQueueReady() throws {
        let d = try TestDriver(VirtioEntropy(seed: 0))
        d.w32(0x70, 1); d.w32(0x70, 3)
        d.w32(0x24, 1); d.w32(0x20, 1)
        d.w32(0x70, 3 | 8)
        d.w32(0x30, 0); d.w32(0x38, 8)
        d.setAddress(0x80, 0x1000)                       // not RAM
        d.setAddress(0x90, TestDriver.ramBase + 0x1000)
        d.setAddress(0xa0, TestDriver.ramBase + 0x2000)
        d.w32(0x44, 1)
        #expect(d.r32(0x44) == 0)
        #expect(d.needsReset)
        #expect(!d.level)                               // not DRIVER_OK yet: no notification
        d.w32(0x38, 3)                                   // not a power of 2
        d.w32(0x44, 1)
        #expect(d.r32(0x44) == 0)
    }

    @Test func blockRequestWithoutStatusByteIsReturnedUnanswered() throws {
        let image = TempImage(sectors: 1)
        let d = try TestDriver(VirtioBlock(path: image.path))
        d.initialize(queueSizes: [8])
        d.post(0, [(d.put(BlockRequest.header(1, sector: 0)), 16, false)])
        #expect(d.takeUsed(0)?.len == 0)
        #expect(!d.needsReset)
    }
}
