import Testing
import Emu
@testable import Hypervisor

/// A domain's P2M pool: a fixed reservation that hands out zeroed pages and refuses past it.
@Suite struct P2MPoolTests {
    func machine() throws -> (Bus, FrameAllocator) {
        let bus = Bus()
        try bus.addRAM(base: 0x4000_0000, size: 16 << 20)
        return (bus, FrameAllocator(bus: bus, ranges: [0x4000_0000..<0x4100_0000]))
    }

    @Test func handsOutItsPagesOnceThenRefuses() throws {
        let (bus, frames) = try machine()
        let before = frames.freeBytes
        let pool = try #require(P2MPool(frames: frames, bytes: 8 << 12))
        #expect(frames.freeBytes == before - (8 << 12))
        var pages: [UInt64] = []
        while let p = pool.allocate() { pages.append(p) }
        #expect(pages.count == 8 && Set(pages).count == 8 && pages.allSatisfy(pool.contains))
        #expect(pool.freePages == 0 && frames.freeBytes == before - (8 << 12))   // the machine gave no more
        // A page handed back comes out again, zeroed.
        bus.write(pages[3] + 8, size: 8, value: 0xdead)
        pool.release(pages[3])
        #expect(pool.allocate() == pages[3] && bus.read(pages[3] + 8, size: 8) == 0)
        #expect(P2MPool(frames: frames, bytes: 64 << 20) == nil)                 // more than the machine has
    }

    @Test func aStage2RunsOutOfItsPoolNotTheMachine() throws {
        let (bus, frames) = try machine()
        let pool = try #require(P2MPool(frames: frames, bytes: 4 << 12))
        let p2m = try #require(Stage2(bus: bus, pool: pool, vmid: 1))       // the root: 1 page
        let free = frames.freeBytes
        // Each new 2 MiB region needs a level-3 table; the first also a level-2 one.
        #expect(p2m.map(ipa: 0x8000_0000, pa: 0x4080_0000, size: 0x1000, kind: .ram))
        #expect(p2m.map(ipa: 0x8020_0000, pa: 0x4080_0000, size: 0x1000, kind: .ram))
        #expect(!p2m.map(ipa: 0x8040_0000, pa: 0x4080_0000, size: 0x1000, kind: .ram))
        #expect(p2m.lookup(0x8020_0000)?.pa == 0x4080_0000 && p2m.lookup(0x8040_0000) == nil)
        #expect(frames.freeBytes == free)
        // Splitting a block needs a table too: unmap says it could not.
        let small = try #require(P2MPool(frames: frames, bytes: 2 << 12))
        let big = try #require(Stage2(bus: bus, pool: small, vmid: 2))
        #expect(big.map(ipa: 0x4000_0000, pa: 0x4060_0000, size: 0x20_0000, kind: .ram))   // L2 table + a block
        #expect(!big.unmap(ipa: 0x4000_1000) && big.lookup(0x4000_1000) != nil)
    }

    @Test func restoreChecksThePoolsPages() throws {
        let (_, frames) = try machine()
        let pool = try #require(P2MPool(frames: frames, bytes: 4 << 12))
        let a = try #require(pool.allocate()), b = try #require(pool.allocate())
        pool.release(a)
        var w = StateWriter()
        pool.save(&w)
        let good = w.bytes
        var r = StateReader(good)
        let copy = try #require(P2MPool(frames: frames, bytes: 4 << 12))
        #expect(throws: StateError.self) { try copy.restore(&r) }              // another pool's base
        r = StateReader(good)
        try pool.restore(&r)
        #expect(pool.freePages == 3 && pool.allocate() == a)
        for (offset, value) in [(16, UInt64(5)), (24 + 4, b + 0x10000)] {         // next past its pages; a page not its own
            var bad = good
            for i in 0..<8 { bad[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
            var rb = StateReader(bad)
            #expect(throws: StateError.self) { try pool.restore(&rb) }
        }
    }
}
