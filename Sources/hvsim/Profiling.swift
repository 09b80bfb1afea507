// --profile: the guest profiler (Machine's GuestProfile) from the command line.

import ArgumentParser
import Foundation
import Machine

extension RunOptions {
    static let defaultProfileEvery: UInt64 = 10_000

    func validateProfileOptions() throws {
        if profile == nil && (profileSymbols != nil || profileEvery != RunOptions.defaultProfileEvery) {
            throw ValidationError("--profile-every and --profile-symbols need --profile")
        }
        if profileEvery == 0 { throw ValidationError("--profile-every must be at least 1") }
    }

    func loadProfileSymbols() throws -> SymbolTable? {
        guard let path = profileSymbols else { return nil }
        // Read through a handle, so a pipe (`<(nm vmlinux)`) works too.
        guard let h = FileHandle(forReadingAtPath: path), let text = String(data: h.readDataToEndOfFile(), encoding: .utf8) else {
            throw ValidationError("--profile-symbols \(path): cannot read the file")
        }
        do { return try SymbolTable(text: text, source: path) }
        catch let e as ConfigError { throw ValidationError("--profile-symbols \(e)") }
    }

    /// Attaches the profiler when --profile asks for one (reading --profile-symbols first,
    /// so a bad table stops hvsim before the run).
    func startProfile(_ machine: Machine) throws -> GuestProfile? {
        guard profile != nil else { return nil }
        let symbols = try loadProfileSymbols() ?? machine.kernel.flatMap { SymbolTable(symbols: $0.symbols) }
        let p = GuestProfile(every: profileEvery, symbols: symbols)
        p.attach(to: machine)
        return p
    }

    /// Writes the report to the --profile file and says so on stderr.
    func finishProfile(_ profiler: GuestProfile?) throws {
        guard let p = profiler, let path = profile else { return }
        let report = p.report()
        guard FileManager.default.createFile(atPath: path, contents: Data(report.utf8)) else {
            throw ValidationError("--profile: cannot write \(path)")
        }
        fputs("hvsim: guest profile of \(p.samples) samples written to \(path)\n", stderr)
    }
}
