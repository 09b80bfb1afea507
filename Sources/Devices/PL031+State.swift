import Emu

/// Snapshot state of the RTC. The counter is `loadValue` plus the virtual seconds since
/// `loadSecond`, so saving both (in virtual seconds, never host time) continues it exactly,
/// 1 Hz phase included, on the restored virtual clock; `baseTime` given to the fresh device
/// does not matter. Also the match, last load, mask and raw status registers, the last second
/// compared with the match register, and the interrupt line.
extension PL031: StateSaving {
    static let stateTag = "pl031/1"

    public func save(_ w: inout StateWriter) {
        w.tag(Self.stateTag)
        w.u32(loadValue); w.u64(loadSecond)
        w.u32(match); w.u32(lastLoad)
        w.u64(imsc); w.u64(ris)
        w.u64(comparedSecond)
        w.bool(interruptAsserted)
    }

    /// Reads and checks everything first; then calls `irq` with the restored level and
    /// `matchDeadlineChanged` with the restored deadline, so the machine re-arms its event.
    public func restore(_ r: inout StateReader) throws {
        try r.expectTag(Self.stateTag)
        let lv = try r.u32(), ls = try r.u64()
        let m = try r.u32(), ll = try r.u32()
        let mask = try r.u64(), raw = try r.u64()
        let compared = try r.u64()
        let level = try r.bool()
        guard mask & ~Self.matchBit == 0, raw & ~Self.matchBit == 0 else {
            throw StateError("pl031: bad interrupt bits (IMSC \(mask), RIS \(raw))")
        }
        guard level == (raw & mask != 0) else {
            throw StateError("pl031: saved interrupt level \(level) disagrees with RIS \(raw) and IMSC \(mask)")
        }

        (loadValue, loadSecond, match, lastLoad) = (lv, ls, m, ll)
        (imsc, ris, comparedSecond) = (mask, raw, compared)
        interruptAsserted = level
        announcedDeadline = pendingDeadline
        irq(level)
        matchDeadlineChanged(announcedDeadline)
    }
}
