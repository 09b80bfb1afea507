// The block compiler: a hot block's instructions, as decoded into a code page's slots,
// compiled to x86-64 (docs/architecture.md, "The block compiler"). A region starts where blocks
// start (the interpreter's block boundary) and runs on through the page while its
// instructions are ones compiled here: integer data processing, loads and stores through
// the soft TLB's fast path, and branches. Branches within the region jump in the compiled
// code; any other way out returns to the interpreter.
//
// A region changes nothing the interpreter would not: it keeps the guest registers in the
// register file (`Reg`), counts instructions as the interpreter does and makes the same
// checks at the same places. A taken branch within the page goes on while the budget lasts
// (as `takeBranch`); a branch out of the page is a block boundary. Whatever the fast path
// cannot do (a TLB miss, an unaligned or page-crossing access, a store to a code page) is a
// side exit *before* that instruction: the interpreter runs it, slow path and exceptions
// included, and goes on as if it had run the whole block. So runs, traces and state hashes
// are the same with regions as without.
//
// The host code: rbx = register file, r13 = the context's TLB table, r12 = instructions
// retired, r14 = the budget's limit, rbp = the page's VA, r15 = the `RegionIO`. rax, rcx,
// rdx, rsi, rdi and r8–r11 are scratch. Return value: a slot of this page where the
// interpreter goes on (≥ 0), `RegionExit.boundary` (PC in `io.pc`), or
// `RegionExit.budget` (the budget ran out at a branch within the page; PC in `io.pc`).

/// What the interpreter and a compiled region pass each other. The region reads and writes
/// these fields at fixed offsets (0, 8, 16, 24, 32, 40).
struct RegionIO {
    var icount: UInt64 = 0
    var limit: UInt64 = 0
    var pageVA: UInt64 = 0
    var pc: UInt64 = 0
    /// The CPU's `CPUState`, which MRS and block boundaries read (offset 32).
    var st: UnsafeMutableRawPointer? = nil
    /// The current context's table of `TLBPage`s, parallel to the TLB table (offset 40):
    /// a block boundary finds the next region's code there.
    var pages: UnsafeMutableRawPointer? = nil
}

/// A compiled region: called with the register file, the context's TLB table and the `RegionIO`.
typealias CompiledRegion = @convention(c) (UnsafeMutableRawPointer, UnsafeMutableRawPointer, UnsafeMutableRawPointer) -> Int

enum RegionExit {
    static let boundary = -1
    static let budget = -2
}

/// Per code page, one word per slot (`CodeCache.regionTable`): up to the CPU's
/// `compileThreshold`, how many times a block started there (compiled when it reaches the
/// threshold); `refused`, not compilable; from `firstAddress` up, the compiled region's
/// address.
enum RegionWord {
    static let defaultThreshold: UInt64 = 200
    static let refused: UInt64 = 0xffff
    static let firstAddress: UInt64 = 0x10000
}

final class BlockCompiler {
    private let memory: CodeMemory
    /// The longest region, in instructions.
    static let maxLength = 512
    /// Regions shorter than this are not worth the call.
    static let minLength = 4
    private(set) var regionsCompiled = 0
    /// Times the code memory was full and emptied.
    private(set) var timesEmptied = 0

    /// Bytes of host code in the code memory now.
    var codeBytes: Int { memory.used }

    /// Empties the code memory (the code cache forgets every region's address first).
    func forgetAll() { memory.reset() }

    /// Where a region's code is assembled before it is placed: enough for `maxLength` of the
    /// longest instructions with their exits (at most about 250 bytes each).
    private let scratch: UnsafeMutablePointer<UInt8>
    private static let scratchBytes = maxLength * 512

    /// Nil where the host has no block compiler (not x86-64 Linux, or no executable memory).
    init?(codeBytes: Int = 128 << 20) {
        guard let m = CodeMemory(size: codeBytes) else { return nil }
        memory = m
        scratch = .allocate(capacity: BlockCompiler.scratchBytes)
    }

    deinit { scratch.deallocate() }

    /// Compiles the region starting at slot `entry` of the page whose slots are `slots`
    /// (decoding slots on the way with `decode`). Nil if it is not worth compiling, or the
    /// code memory is full (`memoryFull` then says so: the caller forgets every region).
    func compile(_ slots: UnsafeMutablePointer<Slot>, entry: Int, decode: (Int) -> Void) -> (UnsafeRawPointer?, memoryFull: Bool) {
        var end = entry, furthest = entry
        var targets = Set<Int>()
        var compiled = 0
        while end < CodeCache.slotsPerPage && end - entry < BlockCompiler.maxLength {
            if slots[end].op == .undecoded { decode(end) }
            let s = slots[end]
            let op = RegionEmitter.baseOp(s.op)
            // An instruction not compiled here leaves the region for the interpreter; the
            // region goes on past it only where a branch within it jumps.
            let supported = RegionEmitter.supports(op, s)
            if !supported && end == entry { break }
            if supported {
                compiled += 1
                if let t = RegionEmitter.branchTarget(op, s, index: end), t >= 0 && t < CodeCache.slotsPerPage {
                    targets.insert(t)
                    furthest = max(furthest, t)
                }
            }
            end += 1
            if (!supported || RegionEmitter.endsStraightLine(op)) && end > furthest { break }
        }
        if end > entry && !RegionEmitter.supports(RegionEmitter.baseOp(slots[end - 1].op), slots[end - 1]) { end -= 1 }
        guard compiled >= BlockCompiler.minLength else { return (nil, false) }
        var e = RegionEmitter(entry: entry, end: end, labels: targets.filter { $0 >= entry && $0 < end },
                              into: X86Assembler(into: scratch, capacity: BlockCompiler.scratchBytes))
        e.emit(slots)
        guard let p = memory.place(e.a.bytes, count: e.a.count) else {
            memory.reset()
            timesEmptied += 1
            return (nil, true)
        }
        regionsCompiled += 1
        return (p, false)
    }
}
