import Testing
import Foundation
@testable import Machine
import Hypervisor

/// The hosted Swift hypervisor running real bare-metal Xen domUs (images/xenguest).
@Suite(.serialized) struct HostedHypervisorTests {
    static var images: String { Repo.path("images/cache/xenguest") }

    static func guest(_ name: String) throws -> String {
        let p = images + "/" + name + ".img"
        guard FileManager.default.fileExists(atPath: p) else {
            throw LoadError("\(p) is missing: run images/build-xenguests.sh (make images)")
        }
        return p
    }

    /// A domain of the bare-metal test guest `name` (16 MiB) with a vpl011 console.
    static func consoleGuest(_ name: String, vcpus: Int) throws -> DomainConfig {
        var d = DomainConfig(name: name, memoryKiB: 16 << 10, vcpus: vcpus, kernel: .file(try guest(name)))
        d.vpl011 = true
        return d
    }

    /// Boots `domains` on `pcpus` pCPUs and runs until every domain stopped (or the limit).
    static func run(_ domains: [DomainConfig], pcpus: Int = 1, ram: UInt64 = 256 << 20,
                    limit: UInt64 = 50_000_000) throws -> (Machine, StopReason, String) {
        var mc = MachineConfig()
        mc.cpus = pcpus
        mc.ramSize = ram
        let m = try Machine(mc)
        var out: [UInt8] = []
        m.console = { out.append($0) }
        try m.bootHypervisor(HypervisorConfig(pcpus: pcpus, domains: domains))
        let stop = m.run(limit: limit)
        return (m, stop, String(decoding: out, as: UTF8.self))
    }

    @Test func helloDomainRunsHypercallsAndPowersOff() throws {
        let (m, stop, out) = try Self.run([try Self.consoleGuest("hello", vcpus: 1)])
        #expect(out.contains("[hello] xenguest hello: started"), "\(out)")
        #expect(out.contains("[hello] xen_version 4.12"))
        #expect(out.contains("[hello] console_io says hello"))
        #expect(out.contains("[hello] xenguest hello: PASS"), "\(out)")
        #expect(stop == .poweredOff(status: 0))
        #expect(m.hypervisor?.domains.first?.state == .shutdown(reason: 0))
    }
}

/// Debian's arm64 Linux (6.1) as domUs of the hosted hypervisor, driven over their vpl011
/// consoles: the kernel finds Xen 4.12 and uses its grant tables, 2-level event channels and
/// PSCI; about a billion guest instructions per boot, so these run on the release build.
@Suite(.serialized) struct LinuxDomUTests {
    static func domain(_ name: String, vcpus: Int, extra: String = "") throws -> DomainConfig {
        try LinuxImages.require()
        var d = DomainConfig(name: name, memoryKiB: 384 << 10, vcpus: vcpus, kernel: .file(LinuxImages.kernel))
        d.ramdisk = .file(LinuxImages.initrd)
        d.bootargs = "console=ttyAMA0" + extra
        return d
    }

    /// Runs until `done` holds (checked every few million instructions) or the limit.
    static func run(_ m: Machine, until done: () -> Bool, limit: UInt64 = 8_000_000_000) -> StopReason? {
        let start = m.instructions
        while m.instructions - start < limit {
            let stop = m.run(limit: 5_000_000)
            if done() { return nil }
            if stop != .instructionLimit { return stop }
        }
        return .instructionLimit
    }

    /// Types `line` into domain `name`'s console and waits for the shell prompt after it.
    static func command(_ m: Machine, _ name: String, _ line: String) -> String {
        m.hypervisor?.focus(domain: name)
        let before = m.domainConsoles.output(of: name).count
        m.type(Array((line + "\n").utf8))
        _ = run(m, until: { m.domainConsoles.output(of: name).dropFirst(before).contains("\n/ # ") }, limit: 2_000_000_000)
        return String(m.domainConsoles.output(of: name).dropFirst(before))
    }

    static func machine(_ domains: [DomainConfig], pcpus: Int) throws -> Machine {
        var mc = MachineConfig()
        mc.cpus = pcpus
        mc.ramSize = UInt64(domains.count) * (384 << 20) + (128 << 20)
        let m = try Machine(mc)
        try m.bootHypervisor(HypervisorConfig(pcpus: pcpus, domains: domains))
        return m
    }

    @Test func linuxDomUWithTwoVCPUsAnswersOnItsConsole() throws {
        let m = try Self.machine([try Self.domain("deb", vcpus: 2)], pcpus: 2)
        let ready = Self.run(m, until: { m.domainConsoles.output(of: "deb").contains("\n/ # ") })
        let boot = m.domainConsoles.output(of: "deb")
        #expect(ready == nil, "\(boot)")
        #expect(boot.contains("Xen 4.12 support found"))
        #expect(boot.contains("Grant tables using version 1 layout"))
        #expect(boot.contains("xen:events: Using 2-level ABI"))
        #expect(boot.contains("HVSIM-LINUX-READY"))
        #expect(Self.command(m, "deb", "nproc").contains("\n2\r\n"))
        let irqs = Self.command(m, "deb", "cat /proc/interrupts")
        #expect(irqs.contains("arch_timer") && irqs.contains("uart-pl011") && irqs.contains("IPI"), "\(irqs)")
        let cpus = Self.command(m, "deb", "dmesg | grep -c 'Xen: initializing cpu'")
        #expect(cpus.contains("\n2\r\n"), "\(cpus)")
        m.hypervisor?.focus(domain: "deb")
        m.type(Array("poweroff -f\n".utf8))
        let stop = Self.run(m, until: { m.hypervisor?.allDomainsStopped == true })
        #expect(stop == nil || stop == .poweredOff(status: 0))
        #expect(m.hypervisor?.domains[0].state == .shutdown(reason: 0))
    }

    /// vCPUs in three affinity clusters (Aff1 0-2; Xen's layout, CPUAffinity): Linux brings
    /// each up with PSCI CPU_ON by the MPIDR in its device tree and reaches every one with
    /// SGIs, which a boot with vCPU 32 and up unreachable (as they were) does not survive.
    @Test func linuxDomUWith34VCPUs() throws {
        let m = try Self.machine([try Self.domain("wide", vcpus: 34)], pcpus: 2)
        let ready = Self.run(m, until: { m.domainConsoles.output(of: "wide").contains("\n/ # ") }, limit: 4_000_000_000)
        let boot = m.domainConsoles.output(of: "wide")
        #expect(ready == nil, "\(boot.suffix(3000))")
        #expect(boot.contains("smp: Brought up 1 node, 34 CPUs"), "\(boot.suffix(3000))")
        #expect(boot.contains("CPU33: Booted secondary processor 0x0000000201"), "\(boot.suffix(3000))")
        #expect(Self.command(m, "wide", "nproc").contains("\n34\r\n"))
        // The last vCPU took IPIs (SGIs): its column of /proc/interrupts (fields 2-35 are
        // CPU0-CPU33), summed over the IPI lines.
        let ipis = Self.command(m, "wide", "awk '/^ *IPI/ {s+=$35} END {print \"last:\" s}' /proc/interrupts")
        let taken = ipis.components(separatedBy: "last:").last.flatMap { Int($0.prefix { $0.isNumber }) } ?? 0
        #expect(taken > 0, "\(ipis)")
        print("34 vCPUs: IPIs taken by CPU33: \(taken)")
    }

    @Test func twoLinuxDomUsOnTwoPCPUs() throws {
        let m = try Self.machine([try Self.domain("red", vcpus: 1), try Self.domain("blue", vcpus: 1)], pcpus: 2)
        let both = { ["red", "blue"].allSatisfy { m.domainConsoles.output(of: $0).contains("\n/ # ") } }
        let ready = Self.run(m, until: both, limit: 12_000_000_000)
        #expect(ready == nil, "\(m.domainConsoles.output(of: "red"))\n---\n\(m.domainConsoles.output(of: "blue"))")
        #expect(Self.command(m, "red", "echo I am red").contains("I am red"))
        #expect(Self.command(m, "blue", "echo I am blue").contains("I am blue"))
        // Each console shows only its own domain's commands.
        #expect(!m.domainConsoles.output(of: "red").contains("I am blue"))
        for name in ["red", "blue"] {
            m.hypervisor?.focus(domain: name)
            m.type(Array("poweroff -f\n".utf8))
            _ = Self.run(m, until: { m.hypervisor?.domains.first { $0.name == name }?.state != .running })
        }
        #expect(m.hypervisor?.domains.allSatisfy { $0.state == .shutdown(reason: 0) } == true)
    }

    /// A hostile bare-metal domU (wild accesses, garbage hypercalls, SGI and event storms)
    /// next to a Linux domU, which still boots and answers.
    @Test func linuxBootsNextToAHostileDomU() throws {
        let hostile = HostedHypervisorTests.images + "/hostile.img"
        guard FileManager.default.fileExists(atPath: hostile) else { throw LoadError("\(hostile) is missing: run images/build-xenguests.sh") }
        let bad = DomainConfig(name: "hostile", memoryKiB: 16 << 10, vcpus: 2, kernel: .file(hostile))
        let m = try Self.machine([try Self.domain("deb", vcpus: 1), bad], pcpus: 2)
        let ready = Self.run(m, until: { m.domainConsoles.output(of: "deb").contains("\n/ # ") })
        #expect(ready == nil, "\(m.domainConsoles.output(of: "deb").suffix(2000))")
        #expect(Self.command(m, "deb", "echo still here").contains("still here"))
        let h = m.domainConsoles.output(of: "hostile")
        #expect(h.contains("hostile: round 1 "), "\(h.suffix(1000))")
        #expect(!h.contains("FAIL"), "\(h.suffix(1000))")
        let state = m.hypervisor?.domains[1].state
        switch state {
        case .running?, .crashed?: break                 // still storming, or stopped alone
        case .shutdown(reason: 0)?: #expect(h.contains("hostile: survived, PASS"), "\(h.suffix(1000))")
        default: Issue.record("hostile domain: \(String(describing: state))")
        }
        m.hypervisor?.focus(domain: "deb")
        m.type(Array("poweroff -f\n".utf8))
        _ = Self.run(m, until: { m.hypervisor?.domains[0].state != .running })
        #expect(m.hypervisor?.domains[0].state == .shutdown(reason: 0))
    }
}
