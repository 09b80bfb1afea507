/* SCHEDOP_poll with timeouts (sched.h: an absolute system time in ns, 0 = none) and its
 * bad arguments. vCPU 0 polls a masked IPI port of its own; vCPU 1 sends to it. Checks:
 * the errors Xen gives; a poll with a timeout and nothing pending returns 0 at (not
 * before) the timeout; a timeout already past returns at once; a poll woken by an event
 * before its timeout returns then, and its timeout no longer matters. Prints how late
 * each wake-up was; the host test checks the numbers. */
#include "../xen.h"

static u32 port;
static u8 stack1[16384] __attribute__((aligned(16)));
static volatile u64 send_at, sent;

static void expect(const char *what, long got, long want) {
    if (got != want) { print(what); print(": expected "); print_dec((u64)want); print(", "); fail("got", got); }
}

/* vCPU 1: sends to vCPU 0's port at the system time vCPU 0 asks for, then stops. */
static void sender(u64 unused) {
    while (!send_at) { }
    while (now_ns() < send_at) { }
    evtchn_send(port);
    sent = now_ns();
}

static void timed(const char *what, const u32 *ports, u32 n, u64 wait) {
    u64 t0 = now_ns(), deadline = t0 + wait;
    expect(what, poll_ports(ports, n, deadline), 0);
    u64 t1 = now_ns();
    if (t1 < deadline) fail("woke before the timeout, ns early", (long)(deadline - t1));
    print("polltime: "); print(what); print(" "); print_dec(wait / 1000); print(" us: late by ");
    print_dec(t1 - deadline); print(" ns\n");
}

int main(u64 dtb) {
    print("polltime: started\n");
    map_shared_info();
    struct { u32 vcpu, port; } ipi = { 0, 0 };
    if (hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_ipi, (u64)&ipi, 0, 0, 0) != 0) fail("bind_ipi", 0);
    port = ipi.port;
    evtchn_mask(port);

    /* Bad arguments: Xen's errors. */
    u32 many[129];
    for (int i = 0; i < 129; i++) many[i] = port;
    expect("129 ports", poll_ports(many, 129, 0), -22);
    expect("unreadable port list", poll_ports((u32 *)0xdead0000ul, 1, 0), -14);
    expect("unreadable sched_poll", hypercall(__HYPERVISOR_sched_op, SCHEDOP_poll, 0xdead0000ul, 0, 0, 0), -14);
    u32 beyond[2] = { port, 4000 };
    expect("a port past the allocated ones", poll_ports(beyond, 2, 0), -22);
    evtchn_send(port);                                   /* pending: found before the bad port */
    expect("a pending port before a bad one", poll_ports(beyond, 2, 0), 0);
    if (!evtchn_test_and_clear(port)) fail("port not pending", port);
    print("polltime: bad arguments checked\n");

    /* Timeouts with nothing pending. */
    timed("one port", &port, 1, 1000000);
    timed("one port", &port, 1, 250000);
    timed("128 ports", many, 128, 2000000);
    timed("no ports", 0, 0, 500000);
    u64 t0 = now_ns();
    expect("a timeout in the past", poll_ports(&port, 1, 1), 0);
    if (now_ns() - t0 > 100000) fail("a past timeout blocked, ns", (long)(now_ns() - t0));

    /* An event before the timeout: vCPU 1 sends 300 us from now; the timeout is 50 ms. */
    long r = vcpu_start(1, sender, 0, stack1 + sizeof stack1);
    if (r != 0) fail("CPU_ON vCPU 1", r);
    t0 = now_ns();
    send_at = t0 + 300000;
    expect("poll woken by an event", poll_ports(&port, 1, t0 + 50000000), 0);
    u64 t1 = now_ns();
    if (!evtchn_test_and_clear(port)) fail("woke without the event", 0);
    if (t1 >= t0 + 50000000) fail("the event did not end the poll", 0);
    print("polltime: woken by vCPU 1's event "); print_dec(t1 - send_at); print(" ns after it was due\n");
    /* The old timeout must not end a later poll: this one waits its own 60 ms. */
    timed("after an event", &port, 1, 60000000);
    while (vcpu_affinity(1) != 1) sched_yield();
    print("polltime: PASS\n");
    return 0;
}
