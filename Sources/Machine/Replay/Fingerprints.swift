import Emu

/// Fingerprints place a replay's divergence between two close instruction counts. Every
/// `fingerprintEvery` instructions (at the first block boundary after each multiple) the
/// recorder keeps a 32-bit hash of the CPUs' architectural state, the virtual time and
/// every device access so far (`Bus.ioDigest`: what was printed, sent to a disk, told to
/// the interrupt controller); the replay computes the same at the same counts (observing
/// does not change the run) and stops at the first that differs. A spacing of 1 runs record
/// and replay instruction by instruction (the machine's exact mode), which places a
/// divergence at one instruction, at a cost of 4 bytes each. Four bytes per million
/// instructions keep a busy minute's log near 60 KB. All of RAM is compared at the sparser
/// checkpoints: hashing it this often would cost more than recording may.
enum Fingerprints {
    static func take(_ machine: Machine) -> UInt32 {
        var h = StateHasher()
        h.add(machine.stateHash(memory: false))
        h.add(machine.bus.ioDigest)
        return UInt32(truncatingIfNeeded: h.value ^ h.value >> 32)
    }

    /// Calls `body` at each fingerprint point of a recording with spacing `every` (0: none);
    /// a spacing of 1 puts the machine in its exact mode, to stop at every instruction.
    /// Recorder and replayer both install it so, and so stop at the same points.
    static func observe(_ machine: Machine, every: UInt64, _ body: @escaping (UInt64) -> Void) {
        guard every > 0 else { return }
        machine.exact = every == 1
        machine.observe(every: every, body)
    }

    static func encode(_ prints: [UInt32]) -> [UInt8] {
        var w = StateWriter()
        for p in prints { w.u32(p) }
        return w.bytes
    }

    /// The fingerprints of a recording, in order (the log checked each payload's length).
    static func all(in log: RunLog) -> [UInt32] {
        var out: [UInt32] = []
        for e in log.events where e.kind == .fingerprints {
            var r = StateReader(e.payload)
            while r.at < r.end, let p = try? r.u32() { out.append(p) }
        }
        return out
    }

    /// Where each CPU is, kept without allocating (a replay notes it at every match).
    struct Positions: CustomStringConvertible {
        private var pc: [UInt64] = [], el: [UInt64] = [], off: [Bool] = []

        mutating func take(_ machine: Machine) {
            if pc.count != machine.cpus.count {
                pc = Array(repeating: 0, count: machine.cpus.count); el = pc
                off = Array(repeating: false, count: machine.cpus.count)
            }
            for c in machine.cpus {
                pc[c.index] = c.pc; el[c.index] = UInt64(c.el); off[c.index] = machine.state[c.index] == .off
            }
        }

        /// "cpu0 EL1 pc 0xffff8000080a1b2c, cpu1 off".
        var description: String {
            pc.indices.map { off[$0] ? "cpu\($0) off" : "cpu\($0) EL\(el[$0]) pc 0x\(String(pc[$0], radix: 16))" }
                .joined(separator: ", ")
        }
    }
}
