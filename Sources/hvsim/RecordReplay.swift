import ArgumentParser
import Foundation
import Machine
#if canImport(Glibc)
import Glibc
#endif

/// `hvsim record -o RUN.hvrec <run options>`: a run whose outside inputs are logged.
struct Record: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run like `hvsim run` and record every input from outside the machine, for `hvsim replay`.")

    @Option(name: .shortAndLong, help: "The recording to write.") var output: String
    @Option(help: "Take a state-hash checkpoint at the first input poll after every N million instructions (and at the first poll).")
    var checkpointEvery: UInt64 = 16
    @Option(help: "Fingerprint the CPUs' state every N instructions (0: never), to place a replay's divergence that closely.")
    var fingerprintEvery: UInt64 = 1 << 20
    @OptionGroup var options: RunOptions

    func run() throws {
        var opts = options
        // Host-dependent choices are fixed now, so the replay makes the same ones.
        if opts.rtc == "host" { opts.rtc = String(time(nil)) }
        if opts.restore != nil { throw ValidationError("record does not take --restore") }
        let files = try PendingIdentities(try opts.inputFiles())
        let header = RunLog.Header(arguments: Record.runArguments(rtc: opts.rtc), files: [],
                                   checkpointEvery: checkpointEvery, fingerprintEvery: fingerprintEvery)
        try opts.execute(RecordHooks(header: header, path: output, files: files))
    }

    /// This command's run options, without the record-, snapshot- and output-only ones, with
    /// `--rtc` resolved: what a replay or a restore builds the same machine from.
    static func runArguments(rtc: String?, snapshot: Bool = false) -> [String] {
        var args = Array(CommandLine.arguments.drop { $0 != "record" && $0 != "run" }.dropFirst())
        var out: [String] = []
        var i = 0
        // A restore takes its own limit; a replay stops where the recorded run did.
        let dropped = ["-o", "--output", "--checkpoint-every", "--fingerprint-every", "--snapshot-at", "--snapshot-file", "--restore"]
            + (snapshot ? ["--max-insns"] : [])
        while i < args.count {
            let a = args[i]
            if dropped.contains(a) { i += 2; continue }
            if dropped.contains(where: { a.hasPrefix($0 + "=") }) { i += 1; continue }
            if a == "--rtc", i + 1 < args.count, let r = rtc { args[i + 1] = r }
            if a.hasPrefix("--rtc="), let r = rtc { out.append("--rtc=\(r)"); i += 1; continue }
            out.append(a)
            i += 1
        }
        return out
    }
}

/// The identities of the files a recording read, hashed on a thread of their own beside the
/// run (a kernel of 30 MiB is some 40 ms of hashing, which the run need not wait for); the
/// log takes them when it is written. Drives are hashed first, before the run: the guest
/// may write to them. A file that cannot be read is an error at once.
final class PendingIdentities: @unchecked Sendable {
    private var identities: [RunLog.FileIdentity?]
    private var failure: Error?
    private let done = DispatchSemaphore(value: 0)

    init(_ files: [(role: String, path: String)]) throws {
        for f in files where !FileManager.default.isReadableFile(atPath: f.path) { throw ValidationError("\(f.path): cannot read file") }
        identities = try files.map { $0.role == RunOptions.driveRole ? try RunLog.FileIdentity(role: $0.role, path: $0.path) : nil }
        Thread.detachNewThread { [self] in
            do {
                for (i, f) in files.enumerated() where identities[i] == nil {
                    identities[i] = try RunLog.FileIdentity(role: f.role, path: f.path)
                }
            } catch { failure = error }
            done.signal()
        }
    }

    /// The identities, in the order of the files (waits for the hashing to end).
    func wait() throws -> [RunLog.FileIdentity] {
        done.wait()
        done.signal()
        if let e = failure { throw e }
        return identities.compactMap { $0 }
    }
}

final class RecordHooks: RunHooks {
    let header: RunLog.Header
    let path: String
    let files: PendingIdentities
    var recorder: Recorder?

    init(header: RunLog.Header, path: String, files: PendingIdentities) {
        self.header = header; self.path = path; self.files = files
    }

    func prepare(_ machine: Machine, _ host: HostConsole) { recorder = Recorder(machine: machine, header: header) }
    var runArguments: [String]? { nil }

    func finish(_ machine: Machine, _ stop: StopReason) throws {
        guard let r = recorder else { return }
        r.finish(stop)
        r.identify(files: try files.wait())
        let bytes = try r.log.encoded()
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw ValidationError("--output: cannot write \(path)")
        }
        fputs("hvsim: recorded \(r.log.events.count) events in \(bytes.count) bytes to \(path)\n", stderr)
    }
}

/// `hvsim replay RUN.hvrec`: runs a recording again and checks that it goes the same way.
struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a recording again, feeding its inputs back, and check the state hashes.")

    @Argument(help: "A recording made by `hvsim record`.") var recording: String
    @Option(help: "Where the guest's console output goes: file:PATH, none, or stdout (default).")
    var serial: String = "stdout"

    func run() throws {
        let log = try RunLog(bytes: try Loader.readFile(recording), name: recording)
        try verifyFiles(log.header.files, of: "recording")
        var opts = try RunOptions.parse(log.header.arguments)
        // Input comes from the recording only; the terminal is left alone.
        opts.serial = serial == "stdout" ? "file:/dev/stdout" : serial
        try opts.execute(ReplayHooks(log: log))
    }
}

final class ReplayHooks: RunHooks {
    let log: RunLog
    var replayer: Replayer?

    init(log: RunLog) { self.log = log }

    func prepare(_ machine: Machine, _ host: HostConsole) { replayer = Replayer(machine: machine, log: log) }
    var runArguments: [String]? { log.header.arguments }

    func finish(_ machine: Machine, _ stop: StopReason) throws {
        guard let r = replayer else { return }
        if let why = r.finish(stop) {
            fputs("hvsim: replay diverged: \(why)\n", stderr)
            throw ExitCode(1)
        }
        fputs("hvsim: replay matches the recording (\(r.fingerprintsVerified) fingerprints, \(r.checkpointsVerified) checkpoints and the final state)\n", stderr)
    }
}
