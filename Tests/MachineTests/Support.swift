import Foundation
import Testing
import Machine

/// Repository paths and a helper to boot a guest image through the public API.
enum Repo {
    static let root: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static func path(_ p: String) -> String { root.appendingPathComponent(p).path }
    /// The hvsim executable of the build these tests belong to (beside the test bundle:
    /// `make test-asan` builds in .build-asan); else the newer of the release and the debug
    /// build (the tests that start it should run what was built last).
    static var hvsim: String {
        let beside = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).deletingLastPathComponent().appendingPathComponent("hvsim").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        let builds = [path(".build/release/hvsim"), path(".build/debug/hvsim")]
        func modified(_ p: String) -> Date {
            ((try? FileManager.default.attributesOfItem(atPath: p))?[.modificationDate] as? Date) ?? .distantPast
        }
        return builds.max { modified($0) < modified($1) }!
    }
}

struct GuestRun {
    let stop: StopReason
    let console: String
    let instructions: UInt64
}

enum MissingImage: Error, CustomStringConvertible {
    case file(String)
    var description: String {
        switch self { case .file(let f): return "\(f) is missing: run `make images` (images/build-baremetal.sh) first" }
    }
}

/// Boots `image` (relative to the repository) and runs it to a stop.
func boot(_ image: String, el: Int = 2, cpus: Int = 1, semihosting: Bool = true, drives: [Drive] = [],
          limit: UInt64 = 3_000_000_000) throws -> GuestRun {
    let file = Repo.path(image)
    guard FileManager.default.fileExists(atPath: file) else { throw MissingImage.file(image) }
    var config = MachineConfig()
    config.startEL = el
    config.cpus = cpus
    config.semihosting = semihosting
    config.drives = drives
    let m = try Machine(config)
    var out: [UInt8] = []
    m.console = { out.append($0) }
    try m.loadKernel(path: file)
    let stop = m.run(limit: limit)
    let n = m.instructions
    return GuestRun(stop: stop, console: String(decoding: out, as: UTF8.self), instructions: n)
}

/// Starts the hvsim executable with pipes for its standard streams.
func launchHVSim(_ args: [String]) throws -> (process: Process, input: Pipe, output: Pipe, error: Pipe) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: Repo.hvsim)
    p.arguments = args
    let input = Pipe(), out = Pipe(), err = Pipe()
    p.standardInput = input
    p.standardOutput = out
    p.standardError = err
    try p.run()
    return (p, input, out, err)
}

/// Runs the hvsim executable with `input` on its standard input (none: empty); returns
/// (status, stdout, stderr).
func runHVSim(_ args: [String], input: String = "") throws -> (Int32, String, String) {
    let (p, inPipe, out, err) = try launchHVSim(args)
    inPipe.fileHandleForWriting.write(Data(input.utf8))
    try inPipe.fileHandleForWriting.close()
    // Both streams at once: hvsim blocks writing one (a long error report, AddressSanitizer's)
    // while the other is being read to its end.
    final class Collected: @unchecked Sendable { var data = Data() }   // written before `done`, read after
    let e = Collected()
    let done = DispatchSemaphore(value: 0)
    DispatchQueue.global().async { e.data = err.fileHandleForReading.readDataToEndOfFile(); done.signal() }
    let o = out.fileHandleForReading.readDataToEndOfFile()
    done.wait()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e.data, as: UTF8.self))
}

/// Writes `bytes` to a temporary file and expects hvsim, run with `arguments(path)`, to
/// refuse it: status 2 and one error line that mentions `text`.
func expectRefusedFile(_ bytes: [UInt8], _ arguments: (String) -> [String], mentioning text: String) throws {
    let f = FileManager.default.temporaryDirectory.appendingPathComponent("hvsim-refused-\(getpid())").path
    defer { try? FileManager.default.removeItem(atPath: f) }
    try Data(bytes).write(to: URL(fileURLWithPath: f))
    let (status, _, err) = try runHVSim(arguments(f))
    #expect(status == 2, "\(err)")
    #expect(err.hasPrefix("hvsim: error: ") && err.contains(text), "\(err)")
}
