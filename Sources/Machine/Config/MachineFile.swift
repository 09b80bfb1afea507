// The machine file: same xl.cfg syntax, naming the pCPUs, the scheduler and the domain
// files (hvsim's own; the scheduler keys are Xen's boot options: sched=,
// credit2_runqueue=, sched_ratelimit_us=, docs/misc/xen-command-line.markdown).
//
//     pcpus = 2
//     sched = "credit2"            # or "null"
//     credit2_runqueue = "all"     # "cpu": one runqueue per pCPU
//     domains = [ "d1.cfg", "d2.cfg" ]

import Foundation
import Hypervisor

public enum MachineFile {
    static let keys: Set<String> = ["pcpus", "sched", "credit2_runqueue", "sched_ratelimit_us", "domains"]

    /// Reads a machine file and the domain files it names (relative to its directory).
    public static func load(_ path: String) throws -> (config: HypervisorConfig, warnings: [String]) {
        let file = URL(fileURLWithPath: path).standardizedFileURL.path
        return try load(try XLConfig(contentsOf: file))
    }

    /// Builds the configuration from a parsed machine file, reading its domain files.
    public static func load(_ machine: XLConfig) throws -> (config: HypervisorConfig, warnings: [String]) {
        var warnings: [String] = []
        for s in machine.settings where !keys.contains(s.key) {
            warnings.append("\(machine.file):\(s.line):\(s.column): '\(s.key)' is unknown; ignored")
        }
        let pcpus = try machine.integer("pcpus") ?? 1
        let pr = HypervisorConfig.pcpuRange
        guard pr.contains(pcpus) else { throw machine.error(machine["pcpus"]!, "pcpus: \(pcpus) is outside \(pr.lowerBound)...\(pr.upperBound)") }
        var scheduler = SchedulerKind.credit2
        if let s = machine["sched"] {
            let name = try machine.string("sched")!
            guard let k = SchedulerKind(rawValue: name) else {
                throw machine.error(s, "sched: '\(name)' is not one of \(SchedulerKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            scheduler = k
        }
        var config = HypervisorConfig(pcpus: pcpus, scheduler: scheduler, domains: [])
        if let s = machine["credit2_runqueue"] {
            // hvsim's machine is one socket, one node, one thread per core.
            switch try machine.string("credit2_runqueue")! {
            case "cpu", "core": config.pcpusPerRunqueue = 1
            case "socket", "node", "all": config.pcpusPerRunqueue = nil
            case let other: throw machine.error(s, "credit2_runqueue: '\(other)' is not one of cpu, core, socket, node, all")
            }
        }
        if let r = try machine.integer("sched_ratelimit_us") {
            let rr = HypervisorConfig.ratelimitRange
            guard rr.contains(r) else { throw machine.error(machine["sched_ratelimit_us"]!, "sched_ratelimit_us: \(r) is outside \(rr.lowerBound)...\(rr.upperBound)") }
            config.ratelimitMicroseconds = r
        }
        guard let list = machine["domains"], let names = try machine.strings("domains"), !names.isEmpty else {
            throw ConfigError(machine.file, "missing 'domains' (a list of domain files)")
        }
        var seen: [String: String] = [:]
        for name in names {
            let path = machine.absolute(name)
            guard FileManager.default.fileExists(atPath: path) else {
                throw machine.error(list, "domains: no such file '\(name)' (\(path))")
            }
            let xl = try XLConfig(contentsOf: path)
            var (d, w) = try xl.domainConfig()
            warnings += w
            if let other = seen[d.name] { throw ConfigError(path, "domain name '\(d.name)' is also used by \(other)") }
            seen[d.name] = path
            if let cpus = d.cpus, let bad = cpus.first(where: { $0 >= pcpus }) {
                throw xl.error(xl["cpus"]!, "cpus: pCPU \(bad) does not exist (the machine has \(pcpus))")
            }
            d.cpus = d.cpus.flatMap { $0.count == pcpus ? nil : $0 }
            config.domains.append(d)
        }
        let vcpus = config.domains.reduce(0) { $0 + $1.vcpus }
        if scheduler == .null && vcpus > pcpus {
            warnings.append("\(machine.file): the null scheduler runs one vCPU per pCPU: \(vcpus - pcpus) of \(vcpus) vCPUs wait for a free pCPU")
        }
        return (config, warnings)
    }
}
