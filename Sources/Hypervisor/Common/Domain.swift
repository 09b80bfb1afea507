import Emu
import Devices

/// A guest domain: its memory (the stage-2 p2m), vCPUs, virtual devices, event
/// channels and grant table.
public final class Domain {
    public enum State: Equatable, Sendable {
        case running
        /// SCHEDOP_shutdown with a reason (xen/include/public/sched.h SHUTDOWN_*).
        case shutdown(reason: UInt32)
        /// Killed by the hypervisor for a fatal fault; the others keep running.
        case crashed(String)
    }

    public let id: Int
    public let name: String
    public let config: DomainConfig
    public internal(set) var state: State = .running
    public internal(set) var vcpus: [VCPU] = []
    let p2m: Stage2
    /// Pages left in its P2M pool (P2MPool).
    public var p2mPoolFreePages: Int { p2m.pool.freePages }
    let bus: Bus
    /// The machine memory behind guest RAM: (guest base, machine base, size).
    let ram: [(gpa: UInt64, pa: UInt64, size: UInt64)]
    let vgic: VGIC
    var vpl011: PL011? = nil
    /// CNTVOFF_EL2: the domain's virtual counter starts near 0 when it is created.
    var counterOffset: UInt64
    /// The shared_info page (machine address), once the guest maps it.
    var sharedInfo: UInt64? = nil
    let sharedInfoFrame: UInt64
    var events: EventChannels! = nil
    var grants: GrantTable! = nil
    /// Guest RAM pages mapped now, and the most it may have (its configured memory).
    var pages: UInt64 = 0
    var maxPages: UInt64 { config.memoryKiB / 4 }
    /// Machine memory given by populate_physmap, released with the domain.
    var extraFrames: [(UInt64, UInt64)] = []
    /// Its RAM pages given back by decrease_reservation, reused by populate_physmap.
    var freedFrames: [UInt64] = []
    /// HVMOP_set_param values (HVM_PARAM_*).
    var hvmParams: [UInt32: UInt64] = [:]
    /// vm_assist: the VMASST_TYPE_* bits the guest enabled.
    var vmAssist: UInt64 = 0
    /// Rate limits of what the domain makes the hypervisor print (GuestLog.swift), and
    /// the console_io line it is writing.
    var messageLimit = LogLimit.messages
    var consoleLimit = LogLimit.consoleLines
    var consoleLine: [UInt8] = []

    init(id: Int, config: DomainConfig, p2m: Stage2, bus: Bus, ram: [(gpa: UInt64, pa: UInt64, size: UInt64)],
         sharedInfoFrame: UInt64, counterOffset: UInt64) {
        self.id = id
        name = config.name
        self.config = config
        self.p2m = p2m
        self.bus = bus
        self.ram = ram
        self.sharedInfoFrame = sharedInfoFrame
        self.counterOffset = counterOffset
        vgic = VGIC(vcpus: config.vcpus)
        vcpus = (0..<config.vcpus).map { VCPU(id: $0, domain: self) }
    }

    /// Guest RAM size in bytes.
    public var memorySize: UInt64 { ram.reduce(0) { $0 + $1.size } }

    // MARK: Guest physical memory (through the p2m, never outside it)

    /// Copies `bytes` to guest physical `gpa`; false if any page is not mapped writable.
    @discardableResult
    public func write(_ bytes: [UInt8], at gpa: UInt64) -> Bool {
        bytes.withUnsafeBytes { write($0, at: gpa) }
    }

    /// Copies `bytes` to guest physical `gpa`; false if any page is not mapped writable.
    @discardableResult
    public func write(_ bytes: UnsafeRawBufferPointer, at gpa: UInt64) -> Bool {
        PagedCopy(bus: bus).write(bytes, at: gpa) { a in p2m.lookup(a).flatMap { $0.writable ? $0.pa : nil } }
    }

    /// Reads `count` bytes at guest physical `gpa`; nil if any page is not mapped.
    public func read(_ gpa: UInt64, count: Int) -> [UInt8]? {
        PagedCopy(bus: bus).read(gpa, count: count) { a in p2m.lookup(a)?.pa }
    }
}
