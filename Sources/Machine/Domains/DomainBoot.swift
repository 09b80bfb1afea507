import Emu
import Devices
import Hypervisor

/// Starting the hosted hypervisor on the board: its domains are created, their images
/// loaded where Xen's dom0less builder puts them (kernel at RAM base + text offset, the
/// initrd and then the device tree above it), and every pCPU enters the hypervisor.
extension Machine {
    public func bootHypervisor(_ hc: HypervisorConfig) throws {
        guard hc.pcpus == cpus.count else {
            throw LoadError("the hypervisor configuration names \(hc.pcpus) pCPUs; the machine has \(cpus.count) (--cpus)")
        }
        guard config.gicVersion == 3 else { throw LoadError("the hosted hypervisor needs GICv3 (--gic 3)") }
        guard !hc.domains.isEmpty else { throw LoadError("the hypervisor configuration has no domains") }
        var names = Set<String>()
        for d in hc.domains where !names.insert(d.name).inserted { throw LoadError("two domains are named \(d.name)") }
        // Machine memory for the domains: all of RAM, less what boot modules occupy.
        let ramEnd = VirtBoard.ram.base + config.ramSize
        var free: [Range<UInt64>] = [VirtBoard.ram.base..<ramEnd]
        for d in hc.domains {
            for case .memory(let a, let n)? in [d.kernel, d.ramdisk] {
                guard a >= VirtBoard.ram.base, a + n <= ramEnd else {
                    throw LoadError("domain \(d.name): module at \(hex(a)) (\(n) bytes) is outside RAM")
                }
                free = free.flatMap { r -> [Range<UInt64>] in
                    let lo = a & ~0xfff, hi = (a + n + 0xfff) & ~0xfff
                    guard lo < r.upperBound && hi > r.lowerBound else { return [r] }
                    return [r.lowerBound..<max(lo, r.lowerBound), min(hi, r.upperBound)..<r.upperBound].filter { !$0.isEmpty }
                }
            }
        }
        let hv = HostedHypervisor(bus: bus, cpus: cpus, config: hc, freeRAM: free,
                                  gicDistributor: VirtBoard.gicDistributor.base,
                                  gicRedistributors: VirtBoard.gicRedistributors.base,
                                  redistributorStride: VirtBoard.gicRedistributorStride,
                                  ticksPerSecond: config.counterFrequency)
        hv.consoleOutput = { [unowned self] d, bytes in
            // What a domain prints reaches replay fingerprints; the hypervisor's own lines do
            // not (some depend on the host, such as the console-input notice on a terminal).
            if let d { for b in bytes { bus.digestIO(UInt64(d.id), 1, UInt64(b), write: true) } }
            domainConsoles.write(d, bytes)
        }
        domainConsoles.output = { [unowned self] b in self.console(b) }
        domainConsoles.focused = { [unowned self] in self.hypervisor?.focusedDomain?.id }
        for c in cpus { c.semihosting = false; c.conduit = .smc }
        for dc in hc.domains {
            let d = try hv.createDomain(dc)
            try domainConsoles.open(d)
            try load(d, dc, hv)
        }
        hypervisor = hv
        hv.start()
        // start() reset the CPUs; CNTFRQ_EL0 holds the counter's frequency as firmware set it
        // (Arm ARM D11.1.2), and a domU reads it at EL1 (it read 0).
        for c in cpus { c.st.pointee.cntfrq = config.counterFrequency }
        for i in cpus.indices { state[i] = hv.boot(pcpu: i) == .run ? .running : .hypervisorIdle }
    }

    private func image(_ s: ImageSource) throws -> [UInt8] {
        switch s {
        case .file(let path): return try Loader.readFile(path)
        case .memory(let a, let n):
            guard let b = bus.bank(a), a + n <= b.base + b.size, n <= 1 << 31 else {
                throw LoadError("module at \(hex(a)) (\(n) bytes) is outside RAM")
            }
            return [UInt8](UnsafeRawBufferPointer(start: b.host + Int(a - b.base), count: Int(n)))
        }
    }

    /// Loads kernel, initrd and device tree into the domain and starts its vCPU 0.
    private func load(_ d: Domain, _ dc: DomainConfig, _ hv: HostedHypervisor) throws {
        let base = XenGuestLayout.ram0Base
        let size = min(d.memorySize, XenGuestLayout.ram0Size)
        // Stage the kernel in a scratch bus shaped like the domain's RAM, with the same
        // loaders the board uses, then copy what was loaded into the domain.
        let scratch = Bus()
        let bank = try scratch.addRAM(base: base, size: size)
        let name: String
        if case .file(let p) = dc.kernel { name = p } else { name = "domain \(dc.name) kernel module" }
        let k = try Loader.load(try image(dc.kernel), name: name, into: scratch, ramBase: base, ramSize: size)
        guard k.lowest >= base, k.highest <= base + size else {
            throw LoadError("domain \(dc.name): the kernel is linked outside the domain's RAM (\(hex(k.lowest))...)")
        }
        d.write(UnsafeRawBufferPointer(start: bank.host + Int(k.lowest - base), count: Int(k.highest - k.lowest)), at: k.lowest)

        var initrd: Range<UInt64>? = nil
        var next = (k.highest + 0xfff) & ~0xfff
        if let r = dc.ramdisk {
            let data = try image(r)
            let start = max((base + min(size / 2, 128 << 20) + 0xfff) & ~0xfff, next)
            guard start + UInt64(data.count) <= base + size else {
                throw LoadError("domain \(dc.name): the ramdisk (\(data.count) bytes) does not fit in its memory")
            }
            d.write(data, at: start)
            initrd = start..<(start + UInt64(data.count))
            next = start + UInt64(data.count)
        }
        let dtb = GuestDeviceTree.build(d, bootargs: dc.bootargs ?? "", initrd: initrd,
                                        counterFrequency: config.counterFrequency)
        let dtbAt = (next + (2 << 20) - 1) & ~((2 << 20) - 1)
        guard dtbAt + UInt64(dtb.count) <= base + size else {
            throw LoadError("domain \(dc.name): the device tree does not fit in its memory after the kernel and ramdisk")
        }
        d.write(dtb, at: dtbAt)
        hv.start(d, entry: k.entry, x0: dtbAt)
    }
}
