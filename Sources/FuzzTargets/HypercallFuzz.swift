import Foundation
import Emu
import Hypervisor
import Machine

/// Hypercalls from a live domain (the `busy` test guest, 2 vCPUs, on the hosted
/// hypervisor). Each input is up to 32 calls, number 0-63 and x0-x5 each a raw value, a
/// small one or an address in the domain's RAM (where 4 KiB of the input lie). The domain
/// makes them itself: its spin loop is overwritten with a branch to code that loads each
/// call's registers from a table and makes the HVC, as a guest would (registers poked from
/// outside would not survive the hypervisor's context switches). Whatever the calls ask,
/// the hypervisor must answer with Xen's error codes, and the domain run on.
enum HypercallFuzz {
    static let guestRAM: UInt64 = 0x4000_0000, guestRAMSize: UInt64 = 16 << 20
    /// Code, then the table of calls (56 bytes each: x0-x5, x16), then the input's data.
    static let code: UInt64 = 0x40c0_0000, table: UInt64 = 0x40c0_1000, data: UInt64 = 0x40c0_2000
    static let maxCalls = 32

    /// The caller: for each of x10 table entries, load x0-x5 and x16, HVC #0xEA1.
    static let caller = FuzzMachine.words([
        0x1000_8009,    // adr x9, table (code + 0x1000)
        0xd280_000a,    // movz x10, #0 (the count, patched in)
        0xa940_0520,    // loop: ldp x0, x1, [x9]
        0xa941_0d22,    // ldp x2, x3, [x9, #16]
        0xa942_1524,    // ldp x4, x5, [x9, #32]
        0xf940_1930,    // ldr x16, [x9, #48]
        0xd401_d422,    // hvc #0xea1
        0x9100_e129,    // add x9, x9, #56
        0xf100_054a,    // subs x10, x10, #1
        0x54ff_ff21,    // b.ne loop
        0x1400_0000,    // b .
    ])

    nonisolated(unsafe) static let host: FuzzMachine = {
        let image = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("images/cache/xenguest/busy.img").path
        guard FileManager.default.fileExists(atPath: image) else { fatalError("\(image) is missing: run `make images`") }
        var config = MachineConfig()
        config.ramSize = 96 << 20
        do {
            let m = try Machine(config)
            m.console = { _ in }
            var d = DomainConfig(name: "fuzz", memoryKiB: guestRAMSize >> 10, vcpus: 2, kernel: .file(image))
            d.vpl011 = true
            try m.bootHypervisor(HypervisorConfig(pcpus: 1, domains: [d]))
            _ = m.run(limit: 3_000_000)
            return FuzzMachine(m)
        } catch { fatalError("cannot build the hypercall fuzz machine: \(error)") }
    }()

    static func run(_ input: [UInt8]) {
        let m = host.fresh()
        let c = m.cpus[0]
        var f = FuzzInput(input)
        var entries: [UInt64] = []
        while !f.isEmpty && entries.count < maxCalls * 7 {
            let number = UInt64(f.u8() % 64)
            for _ in 0...5 { entries.append(argument(&f)) }
            entries.append(number)
        }
        let calls = entries.count / 7
        guard calls > 0, c.el == 1 else { return }
        var program = caller
        program[4] |= UInt8(truncatingIfNeeded: calls << 5)                  // movz x10, #calls
        program[5] |= UInt8(truncatingIfNeeded: calls >> 3)
        // The guest runs with its MMU off: its addresses are IPAs, which the CPU translates.
        guard let codeAt = c.debugTranslate(code), let tableAt = c.debugTranslate(table) else { fatalError("no guest RAM") }
        try? m.bus.load(program, at: codeAt)
        try? m.bus.load(entries.flatMap { v in (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }, at: tableAt)
        if let dataAt = c.debugTranslate(data) { try? m.bus.load(Array(f.take(0x1000)), at: dataAt) }
        // The spin loop (a few words around the PC) branches to the caller.
        for k in -2...2 {
            let pc = c.pc &+ UInt64(bitPattern: Int64(4 * k))
            guard let at = c.debugTranslate(pc) else { continue }
            let offset = Int64(bitPattern: code &- pc) / 4
            try? m.bus.load(FuzzMachine.words([0x1400_0000 | UInt32(truncatingIfNeeded: offset) & 0x3ff_ffff]), at: at)
        }
        // The calls (10 instructions each) and a few continued pieces of the long ones (each
        // piece re-runs the HVC: one instruction, up to 256 grant operations), then a little
        // of what follows. More pieces would only repeat the first ones, at ASan's pace.
        _ = m.run(limit: UInt64(calls) * 12 + 40)
    }

    static func argument(_ f: inout FuzzInput) -> UInt64 {
        switch f.u8() % 4 {
        case 0: return f.u64()
        case 1: return UInt64(f.u8())
        case 2: return guestRAM + UInt64(f.u32()) % guestRAMSize
        default: return data + UInt64(f.u16()) % 0x1000
        }
    }
}
