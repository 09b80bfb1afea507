import Emu

/// The generic timers of each CPU (Arm ARM D11): EL1 physical (CNTP), virtual (CNTV, counting
/// the physical count minus CNTVOFF_EL2) and EL2 physical (CNTHP). The CPU keeps their
/// registers; this device turns them into PPI levels on the GIC and tells the machine when
/// the next one fires, so idle CPUs can skip ahead in virtual time.
///
/// Time here is the machine's virtual time in instructions; the counter is that divided by
/// the CPU's `instructionsPerTick`.
public final class GenericTimer {
    /// PPIs on QEMU's virt board (and Xen's guest map): hypervisor 26, virtual 27, physical 30.
    public enum PPI { public static let hyp = 26, virt = 27, phys = 30 }

    let gic: GICCore
    var levels: [Bool]

    public init(_ gic: GICCore) {
        self.gic = gic
        levels = Array(repeating: false, count: gic.cpus.count * 3)
    }

    /// A timer output: enabled, not masked, and its condition met (CTL ENABLE = 1, IMASK = 0).
    @inline(__always) static func firing(ctl: UInt64, cval: UInt64, count: UInt64) -> Bool {
        ctl & 3 == 1 && count >= cval
    }

    /// Sets every timer's PPI level for virtual time `now`.
    public func update(now: UInt64) {
        for (c, cpu) in gic.cpus.enumerated() {
            let s = cpu.st.pointee
            let count = now / cpu.instructionsPerTick
            set(c, 0, PPI.phys, GenericTimer.firing(ctl: s.cntpCtl, cval: s.cntpCval, count: count))
            set(c, 1, PPI.virt, GenericTimer.firing(ctl: s.cntvCtl, cval: s.cntvCval, count: count &- s.cntvoffEL2))
            set(c, 2, PPI.hyp, GenericTimer.firing(ctl: s.cnthpCtl, cval: s.cnthpCval, count: count))
        }
    }

    private func set(_ c: Int, _ k: Int, _ ppi: Int, _ high: Bool) {
        guard levels[c * 3 + k] != high else { return }
        levels[c * 3 + k] = high
        gic.setLine(ppi, cpu: c, high)
    }

    /// The earliest virtual time after `now` at which an enabled, unmasked timer that is not
    /// yet firing will fire; `UInt64.max` when none will.
    public func nextDeadline(now: UInt64) -> UInt64 {
        var best = UInt64.max
        for cpu in gic.cpus {
            let s = cpu.st.pointee, ipt = cpu.instructionsPerTick
            let count = now / ipt
            func consider(_ ctl: UInt64, _ cval: UInt64, offset: UInt64) {
                guard ctl & 3 == 1 else { return }
                let c = count &- offset
                guard c < cval else { return }           // already firing: its level is set
                // Ticks to go, then instructions: the first time whose count reaches cval.
                let ticks = cval - c
                let (t, over) = ticks.multipliedReportingOverflow(by: ipt)
                if over { return }
                let at = (count &* ipt).addingReportingOverflow(t)
                if !at.overflow && at.partialValue < best { best = at.partialValue }
            }
            consider(s.cntpCtl, s.cntpCval, offset: 0)
            consider(s.cntvCtl, s.cntvCval, offset: s.cntvoffEL2)
            consider(s.cnthpCtl, s.cnthpCval, offset: 0)
        }
        return best
    }
}

extension GenericTimer {
    /// The virtual time of the next event-stream event of `cpu` after `now` (Arm ARM D11.2.3:
    /// an event each time the selected counter bit EVNTI changes in the EVNTDIR direction),
    /// from CNTKCTL_EL1 on the virtual count or CNTHCTL_EL2 on the physical count; nil if
    /// neither stream is enabled. WFE waits end there.
    public static func nextEventStream(_ cpu: CPU, now: UInt64) -> UInt64? {
        let s = cpu.st.pointee, ipt = cpu.instructionsPerTick
        var best: UInt64? = nil
        func consider(_ ctl: UInt64, offset: UInt64) {
            guard ctl & 4 != 0 else { return }
            let bit = (ctl >> 4) & 15, period = UInt64(2) << bit
            let count = now / ipt &- offset
            // Rising edges of the bit fall at k * period + period / 2, falling edges at k * period.
            let phase = ctl & 8 == 0 ? period / 2 : 0
            var next = (count & ~(period - 1)) &+ phase
            if next <= count { next &+= period }
            let at = (next &+ offset) &* ipt
            if best == nil || at < best! { best = at }
        }
        consider(s.cntkctlEL1, offset: s.cntvoffEL2)
        consider(s.cnthctlEL2, offset: 0)
        return best
    }
}
