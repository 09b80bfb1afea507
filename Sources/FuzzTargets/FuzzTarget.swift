// One fuzz target per surface where hvsim takes untrusted input (docs/architecture.md,
// "Bad input"). Each takes one input's bytes, starts from a fresh state, and feeds them to
// the code under test: an input may be refused (a thrown error, an error reply, an
// architected fault), never crash or hang the process. The same functions serve libFuzzer
// (the hvsim-fuzz executable, `make fuzz`) and the test suite, which replays the committed
// corpus (Tests/FuzzCorpus/<target>/) through the ordinary test binary.

import Machine

public enum FuzzTarget: String, CaseIterable, Sendable {
    case gdb, xlConfig = "xl-config", dom0less, fdt, kernel, runLog = "run-log", snapshot
    case a64, compiled, devices, hypercall

    /// What the target feeds its input to.
    public var about: String {
        switch self {
        case .gdb: return "gdb remote packets (framing, then the stub's commands) against a small machine"
        case .xlConfig: return "xl.cfg domain files (XLConfig, domainConfig)"
        case .dom0less: return "dom0less host device trees (FDT parser, Dom0less.config)"
        case .fdt: return "device-tree blobs: parse, serialize, parse again (the round trip must hold)"
        case .kernel: return "kernel images: arm64 Image, ELF and raw loaders into 16 MiB of RAM"
        case .runLog: return "record/replay logs (RunLog)"
        case .snapshot: return "snapshot files and machine state (Snapshot, Machine.restoreState), then a run"
        case .a64: return "random A64 code and data at EL2 with random registers: decode and run"
        case .compiled: return "random programs (RandomProgram) with the input's words among them, block-compiled against interpreted"
        case .devices: return "MMIO sequences to every device (GICv3 or GICv2, PL011, PL031, virtio-mmio block, entropy, console) with hostile rings in RAM"
        case .hypercall: return "hypercalls with random x0-x5/x16 from a live domain, then its run"
        }
    }

    /// Inputs the target's code makes (the machine state it starts from), for a corpus:
    /// name and bytes.
    public var seeds: [(String, [UInt8])] {
        switch self {
        case .snapshot:
            let file = try? Snapshot(header: Snapshot.Header(arguments: [], files: [], instructions: 0), state: SnapshotFuzz.seed).encoded()
            return [("state", SnapshotFuzz.seed)] + (file.map { [("file", $0)] } ?? [])
        default: return []
        }
    }

    /// Runs one input.
    public func run(_ input: [UInt8]) {
        switch self {
        case .gdb: GdbFuzz.run(input)
        case .xlConfig: ParserFuzz.xlConfig(input)
        case .dom0less: ParserFuzz.dom0less(input)
        case .fdt: ParserFuzz.fdt(input)
        case .kernel: ParserFuzz.kernel(input)
        case .runLog: ParserFuzz.runLog(input)
        case .snapshot: SnapshotFuzz.run(input)
        case .a64: A64Fuzz.run(input)
        case .compiled: CompiledFuzz.run(input)
        case .devices: DeviceFuzz.run(input)
        case .hypercall: HypercallFuzz.run(input)
        }
    }
}

/// Reads an input a field at a time; past its end every field reads as zero, so any
/// input is a valid sequence of fields.
struct FuzzInput {
    let bytes: [UInt8]
    var at = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isEmpty: Bool { at >= bytes.count }

    mutating func u8() -> UInt8 {
        defer { at += 1 }
        return at < bytes.count ? bytes[at] : 0
    }

    mutating func u16() -> UInt16 { UInt16(u8()) | UInt16(u8()) << 8 }
    mutating func u32() -> UInt32 { UInt32(u16()) | UInt32(u16()) << 16 }
    mutating func u64() -> UInt64 { UInt64(u32()) | UInt64(u32()) << 32 }

    /// Up to `n` bytes (fewer at the end of the input).
    mutating func take(_ n: Int) -> ArraySlice<UInt8> {
        let start = min(at, bytes.count), end = min(start + n, bytes.count)
        at = end
        return bytes[start..<end]
    }
}
