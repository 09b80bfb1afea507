/// The hypervisor console's input side (Xen's console/serial input): bytes from the
/// terminal go to one domain's vpl011; pressing Ctrl-A three times in a row moves the
/// input to the next domain, as Xen's "CTRL-a three times to switch input" does.
extension HostedHypervisor {
    /// Domains whose console can take input: running, with a vpl011.
    private var inputDomains: [Domain] { domains.filter { $0.vpl011 != nil && $0.state == .running } }

    /// The domain the terminal's input goes to now.
    public var focusedDomain: Domain? {
        let ds = inputDomains
        return ds.isEmpty ? nil : ds[consoleFocus % ds.count]
    }

    /// Delivers one byte of terminal input; false when the focused vpl011's FIFO is full
    /// (the caller retries later).
    public func consoleInput(_ byte: UInt8) -> Bool {
        if byte == 0x01 {
            escapeCount += 1
            if escapeCount == 3 {
                escapeCount = 0
                switchFocus()
            }
            return true
        }
        // Ctrl-A pressed once or twice and then something else: those reach the guest too.
        let pending = escapeCount
        escapeCount = 0
        guard let d = focusedDomain, let u = d.vpl011 else { return true }
        for _ in 0..<pending { _ = u.receive(0x01) }
        return u.receive(byte)
    }

    private func switchFocus() {
        let ds = inputDomains
        guard !ds.isEmpty else { return }
        consoleFocus = (consoleFocus + 1) % ds.count
        announceInput()
    }

    /// Says which domain has the input (at boot, as Xen's "*** Serial input to DOMx").
    public func announceInput() {
        guard let d = focusedDomain else { return }
        say("input to domain \(d.id) (\(d.name)); Ctrl-A three times switches")
    }

    /// Moves the input to the domain named `name` (tests, the monitor).
    public func focus(domain name: String) {
        if let i = inputDomains.firstIndex(where: { $0.name == name }) { consoleFocus = i }
    }
}
