import Emu
import Devices

/// Creating domains (Xen's domain_create + the dom0less construct_domU): memory from the
/// machine, the stage 2 that maps it at the Xen guest layout, virtual devices, event
/// channels and grant table. The machine then loads the images and the device tree into
/// the domain's memory (`Domain.write`) and starts its first vCPU.
public struct DomainBuildError: Error, CustomStringConvertible {
    public let description: String
}

extension HostedHypervisor {
    @discardableResult
    public func createDomain(_ cfg: DomainConfig) throws -> Domain {
        func fail(_ s: String) -> DomainBuildError { DomainBuildError(description: "domain \(cfg.name): \(s)") }
        guard cfg.vcpus >= 1 && cfg.vcpus <= XenGuestLayout.maxVCPUs else { throw fail("vcpus must be 1...\(XenGuestLayout.maxVCPUs)") }
        let bytes = cfg.memoryKiB * 1024
        guard bytes >= 2 << 20, bytes % FrameAllocator.blockSize == 0 else {
            throw fail("memory must be a multiple of 2 MiB and at least 2 MiB")
        }
        guard bytes <= frames.freeBytes else {
            throw fail("needs \(bytes >> 20) MiB of RAM, the machine has \(frames.freeBytes >> 20) MiB free (raise --ram)")
        }
        let vmid = nextVMID
        guard let p2m = Stage2(bus: bus, frames: frames, vmid: vmid),
              let shared = frames.allocate(FrameAllocator.pageSize) else { throw fail("out of machine memory") }
        nextVMID += 1
        var ram: [(gpa: UInt64, pa: UInt64, size: UInt64)] = []
        for bank in XenGuestLayout.ramBanks(bytes: bytes) {
            // In 2 MiB-aligned pieces, so the stage 2 uses block mappings.
            var off: UInt64 = 0
            while off < bank.size {
                var chunk = bank.size - off
                var pa: UInt64? = nil
                while chunk >= FrameAllocator.blockSize {
                    if let a = frames.allocate(chunk, alignment: FrameAllocator.blockSize) { pa = a; break }
                    chunk = max(chunk / 2 & ~(FrameAllocator.blockSize - 1), FrameAllocator.blockSize)
                    if chunk == FrameAllocator.blockSize, frames.allocate(chunk, alignment: chunk) == nil { break }
                }
                guard let base = pa else { throw fail("out of machine memory") }
                guard p2m.map(ipa: bank.base + off, pa: base, size: chunk, kind: .ram) else { throw fail("out of machine memory for its stage 2") }
                ram.append((bank.base + off, base, chunk))
                off += chunk
            }
        }
        let now = pcpus[0].now
        let d = Domain(id: domains.count + 1, config: cfg, p2m: p2m, bus: bus, ram: ram,
                       sharedInfoFrame: shared, counterOffset: now)
        d.pages = bytes / 0x1000
        d.events = EventChannels(vcpus: cfg.vcpus)
        d.grants = GrantTable(frames: frames)
        _ = d.grants.frame(0)
        d.vgic.onPending = { [unowned self, unowned d] i in self.interruptArrived(d.vcpus[i]) }
        if cfg.vpl011 {
            let uart = PL011(sbsa: true) { [unowned self, unowned d] byte in self.consoleOutput(d, [byte]) }
            uart.irq = { [unowned d] high in d.vgic.setLevel(XenGuestLayout.vpl011INTID, high) }
            d.vpl011 = uart
        }
        domains.append(d)
        return d
    }

    /// Starts vCPU 0 of `d` at `entry` with x0 = `x0` (the device tree, for Linux).
    public func start(_ d: Domain, entry: UInt64, x0: UInt64) {
        let v = d.vcpus[0]
        v.context = VCPUContext(entry: entry, x0: x0)
        v.online = true
    }
}
