/* The first hosted-hypervisor test domU: prints through the vpl011 and console_io, checks
 * xen_version and get_features, sends itself an event over an IPI event channel, and
 * powers off with SCHEDOP_shutdown. */
#include "../xen.h"

static struct shared_info_l2 shared __attribute__((aligned(4096)));
static u8 page_pad[4096] __attribute__((aligned(4096)));

int main(u64 dtb) {
    print("xenguest hello: started, dtb at "); print_hex(dtb); print("\n");

    long v = hypercall(__HYPERVISOR_xen_version, 0, 0, 0, 0, 0);
    print("xen_version "); print_dec((u64)v >> 16); print("."); print_dec((u64)v & 0xffff); print("\n");
    if (v >> 16 != 4) fail("xen_version", v);

    struct { u32 idx, map; } f = { 0, 0 };
    long r = hypercall(__HYPERVISOR_xen_version, 6, (u64)&f, 0, 0, 0);
    if (r != 0 || !(f.map & (1 << 2))) fail("get_features (auto_translated_physmap)", r);

    const char msg[] = "console_io says hello\n";
    r = hypercall(__HYPERVISOR_console_io, 0, sizeof msg - 1, (u64)msg, 0, 0);
    if (r != 0) fail("console_io", r);

    r = hypercall(99, 0, 0, 0, 0, 0);
    if (r != -38) fail("unknown hypercall not -ENOSYS", r);

    /* Map shared_info over our own page (XENMEM_add_to_physmap, XENMAPSPACE_shared_info). */
    struct { u16 domid, size; u32 space; u64 idx, gpfn; } xatp = { DOMID_SELF, 0, 0, 0, (u64)&shared >> 12 };
    r = hypercall(__HYPERVISOR_memory_op, 7, (u64)&xatp, 0, 0, 0);
    if (r != 0) fail("add_to_physmap shared_info", r);

    /* An IPI event channel to ourselves: send, see it pending. */
    struct { u32 vcpu, port; } ipi = { 0, 0 };
    r = hypercall(__HYPERVISOR_event_channel_op, 7, (u64)&ipi, 0, 0, 0);
    if (r != 0 || ipi.port == 0) fail("bind_ipi", r);
    shared.evtchn_mask[0] = 0;
    r = hypercall(__HYPERVISOR_event_channel_op, 4, (u64)&ipi.port, 0, 0, 0);
    if (r != 0) fail("evtchn send", r);
    if (!(shared.evtchn_pending[0] & (1ul << ipi.port))) fail("event not pending", ipi.port);
    if (!shared.vcpu0.upcall_pending) fail("upcall not pending", 0);
    print("event channel "); print_dec(ipi.port); print(" delivered\n");

    /* A bad pointer gives -EFAULT, not a crash. */
    r = hypercall(__HYPERVISOR_event_channel_op, 4, 0xdead0000ul, 0, 0, 0);
    if (r != -14) fail("bad pointer not -EFAULT", r);
    (void)page_pad;
    print("xenguest hello: PASS\n");
    return 0;
}
