import Foundation
import Testing
@testable import Devices
@testable import Emu

// Snapshot round trips: drive a device into a non-trivial state, save it, restore into a fresh
// device, and check that both read the same and go on the same way. Truncated state must throw.

private func saved(_ s: some StateSaving) -> [UInt8] {
    var w = StateWriter()
    s.save(&w)
    return w.bytes
}

private func restore(_ s: some StateSaving, _ bytes: [UInt8]) throws {
    var r = StateReader(bytes)
    try s.restore(&r)
    #expect(r.at == r.end)   // the device read back exactly what it wrote
}

/// Every strict prefix of `bytes` must throw a StateError and leave the fresh device as it was.
private func expectTruncationsThrow<D: StateSaving>(_ bytes: [UInt8], into make: () throws -> D) throws {
    #expect(bytes.count > 8)
    for n in 0..<bytes.count {
        let fresh = try make()
        let before = saved(fresh)
        var r = StateReader(Array(bytes[..<n]))
        #expect(throws: StateError.self, "\(n) of \(bytes.count) bytes") { try fresh.restore(&r) }
        #expect(saved(fresh) == before, "a failed restore of \(n) bytes changed the device")
    }
}

final class IRQLine { var level = false; var calls: [Bool] = [] }

// MARK: - PL011

extension PL011 {
    fileprivate func r(_ o: UInt64) -> UInt64 { read(offset: o, size: 4, cpu: 0) }
    fileprivate func w(_ o: UInt64, _ v: UInt64) { write(offset: o, size: 4, value: v, cpu: 0) }
}

@Suite struct PL011StateTests {
    /// Every register but DR (reading it pops the FIFO), plus two ID registers.
    static let registers: [UInt64] = [0x004, 0x018, 0x020, 0x024, 0x028, 0x02c, 0x030, 0x034, 0x038,
                                      0x03c, 0x040, 0x044, 0x048, 0xfe0, 0xffc]

    func uart() -> (PL011, IRQLine) {
        let line = IRQLine()
        let u = PL011(output: { _ in })
        u.irq = { line.level = $0; line.calls.append($0) }
        return (u, line)
    }

    /// FIFOs on, odd baud and trigger settings, a loopback overrun recorded in RSR and RIS,
    /// RX/RT/overrun unmasked, and a full FIFO partly read.
    func busyUART() -> (PL011, IRQLine) {
        let (u, line) = uart()
        u.w(0x024, 0x27); u.w(0x028, 0x05); u.w(0x034, 0x09); u.w(0x020, 0x33); u.w(0x048, 0x4)
        u.w(0x02c, 1 << 4 | 0x60)
        u.w(0x030, 1 | 1 << 7 | 1 << 8 | 1 << 9)           // UARTEN, LBE, TXE, RXE
        for i in 0..<16 { #expect(u.receive(0x40 + UInt8(i))) }
        u.w(0x000, 0x99)                                     // looped back into a full FIFO: lost
        u.w(0x030, 1 | 1 << 8 | 1 << 9)                      // loopback off
        u.w(0x038, 1 << 4 | 1 << 6 | 1 << 10)                // RXIM, RTIM, OEIM
        #expect(u.r(0x000) == 0x40)
        #expect(u.r(0x000) == 0x41)
        #expect(u.r(0x004) == 1 << 3)                        // overrun error
        #expect(line.level)
        return (u, line)
    }

    @Test func roundTripContinuesTheSame() throws {
        let (u, line) = busyUART()
        let bytes = saved(u)
        let (v, vLine) = uart()
        try restore(v, bytes)
        #expect(vLine.calls == [true])                       // the line is re-asserted
        #expect(saved(v) == bytes)
        for reg in Self.registers { #expect(v.r(reg) == u.r(reg), "register \(reg)") }

        // Drain both FIFOs: same bytes in the same order, same flags and line after each read.
        for i in 0..<14 {
            let b = u.r(0x000)
            #expect(b == 0x42 + UInt64(i))
            #expect(v.r(0x000) == b)
            #expect(v.r(0x018) == u.r(0x018))
            #expect(vLine.level == line.level)
        }
        #expect(v.r(0x03c) == u.r(0x03c))
        #expect(line.level && vLine.level)                   // the overrun is still latched
        for x in [u, v] { x.w(0x044, 1 << 10); x.w(0x004, 0) }   // clear it, and RSR
        #expect(!line.level && !vLine.level)
        for x in [u, v] { #expect(x.receive(0x5a)) }
        #expect(line.level && vLine.level)
        #expect(v.r(0x000) == u.r(0x000))
        for reg in Self.registers { #expect(v.r(reg) == u.r(reg), "register \(reg)") }
    }

    @Test func idleUARTRestoresWithTheLineLow() throws {
        let (u, _) = uart()
        let (v, vLine) = busyUART()
        try restore(v, saved(u))                             // onto a busy one: it drops the line
        #expect(vLine.calls.last == false)
        for reg in Self.registers { #expect(v.r(reg) == u.r(reg), "register \(reg)") }
        #expect(v.r(0x000) == 0)
    }

    @Test func truncatedOrForeignStateThrows() throws {
        let (u, _) = busyUART()
        try expectTruncationsThrow(saved(u)) { uart().0 }
        let rtc = PL031(baseTime: 0, now: { 0 })
        var r = StateReader(saved(u))
        let e = #expect(throws: StateError.self) { try rtc.restore(&r) }
        #expect(e?.description.contains("pl011") == true)
    }
}

// MARK: - PL031

extension PL031 {
    fileprivate func r(_ o: UInt64) -> UInt64 { read(offset: o, size: 4, cpu: 0) }
    fileprivate func w(_ o: UInt64, _ v: UInt64) { write(offset: o, size: 4, value: v, cpu: 0) }
}

/// The machine's virtual clock; a snapshot restores it, so original and copy share one here.
final class VirtualClock { var ns: UInt64 = 0; func seconds(_ s: Double) { ns += UInt64(s * 1e9) } }

@Suite struct PL031StateTests {
    static let registers: [UInt64] = [0x000, 0x004, 0x008, 0x00c, 0x010, 0x014, 0x018, 0xfe0]

    func rtc(_ clock: VirtualClock, base: UInt32) -> (PL031, IRQLine, () -> [UInt64?]) {
        let line = IRQLine()
        var deadlines: [UInt64?] = []
        let c = PL031(baseTime: base, now: { clock.ns })
        c.irq = { line.level = $0; line.calls.append($0) }
        c.matchDeadlineChanged = { deadlines.append($0) }
        return (c, line, { deadlines })
    }

    /// Matched at second 3 (interrupt pending), then loaded with 500 at 3.5 s, now at 4.75 s.
    func matchedRTC(_ clock: VirtualClock) -> (PL031, IRQLine, () -> [UInt64?]) {
        let (c, line, deadlines) = rtc(clock, base: 100)
        c.w(0x004, 103); c.w(0x010, 1)
        clock.seconds(3.5)
        c.advance()
        #expect(line.level)
        c.w(0x008, 500)
        clock.seconds(1.25)
        #expect(c.r(0x000) == 501)
        return (c, line, deadlines)
    }

    @Test func roundTripContinuesTheSame() throws {
        let clock = VirtualClock()
        let (c, line, _) = matchedRTC(clock)
        let bytes = saved(c)
        let (d, dLine, dDeadlines) = rtc(clock, base: 1_800_000_000)   // another base time: ignored
        try restore(d, bytes)
        #expect(dLine.calls == [true])
        #expect(dDeadlines() == [nil])                       // pending already: no event needed
        #expect(saved(d) == bytes)
        for reg in Self.registers { #expect(d.r(reg) == c.r(reg), "register \(reg)") }

        // Clear the interrupt, set a new match, and run both a second at a time past it,
        // keeping the 1 Hz phase (the counter moves at 5.0 s, 6.0 s, ...).
        for x in [c, d] { x.w(0x01c, 1); x.w(0x004, 505) }
        #expect(!line.level && !dLine.level)
        #expect(d.nextMatchDeadline == c.nextMatchDeadline)
        #expect(c.nextMatchDeadline == 8_000_000_000)        // 500 loaded in second 3: 505 in second 8
        for _ in 0..<12 {
            clock.seconds(0.5)
            c.advance(); d.advance()
            #expect(d.r(0x000) == c.r(0x000))
            #expect(dLine.level == line.level)
            #expect(d.nextMatchDeadline == c.nextMatchDeadline)
        }
        #expect(line.level && dLine.level)
        for reg in Self.registers { #expect(d.r(reg) == c.r(reg), "register \(reg)") }
    }

    @Test func truncatedOrForeignStateThrows() throws {
        let clock = VirtualClock()
        let (c, _, _) = matchedRTC(clock)
        try expectTruncationsThrow(saved(c)) { rtc(clock, base: 7).0 }
        let u = PL011(output: { _ in })
        var r = StateReader(saved(c))
        #expect(throws: StateError.self) { try u.restore(&r) }
    }
}

// MARK: - virtio-mmio

/// A copy of a driven `TestDriver` as a snapshot restore makes it: a fresh device on its own bus,
/// guest RAM copied (the machine saves RAM), the transport state restored, and the test driver's
/// own ring bookkeeping copied. Buffers for later requests are allocated from the original and
/// written to both, so both guests stay byte-identical.
private struct Twins {
    let a: TestDriver, b: TestDriver

    init(_ a: TestDriver, restoringInto device: any VirtioDevice) throws {
        self.a = a
        b = try TestDriver(device)
        copyRAM(from: a.bus, to: b.bus)
        b.rings = a.rings
        try restore(b.dev, saved(a.dev))
    }

    func put(_ bytes: [UInt8]) -> UInt64 {
        let pa = a.alloc(bytes.count)
        try! a.bus.load(bytes, at: pa); try! b.bus.load(bytes, at: pa)
        return pa
    }
    func alloc(_ n: Int) -> UInt64 { put([UInt8](repeating: 0xee, count: n)) }
    @discardableResult
    func post(_ q: Int, _ chain: [(UInt64, Int, Bool)]) -> UInt16 {
        let h = a.post(q, chain)
        #expect(b.post(q, chain) == h)
        return h
    }
    func expectSame(_ note: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(b.level == a.level, "line \(note)", sourceLocation: sourceLocation)
        #expect(ramEqual(a.bus, b.bus), "guest RAM \(note)", sourceLocation: sourceLocation)
        for q in 0..<3 {
            a.w32(0x30, UInt32(q)); b.w32(0x30, UInt32(q))
            for off in stride(from: UInt64(0), to: 0x100, by: 4) where off != 0x050 {
                #expect(b.r32(off) == a.r32(off), "register \(off) queue \(q) \(note)", sourceLocation: sourceLocation)
            }
        }
        #expect(saved(b.dev) == saved(a.dev), "saved state \(note)", sourceLocation: sourceLocation)
    }
}

private func copyRAM(from: Bus, to: Bus) {
    let s = from.bank(TestDriver.ramBase)!, d = to.bank(TestDriver.ramBase)!
    d.host.copyMemory(from: s.host, byteCount: Int(TestDriver.ramSize))
}

private func ramEqual(_ x: Bus, _ y: Bus) -> Bool {
    memcmp(x.bank(TestDriver.ramBase)!.host, y.bank(TestDriver.ramBase)!.host, Int(TestDriver.ramSize)) == 0
}

@Suite struct VirtioStateTests {
    @Test func consoleKeepsPendingInputAndQueuePositions() throws {
        var outA: [UInt8] = [], outB: [UInt8] = []
        let con = VirtioConsole(output: { outA += $0 })
        let d = try TestDriver(con)
        #expect(d.initialize(queueSizes: [8, 4]))
        for k in 0..<5 {                                     // wrap the 4-entry transmit ring
            d.post(1, [(d.put(Array("line \(k)\n".utf8)), 7, false)])
            #expect(d.takeUsed(1) != nil)
        }
        con.receive(Array("abcdefghij".utf8))
        let b1 = d.alloc(4)
        d.post(0, [(b1, 4, true)])
        #expect(d.takeUsed(0)?.len == 4)
        #expect(con.pendingInput == 6)
        #expect(d.level)                                     // not acknowledged

        let con2 = VirtioConsole(output: { outB += $0 })
        let t = try Twins(d, restoringInto: con2)
        #expect(con2.pendingInput == 6)
        #expect(t.b.level && t.b.edges == 1)                 // re-asserted by the restore
        t.expectSame("after restore")

        // The next receive buffer gets the same pending bytes; new input follows them.
        t.a.ack(); t.b.ack()
        let b2 = t.alloc(8)
        t.post(0, [(b2, 8, true)])
        #expect(t.a.takeUsed(0)?.len == 6)
        #expect(t.b.takeUsed(0)?.len == 6)
        #expect(t.b.bytes(b2, 6) == Array("efghij".utf8))
        let b3 = t.alloc(8)
        t.post(0, [(b3, 8, true)])
        con.receive([1, 2, 3]); con2.receive([1, 2, 3])
        #expect(t.b.takeUsed(0)?.len == 3 && t.a.takeUsed(0)?.len == 3)
        // Output continues through the wrapped transmit ring.
        outA = []
        t.post(1, [(t.put(Array("bye\n".utf8)), 4, false)])
        #expect(outA == Array("bye\n".utf8) && outB == outA)
        #expect(t.a.takeUsed(1)?.len == 0 && t.b.takeUsed(1)?.len == 0)
        t.expectSame("after more traffic")
    }

    @Test func entropyContinuesTheSameStream() throws {
        let d = try TestDriver(VirtioEntropy(seed: 0x5eed))
        #expect(d.initialize(queueSizes: [8]))               // EVENT_IDX on: avail_event/used_event
        for k in 0..<11 {
            d.post(0, [(d.alloc(13 + k), 13 + k, true)])
            #expect(d.takeUsed(0)?.len == UInt32(13 + k))
        }
        let t = try Twins(d, restoringInto: VirtioEntropy(seed: 1))   // another seed: replaced
        t.expectSame("after restore")
        for k in 0..<3 {
            let a = t.alloc(37), b = t.alloc(5)
            t.post(0, [(a, 37, true), (b, 5, true)])
            #expect(t.a.takeUsed(0)?.len == 42)
            #expect(t.b.takeUsed(0)?.len == 42)
            #expect(t.b.bytes(a, 37) + t.b.bytes(b, 5) == t.a.bytes(a, 37) + t.a.bytes(b, 5))
            t.expectSame("after request \(k)")
        }
    }

    @Test func blockServesTheNextRequestTheSame() throws {
        let image = TempImage(sectors: 16) { UInt8(truncatingIfNeeded: $0 / 512 + 0x30) }
        let d = try TestDriver(VirtioBlock(path: image.path, serial: "snap"))
        #expect(d.initialize(queueSizes: [4]))
        for s in 0..<6 { #expect(blockRequest(d, type: 0, sector: UInt64(s), inLength: 512).status == 0) }
        let t = try Twins(d, restoringInto: VirtioBlock(path: image.path, serial: "snap"))
        t.expectSame("after restore")
        for (type, sector, inLength) in [(UInt32(0), UInt64(9), 1024), (8, 0, 20), (99, 0, 0)] {
            let hdr = t.put(BlockRequest.header(type, sector: sector))
            let data = t.alloc(max(inLength, 1)), st = t.alloc(1)
            var chain: [(UInt64, Int, Bool)] = [(hdr, 16, false)]
            if inLength > 0 { chain.append((data, inLength, true)) }
            chain.append((st, 1, true))
            let head = t.post(0, chain)
            let ua = t.a.takeUsed(0), ub = t.b.takeUsed(0)
            #expect(ua?.id == UInt32(head) && ub?.id == ua?.id && ub?.len == ua?.len)
            t.expectSame("after request type \(type)")
        }
        #expect(!t.b.needsReset)
    }

    @Test func refusesAnotherKindOfDeviceOrDisk() throws {
        let d = try TestDriver(VirtioEntropy(seed: 3))
        d.initialize(queueSizes: [8])
        let bytes = saved(d.dev)
        let con = try TestDriver(VirtioConsole(output: { _ in }))
        let e = #expect(throws: StateError.self) { try restore(con.dev, bytes) }
        #expect(e?.description.contains("device ID 4") == true)
        #expect(e?.description.contains("device ID 3") == true)

        let small = TempImage(sectors: 4), big = TempImage(sectors: 8)
        let blk = try TestDriver(VirtioBlock(path: small.path))
        blk.initialize(queueSizes: [8])
        let other = try TestDriver(VirtioBlock(path: big.path))
        let e2 = #expect(throws: StateError.self) { try restore(other.dev, saved(blk.dev)) }
        #expect(e2?.description.contains("4-sector") == true)
    }

    @Test func refusesRingsOutsideGuestRAM() throws {
        let d = try TestDriver(VirtioEntropy(seed: 3))
        d.initialize(queueSizes: [8])
        let bus = Bus()                                      // restored machine without that RAM
        let t = VirtioMMIO(device: VirtioEntropy(seed: 3), bus: bus)
        let e = #expect(throws: StateError.self) { try restore(t, saved(d.dev)) }
        #expect(e?.description.contains("outside guest RAM") == true)
        #expect(t.status == 0)
    }

    @Test func truncatedStateThrows() throws {
        let con = VirtioConsole(output: { _ in })
        let d = try TestDriver(con)
        d.initialize(queueSizes: [8, 8])
        con.receive(Array("pending".utf8))
        d.post(1, [(d.put([1, 2, 3]), 3, false)])
        let bytes = saved(d.dev)
        try expectTruncationsThrow(bytes) { VirtioMMIO(device: VirtioConsole(output: { _ in }), bus: d.bus) }

        let image = TempImage(sectors: 2)
        let b = try TestDriver(VirtioBlock(path: image.path))
        b.initialize(queueSizes: [8])
        try expectTruncationsThrow(saved(b.dev)) { VirtioMMIO(device: try VirtioBlock(path: image.path), bus: b.bus) }

        let r = try TestDriver(VirtioEntropy(seed: 9))
        r.initialize(queueSizes: [8])
        try expectTruncationsThrow(saved(r.dev)) { VirtioMMIO(device: VirtioEntropy(seed: 9), bus: r.bus) }
    }
}

// MARK: - Damaged counts

@Suite struct StateReaderCounts {
    /// A word count far beyond the data left is refused before anything is allocated.
    @Test func hugeCountIsRefused() {
        var w = StateWriter()
        w.u32(0xffff_fff0)
        w.u64(1)
        var r = StateReader(w.bytes)
        #expect(throws: StateError.self) { _ = try r.u64s() }
        var ok = StateWriter()
        ok.u64s([1, 2, 3])
        var r2 = StateReader(ok.bytes)
        #expect((try? r2.u64s()) == [1, 2, 3])
    }
}
