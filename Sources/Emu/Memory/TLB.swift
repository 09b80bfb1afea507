// The soft TLB: a direct-mapped cache from virtual page to host pointer, one table per
// access context (EL0, EL1, EL2 permissions) so that an exception level change needs no
// flush. A tag is the page-aligned VA when that kind of access is allowed and cached;
// anything else (never page aligned) makes the fast path miss. Being a cache of walks,
// it may be flushed at any time: hvsim flushes whole contexts on TLBIs by ASID or of a
// whole regime and on writes to translation controls, which is always architecturally
// safe (Arm ARM D8.13). A TLBI by VA drops only what translates that VA
// (TLBLargeMappings.swift): Linux invalidates by VA tens of thousands of times in a boot.
//
// After the three contexts comes one more table of the same form: stage 2's walks, IPA page
// to machine page (tags are IPA pages, `pa` the machine page; `addend`/`code` unused).
// With stage 2 on, every stage-1 descriptor read and every final address goes through
// stage 2, so refilling the TLB after a guest's TLBI costs one walk per level instead of
// one per level squared. It is dropped with the EL1&0 contexts except by operations that
// cannot change stage 2 (stage-1 TLBIs, writes to the stage-1 controls).

/// What every access looks at: 32 bytes, so in tables aligned to 64 (CPU.init) two entries
/// share a cache line and none straddles two. What only fills and block boundaries need is
/// in a `TLBPage` at the same index of a parallel table (`CPU.tlbPage`).
public struct TLBEntry {
    public var tagR: UInt64 = TLB.invalid
    public var tagW: UInt64 = TLB.invalid
    public var tagX: UInt64 = TLB.invalid
    /// Host address of the page start minus the page VA; host = va &+ addend.
    public var addend: UInt64 = 0
}

/// The rest of a TLB entry: its machine page and, valid when the entry's tagX matches, the
/// page's decoded code.
public struct TLBPage {
    public var pa: UInt64 = 0
    public var code: UnsafeMutablePointer<Slot>? = nil
}

public enum TLB {
    /// The tag of an empty entry. Look-ups compare a tag with `va & (~0xfff | size - 1)`,
    /// which has bits 11:4 clear for every access size up to 16; this has bit 11 set, so no
    /// access matches it. (It was 1, which an unaligned access to page 0 matches: a 2-byte
    /// load at VA 1 used an empty entry's stale host address.)
    public static let invalid: UInt64 = 0x800
    public static let entries = 2048
    public static let contexts = 3          // 0: EL0 access, 1: EL1, 2: EL2
    public static let stage2 = 3            // the stage-2 table, after the contexts
    public static let tables = 4
    /// Entries a CPU allocates: the tables, then the bookkeeping of large mappings
    /// (TLBLargeMappings.swift).
    public static let allocation = tables * entries + largeBookkeepingEntries
    @inline(__always) static func index(_ va: UInt64) -> Int { Int((va >> 12) & UInt64(entries - 1)) }

    /// Empties the tables of `contexts` in one CPU's TLB (`table` is its first entry).
    /// Only the tags are reset: an entry is used only through a matching tag, and a fill
    /// rewrites the rest. Linux flushes often (TLBI, TTBR writes); this halves the stores.
    static func clear(_ table: UnsafeMutablePointer<TLBEntry>, contexts: Range<Int>) {
        let first = table + contexts.lowerBound * entries
        for e in 0..<(contexts.count * entries) { invalidate(first + e) }
        for c in contexts where c < TLB.contexts { forgetLarge(table, context: c) }
    }

    /// Makes one entry miss for every kind of access.
    @inline(__always) static func invalidate(_ e: UnsafeMutablePointer<TLBEntry>) {
        e.pointee.tagR = invalid; e.pointee.tagW = invalid; e.pointee.tagX = invalid
    }

    /// Empties one CPU's EL1&0 contexts (EL0 and EL1 access) and, if `stage2`, its stage-2
    /// table: what a TLBI or a translation-control write of the EL1&0 regime drops.
    static func clearGuest(_ table: UnsafeMutablePointer<TLBEntry>, stage2: Bool) {
        clear(table, contexts: 0..<2)
        if stage2 { clear(table, contexts: TLB.stage2..<(TLB.stage2 + 1)) }
    }
}

/// Decoded code pages, keyed by physical page. Shared by all CPUs of a machine: it
/// keeps write TLB entries away from pages it holds code for, so stores to code go
/// through the slow path and invalidate the decoded copy.
public final class CodeCache {
    let bus: Bus
    // Looked up on every code-page fill: no dynamic exclusivity check (used on one thread).
    @exclusivity(unchecked) private var pages: [UInt64: UnsafeMutablePointer<Slot>] = [:]
    /// Every CPU's TLB (contexts × entries) and its parallel page table, to drop write
    /// permission on code pages.
    @exclusivity(unchecked) var tlbs: [(entries: UnsafeMutablePointer<TLBEntry>, pages: UnsafeMutablePointer<TLBPage>)] = []
    public private(set) var pagesDecoded = 0

    public static let slotsPerPage = 1024
    /// Compiles hot blocks to host code (Compile/BlockCompiler.swift); nil where the host
    /// has no block compiler.
    let compiler: BlockCompiler?

    /// `compiledCodeBytes`: the block compiler's code memory (emptied whenever full).
    init(bus: Bus, compiledCodeBytes: Int = 128 << 20) {
        self.bus = bus
        compiler = BlockCompiler(codeBytes: compiledCodeBytes)
        bus.codeCache = self
    }

    deinit {
        if bus.codeCache === self { bus.codeCache = nil }
        for (_, p) in pages { UnsafeMutableRawPointer(p).deallocate() }
    }

    /// Where a code page's region table starts, in bytes from its first slot: after its
    /// slots and the end slot (compiled regions read it there too, when chaining).
    static let regionTableOffset = (slotsPerPage + 1) * MemoryLayout<Slot>.stride
    /// Bytes of one code page: its slots, the end slot, then its region table.
    private static let pageBytes = regionTableOffset + slotsPerPage * 8

    /// The region table of the code page whose slots are `slots`: one word per slot (RegionWord).
    @inline(__always) static func regionTable(_ slots: UnsafeMutablePointer<Slot>) -> UnsafeMutablePointer<UInt64> {
        (UnsafeMutableRawPointer(slots) + regionTableOffset).assumingMemoryBound(to: UInt64.self)
    }

    /// The decoded page for physical page `pa` (page aligned), creating it undecoded.
    func page(_ pa: UInt64) -> UnsafeMutablePointer<Slot> {
        if let p = pages[pa] { markCode(pa); return p }
        let raw = UnsafeMutableRawPointer.allocate(byteCount: CodeCache.pageBytes, alignment: 16)
        let p = raw.bindMemory(to: Slot.self, capacity: CodeCache.slotsPerPage + 1)
        p.initialize(repeating: .undecoded, count: CodeCache.slotsPerPage)
        (p + CodeCache.slotsPerPage).initialize(to: Slot(.pageEnd, imm: pa))   // the end slot carries the PA
        (raw + CodeCache.regionTableOffset).initializeMemory(as: UInt64.self, repeating: 0, count: CodeCache.slotsPerPage)
        pages[pa] = p
        pagesDecoded += 1
        markCode(pa)
        return p
    }

    /// Marks `pa` as holding code and drops every cached write permission to it.
    func markCode(_ pa: UInt64) {
        guard let b = bus.bank(pa) else { return }
        let i = Int((pa - b.base) >> 12)
        if b.codePages[i] != 0 { return }
        b.codePages[i] = 1
        for t in tlbs {
            for e in 0..<(TLB.entries * TLB.contexts) where t.pages[e].pa == pa && t.entries[e].tagW != TLB.invalid {
                t.entries[e].tagW = TLB.invalid
            }
        }
    }

    @inline(__always) func isCode(_ pa: UInt64, bank b: RAMBank) -> Bool {
        b.codePages[Int((pa - b.base) >> 12)] != 0
    }

    /// Drops every cached write permission in every CPU's TLB, so the next store to each
    /// page takes the slow path, which marks the page touched (RAMBank.takeTouched).
    public func dropWriteAccess() {
        for t in tlbs {
            for e in 0..<(TLB.entries * TLB.contexts) { t.entries[e].tagW = TLB.invalid }
        }
    }

    /// Host software (a loader, the hosted hypervisor copying a grant) wrote machine
    /// memory `range`: forget decoded instructions of the pages it touched.
    public func hostWrote(_ range: Range<UInt64>) {
        guard !range.isEmpty else { return }
        var pa = range.lowerBound & ~0xfff
        while pa < range.upperBound {
            if let b = bus.bank(pa), isCode(pa, bank: b) { invalidate(pa, bank: b) }
            pa &+= 0x1000
        }
    }

    /// The block compiler's work so far: regions compiled, bytes of host code held now,
    /// times its code memory was full and emptied; nil without a block compiler.
    public var compiledCode: (regions: Int, codeBytes: Int, emptied: Int)? {
        compiler.map { ($0.regionsCompiled, $0.codeBytes, $0.timesEmptied) }
    }

    /// Calls `body` with every decoded page.
    func forEachPage(_ body: (UnsafeMutablePointer<Slot>) -> Void) { for (_, p) in pages { body(p) } }

    /// Makes every decoded page decode again from memory when next executed, and forgets
    /// every compiled region.
    public func forgetAll() {
        for (_, p) in pages { forget(p) }
        compiler?.forgetAll()
    }

    /// Forgets the decoded instructions and compiled regions of one page.
    private func forget(_ p: UnsafeMutablePointer<Slot>) {
        p.update(repeating: .undecoded, count: CodeCache.slotsPerPage)
        forgetRegions(p)
    }

    /// Forgets one page's compiled regions, and how often its blocks started.
    private func forgetRegions(_ p: UnsafeMutablePointer<Slot>) {
        CodeCache.regionTable(p).update(repeating: 0, count: CodeCache.slotsPerPage)
    }

    /// A store hit code page `pa`: forget its decoded instructions and compiled regions.
    /// The slots stay allocated (a CPU may be executing from them) and re-decode lazily.
    func invalidate(_ pa: UInt64, bank b: RAMBank) {
        b.codePages[Int((pa - b.base) >> 12)] = 0
        if let p = pages[pa] { forget(p) }
    }

    /// The word for slot `entry` of page `slots` once its block has started the CPU's
    /// `compileThreshold` times: the compiled region's address, or `RegionWord.refused`.
    func compileRegion(_ slots: UnsafeMutablePointer<Slot>, entry: Int, decode: (Int) -> Void) -> UInt64 {
        guard let c = compiler else { return RegionWord.refused }
        let (code, full) = c.compile(slots, entry: entry, decode: decode)
        if full {
            // The code memory was emptied: every region is gone, and this one counts anew.
            for (_, p) in pages { forgetRegions(p) }
            return 0
        }
        guard let code else { return RegionWord.refused }
        return UInt64(UInt(bitPattern: code))
    }
}
