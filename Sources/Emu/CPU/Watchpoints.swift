// Host-side watchpoints and debugger access to guest memory (the gdb stub's needs).
//
// A watchpoint costs nothing where it is not: the pages it covers are kept out of the soft
// TLB (`keepWatchedPageOut`), so accesses to them, and only to them, take the slow path,
// which checks them (`watchpointStops`). A hit stops the instruction before its access, as
// an AArch64 hardware watchpoint does (gdb then steps over it with the watchpoint removed):
// nothing is written, the instruction does not retire, PC stays on it, and the run ends
// with `.breakpoint` and `watchpointHit` set.

/// A range of guest virtual addresses watched for reads, writes or both.
public struct Watchpoint: Hashable, Sendable {
    public enum Kind: Sendable { case write, read, access }
    public var address: UInt64
    public var length: UInt64
    public var kind: Kind

    public init(address: UInt64, length: UInt64, kind: Kind) {
        self.address = address; self.length = max(length, 1); self.kind = kind
    }

    /// The range's last byte; a range that would run past the end of the address space
    /// ends there.
    var last: UInt64 {
        let (end, over) = address.addingReportingOverflow(max(length, 1) - 1)
        return over ? .max : end
    }

    /// Whether an access of `size` bytes at `va` touches the range in a watched way.
    public func matches(_ va: UInt64, _ size: Int, write: Bool) -> Bool {
        let (accessLast, over) = va.addingReportingOverflow(UInt64(max(size, 1)) - 1)
        guard va <= last && address <= (over ? .max : accessLast) else { return false }
        switch kind {
        case .write: return write
        case .read: return !write
        case .access: return true
        }
    }

    /// The first and last virtual page the range covers.
    var pages: ClosedRange<UInt64> { (address & ~0xfff)...(last & ~0xfff) }
}

/// A watchpoint that stopped an instruction: which one, the accessed address, and whether
/// the access was a write.
public struct WatchpointHit: Equatable, Sendable {
    public var watchpoint: Watchpoint
    public var address: UInt64
    public var write: Bool
}

extension CPU {
    func watchpointsChanged() {
        st.pointee.hasWatchpoints = !watchpoints.isEmpty
        flushTLB(all: true)   // cached pages may now be watched
    }

    /// Drops the TLB permissions that would let an access to a watched page skip the check.
    func keepWatchedPageOut(_ e: UnsafeMutablePointer<TLBEntry>, _ page: UInt64) {
        for w in watchpoints where w.pages.contains(page) {
            if w.kind != .write { e.pointee.tagR = TLB.invalid }
            if w.kind != .read { e.pointee.tagW = TLB.invalid }
        }
    }

    /// Checks an access against the watchpoints; on a hit, stops the instruction at `pc`
    /// before the access and returns true (the caller returns as after an abort).
    @inline(never)
    func watchpointStops(_ va: UInt64, _ size: Int, write: Bool, pc: UInt64) -> Bool {
        guard let w = watchpoints.first(where: { $0.matches(va, size, write: write) }) else { return false }
        if let skip = skipWatchpointAt, skip.pc == pc, skip.icount == st.pointee.icount { return false }
        watchpointHit = WatchpointHit(watchpoint: w, address: max(va, w.address), write: write)
        st.pointee.pc = pc
        st.pointee.watchStop = true
        st.pointee.exitRequest = true
        st.pointee.checkInterrupts = true
        return true
    }

    /// The physical address of `va` as a debugger sees it: in the translation regime of the
    /// current EL with privileged access (EL0 code is debugged with the EL1&0 tables); nil
    /// if unmapped.
    public func debugTranslate(_ va: UInt64, write: Bool = false) -> UInt64? {
        let ctx = max(Int(st.pointee.el), 1)
        guard case .success(let t) = translate(va, .read, context: ctx) else { return nil }
        return t.pa
    }

    /// Walks `length` bytes from `va` a page at a time (each page translates apart, as a
    /// debugger sees it; `physical`: `va` is already physical), calling `body(va, pa, n)`
    /// for each piece. Stops, returning false, at an unmapped page or when `body` does.
    public func forEachDebugPage(_ va: UInt64, _ length: Int, physical: Bool = false,
                                 _ body: (UInt64, UInt64, Int) -> Bool) -> Bool {
        var at = va, left = length
        while left > 0 {
            let n = min(left, Int(0x1000 - (at & 0xfff)))
            guard let pa = physical ? at : debugTranslate(at), body(at, pa, n) else { return false }
            at &+= UInt64(n); left -= n
        }
        return true
    }

    /// Forgets every decoded instruction (guest RAM was replaced wholesale; a snapshot
    /// restore does this itself).
    public func forgetDecodedCode() {
        code.forgetAll()
        flushTLB(all: true)
    }
}

extension CPU {
    /// Writes guest RAM at physical `pa` for a debugger, keeping decoded code coherent.
    /// False (nothing written) if any byte is not RAM.
    public func debugWrite(physical pa: UInt64, _ bytes: [UInt8]) -> Bool {
        guard !bytes.isEmpty else { return true }
        let end = pa &+ UInt64(bytes.count) &- 1
        guard let b = bus.bank(pa), bus.bank(end) === b else { return false }
        var page = pa & ~0xfff
        while page <= end {
            if code.isCode(page, bank: b) { code.invalidate(page, bank: b) }
            page &+= 0x1000
        }
        bytes.withUnsafeBytes { (b.host + Int(pa - b.base)).copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        b.touch(offset: pa - b.base, length: UInt64(bytes.count))
        return true
    }

    /// Reads guest RAM at physical `pa` for a debugger; nil if any byte is not RAM (device
    /// registers are not read: reading them could change them).
    public func debugRead(physical pa: UInt64, count: Int) -> [UInt8]? {
        guard count > 0 else { return [] }
        guard let b = bus.bank(pa), bus.bank(pa &+ UInt64(count) &- 1) === b else { return nil }
        return Array(UnsafeRawBufferPointer(start: b.host + Int(pa - b.base), count: count))
    }
}

extension CPU {
    /// Takes a pending unmasked interrupt now, as the interpreter does before the next
    /// instruction (unless that is inside a block, where it does not look). The gdb stub's
    /// exact mode stops a CPU in this state, so that a position reached by counting
    /// instructions is the one a breakpoint at the vector sees.
    public func takePendingInterruptNow() {
        guard st.pointee.checkInterrupts, !st.pointee.exitRequest, !st.pointee.insideBlock, !userMode else { return }
        st.pointee.checkInterrupts = false
        _ = takePendingInterrupt()
    }
}
