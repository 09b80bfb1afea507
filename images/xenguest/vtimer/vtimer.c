/* The virtual timer (CNTV_CTL_EL0 / CNTV_CVAL_EL0, PPI 27) of a vCPU that the scheduler
 * takes off its pCPU and puts back on either pCPU while the timer is armed. Run next to
 * CPU-bound domains on 2 pCPUs. Each round arms vCPU 0's timer once and then waits its
 * turn (yield), or blocks in WFI until the timer or an SGI from vCPU 1 wakes it, or blocks
 * in SCHEDOP_poll and is woken by the poll's timeout; then it keeps the timer, disables
 * it, or moves it later. The interrupt must come exactly once for a timer kept (never
 * before its compare value), and never for one the guest has disabled or moved later: a
 * descheduled vCPU's timer must not stay behind on the pCPU it left. Prints the worst
 * lateness; the host test checks it. */
#include "../xen.h"

#define ROUNDS 8
#define CTL_ENABLE 1ul
#define CTL_ISTATUS 4ul
#define VTIMER_PPI 27
#define KICK_SGI 1

/* fired: interrupts of a timer that was due (enabled, ISTATUS, at or past the compare
 * value the guest armed last); stray: any other timer interrupt. */
static volatile u64 fired, stray, others, kicks, max_late;
static volatile u64 deadline;
static u64 freq, conclusive, inconclusive, wrong;

static u64 cntvct(void) { u64 v; __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v) :: "memory"); return v; }
static u64 ctl(void) { u64 v; __asm__ volatile("isb; mrs %0, cntv_ctl_el0" : "=r"(v)); return v; }
static u64 us(u64 n) { return n * freq / 1000000; }
static void irqs_off(void) { __asm__ volatile("msr daifset, #2" ::: "memory"); }
static void irqs_on(void) { __asm__ volatile("msr daifclr, #2; isb" ::: "memory"); }

static void arm(u64 cval) {
    deadline = cval;
    __asm__ volatile("msr cntv_cval_el0, %0; msr cntv_ctl_el0, %1; isb" :: "r"(cval), "r"(CTL_ENABLE) : "memory");
}
static void disarm(void) { __asm__ volatile("msr cntv_ctl_el0, xzr; isb" ::: "memory"); }

/* One shot: the timer is off after its interrupt until a round arms it again. A stray
 * interrupt leaves the timer alone, as Linux's arch_timer_handler_virt does when ISTATUS
 * is clear (so a timer the hypervisor masked for it stays masked). */
static void on_irq(void) {
    for (;;) {
        u32 intid = gic_ack() & 0xffffff;
        if (intid >= 1020) break;
        if (intid == VTIMER_PPI) {
            u64 c = ctl(), now = cntvct();
            if ((c & (CTL_ENABLE | CTL_ISTATUS)) != (CTL_ENABLE | CTL_ISTATUS) || now < deadline) {
                stray++;
            } else {
                fired++;
                if (now - deadline > max_late) max_late = now - deadline;
                disarm();
            }
        } else if (intid == KICK_SGI) {
            kicks++;
        } else {
            others++;
        }
        gic_eoi(intid);
    }
}

/* WFI until a timer interrupt has come (IRQs masked around the check, so it cannot slip
 * in between the check and the WFI). */
static void wfi_until_fired(u64 before) {
    for (;;) {
        irqs_off();
        if (fired != before || stray) break;
        __asm__ volatile("wfi" ::: "memory");
        irqs_on();
    }
    irqs_on();
}

/* Spins (preempted by the busy domains now and then) until a timer interrupt or `limit`. */
static void spin_until_fired(u64 before, u64 limit) {
    while (fired == before && !stray && cntvct() < limit) { }
}

static void spin_until(u64 t) { while (cntvct() < t) { } }

/* The end of a round: 2 ms more in which nothing may come, then the counts against what
 * the round allows: `want` valid interrupts (or, inconclusive, one more), none stray (or,
 * inconclusive, one). A wrong round is reported and the rounds go on. */
static void settle(const char *what, int round, u64 f0, u64 want, int inconclusive_round) {
    spin_until(cntvct() + us(2000));
    u64 got = fired - f0;
    int ok = inconclusive_round ? got >= want && got + stray <= want + 1 : got == want && !stray;
    if (!ok || others) {
        print("vtimer: round "); print_dec(round); print(" ("); print(what); print("): ");
        print_dec(got); print(" timer interrupts, expected "); print_dec(want);
        if (inconclusive_round) print(" or one more");
        print(", stray "); print_dec(stray); print(", other interrupts "); print_dec(others); print("\n");
        wrong++;
    }
    stray = 0;
    if (inconclusive_round) inconclusive++; else conclusive++;
}

/* Disables the timer armed for `d1` (or, `later` nonzero, arms it for then instead) with
 * IRQs masked. Whether that happened before `d1`: only then may no interrupt for `d1`
 * come; after it, one may have been raised and wait, or have come already. */
static int change_before(u64 d1, u64 later) {
    irqs_off();
    if (later) arm(later); else disarm();
    int before = cntvct() < d1;
    irqs_on();
    return before;
}

static void poll_for(u64 ns) { poll_ports(0, 0, now_ns() + ns); }

/* vCPU 1 sends vCPU 0 SGI 1 at the system time kick_at (ns), when vCPU 0 asks through
 * port1; it waits blocked in SCHEDOP_poll, so it takes no pCPU time from the others. */
static u8 stack1[16384] __attribute__((aligned(16)));
static u32 port1;
static volatile u64 kick_at;

static void kicker(u64 unused) {
    __asm__ volatile("msr s3_0_c12_c12_5, %0; isb" :: "r"(1ul));      /* ICC_SRE_EL1.SRE */
    for (;;) {
        evtchn_poll(port1);
        evtchn_test_and_clear(port1);
        u64 t = kick_at;
        if (t == ~0ul) return;
        if (!t) continue;
        while (now_ns() < t) poll_ports(0, 0, t);
        kick_at = 0;
        /* ICC_SGI1R_EL1: INTID 1 to affinity 0.0.0, target list {0}. */
        __asm__ volatile("msr s3_0_c12_c11_5, %0; isb" :: "r"((u64)KICK_SGI << 24 | 1));
    }
}

/* Blocks in WFI until vCPU 1's SGI, due `ns` from now, has come. */
static void wfi_until_kicked(u64 ns) {
    u64 k0 = kicks;
    kick_at = now_ns() + ns;
    evtchn_send(port1);
    for (;;) {
        irqs_off();
        if (kicks != k0) break;
        __asm__ volatile("wfi" ::: "memory");
        irqs_on();
    }
    irqs_on();
}

static void wait_kicked(void) { wfi_until_kicked(500000); }
static void wait_poll(void) { poll_for(300000); }

/* Arms the timer `arm_us` ahead, waits with `wait` (woken before it is due), then
 * disables it (if it had not fired yet, which makes the round conclusive): it must not
 * fire afterwards. */
static void disabled_after_wait(const char *what, int round, u64 arm_us, void (*wait)(void)) {
    u64 f0 = fired;
    arm(cntvct() + us(arm_us));
    u64 d1 = deadline;
    wait();
    int before = change_before(d1, 0);
    spin_until(d1 + us(3000));
    settle(what, round, f0, 0, !before);
}

int main(u64 dtb) {
    print("vtimer: started\n");
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(freq));
    map_shared_info();
    irq_handler = on_irq;
    gic_init_ppi(VTIMER_PPI);
    gic_init_ppi(KICK_SGI);
    struct { u32 vcpu, port; } ipi = { 1, 0 };
    if (hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_ipi, (u64)&ipi, 0, 0, 0) != 0) fail("bind_ipi", 0);
    port1 = ipi.port;
    evtchn_mask(port1);
    long r1 = vcpu_start(1, kicker, 0, stack1 + sizeof stack1);
    if (r1 != 0) fail("CPU_ON vCPU 1", r1);

    for (int r = 0; r < ROUNDS; r++) {
        /* Blocked in WFI until the timer wakes it, on whichever pCPU picks it up. */
        u64 f0 = fired;
        arm(cntvct() + us(500 + 37 * r));
        wfi_until_fired(f0);
        settle("WFI", r, f0, 1, 0);

        /* Descheduled with the timer armed, kept: it fires once, running or waiting. */
        f0 = fired;
        arm(cntvct() + us(4000));
        sched_yield();
        spin_until_fired(f0, deadline + us(50000));
        settle("yield, kept", r, f0, 1, 0);

        /* Descheduled with the timer armed, then disabled: it must not fire. */
        f0 = fired;
        arm(cntvct() + us(10000));
        u64 d1 = deadline;
        sched_yield();
        int before = change_before(d1, 0);
        spin_until(d1 + us(3000));
        settle("yield, disabled", r, f0, 0, !before);

        /* Descheduled with the timer armed, then moved later: only the new time counts. */
        f0 = fired;
        arm(cntvct() + us(10000));
        d1 = deadline;
        sched_yield();
        before = change_before(d1, cntvct() + us(15000));
        spin_until_fired(f0 + !before, deadline + us(50000));
        if (!before) spin_until_fired(f0 + 1, deadline + us(50000));
        settle("yield, moved later", r, f0, 1, !before);

        /* Blocked in WFI with the timer armed, woken by vCPU 1's SGI before it is due,
         * then the timer disabled: it must not fire. */
        disabled_after_wait("WFI woken by an SGI, disabled", r, 4000, wait_kicked);

        /* The same, timer kept: it fires once, where the vCPU runs or waits by then. */
        f0 = fired;
        arm(cntvct() + us(3000));
        wfi_until_kicked(500000);
        spin_until_fired(f0, deadline + us(50000));
        settle("WFI woken by an SGI, kept", r, f0, 1, 0);

        /* Blocked in SCHEDOP_poll with the timer armed, woken by the poll's timeout
         * first, then the timer disabled: it must not fire. */
        disabled_after_wait("poll, disabled", r, 3000, wait_poll);

        /* The same, timer kept: it fires once while the vCPU waits in WFI. */
        f0 = fired;
        arm(cntvct() + us(2000));
        poll_for(300000);
        wfi_until_fired(f0);
        settle("poll, kept", r, f0, 1, 0);
    }
    kick_at = ~0ul;
    evtchn_send(port1);
    while (vcpu_affinity(1) != 1) sched_yield();
    print("vtimer: "); print_dec(ROUNDS); print(" rounds, "); print_dec(fired); print(" timer interrupts, late by at most ");
    print_dec(max_late * 1000000000ul / freq); print(" ns; "); print_dec(conclusive); print(" rounds conclusive, ");
    print_dec(inconclusive); print(" not (the vCPU came back after its old timer was due)\n");
    if (wrong) fail("rounds with wrong timer interrupts", (long)wrong);
    print("vtimer: PASS\n");
    return 0;
}
