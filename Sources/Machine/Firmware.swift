import Emu
import Devices

/// What the firmware decided about the machine after a call.
enum FirmwareAction: Equatable {
    case resume
    case powerOff(status: Int32)
    case reset
    case cpuOn(target: Int, entry: UInt64, context: UInt64, el: Int)
    case cpuOff
}

/// PSCI 1.1 (Arm DEN 0022) served over SMC (or HVC when nothing runs at EL2), the
/// SMCCC version/feature calls Linux probes, and Arm semihosting (HLT #0xF000) for
/// bare-metal test programs: console output and an exit status.
struct Firmware {
    /// Serves a PSCI/SMCCC call from `cpu`; `cpuOnline(mpidr)` reports target state.
    static func psci(_ cpu: CPU, cpus: [CPU], online: (Int) -> Bool) -> FirmwareAction {
        let fn = cpu[0] & 0xffff_ffff
        func ret(_ v: Int64) -> FirmwareAction { cpu[0] = UInt64(bitPattern: v); return .resume }
        func target(_ mpidr: UInt64) -> Int? {
            cpus.firstIndex { $0.st.pointee.mpidr & 0xff_00ff_ffff == mpidr & 0xff_00ff_ffff }
        }
        switch fn {
        case PSCI.version: return ret(0x0001_0001)
        case PSCI.smcccVersion: return ret(0x0001_0001)
        case PSCI.smcccArchFeatures: return ret(PSCI.notSupported)
        case PSCI.migrateInfoType: return ret(2)
        case PSCI.systemOff: return .powerOff(status: 0)
        case PSCI.systemReset: return .reset
        case PSCI.cpuOff: return .cpuOff
        case PSCI.cpuSuspend32, PSCI.cpuSuspend64: return ret(PSCI.success)
        case PSCI.features:
            let supported: Set<UInt64> = [PSCI.version, PSCI.cpuSuspend32, PSCI.cpuSuspend64, PSCI.cpuOff, PSCI.cpuOn32,
                                          PSCI.cpuOn64, PSCI.affinityInfo32, PSCI.affinityInfo64, PSCI.migrateInfoType,
                                          PSCI.systemOff, PSCI.systemReset, PSCI.features, PSCI.smcccVersion]
            return ret(supported.contains(cpu[1] & 0xffff_ffff) ? 0 : PSCI.notSupported)
        case PSCI.cpuOn32, PSCI.cpuOn64:
            let mask: UInt64 = fn == PSCI.cpuOn32 ? 0xffff_ffff : ~0
            guard let t = target(cpu[1] & mask) else { return ret(PSCI.invalidParameters) }
            if online(t) { return ret(PSCI.alreadyOn) }
            cpu[0] = 0
            return .cpuOn(target: t, entry: cpu[2] & mask, context: cpu[3] & mask, el: cpu.el)
        case PSCI.affinityInfo32, PSCI.affinityInfo64:
            let mask: UInt64 = fn == PSCI.affinityInfo32 ? 0xffff_ffff : ~0
            guard cpu[2] == 0, let t = target(cpu[1] & mask) else { return ret(PSCI.invalidParameters) }
            return ret(online(t) ? 0 : 1)
        default:
            return ret(PSCI.notSupported)
        }
    }

    enum Semihosting {
        static let writeC: UInt64 = 0x03, write0: UInt64 = 0x04, write: UInt64 = 0x05, readC: UInt64 = 0x07
        static let clock: UInt64 = 0x10, time: UInt64 = 0x11, errno: UInt64 = 0x13, exit: UInt64 = 0x18
        static let exitExtended: UInt64 = 0x20
        static let applicationExit: UInt64 = 0x20026
    }

    /// Serves an Arm semihosting call (operation in W0, parameter in X1).
    static func semihost(_ cpu: CPU, console: (UInt8) -> Void) -> FirmwareAction {
        let op = cpu[0] & 0xffff_ffff, param = cpu[1]
        func word(_ i: UInt64) -> UInt64? { cpu.debugRead(param &+ 8 * i, size: 8) }
        switch op {
        case Semihosting.writeC:
            if let c = cpu.debugRead(param, size: 1) { console(UInt8(c)) }
        case Semihosting.write0:
            var a = param
            while let c = cpu.debugRead(a, size: 1), c != 0, a &- param < 1 << 20 { console(UInt8(c)); a &+= 1 }
        case Semihosting.write:
            guard let fd = word(0), let buf = word(1), let len = word(2) else { cpu[0] = ~0; return .resume }
            if fd == 1 || fd == 2 {
                for i in 0..<min(len, 1 << 20) { if let c = cpu.debugRead(buf &+ i, size: 1) { console(UInt8(c)) } }
            }
            cpu[0] = 0
            return .resume
        case Semihosting.exit, Semihosting.exitExtended:
            // AArch64: X1 points at {reason, subcode}.
            let reason = word(0) ?? 0, code = word(1) ?? 1
            return .powerOff(status: reason == Semihosting.applicationExit ? Int32(truncatingIfNeeded: code) : 1)
        case Semihosting.clock:
            cpu[0] = cpu.st.pointee.icount / 1_000_000   // centiseconds at 100 M instructions per second
            return .resume
        case Semihosting.time, Semihosting.errno:
            cpu[0] = 0
            return .resume
        default:
            cpu[0] = ~0
            return .resume
        }
        cpu[0] = 0
        return .resume
    }
}
