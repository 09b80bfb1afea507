import Foundation
import Testing

/// `--trace exc,irq,mmio --trace-out FILE.json` writes a Chrome trace-event timeline.
@Suite struct TraceTests {
    @Test func timelineIsValidJSONWithEventsPerCPU() throws {
        try LinuxImages.require()
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("hvsim-trace-\(getpid()).json").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let (status, _, err) = try runHVSim(["run", "--kernel", LinuxImages.kernel, "--initrd", LinuxImages.initrd,
                                             "--append", "console=ttyAMA0", "--ram", "1G", "--cpus", "2",
                                             "--serial", "none", "--max-insns", "150000000",
                                             "--trace", "exc,irq,mmio", "--trace-out", out])
        #expect(status == 4, "\(err)")   // stopped by --max-insns
        let data = try Data(contentsOf: URL(fileURLWithPath: out))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let events = try #require(root["traceEvents"] as? [[String: Any]])
        func count(_ cat: String, _ phase: String? = nil, tid: Int? = nil) -> Int {
            events.filter { ($0["cat"] as? String) == cat && (phase == nil || ($0["ph"] as? String) == phase)
                && (tid == nil || ($0["tid"] as? Int) == tid) }.count
        }
        #expect(count("exc", tid: 0) > 0 && count("exc", tid: 1) > 0)
        #expect(count("irq", "B", tid: 0) > 0 && count("irq", "B", tid: 1) > 0)
        #expect(count("irq", "E") > 0)
        #expect(count("mmio") > 0)
        // One named track per CPU.
        let names = events.filter { ($0["name"] as? String) == "thread_name" }
        #expect(names.count == 2)
        // Timestamps are virtual time: they never go backwards on a track.
        for tid in 0..<2 {
            let ts = events.filter { ($0["tid"] as? Int) == tid && $0["ts"] != nil }.compactMap { $0["ts"] as? Double }
            #expect(ts == ts.sorted())
        }
    }

    @Test func unknownTraceClassIsRefused() throws {
        let (status, _, err) = try runHVSim(["run", "--kernel", "x", "--trace", "exc,bogus"])
        #expect(status == 2 && err.contains("unknown class 'bogus'"), "\(err)")
    }
}
