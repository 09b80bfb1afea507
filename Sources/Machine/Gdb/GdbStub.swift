import Emu

// The gdb remote protocol's commands ("Packets" in gdb's manual, appendix E), answered
// for a `Machine`: one gdb thread per CPU (thread id = CPU index + 1), registers and memory
// of the selected thread through its current translation, host-side breakpoints (memory
// is never patched) and watchpoints, stepping and continuing, and reverse stepping and
// continuing through `GdbHistory`. All-stop mode: while one CPU is stopped, all are.
// `monitor CMD` in gdb (qRcmd) runs CMD in the `Monitor` for the selected thread's CPU.

public final class GdbStub {
    public let machine: Machine
    let history: GdbHistory
    /// Selected threads, as CPU indices: `Hg` (registers, memory) and `Hc` (step).
    var gThread = 0, cThread = 0
    var breakpoints: Set<UInt64> = []
    var watchpoints: [Watchpoint] = []
    /// The last stop reply, for `?`; the CPU it happened on; whether at a breakpoint.
    var lastStop = "T05thread:1;"
    var stopCPU = 0
    var stoppedAtBreakpoint = false
    /// Set when the guest powered off or reset: nothing more can run.
    public internal(set) var exited: StopReason? = nil
    /// Whether gdb asked to end (`k`) or left (`D`).
    public internal(set) var killed = false, detached = false
    /// gdb understands `swbreak` stop reasons (it said so in qSupported).
    var swbreak = false
    /// Checked while the machine runs: true when gdb sent an interrupt (Ctrl-C).
    public var interrupted: () -> Bool = { false }
    /// Messages for the user (the console of hvsim, not gdb's).
    var note: (String) -> Void = { _ in }
    /// Runs gdb's `monitor` commands; the hvsim command gives the one the console uses.
    public var monitor: Monitor
    /// Console output packets (`O` + hex) that go before the next reply (qRcmd's output).
    private var output: [String] = []

    /// `interval`: instructions between reverse-execution checkpoints.
    public init(machine: Machine, checkpointInterval: UInt64 = 20_000_000) {
        self.machine = machine
        monitor = Monitor(machine: machine)
        machine.exact = true
        history = GdbHistory(machine: machine, interval: checkpointInterval)
        history.arm = { [unowned self] on in arm(on) }
    }

    /// Puts gdb's breakpoints and watchpoints on every CPU (or takes them off).
    func arm(_ on: Bool) {
        // Always assigned: a restore brings back the saved CPU state's flags, and the
        // assignments set them again.
        for c in machine.cpus {
            c.breakpoints = on ? breakpoints : []
            c.watchpoints = on ? watchpoints : []
        }
    }

    /// The answer to one packet's payload; nil for none (a `k`).
    public func handle(_ payload: [UInt8]) -> String? {
        let text = String(decoding: payload, as: UTF8.self)
        guard let first = text.first else { return "" }
        let args = text.dropFirst()
        switch first {
        case "?": return lastStop
        case "g": return GdbRegisters.readAll(cpu(gThread))
        case "G":
            guard let bytes = hexDecode(args), GdbRegisters.writeAll(cpu(gThread), bytes) else { return "E01" }
            history.stateChanged()
            return "OK"
        case "p":
            guard let n = hexInt(args), let v = GdbRegisters.read(cpu(gThread), n) else { return "E01" }
            return v
        case "P":
            let parts = args.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let n = hexInt(parts[0]), let bytes = hexDecode(parts[1]),
                  GdbRegisters.write(cpu(gThread), n, bytes) else { return "E01" }
            history.stateChanged()
            return "OK"
        case "m": return readMemory(args)
        case "M", "X": return writeMemory(payload, binary: first == "X")
        case "Z", "z": return breakpoint(args, insert: first == "Z")
        case "H":
            guard let op = args.first, let t = threadID(args.dropFirst()) else { return "E01" }
            if t >= 0 { if op == "g" { gThread = t } else { cThread = t } }
            return "OK"
        case "T": return threadID(args).map { $0 >= 0 ? "OK" : "E01" } ?? "E01"
        case "c": return resume(step: false, cpu: cThread, address: hexNumber(args))
        case "s": return resume(step: true, cpu: cThread, address: hexNumber(args))
        case "b":
            if args == "s" { return reverseStep() }
            if args == "c" { return reverseContinue() }
            return ""
        case "v": return vPacket(String(args))
        case "q": return query(String(args))
        case "Q": return args == "StartNoAckMode" ? "OK" : ""
        case "D": detached = true; arm(false); return "OK"
        case "k": killed = true; return nil
        default: return ""
        }
    }

    private func cpu(_ i: Int) -> CPU { machine.cpus[min(max(i, 0), machine.cpus.count - 1)] }

    /// A thread id: `N` (hex), `0` (any) and `-1` (all) give -1 meaning "keep"; nil if bad.
    private func threadID<S: StringProtocol>(_ s: S) -> Int? {
        if s == "-1" || s == "0" { return -1 }
        guard let t = hexNumber(s), t >= 1, t <= UInt64(machine.cpus.count) else { return nil }
        return Int(t) - 1
    }

    // MARK: Queries

    private func query(_ q: String) -> String {
        if q.hasPrefix("Supported") {
            swbreak = q.contains("swbreak+")
            return "PacketSize=4000;qXfer:features:read+;QStartNoAckMode+;ReverseStep+;ReverseContinue+;"
                + "swbreak+;hwbreak+;vContSupported+"
        }
        if q.hasPrefix("Xfer:features:read:target.xml:") {
            let range = q.dropFirst("Xfer:features:read:target.xml:".count).split(separator: ",")
            guard range.count == 2, let off = hexNumber(range[0]), let len = hexNumber(range[1]) else { return "E01" }
            let xml = Array(GdbRegisters.targetXML.utf8)
            let start = Int(min(off, UInt64(xml.count))), end = min(start + Int(min(len, 0x10000)), xml.count)
            return (end == xml.count ? "l" : "m") + String(decoding: xml[start..<end], as: UTF8.self)
        }
        if q.hasPrefix("Xfer:") { return "" }
        if q.hasPrefix("Rcmd,") { return monitorCommand(q.dropFirst("Rcmd,".count)) }
        switch q {
        case "fThreadInfo": return "m" + machine.cpus.map { String($0.index + 1, radix: 16) }.joined(separator: ",")
        case "sThreadInfo": return "l"
        case "C": return "QC" + String(gThread + 1, radix: 16)
        case "Attached": return "1"
        case "Symbol::": return "OK"
        default: break
        }
        if q.hasPrefix("ThreadExtraInfo,"), let t = threadID(q.dropFirst("ThreadExtraInfo,".count)), t >= 0 {
            let c = machine.cpus[t]
            return hexEncode(Array("CPU \(t) EL\(c.el) \(c.st.pointee.icount) instructions".utf8))
        }
        return ""
    }

    /// The packets to send before the reply just returned by `handle`, oldest first.
    public func takeOutput() -> [String] {
        defer { output = [] }
        return output
    }

    /// `qRcmd,HEX`: the command's text goes to gdb's console as `O` packets, then `OK`
    /// (gdb protocol, "General Query Packets"). `quit` ends hvsim as `kill` does.
    private func monitorCommand(_ hex: Substring) -> String {
        guard let bytes = hexDecode(hex) else { return "E01" }
        let reply = monitor.execute(String(decoding: bytes, as: UTF8.self), cpu: gThread)
        var text = Array(reply.text.utf8)
        switch reply.action {
        case .none: break
        case .resume: text += Array("cont: in gdb, use continue\n".utf8)
        case .quit: text += Array("hvsim: terminated\n".utf8); killed = true
        }
        // At most 1 KiB of text (2 KiB of hex) a packet: well within the PacketSize we offer.
        output = stride(from: 0, to: text.count, by: 1024).map { "O" + hexEncode(text[$0..<min($0 + 1024, text.count)]) }
        return "OK"
    }

    private func vPacket(_ v: String) -> String? {
        if v == "Cont?" { return "vCont;c;C;s;S" }
        if v.hasPrefix("Cont;") {
            // Actions in order; the first that applies to a thread wins. Stepping wins
            // over continuing: the machine steps that CPU while the others run along.
            var step: Int? = nil, any = false
            for action in v.dropFirst(5).split(separator: ";") {
                let parts = action.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                let verb = parts[0].first
                let thread = parts.count == 2 ? threadID(parts[1]) : -1
                guard let t = thread else { return "E01" }
                if verb == "s" || verb == "S" { if step == nil { step = t < 0 ? cThread : t } }
                else if verb == "c" || verb == "C" { any = true }
                else { return "E01" }
            }
            if let s = step { return resume(step: true, cpu: s, address: nil) }
            return any ? resume(step: false, cpu: cThread, address: nil) : "E01"
        }
        if v.hasPrefix("Kill") { killed = true; return "OK" }
        return ""   // vMustReplyEmpty and everything unsupported
    }

    // MARK: Memory

    /// Virtual memory of the selected CPU, a page at a time (each page translates apart).
    private func forEachChunk(_ addr: UInt64, _ length: Int, _ body: (UInt64, UInt64, Int) -> Bool) -> Bool {
        cpu(gThread).forEachDebugPage(addr, length, body)
    }

    private func readMemory(_ args: Substring) -> String {
        let parts = args.split(separator: ",")
        guard parts.count == 2, let addr = hexNumber(parts[0]), let len = hexNumber(parts[1]), len <= 0x10000,
              !addr.addingReportingOverflow(len).overflow else {
            return "E01"
        }
        var out: [UInt8] = []
        let ok = forEachChunk(addr, Int(len)) { _, pa, n in
            guard let bytes = cpu(gThread).debugRead(physical: pa, count: n) else { return false }
            out += bytes
            return true
        }
        // A partial read is fine for gdb; nothing readable at all is an error.
        return ok || !out.isEmpty ? hexEncode(out) : "E14"
    }

    private func writeMemory(_ payload: [UInt8], binary: Bool) -> String {
        guard let colon = payload.firstIndex(of: UInt8(ascii: ":")) else { return "E01" }
        let parts = String(decoding: payload[1..<colon], as: UTF8.self).split(separator: ",")
        guard parts.count == 2, let addr = hexNumber(parts[0]), let len = hexInt(parts[1]),
              !addr.addingReportingOverflow(UInt64(len)).overflow else { return "E01" }
        let data = binary ? GdbPacket.unescape(payload[(colon + 1)...])
                          : hexDecode(String(decoding: payload[(colon + 1)...], as: UTF8.self))
        guard let bytes = data, bytes.count == len else { return "E01" }
        if bytes.isEmpty { return "OK" }   // gdb probes for X support with a 0-byte write
        var at = 0
        let ok = forEachChunk(addr, bytes.count) { _, pa, n in
            defer { at += n }
            return cpu(gThread).debugWrite(physical: pa, Array(bytes[at..<(at + n)]))
        }
        history.stateChanged()
        return ok ? "OK" : "E14"
    }

    // MARK: Breakpoints and watchpoints

    private func breakpoint(_ args: Substring, insert: Bool) -> String {
        // `type,addr,kind` and, after a `;`, conditions we do not evaluate.
        let parts = args.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]
            .split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 3, let type = Int(parts[0]), let addr = hexNumber(parts[1]),
              let kind = hexNumber(parts[2]) else { return "E01" }
        switch type {
        case 0, 1:
            if insert { breakpoints.insert(addr) } else { breakpoints.remove(addr) }
        case 2, 3, 4:
            // A range past the end of the address space is no range a guest can touch.
            guard kind > 0, !addr.addingReportingOverflow(kind - 1).overflow else { return "E01" }
            let w = Watchpoint(address: addr, length: kind, kind: type == 2 ? .write : type == 3 ? .read : .access)
            if insert { if !watchpoints.contains(w) { watchpoints.append(w) } } else { watchpoints.removeAll { $0 == w } }
        default: return ""
        }
        arm(true)
        return "OK"
    }
}

// MARK: Running, stepping, reversing

// Run control, and the stop replies that say where the machine stopped: `T05thread:N;`
// with `watch:ADDR;`, `swbreak:;` or `replaylog:begin;`, `T02` after an interrupt, `W`
// when the guest powered off.

extension GdbStub {
    /// `c`, `s` and `vCont`: runs the machine until something stops it and answers with
    /// the stop reply. A step runs until CPU `k` has retired one instruction (the other
    /// CPUs run along, as the deterministic schedule has them).
    func resume(step: Bool, cpu k: Int, address: UInt64?) -> String {
        if let e = exited { return exitReply(e) }
        if let a = address { machine.cpus[k].pc = a; history.stateChanged() }
        arm(true)
        prepareResume()
        let target = machine.cpus[k].st.pointee.icount + 1
        if step { machine.cpuLimit = (k, target) }
        defer { machine.cpuLimit = nil }
        while true {
            let stop = machine.run(limit: history.interval)
            history.advanced()
            switch stop {
            case .instructionLimit, .timeReached:
                if step && machine.cpus[k].st.pointee.icount >= target { return stopped(k) }
                if interrupted() { return stopped(cThread, signal: 2) }
            case .stopRequested: return stopped(cThread, signal: 2)
            case .breakpoint(let c, _): return stopped(c, atBreakpoint: true)
            case .deadlock:
                note("hvsim: every CPU waits for an interrupt that nothing can raise")
                return stopped(k)
            case .poweredOff, .reset:
                exited = stop
                return exitReply(stop)
            }
        }
    }

    /// `bs`: back to before the selected CPU's last instruction.
    func reverseStep() -> String {
        if exited != nil { return "E01" }
        switch history.stepBack(cpu: cThread) {
        case .reached, .hit: return stopped(cThread)
        case .beginning: return stopped(cThread, beginning: true)
        case .interrupted: return stopped(cThread, signal: 2)
        }
    }

    /// `bc`: back to the last breakpoint or watchpoint hit, or to the beginning.
    func reverseContinue() -> String {
        if exited != nil { return "E01" }
        switch history.continueBack() {
        case .hit(let c): return stopped(c, atBreakpoint: true)
        case .reached: return stopped(cThread)
        case .beginning: return stopped(cThread, beginning: true)
        case .interrupted: return stopped(cThread, signal: 2)
        }
    }

    /// Lets the CPU that stopped at a breakpoint or watchpoint go on past it; stale skips
    /// of other CPUs are dropped.
    func prepareResume() {
        for c in machine.cpus {
            c.skipBreakpointAt = nil
            c.skipWatchpointAt = nil
            if c.watchpointHit != nil {
                history.resumeOver(c.index)
            } else if c.index == stopCPU && stoppedAtBreakpoint && c.breakpoints.contains(c.pc) {
                history.resumeOver(c.index)
            }
        }
        stoppedAtBreakpoint = false
    }

    /// The stop reply for CPU `c`, which also becomes the selected thread.
    func stopped(_ c: Int, signal: Int = 5, atBreakpoint: Bool = false, beginning: Bool = false) -> String {
        gThread = c; cThread = c; stopCPU = c
        var reply = "T" + hexLE(UInt64(signal), bytes: 1) + "thread:" + String(c + 1, radix: 16) + ";"
        if beginning { reply += "replaylog:begin;" }
        let cpu = machine.cpus[c]
        if atBreakpoint, let hit = cpu.watchpointHit {
            let name: String
            switch hit.watchpoint.kind { case .write: name = "watch"; case .read: name = "rwatch"; case .access: name = "awatch" }
            reply += "\(name):\(String(hit.address, radix: 16));"
        } else if atBreakpoint {
            stoppedAtBreakpoint = true
            if swbreak { reply += "swbreak:;" }
        }
        lastStop = reply
        return reply
    }

    func exitReply(_ stop: StopReason) -> String {
        if case .poweredOff(let status) = stop { return "W" + hexLE(UInt64(UInt8(truncatingIfNeeded: status)), bytes: 1) }
        return "W00"
    }
}
