// The Swift hypervisor core (DESIGN.md, "Hosting the hypervisor"): Common/ for domains,
// scheduling, event channels and grant tables, Arm/ for EL2 trap handling, stage 2,
// vGIC, vtimer and vpl011. It is built on the emulator's EL2 in later work; this
// namespace marks the module boundary so that Machine's imports already point one way.

import Emu
import Devices

public enum Hypervisor {
    /// The Xen interface version hvsim's guests will see (xen_version, /hypervisor node).
    public static let xenVersion = (major: 4, minor: 12)
}
