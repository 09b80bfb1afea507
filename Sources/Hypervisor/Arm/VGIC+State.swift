import Emu
import Devices

/// Snapshot state of a domain's vGIC: its distributor state (a GICCore, saved as the board's
/// is), IROUTER values, redistributor wake state, and which vCPUs were signalled. Restoring
/// wakes nobody: the core's output is held while its state changes, and `signalled` is put
/// back as it was.
extension VGIC {
    func save(_ w: inout StateWriter) {
        core.save(&w)
        distributor.save(&w)
        redistributors.save(&w)
        w.bools(signalled)
    }

    func restore(_ r: inout StateReader) throws {
        try quietly {
            try core.restore(&r)
            try distributor.restore(&r)
            try redistributors.restore(&r)
            signalled = try r.bools(count: signalled.count, "vGIC signalled vCPUs")
        }
    }

    /// Runs `body` with the interrupt outputs disconnected (restoring state is not an event).
    func quietly(_ body: () throws -> Void) rethrows {
        let output = core.output
        core.output = { _, _, _ in }
        defer { core.output = output }
        try body()
    }
}
