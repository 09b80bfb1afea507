import Emu

// Reverse execution for the gdb stub, the way rr and QEMU's record/replay do it: the
// machine is deterministic (`Machine.exact`), so any earlier point can be reached again by
// restoring an in-memory checkpoint taken before it and running forward to it. The
// checkpoints are taken at the start and then every `interval` instructions; the only
// input from outside, console bytes, is logged with the virtual time it entered and fed
// back at the same time whenever a stretch of history runs again (console output of a
// stretch that already ran is not printed twice).
//
// A position is a CPU and how many instructions it has retired: "CPU k is about to run its
// instruction n + 1". `Machine.cpuLimit` stops the machine at exactly that moment.

final class GdbHistory {
    struct Checkpoint {
        let instructions: UInt64      // all CPUs together
        let icounts: [UInt64]         // each CPU's
        let now: UInt64
        let state: [UInt8]            // with the rest of a cut slice
    }

    /// How a reverse command ended.
    enum Outcome {
        case reached                      // the position asked for
        case hit(cpu: Int)                // a breakpoint or watchpoint hit (reverse-continue)
        case beginning                    // the start of the recorded history
        case interrupted                  // gdb interrupted the replay
    }

    let machine: Machine
    private(set) var checkpoints: [Checkpoint] = []
    /// Instructions between checkpoints (all CPUs together); it doubles whenever the
    /// checkpoints are thinned out, so a long run keeps sparser checkpoints further back.
    private(set) var interval: UInt64
    /// Limits on the checkpoints kept: their number and their bytes (a checkpoint holds the
    /// RAM pages that are not zero: a booted 1 GiB Linux guest makes about 70 MB).
    let maxCheckpoints = 64, maxBytes = 512 << 20
    private var bytes = 0
    /// Console input as it entered: virtual time and bytes.
    private var inputs: [(time: UInt64, bytes: [UInt8])] = []
    private var nextInput = 0
    /// The furthest virtual time the machine has run to: before it, history runs again.
    private(set) var frontier: UInt64 = 0
    private var feeding = false
    /// Installs (true) or removes (false) gdb's breakpoints and watchpoints on every CPU.
    var arm: (Bool) -> Void = { _ in }

    init(machine: Machine, interval: UInt64) {
        self.machine = machine
        self.interval = max(interval, 1)
        let type = machine.onType
        machine.onType = { [unowned self, unowned machine] bytes in
            type?(bytes)
            if !feeding { inputs.append((machine.now, bytes)); nextInput = inputs.count }
        }
        let console = machine.console
        machine.console = { [unowned self, unowned machine] b in if machine.currentTime >= frontier { console(b) } }
        checkpoint()
    }

    /// Whether the machine is running through history again (inputs come from the log).
    var replaying: Bool { machine.now < frontier || nextInput < inputs.count }

    /// Delivers the logged inputs due at this poll; true if it delivered any.
    func feedInputs() -> Bool {
        var delivered = false
        feeding = true
        defer { feeding = false }
        while nextInput < inputs.count && inputs[nextInput].time <= machine.now {
            if inputs[nextInput].time == machine.now { machine.type(inputs[nextInput].bytes); delivered = true }
            nextInput += 1
        }
        return delivered
    }

    /// Notes how far the machine got and takes a checkpoint when one is due.
    func advanced() {
        frontier = max(frontier, machine.now)
        if let last = checkpoints.last, machine.instructions >= last.instructions &+ interval { checkpoint() }
    }

    func checkpoint() {
        let cp = Checkpoint(instructions: machine.instructions, icounts: machine.cpus.map { $0.st.pointee.icount },
                            now: machine.now, state: machine.saveState())
        checkpoints.removeAll { $0.instructions >= cp.instructions }
        checkpoints.append(cp)
        bytes = checkpoints.reduce(0) { $0 + $1.state.count }
        while checkpoints.count > 2 && (checkpoints.count > maxCheckpoints || bytes > maxBytes) {
            // Keep the first and the latest, and every other one between.
            let last = checkpoints.count - 1
            checkpoints = checkpoints.enumerated().filter { $0.offset % 2 == 0 || $0.offset == last }.map(\.element)
            bytes = checkpoints.reduce(0) { $0 + $1.state.count }
            interval = interval.multipliedReportingOverflow(by: 2).overflow ? interval : interval * 2
        }
    }

    /// gdb changed registers or memory: what was recorded after this point is no longer
    /// the machine's future. Later checkpoints and inputs are dropped; a checkpoint of the
    /// changed state is taken so that going back to later points replays from it.
    func stateChanged() {
        inputs.removeAll { $0.time >= machine.now }
        nextInput = inputs.count
        frontier = machine.now
        checkpoint()
    }

    private func restore(_ cp: Checkpoint) {
        do { try machine.restoreState(cp.state) } catch { fatalError("gdb history: a checkpoint does not restore: \(error)") }
        machine.cpuLimit = nil
        for c in machine.cpus { c.skipBreakpointAt = nil; c.skipWatchpointAt = nil; c.watchpointHit = nil }
        nextInput = inputs.firstIndex { $0.time >= cp.now } ?? inputs.count
    }

    /// Lets the CPU that stopped at a breakpoint or watchpoint go on past it.
    func resumeOver(_ cpu: Int) {
        let c = machine.cpus[cpu]
        if c.watchpointHit != nil {
            c.skipWatchpointAt = (c.pc, c.st.pointee.icount)
            c.watchpointHit = nil
        } else {
            c.skipBreakpointAt = c.pc
        }
    }

    /// Goes to the moment CPU `cpu` is about to run its instruction `icount + 1`.
    func go(cpu: Int, icount: UInt64) -> Outcome {
        let start = checkpoints.last { $0.icounts[cpu] < icount } ?? checkpoints[0]
        restore(start)
        arm(false)
        defer { arm(true) }
        machine.cpuLimit = (cpu, icount)
        defer { machine.cpuLimit = nil }
        while true {
            switch machine.run() {
            case .instructionLimit: if machine.cpus[cpu].st.pointee.icount >= icount { return .reached }
            case .stopRequested: return .interrupted
            default: return .reached   // cannot happen: the same run got there before
            }
        }
    }

    /// Reverse-stepi of CPU `cpu`: back to before its last instruction.
    func stepBack(cpu: Int) -> Outcome {
        let n = machine.cpus[cpu].st.pointee.icount
        guard n > 0 else { return .beginning }
        return go(cpu: cpu, icount: n - 1)
    }

    /// Reverse-continue: to the last breakpoint or watchpoint hit before now, or to the
    /// beginning of history if there was none.
    func continueBack() -> Outcome {
        let here = machine.instructions
        let starts = checkpoints.indices.filter { checkpoints[$0].instructions < here || $0 == 0 }
        for i in starts.reversed() {
            let end = i + 1 < checkpoints.count ? min(checkpoints[i + 1].instructions, here) : here
            guard let hits = hitsFrom(checkpoints[i], to: end, stopAt: nil) else { return .interrupted }
            if hits > 0 {
                guard let cpu = hitsFrom(checkpoints[i], to: end, stopAt: hits), cpu >= 0 else { return .interrupted }
                return .hit(cpu: cpu)
            }
        }
        restore(checkpoints[0])
        return .beginning
    }

    /// Runs from `cp` to `end` instructions with gdb's breakpoints and watchpoints armed.
    /// Counts the hits (returns their number), or with `stopAt` stops at that hit (returns
    /// the CPU that hit). Nil if gdb interrupted.
    private func hitsFrom(_ cp: Checkpoint, to end: UInt64, stopAt: Int?) -> Int? {
        restore(cp)
        arm(true)
        var hits = 0
        while machine.instructions < end {
            switch machine.run(limit: end - machine.instructions) {
            case .breakpoint(let cpu, _):
                hits += 1
                if hits == stopAt { return cpu }
                resumeOver(cpu)
            case .stopRequested: return nil
            case .instructionLimit: continue
            default: return stopAt == nil ? hits : -1
            }
        }
        return stopAt == nil ? hits : -1
    }
}
