import Foundation
import Testing
@testable import Machine
#if canImport(Glibc)
import Glibc
#endif

private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

private func tempPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("hvsim-console-\(getpid())-\(name)").path
}

/// A pipe: (read end, write end).
private func makePipe() throws -> (Int32, Int32) {
    var fds: [Int32] = [-1, -1]
    try #require(pipe(&fds) == 0)
    return (fds[0], fds[1])
}

private func send(_ fd: Int32, _ data: [UInt8]) {
    _ = data.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
}

/// Everything readable on `fd` now, without waiting.
private func drain(_ fd: Int32) -> [UInt8] {
    var out: [UInt8] = []
    var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    while poll(&p, 1, 0) > 0 {
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        if n <= 0 { break }
        out += buf[..<n]
    }
    return out
}

@Suite struct SerialSpecParsing {
    @Test func knownBackends() throws {
        #expect(try SerialSpec.parse("stdio") == .stdio)
        #expect(try SerialSpec.parse("none") == .discard)
        #expect(try SerialSpec.parse("file:/tmp/out.log") == .file(path: "/tmp/out.log"))
        #expect(try SerialSpec.parse("file:a:b") == .file(path: "a:b"))
    }

    @Test func unknownBackendIsOneClearLine() {
        #expect {
            try SerialSpec.parse("foo")
        } throws: { error in
            "\(error)" == "--serial: unknown backend 'foo' (expected stdio, file:PATH or none)"
        }
        #expect(throws: ConsoleError.self) { try SerialSpec.parse("") }
        #expect(throws: ConsoleError.self) { try SerialSpec.parse("STDIO") }
    }

    @Test func fileNeedsAPath() {
        #expect {
            try SerialSpec.parse("file:")
        } throws: { error in
            "\(error)".contains("needs a path")
        }
    }
}

@Suite struct ConsoleEscapes {
    @Test func plainBytesPassThrough() {
        var d = EscapeDecoder()
        let r = d.decode(bytes("ls -l\r\u{3}"))
        #expect(r.guest == bytes("ls -l\r\u{3}"))   // Ctrl-C goes to the guest
        #expect(r.commands.isEmpty)
    }

    @Test func doubleCtrlASendsOne() {
        var d = EscapeDecoder()
        let r = d.decode([0x61, 0x01, 0x01, 0x62])
        #expect(r.guest == [0x61, 0x01, 0x62])
        #expect(r.commands.isEmpty)
    }

    @Test func quitStopsDecoding() {
        var d = EscapeDecoder()
        let r = d.decode(bytes("ab\u{1}xcd"))
        #expect(r.guest == bytes("ab"))
        #expect(r.commands == [.quit])
    }

    @Test func helpMonitorAndUnknown() {
        var d = EscapeDecoder()
        let r = d.decode(bytes("\u{1}h1\u{1}c2\u{1}z3"))
        #expect(r.guest == bytes("123"))              // C-a z is dropped
        #expect(r.commands == [.help, .monitor])
        #expect(EscapeDecoder.help.contains("C-a x"))
    }

    @Test func escapeSplitAcrossReads() {
        var d = EscapeDecoder()
        let first = d.decode([0x41, 0x01])
        #expect(first.guest == [0x41])
        #expect(d.inEscape)
        let second = d.decode([0x78])
        #expect(second.guest.isEmpty)
        #expect(second.commands == [.quit])
        #expect(!d.inEscape)
    }

    @Test func hypervisorModePassesThreeCtrlA() {
        var d = EscapeDecoder(passesTripleEscape: true)
        // Three in a row go through at once (the hypervisor switches domains), even split
        // across reads; two and then a byte send one Ctrl-A and the byte; C-a x still quits.
        #expect(d.decode([0x61, 0x01, 0x01, 0x01]).guest == [0x61, 0x01, 0x01, 0x01])
        #expect(d.decode([0x01, 0x01]).guest.isEmpty)
        #expect(d.decode([0x01, 0x62]).guest == [0x01, 0x01, 0x01, 0x62])
        #expect(d.decode([0x01, 0x01, 0x63]).guest == [0x01, 0x63])
        let h = d.decode([0x01, 0x68, 0x01, 0x7a, 0x64])
        #expect(h.guest == [0x64] && h.commands == [.help])
        let q = d.decode([0x01, 0x01, 0x01, 0x01, 0x78, 0x65])
        #expect(q.guest == [0x01, 0x01, 0x01] && q.commands == [.quit])
        #expect(EscapeDecoder.help.contains("C-a C-a C-a"))
    }
}

@Suite struct HostConsoleBackends {
    @Test func fileBackendWritesTheFile() throws {
        let path = tempPath("file")
        try Data("old contents that must go".utf8).write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        let c = try HostConsole(spec: .file(path: path))
        #expect(!c.hasInput)
        #expect(c.poll(timeoutMilliseconds: 0) == .none)
        c.write(bytes("hello\n"))
        c.write(0x21)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).isEmpty)   // buffered
        c.flush()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "hello\n!")
    }

    @Test func largeOutputIsWrittenInChunksBeforeTheFlush() throws {
        let path = tempPath("large")
        defer { unlink(path) }
        let c = try HostConsole(spec: .file(path: path))
        let block = [UInt8](repeating: 0x2e, count: 1000)
        for _ in 0..<100 { c.write(block) }
        let before = try Data(contentsOf: URL(fileURLWithPath: path)).count
        #expect(before >= HostConsole.chunk && before < 100_000)
        c.flush()
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).count == 100_000)
    }

    @Test func fileBackendReportsAnUnwritablePath() {
        #expect {
            try HostConsole(spec: .file(path: "/nonexistent-dir/out.log"))
        } throws: { error in
            "\(error)" == "--serial file:/nonexistent-dir/out.log: No such file or directory"
        }
    }

    @Test func noneDropsEverything() throws {
        let c = try HostConsole(spec: .discard)
        c.write(bytes("dropped"))
        c.flush()
        #expect(!c.hasInput)
        #expect(c.poll(timeoutMilliseconds: 10) == .none)
    }

    @Test func pipeInputAndOutput() throws {
        let (inRead, inWrite) = try makePipe()
        let (outRead, outWrite) = try makePipe()
        defer { for fd in [inRead, outRead, outWrite] { close(fd) } }
        let c = try HostConsole(spec: .stdio, inputFD: inRead, outputFD: outWrite)
        #expect(c.hasInput)
        #expect(!c.isRawTerminal)
        #expect(c.poll(timeoutMilliseconds: 0) == .none)

        send(inWrite, bytes("root\r"))
        #expect(c.poll(timeoutMilliseconds: 1000) == .input(bytes("root\r")))

        c.write(bytes("login: "))
        #expect(drain(outRead).isEmpty)               // nothing before the flush
        c.flush()
        #expect(drain(outRead) == bytes("login: "))

        send(inWrite, bytes("\u{1}h"))
        #expect(c.poll(timeoutMilliseconds: 1000) == .none)
        let help = String(decoding: drain(outRead), as: UTF8.self)
        #expect(help.contains("C-a x") && help.contains("exit hvsim"), "\(help)")

        send(inWrite, bytes("\u{1}c"))
        #expect(c.poll(timeoutMilliseconds: 1000) == .none)
        #expect(String(decoding: drain(outRead), as: UTF8.self).contains("no monitor here"))

        send(inWrite, bytes("q\u{1}"))                 // escape split across two reads
        #expect(c.poll(timeoutMilliseconds: 1000) == .input(bytes("q")))
        send(inWrite, bytes("\u{1}"))
        #expect(c.poll(timeoutMilliseconds: 1000) == .input([0x01]))

        send(inWrite, bytes("\u{1}x"))
        #expect(c.poll(timeoutMilliseconds: 1000) == .quit)
        #expect(String(decoding: drain(outRead), as: UTF8.self).contains("terminated"))

        close(inWrite)                                 // end of input: the guest runs on
        #expect(c.poll(timeoutMilliseconds: 1000) == .none)
        #expect(!c.hasInput)
        #expect(c.poll(timeoutMilliseconds: 1000) == .none)
        c.write(0x41)
        c.flush()
        #expect(drain(outRead) == [0x41])
    }

    @Test func devNullInputIsJustNoInput() throws {
        let null = open("/dev/null", O_RDONLY)
        let (outRead, outWrite) = try makePipe()
        defer { for fd in [null, outRead, outWrite] { close(fd) } }
        let c = try HostConsole(spec: .stdio, inputFD: null, outputFD: outWrite)
        #expect(c.poll(timeoutMilliseconds: 100) == .none)
        #expect(!c.hasInput)
    }

    @Test func failingOutputIsDroppedWithoutStoppingTheGuest() throws {
        let full = open("/dev/full", O_WRONLY)      // every write fails with ENOSPC
        try #require(full >= 0)
        defer { close(full) }
        let c = try HostConsole(spec: .stdio, inputFD: -1, outputFD: full)
        #expect(!c.hasInput)
        c.write(bytes("lost"))
        c.flush()
        c.write(bytes("also lost"))
        c.flush()
    }

    @Test func pendingInputWaitsForTheReceiver() {
        var q = PendingInput()
        q.append(bytes("abcdef"))
        var room = 3
        var got: [UInt8] = []
        let accept: (UInt8) -> Bool = { b in
            guard room > 0 else { return false }
            room -= 1; got.append(b); return true
        }
        #expect(q.deliver(to: accept) == 3)
        #expect(q.count == 3)
        #expect(q.deliver(to: accept) == 0)
        room = 10
        q.append(bytes("g"))
        #expect(q.deliver(to: accept) == 4)
        #expect(q.isEmpty)
        #expect(got == bytes("abcdefg"))
    }
}

/// A pseudo-terminal stands in for the user's terminal.
@Suite(.serialized) struct HostConsoleTerminal {
    /// libc's pseudo-terminal calls, which Swift's Glibc module leaves out (they need
    /// _XOPEN_SOURCE), looked up at run time.
    private func libc<F>(_ name: String, _ type: F.Type) throws -> F {
        let p = try #require(dlsym(nil, name), "\(name) not in libc")
        return unsafeBitCast(p, to: type)
    }

    private func openPTY() throws -> (master: Int32, slave: Int32) {
        let openpt = try libc("posix_openpt", (@convention(c) (Int32) -> Int32).self)
        let grantpt = try libc("grantpt", (@convention(c) (Int32) -> Int32).self)
        let unlockpt = try libc("unlockpt", (@convention(c) (Int32) -> Int32).self)
        let ptsname = try libc("ptsname", (@convention(c) (Int32) -> UnsafeMutablePointer<CChar>?).self)
        let master = openpt(O_RDWR | O_NOCTTY)
        try #require(master >= 0, "no pseudo-terminals here")
        try #require(grantpt(master) == 0 && unlockpt(master) == 0)
        let name = try #require(ptsname(master))
        let slave = open(name, O_RDWR | O_NOCTTY)
        try #require(slave >= 0)
        return (master, slave)
    }

    private func modes(_ fd: Int32) -> termios {
        var t = termios()
        _ = tcgetattr(fd, &t)
        return t
    }

    private func same(_ a: termios, _ b: termios) -> Bool {
        a.c_iflag == b.c_iflag && a.c_oflag == b.c_oflag && a.c_cflag == b.c_cflag && a.c_lflag == b.c_lflag
    }

    @Test func rawModeWhileRunningThenRestored() throws {
        let (master, slave) = try openPTY()
        defer { close(master); close(slave) }
        let original = modes(slave)
        #expect(original.c_lflag & tcflag_t(ICANON | ECHO | ISIG) != 0)   // a cooked terminal

        let c = try HostConsole(spec: .stdio, inputFD: slave, outputFD: slave)
        #expect(c.isRawTerminal)
        let raw = modes(slave)
        #expect(raw.c_lflag & tcflag_t(ICANON | ECHO | ISIG | IEXTEN) == 0)
        #expect(raw.c_iflag & tcflag_t(ICRNL | IXON) == 0)
        #expect(raw.c_oflag & tcflag_t(OPOST) != 0)                       // "\n" still starts a line
        #expect(raw.c_oflag == original.c_oflag)

        send(master, bytes("x\u{3}\r"))       // no line discipline: Ctrl-C and CR arrive as bytes
        #expect(c.poll(timeoutMilliseconds: 1000) == .input(bytes("x\u{3}\r")))

        c.restore()
        #expect(same(modes(slave), original))
        c.restore()                                                       // idempotent
        #expect(!c.isRawTerminal)
    }

    @Test func safetyNetRestoresWithoutTheConsole() throws {
        let (master, slave) = try openPTY()
        defer { close(master); close(slave) }
        let original = modes(slave)
        let c = try HostConsole(spec: .stdio, inputFD: slave, outputFD: slave)
        #expect(!same(modes(slave), original))
        TerminalSafetyNet.restoreAll()        // what the exit hook and signal handlers run
        #expect(same(modes(slave), original))
        withExtendedLifetime(c) {}
    }
}
