/* Ping: binds to pong's port, maps pong's granted page, checks GNTTABOP_copy both ways,
 * then plays PP_ROUNDS rounds: writes a round number and a pattern, notifies pong,
 * waits for its event and checks the transformed data. Unmaps and tells pong it is done. */
#include "../pingpong.h"

static u8 local[2][4096] __attribute__((aligned(4096)));

static void wait_event(u32 port) {
    while (!evtchn_test_and_clear(port)) {
        long r = evtchn_poll(port);
        if (r != 0) fail("poll", r);
    }
}

static u64 counter(void) { u64 v; __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v)); return v; }

/* GNTTABOP_copy: our page → the grant at offset 3072, then back into local[1]. */
static void check_copy(void) {
    for (int i = 0; i < 512; i++) local[0][i] = (u8)(i * 7 + 1);
    struct gnttab_copy c = { { (u64)local[0] >> 12, DOMID_SELF, 0 }, { PP_REF, PONG_DOMID, 3072 }, 512, GNTCOPY_dest_gref, 0 };
    long r = gnttab_op(GNTTABOP_copy, &c, 1);
    if (r != 0 || c.status != 0) fail("gnttab copy to grant", r ? r : c.status);
    volatile u8 *mapped = (volatile u8 *)PP_MAP;
    for (int i = 0; i < 512; i++) if (mapped[3072 + i] != (u8)(i * 7 + 1)) fail("copy data in the mapping", i);
    struct gnttab_copy back = { { PP_REF, PONG_DOMID, 3072 }, { (u64)local[1] >> 12, DOMID_SELF, 100 }, 512, GNTCOPY_source_gref, 0 };
    r = gnttab_op(GNTTABOP_copy, &back, 1);
    if (r != 0 || back.status != 0) fail("gnttab copy from grant", r ? r : back.status);
    for (int i = 0; i < 512; i++) if (local[1][100 + i] != (u8)(i * 7 + 1)) fail("copy data back", i);
    print("ping: GNTTABOP_copy both ways checked\n");
}

int main(u64 dtb) {
    print("ping: started\n");
    map_shared_info();

    /* Pong allocates its port when it is ready: retry until the bind succeeds. */
    struct evtchn_bind_interdomain b = { PONG_DOMID, PONG_PORT, 0 };
    long r; int tries = 0;
    while ((r = hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_interdomain, (u64)&b, 0, 0, 0)) != 0) {
        if (++tries > 100000) fail("bind_interdomain", r);
        sched_yield();
    }
    u32 port = b.local_port;
    evtchn_mask(port);
    print("ping: bound local port "); print_dec(port); print(" to pong's port 1\n");

    struct gnttab_map_grant_ref m = { PP_MAP, GNTMAP_host_map, PP_REF, PONG_DOMID, 0, 0, 0 };
    r = gnttab_op(GNTTABOP_map_grant_ref, &m, 1);
    if (r != 0 || m.status != 0) fail("map_grant_ref", r ? r : m.status);
    check_copy();

    struct pp_page *p = (struct pp_page *)PP_MAP;
    u64 t0 = counter();
    for (u64 round = 1; round <= PP_ROUNDS; round++) {
        for (u64 i = 0; i < PP_WORDS; i++) p->data[i] = pp_pattern(round, i);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        p->req = round;
        if ((r = evtchn_send(port)) != 0) fail("send", r);
        do wait_event(port); while (p->resp != round);
        for (u64 i = 0; i < PP_WORDS; i++)
            if (p->data[i] != pp_transform(pp_pattern(round, i), round)) fail("data from pong", (long)i);
    }
    u64 ticks = counter() - t0;
    print("ping: "); print_dec(PP_ROUNDS); print(" round trips in "); print_dec(ticks); print(" counter ticks\n");

    p->req = PP_DONE;
    struct gnttab_unmap_grant_ref u = { PP_MAP, 0, m.handle, 0 };
    r = gnttab_op(GNTTABOP_unmap_grant_ref, &u, 1);
    if (r != 0 || u.status != 0) fail("unmap_grant_ref", r ? r : u.status);
    if ((r = evtchn_send(port)) != 0) fail("send done", r);
    print("ping: "); print_dec(PP_ROUNDS); print(" rounds verified, PASS\n");
    return 0;
}
