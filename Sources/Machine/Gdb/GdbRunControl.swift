import Emu

// Running, stepping and reversing for the gdb stub, and the stop replies that report where
// the machine stopped (`T05thread:N;` with `watch:ADDR;`, `swbreak:;`, `replaylog:begin;`,
// `T02` after an interrupt, `W` when the guest powered off).

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
