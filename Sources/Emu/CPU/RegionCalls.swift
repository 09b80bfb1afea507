// The interpreter's side of compiled regions (Compile/BlockCompiler.swift): calling one at
// a block start or a loop's head, counting starts towards compiling one, and taking up the
// run where a region hands it back. Used only by the fast loop in Interpreter.swift.

extension CPU {
    /// A taken branch back to slot `cur` of this page, with `done` instructions retired: runs
    /// the region compiled from there (or counts towards compiling one). As `takeBranch`:
    /// true to go on in the page at `cur`, false when the region left the block (with `mark`
    /// such that the count is right where the block is left).
    @inline(never)
    func loopHead(_ word: UnsafeMutablePointer<UInt64>, _ slots: UnsafeMutablePointer<Slot>, _ pageVA: UInt64,
                  _ cur: inout UnsafeMutablePointer<Slot>, _ mark: inout UInt, _ done: UInt64, _ limit: UInt64) -> Bool {
        let w = word.pointee
        guard w >= RegionWord.firstAddress else {
            countBlockStart(word, slots, slotIndex(cur, slots))
            return true
        }
        let r = runRegion(w, tlb(Int(st.pointee.el)), pageVA, done, limit)
        let count = regionIO.pointee.icount
        if r >= 0 && regionIO.pointee.pageVA == pageVA {
            cur = slots + r
            mark = runMark(cur, count)
            return true
        }
        mark = runMark(cur, count &- 1)
        leaveBlock(r)
        return false
    }

    /// Runs the compiled region at `w` (a RegionWord address) with `icount` instructions
    /// retired: returns its result (BlockCompiler.swift), the count then in `regionIO`.
    @inline(__always)
    func runRegion(_ w: UInt64, _ tlb: UnsafeMutablePointer<TLBEntry>, _ pageVA: UInt64, _ icount: UInt64,
                   _ limit: UInt64) -> Int {
        let io = regionIO
        io.pointee.icount = icount; io.pointee.limit = limit; io.pointee.pageVA = pageVA
        io.pointee.pages = UnsafeMutableRawPointer(tlbPage(tlb))
        let region = unsafeBitCast(UnsafeRawPointer(bitPattern: UInt(w)).unsafelyUnwrapped, to: CompiledRegion.self)
        return region(UnsafeMutableRawPointer(x), UnsafeMutableRawPointer(tlb), UnsafeMutableRawPointer(io))
    }

    /// A region's result `r` when the interpreter does not go on in the page it entered it
    /// in: it left the block, at the PC it gave (at the budget, inside the block); or, after
    /// going on into another page, it stopped in straight-line code at slot `r` there.
    @inline(__always)
    func leaveBlock(_ r: Int) {
        if r >= 0 {
            st.pointee.pc = regionIO.pointee.pageVA &+ UInt64(r &<< 2)
            st.pointee.resumeInPage = true
            return
        }
        st.pointee.pc = regionIO.pointee.pc
        if r == RegionExit.budget { st.pointee.insideBlock = true }
    }

    /// One more start of a block (or loop) at slot `i`, whose RegionWord is `word` (no
    /// region yet): at the CPU's threshold, its region is compiled.
    @inline(__always)
    func countBlockStart(_ word: UnsafeMutablePointer<UInt64>, _ slots: UnsafeMutablePointer<Slot>, _ i: Int) {
        let w = word.pointee
        if w < st.pointee.compileThreshold { word.pointee = w &+ 1 }
        else if w == st.pointee.compileThreshold { word.pointee = compileRegion(slots, i) }
    }

    /// The region word (RegionWord) for a block starting at slot `i` of `slots`, now hot.
    @inline(never)
    func compileRegion(_ slots: UnsafeMutablePointer<Slot>, _ i: Int) -> UInt64 {
        code.compileRegion(slots, entry: i) { decodeSlot(slots, $0) }
    }
}
