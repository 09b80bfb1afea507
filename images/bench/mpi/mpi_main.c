/* mpi benchmark: the loop that takes most of a Debian arm64 kernel's boot on hvsim
 * (see mpi_kernel.S): a multi-precision multiply-subtract over 64 limbs, repeated.
 * Guest instructions: about 803 M (25 per limb, 64 limbs, 500000 passes).
 * Runs at the entry EL, MMU and caches off, then prints
 *   RESULT mpi hash=<hex>
 * and PASS mpi; power-off via PSCI. */
#include "rt.h"

const char test_name[] = "mpi";

#ifndef PASSES
#define PASSES 500000
#endif
/* Expected result, checked so that a wrong emulation fails loudly (default PASSES only). */
#define EXPECTED_HASH 0x615451342293c0a3UL

#define LIMBS 64
static u64 res[LIMBS], s1[LIMBS];

extern u64 mpi_kernel(u64 *res, u64 *s1, u64 limbs, u64 multiplier, u64 passes);

int main(void)
{
    /* xorshift64 fill: deterministic. */
    u64 x = 0x2545f4914f6cdd1dUL;
    for (int i = 0; i < LIMBS; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s1[i] = x;
        res[i] = ~x;
    }
    u64 h = mpi_kernel(res, s1, LIMBS, 0x9e3779b97f4a7c15UL, PASSES);
    for (int i = 0; i < LIMBS; i++)
        h = h * 31 + res[i];
    kprintf("RESULT mpi hash=%x\n", h);
#if PASSES == 500000
    check_eq("final hash", EXPECTED_HASH, h);
#endif
    return 0;
}
