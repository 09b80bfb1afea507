import Foundation
import Testing
import Emu
@testable import Machine

/// Outside exact mode too, a run stopped anywhere (an instruction limit, one CPU's count, a
/// guest time, the replay observer) and resumed executes exactly as one that never stopped:
/// `--snapshot-at`, replay fingerprints and `run(until:)` must not change the run they look at.
@Suite(.serialized) struct StopAnywhereTests {
    /// Runs `make()`'s machine to `target` instructions in one go and in many random
    /// pieces; both must stop at the same count in the same state.
    private func compare(_ make: () throws -> Machine, target: UInt64, pieces: ClosedRange<UInt64>,
                         observeEvery: UInt64) throws {
        let straight = try make()
        #expect(straight.run(limit: target) == .instructionLimit)
        let want = (straight.instructions, straight.stateHash(memory: true))

        // Stepping (as for a breakpoint or a trace) and gdb's exact mode take interrupts at
        // the same places as the fast loop, so they follow the same course.
        let stepped = try make()
        for c in stepped.cpus { c.breakpoints = [1] }      // never reached
        #expect(stepped.run(limit: want.0) == .instructionLimit)
        #expect(stepped.instructions == want.0 && stepped.stateHash(memory: true) == want.1)
        let exact = try make()
        exact.exact = true
        #expect(exact.run(limit: want.0) == .instructionLimit)
        #expect(exact.instructions == want.0 && exact.stateHash(memory: true) == want.1)

        let stopped = try make()
        var seen: [UInt64] = []
        stopped.observe(every: observeEvery) { seen.append($0) }
        var rng = SystemRandomNumberGenerator()
        var stops = 0
        while stopped.instructions < target {
            let k = Int.random(in: 0..<stopped.cpus.count, using: &rng)
            if Bool.random(using: &rng) {
                stopped.cpuLimit = (k, stopped.cpus[k].st.pointee.icount + UInt64.random(in: 0...3000, using: &rng))
            }
            let left = target - stopped.instructions
            let stop: StopReason
            if Int.random(in: 0..<4, using: &rng) == 0 {
                stop = stopped.run(limit: left, until: stopped.now + UInt64.random(in: 1...pieces.upperBound, using: &rng))
            } else {
                stop = stopped.run(limit: min(left, UInt64.random(in: pieces, using: &rng)))
            }
            stopped.cpuLimit = nil
            #expect(stop == .instructionLimit || stop == .timeReached, "\(stop)")
            stops += 1
        }
        #expect(stops > 20)
        #expect(stopped.instructions == want.0)
        #expect(stopped.stateHash(memory: true) == want.1)
        // The observer saw each multiple once, at the first block boundary there.
        #expect(seen.count == Int(want.0 / observeEvery))
        for (n, at) in seen.enumerated() {
            #expect(at >= UInt64(n + 1) * observeEvery && at < UInt64(n + 1) * observeEvery + 4096)
        }
    }

    @Test func bareMetalSMPGuest() throws {
        let elf = Repo.path("images/cache/baremetal/smp.elf")
        guard FileManager.default.fileExists(atPath: elf) else { throw MissingImage.file(elf) }
        try compare({
            var config = MachineConfig()
            config.cpus = 3; config.startEL = 2; config.semihosting = true
            config.quantum = 5000
            let m = try Machine(config)
            try m.loadKernel(path: elf)
            return m
        }, target: 1_500_000, pieces: 1...40_000, observeEvery: 65_536)
    }

    /// The first 60 million instructions of a Linux boot on 2 CPUs: timer interrupts, IPIs,
    /// the UART and loops within one page, each stopped in.
    @Test func linuxBootOnTwoCPUs() throws {
        try LinuxImages.require()
        try compare({
            var config = MachineConfig()
            config.cpus = 2; config.ramSize = 1 << 30
            let m = try Machine(config)
            var images = BootImages(kernel: LinuxImages.kernel)
            images.initrd = LinuxImages.initrd
            images.append = "console=ttyAMA0"
            try m.boot(images)
            return m
        }, target: 60_000_000, pieces: 1...500_000, observeEvery: 1 << 20)
    }
}
