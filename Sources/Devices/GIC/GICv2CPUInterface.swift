import Emu

/// The GICv2 memory-mapped CPU interface (GICC_*, IHI 0048 4.4), banked by the accessing
/// CPU. Used with `--gic 2`; GICv3 guests use the system registers instead.
public final class GICv2CPUInterface: MMIOHandler {
    enum Register {
        static let ctlr: UInt64 = 0x00, pmr: UInt64 = 0x04, bpr: UInt64 = 0x08, iar: UInt64 = 0x0c
        static let eoir: UInt64 = 0x10, rpr: UInt64 = 0x14, hppir: UInt64 = 0x18, abpr: UInt64 = 0x1c
        static let aiar: UInt64 = 0x20, aeoir: UInt64 = 0x24, ahppir: UInt64 = 0x28
        static let apr0: UInt64 = 0xd0, nsapr0: UInt64 = 0xe0, iidr: UInt64 = 0xfc, dir: UInt64 = 0x1000
    }
    /// GICC_CTLR bits without the Security Extensions.
    enum Control { static let enableGrp0: UInt64 = 1, enableGrp1: UInt64 = 2, fiqEn: UInt64 = 8, eoiMode: UInt64 = 1 << 9 }

    let gic: GICCore
    var ctlr: [UInt64]

    public init(_ gic: GICCore) {
        self.gic = gic
        ctlr = Array(repeating: 0, count: gic.cpuCount)
    }

    public func read(offset: UInt64, size: Int, cpu c: Int) -> UInt64 {
        guard c < gic.cpuCount else { return 0 }
        let R = Register.self
        switch offset {
        case R.ctlr: return ctlr[c]
        case R.pmr: return UInt64(gic.priorityMask(c))
        case R.bpr: return UInt64(gic.bpr0[c])
        case R.abpr: return UInt64(gic.bpr1[c])
        case R.iar: return UInt64(gic.acknowledge(c, group1: false))
        case R.aiar: return UInt64(gic.acknowledge(c, group1: true))
        case R.rpr: return UInt64(gic.runningPriority(c))
        case R.hppir: return UInt64(gic.highestPendingID(c, group1: false))
        case R.ahppir: return UInt64(gic.highestPendingID(c, group1: true))
        case R.apr0: return UInt64(gic.activePriorities0[c])
        case R.nsapr0: return UInt64(gic.activePriorities1[c])
        case R.iidr: return 0x0202_043b        // GICv2, Arm
        default: return 0
        }
    }

    public func write(offset: UInt64, size: Int, value: UInt64, cpu c: Int) {
        guard c < gic.cpuCount else { return }
        let R = Register.self, C = Control.self
        switch offset {
        case R.ctlr:
            ctlr[c] = value & (C.enableGrp0 | C.enableGrp1 | C.fiqEn | C.eoiMode)
            gic.igrpen0[c] = value & C.enableGrp0 != 0
            gic.igrpen1[c] = value & C.enableGrp1 != 0
            gic.fiqEnable[c] = value & C.fiqEn != 0
            gic.eoiMode[c] = value & C.eoiMode != 0
            gic.update(c)
        case R.pmr: gic.setPriorityMask(c, UInt8(truncatingIfNeeded: value))
        case R.bpr: gic.bpr0[c] = max(UInt8(value & 7), 2); gic.update(c)
        case R.abpr: gic.bpr1[c] = max(UInt8(value & 7), 3); gic.update(c)
        case R.eoir: gic.endOfInterrupt(c, intid: Int(value & 0x3ff), group1: false)
        case R.aeoir: gic.endOfInterrupt(c, intid: Int(value & 0x3ff), group1: true)
        case R.dir: gic.deactivate(c, intid: Int(value & 0x3ff))
        case R.apr0: gic.activePriorities0[c] = UInt32(truncatingIfNeeded: value); gic.update(c)
        case R.nsapr0: gic.activePriorities1[c] = UInt32(truncatingIfNeeded: value); gic.update(c)
        default: break
        }
    }
}
