import Emu

/// Arm PrimeCell UART (PL011), as described in the PL011 Technical Reference Manual
/// (DDI 0183). Transmitted bytes go to `output`; received bytes are queued by `receive`.
/// Interrupt delivery arrives with the interrupt controller; the status registers are
/// already architectural.
public final class PL011: MMIOHandler {
    enum Register: UInt64 {
        case dr = 0x000, rsr = 0x004, fr = 0x018, ilpr = 0x020, ibrd = 0x024, fbrd = 0x028
        case lcrH = 0x02c, cr = 0x030, ifls = 0x034, imsc = 0x038, ris = 0x03c, mis = 0x040, icr = 0x044
        case dmacr = 0x048
    }
    /// Flag register bits.
    enum Flag { static let rxfe: UInt64 = 1 << 4, txff: UInt64 = 1 << 5, rxff: UInt64 = 1 << 6, txfe: UInt64 = 1 << 7 }
    /// Interrupt bits (RIS/MIS/IMSC/ICR).
    enum Interrupt { static let rx: UInt64 = 1 << 4, tx: UInt64 = 1 << 5, rt: UInt64 = 1 << 6 }

    public var output: (UInt8) -> Void
    private var rx: [UInt8] = []
    private var cr: UInt64 = 0x300, lcrH: UInt64 = 0, ibrd: UInt64 = 0, fbrd: UInt64 = 0, ifls: UInt64 = 0x12
    private var imsc: UInt64 = 0, ris: UInt64 = 0, ilpr: UInt64 = 0, dmacr: UInt64 = 0
    /// Called when the interrupt output changes level.
    public var irq: (Bool) -> Void = { _ in }

    public init(output: @escaping (UInt8) -> Void) { self.output = output }

    public func receive(_ byte: UInt8) {
        rx.append(byte)
        ris |= Interrupt.rx
        update()
    }

    private func update() { irq(ris & imsc != 0) }

    public func read(offset: UInt64, size: Int, cpu: Int) -> UInt64 {
        // PrimeCell identification registers at 0xFE0-0xFFC.
        if offset >= 0xfe0 && offset < 0x1000 {
            let id: [UInt64] = [0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1]
            return id[Int((offset - 0xfe0) >> 2)]
        }
        guard let reg = Register(rawValue: offset) else { return 0 }
        switch reg {
        case .dr:
            if rx.isEmpty { return 0 }
            let b = rx.removeFirst()
            if rx.isEmpty { ris &= ~Interrupt.rx; update() }
            return UInt64(b)
        case .fr: return (rx.isEmpty ? Flag.rxfe : 0) | Flag.txfe
        case .ibrd: return ibrd
        case .fbrd: return fbrd
        case .lcrH: return lcrH
        case .cr: return cr
        case .ifls: return ifls
        case .imsc: return imsc
        case .ris: return ris
        case .mis: return ris & imsc
        case .ilpr: return ilpr
        case .dmacr: return dmacr
        case .rsr, .icr: return 0
        }
    }

    public func write(offset: UInt64, size: Int, value: UInt64, cpu: Int) {
        guard let reg = Register(rawValue: offset) else { return }
        switch reg {
        case .dr:
            output(UInt8(truncatingIfNeeded: value))
            ris |= Interrupt.tx   // the transmit FIFO drains at once
            update()
        case .ibrd: ibrd = value & 0xffff
        case .fbrd: fbrd = value & 0x3f
        case .lcrH: lcrH = value & 0xff
        case .cr: cr = value & 0xffff
        case .ifls: ifls = value & 0x3f
        case .imsc: imsc = value & 0x7ff; update()
        case .icr: ris &= ~value; update()
        case .ilpr: ilpr = value & 0xff
        case .dmacr: dmacr = value & 7
        case .rsr, .fr, .ris, .mis: break
        }
    }
}
