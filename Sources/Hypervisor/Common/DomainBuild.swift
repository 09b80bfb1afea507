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
        let poolBytes = cfg.p2mPoolBytes
        guard bytes + poolBytes <= frames.freeBytes else {
            throw fail("needs \(bytes >> 20) MiB of RAM and a \(poolBytes >> 20) MiB P2M pool, the machine has \(frames.freeBytes >> 20) MiB free (raise --ram)")
        }
        // RAM first, in 2 MiB-aligned pieces (so the stage 2 uses block mappings), then
        // the pool, which the stage 2 and every frame the hypervisor keeps for the domain
        // come from.
        var pieces: [(gpa: UInt64, pa: UInt64, size: UInt64)] = []
        for bank in XenGuestLayout.ramBanks(bytes: bytes) {
            var off: UInt64 = 0
            while off < bank.size {
                var chunk = bank.size - off
                var pa: UInt64? = nil
                while true {
                    if let a = frames.allocate(chunk, alignment: FrameAllocator.blockSize) { pa = a; break }
                    if chunk == FrameAllocator.blockSize { break }
                    chunk = max(chunk / 2 & ~(FrameAllocator.blockSize - 1), FrameAllocator.blockSize)
                }
                guard let base = pa else { throw fail("out of machine memory") }
                pieces.append((bank.base + off, base, chunk))
                off += chunk
            }
        }
        let vmid = nextVMID
        guard let pool = P2MPool(frames: frames, bytes: poolBytes) else { throw fail("out of machine memory for its P2M pool") }
        guard let p2m = Stage2(bus: bus, pool: pool, vmid: vmid), let shared = pool.allocate(),
              pieces.allSatisfy({ p2m.map(ipa: $0.gpa, pa: $0.pa, size: $0.size, kind: .ram) }) else {
            throw fail("its \(poolBytes >> 20) MiB P2M pool cannot hold its stage 2 (raise xen,domain-p2m-mem-mb or shadow_memory)")
        }
        nextVMID += 1
        let now = pcpus[0].now
        let d = Domain(id: domains.count + 1, config: cfg, p2m: p2m, bus: bus, ram: pieces,
                       sharedInfoFrame: shared, counterOffset: now)
        d.pages = bytes / 0x1000
        d.events = EventChannels(vcpus: cfg.vcpus)
        d.grants = GrantTable(pool: pool)
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
