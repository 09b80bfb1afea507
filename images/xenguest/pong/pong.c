/* Pong: grants a page of its RAM to ping, offers it an event channel, then answers each
 * round: waits for ping's event, checks the request, transforms the data in place and
 * notifies ping back. Finishes when ping says it is done and has unmapped the page. */
#include "../pingpong.h"

static union { struct pp_page p; u8 page[4096]; } shared __attribute__((aligned(4096)));
static volatile struct grant_entry_v1 *const gnttab = (struct grant_entry_v1 *)GUEST_GNTTAB_BASE;

static void wait_event(u32 port) {
    while (!evtchn_test_and_clear(port)) {
        long r = evtchn_poll(port);
        if (r != 0) fail("poll", r);
    }
}

int main(u64 dtb) {
    print("pong: started\n");
    map_shared_info();
    long r = map_grant_table_frame(0, GUEST_GNTTAB_BASE);
    if (r != 0) fail("map grant table", r);

    /* Grant the page: domid and frame first, then the flags that make it valid. */
    gnttab[PP_REF].domid = PING_DOMID;
    gnttab[PP_REF].frame = (u32)((u64)&shared >> 12);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    gnttab[PP_REF].flags = GTF_permit_access;

    struct evtchn_alloc_unbound a = { DOMID_SELF, PING_DOMID, 0 };
    r = hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, (u64)&a, 0, 0, 0);
    if (r != 0 || a.port != PONG_PORT) fail("alloc_unbound", r ? r : a.port);
    evtchn_mask(a.port);                  /* polled, never delivered as an upcall */
    print("pong: granted ref 8, port 1 waits for ping\n");

    struct pp_page *p = &shared.p;
    u64 round = 0;
    for (;;) {
        wait_event(a.port);
        u64 req = p->req;
        if (req == PP_DONE) break;
        if (req == round) continue;       /* a spurious event (e.g. at bind time) */
        if (req != round + 1) fail("unexpected round", (long)req);
        round = req;
        if (round == 1 && (gnttab[PP_REF].flags & (GTF_reading | GTF_writing)) != (GTF_reading | GTF_writing))
            fail("grant entry not marked in use", gnttab[PP_REF].flags);
        for (u64 i = 0; i < PP_WORDS; i++) {
            u64 x = p->data[i];
            if (x != pp_pattern(round, i)) fail("data from ping", (long)i);
            p->data[i] = pp_transform(x, round);
        }
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        p->resp = round;
        r = evtchn_send(a.port);
        if (r != 0) fail("send", r);
    }
    /* Ping unmapped before saying done: the entry is no longer in use; end the grant. */
    if (gnttab[PP_REF].flags & (GTF_reading | GTF_writing)) fail("grant still in use", gnttab[PP_REF].flags);
    gnttab[PP_REF].flags = 0;
    if (round != PP_ROUNDS) fail("rounds", (long)round);
    print("pong: "); print_dec(round); print(" rounds answered, PASS\n");
    return 0;
}
