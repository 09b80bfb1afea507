import Emu

/// Arm PrimeCell UART (PL011), as described in its Technical Reference Manual (DDI 0183)
/// and as Linux's amba-pl011 driver uses it. The emulated line has no bit timing:
/// - Transmit: a byte written to UARTDR goes to `output` at once, so the transmit FIFO is
///   always empty (TXFE set, TXFF and BUSY never). Bytes are sent even while UARTEN or TXE
///   is clear, because early consoles (Linux's earlycon, bare-metal programs) write UARTDR
///   without enabling the UART, and QEMU's model sends them too. With loopback (LBE) and
///   UARTEN set, they go to the receive FIFO instead.
/// - Transmit interrupt: the FIFO is always at or below any trigger level, so TXRIS is a
///   level that is set whenever the transmitter is enabled (UARTEN and TXE); UARTICR cannot
///   clear it. Drivers mask TXIM when they have nothing more to send, as Linux does.
/// - Receive: `receive` queues host bytes while UARTEN and RXE are set and there is room:
///   16 entries with FEN set (Linux takes the FIFO depth from the revision in PeriphID2,
///   16 below revision 3), or the 1-byte holding register with FEN clear. When it refuses
///   a byte the caller keeps it for later, so nothing is lost and overruns never happen.
/// - Receive interrupts: a byte arriving sets RXRIS and RTRIS, whatever the IFLS trigger
///   level (as QEMU does): one typed character must interrupt at once, and the receive
///   timeout (32 idle bit periods) has no time to elapse in. Both clear when the FIFO is
///   read empty or through UARTICR; the next byte sets them again.
public final class PL011: MMIOHandler {
    enum Register: UInt64 {
        case dr = 0x000, rsr = 0x004, fr = 0x018, ilpr = 0x020, ibrd = 0x024, fbrd = 0x028
        case lcrH = 0x02c, cr = 0x030, ifls = 0x034, imsc = 0x038, ris = 0x03c, mis = 0x040, icr = 0x044
        case dmacr = 0x048
    }
    /// UARTFR bits.
    enum Flag { static let busy: UInt64 = 1 << 3, rxfe: UInt64 = 1 << 4, txff: UInt64 = 1 << 5, rxff: UInt64 = 1 << 6, txfe: UInt64 = 1 << 7 }
    /// Interrupt bits (UARTRIS/MIS/IMSC/ICR); bits 0-3 are the modem lines, never raised here.
    enum Interrupt {
        static let rx: UInt64 = 1 << 4, tx: UInt64 = 1 << 5, rt: UInt64 = 1 << 6, overrun: UInt64 = 1 << 10
        static let all: UInt64 = 0x7ff
    }
    /// UARTCR bits.
    enum Control { static let uarten: UInt64 = 1 << 0, loopback: UInt64 = 1 << 7, txe: UInt64 = 1 << 8, rxe: UInt64 = 1 << 9 }
    /// UARTLCR_H FIFO enable.
    static let fifoEnable: UInt64 = 1 << 4
    /// UARTRSR/UARTECR overrun error bit.
    static let overrunError: UInt64 = 1 << 3
    static let fifoDepth = 16
    /// UARTPeriphID0-3 then UARTPCellID0-3, at 0xFE0-0xFFC: part 0x011, Arm, revision 1.
    static let identification: [UInt64] = [0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1]

    public var output: (UInt8) -> Void
    /// Called when the interrupt output (UARTINTR) changes level.
    public var irq: (Bool) -> Void = { _ in }
    public internal(set) var interruptAsserted = false

    // Internal, not private: PL011+State.swift saves and restores them.
    var rx: [UInt8] = []
    var cr: UInt64 = 0x300, lcrH: UInt64 = 0, ibrd: UInt64 = 0, fbrd: UInt64 = 0, ifls: UInt64 = 0x12
    var imsc: UInt64 = 0, ilpr: UInt64 = 0, dmacr: UInt64 = 0, rsr: UInt64 = 0
    /// Raised interrupt bits that stay until cleared (RX, RT, overrun); TX is computed.
    var latched: UInt64 = 0

    /// The SBSA generic UART subset (Arm SBSA, appendix B; Xen's vpl011): no UARTCR or
    /// UARTLCR_H, so the UART is always enabled with its FIFOs on, and writes to those
    /// registers are ignored.
    public let sbsa: Bool

    public init(sbsa: Bool = false, output: @escaping (UInt8) -> Void) { self.sbsa = sbsa; self.output = output }

    private func enabled(_ bits: UInt64) -> Bool {
        if sbsa { return bits & Control.loopback == 0 }
        return cr & (Control.uarten | bits) == Control.uarten | bits
    }
    private var rxCapacity: Int { sbsa || lcrH & Self.fifoEnable != 0 ? Self.fifoDepth : 1 }

    /// Whether `receive` would accept a byte now.
    public var canReceive: Bool { enabled(Control.rxe) && rx.count < rxCapacity }

    /// Offers one byte from the host; false (and nothing changes) when the receiver is
    /// disabled or full, in which case the caller keeps the byte and offers it again later.
    @discardableResult
    public func receive(_ byte: UInt8) -> Bool {
        guard canReceive else { return false }
        push(byte)
        return true
    }

    private func push(_ byte: UInt8) {
        rx.append(byte)
        latched |= Interrupt.rx | Interrupt.rt
        update()
    }

    var rawStatus: UInt64 { latched | (enabled(Control.txe) ? Interrupt.tx : 0) }

    private func update() {
        let level = rawStatus & imsc != 0
        if level != interruptAsserted { interruptAsserted = level; irq(level) }
    }

    private func transmit(_ byte: UInt8) {
        guard enabled(Control.loopback) else { output(byte); return }
        if rx.count < rxCapacity { push(byte); return }
        rsr |= Self.overrunError   // loopback into a full FIFO: the byte is lost
        latched |= Interrupt.overrun
        update()
    }

    public func read(offset: UInt64, size: Int, cpu: Int) -> UInt64 {
        if offset >= 0xfe0 && offset < 0x1000 { return Self.identification[Int((offset - 0xfe0) >> 2)] }
        guard let reg = Register(rawValue: offset) else { return 0 }
        switch reg {
        case .dr:
            if rx.isEmpty { return 0 }
            let b = rx.removeFirst()
            if rx.isEmpty { latched &= ~(Interrupt.rx | Interrupt.rt); update() }
            return UInt64(b)
        case .rsr: return rsr
        case .fr:
            return (rx.isEmpty ? Flag.rxfe : 0) | (rx.count >= rxCapacity ? Flag.rxff : 0) | Flag.txfe
        case .ibrd: return ibrd
        case .fbrd: return fbrd
        case .lcrH: return lcrH
        case .cr: return cr
        case .ifls: return ifls
        case .imsc: return imsc
        case .ris: return rawStatus
        case .mis: return rawStatus & imsc
        case .ilpr: return ilpr
        case .dmacr: return dmacr
        case .icr: return 0
        }
    }

    public func write(offset: UInt64, size: Int, value: UInt64, cpu: Int) {
        guard let reg = Register(rawValue: offset) else { return }
        switch reg {
        case .dr: transmit(UInt8(truncatingIfNeeded: value))
        case .rsr: rsr = 0   // UARTECR: any write clears the error flags
        case .ibrd: ibrd = value & 0xffff
        case .fbrd: fbrd = value & 0x3f
        case .lcrH: lcrH = value & 0xff
        case .cr where sbsa, .lcrH where sbsa: break
        case .cr: cr = value & 0xff87; update()   // bits 6:3 are reserved
        case .ifls: ifls = value & 0x3f
        case .imsc: imsc = value & Interrupt.all; update()
        case .icr: latched &= ~value; update()
        case .ilpr: ilpr = value & 0xff
        case .dmacr: dmacr = value & 7
        case .fr, .ris, .mis: break
        }
    }
}
