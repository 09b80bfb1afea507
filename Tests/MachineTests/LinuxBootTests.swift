import Foundation
import Testing
import Machine

/// Debian's own arm64 kernel with the busybox initramfs (images/build-linux.sh), booted on
/// the virt board and driven over its serial port through `GuestSession`.
enum LinuxImages {
    static let dir = "images/cache/linux"
    static var kernel: String { Repo.path("\(dir)/Image") }
    static var initrd: String { Repo.path("\(dir)/initramfs.cpio.gz") }
    static var disk: String { Repo.path("\(dir)/disk.img") }
    static let marker = "HVSIM-LINUX-READY"

    static func require() throws {
        for f in [kernel, initrd, disk] where !FileManager.default.fileExists(atPath: f) {
            throw MissingImage.file(f + " (run `make images`: images/build-linux.sh)")
        }
    }

    static func session(cpus: Int, append: String = "console=ttyAMA0", drive: String? = nil, readOnly: Bool = false,
                        gic: Int = 3, compileBlocks: Bool = true) throws -> GuestSession {
        try require()
        var config = MachineConfig()
        config.cpus = cpus
        config.compileBlocks = compileBlocks
        config.gicVersion = gic
        config.ramSize = 1 << 30
        if let d = drive { config.drives = [Drive(path: d, readOnly: readOnly)] }
        var images = BootImages(kernel: kernel)
        images.initrd = initrd
        images.append = append
        return try GuestSession(config: config, boot: images)
    }
}

/// Runs a host command and returns its standard output.
func host(_ tool: String, _ args: [String]) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = [tool] + args
    let pipe = Pipe()
    p.standardOutput = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

@Suite(.serialized) struct LinuxBootTests {
    @Test func shellOnTwoCPUsWithVirtioDisk() throws {
        try LinuxImages.require()
        // The guest writes to the disk: work on a copy.
        let disk = FileManager.default.temporaryDirectory.appendingPathComponent("hvsim-disk-\(getpid()).img").path
        try? FileManager.default.removeItem(atPath: disk)
        try FileManager.default.copyItem(atPath: LinuxImages.disk, toPath: disk)
        defer { try? FileManager.default.removeItem(atPath: disk) }
        let hostSum = try host("sha256sum", [disk]).prefix(64)

        let s = try LinuxImages.session(cpus: 2, drive: disk)
        try s.waitFor(LinuxImages.marker)
        try s.waitFor("# ")

        let uname = try s.command("uname -a")
        #expect(uname.contains("Linux") && uname.contains("aarch64"), "\(uname)")
        let nproc = try s.command("nproc")
        #expect(nproc.trimmingCharacters(in: .whitespacesAndNewlines) == "2", "\(Array(nproc.utf8))")

        // Timer interrupts on both CPUs, and the UART's.
        let interrupts = try s.command("cat /proc/interrupts")
        let timer = interrupts.split(separator: "\n").first { $0.contains("arch_timer") }
        let counts = timer.map { $0.split(separator: " ").dropFirst().prefix(2).compactMap { Int($0) } } ?? []
        #expect(counts.count == 2 && counts.allSatisfy { $0 > 0 }, "\(interrupts)")
        let uart = interrupts.split(separator: "\n").first { $0.contains("pl011") }
        let uartCount = uart.map { $0.split(separator: " ").dropFirst().prefix(2).compactMap { Int($0) }.reduce(0, +) } ?? 0
        #expect(uartCount > 0, "\(interrupts)")

        // The whole disk read through virtio-blk hashes as on the host.
        let guestSum = try s.command("sha256sum /dev/vda")
        #expect(guestSum.hasPrefix(String(hostSum)), "guest \(guestSum) host \(hostSum)")
        #expect(try s.command("mount /dev/vda /mnt && cat /mnt/hello.txt").contains("hello"))
        _ = try s.command("echo written-by-the-guest > /mnt/guest.txt && umount /mnt && sync")

        // The virtio entropy device feeds /dev/hwrng; the virtio console is /dev/hvc0.
        #expect(try s.command("cat /sys/class/misc/hw_random/rng_current").contains("virtio_rng"))
        #expect(try s.command("head -c 4096 /dev/hwrng | wc -c").contains("4096"))
        _ = try s.command("echo through-the-virtio-console > /dev/hvc0")
        #expect(s.text.contains("through-the-virtio-console\r\n") || s.text.contains("through-the-virtio-console\n"))

        s.type("poweroff -f\n")
        #expect(s.runToStop() == .poweredOff(status: 0))
        let found = try host("debugfs", ["-R", "cat /guest.txt", disk])
        #expect(found.contains("written-by-the-guest"), "\(found)")
    }

    /// Code the disk brings in over code that already ran: 32 different programs from the
    /// ext4 disk, run in turns, with the page cache dropped between turns, so each program's
    /// text arrives by virtio-blk DMA into pages that held (and hvsim decoded or compiled)
    /// other programs'. Every program must print its own value each time: DMA forgets the
    /// decoded code of the pages it fills (Bus.hostWrote), and CTR_EL0 says the guest
    /// need not invalidate its I-cache.
    @Test func programsRunFromTheDiskAfterDroppingCaches() throws {
        // init_on_alloc=0: Debian's kernel zeroes every page it hands out, and those stores
        // would forget the decoded code before the disk's data arrives.
        let s = try LinuxImages.session(cpus: 2, append: "console=ttyAMA0 init_on_alloc=0", drive: LinuxImages.disk, readOnly: true)
        try s.waitFor(LinuxImages.marker)
        try s.waitFor("# ")
        _ = try s.command("mount -o ro /dev/vda /mnt")
        let turns = 12
        let out = try s.command("for t in $(seq \(turns)); do for i in $(seq 32); do /mnt/bin/p$(( (i * 7 + t * 5) % 32 + 1 )); done; "
                                + "echo 3 > /proc/sys/vm/drop_caches; done 2>&1 | sort | uniq -c")
        func value(_ id: UInt64) -> UInt64 { id &* 0x9e37_79b9_7f4a_7c15 ^ id << 17 }
        var expected = Set<String>()
        for id in 1...UInt64(32) { expected.insert("\(turns) p\(id)=\(value(id))") }
        let lines = Set(out.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.contains("=") })
        #expect(lines == expected, "wrong or missing: \(lines.subtracting(expected).sorted()) \(expected.subtracting(lines).sorted())")
        s.type("poweroff -f\n")
        #expect(s.runToStop() == .poweredOff(status: 0))
    }

    /// The same kernel on a GICv2 board (`--gic 2`) with two CPUs.
    @Test func bootsWithGICv2() throws {
        let s = try LinuxImages.session(cpus: 2, append: "console=ttyAMA0 hvsim.poweroff", gic: 2)
        #expect(s.runToStop() == .poweredOff(status: 0))
        #expect(s.text.contains(LinuxImages.marker))
        #expect(s.text.contains("smp: Brought up 1 node, 2 CPUs"))
        #expect(!s.text.contains("GICv3"))
    }

    /// Two boots with the same inputs: the same console bytes, instruction count and final
    /// state. The second interprets every instruction: compiling hot blocks to host code
    /// (Emu/Compile) must change nothing.
    @Test func bootIsDeterministic() throws {
        func boot(compile: Bool) throws -> (String, UInt64, UInt64) {
            let s = try LinuxImages.session(cpus: 2, append: "console=ttyAMA0 hvsim.poweroff", compileBlocks: compile)
            let stop = s.runToStop()
            #expect(stop == .poweredOff(status: 0))
            #expect(s.text.contains(LinuxImages.marker))
            return (s.text, s.machine.instructions, s.machine.stateHash(memory: true))
        }
        let (a, n, h) = try boot(compile: true)
        let (b, m, k) = try boot(compile: false)
        #expect(a == b)
        #expect(n == m)
        #expect(h == k)
    }
}
