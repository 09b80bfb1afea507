/* The null-hypercall benchmark domU (scripts/bench_xen.py): NULLCALL_COUNT round trips of
 * HYPERVISOR_xen_version(XENVER_version) in a five-instruction loop (mov, mov, hvc, sub,
 * cbnz), then the virtual counter's delta, and SCHEDOP_shutdown. */
#include "../xen.h"

#define NULLCALL_COUNT 1000000ul

static inline u64 cntvct(void) {
    u64 v;
    __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v) :: "memory");
    return v;
}

int main(u64 dtb) {
    long v = hypercall(__HYPERVISOR_xen_version, 0, 0, 0, 0, 0);
    if (v >> 16 != 4) fail("xen_version", v);
    u64 freq;
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(freq));
    u64 n = NULLCALL_COUNT, t0 = cntvct();
    __asm__ volatile(
        "1: mov x16, %1\n"
        "   mov x0, xzr\n"
        "   hvc #0xea1\n"
        "   sub %0, %0, #1\n"
        "   cbnz %0, 1b\n"
        : "+r"(n) : "i"(__HYPERVISOR_xen_version)
        : "x0", "x1", "x2", "x3", "x4", "x16", "memory");
    u64 t1 = cntvct();
    print("nullcall: "); print_dec(NULLCALL_COUNT); print(" xen_version calls, ");
    print_dec(t1 - t0); print(" counter ticks at "); print_dec(freq); print(" Hz\n");
    print("nullcall: PASS\n");
    return 0;
}
