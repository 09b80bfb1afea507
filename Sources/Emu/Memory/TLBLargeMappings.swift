// TLBI by VA in the soft TLB. The tables keep no ASID, so a TLBI by VA drops the VA's page
// in every ASID: one entry, at the VA's index. That is exact for a page mapped alone. But
// a mapping larger than a page (a block, a contiguous run, a 16K or 64K page) is cached
// here as many 4K entries, and a TLBI of any address inside it must drop all of them
// (Arm ARM D8.13: an invalidation applies to every entry that translates the address).
// So each context keeps a short list of the large mappings it may hold entries of, as
// `base VA | log2(size)`; a TLBI inside one drops that mapping's pages and the list item.
// When the list is full, the context is emptied: always safe, and the list starts over.
//
// The lists live after a CPU's tables, in the same allocation, so the IS forms reach every
// CPU's through `CodeCache.tlbs`: per context, a count, then `largeCapacity` items.

extension TLB {
    static let largeCapacity = 63
    static let largeWords = contexts * (largeCapacity + 1)
    /// TLBEntry-sized units that hold the lists.
    static let largeBookkeepingEntries = (largeWords * 8 + MemoryLayout<TLBEntry>.stride - 1) / MemoryLayout<TLBEntry>.stride

    /// Context c's list: word 0 the count, then the items (CPU.init binds them to UInt64).
    @inline(__always) private static func list(_ table: UnsafeMutablePointer<TLBEntry>, _ c: Int) -> UnsafeMutablePointer<UInt64> {
        UnsafeMutableRawPointer(table + tables * entries).assumingMemoryBound(to: UInt64.self) + c * (largeCapacity + 1)
    }
    @inline(__always) private static func word(_ l: UnsafeMutablePointer<UInt64>, _ i: Int) -> UInt64 { l[i] }
    @inline(__always) private static func setWord(_ l: UnsafeMutablePointer<UInt64>, _ i: Int, _ v: UInt64) { l[i] = v }

    /// Empties context c's list (its entries are being cleared).
    static func forgetLarge(_ table: UnsafeMutablePointer<TLBEntry>, context c: Int) {
        setWord(list(table, c), 0, 0)
    }

    /// Context c is about to cache a page of the large mapping that holds `va`, of 2^`span`
    /// bytes. Call before filling the entry: a full list empties the context.
    static func noteLarge(_ table: UnsafeMutablePointer<TLBEntry>, context c: Int, va: UInt64, span: UInt8) {
        let l = list(table, c)
        let item = (va & ~((1 << UInt64(span)) &- 1)) | UInt64(span)
        let n = Int(word(l, 0))
        // Newest first: consecutive fills are mostly of the same mapping.
        var i = n
        while i > 0 { if word(l, i) == item { return }; i -= 1 }
        if n == largeCapacity {
            clear(table, contexts: c..<(c + 1))
            setWord(l, 1, item); setWord(l, 0, 1)
            return
        }
        setWord(l, 1 + n, item); setWord(l, 0, UInt64(n + 1))
    }

    /// A TLBI by VA (any ASID) of the page holding `va`, in `contexts` of one CPU's TLB.
    /// `va` is rebuilt from the TLBI's operand; only bits 55:12 are compared, so entries
    /// made through tagged addresses (TBI) go too.
    static func dropPage(_ table: UnsafeMutablePointer<TLBEntry>, _ va: UInt64, contexts: Range<Int>) {
        for c in contexts {
            let first = table + c * entries
            invalidate(first + index(va))
            let l = list(table, c)
            var n = Int(word(l, 0)), i = 0
            while i < n {
                let item = word(l, 1 + i), span = item & 0xfff, base = item & ~0xfff
                guard ((va ^ base) & 0x00ff_ffff_ffff_ffff) >> span == 0 else { i += 1; continue }
                let pages = 1 << Int(span - 12)
                if pages >= entries { clear(table, contexts: c..<(c + 1)); n = 0; break }
                for k in 0..<pages { invalidate(first + index(base &+ UInt64(k) << 12)) }
                n -= 1
                setWord(l, 1 + i, word(l, 1 + n))       // the last item takes this one's place
            }
            setWord(l, 0, UInt64(n))
        }
    }
}
