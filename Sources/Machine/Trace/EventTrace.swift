import Foundation
import Emu
import Hypervisor

/// Event classes `--trace` can follow besides instructions.
public enum TraceClass: String, CaseIterable, Sendable {
    case insn, exc, irq, mmio
    /// With --hypervisor: hypercalls, and which vCPU runs on which pCPU.
    case hvc, sched
}

/// Follows exceptions, interrupts and device accesses of a machine, and the hosted
/// hypervisor's hypercalls and scheduling, as text lines or as a Chrome trace-event /
/// Perfetto JSON timeline (virtual time in µs): one track per CPU, where an interrupt is a
/// slice from its acknowledge to its end of interrupt and a vCPU's time on the pCPU is a
/// slice; and one process per domain with a track per vCPU (its runs and hypercalls).
public final class EventTrace {
    private let machine: Machine
    private var json: [String] = []
    private let text: ((String) -> Void)?
    public private(set) var count = 0

    /// Events go to `text` (one line each) when it is given, else into the JSON timeline.
    public init(machine: Machine, classes: Set<TraceClass>, text: ((String) -> Void)? = nil) {
        self.machine = machine
        self.text = text
        for c in machine.cpus {
            json.append(#"{"name":"thread_name","ph":"M","pid":0,"tid":\#(c.index),"args":{"name":"cpu\#(c.index)"}}"#)
        }
        json.append(#"{"name":"process_name","ph":"M","pid":0,"args":{"name":"hvsim virt board"}}"#)
        if classes.contains(.exc) {
            for c in machine.cpus {
                c.onException = { [unowned self] cpu, kind, esr, from, to, pc in
                    let ec = esr >> 26
                    let name = kind == .sync ? "sync EC 0x\(String(ec, radix: 16))" : "\(kind)"
                    emit(cpu: cpu.index, cat: "exc", name: "\(name) EL\(from)->EL\(to)",
                         args: #""esr":"\#(hex(esr))","pc":"\#(hex(pc))""#)
                }
            }
        }
        if classes.contains(.irq) {
            machine.gic.onInterrupt = { [unowned self] cpu, intid, ack in
                emit(cpu: cpu, cat: "irq", name: "irq \(intid)", phase: ack ? "B" : "E", args: #""intid":\#(intid)"#)
            }
        }
        if let hv = machine.hypervisor {
            for d in hv.domains {
                json.append(#"{"name":"process_name","ph":"M","pid":\#(1000 + d.id),"args":{"name":"domain \#(d.id) \#(d.name)"}}"#)
                for v in d.vcpus {
                    json.append(#"{"name":"thread_name","ph":"M","pid":\#(1000 + d.id),"tid":\#(v.id),"args":{"name":"vcpu\#(v.id)"}}"#)
                }
            }
            if classes.contains(.sched) {
                // What runs already (the first decisions are made at boot), then each switch.
                for p in machine.cpus.indices { if let t = hv.loadedVCPU(pcpu: p) { vcpuRuns(t, on: p, "B") } }
                hv.onSwitch = { [unowned self] p, from, to in
                    if let f = from { vcpuRuns(f, on: p, "E") }
                    if let t = to { vcpuRuns(t, on: p, "B") }
                }
            }
            if classes.contains(.hvc) {
                hv.onHypercall = { [unowned self] p, v, op, arg, result in
                    emit(cpu: v.id, pid: 1000 + v.domain.id, cat: "hvc", name: "hypercall \(op)",
                         args: #""pcpu":\#(p),"arg0":"\#(hex(arg))","result":\#(Int64(bitPattern: result))"#)
                }
            }
        }
        if classes.contains(.mmio) {
            machine.bus.onMMIO = { [unowned self] region, pa, size, value, write, cpu in
                emit(cpu: cpu, cat: "mmio", name: "\(region) \(write ? "write" : "read")",
                     args: #""pa":"\#(hex(pa))","size":\#(size),"value":"\#(hex(value))""#)
            }
        }
    }

    /// A vCPU's time on a pCPU begins ("B") or ends ("E"): on the pCPU's track and on the
    /// vCPU's track in its domain's process.
    private func vcpuRuns(_ v: VCPU, on p: Int, _ phase: String) {
        emit(cpu: p, cat: "sched", name: "d\(v.domain.id)v\(v.id)", phase: phase, args: #""domain":"\#(v.domain.name)""#)
        emit(cpu: v.id, pid: 1000 + v.domain.id, cat: "sched", name: "on pcpu\(p)", phase: phase, args: #""pcpu":\#(p)"#)
    }

    private func emit(cpu: Int, pid: Int = 0, cat: String, name: String, phase: String = "i", args: String) {
        count += 1
        let ns = machine.nanoseconds(machine.currentTime)
        if let t = text {
            let mark = phase == "B" ? " begin" : phase == "E" ? " end" : ""
            let who = pid == 0 ? "cpu\(cpu)" : "d\(pid - 1000)v\(cpu)"
            t("[\(ns) ns] \(who) \(cat) \(name)\(mark) {\(args)}")
            return
        }
        let ts = String(format: "%.3f", Double(ns) / 1000)
        let scope = phase == "i" ? #","s":"t""# : ""
        json.append(#"{"name":"\#(name)","cat":"\#(cat)","ph":"\#(phase)"\#(scope),"ts":\#(ts),"pid":\#(pid),"tid":\#(cpu),"args":{\#(args)}}"#)
    }

    /// The timeline as Chrome trace-event JSON.
    public func timeline() -> String {
        "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n" + json.joined(separator: ",\n") + "\n]}\n"
    }
}
