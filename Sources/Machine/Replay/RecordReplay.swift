import Emu

/// Records a run's outside inputs into a `RunLog` while it runs. Install it after the input
/// source (the host console) so that checkpoints are taken before each poll's input.
public final class Recorder {
    public private(set) var log: RunLog
    private let machine: Machine
    private let ram: RAMDigest
    private var prints: [UInt32] = []

    /// Puts the identities of the files the run read into the log's header (hashed while
    /// the run went on).
    public func identify(files: [RunLog.FileIdentity]) { log.header.files = files }

    public init(machine: Machine, header: RunLog.Header) {
        self.machine = machine
        ram = RAMDigest(machine: machine)
        log = RunLog(header: header)
        Fingerprints.observe(machine, every: header.fingerprintEvery) { [unowned self, unowned machine] _ in
            prints.append(Fingerprints.take(machine))
        }
        machine.onType = { [unowned self, unowned machine] bytes in
            log.events.append(RunLog.Event(.input, poll: machine.polls, time: machine.now, payload: bytes))
        }
        let source = machine.pollInput
        // By instructions run, not by polls: an idle guest polls often (its virtual time
        // skips ahead to each timer) but runs little, and needs few checkpoints.
        let spacing = max(header.checkpointEvery, 1) &* 1_000_000
        var last: UInt64? = nil
        machine.pollInput = { [unowned self, unowned machine] idleFor in
            if last.map({ machine.instructions &- $0 >= spacing }) ?? true {
                checkpoint()
                last = machine.instructions
            }
            return source?(idleFor) ?? false
        }
    }

    private func checkpoint() {
        flushFingerprints()
        log.events.append(RunLog.Event(.checkpoint, poll: machine.polls, time: machine.now,
                                       payload: Checkpoint(machine, ram).encoded))
    }

    private func flushFingerprints() {
        guard !prints.isEmpty else { return }
        log.events.append(RunLog.Event(.fingerprints, poll: machine.polls, time: machine.now, payload: Fingerprints.encode(prints)))
        prints = []
    }

    /// Closes the log: a quit event if the user stopped the run, then the end record.
    public func finish(_ stop: StopReason) {
        flushFingerprints()
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
    private let ram: RAMDigest
    private var next = 0
    /// Why the replay stopped agreeing with the recording, if it did.
    public private(set) var divergence: String? = nil
    public private(set) var checkpointsVerified = 0
    /// The recording's fingerprints, how many the replay has matched, and the instruction
    /// count of the last match.
    private let prints: [UInt32]
    public private(set) var fingerprintsVerified = 0
    private var lastMatch: UInt64 = 0
    private var matchedAt = Fingerprints.Positions()

    public init(machine: Machine, log: RunLog) {
        self.machine = machine
        self.log = log
        ram = RAMDigest(machine: machine)
        prints = Fingerprints.all(in: log)
        matchedAt.take(machine)
        machine.pollInput = { [unowned self] _ in deliver() }
        Fingerprints.observe(machine, every: log.header.fingerprintEvery) { [unowned self] n in compareFingerprint(at: n) }
    }

    private func compareFingerprint(at n: UInt64) {
        guard fingerprintsVerified < prints.count, divergence == nil else { return }   // past the recording's end
        if Fingerprints.take(machine) != prints[fingerprintsVerified] {
            diverged("the state first differs from the recording (the CPUs or what reached the devices)")
            return
        }
        fingerprintsVerified += 1
        lastMatch = n
        matchedAt.take(machine)
    }

    /// Records the first divergence and stops the run. With fingerprints and `placed`, the
    /// message goes on to place it: after the last count whose fingerprint matched, and by
    /// the count now. (A checkpoint's message places itself and ends with what differs.)
    private func diverged(_ why: String, placed: Bool = true) {
        guard divergence == nil else { return }
        divergence = why
        if placed && log.header.fingerprintEvery > 0 {
            var now = Fingerprints.Positions()
            now.take(machine)
            divergence! += " after instruction \(lastMatch) (the last fingerprint that matched; there: \(matchedAt)) "
                + "and by instruction \(machine.instructions), where the replay has \(now)"
        }
        machine.requestStop()
    }

    private func deliver() -> Bool {
        var delivered = false
        let poll = machine.polls
        while next < log.events.count, log.events[next].kind != .end, log.events[next].poll <= poll {
            let e = log.events[next]
            next += 1
            if e.kind == .fingerprints { continue }   // compared as the replay reaches them, not at a poll
            guard e.poll == poll, e.time == machine.now else {
                diverged("an input recorded at poll \(e.poll), time \(e.time) came at poll \(poll), time \(machine.now); the run went another way")
                return true
            }
            switch e.kind {
            case .input: machine.type(e.payload); delivered = true
            case .quit: machine.requestStop(); delivered = true
            case .checkpoint:
                let have = Checkpoint(machine, ram)
                guard let want = Checkpoint(e.payload) else {
                    diverged("checkpoint at poll \(poll) is malformed", placed: false)
                    return true
                }
                if let what = have.differences(from: want) {
                    diverged("state differs at checkpoint poll \(poll), time \(machine.now) "
                             + "(after \(machine.instructions) instructions; the previous checkpoint matched): \(what)", placed: false)
                    return true
                }
                checkpointsVerified += 1
            case .fingerprints, .end: break
            }
        }
        return delivered
    }

    /// Compares the end of the replay with the recording's end record; nil if they agree.
    public func finish(_ stop: StopReason) -> String? {
        if let d = divergence { return d }
        guard let end = log.events.last, end.kind == .end else { return "the recording has no end" }
        let left = log.events[next...].filter { $0.kind != .fingerprints && $0.kind != .end }.count
        if left > 0 { return "the run ended with \(left) recorded events not replayed" }
        if fingerprintsVerified < prints.count {
            return "the run ended after \(fingerprintsVerified) of the recording's \(prints.count) fingerprints"
        }
        let want = end.payload, have = Replayer.endPayload(machine, stop)
        var w = StateReader(want), h = StateReader(have)
        let wantCount = try? w.u64(), haveCount = try? h.u64()
        if wantCount != haveCount {
            return "the run ended after \(haveCount ?? 0) instructions; the recording after \(wantCount ?? 0)"
        }
        if (try? w.u64()) != (try? h.u64()) {
            let prints = log.header.fingerprintEvery == 0 ? ""
                : "; every fingerprint matched, the last after instruction \(lastMatch), so it is in RAM or came after that"
            return "the final state (registers and RAM) differs" + prints
        }
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

/// What a checkpoint compares: hashes of the CPUs' architectural state (with the virtual
/// time), of all of RAM (kept current by a `RAMDigest`) and of the devices' state.
struct Checkpoint: Equatable {
    var cpus: UInt64, ram: UInt64, devices: UInt64

    init(_ machine: Machine, _ ram: RAMDigest) {
        cpus = machine.stateHash(memory: false)
        self.ram = ram.update()
        devices = machine.deviceStateHash()
    }

    init?(_ payload: [UInt8]) {
        var r = StateReader(payload)
        guard let c = try? r.u64(), let m = try? r.u64(), let d = try? r.u64(), r.at == payload.count else { return nil }
        cpus = c; ram = m; devices = d
    }

    var encoded: [UInt8] {
        var w = StateWriter()
        w.u64(cpus); w.u64(ram); w.u64(devices)
        return w.bytes
    }

    /// Which parts differ ("the CPU registers and RAM"), or nil if none does.
    func differences(from other: Checkpoint) -> String? {
        var parts: [String] = []
        if cpus != other.cpus { parts.append("the CPU registers") }
        if ram != other.ram { parts.append("RAM") }
        if devices != other.devices { parts.append("the device states") }
        return parts.isEmpty ? nil : parts.joined(separator: " and ")
    }
}
