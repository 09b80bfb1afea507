import Emu

/// The block compiler against the interpreter (CompilerCheck): the input picks a random
/// program of the instructions regions compile, then puts its own words in among them
/// (anything at all: what a region does not compile must still leave it the same), and the
/// two CPUs must agree at every step.
enum CompiledFuzz {
    static func run(_ input: [UInt8]) {
        var f = FuzzInput(input)
        let seed = f.u64()
        var g = RandomProgram(seed: seed)
        var words = g.body()
        // Not the last three: the loop's count, its branch back and the RET.
        while !f.isEmpty { words[Int(f.u16()) % (words.count - 3)] = f.u32() }
        guard let o = try? CompilerCheck.compare(words, seed: seed, maxRuns: 3_000) else { fatalError("no CompilerCheck machine") }
        if let d = o.difference { fatalError("compiled and interpreted runs differ (seed \(seed)): \(d)") }
    }
}
