import Foundation
import Testing
import Machine

/// The bare-metal guests under images/baremetal check exceptions at every EL, stage 1
/// and stage 2 faults (ESR/FAR/HPFAR), TLB maintenance, self-modifying code and code the
/// virtio disk writes over code that ran; they
/// pass on QEMU (images/test-qemu.sh) and must pass on hvsim the same way.
@Suite struct BareMetalGuests {
    @Test(arguments: ["exceptions", "mmu_stage1", "mmu_stage2", "tlb", "interrupts"])
    func guestPasses(_ name: String) throws {
        let r = try boot("images/cache/baremetal/\(name).elf")
        #expect(r.stop == .poweredOff(status: 0), "console:\n\(r.console)")
        #expect(r.console.contains("PASS \(name)"), "console:\n\(r.console)")
        #expect(!r.console.contains("FAIL"))
    }

    /// PSCI CPU_ON/OFF/AFFINITY_INFO, exclusives and LSE atomics under contention, and
    /// cross-CPU code patching, on 2, 4 and 8 CPUs.
    @Test(arguments: [2, 4, 8])
    func smpGuestPasses(_ cpus: Int) throws {
        let r = try boot("images/cache/baremetal/smp.elf", cpus: cpus)
        #expect(r.stop == .poweredOff(status: 0), "console:\n\(r.console)")
        #expect(r.console.contains("PASS smp"), "console:\n\(r.console)")
    }

    /// The virtio disk writes code over a page that ran hot (device DMA, no CPU store), and
    /// the new code runs: what was decoded and compiled from the page is forgotten.
    @Test func codeTheDiskWritesOverCodeThatRanRuns() throws {
        let disk = FileManager.default.temporaryDirectory.appendingPathComponent("hvsim-virtio-code-\(getpid()).img").path
        #expect(FileManager.default.createFile(atPath: disk, contents: Data(count: 64 << 10)))
        defer { try? FileManager.default.removeItem(atPath: disk) }
        let r = try boot("images/cache/baremetal/virtio_code.elf", drives: [Drive(path: disk, readOnly: false)])
        #expect(r.stop == .poweredOff(status: 0), "console:\n\(r.console)")
        #expect(r.console.contains("PASS virtio_code"), "console:\n\(r.console)")
    }

    @Test func smpGuestNeedsSecondCPU() throws {
        let r = try boot("images/cache/baremetal/smp.elf", cpus: 1)
        #expect(r.stop == .poweredOff(status: 1))
    }

    @Test func benchmarksComputeQEMUsResults() throws {
        // The RESULT lines are the ones QEMU prints for the same images.
        let hash = try boot("images/cache/bench/hash.elf")
        #expect(hash.stop == .poweredOff(status: 0))
        #expect(hash.console.contains("RESULT hash passes=2543 hash=0x84f929fe97b138e4"), "\(hash.console)")
        let lz = try boot("images/cache/bench/lz.elf")
        #expect(lz.stop == .poweredOff(status: 0))
        #expect(lz.console.contains("RESULT lz iters=200 size=35673 checksum=0x4ab66a3498b565ec"), "\(lz.console)")
        let mpi = try boot("images/cache/bench/mpi.elf")
        #expect(mpi.stop == .poweredOff(status: 0))
        #expect(mpi.console.contains("RESULT mpi hash=0x615451342293c0a3"), "\(mpi.console)")
    }

    @Test func runsAreDeterministic() throws {
        let a = try boot("images/cache/baremetal/mmu_stage2.elf")
        let b = try boot("images/cache/baremetal/mmu_stage2.elf")
        #expect(a.console == b.console)
        #expect(a.instructions == b.instructions)
    }

    @Test func smcIsUndefinedWhenBootedAtEL1() throws {
        // As on QEMU's virt board without EL2 for the guest: PSCI goes by HVC and SMC
        // is UNDEFINED, which the guest's runtime reports as a failure (status 1).
        let r = try boot("images/cache/bench/hash.elf", el: 1)
        #expect(r.stop == .poweredOff(status: 1))
        #expect(r.console.contains("UNEXPECTED EXCEPTION at EL1 vector=0x200 ESR=0x2000000"), "\(r.console)")
    }
}

/// A guest that takes exceptions forever (UNDEFINED, then an instruction abort at an
/// unmapped vector table, again and again) still uses up its budget: guest time
/// advances and the host is never stuck.
@Suite struct ExceptionLoops {
    @Test func unmappedVectorsDoNotHangTheHost() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hvsim-udf-\(getpid()).bin")
        try Data([0, 0, 0, 0]).write(to: url)   // udf #0 with VBAR_EL1 = 0 (nothing mapped there)
        let m = try Machine(MachineConfig())
        try m.loadKernel(path: url.path, raw: true)
        #expect(m.run(limit: 100_000) == .instructionLimit)
        #expect(m.cpus[0].st.pointee.esrEL1 >> 26 == 0x21)   // instruction abort, same EL
    }
}
