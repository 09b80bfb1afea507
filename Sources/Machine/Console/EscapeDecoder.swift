/// A command typed on the console after the Ctrl-A escape, as on QEMU's `-nographic`.
public enum ConsoleCommand: Equatable, Sendable {
    case quit      // Ctrl-A x
    case help      // Ctrl-A h
    case monitor   // Ctrl-A c
    case snapshot  // Ctrl-A s: save a snapshot of the machine
}

/// Splits console input into bytes for the guest and escape commands. Ctrl-A starts an
/// escape; the next byte picks the command, Ctrl-A again sends one Ctrl-A to the guest,
/// and any other byte is dropped (QEMU does the same). An escape split across two reads
/// is completed by the next call. A pure value: testable without a terminal.
public struct EscapeDecoder: Sendable {
    public static let escape: UInt8 = 0x01
    public static let help = """
        C-a h    print this help
        C-a x    exit hvsim
        C-a s    save a snapshot of the machine (to --snapshot-file)
        C-a c    switch to the monitor (not available yet)
        C-a C-a  send C-a to the guest

        """

    public private(set) var inEscape = false

    public init() {}

    /// Guest bytes and commands in `input`, in order per kind. Input after a quit is dropped.
    public mutating func decode(_ input: some Sequence<UInt8>) -> (guest: [UInt8], commands: [ConsoleCommand]) {
        var guest: [UInt8] = []
        var commands: [ConsoleCommand] = []
        for b in input {
            guard inEscape else {
                if b == Self.escape { inEscape = true } else { guest.append(b) }
                continue
            }
            inEscape = false
            switch b {
            case Self.escape: guest.append(b)
            case UInt8(ascii: "x"): commands.append(.quit); return (guest, commands)
            case UInt8(ascii: "h"): commands.append(.help)
            case UInt8(ascii: "c"): commands.append(.monitor)
            case UInt8(ascii: "s"): commands.append(.snapshot)
            default: break
            }
        }
        return (guest, commands)
    }
}
