#if canImport(Glibc)
import Glibc
#endif

// `hvsim run --gdb tcp::PORT [--gdb-wait]`: serves one gdb at a time over TCP. With
// `--gdb-wait` the machine waits for gdb before its first instruction; otherwise it runs at
// full speed, and a gdb that connects stops it (as does Ctrl-C in gdb, the byte 0x03, while
// it runs). From the first connection on the machine runs in its exact mode and keeps the
// history that reverse execution goes back through (so it starts there). When gdb
// detaches (or its connection drops) the machine runs on, and another gdb can connect.
// gdb's `kill` ends the run.

public final class GdbServer {
    public let listener: GdbListener
    public let machine: Machine
    /// Made when gdb first connects.
    public private(set) var stub: GdbStub?
    private let checkpointInterval: UInt64
    private var connection: GdbConnection?
    private var parser = GdbPacketParser()
    private var noAck = false
    /// What gdb sent while the machine ran (handled when it stops).
    private var pending: [GdbInput] = []
    private var lastReply: [UInt8] = []

    public init(machine: Machine, address: GdbAddress, checkpointInterval: UInt64 = 20_000_000) throws {
        listener = try GdbListener(address)
        self.machine = machine
        self.checkpointInterval = checkpointInterval
        installPoll()
    }

    /// The stub, made on first use: the history starts here.
    private func attach() -> GdbStub {
        if let s = stub { return s }
        let s = GdbStub(machine: machine, checkpointInterval: checkpointInterval)
        s.interrupted = { [unowned self] in gdbWantsStop() }
        s.note = { fputs($0 + "\n", stderr) }
        stub = s
        return s
    }

    /// Runs the machine under gdb until the guest powers off or resets, or gdb kills it
    /// (`.stopRequested`). With `wait`, waits for gdb before the first instruction.
    public func run(wait: Bool) -> StopReason {
        if wait { connection = listener.accept() }
        while true {
            if let c = connection {
                let stub = attach()
                serve(c, stub)
                connection = nil
                if stub.killed { return .stopRequested }
                if let e = stub.exited { return e }
                continue
            }
            // No gdb: the machine runs; a gdb that connects stops it (see the poll).
            let stop = machine.run(limit: stub?.history.interval ?? 20_000_000)
            stub?.history.advanced()
            switch stop {
            case .instructionLimit, .timeReached: if connection == nil { _ = gdbWantsStop() }
            case .breakpoint(let cpu, let pc):   // --break: wait there for gdb
                fputs("hvsim: breakpoint on cpu\(cpu) at 0x\(String(pc, radix: 16)); waiting for gdb\n", stderr)
                connection = listener.accept()
            case .stopRequested: if connection == nil { return stop }   // the user quit (Ctrl-A x)
            case .poweredOff, .reset, .deadlock: return stop
            }
        }
    }

    /// Answers gdb's packets until it detaches, kills the machine or goes away.
    private func serve(_ c: GdbConnection, _ stub: GdbStub) {
        parser = GdbPacketParser()
        noAck = false
        stub.detached = false
        if stub.exited == nil { _ = stub.stopped(stub.cThread) }
        while true {
            var inputs = pending
            pending = []
            if inputs.isEmpty {
                guard let bytes = c.read() else { stub.arm(false); return }   // gdb went away
                inputs = parser.feed(bytes)
            }
            for input in inputs {
                switch input {
                case .packet(let p):
                    if !noAck { c.write([UInt8(ascii: "+")]) }
                    guard let reply = stub.handle(p) else { c.shutdown(); return }   // k
                    lastReply = GdbPacket.frame(reply)
                    c.write(lastReply)
                    if p == Array("QStartNoAckMode".utf8) { noAck = true }
                    if stub.killed { c.shutdown(); return }
                    if stub.detached { c.shutdown(); return }
                case .badPacket: if !noAck { c.write([UInt8(ascii: "-")]) }
                case .nack: c.write(lastReply)
                case .ack, .interrupt: break   // an interrupt while stopped has nothing to stop
                }
            }
        }
    }

    /// Checks, without waiting, whether gdb wants the running machine stopped: it sent an
    /// interrupt, went away, or (with none attached) a gdb connected.
    private func gdbWantsStop() -> Bool {
        guard let c = connection else {
            guard let new = listener.accept(timeoutMilliseconds: 0) else { return false }
            connection = new
            return true
        }
        guard let bytes = c.read(timeoutMilliseconds: 0) else { return true }
        var stop = false
        for i in parser.feed(bytes) {
            if i == .interrupt { stop = true } else { pending.append(i) }
        }
        return stop
    }

    /// Between CPU slices: gdb's interrupts and connections, and console input (from the
    /// history's log while history runs again). A machine with nothing to do waits here
    /// for the console or gdb.
    private func installPoll() {
        let machine = self.machine
        let console = machine.pollInput
        machine.pollInput = { [unowned self] idleFor in
            if gdbWantsStop() { machine.requestStop(); return false }
            if let history = stub?.history, history.replaying { return history.feedInputs() }
            guard idleFor == nil else { return console?(idleFor) ?? false }
            while true {
                if console?(machine.time(nanoseconds: 20_000_000)) == true { return true }
                if waitReadable(connection?.fd ?? listener.fd, 20), gdbWantsStop() { machine.requestStop(); return false }
            }
        }
    }
}
