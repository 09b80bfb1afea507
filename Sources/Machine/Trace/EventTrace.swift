import Foundation
import Emu

/// Event classes `--trace` can follow besides instructions.
public enum TraceClass: String, CaseIterable, Sendable {
    case insn, exc, irq, mmio
}

/// Follows exceptions, interrupts and device accesses of a machine, as text lines or as a
/// Chrome trace-event / Perfetto JSON timeline (one track per CPU, virtual time in µs; an
/// interrupt is a slice from its acknowledge to its end of interrupt).
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
        if classes.contains(.mmio) {
            machine.bus.onMMIO = { [unowned self] region, pa, size, value, write, cpu in
                emit(cpu: cpu, cat: "mmio", name: "\(region) \(write ? "write" : "read")",
                     args: #""pa":"\#(hex(pa))","size":\#(size),"value":"\#(hex(value))""#)
            }
        }
    }

    private func emit(cpu: Int, cat: String, name: String, phase: String = "i", args: String) {
        count += 1
        let ns = machine.nanoseconds(machine.currentTime)
        if let t = text {
            let mark = phase == "B" ? " begin" : phase == "E" ? " end" : ""
            t("[\(ns) ns] cpu\(cpu) \(cat) \(name)\(mark) {\(args)}")
            return
        }
        let ts = String(format: "%.3f", Double(ns) / 1000)
        let scope = phase == "i" ? #","s":"t""# : ""
        json.append(#"{"name":"\#(name)","cat":"\#(cat)","ph":"\#(phase)"\#(scope),"ts":\#(ts),"pid":0,"tid":\#(cpu),"args":{\#(args)}}"#)
    }

    /// The timeline as Chrome trace-event JSON.
    public func timeline() -> String {
        "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n" + json.joined(separator: ",\n") + "\n]}\n"
    }
}
