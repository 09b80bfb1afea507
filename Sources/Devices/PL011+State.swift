import Emu

/// Snapshot state of the UART: every register, the receive FIFO in order, the latched interrupt
/// bits (RIS apart from the computed TX bit) and the interrupt line. The transmit side has no
/// state: bytes leave at once.
extension PL011: StateSaving {
    static let stateTag = "pl011/1"

    public func save(_ w: inout StateWriter) {
        w.tag(Self.stateTag)
        w.data(rx)
        for v in [cr, lcrH, ibrd, fbrd, ifls, imsc, ilpr, dmacr, rsr, latched] { w.u64(v) }
        w.bool(interruptAsserted)
    }

    /// Everything is read and checked before anything changes; then the `irq` closure is called
    /// with the restored level, so the interrupt controller sees the line as it was.
    public func restore(_ r: inout StateReader) throws {
        try r.expectTag(Self.stateTag)
        let fifo = try r.data()
        guard fifo.count <= Self.fifoDepth else {
            throw StateError("pl011: \(fifo.count) bytes in a \(Self.fifoDepth)-byte receive FIFO")
        }
        let regs = try (0..<10).map { _ in try r.u64() }
        let level = try r.bool()

        rx = fifo
        (cr, lcrH, ibrd, fbrd, ifls) = (regs[0], regs[1], regs[2], regs[3], regs[4])
        (imsc, ilpr, dmacr, rsr, latched) = (regs[5], regs[6], regs[7], regs[8], regs[9])
        guard level == (rawStatus & imsc != 0) else {
            throw StateError("pl011: saved interrupt level \(level) disagrees with RIS \(rawStatus) and IMSC \(imsc)")
        }
        interruptAsserted = level
        irq(level)
    }
}
