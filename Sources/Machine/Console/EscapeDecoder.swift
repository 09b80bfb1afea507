/// A command typed on the console after the Ctrl-A escape, as on QEMU's `-nographic`.
public enum ConsoleCommand: Equatable, Sendable {
    case quit      // Ctrl-A x
    case help      // Ctrl-A h
    case monitor   // Ctrl-A c: enter the monitor, or leave it
    case snapshot  // Ctrl-A s: save a snapshot of the machine
}

/// Console input in the order it was typed: bytes (for the guest, or for the monitor's
/// prompt while the monitor has the input) and escape commands.
public enum ConsoleInput: Equatable, Sendable {
    case bytes([UInt8])
    case command(ConsoleCommand)
}

/// Splits console input into bytes for the guest and escape commands. Ctrl-A starts an
/// escape; the next byte picks the command, Ctrl-A again sends one Ctrl-A to the guest,
/// and any other byte is dropped (QEMU does the same). An escape split across two reads
/// is completed by the next call. A pure value: testable without a terminal.
///
/// With `passesTripleEscape` (hypervisor mode) Ctrl-A pressed three times in a row is
/// passed on as three Ctrl-A bytes, at once: the hosted hypervisor takes them as Xen's
/// "switch the console input to the next domain". Ctrl-A Ctrl-A followed by anything
/// else still sends one Ctrl-A (and then that byte), and Ctrl-A x/h/c/s stay commands.
public struct EscapeDecoder: Sendable {
    public static let escape: UInt8 = 0x01
    public static let help = """
        C-a h        print this help
        C-a x        exit hvsim
        C-a s        save a snapshot of the machine (to --snapshot-file)
        C-a c        switch between the guest and the monitor ((hvsim) prompt; 'help' there)
        C-a C-a      send C-a to the guest
        C-a C-a C-a  with --hypervisor: switch the input to the next domain (as Xen)

        """

    /// Whether three Ctrl-A in a row go through as three Ctrl-A bytes.
    public var passesTripleEscape: Bool
    /// Ctrl-A bytes seen in a row, not yet decided (0, 1, or 2 with `passesTripleEscape`).
    public private(set) var pendingEscapes = 0
    public var inEscape: Bool { pendingEscapes > 0 }

    public init(passesTripleEscape: Bool = false) { self.passesTripleEscape = passesTripleEscape }

    /// Guest bytes and commands in `input`, in order per kind. Input after a quit is dropped.
    public mutating func decode(_ input: some Sequence<UInt8>) -> (guest: [UInt8], commands: [ConsoleCommand]) {
        var guest: [UInt8] = []
        var commands: [ConsoleCommand] = []
        for item in decodeInOrder(input) {
            switch item {
            case .bytes(let b): guest += b
            case .command(let c): commands.append(c)
            }
        }
        return (guest, commands)
    }

    /// Bytes and commands in `input`, in the order typed. Input after a quit is dropped.
    public mutating func decodeInOrder(_ input: some Sequence<UInt8>) -> [ConsoleInput] {
        var items: [ConsoleInput] = []
        var run: [UInt8] = []   // bytes since the last command
        func command(_ c: ConsoleCommand) {
            if !run.isEmpty { items.append(.bytes(run)); run = [] }
            items.append(.command(c))
        }
        for b in input {
            switch pendingEscapes {
            case 0:
                if b == Self.escape { pendingEscapes = 1 } else { run.append(b) }
                continue
            case 2:
                // Ctrl-A Ctrl-A: a third one switches domains, anything else follows one Ctrl-A.
                pendingEscapes = 0
                run += b == Self.escape ? [b, b, b] : [Self.escape, b]
                continue
            default:
                break
            }
            pendingEscapes = 0
            switch b {
            case Self.escape:
                if passesTripleEscape { pendingEscapes = 2 } else { run.append(b) }
            case UInt8(ascii: "x"): command(.quit); return items
            case UInt8(ascii: "h"): command(.help)
            case UInt8(ascii: "c"): command(.monitor)
            case UInt8(ascii: "s"): command(.snapshot)
            default: break
            }
        }
        if !run.isEmpty { items.append(.bytes(run)) }
        return items
    }
}
