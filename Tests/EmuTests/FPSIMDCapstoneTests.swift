import Testing
@testable import Emu

/// hvsim's FP/SIMD decoder against Capstone's over a deterministic sample of the SIMD&FP
/// encoding space (data processing, and loads/stores with V = 1): both must agree on
/// whether a word is an instruction and which one, except for the extensions hvsim
/// deliberately leaves out (crypto, FEAT_FP16 and later Advanced SIMD additions).
@Suite struct FPSIMDCapstoneAgreement {
    /// Capstone mnemonics accepted for each FP/SIMD sub-operation (with aliases; the
    /// "2" forms are accepted for every operation).
    static let mnemonics: [FOp: Set<String>] = {
        var m: [FOp: Set<String>] = [:]
        func add(_ ops: [FOp], _ names: [String]) { for o in ops { m[o, default: []].formUnion(names) } }
        add([.ldr], ["ldr", "ldur"]); add([.str], ["str", "stur"])
        add([.ldp], ["ldp", "ldnp"]); add([.stp], ["stp", "stnp"])
        add([.ldMulti, .ldLane], ["ld1", "ld2", "ld3", "ld4"]); add([.stMulti, .stLane], ["st1", "st2", "st3", "st4"])
        add([.ldRep], ["ld1r", "ld2r", "ld3r", "ld4r"])
        add([.fcmp], ["fcmp", "fcmpe"]); add([.fccmp], ["fccmp", "fccmpe"]); add([.fmovImm], ["fmov"])
        add([.fcvtToGPR, .fcvtToInt], ["fcvtns", "fcvtnu", "fcvtps", "fcvtpu", "fcvtms", "fcvtmu", "fcvtzs", "fcvtzu",
                                       "fcvtas", "fcvtau"])
        add([.gprToFP, .intToFP], ["scvtf", "ucvtf"]); add([.fmovToGPR, .fmovFromGPR], ["fmov"])
        add([.frint], ["frintn", "frintp", "frintm", "frintz", "frinta", "frintx", "frinti"])
        add([.fcmgt0], ["fcmgt"]); add([.fcmeq0], ["fcmeq"]); add([.fcmlt0], ["fcmlt"]); add([.fcmge0], ["fcmge"])
        add([.fcmle0], ["fcmle"]); add([.fcvtn], ["fcvtn", "fcvtxn"])
        add([.cmgt0], ["cmgt"]); add([.cmeq0], ["cmeq"]); add([.cmlt0], ["cmlt"]); add([.cmge0], ["cmge"]); add([.cmle0], ["cmle"])
        add([.not], ["not", "mvn"]); add([.orr], ["orr", "mov"])
        add([.sqshlImm], ["sqshl"]); add([.uqshlImm], ["uqshl"])
        add([.sshll], ["sshll", "sxtl"]); add([.ushll], ["ushll", "uxtl"])
        add([.dupElem], ["dup", "mov", "fmov"]); add([.dupGen], ["dup"])
        add([.insGen, .insElem], ["ins", "mov"]); add([.umov], ["umov", "mov"]); add([.smov], ["smov"])
        add([.movi], ["movi", "fmov"]); add([.orrImm], ["orr"]); add([.bicImm], ["bic"])
        let plain: [FOp] = [.fnmul, .fmadd, .fmsub, .fnmadd, .fnmsub, .fcsel, .fcvt, .fadd, .fsub, .fmul, .fdiv,
                            .fmax, .fmin, .fmaxnm, .fminnm, .fmulx, .fabd, .fmla, .fmls, .fcmeq, .fcmge, .fcmgt,
                            .facge, .facgt, .frecps, .frsqrts, .faddp, .fmaxp, .fminp, .fmaxnmp, .fminnmp,
                            .fabs, .fneg, .fsqrt, .frecpe, .frsqrte, .frecpx, .fcvtl, .fmaxv, .fminv, .fmaxnmv,
                            .fminnmv, .add, .sub, .mul, .mla, .mls, .pmul, .shadd, .uhadd, .srhadd, .urhadd,
                            .shsub, .uhsub, .sqadd, .uqadd, .sqsub, .uqsub, .cmgt, .cmge, .cmhi, .cmhs, .cmeq,
                            .cmtst, .sshl, .ushl, .sqshl, .uqshl, .srshl, .urshl, .sqrshl, .uqrshl, .smax, .umax,
                            .smin, .umin, .sabd, .uabd, .saba, .uaba, .sqdmulh, .sqrdmulh, .addp, .smaxp, .umaxp,
                            .sminp, .uminp, .and, .bic, .orn, .eor, .bsl, .bit, .bif, .rev16, .rev32, .rev64,
                            .cls, .clz, .cnt, .rbit, .saddlp, .uaddlp, .sadalp, .uadalp, .suqadd, .usqadd, .sqabs,
                            .sqneg, .abs, .neg, .urecpe, .ursqrte, .addv, .saddlv, .uaddlv, .smaxv, .umaxv, .sminv,
                            .uminv, .saddl, .uaddl, .saddw, .uaddw, .ssubl, .usubl, .ssubw, .usubw, .addhn,
                            .raddhn, .subhn, .rsubhn, .sabal, .uabal, .sabdl, .uabdl, .smlal, .umlal, .smlsl,
                            .umlsl, .smull, .umull, .sqdmlal, .sqdmlsl, .sqdmull, .pmull, .xtn, .sqxtn, .uqxtn,
                            .sqxtun, .shll, .uzp1, .uzp2, .trn1, .trn2, .zip1, .zip2, .ext, .tbl, .tbx, .mvni,
                            .sshr, .ushr, .ssra, .usra, .srshr, .urshr, .srsra, .ursra, .shl, .sli, .sri, .sqshlu,
                            .shrn, .rshrn, .sqshrn, .uqshrn, .sqrshrn, .uqrshrn, .sqshrun, .sqrshrun]
        for o in plain { add([o], [String(describing: o)]) }
        return m
    }()

    /// Deterministic words from the SIMD&FP groups: op0 = x111, and x1x0 with V = 1.
    static func sample(_ count: Int) -> [UInt32] {
        var state: UInt64 = 0x2545_f491_4f6c_dd1d
        var out: [UInt32] = []
        while out.count < count {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            let w = UInt32(truncatingIfNeeded: state >> 11)
            if (w >> 25) & 7 == 0b111 || (w >> 25) & 7 == 0b110 { out.append(w) }
        }
        return out
    }

    @Test func decoderAgreesWithCapstone() {
        let dis = Disassembler()
        var disagreements: [String] = []
        var valid = 0
        for w in Self.sample(200_000) {
            let slot = Decoder.shared.decode(w)
            let text = dis.text(w, pc: 0x1000)
            let mnemonic = text.map { String($0.split(separator: " ").first ?? "") }
            switch (slot.op == .undefined, mnemonic) {
            case (true, nil): continue
            case (false, nil):
                if Self.constrainedUnpredictable(w) || Self.capstoneGap(w) { continue }
                disagreements.append(hex(w) + ": hvsim \(slot.fop), Capstone: invalid")
            case (true, let m?):
                if Self.notImplemented(m, text!) { continue }
                disagreements.append(hex(w) + ": hvsim UNDEFINED, Capstone: " + text!)
            case (false, let m?):
                valid += 1
                let names = Self.mnemonics[slot.fop] ?? []
                let base = m.hasSuffix("2") ? String(m.dropLast()) : m
                if !names.contains(m) && !names.contains(base) {
                    disagreements.append(hex(w) + ": hvsim \(slot.fop), Capstone: " + text!)
                }
            }
        }
        #expect(valid > 40_000, "too few valid instructions in the sample: \(valid)")
        #expect(disagreements.isEmpty,
                "\(disagreements.count) disagreements, first: \(disagreements.prefix(30).joined(separator: "\n"))")
    }

    private func hex(_ w: UInt32) -> String { String(w, radix: 16) }

    /// Extensions hvsim does not implement (and does not advertise): the cryptographic
    /// instructions (AES, SHA, SM3/SM4, SHA3, 64-bit PMULL), FEAT_FP16 arithmetic, and the
    /// Advanced SIMD additions after ARMv8.0 (RDM, dot product, FHM, complex numbers,
    /// JavaScript conversion, FRINT32/64, BFloat16).
    static func notImplemented(_ m: String, _ text: String) -> Bool {
        let prefixes = ["aes", "sha1", "sha256", "sha512", "sm3", "sm4", "eor3", "rax1", "xar", "bcax",
                        "sqrdmlah", "sqrdmlsh", "sdot", "udot", "fmlal", "fmlsl", "fcmla", "fcadd", "fjcvtzs",
                        "frint32", "frint64", "bf"]
        if prefixes.contains(where: { m.hasPrefix($0) }) { return true }
        if m.hasPrefix("pmull") && text.contains(".1q") { return true }
        return isFP16(m, text)
    }

    /// A half-precision FP data-processing instruction: an FP mnemonic with H-register
    /// or half-element vector operands (FCVT and FCVTL/FCVTN convert to and from half
    /// precision in the base architecture).
    static func isFP16(_ m: String, _ text: String) -> Bool {
        let fpMnemonic = m.hasPrefix("f") || m == "scvtf" || m == "ucvtf"
        if !fpMnemonic || ["fcvt", "fcvtl", "fcvtl2", "fcvtn", "fcvtn2"].contains(m) { return false }
        let operands = text.dropFirst(m.count)
        if operands.contains(".4h") || operands.contains(".8h") || operands.contains(".h[") { return true }
        return operands.split(whereSeparator: { $0 == " " || $0 == "," })
            .contains { $0.first == "h" && Int($0.dropFirst()) != nil }
    }

    /// Loads of a register pair into one register (CONSTRAINED UNPREDICTABLE; hvsim
    /// loads both, the second winning, as QEMU does).
    static func constrainedUnpredictable(_ w: UInt32) -> Bool {
        w & 0x3e40_0000 == 0x2c40_0000 && w & 31 == (w >> 10) & 31
    }

    /// Valid ARMv8.0 encodings Capstone 4 rejects (GNU objdump decodes them): DUP
    /// (general) with imm5 bits set above the size bit, and INS (element) with imm4 bits
    /// set below the source index. The Arm ARM marks those bits "x" (ignored).
    static func capstoneGap(_ w: UInt32) -> Bool {
        let imm5 = (w >> 16) & 31, imm4 = (w >> 11) & 15, es = UInt32(imm5.trailingZeroBitCount)
        if w & 0xbfe0_fc00 == 0x0e00_0c00 { return imm5 != 1 << es }                  // DUP (general)
        if w & 0xffe0_8400 == 0x6e00_0400 { return es < 4 && imm4 & ((1 << es) - 1) != 0 }   // INS (element)
        return false
    }
}
