/* Runstate areas (vcpu.h VCPUOP_register_runstate_memory_area): vCPU 0 registers its own
 * area and vCPU 1's, and reads both as the vCPUs run, block in SCHEDOP_poll with timeouts,
 * yield, go offline. Checks that the states are right, that the times only grow, and that
 * their sum is exactly the last state's entry time (the domain's system time starts at 0
 * with it), so the times track elapsed time. With VMASST_TYPE_runstate_update_flag on, the
 * update flag must never be seen set (the hypervisor writes between guest instructions). */
#include "../xen.h"

#define ROUNDS 20

static struct vcpu_runstate_info rs[2] __attribute__((aligned(64)));
static u8 stack1[16384] __attribute__((aligned(16)));
static u32 port1;                         /* vCPU 1 polls it; vCPU 0 sends */
static volatile u64 woke1, done1;

static void expect(const char *what, long got, long want) {
    if (got != want) { print(what); print(": expected "); print_dec((u64)want); print(", "); fail("got", got); }
}

static struct vcpu_runstate_info snap(int i) {
    struct vcpu_runstate_info r;
    r.state = ((volatile struct vcpu_runstate_info *)&rs[i])->state;
    r.state_entry_time = ((volatile struct vcpu_runstate_info *)&rs[i])->state_entry_time;
    for (int k = 0; k < 4; k++) r.time[k] = ((volatile struct vcpu_runstate_info *)&rs[i])->time[k];
    return r;
}

/* The invariants of one reading, and that nothing went backwards since `prev`. An area
 * written at a state change has times that add up to its entry time exactly; one written
 * when another vCPU registered it also counts the time in the current state so far. */
static void check_(const char *who, struct vcpu_runstate_info r, struct vcpu_runstate_info *prev, u64 now, int exact) {
    if (r.state_entry_time & XEN_RUNSTATE_UPDATE) fail("update flag seen set", 0);
    if (r.state < 0 || r.state > 3) fail("bad state", r.state);
    u64 sum = r.time[0] + r.time[1] + r.time[2] + r.time[3];
    if (exact ? sum != r.state_entry_time : sum < r.state_entry_time || sum > now) { print(who); print(": sum "); print_dec(sum); print(" entry "); print_dec(r.state_entry_time); fail(" times do not add up", 0); }
    if (r.state_entry_time > now) fail("entry time in the future", (long)(r.state_entry_time - now));
    if (prev) {
        for (int k = 0; k < 4; k++) if (r.time[k] < prev->time[k]) fail("a time went backwards", k);
        if (r.state_entry_time < prev->state_entry_time) fail("entry time went backwards", 0);
    }
}
#define check(who, r, prev, now) check_(who, r, prev, now, 1)

static void register_area(u32 vcpu, struct vcpu_runstate_info *area) {
    u64 a = (u64)area;
    expect("register_runstate_memory_area", hypercall(__HYPERVISOR_vcpu_op, VCPUOP_register_runstate_memory_area, vcpu, (u64)&a, 0, 0), 0);
}

/* vCPU 1: polls its port with a timeout until vCPU 0 says it is done. */
static void second(u64 unused) {
    while (!done1) {
        poll_ports(&port1, 1, now_ns() + 2000000);
        if (evtchn_test_and_clear(port1)) woke1++;
    }
}

static void spin(u64 ns) { u64 end = now_ns() + ns; while (now_ns() < end) { } }

int main(u64 dtb) {
    print("runstate: started\n");
    map_shared_info();
    expect("vm_assist of a type Arm lacks", hypercall(__HYPERVISOR_vm_assist, VMASST_CMD_enable, 2, 0, 0, 0), -22);
    expect("vm_assist with a bad command", hypercall(__HYPERVISOR_vm_assist, 7, VMASST_TYPE_runstate_update_flag, 0, 0, 0), -38);
    expect("vm_assist runstate_update_flag", hypercall(__HYPERVISOR_vm_assist, VMASST_CMD_enable, VMASST_TYPE_runstate_update_flag, 0, 0, 0), 0);
    expect("register, unreadable argument", hypercall(__HYPERVISOR_vcpu_op, VCPUOP_register_runstate_memory_area, 0, 0xdead0000ul, 0, 0), -14);
    expect("register for a vCPU we lack", hypercall(__HYPERVISOR_vcpu_op, VCPUOP_register_runstate_memory_area, 9, (u64)&rs, 0, 0), -2);

    rs[0].state = rs[1].state = -1;
    register_area(0, &rs[0]);
    register_area(1, &rs[1]);
    struct vcpu_runstate_info a = snap(0), b = snap(1);
    u64 now = now_ns();
    check("vcpu0", a, 0, now);
    check_("vcpu1", b, 0, now, 0);
    expect("vCPU 0 reads itself running", a.state, RUNSTATE_running);
    expect("vCPU 1 not started: offline", b.state, RUNSTATE_offline);
    if (b.time[RUNSTATE_offline] == 0) fail("vCPU 1 spent no time offline", 0);
    print("runstate: registered; vCPU 0 running since "); print_dec(a.state_entry_time); print(" ns\n");

    struct { u32 vcpu, port; } ipi = { 1, 0 };
    if (hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_ipi, (u64)&ipi, 0, 0, 0) != 0) fail("bind_ipi", 0);
    port1 = ipi.port;
    evtchn_mask(port1);
    expect("CPU_ON vCPU 1", vcpu_start(1, second, 0, stack1 + sizeof stack1), 0);

    u64 t0 = now_ns();
    struct vcpu_runstate_info a0 = snap(0);
    u64 seen[4] = { 0, 0, 0, 0 }, runnable_after_send = 0;
    for (int round = 0; round < ROUNDS; round++) {
        u32 none = 0;
        poll_ports(&none, 0, now_ns() + 300000);        /* blocked 300 us, less the call itself */
        struct vcpu_runstate_info x = snap(0);
        check("vcpu0", x, &a, now_ns());
        expect("vCPU 0 running after its poll", x.state, RUNSTATE_running);
        a = x;
        sched_yield();                                  /* runnable, if another vCPU wants the pCPU */
        spin(200000);                                   /* running */
        x = snap(1);
        check_("vcpu1", x, &b, now_ns(), round > 0 || x.state != RUNSTATE_offline);
        seen[x.state]++;
        b = x;
        /* Wake vCPU 1: its area says runnable at once, before it runs again. */
        u64 before = woke1;
        evtchn_send(port1);
        x = snap(1);
        check("vcpu1", x, &b, now_ns());
        if (woke1 == before && x.state == RUNSTATE_runnable) runnable_after_send++;
        b = x;
    }
    a = snap(0);
    check("vcpu0", a, &a0, now_ns());
    u64 elapsed = now_ns() - t0;
    u64 blocked = a.time[RUNSTATE_blocked] - a0.time[RUNSTATE_blocked];
    u64 running = a.time[RUNSTATE_running] - a0.time[RUNSTATE_running];
    u64 runnable = a.time[RUNSTATE_runnable] - a0.time[RUNSTATE_runnable];
    /* The current stint (since the entry time) is running too. */
    u64 stint = now_ns() - a.state_entry_time, entry0 = a0.state_entry_time;
    print("runstate: vCPU 0 over "); print_dec(elapsed); print(" ns: running "); print_dec(running + stint);
    print(" runnable "); print_dec(runnable); print(" blocked "); print_dec(blocked);
    print(" (accounted "); print_dec(a.state_entry_time + stint - entry0 - (t0 - entry0)); print(")\n");
    if (blocked < ROUNDS * 290000ul) fail("blocked less than the polls' timeouts, ns", (long)blocked);
    if (running < ROUNDS * 200000ul) fail("running less than the spins, ns", (long)running);
    print("runstate: vCPU 1 seen running "); print_dec(seen[0]); print(" runnable "); print_dec(seen[1]);
    print(" blocked "); print_dec(seen[2]); print(" offline "); print_dec(seen[3]);
    print(", runnable right after the send "); print_dec(runnable_after_send); print(", woken "); print_dec(woke1); print("\n");
    if (seen[RUNSTATE_offline]) fail("vCPU 1 offline while it polls", 0);
    if (b.time[RUNSTATE_blocked] == 0) fail("vCPU 1 never blocked", 0);

    done1 = 1;
    evtchn_send(port1);
    while (vcpu_affinity(1) != 1) sched_yield();
    b = snap(1);
    check("vcpu1", b, 0, now_ns());
    expect("vCPU 1 offline after CPU_OFF", b.state, RUNSTATE_offline);
    print("runstate: vCPU 1 offline, times running "); print_dec(b.time[0]); print(" runnable "); print_dec(b.time[1]);
    print(" blocked "); print_dec(b.time[2]); print(" offline "); print_dec(b.time[3]); print("\n");

    /* A null handle unregisters: the area is left alone from then on. */
    u64 null = 0;
    expect("unregister", hypercall(__HYPERVISOR_vcpu_op, VCPUOP_register_runstate_memory_area, 0, (u64)&null, 0, 0), 0);
    rs[0].state = 77;
    sched_yield(); spin(100000);
    poll_ports(0, 0, now_ns() + 100000);
    expect("area left alone after unregistering", rs[0].state, 77);
    print("runstate: PASS\n");
    return 0;
}
