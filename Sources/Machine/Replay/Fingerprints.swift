import Emu

/// Fingerprints place a replay's divergence between two close instruction counts. Every
/// `fingerprintEvery` instructions (at the first block boundary after each multiple) the
/// recorder keeps a 32-bit hash of the CPUs' architectural state, the virtual time and
/// every device access so far (`Bus.ioDigest`: what was printed, sent to a disk, told to
/// the interrupt controller); the replay computes the same at the same counts (observing
/// does not change the run) and stops at the first that differs. Four bytes per million
/// instructions keep a busy minute's log near 60 KB. All of RAM is compared at the sparser
/// checkpoints: hashing it this often would cost more than recording may.
enum Fingerprints {
    static func take(_ machine: Machine) -> UInt32 {
        var h = StateHasher()
        h.add(machine.stateHash(memory: false))
        h.add(machine.bus.ioDigest)
        return UInt32(truncatingIfNeeded: h.value ^ h.value >> 32)
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

    /// Where each CPU is: "cpu0 EL1 pc 0xffff8000080a1b2c, cpu1 off".
    static func positions(_ machine: Machine) -> String {
        machine.cpus.map { c in
            machine.state[c.index] == .off ? "cpu\(c.index) off" : "cpu\(c.index) EL\(c.el) pc 0x\(String(c.pc, radix: 16))"
        }.joined(separator: ", ")
    }
}
