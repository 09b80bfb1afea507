import Emu
import Devices

/// PSCI 1.1 for a domain's vCPUs (xen/arch/arm/vpsci.c), over HVC #0 or a trapped SMC.
extension HostedHypervisor {
    func psci(_ v: VCPU, _ c: CPU) {
        let fn = c[0] & 0xffff_ffff
        let d = v.domain
        func ret(_ r: Int64) { c[0] = UInt64(bitPattern: r) }
        func target(_ mpidr: UInt64) -> VCPU? {
            d.vcpus.first { $0.mpidr & 0xff_00ff_ffff == (mpidr | 0x8000_0000) & 0xff_00ff_ffff }
        }
        switch fn {
        case PSCI.version, PSCI.smcccVersion: ret(0x0001_0001)
        case PSCI.smcccArchFeatures: ret(PSCI.notSupported)
        case PSCI.migrateInfoType: ret(2)                       // no Trusted OS to migrate
        case PSCI.features:
            let known: Set<UInt64> = [PSCI.version, PSCI.cpuSuspend32, PSCI.cpuSuspend64, PSCI.cpuOff, PSCI.cpuOn32,
                                      PSCI.cpuOn64, PSCI.affinityInfo32, PSCI.affinityInfo64, PSCI.migrateInfoType,
                                      PSCI.systemOff, PSCI.systemReset, PSCI.features, PSCI.smcccVersion]
            ret(known.contains(c[1] & 0xffff_ffff) ? 0 : PSCI.notSupported)
        case PSCI.systemOff: shutdown(d, reason: 0)
        case PSCI.systemReset: shutdown(d, reason: 1)
        case PSCI.cpuOff:
            v.online = false
            sleep(v)
        case PSCI.cpuSuspend32, PSCI.cpuSuspend64:
            ret(PSCI.success)
            block(v)                                            // a standby state: like WFI
        case PSCI.cpuOn32, PSCI.cpuOn64:
            let mask: UInt64 = fn == PSCI.cpuOn32 ? 0xffff_ffff : ~0
            guard let t = target(c[1] & mask) else { return ret(PSCI.invalidParameters) }
            if t.online { return ret(PSCI.alreadyOn) }
            stopVirtualTimer(t)          // a timer left from before CPU_OFF is not the new context's
            t.context = VCPUContext(entry: c[2] & mask, x0: c[3] & mask)
            t.online = true
            ret(PSCI.success)
            wake(t)
        case PSCI.affinityInfo32, PSCI.affinityInfo64:
            let mask: UInt64 = fn == PSCI.affinityInfo32 ? 0xffff_ffff : ~0
            guard c[2] == 0, let t = target(c[1] & mask) else { return ret(PSCI.invalidParameters) }
            ret(t.online ? 0 : 1)
        default: ret(PSCI.notSupported)
        }
    }
}
