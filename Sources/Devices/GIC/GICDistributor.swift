import Emu

/// The GIC distributor (GICD_*), GICv3 with affinity routing (GICD_CTLR.ARE = 1, so INTIDs
/// below 32 are configured in the redistributors and read as zero here) or GICv2 (INTIDs
/// below 32 banked per accessing CPU, SPIs routed by GICD_ITARGETSR). IHI 0069 12.9 and
/// IHI 0048 4.3.
public final class GICDistributor: MMIOHandler {
    enum Register {
        static let ctlr: UInt64 = 0x000, typer: UInt64 = 0x004, iidr: UInt64 = 0x008, typer2: UInt64 = 0x00c
        static let igroupr: UInt64 = 0x080, isenabler: UInt64 = 0x100, icenabler: UInt64 = 0x180
        static let ispendr: UInt64 = 0x200, icpendr: UInt64 = 0x280, isactiver: UInt64 = 0x300
        static let icactiver: UInt64 = 0x380, ipriorityr: UInt64 = 0x400, itargetsr: UInt64 = 0x800
        static let icfgr: UInt64 = 0xc00, igrpmodr: UInt64 = 0xd00, nsacr: UInt64 = 0xe00
        static let sgir: UInt64 = 0xf00, cpendsgir: UInt64 = 0xf10, spendsgir: UInt64 = 0xf20
        static let irouter: UInt64 = 0x6000
    }
    /// Arm's JEP106 code in IIDR/product identification.
    static let implementer: UInt64 = 0x43b

    let gic: GICCore
    let v3: Bool
    /// GICD_IROUTER<n> as written (Aff3, IRM, Aff2, Aff1, Aff0; RES0 bits clear), read back as is
    /// also when it names no PE here (IHI 0069 GICD_IROUTER<n>: then the SPI is forwarded nowhere).
    var irouter: [UInt64]
    static let irouterMask: UInt64 = 0xff_80ff_ffff

    public init(_ gic: GICCore, v3: Bool) {
        self.gic = gic
        self.v3 = v3
        irouter = Array(repeating: 0, count: gic.lines)
    }

    /// Whether INTID `base` (the first of a register's range) is handled here for this version.
    private func visible(_ intid: Int) -> Bool { !(v3 && intid < 32) && intid < gic.lines }

    public func read(offset: UInt64, size: Int, cpu: Int) -> UInt64 {
        let R = Register.self
        switch offset {
        case R.ctlr:
            let en = (gic.enableGroup0 ? 1 : 0) | (gic.enableGroup1 ? 2 : 0)
            return UInt64(en) | (v3 ? 0x50 : 0)                      // ARE and DS read as one
        case R.typer:
            let lines = UInt64(gic.lines / 32 - 1)
            return v3 ? lines | 9 << 19 : lines | UInt64(gic.cpuCount - 1) << 5
        case R.iidr: return GICDistributor.implementer
        case R.typer2: return 0
        case 0xffe8 where v3, 0xfe8 where !v3: return v3 ? 0x3b : 0x2b   // PIDR2.ArchRev: 3 or 2
        case 0xffd0...0xfffc where v3, 0xfd0...0xffc where !v3: return GICDistributor.idRegister(offset & 0xff)
        default: break
        }
        if offset >= R.irouter && offset < R.irouter + 8 * 1024 {
            guard v3 else { return 0 }
            let intid = Int((offset - R.irouter) >> 3)
            guard intid >= 32 && intid < gic.lines else { return 0 }
            let v = irouter[intid]
            if size == 8 { return v }
            return offset & 4 != 0 ? v >> 32 : v & 0xffff_ffff     // 32-bit halves
        }
        if offset >= R.ipriorityr && offset < R.ipriorityr + 0x400 {
            let intid = Int(offset - R.ipriorityr)
            return visible(intid) ? gic.priorityBytes(base: intid, size: size, cpu: cpu) : 0
        }
        if offset >= R.itargetsr && offset < R.itargetsr + 0x400 {
            let intid = Int(offset - R.itargetsr)
            guard !v3 else { return 0 }
            var v: UInt64 = 0
            for i in 0..<size where intid + i < gic.lines {
                // Private interrupts read as the accessing CPU's own bit.
                let t = intid + i < 32 ? UInt8(1 << cpu) : gic.targets[intid + i]
                v |= UInt64(t) << (8 * i)
            }
            return v
        }
        if offset >= R.icfgr && offset < R.icfgr + 0x100 {
            let intid = Int(offset - R.icfgr) * 4
            return visible(intid) ? UInt64(gic.configBits(base: intid, cpu: cpu)) : 0
        }
        if let (reg, intid) = bitRegister(offset), visible(intid) {
            switch reg {
            case R.igroupr: return UInt64(gic.bits(gic.group1, base: intid, cpu: cpu))
            case R.isenabler, R.icenabler: return UInt64(gic.bits(gic.enabled, base: intid, cpu: cpu))
            case R.ispendr, R.icpendr: return UInt64(gic.pendingBits(base: intid, cpu: cpu))
            case R.isactiver, R.icactiver: return UInt64(gic.bits(gic.active, base: intid, cpu: cpu))
            default: return 0   // IGRPMODR: one security state, RAZ/WI
            }
        }
        return 0
    }

    public func write(offset: UInt64, size: Int, value: UInt64, cpu: Int) {
        let R = Register.self
        switch offset {
        case R.ctlr:
            gic.enableGroup0 = value & 1 != 0
            gic.enableGroup1 = value & 2 != 0
            gic.update()
            return
        case R.sgir where !v3:
            // GICv2 software-generated interrupt: TargetListFilter 0 = list, 1 = others, 2 = self.
            // A GICv2 has at most 8 CPUs (GICCore.maxV2CPUs).
            let list = UInt8((value >> 16) & 0xff), all = UInt8(truncatingIfNeeded: (1 << gic.cpuCount) - 1)
            let mask: UInt8
            switch (value >> 24) & 3 {
            case 0: mask = list & all
            case 1: mask = all & ~(1 << cpu)
            case 2: mask = 1 << cpu
            default: return
            }
            gic.sendSGI(Int(value & 15), targets: mask, from: cpu)
            return
        default: break
        }
        if offset >= R.irouter && offset < R.irouter + 8 * 1024 {
            guard v3 else { return }
            let intid = Int((offset - R.irouter) >> 3)
            guard intid >= 32 && intid < gic.lines else { return }
            let old = irouter[intid]
            var v = value
            if size == 4 { v = offset & 4 != 0 ? (old & 0xffff_ffff) | value << 32 : (old & ~0xffff_ffff) | value }
            v &= GICDistributor.irouterMask
            irouter[intid] = v
            gic.anyCPU[intid] = v & (1 << 31) != 0
            gic.route[intid] = CPUAffinity.cpu(ofAffinity: v) ?? Int.max
            gic.update()
            return
        }
        if offset >= R.ipriorityr && offset < R.ipriorityr + 0x400 {
            let intid = Int(offset - R.ipriorityr)
            if visible(intid) { gic.setPriorityBytes(value, base: intid, size: size, cpu: cpu) }
            return
        }
        if offset >= R.itargetsr && offset < R.itargetsr + 0x400 {
            let intid = Int(offset - R.itargetsr)
            guard !v3 else { return }
            for i in 0..<size where intid + i >= 32 && intid + i < gic.lines {
                gic.targets[intid + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) & UInt8(truncatingIfNeeded: (1 << gic.cpuCount) - 1)
            }
            gic.update()
            return
        }
        if offset >= R.icfgr && offset < R.icfgr + 0x100 {
            let intid = Int(offset - R.icfgr) * 4
            if visible(intid) { gic.setConfig(UInt32(truncatingIfNeeded: value), base: intid, cpu: cpu) }
            return
        }
        guard let (reg, intid) = bitRegister(offset), visible(intid) else { return }
        let v = UInt32(truncatingIfNeeded: value)
        switch reg {
        case R.igroupr:
            for i in 0..<32 where intid + i < gic.lines { gic.group1[gic.slot(cpu, intid + i)] = v & (1 << i) != 0 }
            gic.update(intid < 32 ? cpu : nil)
        case R.isenabler: gic.forEachBit(v, base: intid, cpu: cpu) { gic.enabled[$0] = true }
        case R.icenabler: gic.forEachBit(v, base: intid, cpu: cpu) { gic.enabled[$0] = false }
        case R.ispendr: gic.forEachBit(v, base: intid, cpu: cpu) { gic.latch[$0] = true }
        case R.icpendr: gic.forEachBit(v, base: intid, cpu: cpu) { gic.latch[$0] = false }
        case R.isactiver: gic.forEachBit(v, base: intid, cpu: cpu) { gic.active[$0] = true }
        case R.icactiver: gic.forEachBit(v, base: intid, cpu: cpu) { gic.active[$0] = false }
        default: break
        }
    }

    /// Decodes the one-bit-per-INTID register banks: (register base, first INTID).
    private func bitRegister(_ offset: UInt64) -> (UInt64, Int)? {
        guard offset >= 0x080 && offset < 0x400 || offset >= 0xd00 && offset < 0xd80 else { return nil }
        let base = offset & ~0x7f
        return (base, Int(offset - base) * 8)
    }

    /// Peripheral/component identification registers (offset within the last 0x30 bytes).
    static func idRegister(_ low: UInt64) -> UInt64 {
        switch low {
        case 0xe0: return 0x92          // PIDR0: part number low
        case 0xe4: return 0xb4          // PIDR1: part number high, JEP106 low bits
        case 0xec: return 0x00
        case 0xd0: return 0x04          // PIDR4: 4K block count, JEP106 continuation
        case 0xf0: return 0x0d          // CIDR0-3: the PrimeCell component ID
        case 0xf4: return 0xf0
        case 0xf8: return 0x05
        case 0xfc: return 0xb1
        default: return 0
        }
    }
}
