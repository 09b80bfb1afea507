import Emu
import Machine

/// gdb's side of the connection: the input is the byte stream gdb would send. Each packet
/// goes to a new stub of a machine that counts down and powers off; a run ends at a stop,
/// or after 2,000 instructions as if gdb had sent Ctrl-C.
enum GdbFuzz {
    nonisolated(unsafe) static let host = FuzzMachine.make(FuzzMachine.countdown, "countdown")

    static func run(_ input: [UInt8]) {
        let m = host.fresh()
        let stub = GdbStub(machine: m, checkpointInterval: 500)
        var checks = 0
        stub.interrupted = { checks += 1; return checks % 4 == 0 }
        var parser = GdbPacketParser()
        for item in parser.feed(input) {
            // (`monitor snapshot FILE` writes nothing here: the stub's monitor has no writer.)
            guard case .packet(let payload) = item else { continue }
            _ = stub.handle(payload)
            _ = stub.takeOutput()
            if stub.killed || stub.detached { break }
        }
    }
}
