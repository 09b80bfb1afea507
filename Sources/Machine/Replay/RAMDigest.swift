import Emu

/// A hash of all of guest RAM that is cheap to keep current: the wrapping sum over pages of
/// a hash of (bank, page index, contents), an all-zero page counting zero. `update()` rehashes
/// only the pages marked touched since the last update (RAMBank.takeTouched), so a
/// checkpoint costs what the guest wrote since the previous one, not the size of RAM. The
/// value depends only on what RAM holds, never on which pages happened to be marked.
public final class RAMDigest {
    private let machine: Machine
    /// Each page's current term of the sum, per bank.
    private var terms: [UnsafeMutablePointer<UInt64>] = []
    public private(set) var value: UInt64 = 0

    /// Hashes all of RAM (the pages the host never backed are zero and are not read).
    public init(machine: Machine) {
        self.machine = machine
        for (k, b) in machine.bus.banks.enumerated() {
            let t = UnsafeMutablePointer<UInt64>.allocate(capacity: b.pageCount)
            t.initialize(repeating: 0, count: b.pageCount)
            terms.append(t)
            b.takeTouched { _ in }
            Machine.forEachNonZeroPage(b.host, size: Int(b.size)) { i, p in
                t[i] = RAMDigest.term(bank: k, page: i, p)
                value &+= t[i]
            }
        }
        machine.codeCache.dropWriteAccess()
    }

    deinit { for t in terms { t.deallocate() } }

    /// Brings the value up to date with the pages written since the last update.
    public func update() -> UInt64 {
        for (k, b) in machine.bus.banks.enumerated() {
            let t = terms[k]
            b.takeTouched { i in
                let new = RAMDigest.term(bank: k, page: i, UnsafeRawPointer(b.host + i << 12))
                value = value &- t[i] &+ new
                t[i] = new
            }
        }
        machine.codeCache.dropWriteAccess()
        return value
    }

    private static func term(bank: Int, page: Int, _ p: UnsafeRawPointer) -> UInt64 {
        var any: UInt64 = 0
        for k in stride(from: 0, to: 4096, by: 8) { any |= p.load(fromByteOffset: k, as: UInt64.self) }
        if any == 0 { return 0 }
        var h = StateHasher()
        h.add(UInt64(bank) << 32 | UInt64(page))
        h.add(bytes: p, count: 4096)
        return h.value
    }
}
