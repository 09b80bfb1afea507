import Emu

/// One virtual CPU of a domain. Its guest state lives in `context` while it is off
/// every pCPU and in the pCPU's registers while loaded there.
public final class VCPU {
    public let id: Int
    public unowned let domain: Domain
    /// Brought up (boot vCPU, or PSCI CPU_ON) and not taken down (CPU_OFF, VCPUOP_down).
    public internal(set) var online = false
    /// Waiting in WFI / SCHEDOP_block / SCHEDOP_poll for an interrupt or event.
    public internal(set) var blocked = false
    /// The pCPU it is loaded on, if any.
    public internal(set) var pcpu: Int? = nil
    /// Guest time it ran, in counter ticks (scheduler accounting, `--stats`).
    public internal(set) var runTicks: UInt64 = 0
    var context = VCPUContext()
    /// VCPUOP_register_vcpu_info: machine address of its vcpu_info in guest memory.
    var vcpuInfo: UInt64? = nil
    /// In SCHEDOP_poll: blocked until one of `pollPorts` is pending (with several or none
    /// listed, until any event of the domain, as Xen's poll_evtchn -1), an interrupt, or
    /// `pollDeadline` (machine counter ticks) passes.
    var polling = false
    var pollPorts: [UInt32] = []
    var pollDeadline: UInt64? = nil
    /// Its runstate, and where the guest wants it (VCPUOP_register_runstate_memory_area).
    var runstate = Runstate()
    var runstateArea: RunstateArea? = nil
    /// When the vCPU was last loaded (counter ticks), for accounting.
    var loadedAt: UInt64 = 0

    init(id: Int, domain: Domain) {
        self.id = id
        self.domain = domain
    }

    /// Whether the scheduler may run it.
    public var runnable: Bool { online && !blocked && domain.state == .running }

    /// The MPIDR the guest sees (VMPIDR_EL2), in Xen's layout (CPUAffinity), as the vGIC
    /// routes by.
    var mpidr: UInt64 { CPUAffinity.mpidr(ofCPU: id) }
}

extension HostedHypervisor {
    /// Guest time `v` has run, in counter ticks, with its current stint on a pCPU
    /// (`runTicks` counts up to its last deschedule).
    public func runTicks(_ v: VCPU) -> UInt64 {
        guard let p = v.pcpu else { return v.runTicks }
        return v.runTicks &+ (pcpus[p].now &- v.loadedAt)
    }
}
