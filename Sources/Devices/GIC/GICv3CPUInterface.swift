import Emu

/// The GICv3 CPU interface: the ICC_* system registers each CPU reaches with MRS/MSR
/// (IHI 0069 12.2), and the ICH_* hypervisor-control registers kept for EL2 software
/// (12.4). One object serves every CPU; the accessing CPU's index selects the bank.
///
/// Not yet modelled: the virtual CPU interface (ICV_* behaviour of ICC_* accesses at EL1
/// when HCR_EL2.IMO/FMO are set, driven by the list registers) — the hypervisor issue
/// builds it on the ICH_* state stored here.
public final class GICv3CPUInterface: GICSystemRegisters {
    /// Packed encodings (op0 = 3) as the CPU passes them: op0:op1:CRn:CRm:op2.
    @inline(__always) static func enc(_ op1: UInt32, _ crn: UInt32, _ crm: UInt32, _ op2: UInt32) -> UInt32 {
        3 << 14 | op1 << 11 | crn << 7 | crm << 3 | op2
    }
    /// The ICC_* and ICH_* register encodings (also what the hosted hypervisor uses).
    public enum Reg {
        public static let pmr = enc(0, 4, 6, 0)
        public static let iar0 = enc(0, 12, 8, 0), eoir0 = enc(0, 12, 8, 1), hppir0 = enc(0, 12, 8, 2), bpr0 = enc(0, 12, 8, 3)
        public static let ap0r0 = enc(0, 12, 8, 4), ap1r0 = enc(0, 12, 9, 0)
        public static let dir = enc(0, 12, 11, 1), rpr = enc(0, 12, 11, 3), sgi1r = enc(0, 12, 11, 5)
        public static let asgi1r = enc(0, 12, 11, 6), sgi0r = enc(0, 12, 11, 7)
        public static let iar1 = enc(0, 12, 12, 0), eoir1 = enc(0, 12, 12, 1), hppir1 = enc(0, 12, 12, 2), bpr1 = enc(0, 12, 12, 3)
        public static let ctlr = enc(0, 12, 12, 4), sre = enc(0, 12, 12, 5), igrpen0 = enc(0, 12, 12, 6), igrpen1 = enc(0, 12, 12, 7)
        public static let sreEL2 = enc(4, 12, 9, 5)
        public static let ichAP0R0 = enc(4, 12, 8, 0), ichAP1R0 = enc(4, 12, 9, 0)
        public static let ichHCR = enc(4, 12, 11, 0), ichVTR = enc(4, 12, 11, 1), ichMISR = enc(4, 12, 11, 2)
        public static let ichEISR = enc(4, 12, 11, 3), ichELRSR = enc(4, 12, 11, 5), ichVMCR = enc(4, 12, 11, 7)
        public static let ichLR0 = enc(4, 12, 12, 0)
        /// ICH_LR<n>_EL2 (CRm 12 for n < 8, 13 for the next eight).
        public static func ichLR(_ n: Int) -> UInt32 { enc(4, 12, 12 + UInt32(n >> 3), UInt32(n & 7)) }
    }
    /// ICH_LR<n>_EL2 bits: HW (61) and EOI (41, maintenance interrupt on deactivation).
    enum LR { static let hw: UInt64 = 1 << 61, eoi: UInt64 = 1 << 41 }
    /// List registers implemented per CPU.
    public static let listRegisters = 4
    /// ICH_VTR_EL2: PRIbits 5 and PREbits 5 (fields hold n-1), 16-bit IDs, ListRegs - 1.
    static let vtr: UInt64 = 4 << 29 | 4 << 26 | UInt64(listRegisters - 1)

    let gic: GICCore
    /// EL2 state per CPU: ICH_HCR_EL2, ICH_VMCR_EL2, the list registers, active-priority registers.
    public var ichHCR: [UInt64], ichVMCR: [UInt64], ichLR: [[UInt64]], ichAP0R: [UInt64], ichAP1R: [UInt64]

    public init(_ gic: GICCore) {
        self.gic = gic
        let n = gic.cpuCount
        ichHCR = Array(repeating: 0, count: n); ichVMCR = ichHCR; ichAP0R = ichHCR; ichAP1R = ichHCR
        ichLR = Array(repeating: Array(repeating: 0, count: GICv3CPUInterface.listRegisters), count: n)
    }

    public func readRegister(_ cpu: CPU, encoding e: UInt32) -> UInt64? {
        let c = cpu.index, R = Reg.self
        if isVirtual(cpu, e) { return virtualRead(c, e) }
        switch e {
        case R.pmr: return UInt64(gic.priorityMask(c))
        case R.iar0: return UInt64(gic.acknowledge(c, group1: false))
        case R.iar1: return UInt64(gic.acknowledge(c, group1: true))
        case R.hppir0: return UInt64(gic.highestPendingID(c, group1: false))
        case R.hppir1: return UInt64(gic.highestPendingID(c, group1: true))
        case R.bpr0: return UInt64(gic.bpr0[c])
        case R.bpr1: return UInt64(gic.bpr1[c])
        case R.ap0r0: return UInt64(gic.activePriorities0[c])
        case R.ap1r0: return UInt64(gic.activePriorities1[c])
        case R.ap0r0 + 1, R.ap0r0 + 2, R.ap0r0 + 3, R.ap1r0 + 1, R.ap1r0 + 2, R.ap1r0 + 3: return 0
        case R.rpr: return UInt64(gic.runningPriority(c))
        // PRIbits = 4 (five bits), IDbits = 0 (16), EOImode from software.
        case R.ctlr: return 4 << 8 | (gic.eoiMode[c] ? 2 : 0)
        case R.sre: return 7                      // SRE, DFB, DIB: system registers only
        case R.sreEL2: return 0xf                 // Enable lets EL1 use ICC_SRE_EL1
        case R.igrpen0: return gic.igrpen0[c] ? 1 : 0
        case R.igrpen1: return gic.igrpen1[c] ? 1 : 0
        case R.ichHCR: return ichHCR[c]
        case R.ichVTR: return GICv3CPUInterface.vtr
        case R.ichVMCR: return ichVMCR[c]
        case R.ichAP0R0: return ichAP0R[c]
        case R.ichAP1R0: return ichAP1R[c]
        case R.ichAP0R0 + 1, R.ichAP0R0 + 2, R.ichAP0R0 + 3, R.ichAP1R0 + 1, R.ichAP1R0 + 2, R.ichAP1R0 + 3: return 0
        case R.ichMISR: return maintenanceStatus(c)
        case R.ichEISR:
            // An EOI maintenance interrupt is owed: State Invalid, HW = 0, EOI (bit 41) = 1.
            var v: UInt64 = 0
            for (i, lr) in ichLR[c].enumerated() where lr >> 62 == 0 && lr & LR.hw == 0 && lr & LR.eoi != 0 { v |= 1 << i }
            return v
        case R.ichELRSR:
            // A list register is empty when its State (bits 63:62) is Invalid and no EOI
            // maintenance interrupt is owed: HW = 1 or EOI = 0 (IHI 0069 ICH_ELRSR_EL2).
            var v: UInt64 = 0
            for (i, lr) in ichLR[c].enumerated() where lr >> 62 == 0 && (lr & LR.hw != 0 || lr & LR.eoi == 0) { v |= 1 << i }
            return v
        case R.ichLR0..<(R.ichLR0 + UInt32(GICv3CPUInterface.listRegisters)): return ichLR[c][Int(e - R.ichLR0)]
        case R.dir, R.eoir0, R.eoir1, R.sgi0r, R.sgi1r, R.asgi1r: return nil   // write-only
        default: return nil
        }
    }

    public func writeRegister(_ cpu: CPU, encoding e: UInt32, value v: UInt64) -> Bool {
        let c = cpu.index, R = Reg.self
        if isVirtual(cpu, e) { return virtualWrite(c, e, v) }
        switch e {
        case R.pmr: gic.setPriorityMask(c, UInt8(truncatingIfNeeded: v))
        case R.eoir0: gic.endOfInterrupt(c, intid: Int(v & 0xff_ffff), group1: false)
        case R.eoir1: gic.endOfInterrupt(c, intid: Int(v & 0xff_ffff), group1: true)
        case R.dir: gic.deactivate(c, intid: Int(v & 0xff_ffff))
        case R.bpr0: gic.bpr0[c] = max(UInt8(v & 7), 2); gic.update(c)
        case R.bpr1: gic.bpr1[c] = max(UInt8(v & 7), 3); gic.update(c)
        case R.ap0r0: gic.activePriorities0[c] = UInt32(truncatingIfNeeded: v); gic.update(c)
        case R.ap1r0: gic.activePriorities1[c] = UInt32(truncatingIfNeeded: v); gic.update(c)
        case R.ap0r0 + 1, R.ap0r0 + 2, R.ap0r0 + 3, R.ap1r0 + 1, R.ap1r0 + 2, R.ap1r0 + 3: break
        case R.ctlr: gic.eoiMode[c] = v & 2 != 0
        case R.sre, R.sreEL2: break
        // Every CPU's outputs: a 1-of-N SPI may move to or from another CPU.
        case R.igrpen0: gic.igrpen0[c] = v & 1 != 0; gic.update()
        case R.igrpen1: gic.igrpen1[c] = v & 1 != 0; gic.update()
        case R.sgi0r, R.sgi1r, R.asgi1r: gic.sendSGI(register: v, from: c)   // same fields in all three
        case R.ichHCR: ichHCR[c] = v & 0xf800_7fff; signalVirtual(c)
        case R.ichVMCR: ichVMCR[c] = v & 0xfffc_0213; signalVirtual(c)
        case R.ichAP0R0: ichAP0R[c] = v & 0xffff_ffff; signalVirtual(c)
        case R.ichAP1R0: ichAP1R[c] = v & 0xffff_ffff; signalVirtual(c)
        case R.ichAP0R0 + 1, R.ichAP0R0 + 2, R.ichAP0R0 + 3, R.ichAP1R0 + 1, R.ichAP1R0 + 2, R.ichAP1R0 + 3: break
        case R.ichLR0..<(R.ichLR0 + UInt32(GICv3CPUInterface.listRegisters)):
            ichLR[c][Int(e - R.ichLR0)] = v
            signalVirtual(c)
        case R.iar0, R.iar1, R.hppir0, R.hppir1, R.rpr, R.ichVTR, R.ichMISR, R.ichEISR, R.ichELRSR: return false
        default: return false
        }
        return true
    }
}
