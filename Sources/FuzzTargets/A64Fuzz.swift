import Emu
import Machine

/// Random code and data in the first 64 KiB of RAM, run from there at EL2 (where every
/// system register can be written, so MMU, trap and exception settings come from the
/// input too) with registers from the input: decode, the interpreter and, for inputs
/// whose first byte is odd, the block compiler from the first block start.
enum A64Fuzz {
    nonisolated(unsafe) static let host = FuzzMachine.make(FuzzMachine.spin, "a64", el: 2)

    static func run(_ input: [UInt8]) {
        let m = host.fresh()
        var f = FuzzInput(input)
        let flags = f.u8()
        let c = m.cpus[0]
        c.reset(entry: VirtBoard.ram.base, el: 2)
        c.st.pointee.cntfrq = m.config.counterFrequency
        c.compileBlocks = flags & 1 != 0
        c.compileThreshold = 0
        var mix = SplitMix64(seed: f.u64())
        for r in 0..<31 {
            let v = mix.next()
            switch v & 3 {
            case 0: c[r] = VirtBoard.ram.base + (v >> 8) % 0x1_0000 & ~7      // in the input's RAM
            case 1: c[r] = v >> 56
            default: c[r] = v
            }
        }
        let body = f.take(0x1_0000)
        body.withUnsafeBytes { b in
            guard let p = m.bus.host(VirtBoard.ram.base) else { fatalError("no RAM") }
            if let s = b.baseAddress { p.copyMemory(from: s, byteCount: b.count) }
        }
        m.bus.hostWrote(VirtBoard.ram.base..<(VirtBoard.ram.base + UInt64(body.count)))
        _ = m.run(limit: 3_000)
    }
}
