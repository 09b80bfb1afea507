/// What the hypervisor's work costs the vCPU it is done for, in virtual time (instructions).
/// Under Xen that work runs on the pCPU's clock, inside the calling vCPU's slice; hvsim's
/// clock counts guest instructions only, so without a charge a domain that traps all the
/// time would get the hypervisor's work for nothing: its slice would last as many
/// instructions as a quiet domain's, and take many times the host's time. The machine
/// adds the charge to its clock after each trap (`takeCharge`); the scheduler then sees it
/// as the vCPU's running time, and guests see time pass, as on hardware.
///
/// The figures are the host cost of the work measured against guest code (FairnessTests):
/// a trap with its exit, emulation and return, and each element of a batched hypercall.
enum Charges {
    /// One trap to the hypervisor, whatever it was.
    static let trap: UInt64 = 500
    /// Each element of a grant-table batch, each page of a memory_op extent.
    static let element: UInt64 = 50
}

extension HostedHypervisor {
    /// The charge of the work since the last call, which the machine adds to its clock.
    public func takeCharge() -> UInt64 {
        defer { charge = 0 }
        return charge
    }
}
