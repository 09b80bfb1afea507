import Testing
import Emu
@testable import Hypervisor

/// The schedulers' snapshot state: a scheduler restored from one saved part way makes the
/// same decisions as the original from there on, and damaged state is refused with a
/// StateError, never a crash.
@Suite struct SchedulerStateTests {
    /// A fixed, pseudo-random sequence of what the hypervisor asks of a scheduler.
    struct Script {
        var seed: UInt64 = 0x9e37_79b9_7f4a_7c15
        var now: UInt64 = 0
        let ids: [VCPUID]

        mutating func next() -> UInt64 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return seed >> 33
        }

        /// One step on `s`; what it returned, for comparison.
        mutating func step(_ s: any Scheduler) -> String {
            now += 50_000 + next() % 3_000_000
            let id = ids[Int(next()) % ids.count]
            switch next() % 6 {
            case 0: s.wake(id, now: now); return "wake \(id) \(s.takeTickles())"
            case 1: s.sleep(id, now: now); return "sleep \(id) \(s.takeTickles())"
            case 2: s.yield(id); return "yield \(id)"
            case 3: s.timer(now: now); return "timer \(String(describing: s.nextTimer)) \(s.takeTickles())"
            default:
                let p = Int(next()) % s.pcpuCount
                let d = s.schedule(pcpu: p, now: now, current: running[p], currentRunnable: next() % 4 != 0)
                running[p] = d.next
                return "schedule \(p): \(d) \(s.takeTickles())"
            }
        }
        var running: [VCPUID?]
    }

    static func bytes(_ s: StateSaving) -> [UInt8] { var w = StateWriter(); s.save(&w); return w.bytes }

    func roundTrip(_ make: () -> any Scheduler) throws {
        let a = make()
        let ids = (1...3).flatMap { d in (0..<2).map { VCPUID(domain: d, vcpu: $0) } }
        for id in ids {
            a.insert(id, parameters: SchedulingParameters(weight: 128 * (id.domain), cap: id.domain == 2 ? 30 : 0),
                     affinity: id.vcpu == 1 ? [1] : nil, pcpu: nil, now: 0)
            a.wake(id, now: 0)
        }
        var script = Script(ids: ids, running: Array(repeating: nil, count: a.pcpuCount))
        for _ in 0..<500 { _ = script.step(a) }
        let saved = Self.bytes(a)

        let b = make()
        var r = StateReader(saved)
        try b.restore(&r)
        #expect(r.at == r.end)
        #expect(Self.bytes(b) == saved)
        var scriptB = script
        for i in 0..<500 {
            let x = script.step(a), y = scriptB.step(b)
            #expect(x == y, "step \(i) after the restore")
            if x != y { break }
        }
        #expect(Self.bytes(a) == Self.bytes(b))

        // Cut anywhere, the state is refused with an error (b is thrown away after).
        for cut in stride(from: 0, to: saved.count, by: max(1, saved.count / 300)) {
            var t = StateReader(Array(saved[..<cut]))
            #expect(throws: StateError.self) { try make().restore(&t) }
        }
    }

    @Test func credit2RestoresItsDecisions() throws {
        try roundTrip {
            var o = Credit2Scheduler.Options()
            o.pcpusPerRunqueue = 1          // two runqueues: balancing and migration state too
            return Credit2Scheduler(pcpus: 2, options: o)
        }
    }

    @Test func nullSchedulerRestoresItsDecisions() throws {
        try roundTrip { NullScheduler(pcpus: 2) }
    }

    /// A vCPU that the state names but does not describe is refused.
    @Test func credit2RefusesUnknownVCPUs() throws {
        let a = Credit2Scheduler(pcpus: 1)
        a.insert(VCPUID(domain: 1, vcpu: 0), now: 0)
        a.wake(VCPUID(domain: 1, vcpu: 0), now: 0)
        var saved = Self.bytes(a)
        // The runqueue's member list: the last vCPU id written before the idle set. Rather
        // than find it, rename the domain in the vCPU record (first id after the counts).
        let header = 4 + "credit2/1".utf8.count + 3 * 8
        saved[header] = 7                           // d7v0 instead of d1v0
        var r = StateReader(saved)
        #expect(throws: StateError.self) { try Credit2Scheduler(pcpus: 1).restore(&r) }
    }

    @Test func theWrongShapeIsRefused() throws {
        let two = Self.bytes(Credit2Scheduler(pcpus: 2))
        var r = StateReader(two)
        let e = try #require(throws: StateError.self) { try Credit2Scheduler(pcpus: 1).restore(&r) }
        #expect(e.description.contains("another number of pCPUs"))
        var n = StateReader(two)
        #expect(throws: StateError.self) { try NullScheduler(pcpus: 2).restore(&n) }
    }
}
