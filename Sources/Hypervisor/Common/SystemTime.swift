import Emu

/// A domain's system time: the nanoseconds of its virtual counter (CNTVCT_EL0, which the
/// domain's CNTVOFF starts near 0 when it is created). Hypercalls that take or give a time
/// (SCHEDOP_poll's timeout, the runstate area) mean this one. Xen's NOW() counts from
/// Xen's boot instead; for dom0less domains, built at boot, the two differ by the moment
/// a domain was created, and a guest on Arm has no way to read NOW() itself.
extension HostedHypervisor {
    /// Domain `d`'s system time now, as the pCPU the hypervisor runs on sees it.
    func systemTime(_ d: Domain) -> UInt64 {
        nanoseconds(ticks: pcpus[handling].now &- d.counterOffset)
    }

    /// Counter ticks as nanoseconds (rounded down; saturating).
    func nanoseconds(ticks: UInt64) -> UInt64 {
        let x = ticks.multipliedFullWidth(by: 1_000_000_000)
        guard x.high < ticksPerSecond else { return .max }
        return ticksPerSecond.dividingFullWidth((x.high, x.low)).quotient
    }

    /// The machine counter value at which `d`'s system time reaches `ns`: rounded up, so
    /// the guest reads at least `ns` then; `.max` if the counter never gets there.
    func machineTicks(_ d: Domain, systemTime ns: UInt64) -> UInt64 {
        let x = ns.multipliedFullWidth(by: ticksPerSecond)
        let second: UInt64 = 1_000_000_000
        guard x.high < second else { return .max }
        let (q, r) = second.dividingFullWidth((x.high, x.low))
        let (t, over) = q.addingReportingOverflow(d.counterOffset &+ (r == 0 ? 0 : 1))
        return over ? .max : t
    }
}
