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

/* ---- Time and more vCPUs ---- */
u64 now_ns(void) {
    u64 v, f;
    __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v) :: "memory");
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(f));
    return v / f * 1000000000ul + v % f * 1000000000ul / f;
}

long poll_ports(const u32 *ports, u32 n, u64 timeout) {
    struct sched_poll p = { (u64)ports, n, timeout };
    return hypercall(__HYPERVISOR_sched_op, SCHEDOP_poll, (u64)&p, 0, 0, 0);
}

static long psci(u64 fn, u64 a1, u64 a2, u64 a3) {
    register u64 x0 __asm__("x0") = fn, x1 __asm__("x1") = a1, x2 __asm__("x2") = a2, x3 __asm__("x3") = a3;
    __asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) :: "memory");
    return (long)x0;
}

/* What a starting vCPU needs: read by secondary_entry (below) with the MMU off. */
static struct { u64 sp, vbar, fn, arg; } volatile secondary;

void secondary_main(void) {
    void (*fn)(u64) = (void (*)(u64))secondary.fn;
    u64 arg = secondary.arg;
    __atomic_store_n(&secondary.fn, 0, __ATOMIC_SEQ_CST);    /* the next vCPU may start */
    fn(arg);
    psci(0x84000002, 0, 0, 0);                               /* CPU_OFF */
    for (;;) { }
}

__asm__(".text\n"
        "secondary_entry:\n"
        "    adrp x1, secondary\n"
        "    add  x1, x1, :lo12:secondary\n"
        "    ldp  x2, x3, [x1]\n"            /* sp, vbar */
        "    mov  sp, x2\n"
        "    msr  vbar_el1, x3\n"
        "    isb\n"
        "    bl   secondary_main\n"
        "1:  b    1b\n");
extern char secondary_entry[];

long vcpu_start(u32 id, void (*fn)(u64), u64 arg, void *stack_top) {
    while (__atomic_load_n(&secondary.fn, __ATOMIC_SEQ_CST)) { }
    u64 vbar;
    __asm__ volatile("mrs %0, vbar_el1" : "=r"(vbar));
    secondary.sp = (u64)stack_top;
    secondary.vbar = vbar;
    secondary.arg = arg;
    __atomic_store_n(&secondary.fn, (u64)fn, __ATOMIC_SEQ_CST);
    long r = psci(0xC4000003, vcpu_mpidr(id), (u64)secondary_entry, 0);   /* CPU_ON (64-bit) */
    if (r != 0) secondary.fn = 0;
    return r;
}

long vcpu_affinity(u32 id) { return psci(0xC4000004, vcpu_mpidr(id), 0, 0); }
