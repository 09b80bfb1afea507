import Testing
@testable import Hypervisor

@Suite struct DomainConfigTests {
    @Test func defaultsFollowXen() {
        let d = DomainConfig(name: "d1", memoryKiB: 131072, vcpus: 1, kernel: .file("Image"))
        #expect(d.weight == 256 && d.cap == 0 && d.vpl011)
        #expect(HypervisorConfig(pcpus: 2, domains: [d]).scheduler == .credit2)
    }
}
