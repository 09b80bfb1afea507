import Testing
import Foundation
@testable import Machine
import Hypervisor

/// The hosted Swift hypervisor running real bare-metal Xen domUs (images/xenguest).
@Suite(.serialized) struct HostedHypervisorTests {
    static let images = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../images/cache/xenguest").standardized.path

    static func guest(_ name: String) throws -> String {
        let p = images + "/" + name + ".img"
        guard FileManager.default.fileExists(atPath: p) else {
            throw LoadError("\(p) is missing: run images/build-xenguests.sh (make images)")
        }
        return p
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
        var d = DomainConfig(name: "hello", memoryKiB: 16 << 10, vcpus: 1, kernel: .file(try Self.guest("hello")))
        d.vpl011 = true
        let (m, stop, out) = try Self.run([d])
        #expect(out.contains("[hello] xenguest hello: started"), "\(out)")
        #expect(out.contains("[hello] xen_version 4.12"))
        #expect(out.contains("[hello] console_io says hello"))
        #expect(out.contains("[hello] xenguest hello: PASS"), "\(out)")
        #expect(stop == .poweredOff(status: 0))
        #expect(m.hypervisor?.domains.first?.state == .shutdown(reason: 0))
    }
}

/// Debian's arm64 Linux as a domU of the hosted hypervisor (release builds only: it runs
/// about a billion guest instructions).
@Suite(.serialized) struct LinuxDomUTests {
    static let linux = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../images/cache/linux").standardized.path

    @Test func linuxBootsAsDomU() throws {
        var d = DomainConfig(name: "linux", memoryKiB: 512 << 10, vcpus: 1, kernel: .file(Self.linux + "/Image"))
        d.ramdisk = .file(Self.linux + "/initramfs.cpio.gz")
        d.bootargs = "console=ttyAMA0 hvsim.poweroff"
        let limit = UInt64(ProcessInfo.processInfo.environment["HVSIM_LIMIT"] ?? "") ?? 3_000_000_000
        let (m, stop, out) = try HostedHypervisorTests.run([d], ram: 768 << 20, limit: limit)
        print(out)
        print(stop, m.instructions, m.now)
        print(m.hypervisor?.stateDescription ?? "")
        #expect(out.contains("HVSIM-LINUX-READY"))
        #expect(stop == .poweredOff(status: 0))
    }
}
