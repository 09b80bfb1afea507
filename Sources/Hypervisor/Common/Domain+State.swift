import Emu

/// Snapshot state of a domain and its vCPUs. A restore goes into the domain the normal boot
/// path built from the same configuration: where its memory is (RAM, shared_info, stage-2
/// root) must match, and what changes as it runs is overwritten.
extension Domain {
    func save(_ w: inout StateWriter) {
        w.section("domain/3")
        w.int(id); w.string(name)
        switch state {
        case .running: w.u8(0)
        case .shutdown(let reason): w.u8(1); w.u32(reason)
        case .crashed(let why): w.u8(2); w.string(why)
        }
        w.int(ram.count)
        for b in ram { w.u64(b.gpa); w.u64(b.pa); w.u64(b.size) }
        w.u64(sharedInfoFrame)
        w.u64(counterOffset)
        w.optional(sharedInfo)
        w.u64(pages)
        w.int(extraFrames.count)
        for (base, size) in extraFrames { w.u64(base); w.u64(size) }
        w.u64s(freedFrames)
        w.int(hvmParams.count)
        for k in hvmParams.keys.sorted() { w.u32(k); w.u64(hvmParams[k]!) }
        w.u64(vmAssist)
        for l in [messageLimit, consoleLimit] { w.u64(l.credit); w.u64(l.last); w.u64(l.missed) }
        w.u64s(consoleLine.map(UInt64.init))
        p2m.pool.save(&w)
        p2m.save(&w)
        events.save(&w)
        grants.save(&w)
        w.bool(vpl011 != nil)
        vpl011?.save(&w)
        vgic.save(&w)
        w.int(vcpus.count)
        for v in vcpus { v.save(&w) }
    }

    func restore(_ r: inout StateReader, pcpus: Int) throws {
        try r.section("domain/3")
        let savedID = try r.int(), savedName = try r.string()
        guard savedID == id, savedName == name else {
            throw StateError("hypervisor state: domain \(savedID) (\(savedName.prefix(40))) where this configuration has domain \(id) (\(name))")
        }
        func fail(_ s: String) -> StateError { StateError("hypervisor state: domain \(id) (\(name)): \(s)") }
        let newState: State
        switch try r.u8() {
        case 0: newState = .running
        case 1: newState = .shutdown(reason: try r.u32())
        case 2: newState = .crashed(try r.string())
        case let k: throw fail("unknown state \(k)")
        }
        let banks = try r.count("RAM pieces", max: 1 << 16)
        var layout: [(gpa: UInt64, pa: UInt64, size: UInt64)] = []
        for _ in 0..<banks { layout.append((try r.u64(), try r.u64(), try r.u64())) }
        guard layout.count == ram.count, zip(layout, ram).allSatisfy({ $0.0 == $0.1 }),
              try r.u64() == sharedInfoFrame else {
            throw fail("its memory was elsewhere in the machine (built from another configuration?)")
        }
        let offset = try r.u64()
        let shared = try r.optionalU64()
        if let s = shared, s & 0xfff != 0 || bus.host(s) == nil { throw fail("shared_info at \(hex(s)) is not a page of RAM") }
        let pageCount = try r.u64()
        var extra: [(UInt64, UInt64)] = []
        for _ in 0..<(try r.count("populated ranges", max: 1 << 24)) { extra.append((try r.u64(), try r.u64())) }
        let freed = try r.u64s("freed pages", max: 1 << 24)
        var params: [UInt32: UInt64] = [:]
        for _ in 0..<(try r.count("HVM params", max: 1 << 16)) { params[try r.u32()] = try r.u64() }
        let assists = try r.u64()
        var limits = [messageLimit, consoleLimit]
        for i in limits.indices {
            (limits[i].credit, limits[i].last, limits[i].missed) = (try r.u64(), try r.u64(), try r.u64())
            guard limits[i].credit <= limits[i].interval * limits[i].burst else { throw fail("log rate limit credit out of range") }
        }
        let line = try r.u64s("console line", max: GuestLog.lineLength)
        guard line.count <= GuestLog.lineLength else { throw fail("console line too long") }
        try p2m.pool.restore(&r)
        try p2m.restore(&r)
        try events.restore(&r)
        try grants.restore(&r, bus: bus)
        guard try r.bool() == (vpl011 != nil) else { throw fail("the snapshot's domain has \(vpl011 == nil ? "a" : "no") vpl011") }
        try vgic.quietly { try vpl011?.restore(&r) }
        try vgic.restore(&r)
        guard try r.int() == vcpus.count else { throw fail("another number of vCPUs") }
        for v in vcpus { try v.restore(&r, pcpus: pcpus) }
        state = newState
        counterOffset = offset
        sharedInfo = shared
        pages = pageCount
        extraFrames = extra
        freedFrames = freed
        hvmParams = params
        vmAssist = assists
        (messageLimit, consoleLimit) = (limits[0], limits[1])
        consoleLine = line.map { UInt8(truncatingIfNeeded: $0) }
    }
}

extension VCPU {
    func save(_ w: inout StateWriter) {
        w.bool(online); w.bool(blocked)
        w.optional(pcpu)
        w.u64(runTicks)
        context.save(&w)
        w.optional(vcpuInfo)
        w.bool(polling)
        w.u64s(pollPorts.map(UInt64.init))
        w.optional(pollDeadline)
        w.u64(loadedAt)
        w.u32(runstate.state.rawValue); w.u64(runstate.entryTime); w.u64s(runstate.time)
        w.optional(runstateArea?.va)
        w.u64s(runstateArea?.ipas ?? [])
    }

    func restore(_ r: inout StateReader, pcpus: Int) throws {
        let on = try r.bool(), bl = try r.bool()
        let p = try r.optionalIndex("d\(domain.id)v\(id)'s pCPU", below: pcpus)
        let ticks = try r.u64()
        let ctx = try VCPUContext(from: &r)
        let info = try r.optionalU64()
        if let a = info, domain.bus.host(a) == nil || a % 8 != 0 || a & 0xfff > 0x1000 - UInt64(XenABI.Layout.vcpuInfoSize) {
            throw StateError("hypervisor state: d\(domain.id)v\(id)'s vcpu_info \(hex(a)) is not an aligned place in RAM")
        }
        let polls = try r.bool()
        let ports = try r.u64s("polled ports", max: 128)
        guard ports.count <= 128, ports.allSatisfy({ $0 < UInt64(domain.events.ports.count) }) else {
            throw StateError("hypervisor state: d\(domain.id)v\(id) polls ports that do not exist")
        }
        let deadline = try r.optionalU64()
        let loaded = try r.u64()
        guard let rs = Runstate.State(rawValue: try r.u32()) else { throw StateError("hypervisor state: d\(domain.id)v\(id)'s runstate is unknown") }
        let entry = try r.u64(), times = try r.u64s("runstate times", max: 4)
        let areaVA = try r.optionalU64(), areaIPAs = try r.u64s("runstate area pages", max: 2)
        guard times.count == 4 else { throw StateError("hypervisor state: d\(domain.id)v\(id) has \(times.count) runstate times") }
        (online, blocked, pcpu, runTicks, context) = (on, bl, p, ticks, ctx)
        (vcpuInfo, polling, pollPorts, pollDeadline, loadedAt) = (info, polls, ports.map { UInt32($0) }, deadline, loaded)
        runstate = Runstate(state: rs, entryTime: entry, time: times)
        runstateArea = areaVA.map { RunstateArea(va: $0, ipas: areaIPAs) }
    }
}
