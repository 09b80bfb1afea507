import Emu

/// Snapshot state of the hosted hypervisor: the machine memory it has handed out, each
/// domain (Domain+State.swift), each pCPU's loaded vCPU, slice and pending vCPU timers, the
/// console input focus, its log, and the scheduler.
///
/// A restore goes into a hypervisor that booted the same configuration on a machine whose
/// CPUs, devices and RAM were just restored: the objects stay (closures that point at them,
/// such as the vpl011 console output and the vGIC's wake-ups, keep working) and their state
/// is overwritten. Nothing here caches host pointers into guest memory: shared_info,
/// vcpu_info and grant entries are looked up on each use.
extension HostedHypervisor: StateSaving {
    public func save(_ w: inout StateWriter) {
        w.section("hypervisor/1")
        w.int(domains.count)
        for d in domains { d.save(&w) }
        w.int(frames.free.count)
        for f in frames.free { w.u64(f.lowerBound); w.u64(f.upperBound) }
        w.int(pcpus.count)
        for p in pcpus {
            w.vcpuID(p.current.map(id))
            w.bool(p.needsSchedule)
            w.u64(p.sliceEnd)
            w.int(p.timers.count)
            for t in p.timers { w.u64(t.deadline); w.vcpuID(id(t.vcpu)) }
        }
        w.int(consoleFocus); w.int(escapeCount)
        w.u64(UInt64(nextVMID)); w.int(handling); w.u64(lastSchedulerTime)
        w.int(log.count)
        for line in log { w.string(line) }
        w.string(scheduler.name)
        scheduler.save(&w)
    }

    public func restore(_ r: inout StateReader) throws {
        try r.section("hypervisor/1")
        let n = try r.int()
        guard n == domains.count else {
            throw StateError("hypervisor state: \(n) domains, where this configuration has \(domains.count)")
        }
        for d in domains { try d.restore(&r, pcpus: pcpus.count) }
        var free: [Range<UInt64>] = []
        for _ in 0..<(try r.count("free machine ranges", max: 1 << 20)) {
            let lo = try r.u64(), hi = try r.u64()
            guard lo < hi, lo & 0xfff == 0, hi & 0xfff == 0, lo >= (free.last?.upperBound ?? 0) else {
                throw StateError("hypervisor state: free machine memory \(hex(lo))..<\(hex(hi)) is not an ordered page range")
            }
            free.append(lo..<hi)
        }
        guard try r.int() == pcpus.count else { throw StateError("hypervisor state: another number of pCPUs") }
        var loaded: [VCPU?] = [], needs: [Bool] = [], slices: [UInt64] = [], timers: [[(deadline: UInt64, vcpu: VCPU)]] = []
        for p in pcpus.indices {
            loaded.append(try r.optionalVCPUID().map { try existing($0) })
            needs.append(try r.bool())
            slices.append(try r.u64())
            timers.append(try (0..<(try r.count("vCPU timers on pCPU \(p)", max: 1 << 16))).map { _ in
                (deadline: try r.u64(), vcpu: try existing(try r.vcpuID()))
            })
        }
        // A loaded vCPU and the pCPU it is loaded on name each other.
        for d in domains {
            for v in d.vcpus where v.pcpu.map({ loaded[$0] !== v }) ?? false {
                throw StateError("hypervisor state: d\(d.id)v\(v.id) is on pCPU \(v.pcpu!), which runs another vCPU")
            }
        }
        for (p, v) in loaded.enumerated() where v != nil && v!.pcpu != p {
            throw StateError("hypervisor state: pCPU \(p) runs d\(v!.domain.id)v\(v!.id), which is not on it")
        }
        // A vCPU's virtual timer is the CPU's while it is loaded, else kept by one pCPU.
        var kept = Set<ObjectIdentifier>()
        for (p, list) in timers.enumerated() {
            for t in list where t.vcpu.pcpu != nil || !kept.insert(ObjectIdentifier(t.vcpu)).inserted {
                throw StateError("hypervisor state: pCPU \(p) keeps the timer of d\(t.vcpu.domain.id)v\(t.vcpu.id), "
                                 + (t.vcpu.pcpu != nil ? "which is loaded" : "which another pCPU keeps too"))
            }
        }
        let focus = try r.int(), escapes = try r.int(), vmid = try r.u64(), at = try r.int(), time = try r.u64()
        guard focus >= 0, (0...2).contains(escapes), vmid < 1 << 16, at >= 0 && at < pcpus.count else {
            throw StateError("hypervisor state: console focus \(focus), escapes \(escapes), VMID \(vmid) or pCPU \(at) out of range")
        }
        let lines = try (0..<(try r.count("log lines", max: 1 << 20))).map { _ in try r.string() }
        let kind = try r.string()
        guard kind == scheduler.name else {
            throw StateError("hypervisor state: saved with the \(kind.prefix(20)) scheduler; this configuration uses \(scheduler.name)")
        }
        try scheduler.restore(&r)

        frames.free = free
        for (i, p) in pcpus.enumerated() {
            (p.current, p.needsSchedule, p.sliceEnd, p.timers) = (loaded[i], needs[i], slices[i], timers[i])
        }
        (consoleFocus, escapeCount, nextVMID, handling, lastSchedulerTime) = (focus, escapes, UInt16(vmid), at, time)
        inside = false
        log = lines
        pollTimeouts = domains.flatMap(\.vcpus).filter { $0.pollDeadline != nil }
    }

    private func id(_ v: VCPU) -> VCPUID { VCPUID(domain: v.domain.id, vcpu: v.id) }

    private func existing(_ id: VCPUID) throws -> VCPU {
        guard let v = vcpu(id) else { throw StateError("hypervisor state: names \(id), which does not exist") }
        return v
    }
}
