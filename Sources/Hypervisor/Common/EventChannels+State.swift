import Emu

/// Snapshot state of a domain's event channels: each port's binding and vCPU, the VIRQ
/// bindings. Pending and mask bits live in shared_info and vcpu_info (guest memory).
extension EventChannels {
    func save(_ w: inout StateWriter) {
        w.int(ports.count)
        for p in ports {
            switch p.binding {
            case .free: w.u8(0)
            case .unbound(let remote): w.u8(1); w.int(remote)
            case .interdomain(let remote, let port): w.u8(2); w.int(remote); w.u32(port)
            case .virq(let n): w.u8(3); w.u32(n)
            case .ipi: w.u8(4)
            }
            w.int(p.vcpu)
        }
        w.int(virqs.count)
        for v in virqs { w.u64s(v.map(UInt64.init)) }
        w.int(lowestFree)
    }

    func restore(_ r: inout StateReader) throws {
        let vcpus = virqs.count, E = XenABI.Evtchn.self
        let n = try r.count("event-channel ports", max: Int(E.ports))
        guard n >= 1 else { throw StateError("hypervisor state: an event-channel table without port 0") }
        var restored: [Port] = []
        for i in 0..<n {
            let binding: Binding
            switch try r.u8() {
            case 0: binding = .free
            case 1: binding = .unbound(remote: try r.int())
            case 2: binding = .interdomain(remote: try r.int(), port: try r.u32())
            case 3:
                let virq = try r.u32()
                guard virq < E.virqCount else { throw StateError("hypervisor state: port \(i) is bound to VIRQ \(virq)") }
                binding = .virq(virq)
            case 4: binding = .ipi
            case let k: throw StateError("hypervisor state: port \(i) has unknown binding kind \(k)")
            }
            restored.append(Port(binding: binding, vcpu: try r.index("port \(i)'s vCPU", below: vcpus)))
        }
        guard try r.int() == vcpus else { throw StateError("hypervisor state: VIRQ tables for another number of vCPUs") }
        var table: [[UInt32]] = []
        for v in 0..<vcpus {
            let ports = try r.u64s("VIRQ bindings of vCPU \(v)", exactly: Int(E.virqCount))
            guard ports.allSatisfy({ $0 < UInt64(n) }) else { throw StateError("hypervisor state: a VIRQ of vCPU \(v) is bound to a port that does not exist") }
            table.append(ports.map { UInt32($0) })
        }
        let low = try r.int()
        guard low >= 1 && low <= n else { throw StateError("hypervisor state: lowest free port \(low) out of range") }
        ports = restored
        virqs = table
        lowestFree = low
    }
}
