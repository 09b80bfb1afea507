import Emu

/// The GICv3 redistributors: one per CPU, each two 64 KiB frames (RD_base for control,
/// SGI_base for the CPU's SGIs and PPIs), laid out one after another from the region base
/// (IHI 0069 12.10, 12.11). No LPIs.
public final class GICRedistributors: MMIOHandler {
    enum Register {
        static let ctlr: UInt64 = 0x0000, iidr: UInt64 = 0x0004, typer: UInt64 = 0x0008
        static let statusr: UInt64 = 0x0010, waker: UInt64 = 0x0014, pidr2: UInt64 = 0xffe8
        // SGI_base frame, at +0x10000.
        static let igroupr0: UInt64 = 0x0080, isenabler0: UInt64 = 0x0100, icenabler0: UInt64 = 0x0180
        static let ispendr0: UInt64 = 0x0200, icpendr0: UInt64 = 0x0280, isactiver0: UInt64 = 0x0300
        static let icactiver0: UInt64 = 0x0380, ipriorityr: UInt64 = 0x0400, icfgr0: UInt64 = 0x0c00
        static let icfgr1: UInt64 = 0x0c04, igrpmodr0: UInt64 = 0x0d00, nsacr: UInt64 = 0x0e00
    }
    public static let stride: UInt64 = 0x2_0000

    let gic: GICCore
    /// GICR_WAKER.ProcessorSleep per CPU (ChildrenAsleep follows it at once).
    var asleep: [Bool]

    public init(_ gic: GICCore) {
        self.gic = gic
        asleep = Array(repeating: true, count: gic.cpuCount)
    }

    public func read(offset: UInt64, size: Int, cpu _: Int) -> UInt64 {
        let c = Int(offset / GICRedistributors.stride)
        guard c < gic.cpuCount else { return 0 }
        let off = offset % GICRedistributors.stride
        let R = Register.self
        if off < 0x1_0000 {
            switch off & ~3 {
            case R.ctlr, R.statusr: return 0
            case R.iidr: return GICDistributor.implementer
            case R.typer:
                // Affinity = MPIDR Aff3.Aff2.Aff1.Aff0, processor number, Last for the final frame.
                let v = CPUAffinity.affinity(ofCPU: c) << 32 | UInt64(c) << 8 | (c == gic.cpuCount - 1 ? 0x10 : 0)
                return size == 8 ? v : UInt64(truncatingIfNeeded: UInt32(truncatingIfNeeded: v))
            case R.typer + 4: return UInt64(c)
            case R.waker: return asleep[c] ? 6 : 0
            case R.pidr2: return 0x3b
            case 0xffd0...0xfffc: return GICDistributor.idRegister(off & 0xff)
            default: return 0
            }
        }
        let s = off - 0x1_0000
        switch s {
        case R.igroupr0: return UInt64(gic.bits(gic.group1, base: 0, cpu: c))
        case R.isenabler0, R.icenabler0: return UInt64(gic.bits(gic.enabled, base: 0, cpu: c))
        case R.ispendr0, R.icpendr0: return UInt64(gic.pendingBits(base: 0, cpu: c))
        case R.isactiver0, R.icactiver0: return UInt64(gic.bits(gic.active, base: 0, cpu: c))
        case R.ipriorityr..<(R.ipriorityr + 32): return gic.priorityBytes(base: Int(s - R.ipriorityr), size: size, cpu: c)
        case R.icfgr0: return UInt64(gic.configBits(base: 0, cpu: c))
        case R.icfgr1: return UInt64(gic.configBits(base: 16, cpu: c))
        default: return 0
        }
    }

    public func write(offset: UInt64, size: Int, value: UInt64, cpu _: Int) {
        let c = Int(offset / GICRedistributors.stride)
        guard c < gic.cpuCount else { return }
        let off = offset % GICRedistributors.stride
        let R = Register.self
        if off < 0x1_0000 {
            if off == R.waker { asleep[c] = value & 2 != 0 }
            return
        }
        let s = off - 0x1_0000
        let v = UInt32(truncatingIfNeeded: value)
        switch s {
        case R.igroupr0:
            for i in 0..<32 { gic.group1[gic.slot(c, i)] = v & (1 << i) != 0 }
            gic.update(c)
        case R.isenabler0: gic.forEachBit(v, base: 0, cpu: c) { gic.enabled[$0] = true }
        case R.icenabler0: gic.forEachBit(v, base: 0, cpu: c) { gic.enabled[$0] = false }
        case R.ispendr0: gic.forEachBit(v, base: 0, cpu: c) { gic.latch[$0] = true }
        case R.icpendr0: gic.forEachBit(v, base: 0, cpu: c) { gic.latch[$0] = false }
        case R.isactiver0: gic.forEachBit(v, base: 0, cpu: c) { gic.active[$0] = true }
        case R.icactiver0: gic.forEachBit(v, base: 0, cpu: c) { gic.active[$0] = false }
        case R.ipriorityr..<(R.ipriorityr + 32):
            gic.setPriorityBytes(value, base: Int(s - R.ipriorityr), size: size, cpu: c)
        case R.icfgr1: gic.setConfig(v, base: 16, cpu: c)
        default: break   // ICFGR0 (SGIs are edge), IGRPMODR0, NSACR: fixed with one security state
        }
    }
}
