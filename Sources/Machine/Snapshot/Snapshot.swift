import Foundation
import Emu
import Devices
#if canImport(Glibc)
import Glibc
#endif

/// A whole machine at one instant (`--snapshot-at`), restorable with `--restore`: the run
/// options and the identity of the files they name (as in a `RunLog`), then the state of the
/// machine loop, every CPU, every device, and RAM as its non-zero pages only (a 1 GiB guest
/// that touched 100 MiB makes a file of about 100 MiB). With the hosted hypervisor, its state
/// (domains, vCPUs, vGICs, event channels, grant tables, scheduler) and the domains'
/// console buffers follow RAM.
///
/// Layout: "HVSIMSNP", version (u32), header length (u32), header (JSON), state length (u64),
/// state (StateWriter), then a 64-bit hash of everything before it.
public struct Snapshot: Sendable {
    public static let magic = Array("HVSIMSNP".utf8)
    public static let version: UInt32 = 3   // 3: per-domain P2M pools

    public struct Header: Codable, Equatable, Sendable {
        public var arguments: [String]
        public var files: [RunLog.FileIdentity]
        /// Instructions retired by all CPUs when it was taken.
        public var instructions: UInt64
        public init(arguments: [String], files: [RunLog.FileIdentity], instructions: UInt64) {
            self.arguments = arguments; self.files = files; self.instructions = instructions
        }
    }

    public var header: Header
    public var state: [UInt8]

    public init(header: Header, state: [UInt8]) { self.header = header; self.state = state }

    public func encoded() throws -> [UInt8] {
        var w = StateWriter()
        for b in Snapshot.magic { w.u8(b) }
        w.u32(Snapshot.version)
        w.data(Array(try JSONEncoder().encode(header)))
        w.u64(UInt64(state.count))
        return Checksum.seal(w.bytes + state)
    }

    /// Parses and checks a snapshot file; every defect is an error naming what is wrong.
    public init(bytes b: [UInt8], name: String) throws {
        func fail(_ why: String) -> LoadError { LoadError("\(name): \(why)") }
        guard b.count >= 8, Array(b[0..<8]) == Snapshot.magic else { throw fail("not an hvsim snapshot (bad magic)") }
        guard b.count >= 8 + 4 + 4 + 8 + 8 else { throw fail("truncated (\(b.count) bytes)") }
        var r = StateReader(b, from: 8, to: b.count - 8)
        let version = try r.u32()
        guard version == Snapshot.version else {
            throw fail("written in snapshot format version \(version); this hvsim reads version \(Snapshot.version)")
        }
        guard Checksum.isIntact(b) else { throw fail("corrupted or truncated (checksum mismatch)") }
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(try r.data()))
            let n = try r.u64()
            guard n == UInt64(r.end - r.at) else { throw StateError("state length does not match the file") }
            state = Array(b[r.at..<r.end])
        } catch let e as StateError { throw fail(e.description) }
        catch { throw fail("unreadable header (\(error))") }
    }
}

extension Machine {
    /// The state of the machine loop, CPUs, devices and RAM.
    public func saveState() -> [UInt8] {
        var w = StateWriter()
        w.u64(now); w.u64(polls); w.u64(nextPoll); w.int(cursor); w.bool(roundProgressed)
        w.bool(pendingSliceEnd != nil); w.u64(pendingSliceEnd ?? 0)
        w.u64(dtbAddress)
        for s in state {
            switch s {
            case .running: w.u8(0)
            case .off: w.u8(1)
            case .waitingInterrupt: w.u8(2)
            case .waitingEvent(let stream): w.u8(3); w.bool(stream != nil); w.u64(stream ?? 0)
            case .hypervisorIdle: w.u8(4)
            }
        }
        for c in cpus { c.save(&w) }
        saveDevices(&w)
        for b in bus.banks {
            Machine.forEachNonZeroPage(b.host, size: Int(b.size)) { i, p in
                w.u32(UInt32(i))
                w.data(Array(UnsafeRawBufferPointer(start: p, count: 4096)))
            }
            w.u32(.max)
        }
        // With the hosted hypervisor: its own state and the domains' consoles. (Without it
        // nothing is written, so plain snapshots keep their layout.)
        if let hv = hypervisor {
            hv.save(&w)
            domainConsoles.save(&w)
        }
        return w.bytes
    }

    /// Puts the machine into a saved state. The machine must have been built from the same
    /// options (and so the same devices) as the one that saved it.
    public func restoreState(_ bytes: [UInt8]) throws {
        var r = StateReader(bytes)
        now = try r.u64(); polls = try r.u64(); nextPoll = try r.u64(); cursor = try r.int()
        roundProgressed = try r.bool()
        let cut = try r.bool(), sliceEnd = try r.u64()
        pendingSliceEnd = cut ? sliceEnd : nil
        dtbAddress = try r.u64()
        guard cursor >= 0 && cursor <= cpus.count, !cut || cursor < cpus.count else { throw StateError("bad CPU cursor \(cursor)") }
        for i in state.indices {
            switch try r.u8() {
            case 0: state[i] = .running
            case 1: state[i] = .off
            case 2: state[i] = .waitingInterrupt
            case 3:
                let has = try r.bool(), at = try r.u64()
                state[i] = .waitingEvent(stream: has ? at : nil)
            case 4: state[i] = .hypervisorIdle
            case let k: throw StateError("unknown CPU run state \(k)")
            }
        }
        for c in cpus { try c.restore(&r) }
        try restoreDevices(&r)
        for b in bus.banks {
            // Give the pages back to the host: they read as zero again, costing nothing.
            if madvise(b.host, Int(b.size), Int32(MADV_DONTNEED)) != 0 { memset(b.host, 0, Int(b.size)) }
            while true {
                let i = try r.u32()
                if i == .max { break }
                guard Int(i) < Int(b.size) / 4096 else { throw StateError("RAM page \(i) is outside RAM") }
                let page = try r.data()
                guard page.count == 4096 else { throw StateError("RAM page \(i) has \(page.count) bytes") }
                page.withUnsafeBytes { (b.host + Int(i) * 4096).copyMemory(from: $0.baseAddress!, byteCount: 4096) }
            }
        }
        // In a machine that ran (gdb's reverse execution), code decoded from the RAM that was
        // there is stale now. (The CPUs' TLBs were flushed by their restore.)
        codeCache.forgetAll()
        if let hv = hypervisor {
            guard r.at < r.end else { throw StateError("the snapshot has no hosted hypervisor state (it was taken without --hypervisor)") }
            try hv.restore(&r)
            try domainConsoles.restore(&r)
        }
        guard r.at == r.end else { throw StateError("\(r.end - r.at) bytes left over after the machine state") }
        timer.update(now: now)
    }

    /// The devices' state, as a snapshot holds it and recording checkpoints hash it: the bytes
    /// typed for the UART that its FIFO had no room for yet, then each of `stateParts`.
    func saveDevices(_ w: inout StateWriter) {
        w.data(uartInput.waiting)
        for part in stateParts { part.save(&w) }
    }

    func restoreDevices(_ r: inout StateReader) throws {
        uartInput = PendingInput()
        uartInput.append(try r.data())
        for part in stateParts { try part.restore(&r) }
    }

    /// Everything besides the CPUs that keeps state, in a fixed order.
    var stateParts: [StateSaving] {
        var parts: [StateSaving] = [gic]
        parts += gicParts
        parts.append(timer)
        parts.append(uart)
        parts.append(rtc!)
        for t in virtio { parts.append(t) }
        return parts
    }
}
