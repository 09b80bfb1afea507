// Fused pairs: two adjacent instructions run by one dispatch of the interpreter's switch.
// The pairs are the commonest adjacent ones in a Linux domU boot (counted per pair of
// ops): the multi-precision multiply of the kernel's RSA self-tests, flag setters followed
// by B.cond, SHA-256's rounds, function entries and returns (the patchable entry's MOV and
// NOP, PACIASP/AUTIASP, frame STP/LDP, RET). A dispatch is an indirect jump, the
// interpreter's costliest step; a fused pair saves one. More is not better: 23 further
// pairs (the next commonest) made the same boot 5% slower, as pairs compete for slots.
//
// Correctness rests on four things. The first slot keeps its own instruction's fields and
// the second slot keeps the second's (decoded too, if it was not), so a branch to the
// second instruction runs it alone. A store to a code page forgets the whole page's
// decoded slots at once (CodeCache.invalidate), so a pair never outlives either half; and
// a pair whose first half stores goes on to its second only while the slots are still
// decoded. Stepping (tracing, breakpoints, single steps) runs a fused slot as its first
// instruction only, so every instruction is still seen one at a time.

enum Fusion {
    /// Each fused op with the pair it runs.
    private static let table: [(fused: Op, first: Op, second: Op)] = [
        (.sbfm64_subR64, .sbfm64, .subR64), (.ldrxReg_ldrxReg, .ldrxReg, .ldrxReg),
        (.andImm64_ubfm64, .andImm64, .ubfm64), (.madd64_madd64, .madd64, .madd64),
        (.addEx64_addSh64, .addEx64, .addSh64), (.addR64_subsR64, .addR64, .subsR64),
        (.addSh64_csel64, .addSh64, .csel64), (.subsR64_ubfm64, .subsR64, .ubfm64),
        (.ubfm64_subsR64, .ubfm64, .subsR64), (.csinc64_subsR64, .csinc64, .subsR64),
        (.csinc64_addR64, .csinc64, .addR64), (.csinc64_addsSh64, .csinc64, .addsSh64),
        (.addsSh64_strxReg, .addsSh64, .strxReg), (.mov64_mov64, .mov64, .mov64),
        (.ldrwOff_ldrwOff, .ldrwOff, .ldrwOff), (.ldrxOff_ldrxOff, .ldrxOff, .ldrxOff),
        (.addR32_addR32, .addR32, .addR32), (.addR32_eor32, .addR32, .eor32),
        (.addR32_extr32, .addR32, .extr32), (.addR32_orr32, .addR32, .orr32),
        (.addR32_and32, .addR32, .and32), (.eor32_addR32, .eor32, .addR32),
        (.eor32_eor32, .eor32, .eor32), (.eor32_extr32, .eor32, .extr32), (.eor32_orr32, .eor32, .orr32),
        (.eor32_and32, .eor32, .and32), (.extr32_addR32, .extr32, .addR32),
        (.extr32_eor32, .extr32, .eor32), (.extr32_extr32, .extr32, .extr32),
        (.extr32_orr32, .extr32, .orr32), (.extr32_and32, .extr32, .and32),
        (.orr32_addR32, .orr32, .addR32), (.orr32_eor32, .orr32, .eor32),
        (.orr32_extr32, .orr32, .extr32), (.orr32_orr32, .orr32, .orr32), (.orr32_and32, .orr32, .and32),
        (.and32_addR32, .and32, .addR32), (.and32_eor32, .and32, .eor32),
        (.and32_extr32, .and32, .extr32), (.and32_orr32, .and32, .orr32), (.and32_and32, .and32, .and32),
        (.addsImm32_bcond, .addsImm32, .bcond), (.subsR64_bcond, .subsR64, .bcond),
        (.subsImm32_bcond, .subsImm32, .bcond), (.subsR32_bcond, .subsR32, .bcond),
        (.subsImm64_bcond, .subsImm64, .bcond), (.andsImm64_bcond, .andsImm64, .bcond),
        (.ccmp32_bcond, .ccmp32, .bcond), (.ccmp64_bcond, .ccmp64, .bcond), (.mov64_nop, .mov64, .nop),
        (.nop_nop, .nop, .nop), (.nop_stp64, .nop, .stp64), (.stp64_addImm64, .stp64, .addImm64),
        (.addImm64_stp64, .addImm64, .stp64), (.stp64_stp64, .stp64, .stp64),
        (.stp64_mov64, .stp64, .mov64), (.ldp64_ldp64, .ldp64, .ldp64), (.ldp64_nop, .ldp64, .nop),
        (.nop_ret, .nop, .ret), (.mov64_movImm, .mov64, .movImm), (.movImm_nop, .movImm, .nop),
    ]
    private static let opCount = Op.allCases.count     // raw values run from 0

    /// fusedOpOfPair[first × opCount + second]: the fused op for the pair, or nil.
    private static let fusedOpOfPair: [Op?] = {
        var t = [Op?](repeating: nil, count: opCount * opCount)
        for p in table { t[Int(p.first.rawValue) * opCount + Int(p.second.rawValue)] = p.fused }
        return t
    }()
    /// pairs[op]: the pair a fused op runs, nil for others.
    private static let pairs: [(first: Op, second: Op)?] = {
        var t = [(first: Op, second: Op)?](repeating: nil, count: opCount)
        for p in table { t[Int(p.fused.rawValue)] = (p.first, p.second) }
        return t
    }()

    /// Every fused op.
    static let fusedOps = Set(table.map(\.fused))

    /// The op for a slot holding `first` when the next holds `second`, if the pair is fused.
    static func fused(_ first: Op, _ second: Op) -> Op? {
        fusedOpOfPair[Int(first.rawValue) * opCount + Int(second.rawValue)]
    }

    /// The pair fused op `op` runs; nil if it is no fused op.
    static func pair(_ op: Op) -> (first: Op, second: Op)? { pairs[Int(op.rawValue)] }

    /// Decodes slot `i` of a code page whose instruction words are `words`, fusing it with
    /// the next slot's instruction where the pair is fused (decoding that slot too if it is
    /// not yet). A fused op in the next slot runs its own first instruction, whose fields
    /// it keeps: that is what the pair reads.
    static func decode(_ slots: UnsafeMutablePointer<Slot>, _ i: Int, words: UnsafeRawPointer) {
        var s = Decoder.shared.decode(words.load(fromByteOffset: i * 4, as: UInt32.self))
        if i + 1 < CodeCache.slotsPerPage {
            var next = slots[i + 1]
            if next.op == .undecoded {
                next = Decoder.shared.decode(words.load(fromByteOffset: (i + 1) * 4, as: UInt32.self))
            }
            if let f = fused(s.op, pair(next.op)?.first ?? next.op) {
                if slots[i + 1].op == .undecoded { slots[i + 1] = next }
                s.op = f
            }
        }
        slots[i] = s
    }
}
