// Address translation: the VMSAv8-64 stage 1 and stage 2 table walks (Arm ARM D8,
// "The AArch64 Virtual Memory System Architecture"), with 4K, 16K and 64K granules,
// hierarchical table attributes, access flag and permission checks. Descriptors are
// read from guest physical memory, so hypervisor-built tables are walked for real.

public enum Access: Sendable { case read, write, exec }

/// A translation fault, in the form the exception syndrome needs.
public struct Fault: Error, Sendable {
    public enum Kind: Sendable { case addressSize, translation, accessFlag, permission, external, alignment }
    public var kind: Kind
    public var level: Int = 0
    public var stage2 = false
    /// The stage 2 fault happened while reading a stage 1 descriptor.
    public var s1ptw = false
    /// Intermediate physical address (stage 2 faults).
    public var ipa: UInt64 = 0

    /// The fault status code (ESR ISS DFSC/IFSC, Arm ARM D17.2.37).
    public var statusCode: UInt64 {
        let l = UInt64(level & 3)
        switch kind {
        case .addressSize: return l
        case .translation: return 0x04 | l
        case .accessFlag: return 0x08 | l
        case .permission: return 0x0c | l
        case .external: return isWalk ? 0x14 | l : 0x10
        case .alignment: return 0x21
        }
    }
    /// External aborts on a descriptor fetch report the level; others use 0x10.
    var isWalk = false
}

/// The result of a successful walk: output address and what the access context may do.
struct Translation {
    var pa: UInt64
    var read: Bool
    var write: Bool
    var exec: Bool
    /// log2 of the size of stage 1's mapping when it is larger than a page (a block, a
    /// contiguous run, a 16K or 64K page; else 0): a TLBI by VA anywhere in it must drop
    /// this page's entry too (TLBLargeMappings.swift).
    var largeSpan: UInt8 = 0
}

/// Granule geometry from a TGx field.
private struct Granule {
    let shift: Int     // 12, 14 or 16
    var stride: Int { shift - 3 }
}

extension CPU {
    /// Physical address size in bits (ID_AA64MMFR0_EL1.PARange = 0b0010).
    static let paBits = 40

    /// Translates `va` for an access made with the permissions of `context`
    /// (0: EL0 / unprivileged, 1: EL1, 2: EL2), in the regime of the current EL.
    /// `stage1Only` stops at the stage 1 output (AT S1E1*/S1E0* report an IPA).
    func translate(_ va: UInt64, _ access: Access, context: Int, stage1Only: Bool = false) -> Result<Translation, Fault> {
        let s = st.pointee
        let regime2 = context == 2
        let stage2 = !regime2 && !stage1Only && hasEL2 && s.hcrEL2 & HCR.VM != 0
        let s1Enabled = regime2 ? s.sctlrEL2 & SCTLR.M != 0 : (s.sctlrEL1 & SCTLR.M != 0)
        if !s1Enabled {
            let pa = va & 0x00ff_ffff_ffff_ffff
            if pa >> CPU.paBits != 0 { return .failure(Fault(kind: .addressSize, level: 0)) }
            // With the MMU off, data is Device-nGnRnE and instructions Normal; all access is allowed.
            guard stage2 else { return .success(Translation(pa: pa, read: true, write: true, exec: true)) }
            return stage2Translate(pa, access, s1ptw: false, va: va)
                .map { Translation(pa: $0.pa, read: $0.read, write: $0.write, exec: $0.exec) }
        }
        return stage1Walk(va, access, context: context, regime2: regime2, stage2: stage2)
    }

    private func granule1(_ tg: UInt64, ttbr1: Bool) -> Granule {
        if ttbr1 {
            switch tg { case 1: return Granule(shift: 14); case 3: return Granule(shift: 16); default: return Granule(shift: 12) }
        }
        switch tg { case 1: return Granule(shift: 16); case 2: return Granule(shift: 14); default: return Granule(shift: 12) }
    }

    private func stage1Walk(_ va: UInt64, _ access: Access, context: Int, regime2: Bool,
                            stage2: Bool) -> Result<Translation, Fault> {
        let s = st.pointee
        var tsz: UInt64, tg: Granule, base: UInt64, tbi: Bool, epd = false
        let upper = !regime2 && (va >> 55) & 1 == 1
        if regime2 {
            tsz = s.tcrEL2 & 0x3f; tg = granule1((s.tcrEL2 >> 14) & 3, ttbr1: false)
            base = s.ttbr0EL2; tbi = (s.tcrEL2 >> 20) & 1 == 1
        } else if upper {
            tsz = (s.tcrEL1 >> 16) & 0x3f; tg = granule1((s.tcrEL1 >> 30) & 3, ttbr1: true)
            base = s.ttbr1EL1; tbi = (s.tcrEL1 >> 38) & 1 == 1; epd = (s.tcrEL1 >> 23) & 1 == 1
        } else {
            tsz = s.tcrEL1 & 0x3f; tg = granule1((s.tcrEL1 >> 14) & 3, ttbr1: false)
            base = s.ttbr0EL1; tbi = (s.tcrEL1 >> 37) & 1 == 1; epd = (s.tcrEL1 >> 7) & 1 == 1
        }
        tsz = min(max(tsz, 16), 39)          // out-of-range TxSZ is treated as the nearest limit
        let inputBits = 64 - Int(tsz)
        // The bits above the input range must all equal bit 55 (or all of 63:inputBits without TBI).
        let topBit = tbi ? 56 : 64
        let top = (va & ones(topBit)) >> UInt64(inputBits)
        let expected: UInt64 = upper ? ones(topBit - inputBits) : 0
        if epd || top != expected { return .failure(Fault(kind: .translation, level: 0)) }

        let g = tg.shift, stride = tg.stride
        let startLevel = 4 - (inputBits - g + stride - 1) / stride
        var level = startLevel
        let startBits = inputBits - (g + (3 - startLevel) * stride)
        var table = base & 0x0000_ffff_ffff_fffe & ~ones(max(3, startBits + 3))
        // Hierarchical attributes accumulated from table descriptors.
        var apTable: UInt64 = 0, xnTable = false, pxnTable = false
        while true {
            let shift = g + (3 - level) * stride
            let idx = (va >> UInt64(shift)) & ones(level == startLevel ? startBits : stride)
            var descAddr = table | idx << 3
            if stage2 {
                switch stage2Translate(descAddr, .read, s1ptw: true, va: va) {
                case .success(let t): descAddr = t.pa
                case .failure(let f): return .failure(f)
                }
            }
            guard let desc = bus.read(descAddr, size: 8, cpu: index) else {
                var f = Fault(kind: .external, level: level); f.isWalk = true; return .failure(f)
            }
            if desc & 1 == 0 { return .failure(Fault(kind: .translation, level: level)) }
            let isTable = desc & 2 != 0 && level < 3
            if isTable {
                table = desc & 0x0000_ffff_ffff_f000 & ~ones(g)
                apTable |= (desc >> 61) & 3
                xnTable = xnTable || (desc >> 60) & 1 == 1
                pxnTable = pxnTable || (desc >> 59) & 1 == 1
                level += 1
                continue
            }
            // Blocks: 4K at levels 1-2, 16K and 64K at level 2 only; pages at level 3.
            if level < 3 && (desc & 2 != 0 || level == 0 || (g != 12 && level == 1)) {
                return .failure(Fault(kind: .translation, level: level))
            }
            if level == 3 && desc & 2 == 0 { return .failure(Fault(kind: .translation, level: level)) }
            let oa = (desc & 0x0000_ffff_ffff_ffff & ~ones(shift)) | (va & ones(shift))
            if oa >> CPU.paBits != 0 { return .failure(Fault(kind: .addressSize, level: level)) }
            if desc & (1 << 10) == 0 { return .failure(Fault(kind: .accessFlag, level: level)) }
            var t = stage1Permissions(desc, apTable: apTable, xnTable: xnTable, pxnTable: pxnTable,
                                      context: context, regime2: regime2)
            t.pa = oa
            // Bit 52, Contiguous: a run of up to 128 descriptors (by granule and level).
            let span = desc & (1 << 52) != 0 ? shift + 7 : shift
            if span > 12 { t.largeSpan = UInt8(span) }
            let allowed = access == .read ? t.read : access == .write ? t.write : t.exec
            if !allowed { return .failure(Fault(kind: .permission, level: level)) }
            if stage2 {
                switch stage2Translate(oa, access, s1ptw: false, va: va) {
                case .success(let t2):
                    return .success(Translation(pa: t2.pa, read: t.read && t2.read, write: t.write && t2.write,
                                                exec: t.exec && t2.exec, largeSpan: t.largeSpan))
                case .failure(let f): return .failure(f)
                }
            }
            return .success(t)
        }
    }

    /// Stage 1 access permissions (Arm ARM D8.4): AP[2:1], UXN/PXN, APTable, PAN, WXN.
    private func stage1Permissions(_ desc: UInt64, apTable: UInt64, xnTable: Bool, pxnTable: Bool,
                                   context: Int, regime2: Bool) -> Translation {
        let s = st.pointee
        var ap = (desc >> 6) & 3
        if apTable & 2 != 0 { ap |= 2 }          // APTable[1]: no writes below
        let wxn = (regime2 ? s.sctlrEL2 : s.sctlrEL1) & SCTLR.WXN != 0
        if regime2 {
            let w = ap & 2 == 0
            let x = (desc >> 54) & 1 == 0 && !xnTable && !(wxn && w)
            return Translation(pa: 0, read: true, write: w, exec: x)
        }
        let el0Access = ap & 1 != 0 && apTable & 1 == 0
        let uxn = (desc >> 54) & 1 != 0 || xnTable
        let pxn = (desc >> 53) & 1 != 0 || pxnTable
        if context == 0 {
            let w = el0Access && ap & 2 == 0
            return Translation(pa: 0, read: el0Access, write: w, exec: el0Access && !uxn && !(wxn && w))
        }
        let w = ap & 2 == 0
        // PAN: privileged data accesses to EL0-accessible pages fault (instruction fetches do not).
        let panBlocks = s.pan != 0 && el0Access
        if el0Access && !panBlocks { el1MayReachUserPages = true }    // see setPAN
        // A page writable at EL0 is never executable at EL1.
        let x = !pxn && !(el0Access && ap & 2 == 0) && !(wxn && w)
        return Translation(pa: 0, read: !panBlocks, write: w && !panBlocks, exec: x)
    }

    /// Stage 2 translation of an IPA (Arm ARM D8.2.4), faults reported to EL2. Walks found
    /// are kept in the TLB's stage-2 table (TLB.swift); a miss or a permission the entry
    /// lacks walks again, so faults are always reported from a walk.
    func stage2Translate(_ ipa: UInt64, _ access: Access, s1ptw: Bool, va: UInt64) -> Result<Translation, Fault> {
        let page = ipa & ~0xfff
        let e = tlbEntry(TLB.stage2, ipa)
        let tag = access == .read ? e.pointee.tagR : access == .write ? e.pointee.tagW : e.pointee.tagX
        if tag == page {
            return .success(Translation(pa: tlbPage(e).pointee.pa | (ipa & 0xfff), read: e.pointee.tagR == page,
                                        write: e.pointee.tagW == page, exec: e.pointee.tagX == page))
        }
        let r = stage2Walk(ipa, access, s1ptw: s1ptw, va: va)
        if case .success(let t) = r {
            e.pointee.tagR = t.read ? page : TLB.invalid
            e.pointee.tagW = t.write ? page : TLB.invalid
            e.pointee.tagX = t.exec ? page : TLB.invalid
            tlbPage(e).pointee.pa = t.pa & ~0xfff
        }
        return r
    }

    private func stage2Walk(_ ipa: UInt64, _ access: Access, s1ptw: Bool, va: UInt64) -> Result<Translation, Fault> {
        let s = st.pointee
        let vtcr = s.vtcrEL2
        let tsz = min(max(vtcr & 0x3f, 16), 39)
        let inputBits = 64 - Int(tsz)
        var f = Fault(kind: .translation, level: 0, stage2: true, s1ptw: s1ptw, ipa: ipa)
        if ipa >> UInt64(inputBits) != 0 { return .failure(f) }
        let g: Int
        switch (vtcr >> 14) & 3 { case 1: g = 16; case 2: g = 14; default: g = 12 }
        let stride = g - 3
        let sl0 = Int((vtcr >> 6) & 3)
        var level = g == 12 ? 2 - sl0 : 3 - sl0
        if level < 0 || level > 3 { f.level = 0; return .failure(f) }
        // Bits resolved at the start level, including up to 4 bits of concatenated tables.
        let startShift = g + (3 - level) * stride
        let startBits = inputBits - startShift
        if startBits < 1 || startBits > stride + 4 { f.level = level; return .failure(f) }
        var table = s.vttbrEL2 & 0x0000_ffff_ffff_fffe & ~ones(max(3, startBits + 3))
        var first = true
        while true {
            let shift = g + (3 - level) * stride
            let idx = (ipa >> UInt64(shift)) & ones(first ? startBits : stride)
            first = false
            guard let desc = bus.read(table | idx << 3, size: 8, cpu: index) else {
                var e = f; e.kind = .external; e.level = level; e.isWalk = true; return .failure(e)
            }
            f.level = level
            if desc & 1 == 0 { return .failure(f) }
            if desc & 2 != 0 && level < 3 {
                table = desc & 0x0000_ffff_ffff_f000 & ~ones(g)
                level += 1
                continue
            }
            if level == 3 && desc & 2 == 0 { return .failure(f) }
            if level < 3 && (level == 0 || (g != 12 && level == 1)) { return .failure(f) }
            let pa = (desc & 0x0000_ffff_ffff_ffff & ~ones(shift)) | (ipa & ones(shift))
            if pa >> CPU.paBits != 0 { f.kind = .addressSize; return .failure(f) }
            if desc & (1 << 10) == 0 { f.kind = .accessFlag; return .failure(f) }
            let s2ap = (desc >> 6) & 3
            let t = Translation(pa: pa, read: s2ap & 1 != 0, write: s2ap & 2 != 0, exec: (desc >> 54) & 1 == 0)
            let ok = access == .read ? t.read : access == .write ? t.write : t.exec
            if !ok { f.kind = .permission; return .failure(f) }
            return .success(t)
        }
    }
}

extension CPU {
    /// AT S12E1R / S12E1W for a hosted hypervisor: the machine address of EL1&0 virtual
    /// address `va` through the current stage 1 and stage 2, or nil if either faults.
    public func translateGuestVirtual(_ va: UInt64, write: Bool) -> UInt64? {
        if case .success(let t) = translate(va, write ? .write : .read, context: 1) { return t.pa }
        return nil
    }

    /// AT S1E1R / S1E1W for a hosted hypervisor: the IPA of EL1&0 virtual address `va`
    /// through the current stage 1 alone, or nil if it faults.
    public func translateGuestVirtualToIPA(_ va: UInt64, write: Bool) -> UInt64? {
        if case .success(let t) = translate(va, write ? .write : .read, context: 1, stage1Only: true) { return t.pa }
        return nil
    }
}
