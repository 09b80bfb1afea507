/* A hostile domU: wild writes outside its RAM, malformed and foreign hypercalls, an
 * interrupt storm of its own (SGIs and event-channel sends through its vGIC), attempts
 * to map memory that is not its own, a P2M pool flood, self-modifying code, WFI spins —
 * over and over. It counts the aborts it gets
 * back and skips the faulting instruction. The hypervisor must contain all of it. */
#include "../xen.h"
#ifndef HOSTILE_ROUNDS
#define HOSTILE_ROUNDS 3
#endif

static u64 aborts, undefs, irqs, upcalls, calls;
static u32 ipi_port;
static u16 self_id, other_id;          /* ours, and a well-behaved domain's */
static u8 scratch[8192] __attribute__((aligned(4096)));
static u64 seed = 0x243f6a8885a308d3ul;

static u64 rnd(void) { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; return seed; }

/* Injected aborts and undefined instructions: count, and resume after the instruction. */
static u64 on_sync(u64 esr, u64 elr, u64 far) {
    u64 ec = esr >> 26;
    if (ec == 0x25 || ec == 0x24) aborts++;
    else if (ec == 0x00) undefs++;
    else return 0;                                    /* anything else is a real bug */
    return elr + 4;
}

/* The upcall PPI and our SGIs: acknowledge, clear the event bits, end the interrupt. */
static void on_irq(void) {
    for (;;) {
        u32 intid = gic_ack() & 0xffffff;
        if (intid >= 1020) break;
        irqs++;
        if (intid == 31) {
            upcalls++;
            shared_info->vcpu0.upcall_pending = 0;
            __atomic_exchange_n(&shared_info->vcpu0.pending_sel, 0, __ATOMIC_SEQ_CST);
            for (int w = 0; w < 64; w++) __atomic_exchange_n(&shared_info->evtchn_pending[w], 0, __ATOMIC_SEQ_CST);
        }
        gic_eoi(intid);
    }
}

static void poke(u64 addr, u64 v) { *(volatile u64 *)addr = v; }
static u64 peek(u64 addr) { return *(volatile u64 *)addr; }

/* Stores and loads where the domain has no memory, or only emulated devices. */
static void wild_accesses(void) {
    static const u64 where[] = {
        0x0, 0x1000, 0x08000000, 0x08010000, 0x09000000, 0x0a000000, 0x10000000, 0x3f000000,
        0x38000000 + 0x800000, GUEST_MAGIC_BASE + 0x10000, 0x41000000, 0x7fff0000, 0x200000000ul,
        0x7ffffff000ul, 0x1000000000ul, 0xfffffffff000ul, 0xffff000000000000ul,
        0x03001000 + 0xfff8, 0x03020000 + 0x40000, 0x03020000 + 0xfff000, 0x22000000 + 0xff8,
    };
    for (unsigned i = 0; i < sizeof where / sizeof where[0]; i++) {
        poke(where[i], rnd());
        (void)peek(where[i] + 8);
    }
    /* A pair store to MMIO: no syndrome (ISV 0) the hypervisor could emulate. */
    __asm__ volatile("stp %0, %0, [%1]" :: "r"(rnd()), "r"(0x22000000ul) : "memory");
    __asm__ volatile("stp %0, %0, [%1]" :: "r"(rnd()), "r"(0x0a000000ul) : "memory");
    /* Garbage over the vGIC's distributor and redistributor (but keep our PPI 31 and SGIs on). */
    for (u64 off = 0x80; off < 0x10000; off += 4 + (rnd() & 0x3c))
        *(volatile u32 *)(0x03001000ul + off) = (u32)rnd();
    for (u64 off = 0x80; off < 0x20000; off += 4 + (rnd() & 0xfc))
        if (off != 0x14 && (off < 0x10100 || off >= 0x10200)) *(volatile u32 *)(0x03020000ul + off) = (u32)rnd();
    /* HVC with other immediates, SMC, an EL2 register and a permanently undefined word. */
    __asm__ volatile("hvc #0x1234");
    __asm__ volatile("hvc #0xea2");
    __asm__ volatile("mov x0, #0x7fff; movk x0, #0x8400, lsl #16; smc #0" ::: "x0", "x1", "x2", "x3");
    __asm__ volatile("udf #7");
    __asm__ volatile("mrs x0, hcr_el2" ::: "x0");
}

static u64 arg(void) {
    switch (rnd() % 8) {
    case 0: return 0;
    case 1: return 0xdead0000ul;
    case 2: return ~0ul;
    case 3: return 1ul << 63;
    case 4: return rnd();
    case 5: return 0x7ff0;
    default: return (u64)scratch + (rnd() % 8000);   /* random bytes for the hypervisor to parse */
    }
}

/* Hypercalls with random numbers (0-63), commands and arguments. Skipped: SCHEDOP_block/shutdown/
 * poll (we would stop ourselves), memory_op decrease/populate/add_to_physmap (they could
 * unmap our own code), console writes (garbage on the console). grant_table_op batches
 * get counts that stay inside scratch: a batch of any length is carried out (in pieces),
 * and its statuses would be written over our own code and stack. */
static void random_hypercalls(int n) {
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < 8192; j += 8) *(u64 *)(scratch + j) = rnd();
        u64 op = rnd() % 64, cmd = rnd() % 16;               /* every hypercall number, arch ones (48+) too */
        if (rnd() & 1) cmd = rnd();
        if (op == 29 && cmd >= 1 && cmd <= 3) continue;
        if (op == 12 && ((cmd & 63) == 1 || (cmd & 63) == 6 || (cmd & 63) == 7)) continue;
        if (op == 18 && cmd == 0) continue;
        if (op == 20) {
            u64 count = rnd() % 4 ? rnd() % 200 : 0x80000000ul | rnd();   /* or negative: -EINVAL */
            hypercall((long)op, cmd, (u64)scratch, count, arg(), arg());
            calls++;
            continue;
        }
        hypercall((long)op, cmd, arg(), arg(), arg(), arg());
        calls++;
    }
}

static long xatp(u16 dom, u32 space, u64 idx, u64 gpfn) {
    struct xen_add_to_physmap x = { dom, 0, space, idx, gpfn };
    return hypercall(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, (u64)&x, 0, 0, 0);
}

/* Targeted: other domains' ids, foreign grant refs, bogus map spaces and sizes. */
static void targeted(void) {
    xatp(DOMID_SELF, XENMAPSPACE_grant_table, 1ul << 63, 0x38100);          /* idx that is no frame */
    xatp(DOMID_SELF, XENMAPSPACE_grant_table, 0x7fffffff, 0x38100);
    xatp(DOMID_SELF, XENMAPSPACE_grant_table, 63, 0x38100 + 63);           /* the last frame: allowed */
    xatp(other_id, XENMAPSPACE_shared_info, 0, 0x38200);                          /* another domain's */
    xatp(DOMID_SELF, 2, 0, 0x38300); xatp(DOMID_SELF, 4, 1, 0x38300); xatp(DOMID_SELF, 0xffffffff, ~0ul, ~0ul);
    xatp(DOMID_SELF, XENMAPSPACE_shared_info, 5, 0x38300);
    xatp(DOMID_SELF, XENMAPSPACE_shared_info, 0, 1ul << 40);

    /* Foreign grants nobody gave us, from every domain id, at good and bad addresses. */
    struct gnttab_map_grant_ref m[8];
    for (u32 dom = 0; dom < 6; dom++) {
        for (int i = 0; i < 8; i++) {
            m[i] = (struct gnttab_map_grant_ref){ GUEST_MAGIC_BASE + 0x100000 + i * 0x1000ul, GNTMAP_host_map,
                                                  (u32)(rnd() % 4096), (u16)dom, 0, 0, 0 };
            if (i == 7) m[i].ref = 8;                                       /* the ping-pong ref */
            if (i == 6) m[i].host_addr = 0x40080000;                       /* over our own code */
        }
        gnttab_op(GNTTABOP_map_grant_ref, m, 8);
        for (int i = 0; i < 8; i++) if (m[i].status == 0 && dom != self_id) fail("mapped a foreign grant", m[i].ref);
    }
    struct gnttab_unmap_grant_ref u = { GUEST_MAGIC_BASE, 0, (u32)rnd(), 0 };
    gnttab_op(GNTTABOP_unmap_grant_ref, &u, 1);
    gnttab_op(GNTTABOP_map_grant_ref, (void *)0xdead0000ul, 100000);       /* huge count, unreadable */
    gnttab_op(GNTTABOP_map_grant_ref, scratch, 0xfffffff0u);               /* negative count */
    gnttab_op(GNTTABOP_copy, (void *)0xdead0000ul, 4000);
    struct gnttab_copy c = { { 8, 2, 0 }, { (u64)scratch >> 12, DOMID_SELF, 0 }, 4096, GNTCOPY_source_gref, 0 };
    gnttab_op(GNTTABOP_copy, &c, 1);                                       /* read pong's page */
    if (c.status == 0) fail("copied from a grant not ours", 0);
    c = (struct gnttab_copy){ { (u64)scratch >> 12, DOMID_SELF, 0 }, { ~0ul >> 12, DOMID_SELF, 4000 }, 200, 0, 0 };
    gnttab_op(GNTTABOP_copy, &c, 1);
    c = (struct gnttab_copy){ { 0x40000, other_id, 0 }, { (u64)scratch >> 12, DOMID_SELF, 0 }, 16, 0, 0 };
    gnttab_op(GNTTABOP_copy, &c, 1);                                       /* another domain's frame */
    if (c.status == 0) fail("copied another domain's frame", 0);
    struct { u16 dom; u32 nr; s16 status; u64 list; } st = { DOMID_SELF, 1000, 0, (u64)scratch };
    gnttab_op(GNTTABOP_setup_table, &st, 1);
    st.dom = 1; st.nr = 4;
    gnttab_op(GNTTABOP_setup_table, &st, 1);

    /* Event channels: bind to others' ports, exhaust our own, storms. */
    for (u32 dom = 0; dom < 6; dom++)
        for (u32 p = 0; p < 8; p++) {
            struct evtchn_bind_interdomain b = { (u16)dom, p, 0 };
            if (hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_interdomain, (u64)&b, 0, 0, 0) == 0 && dom != self_id)
                fail("bound to a foreign port", p);
        }
    struct evtchn_alloc_unbound a = { other_id, self_id, 0 };                           /* for another domain */
    if (hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, (u64)&a, 0, 0, 0) == 0) fail("alloc_unbound for dom 1", 0);
    u32 first = 0, last = 0;
    for (int i = 0; i < 5000; i++) {
        a = (struct evtchn_alloc_unbound){ DOMID_SELF, 1, 0 };
        if (hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, (u64)&a, 0, 0, 0) != 0) break;
        if (!first) first = a.port;
        last = a.port;
    }
    for (u32 p = first; p && p <= last; p++) {
        evtchn_send(p);
        hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_close, (u64)&p, 0, 0, 0);
    }
    for (int i = 0; i < 2000; i++) evtchn_send(ipi_port);                   /* upcall storm */
    u32 bogus = 0x7fffffff;
    evtchn_send(bogus); evtchn_poll(bogus);

    struct xen_memory_reservation r = { (u64)scratch, 1ul << 40, 9, 0, DOMID_SELF };
    hypercall(__HYPERVISOR_memory_op, XENMEM_populate_physmap, (u64)&r, 0, 0, 0);
    r.domid = other_id;
    hypercall(__HYPERVISOR_memory_op, XENMEM_decrease_reservation, (u64)&r, 0, 0, 0);
    struct { u64 mfn; u32 offset, rsvd; } vi = { (u64)scratch >> 12, 4093, 0 };
    hypercall(__HYPERVISOR_vcpu_op, 10, 7, (u64)&vi, 0, 0);                 /* a vCPU we lack */
    hypercall(__HYPERVISOR_console_io, 0, 1 << 20, 0xdead0000ul, 0, 0);
    struct { u16 dom; u32 reason; } rs = { other_id, 0 };
    if (hypercall(__HYPERVISOR_sched_op, 4, (u64)&rs, 0, 0, 0) == 0) fail("remote_shutdown of dom 1", 0);
}

/* Asks for more than its P2M pool holds: shared_info at ever new 2 MiB-aligned guest
 * frames, each needing a stage-2 table of its own. The hypervisor must say -ENOMEM (and
 * not take the machine's memory, which the other domains need), every time after. */
static void pool_flood(void) {
    u64 gpfn = 0x2000000;                    /* 128 GiB up: no RAM, nothing wild_accesses pokes */
    int mapped = 0;
    long r = 0;
    while (mapped < 100000 && (r = xatp(DOMID_SELF, XENMAPSPACE_shared_info, 0, gpfn)) == 0) { mapped++; gpfn += 0x200; }
    if (r != -ENOMEM) fail("add_to_physmap past the P2M pool did not give -ENOMEM", (u64)-r);
    if (xatp(DOMID_SELF, XENMAPSPACE_shared_info, 0, gpfn + 0x200) != -ENOMEM) fail("a second try got other than -ENOMEM", 0);
    print("hostile: P2M pool used up after "); print_dec((u64)mapped); print(" mappings\n");
}

/* Misaligned vcpu_info and runstate areas (-EINVAL), and a VIRQ closed after it was moved
 * to another vCPU: closing must free it where it was bound, so it can be bound again. */
static void misaligned_and_moved(void) {
    struct { u64 mfn; u32 offset, rsvd; } vi = { (u64)scratch >> 12, 4, 0 };
    if (hypercall(__HYPERVISOR_vcpu_op, VCPUOP_register_vcpu_info, 0, (u64)&vi, 0, 0) != -EINVAL) fail("misaligned vcpu_info", 4);
    vi.offset = 0xfc1;
    if (hypercall(__HYPERVISOR_vcpu_op, VCPUOP_register_vcpu_info, 0, (u64)&vi, 0, 0) != -EINVAL) fail("misaligned vcpu_info", 0xfc1);
    u64 area = (u64)scratch + 0x103;
    if (hypercall(__HYPERVISOR_vcpu_op, VCPUOP_register_runstate_memory_area, 0, (u64)&area, 0, 0) != -EINVAL) fail("misaligned runstate area", 0x103);
    struct { u32 virq, vcpu, port; } b = { 7, 0, 0 };
    if (hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq, (u64)&b, 0, 0, 0) != 0) fail("bind_virq", 7);
    struct { u32 port, vcpu; } to = { b.port, 1 };
    if (hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_vcpu, (u64)&to, 0, 0, 0) != 0) fail("bind_vcpu", b.port);
    if (hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_close, (u64)&b.port, 0, 0, 0) != 0) fail("close", b.port);
    b.port = 0;
    if (hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq, (u64)&b, 0, 0, 0) != 0) fail("bind_virq after close", 7);
    hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_close, (u64)&b.port, 0, 0, 0);
}

/* A console_io flood (the hypervisor lets a burst through, then suppresses), with a
 * terminal escape sequence the hypervisor must not pass on. */
static void console_flood(void) {
    static char line[] = "hostile: console flood \x1b[2J00\n";
    for (int i = 0; i < 100; i++) {
        line[sizeof line - 4] = (char)('0' + i / 10);
        line[sizeof line - 3] = (char)('0' + i % 10);
        hypercall(__HYPERVISOR_console_io, 0, sizeof line - 1, (u64)line, 0, 0);
    }
}

/* Self-modifying code: a function rewritten between calls runs as rewritten (the cache
 * maintenance is what Arm asks for; hvsim's CTR_EL0 says it is not needed). */
static u32 smc_code[4] __attribute__((aligned(64)));
static void self_modifying(void) {
    for (u32 i = 0; i < 64; i++) {
        smc_code[0] = 0x52800000 | (u32)(rnd() & 0xffff) << 5;       /* movz w0, #random */
        smc_code[0] = 0x52800000 | i << 5;                             /* movz w0, #i, over it */
        smc_code[1] = 0xd65f03c0;                                      /* ret */
        __asm__ volatile("dc cvau, %0; dsb ish; ic ivau, %0; dsb ish; isb" :: "r"(smc_code) : "memory");
        if (((u32 (*)(void))smc_code)() != i) fail("self-modifying code ran stale instructions", i);
    }
}

/* WFI spins with interrupts masked and an SGI of our own pending: each WFI must return. */
static void wfi_spin(void) {
    __asm__ volatile("msr daifset, #2");
    for (int i = 0; i < 100; i++)
        __asm__ volatile("msr s3_0_c12_c11_5, %0; isb; wfi" :: "r"((u64)3 << 24 | 1) : "memory");
    __asm__ volatile("msr daifclr, #2");
}

/* SGIs to ourselves through ICC_SGI1R_EL1, taken with interrupts on; then a masked storm. */
static void __attribute__((unused)) sgi_storm(void) {
    for (int i = 0; i < 200; i++) {
        u64 v = (u64)(i & 15) << 24 | 1;                                    /* INTID, target list: vCPU 0 */
        __asm__ volatile("msr s3_0_c12_c11_5, %0; isb" :: "r"(v));
    }
    __asm__ volatile("msr daifset, #2");
    for (int i = 0; i < 2000; i++) {
        u64 v = (rnd() & 0xff00ff00fffful) | (u64)(i & 15) << 24;            /* also to vCPUs that do not exist */
        __asm__ volatile("msr s3_0_c12_c11_5, %0" :: "r"(v));
    }
    __asm__ volatile("msr daifclr, #2");
}

int main(u64 dtb) {
    print("hostile: started\n");
    sync_handler = on_sync;
    irq_handler = on_irq;
    map_shared_info();
    gic_init_ppi(31);
    for (u32 i = 0; i < 16; i++) gic_init_ppi(i);
    struct { u32 vcpu, port; } ipi = { 0, 0 };
    if (hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_ipi, (u64)&ipi, 0, 0, 0) != 0) fail("bind_ipi", 0);
    ipi_port = ipi.port;
    /* Our own domain id: EVTCHNOP_status of an unbound port we offer to ourselves. */
    struct evtchn_alloc_unbound a = { DOMID_SELF, DOMID_SELF, 0 };
    if (hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, (u64)&a, 0, 0, 0) != 0) fail("alloc_unbound", 0);
    struct { u16 dom; u32 port, status, vcpu; u16 remote; u16 pad; u32 pad2; } st = { DOMID_SELF, a.port, 0, 0, 0, 0, 0 };
    if (hypercall(__HYPERVISOR_event_channel_op, 5, (u64)&st, 0, 0, 0) != 0 || st.status != 1) fail("evtchn status", 0);
    self_id = st.remote;
    other_id = self_id == 1 ? 2 : 1;
    hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_close, (u64)&a.port, 0, 0, 0);
    print("hostile: domain "); print_dec(self_id); print("\n");

    misaligned_and_moved();
    pool_flood();
    for (int round = 1; round <= HOSTILE_ROUNDS; round++) {
        wild_accesses();
        random_hypercalls(300);
        console_flood();
        targeted();
        sgi_storm();
        self_modifying();
        wfi_spin();
        gic_init_ppi(31);                                  /* our own garbage may have disabled it */
        for (u32 i = 0; i < 16; i++) gic_init_ppi(i);
        if (round == 1 || round % 10 == 0) {
            print("hostile: round "); print_dec(round); print(" aborts "); print_dec(aborts);
            print(" undefs "); print_dec(undefs); print(" irqs "); print_dec(irqs);
            print(" upcalls "); print_dec(upcalls); print(" calls "); print_dec(calls); print("\n");
        }
    }
    if (!aborts || !undefs || !irqs || !upcalls) fail("a storm went missing", 0);
    print("hostile: survived, PASS\n");
    return 0;
}
