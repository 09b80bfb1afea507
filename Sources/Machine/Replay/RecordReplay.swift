import Emu

/// Records a run's outside inputs into a `RunLog` while it runs. Install it after the input
/// source (the host console) so that checkpoints are taken before each poll's input.
public final class Recorder {
    public private(set) var log: RunLog
    private let machine: Machine

    public init(machine: Machine, header: RunLog.Header) {
        self.machine = machine
        log = RunLog(header: header)
        machine.onType = { [unowned self] bytes in
            log.events.append(RunLog.Event(.input, poll: machine.polls, time: machine.now, payload: bytes))
        }
        let source = machine.pollInput
        let every = max(header.checkpointEvery, 1)
        machine.pollInput = { [unowned self] idleFor in
            if machine.polls % every == 0 { checkpoint() }
            return source?(idleFor) ?? false
        }
    }

    private func checkpoint() {
        var w = StateWriter()
        w.u64(machine.stateHash(memory: false))
        log.events.append(RunLog.Event(.checkpoint, poll: machine.polls, time: machine.now, payload: w.bytes))
    }

    /// Closes the log: a quit event if the user stopped the run, then the end record.
    public func finish(_ stop: StopReason) {
        if stop == .stopRequested {
            log.events.append(RunLog.Event(.quit, poll: machine.polls, time: machine.now))
        }
        log.events.append(RunLog.Event(.end, poll: machine.polls, time: machine.now, payload: Replayer.endPayload(machine, stop)))
    }
}

/// Feeds a recorded run's inputs back at the same places and checks the state hashes.
public final class Replayer {
    private let machine: Machine
    private let log: RunLog
    private var next = 0
    /// Why the replay stopped agreeing with the recording, if it did.
    public private(set) var divergence: String? = nil
    public private(set) var checkpointsVerified = 0

    public init(machine: Machine, log: RunLog) {
        self.machine = machine
        self.log = log
        machine.pollInput = { [unowned self] _ in deliver() }
    }

    private func diverged(_ why: String) {
        if divergence == nil { divergence = why }
        machine.requestStop()
    }

    private func deliver() -> Bool {
        var delivered = false
        let poll = machine.polls
        while next < log.events.count, log.events[next].kind != .end, log.events[next].poll <= poll {
            let e = log.events[next]
            next += 1
            guard e.poll == poll, e.time == machine.now else {
                diverged("an input recorded at poll \(e.poll), time \(e.time) came at poll \(poll), time \(machine.now)")
                return true
            }
            switch e.kind {
            case .input: machine.type(e.payload); delivered = true
            case .quit: machine.requestStop(); delivered = true
            case .checkpoint:
                var r = StateReader(e.payload)
                let want = try? r.u64(), have = machine.stateHash(memory: false)
                if want != have {
                    diverged("state differs at checkpoint poll \(poll), time \(machine.now) "
                             + "(after \(machine.instructions) instructions; the previous checkpoint matched)")
                    return true
                }
                checkpointsVerified += 1
            case .end: break
            }
        }
        return delivered
    }

    /// Compares the end of the replay with the recording's end record; nil if they agree.
    public func finish(_ stop: StopReason) -> String? {
        if let d = divergence { return d }
        guard let end = log.events.last, end.kind == .end else { return "the recording has no end" }
        if next < log.events.count - 1 {
            return "the run ended with \(log.events.count - 1 - next) recorded events not replayed"
        }
        let want = end.payload, have = Replayer.endPayload(machine, stop)
        var w = StateReader(want), h = StateReader(have)
        let wantCount = try? w.u64(), haveCount = try? h.u64()
        if wantCount != haveCount {
            return "the run ended after \(haveCount ?? 0) instructions; the recording after \(wantCount ?? 0)"
        }
        if (try? w.u64()) != (try? h.u64()) { return "the final state (registers and RAM) differs" }
        if want[16...] != have[16...] { return "the run stopped differently" }
        return nil
    }

    /// Total instructions, final state hash with RAM, and how the run stopped.
    static func endPayload(_ machine: Machine, _ stop: StopReason) -> [UInt8] {
        var w = StateWriter()
        w.u64(machine.instructions)
        w.u64(machine.stateHash(memory: true))
        return w.bytes + Array("\(stop)".utf8)
    }
}
