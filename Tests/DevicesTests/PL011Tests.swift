import Testing
@testable import Devices

private enum Reg {
    static let dr: UInt64 = 0x000, rsr: UInt64 = 0x004, fr: UInt64 = 0x018, lcrH: UInt64 = 0x02c
    static let cr: UInt64 = 0x030, ifls: UInt64 = 0x034, imsc: UInt64 = 0x038, ris: UInt64 = 0x03c
    static let mis: UInt64 = 0x040, icr: UInt64 = 0x044
}
private enum Bit {
    static let rxfe: UInt64 = 1 << 4, txff: UInt64 = 1 << 5, rxff: UInt64 = 1 << 6, txfe: UInt64 = 1 << 7, busy: UInt64 = 1 << 3
    static let rxim: UInt64 = 1 << 4, txim: UInt64 = 1 << 5, rtim: UInt64 = 1 << 6, oeim: UInt64 = 1 << 10
    static let uarten: UInt64 = 1, lbe: UInt64 = 1 << 7, txe: UInt64 = 1 << 8, rxe: UInt64 = 1 << 9
    static let fen: UInt64 = 1 << 4
}

extension PL011 {
    fileprivate func r(_ o: UInt64) -> UInt64 { read(offset: o, size: 4, cpu: 0) }
    fileprivate func w(_ o: UInt64, _ v: UInt64) { write(offset: o, size: 4, value: v, cpu: 0) }
}

/// A UART as Linux leaves it after startup: enabled, FIFOs on, RX and RT unmasked.
private func linuxStyleUART() -> (PL011, () -> [UInt8], () -> Bool) {
    var out: [UInt8] = []
    var level = false
    let u = PL011(output: { out.append($0) })
    u.irq = { level = $0 }
    u.w(Reg.lcrH, Bit.fen | 0x60)             // 8N1, FIFOs enabled
    u.w(Reg.cr, Bit.uarten | Bit.txe | Bit.rxe)
    u.w(Reg.imsc, Bit.rxim | Bit.rtim)
    return (u, { out }, { level })
}

@Suite struct PL011Tests {
    @Test func transmitsAndReceivesWithInterrupts() {
        let (u, out, level) = linuxStyleUART()
        u.w(Reg.dr, 0x41)
        #expect(out() == [0x41])
        #expect(!level())
        #expect(u.r(Reg.fr) & Bit.rxfe != 0)
        #expect(u.receive(0x62))
        #expect(level())                       // one byte interrupts at once
        #expect(u.r(Reg.mis) == Bit.rxim | Bit.rtim)
        #expect(u.r(Reg.fr) & Bit.rxfe == 0)
        #expect(u.r(Reg.dr) == 0x62)
        #expect(!level())                      // reading the FIFO empty drops the line
        #expect(u.r(0xfe0) == 0x11)            // PrimeCell peripheral ID
    }

    @Test func identificationMatchesRevision1() {
        let u = PL011(output: { _ in })
        let ids = (0..<8).map { u.r(0xfe0 + UInt64($0) * 4) }
        #expect(ids == [0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1])
    }

    @Test func fifoHoldsSixteenBytesThenPushesBack() {
        let (u, _, _) = linuxStyleUART()
        for i in 0..<16 { #expect(u.receive(UInt8(i))) }
        #expect(!u.canReceive)
        #expect(!u.receive(99))                // refused, the caller keeps it
        #expect(u.r(Reg.fr) & Bit.rxff != 0)
        #expect(u.r(Reg.dr) == 0)
        #expect(u.r(Reg.fr) & Bit.rxff == 0)
        #expect(u.canReceive)
        #expect(u.receive(99))
        let rest = (0..<16).map { _ in u.r(Reg.dr) }
        #expect(rest == Array(1..<16) + [99])
        #expect(u.r(Reg.fr) & Bit.rxfe != 0)
        #expect(u.r(Reg.rsr) == 0)             // never an overrun
    }

    @Test func withoutFIFOsTheReceiverHoldsOneByte() {
        let (u, _, _) = linuxStyleUART()
        u.w(Reg.lcrH, 0x60)                    // FEN clear: character mode
        #expect(u.receive(1))
        #expect(!u.receive(2))
        #expect(u.r(Reg.fr) & (Bit.rxff | Bit.rxfe) == Bit.rxff)
        #expect(u.r(Reg.dr) == 1)
        #expect(u.receive(2))
    }

    @Test func receiverMustBeEnabled() {
        let u = PL011(output: { _ in })        // reset: TXE and RXE set, UARTEN clear
        #expect(!u.canReceive)
        #expect(!u.receive(1))
        u.w(Reg.cr, Bit.uarten | Bit.txe)
        #expect(!u.receive(1))
        u.w(Reg.cr, Bit.uarten | Bit.rxe)
        #expect(u.receive(1))
    }

    @Test func transmitsEvenWhileDisabledAsEarlyConsolesExpect() {
        var out: [UInt8] = []
        let u = PL011(output: { out.append($0) })
        u.w(Reg.cr, 0)
        u.w(Reg.dr, 0x1_48)                    // bits above 7 are not data
        #expect(out == [0x48])
        #expect(u.r(Reg.fr) & (Bit.txfe | Bit.txff | Bit.busy) == Bit.txfe)
    }

    @Test func transmitInterruptIsALevelWhileTheTransmitterIsEnabled() {
        let (u, _, level) = linuxStyleUART()
        #expect(u.r(Reg.ris) & Bit.txim != 0)  // empty FIFO, at or below any trigger
        #expect(!level())
        u.w(Reg.imsc, Bit.rxim | Bit.rtim | Bit.txim)
        #expect(level())
        u.w(Reg.icr, Bit.txim)                 // cannot be cleared while it holds
        #expect(level())
        u.w(Reg.imsc, Bit.rxim | Bit.rtim)     // drivers mask it when done
        #expect(!level())
        u.w(Reg.imsc, Bit.txim)
        u.w(Reg.cr, Bit.uarten | Bit.rxe)      // transmitter disabled: no TX interrupt
        #expect(u.r(Reg.ris) & Bit.txim == 0)
        #expect(!level())
    }

    @Test func icrClearsReceiveInterruptsUntilTheNextByte() {
        let (u, _, level) = linuxStyleUART()
        u.receive(1); u.receive(2)
        #expect(level())
        u.w(Reg.icr, Bit.rxim | Bit.rtim)
        #expect(!level())
        #expect(u.r(Reg.ris) & (Bit.rxim | Bit.rtim) == 0)
        u.receive(3)
        #expect(level())
        #expect(u.r(Reg.dr) == 1)
        #expect(level())                       // still data in the FIFO
        _ = u.r(Reg.dr); _ = u.r(Reg.dr)
        #expect(!level())
    }

    @Test func receiveTimeoutAloneStillInterrupts() {
        let (u, _, level) = linuxStyleUART()
        u.w(Reg.imsc, Bit.rtim)
        u.w(Reg.ifls, 0b100_000)               // RX trigger at 7/8: the timeout must cover it
        u.receive(0x0d)
        #expect(level())
        #expect(u.r(Reg.mis) == Bit.rtim)
    }

    @Test func loopbackFeedsTheReceiverAndOverruns() {
        let (u, out, level) = linuxStyleUART()
        u.w(Reg.cr, Bit.uarten | Bit.txe | Bit.rxe | Bit.lbe)
        u.w(Reg.imsc, Bit.oeim)
        for i in 0..<17 { u.w(Reg.dr, UInt64(i)) }
        #expect(out().isEmpty)
        #expect(u.r(Reg.rsr) == 1 << 3)        // the 17th byte overran
        #expect(level())
        u.w(Reg.rsr, 0)                        // UARTECR
        u.w(Reg.icr, Bit.oeim)
        #expect(u.r(Reg.rsr) == 0)
        #expect(!level())
        #expect(u.r(Reg.dr) == 0)
    }

    @Test func registersKeepWhatIsWritten() {
        let u = PL011(output: { _ in })
        #expect(u.r(Reg.cr) == 0x300)
        #expect(u.r(Reg.ifls) == 0x12)
        u.w(Reg.cr, 0xffff)
        #expect(u.r(Reg.cr) == 0xff87)         // reserved bits read as zero
        u.w(Reg.lcrH, 0x70)
        #expect(u.r(Reg.lcrH) == 0x70)
        u.w(Reg.fr, 0)                         // read-only
        #expect(u.r(Reg.fr) == Bit.rxfe | Bit.txfe)
    }
}
