import Emu

/// Hypercall continuations (Xen's hypercall_create_continuation on Arm): a long hypercall
/// does a bounded piece of its work, then rewrites its own arguments to describe what is
/// left and moves the guest's PC back onto the HVC. The vCPU re-enters the hypervisor
/// with the rest, so between pieces the pCPU takes interrupts (slice ends, timers, kicks),
/// other vCPUs are scheduled, and the machine runs its other pCPUs: one guest's huge batch
/// never holds up the others. The guest sees its argument registers changed, as on Xen.
extension HostedHypervisor {
    /// Makes the HVC run again with x0... = `args`; returns the new x0 (the hypercall's
    /// result register) for the caller to return.
    func continuation(_ c: CPU, _ args: UInt64...) -> UInt64 {
        for (i, a) in args.enumerated().dropFirst() { c[i] = a }
        c.st.pointee.elrEL2 &-= 4
        return args[0]
    }
}

extension XenABI {
    /// How much one piece of a continued hypercall does.
    enum Continuation {
        /// grant_table_op map, unmap and copy elements.
        static let grantOps: UInt32 = 256
        /// console_io write bytes.
        static let consoleBytes: UInt32 = 4096
    }
}
