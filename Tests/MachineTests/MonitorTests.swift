import Foundation
import Testing
import Emu
@testable import Machine
#if canImport(Glibc)
import Glibc
#endif

/// The monitor's commands on the loop guest (see `LoopGuest` in GdbTests), after it ran a
/// few rounds: x1 holds the data address, x0 counts up.
@Suite(.serialized) struct MonitorTests {
    private func ranLoop(cpus: Int = 1) throws -> Machine {
        let m = try LoopGuest.machine(cpus: cpus)
        #expect(m.run(limit: 100) == .instructionLimit)   // 1 + 33 rounds of 3: at the loop again
        return m
    }

    @Test func helpAndInfo() throws {
        let m = try ranLoop(cpus: 2)
        let mon = Monitor(machine: m)
        let help = mon.execute("help").text
        for c in ["info registers", "info cpus", "info status", "x/NFU ADDR", "xp/NFU ADDR", "snapshot FILE", "cont", "quit"] {
            #expect(help.contains(c), "\(c)")
        }
        let regs = mon.execute("info registers").text
        #expect(regs.hasPrefix("CPU 0: EL1h, running, 100 instructions\n"), "\(regs)")
        #expect(regs.contains(" x1  0000000040090000 "), "\(regs)")
        #expect(regs.contains(" pc  0000000040080004  pstate 000003c5 (nzcv ----, daif DAIF, EL1h)\n"), "\(regs)")
        #expect(regs.contains("CPU 1: EL1h, off, 0 instructions\n"), "\(regs)")   // every CPU without a selection
        #expect(regs.split(separator: "\n").count == 2 * 10)
        let cpus = mon.execute("info cpus").text
        #expect(cpus == "  CPU 0: pc 0x40080004 EL1h running, 100 instructions\n  CPU 1: pc 0x0 EL1h off, 0 instructions\n", "\(cpus)")
        // `cpu N` selects; gdb's thread overrides it.
        #expect(mon.execute("cpu 1").text == "")
        #expect(mon.execute("info registers").text.hasPrefix("CPU 1:"))
        #expect(mon.execute("info cpus").text.contains("* CPU 1"))
        #expect(mon.execute("info registers", cpu: 0).text.hasPrefix("CPU 0:"))
        #expect(mon.execute("cpu 0", cpu: 0).text.contains("gdb's `thread N`"))
        let status = mon.execute("info status").text
        #expect(status.hasPrefix("instructions 100 (cpu0 100, cpu1 0)\nvirtual time 0.000001 s\n"), "\(status)")
        #expect(status.contains("state hash \(hex(m.stateHash(memory: true)))"), "\(status)")
        #expect(mon.execute("stats").text == status)
    }

    @Test func memoryDumps() throws {
        let m = try ranLoop()
        let mon = Monitor(machine: m)
        #expect(mon.execute("x/4x 0x40080000").text == "0000000040080000: 0xd2a80121 0x91000400 0xf9000020 0x17fffffe\n")
        #expect(mon.execute("x /2xg 0x40080000").text == "0000000040080000: 0x91000400d2a80121 0x17fffffef9000020\n")
        #expect(mon.execute("xp/3xb 1074266112").text == "0000000040080000: 0x21 0x01 0xa8\n")
        #expect(mon.execute("x/1ug $x1").text == "0000000040090000: \(m.cpus[0][0])\n")   // the last stored count
        #expect(mon.execute("x/2dh 0x40080006").text == "0000000040080006: -28416 32\n")
        let code = mon.execute("x/2i $pc").text
        #expect(code == "0000000040080004: 91000400  add x0, x0, #1\n0000000040080008: f9000020  str x0, [x1]\n", "\(code)")
        try #require(m.cpus[0].debugWrite(physical: LoopGuest.data, Array("hi!\n".utf8)))
        #expect(mon.execute("x/4c 0x40090000").text == "0000000040090000: h i ! \\x0a\n")
        // 20 words: five lines of four.
        #expect(mon.execute("x/20x 0x40080000").text.split(separator: "\n").count == 5)
        // Device registers and unmapped memory are not read; a read that runs into them stops there.
        #expect(mon.execute("x/1x 0x9000000").text == "x: cannot read 0x9000000 on CPU 0 (not mapped, or not RAM)\n")
        let end = 0x4000_0000 + m.config.ramSize
        #expect(mon.execute("xp/2xw \(end - 4)").text
                == "\(hexDigits(end - 4, 16)): 0x00000000\nxp: cannot read \(hex(end)) (not RAM)\n")
    }

    @Test func badCommandsAreOneLine() throws {
        let m = try ranLoop()
        let mon = Monitor(machine: m)
        let cases: [(String, String)] = [
            ("frobnicate", "unknown command 'frobnicate' (help lists the commands)"),
            ("info", "info: what? (registers, cpus or status)"),
            ("info frob", "info: unknown item 'frob' (registers, cpus or status)"),
            ("info cpus now", "info cpus: takes no arguments (got 'now')"),
            ("x", "x: needs one address (x/NFU ADDR)"),
            ("x/4x", "x: needs one address (x/NFU ADDR)"),
            ("x/4q 0", "x: unknown format letter 'q' (x d u c i, sizes b h w g)"),
            ("x/0x 0", "x: count must be 1 to 4096"),
            ("x/99999x 0", "x: count must be 1 to 4096"),
            ("x/4x zz", "x: bad address 'zz' (0x1f, 31, $pc, $sp or $x0-$x30)"),
            ("x/4x $x31", "x: bad address '$x31' (0x1f, 31, $pc, $sp or $x0-$x30)"),
            ("xp 0xfffffffffffffffff", "xp: bad address '0xfffffffffffffffff' (0x1f, 31, $pc, $sp or $x0-$x30)"),
            ("cpu 1", "cpu: needs a CPU number from 0 to 0"),
            ("cpu", "cpu: needs a CPU number from 0 to 0"),
            ("snapshot", "snapshot: needs one file name (snapshot FILE)"),
            ("snapshot a.hvsnap", "snapshot: not available here"),
            ("quit now", "quit: takes no arguments (got 'now')"),
        ]
        for (line, message) in cases {
            let r = mon.execute(line)
            #expect(r == MonitorReply(message + "\n"), "\(line): \(r.text)")
        }
        #expect(mon.execute("   ") == MonitorReply(""))
        #expect(mon.execute("cont") == MonitorReply("", action: .resume))
        #expect(mon.execute("c") == MonitorReply("", action: .resume))
        #expect(mon.execute("q") == MonitorReply("", action: .quit))
    }

    @Test func snapshotGoesThroughTheHook() throws {
        let m = try ranLoop()
        var written: [String] = []
        let mon = Monitor(machine: m) { path in
            if path.hasPrefix("/nonexistent/") { throw MonitorTestError("cannot write \(path)") }
            written.append(path)
            return "wrote \(path)"
        }
        #expect(mon.execute("snapshot run.hvsnap").text == "wrote run.hvsnap\n")
        #expect(written == ["run.hvsnap"])
        #expect(mon.execute("snapshot /nonexistent/x").text == "snapshot: cannot write /nonexistent/x\n")
    }

    @Test func lineEditing() {
        var l = MonitorLine()
        var echoed: [UInt8] = []
        var lines: [String] = []
        for b in Array("inf\u{7f}\u{7f}nfo cpus\r\nhelp\nab\u{15}x\u{3}\u{1b}q\r".utf8) {
            let (echo, line) = l.feed(b)
            echoed += echo
            if let line { lines.append(line) }
        }
        #expect(lines == ["info cpus", "help", "", "q"])
        #expect(String(decoding: echoed, as: UTF8.self)
                == "inf\u{8} \u{8}\u{8} \u{8}nfo cpus\nhelp\nab\u{8} \u{8}\u{8} \u{8}x^C\nq\n")
    }

    @Test func orderedEscapes() {
        var d = EscapeDecoder()
        #expect(d.decodeInOrder(Array("ab\u{1}cinfo\r\u{1}cde\u{1}\u{1}".utf8))
                == [.bytes(Array("ab".utf8)), .command(.monitor), .bytes(Array("info\r".utf8)), .command(.monitor),
                    .bytes(Array("de\u{1}".utf8))])
        #expect(d.decodeInOrder(Array("\u{1}sz\u{1}xq".utf8)) == [.command(.snapshot), .bytes([0x7a]), .command(.quit)])
    }

    // MARK: Front ends

    /// Ctrl-A c through the console's input path (pipes): the prompt, a command and its
    /// answer, Ctrl-A c back to the guest with the input typed after it intact, `cont`,
    /// and `quit`.
    @Test func consoleEntersTheMonitor() throws {
        var input: [Int32] = [-1, -1], output: [Int32] = [-1, -1]
        try #require(pipe(&input) == 0 && pipe(&output) == 0)
        let (inRead, inWrite, outRead, outWrite) = (input[0], input[1], output[0], output[1])
        defer { for fd in input + output { close(fd) } }
        func type(_ s: String) -> ConsoleEvent {
            _ = Array(s.utf8).withUnsafeBytes { write(inWrite, $0.baseAddress!, $0.count) }
            return host.poll(timeoutMilliseconds: 1000)
        }
        func shown() -> String {
            var out: [UInt8] = []
            var p = pollfd(fd: outRead, events: Int16(POLLIN), revents: 0)
            while poll(&p, 1, 0) > 0 {
                var buf = [UInt8](repeating: 0, count: 4096)
                let n = buf.withUnsafeMutableBytes { read(outRead, $0.baseAddress!, $0.count) }
                if n <= 0 { break }
                out += buf[..<n]
            }
            return String(decoding: out, as: UTF8.self)
        }
        let host = try HostConsole(spec: .stdio, inputFD: inRead, outputFD: outWrite)
        let m = try ranLoop()
        host.monitor = Monitor(machine: m)

        #expect(type("ls\u{1}c") == .input(Array("ls".utf8)))   // guest input before the escape goes through
        #expect(host.inMonitor)
        #expect(shown().hasSuffix("goes back to the guest\n(hvsim) "))
        #expect(type("info cpus\r") == .none)                   // nothing for the guest
        #expect(shown() == "info cpus\n  CPU 0: pc 0x40080004 EL1h running, 100 instructions\n(hvsim) ")
        #expect(type("x/1x 0x40080000\n\u{1}cecho hi\r") == .input(Array("echo hi\r".utf8)))
        #expect(shown() == "x/1x 0x40080000\n0000000040080000: 0xd2a80121\n(hvsim) \n")
        #expect(!host.inMonitor)
        #expect(type("\u{1}cbogus\rcont\rtyped") == .input(Array("typed".utf8)))
        #expect(shown().hasSuffix("(hvsim) bogus\nunknown command 'bogus' (help lists the commands)\n(hvsim) cont\n"))
        #expect(type("\u{1}h") == .none)
        #expect(shown().contains("C-a c        switch between the guest and the monitor"))
        #expect(type("\u{1}cquit\rnot for the guest") == .quit)
        #expect(shown().hasSuffix("(hvsim) quit\n\nhvsim: terminated\n"))
    }

    /// `monitor ...` in gdb: qRcmd with the command in hex; the answer comes as `O`
    /// console packets, then OK. The selected thread's CPU is the one shown.
    @Test func gdbMonitorCommand() throws {
        let m = try LoopGuest.machine(cpus: 2)
        let d = StubDriver(stub: GdbStub(machine: m))
        func monitor(_ command: String) -> (reply: String?, text: String) {
            let reply = d.send("qRcmd," + hexEncode(Array(command.utf8)))
            let text = d.stub.takeOutput().map { o -> String in
                #expect(o.first == "O")
                return String(decoding: hexDecode(o.dropFirst()) ?? [], as: UTF8.self)
            }.joined()
            return (reply, text)
        }
        let regs = monitor("info registers")
        #expect(regs.reply == "OK")
        #expect(regs.text.hasPrefix("CPU 0: EL1h, running, 0 instructions\n") && !regs.text.contains("CPU 1"), "\(regs.text)")
        #expect(d.send("Hg2") == "OK")
        #expect(monitor("info registers").text.hasPrefix("CPU 1: EL1h, off"))
        #expect(monitor("info cpus").text.contains("* CPU 1"))
        // Long output is cut into several packets.
        let dump = monitor("x/512xg 0x40080000")
        #expect(dump.reply == "OK" && dump.text.split(separator: "\n").count == 256)
        #expect(d.stub.takeOutput().isEmpty)
        for (command, text) in [("frob", "unknown command 'frob' (help lists the commands)\n"),
                                ("cont", "cont: in gdb, use continue\n"), ("", "")] {
            let r = monitor(command)
            #expect(r.reply == "OK" && r.text == text, "\(command): \(r)")
        }
        #expect(d.send("qRcmd,zz") == "E01")
        #expect(!d.stub.killed)
        let quit = monitor("quit")
        #expect(quit.reply == "OK" && quit.text == "hvsim: terminated\n")
        #expect(d.stub.killed)
    }

    /// The hvsim command: Ctrl-A c on stdin (a pipe), a few commands including a snapshot
    /// written to a file, back to the guest, then Ctrl-A x.
    @Test func hvsimConsoleMonitor() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hvsim-monitor-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let kernel = dir.appendingPathComponent("loop.bin").path, snap = dir.appendingPathComponent("m.hvsnap").path
        var bytes: [UInt8] = []
        for w in LoopGuest.code { for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: w >> (8 * i))) } }
        try Data(bytes).write(to: URL(fileURLWithPath: kernel))
        let (status, out, err) = try runHVSim(["run", "--format", "raw", "--kernel", kernel, "--cpus", "2"],
                                              input: "\u{1}cinfo cpus\rsnapshot \(snap)\rx/1x 0x40080000\rcont\r\u{1}x")
        #expect(status == 0, "\(err)")
        #expect(out.contains("(hvsim) info cpus\n  CPU 0: pc 0x4008"), "\(out)")
        #expect(out.contains("  CPU 1: pc 0x0 EL1h off, 0 instructions\n"), "\(out)")
        #expect(out.contains("(hvsim) snapshot \(snap)\nhvsim: snapshot after "), "\(out)")
        #expect(out.contains("0000000040080000: 0xd2a80121\n(hvsim) cont\n"), "\(out)")
        #expect(out.hasSuffix("hvsim: terminated\n"), "\(out)")
        #expect(FileManager.default.fileExists(atPath: snap))
    }

    /// A guest that waits for an interrupt nothing raises: monitor lines and escapes are
    /// not guest input, so hvsim waits on for input (rather than stopping on a deadlock).
    @Test func idleGuestWaitsThroughTheMonitor() throws {
        let kernel = FileManager.default.temporaryDirectory.appendingPathComponent("hvsim-monitor-wfi-\(getpid()).bin").path
        defer { try? FileManager.default.removeItem(atPath: kernel) }
        let code: [UInt32] = [0xd503_207f, 0x17ff_ffff]   // wfi; b .-4
        var bytes: [UInt8] = []
        for w in code { for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: w >> (8 * i))) } }
        try Data(bytes).write(to: URL(fileURLWithPath: kernel))
        let (p, input, out, err) = try launchHVSim(["run", "--format", "raw", "--kernel", kernel])
        defer { if p.isRunning { p.terminate() } }
        // Written with write(2) and SIGPIPE ignored: an hvsim that stopped fails the
        // expectations below instead of killing the test process.
        signal(SIGPIPE, SIG_IGN)
        func type(_ s: String) { _ = Array(s.utf8).withUnsafeBytes { write(input.fileHandleForWriting.fileDescriptor, $0.baseAddress!, $0.count) } }
        type("\u{1}cinfo cpus\r\u{1}h")
        usleep(300_000)
        type("\u{1}x")
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(errors)")
        #expect(text.contains("CPU 0: pc 0x40080004 EL1h halted (WFI), 1 instructions"), "\(text)")
        #expect(text.hasSuffix("hvsim: terminated\n"), "\(text)")
    }
}

struct MonitorTestError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
