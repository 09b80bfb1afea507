// The fuzz driver. Built with -sanitize=fuzzer and -DFUZZING (`make fuzz`), it is a
// libFuzzer binary running the target HVSIM_FUZZ_TARGET names. Built plainly, it lists the
// targets (--list), writes the seeds the targets' code makes into a corpus (--seeds DIR),
// or runs the given input files through one: `hvsim-fuzz TARGET FILE...`.

import Foundation
import FuzzTargets

#if FUZZING
import CFuzzDriver

nonisolated(unsafe) var target = FuzzTarget.gdb

/// libFuzzer's callback: one input through the target.
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    target.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

@main enum FuzzMain {
    static func main() {
        let name = ProcessInfo.processInfo.environment["HVSIM_FUZZ_TARGET"] ?? ""
        guard let t = FuzzTarget(rawValue: name) else {
            fputs("hvsim-fuzz: set HVSIM_FUZZ_TARGET to one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))\n", stderr)
            exit(2)
        }
        target = t
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOne(data, size) })
    }
}
#else
@main enum FuzzMain {
    static func main() {
        let args = Array(CommandLine.arguments.dropFirst())
        if args == ["--list"] {
            for t in FuzzTarget.allCases { print("\(t.rawValue)\t\(t.about)") }
            return
        }
        if args.count == 2, args[0] == "--seeds" {
            for t in FuzzTarget.allCases {
                for (name, bytes) in t.seeds {
                    let path = "\(args[1])/\(t.rawValue)/\(name)"
                    guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { fputs("hvsim-fuzz: cannot write \(path)\n", stderr); exit(2) }
                    print(path)
                }
            }
            return
        }
        guard let name = args.first, let t = FuzzTarget(rawValue: name) else {
            fputs("usage: hvsim-fuzz --list | --seeds DIR | TARGET FILE...\n", stderr)
            exit(2)
        }
        for file in args.dropFirst() {
            guard let d = FileManager.default.contents(atPath: file) else { fputs("hvsim-fuzz: cannot read \(file)\n", stderr); exit(2) }
            t.run(Array(d))
            print("\(file): ok")
        }
    }
}
#endif
