import Testing
@testable import Devices

@Suite struct PL011Tests {
    @Test func transmitsAndReceivesWithInterrupts() {
        var out: [UInt8] = []
        var level = false
        let u = PL011(output: { out.append($0) })
        u.irq = { level = $0 }
        u.write(offset: 0x000, size: 4, value: 0x41, cpu: 0)
        #expect(out == [0x41])
        #expect(!level)                                   // nothing unmasked yet
        u.write(offset: 0x038, size: 4, value: 1 << 4, cpu: 0) // unmask RX
        #expect(u.read(offset: 0x018, size: 4, cpu: 0) & (1 << 4) != 0) // RX FIFO empty
        u.receive(0x62)
        #expect(level)
        #expect(u.read(offset: 0x018, size: 4, cpu: 0) & (1 << 4) == 0)
        #expect(u.read(offset: 0x000, size: 4, cpu: 0) == 0x62)
        #expect(!level)                                   // draining the FIFO drops the line
        #expect(u.read(offset: 0xfe0, size: 4, cpu: 0) == 0x11) // PrimeCell peripheral ID
    }
}
