import Foundation
import Testing
@testable import Emu
import Machine

// Differential tests of the A64 interpreter against qemu-aarch64-static.
//
// images/difftest/build.sh generates, for every group, a static AArch64 Linux program
// (images/difftest/gen.py) that runs a few hundred single-instruction cases and writes
// every case's resulting X0..X30, NZCV and scratch buffer to stdout; it runs the program
// under `qemu-aarch64-static -cpu max` to get the reference output (case_<group>.ref).
// Here the same ELF runs in hvsim's user-mode emulation (EL0, MMU off, SVC exits to
// us: we serve write and exit) and the outputs must be byte-identical.
//
// Output layout (see gen.py): "HVDIFF01", u64 cases, u64 record size, u64 buffer size,
// then records[cases] (x0..x30, nzcv as u64), then buffers[cases]. The FP/SIMD groups
// (gen_fp.py) write "HVDIFF02" records that add v0..v31 (16 bytes each), FPSR and FPCR.

@Suite(.serialized)
struct DifferentialTests {
    static let groups = ["dp_imm", "dp_reg", "ldst", "branch", "atomic", "sys", "fused",
                         "fp_ldst", "fp_scalar", "fp_cvt", "simd_fp", "simd_int", "simd_misc", "simd_perm",
                         "simd_rand"]

    @Test("hvsim matches qemu-aarch64-static", arguments: groups)
    func group(_ name: String) throws {
        let files = DiffFiles(group: name)
        if let missing = files.missing() {
            Issue.record(Comment(rawValue:
                "\(missing) is missing: run images/difftest/build.sh (needs gcc-aarch64-linux-gnu and qemu-user-static)"))
            return
        }
        if let stale = files.stale() {
            Issue.record(Comment(rawValue: "\(stale): run images/difftest/build.sh"))
            return
        }
        let ref = try Loader.readFile(files.ref)
        let texts = try files.caseTexts()
        let run = try DiffRun(elf: files.elf)
        let report = DiffReport(group: name, texts: texts, ref: ref, run: run)
        if let problem = report.problem {
            try? problem.write(toFile: files.report, atomically: true, encoding: .utf8)
            Issue.record(Comment(rawValue: problem + "\n(full report: \(files.report))"))
        } else {
            try? FileManager.default.removeItem(atPath: files.report)
        }
    }

    /// The fused group decodes every fused pair the interpreter has (else it tests less
    /// than it claims), and gives the reference's output when stepped one instruction at a
    /// time too, where a fused slot runs its first instruction alone.
    @Test func fusedPairsAllRunAndStep() throws {
        let files = DiffFiles(group: "fused")
        guard files.missing() == nil, files.stale() == nil else {
            Issue.record("case_fused files are missing or stale: run images/difftest/build.sh")
            return
        }
        let ref = try Loader.readFile(files.ref)
        let texts = try files.caseTexts()
        let fast = try DiffRun(elf: files.elf)
        let missing = Fusion.fusedOps.filter { !fast.decodedOps.contains($0) }
        #expect(missing.isEmpty, "fused ops never decoded by the fused group: \(missing)")
        let stepped = try DiffRun(elf: files.elf, stepping: true)
        #expect(!stepped.decodedOps.isDisjoint(with: Fusion.fusedOps))
        let report = DiffReport(group: "fused (stepping)", texts: texts, ref: ref, run: stepped)
        #expect(report.problem == nil, "\(report.problem ?? "")")
    }
}

// MARK: - Files

struct DiffFiles {
    static let root: String = {
        // <root>/Tests/DiffTests/DifferentialTests.swift
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()
    static var dir: String { root + "/images/cache/difftest" }

    let group: String
    var elf: String { "\(Self.dir)/case_\(group).elf" }
    var ref: String { "\(Self.dir)/case_\(group).ref" }
    var txt: String { "\(Self.dir)/case_\(group).txt" }
    var report: String { "\(Self.dir)/case_\(group).report" }

    func missing() -> String? {
        [elf, ref, txt].first { !FileManager.default.fileExists(atPath: $0) }
    }

    /// Why the generated files are out of date with gen.py, if they are.
    func stale() -> String? {
        let fm = FileManager.default
        func mtime(_ p: String) -> Date? { (try? fm.attributesOfItem(atPath: p))?[.modificationDate] as? Date }
        for script in ["gen.py", "gen_fp.py"] {
            guard let gen = mtime(Self.root + "/images/difftest/" + script) else { continue }
            for f in [elf, ref, txt] {
                if let t = mtime(f), t < gen { return "\(f) is older than images/difftest/\(script)" }
            }
        }
        return nil
    }

    /// Instruction text of each case, from case_<group>.txt ("<n>\t<text>" lines).
    func caseTexts() throws -> [String] {
        let s = try String(contentsOfFile: txt, encoding: .utf8)
        return s.split(separator: "\n").map { line in
            let parts = line.split(separator: "\t", maxSplits: 1)
            return parts.count == 2 ? String(parts[1]) : String(line)
        }
    }
}

// MARK: - Running the program in hvsim

/// The test program run to completion in hvsim's user-mode emulation.
struct DiffRun {
    static let ramBase: UInt64 = 0x40_0000
    static let ramSize: UInt64 = 16 << 20
    static let budget: UInt64 = 50_000_000

    var output: [UInt8] = []
    var exitStatus: UInt64? = nil
    /// Problems that stopped the run (unexpected syscall, fault outside a case, runaway).
    var fatal: [String] = []
    /// Cases whose instruction raised an exception in hvsim: case -> description.
    var faults: [Int: String] = [:]
    /// Initial register values per case, read from the program's init_tab: x0..x30, nzcv,
    /// and for FP/SIMD records v0..v31 (low, high), FPSR, FPCR.
    var inputs: [[UInt64]] = []
    /// Initial scratch buffers (concatenated), read from the program before it ran.
    var initialBuffers: [UInt8] = []

    /// Every op in the decoded code pages at the end (fused ops included).
    var decodedOps: Set<Op> = []

    /// With `stepping`, the CPU runs with a tracer: one instruction at a time.
    init(elf path: String, stepping: Bool = false) throws {
        let bus = Bus()
        try bus.addRAM(base: Self.ramBase, size: Self.ramSize)
        let data = try Loader.readFile(path)
        let k = try Loader.load(data, name: path, into: bus, ramBase: Self.ramBase, ramSize: Self.ramSize)
        let cpu = CPU(index: 0, bus: bus, codeCache: CPU.makeCodeCache(bus: bus))
        cpu.userMode = true
        cpu.reset(entry: k.entry, el: 0)
        // Linux lets EL0 do cache maintenance by VA (DC CVAU/CVAC/CIVAC, IC IVAU) and
        // use FP/SIMD (CPACR_EL1.FPEN = 0b11).
        cpu.st.pointee.sctlrEL1 |= SCTLR.UCI
        cpu.st.pointee.cpacrEL1 |= 3 << 20
        cpu.sp = Self.ramBase + Self.ramSize - 0x1000
        if stepping { cpu.tracer = { _, _ in } }
        defer { cpu.code.forEachPage { p in for i in 0..<CodeCache.slotsPerPage { decodedOps.insert(p[i].op) } } }

        // Case start addresses (c_<n>) and the end of the last case (c_end).
        var starts: [(UInt64, Int)] = []
        for (name, addr) in k.symbols where name.hasPrefix("c_") {
            if let n = Int(name.dropFirst(2)) { starts.append((addr, n)) }
        }
        starts.sort { $0.0 < $1.0 }
        guard let end = k.symbols["c_end"], let initTab = k.symbols["init_tab"],
              let bufs = k.symbols["bufs"], let outStart = k.symbols["out_start"] else {
            fatal.append("\(path): symbols c_end, init_tab, bufs or out_start missing (rebuild with images/difftest/build.sh)")
            return
        }
        let header = Self.guestBytes(bus, outStart, 32) ?? []
        let cases = header.count == 32 ? Int(le64(header, 8)) : 0
        let bufSize = header.count == 32 ? Int(le64(header, 24)) : 0
        let rowSize = header.count == 32 ? Int(le64(header, 16)) : 256
        for i in 0..<cases {
            let row = Self.guestBytes(bus, initTab + UInt64(i * rowSize), rowSize) ?? []
            inputs.append((0..<rowSize / 8).map { row.count == rowSize ? le64(row, $0 * 8) : 0 })
        }
        initialBuffers = Self.guestBytes(bus, bufs, cases * bufSize) ?? []

        var executed: UInt64 = 0
        run: while true {
            let before = cpu.st.pointee.icount
            let exit = cpu.run(Self.budget)
            executed &+= cpu.st.pointee.icount &- before
            switch exit {
            case .svcUser:
                switch cpu[8] {
                case 64:   // write(fd, buf, count)
                    let fd = cpu[0], addr = cpu[1], count = cpu[2]
                    guard fd == 1, count < 1 << 30, let bytes = Self.guestBytes(bus, addr, Int(count)) else {
                        fatal.append("write(\(fd), \(hex(addr)), \(count)): bad arguments")
                        break run
                    }
                    output += bytes
                    cpu[0] = count
                case 93, 94: // exit, exit_group
                    exitStatus = cpu[0]
                    break run
                default:
                    fatal.append("unexpected syscall \(cpu[8]) at pc \(hex(cpu.pc &- 4))")
                    break run
                }
            case .userException(let esr, let far):
                let pc = cpu.pc
                guard let idx = starts.lastIndex(where: { $0.0 <= pc }), pc < end else {
                    fatal.append("exception outside the cases at pc \(hex(pc)): \(Self.describe(esr: esr, far: far))")
                    break run
                }
                let n = starts[idx].1
                faults[n] = "hvsim raised an exception at pc \(hex(pc)): \(Self.describe(esr: esr, far: far))"
                // Skip the rest of the case; the next one sets up all state again.
                cpu.pc = idx + 1 < starts.count ? starts[idx + 1].0 : end
            case .budget:
                if executed >= Self.budget {
                    fatal.append("did not exit within \(Self.budget) instructions (pc \(hex(cpu.pc)))")
                    break run
                }
            default:
                fatal.append("unexpected exit \(exit) at pc \(hex(cpu.pc))")
                break run
            }
        }
    }

    static func guestBytes(_ bus: Bus, _ addr: UInt64, _ count: Int) -> [UInt8]? {
        guard let b = bus.bank(addr), addr - b.base + UInt64(count) <= b.size else { return nil }
        let p = (b.host + Int(addr - b.base)).assumingMemoryBound(to: UInt8.self)
        return Array(UnsafeBufferPointer(start: p, count: count))
    }

    static func describe(esr: UInt64, far: UInt64) -> String {
        let ec = esr >> 26
        let names: [UInt64: String] = [
            0x00: "UNDEFINED (EC 0x00)", 0x0e: "illegal execution state", 0x15: "SVC",
            0x18: "MSR/MRS trap (EC 0x18)", 0x20: "instruction abort", 0x21: "instruction abort",
            0x22: "PC alignment fault", 0x24: "data abort", 0x25: "data abort",
            0x26: "SP alignment fault", 0x3c: "BRK",
        ]
        return "\(names[ec] ?? "EC \(hex(ec))") ESR=\(hex(esr)) FAR=\(hex(far))"
    }
}

func le64(_ b: [UInt8], _ o: Int) -> UInt64 {
    var v: UInt64 = 0
    for i in 0..<8 { v |= UInt64(b[o + i]) << UInt64(8 * i) }
    return v
}

// MARK: - Comparing with the reference

struct DiffReport {
    static let recordSize = 256
    static let fpRecordSize = 256 + 32 * 16 + 16     // + v0..v31, FPSR, FPCR
    static let maxListed = 200

    /// Nil when hvsim's output equals the reference; otherwise the failure message.
    var problem: String? = nil

    init(group: String, texts: [String], ref: [UInt8], run: DiffRun) {
        var lines: [String] = []
        lines += run.fatal.map { "hvsim run failed: \($0)" }
        if let s = run.exitStatus, s != 0 { lines.append("the program exited with status \(s) in hvsim (qemu: 0)") }
        if run.exitStatus == nil && run.fatal.isEmpty { lines.append("the program did not exit") }

        let fp = ref.count >= 32 && ref[0..<8].elementsEqual(Array("HVDIFF02".utf8))
        guard ref.count >= 32, fp || ref[0..<8].elementsEqual(Array("HVDIFF01".utf8)) else {
            problem = "case_\(group).ref has no HVDIFF01/HVDIFF02 header: rerun images/difftest/build.sh"
            return
        }
        let cases = Int(le64(ref, 8)), rec = Int(le64(ref, 16)), buf = Int(le64(ref, 24))
        guard rec == (fp ? Self.fpRecordSize : Self.recordSize), ref.count == 32 + cases * (rec + buf),
              texts.count == cases else {
            problem = "case_\(group).ref/.txt are inconsistent (\(cases) cases, \(texts.count) texts, " +
                "\(ref.count) bytes): rerun images/difftest/build.sh"
            return
        }
        let got = run.output
        if got.count != ref.count {
            lines.append("hvsim wrote \(got.count) bytes, qemu \(ref.count)")
        }
        if got.count >= 32 && !got[0..<32].elementsEqual(ref[0..<32]) {
            lines.append("output header differs")
        }

        var bad: [(Int, [String])] = []
        for i in 0..<cases {
            let ro = 32 + i * rec, bo = 32 + cases * rec + i * buf
            var d: [String] = []
            if let f = run.faults[i] { d.append(f) }
            let expRegs = (0..<rec / 8).map { le64(ref, ro + 8 * $0) }
            let gotRegs: [UInt64]? = got.count >= ro + rec ? (0..<rec / 8).map { le64(got, ro + 8 * $0) } : nil
            guard let gr = gotRegs else {
                bad.append((i, d + ["no output for this case"]))
                continue
            }
            for r in 0..<31 where expRegs[r] != gr[r] {
                d.append("x\(r): expected \(h64(expRegs[r])), got \(h64(gr[r]))")
            }
            if expRegs[31] != gr[31] {
                d.append("nzcv: expected \(flags(expRegs[31])), got \(flags(gr[31]))")
            }
            if fp {
                for v in 0..<32 where expRegs[32 + 2 * v] != gr[32 + 2 * v] || expRegs[33 + 2 * v] != gr[33 + 2 * v] {
                    d.append("v\(v): expected \(h128(expRegs, 32 + 2 * v)), got \(h128(gr, 32 + 2 * v))")
                }
                if expRegs[96] != gr[96] { d.append("fpsr: expected \(fpsrText(expRegs[96])), got \(fpsrText(gr[96]))") }
                if expRegs[97] != gr[97] { d.append("fpcr: expected \(hex(expRegs[97])), got \(hex(gr[97]))") }
            }
            if buf > 0 {
                if got.count >= bo + buf {
                    let e = Array(ref[bo..<bo + buf]), g = Array(got[bo..<bo + buf])
                    let initial = run.initialBuffers.count >= (i + 1) * buf
                        ? Array(run.initialBuffers[i * buf..<(i + 1) * buf]) : nil
                    d += bufferDiffs(expected: e, got: g, initial: initial)
                } else {
                    d.append("buffer missing from the output")
                }
            }
            if !d.isEmpty { bad.append((i, d)) }
        }

        if lines.isEmpty && bad.isEmpty { return }
        var out = ["\(group): \(bad.count) of \(cases) cases differ from qemu-aarch64-static"] + lines
        for (k, (i, d)) in bad.enumerated() {
            if k == Self.maxListed {
                out.append("... \(bad.count - Self.maxListed) more differing cases")
                break
            }
            out.append("case \(i): \(texts[i])")
            out += d.map { "    " + $0 }
            if i < run.inputs.count {
                out.append("    inputs: " + inputsOf(texts[i], run.inputs[i]))
            }
        }
        problem = out.joined(separator: "\n")
    }

    /// Initial values of the registers the instruction text names, and NZCV.
    func inputsOf(_ text: String, _ regs: [UInt64]) -> String {
        var seen: [Int] = []
        for token in text.split(whereSeparator: { !$0.isLetter && !$0.isNumber }) {
            guard let first = token.first, first == "x" || first == "w",
                  let n = Int(token.dropFirst()), n <= 30, !seen.contains(n) else { continue }
            seen.append(n)
        }
        if text.contains("sp") && !seen.contains(27) { seen.append(27) }   // SP cases start with SP = x27
        var parts = seen.map { "x\($0)=\(h64(regs[$0]))" }
        parts.append("nzcv=\(flags(regs[31]))")
        if regs.count >= 98 {
            // V registers named as v<n>, q/d/s/h/b<n>, and the register lists' ranges.
            var vs: [Int] = []
            for token in text.split(whereSeparator: { !$0.isLetter && !$0.isNumber }) {
                guard let first = token.first, "vqdshb".contains(first), let n = Int(token.dropFirst()), n < 32,
                      !vs.contains(n) else { continue }
                vs.append(n)
            }
            parts += vs.map { "v\($0)=\(h128(regs, 32 + 2 * $0))" }
            parts.append("fpcr=\(hex(regs[97])) fpsr=\(fpsrText(regs[96]))")
        }
        return parts.joined(separator: " ")
    }

    /// A 128-bit register from two little-endian halves, high half first.
    func h128(_ r: [UInt64], _ i: Int) -> String { h64(r[i + 1]) + "_" + String(h64(r[i]).dropFirst(2)) }

    func fpsrText(_ v: UInt64) -> String {
        let names: [(Int, String)] = [(27, "QC"), (7, "IDC"), (4, "IXC"), (3, "UFC"), (2, "OFC"), (1, "DZC"), (0, "IOC")]
        let set = names.filter { v >> UInt64($0.0) & 1 != 0 }.map { $0.1 }
        return "\(hex(v)) (\(set.isEmpty ? "-" : set.joined(separator: " ")))"
    }

    func bufferDiffs(expected e: [UInt8], got g: [UInt8], initial: [UInt8]?) -> [String] {
        var out: [String] = []
        var j = 0
        while j < e.count {
            guard e[j] != g[j] else { j += 1; continue }
            var k = j
            while k < e.count && e[k] != g[k] { k += 1 }
            let hx = { (b: [UInt8]) in b[j..<k].map { String(format: "%02x", $0) }.joined(separator: " ") }
            var line = "buf[\(j)..<\(k)]: expected \(hx(e)), got \(hx(g))"
            if let i = initial { line += " (initially \(hx(i)))" }
            out.append(line)
            j = k
        }
        return out
    }

    func h64(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return "0x" + String(repeating: "0", count: 16 - s.count) + s
    }

    func flags(_ v: UInt64) -> String {
        let letters = zip("NZCV", [31, 30, 29, 28]).map { v >> UInt64($0.1) & 1 != 0 ? String($0.0) : String($0.0).lowercased() }
        return "\(hex(v)) (\(letters.joined()))"
    }
}
