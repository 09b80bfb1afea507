import Foundation
import Testing
import Machine

/// Debian's own Xen 4.17 arm64 hypervisor (images/build-xen.sh) run at EL2 on the virt board,
/// as on hardware, with one dom0less Linux domU and no dom0: a check of hvsim's EL2 (stage 2,
/// EL2 system registers, the GICv3 virtual CPU interface, the EL2 timers, PSCI by SMC)
/// against a hypervisor that hvsim did not write. The host device tree is QEMU virt's own
/// (images/xen/mkdtb.sh); images/run-xen-qemu.sh boots the same on QEMU. About 1.3 billion
/// guest instructions, so this runs on the release build.
enum RealXen {
    static let dir = "images/cache/xen"
    static var xen: String { Repo.path("\(dir)/xen") }
    static var dtb: String { Repo.path("\(dir)/host.dtb") }
    /// Where host.dtb's boot modules are (images/build-xen.sh).
    static let kernelAt: UInt64 = 0x4200_0000, ramdiskAt: UInt64 = 0x4600_0000

    static var available: Bool {
        [xen, dtb, LinuxImages.kernel, LinuxImages.initrd].allSatisfy { FileManager.default.fileExists(atPath: $0) }
    }
    static let missing: Comment = "images/cache/xen/{xen,host.dtb} or the Linux guest are missing: run `make images` (images/build-linux.sh, then images/build-xen.sh)"

    static func session() throws -> GuestSession {
        var config = MachineConfig()
        config.startEL = 2
        config.cpus = 2
        config.ramSize = 2 << 30
        var images = BootImages(kernel: xen)
        images.dtb = dtb
        let s = try GuestSession(config: config, boot: images)
        try s.machine.load([
            LoaderFile(path: LinuxImages.kernel, address: kernelAt, bytes: Array(try Data(contentsOf: URL(fileURLWithPath: LinuxImages.kernel)))),
            LoaderFile(path: LinuxImages.initrd, address: ramdiskAt, bytes: Array(try Data(contentsOf: URL(fileURLWithPath: LinuxImages.initrd)))),
        ])
        return s
    }
}

@Suite(.serialized) struct RealXenTests {
    @Test(.enabled(if: RealXen.available, RealXen.missing))
    func debianXenBootsADom0lessLinuxDomUToItsUserspace() throws {
        let s = try RealXen.session()
        try s.waitFor("(XEN) Xen version 4.17", within: 100_000_000)
        try s.waitFor("(XEN) Brought up 2 CPUs", within: 500_000_000)
        try s.waitFor("(XEN) Loading d1 kernel from boot module @ 0000000042000000", within: 500_000_000)
        // The domU's console is Xen's vpl011; Xen prints its lines as "(XEN) DOM1: ...".
        try s.waitFor("DOM1: [    0.000000] Booting Linux", within: 500_000_000)
        try s.waitFor("DOM1: [    0.000000] Xen 4.17 support found", within: 500_000_000)
        try s.waitFor("DOM1: HVSIM-LINUX-READY", within: 3_000_000_000)
        // /init powers off (PSCI SYSTEM_OFF to Xen, which destroys the domain); Xen, with
        // nothing left to run, idles on both pCPUs.
        try s.waitFor("DOM1: [", within: 500_000_000)
        try s.waitFor("reboot: Power down", within: 500_000_000)
        #expect(!s.text.contains("Panic"), "\(s.text.suffix(3000))")
        #expect(s.runToStop(within: 500_000_000) == .deadlock)
    }
}
