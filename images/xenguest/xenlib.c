/* Small wrappers over the Xen hypercalls the demo domUs share: shared_info and the
 * 2-level event-channel bits in it (event_channel.h, xen.h), polling, grant-table
 * frames (grant_table.h, memory.h), and the guest's virtual GICv3 (GICD 0x03001000,
 * GICR 0x03020000, the ICC_* system registers through the GIC virtual CPU interface). */
#include "xen.h"

/* A whole page: the hypervisor's shared_info frame replaces it in our physical space. */
static union { struct shared_info_l2 s; u8 page[4096]; } shared_page __attribute__((aligned(4096)));
struct shared_info_l2 *shared_info;

/* XENMEM_add_to_physmap XENMAPSPACE_shared_info over a page of our own. */
void map_shared_info(void) {
    struct xen_add_to_physmap x = { DOMID_SELF, 0, XENMAPSPACE_shared_info, 0, (u64)&shared_page >> 12 };
    long r = hypercall(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, (u64)&x, 0, 0, 0);
    if (r != 0) fail("add_to_physmap shared_info", r);
    shared_info = &shared_page.s;
}

long map_grant_table_frame(u64 idx, u64 gpa) {
    struct xen_add_to_physmap x = { DOMID_SELF, 0, XENMAPSPACE_grant_table, idx, gpa >> 12 };
    return hypercall(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, (u64)&x, 0, 0, 0);
}

long evtchn_send(u32 port) {
    return hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (u64)&port, 0, 0, 0);
}

/* SCHEDOP_poll on one port, no timeout: returns once the port is pending. */
long evtchn_poll(u32 port) {
    struct sched_poll p = { (u64)&port, 1, 0 };
    return hypercall(__HYPERVISOR_sched_op, SCHEDOP_poll, (u64)&p, 0, 0, 0);
}

/* The hypervisor sets pending bits from other pCPUs: clear ours atomically. */
int evtchn_test_and_clear(u32 port) {
    u64 bit = 1ul << (port % 64);
    u64 old = __atomic_fetch_and(&shared_info->evtchn_pending[port / 64], ~bit, __ATOMIC_SEQ_CST);
    return (old & bit) != 0;
}

void evtchn_mask(u32 port) {
    __atomic_fetch_or(&shared_info->evtchn_mask[port / 64], 1ul << (port % 64), __ATOMIC_SEQ_CST);
}

void sched_yield(void) { hypercall(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0); }
long sched_block(void) { return hypercall(__HYPERVISOR_sched_op, SCHEDOP_block, 0, 0, 0, 0); }

long gnttab_op(u32 cmd, void *arg, u32 count) {
    return hypercall(__HYPERVISOR_grant_table_op, cmd, (u64)arg, count, 0, 0);
}

/* ---- vGICv3 (arm-gic-v3: GICD_CTLR, GICR_WAKER, GICR_ISENABLER0, ICC_*) ---- */
#define GICD ((volatile u32 *)0x03001000ul)
#define GICR_RD ((volatile u32 *)0x03020000ul)
#define GICR_SGI ((volatile u32 *)0x03030000ul)

void gic_init_ppi(u32 intid) {
    GICD[0] = (1 << 4) | (1 << 1);                 /* GICD_CTLR: ARE_NS, EnableGrp1NS */
    GICR_RD[0x14 / 4] &= ~(1u << 1);              /* GICR_WAKER.ProcessorSleep = 0 */
    while (GICR_RD[0x14 / 4] & (1u << 2)) { }     /* ChildrenAsleep */
    GICR_SGI[0x80 / 4] = ~0u;                     /* GICR_IGROUPR0: group 1 */
    ((volatile u8 *)GICR_SGI)[0x400 + intid] = 0x80;   /* GICR_IPRIORITYR */
    GICR_SGI[0x100 / 4] = 1u << intid;            /* GICR_ISENABLER0 */
    __asm__ volatile("msr s3_0_c12_c12_5, %0" :: "r"(1ul));    /* ICC_SRE_EL1.SRE */
    __asm__ volatile("isb; msr s3_0_c4_c6_0, %0" :: "r"(0xfful)); /* ICC_PMR_EL1 */
    __asm__ volatile("msr s3_0_c12_c12_7, %0; isb" :: "r"(1ul)); /* ICC_IGRPEN1_EL1 */
    __asm__ volatile("msr daifclr, #2");
}

u32 gic_ack(void) { u64 v; __asm__ volatile("mrs %0, s3_0_c12_c12_0" : "=r"(v)); return (u32)v; }  /* ICC_IAR1_EL1 */
void gic_eoi(u32 intid) { __asm__ volatile("msr s3_0_c12_c12_1, %0" :: "r"((u64)intid)); }       /* ICC_EOIR1_EL1 */
