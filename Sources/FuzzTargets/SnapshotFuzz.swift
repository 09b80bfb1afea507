import Machine

/// Snapshot files (header, checksum) and, under them, the machine state a restore reads:
/// the input is tried as a whole file, then as the state itself. A state that restores
/// must also run: whatever a restore lets in, the machine has to live with.
enum SnapshotFuzz {
    nonisolated(unsafe) static let host = FuzzMachine.make(FuzzMachine.idle, "idle", cpus: 2, drive: true)

    static func run(_ input: [UInt8]) {
        let m = host.fresh()
        if let snap = try? Snapshot(bytes: input, name: "fuzz.hvsnap") {
            if (try? m.restoreState(snap.state)) != nil { _ = m.run(limit: 20_000) }
            _ = host.fresh()
        }
        if (try? m.restoreState(input)) != nil { _ = m.run(limit: 20_000) }
    }

    /// The good state, the seed the fuzzer mutates.
    static var seed: [UInt8] { host.good }
}
