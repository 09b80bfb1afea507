/* hash benchmark: a CPU-bound integer + memory loop (see hash_kernel.S).
 *
 * Guest instruction count (exact for the kernel, measured for the rest):
 *   kernel: 6 + PASSES * 393222 + 2  with PASSES = 2543  ->  999,963,554
 *   whole run (start-up, buffer fill, printing; count-insns.sh on QEMU with
 *   Debian gcc 12.2): 1,000,046,559.
 * Runs at the entry EL (EL2 or EL1), MMU and caches off, then prints
 *   RESULT hash passes=<n> hash=<hex>
 * and PASS hash; power-off via PSCI. */
#include "rt.h"

const char test_name[] = "hash";

#ifndef PASSES
#define PASSES 2543
#endif
/* Expected result (checked so that a wrong emulation fails loudly);
 * only for the default PASSES. */
#define EXPECTED_HASH 0x84f929fe97b138e4UL

#define BUF_WORDS 8192
static u64 buf[BUF_WORDS] __attribute__((aligned(64)));

extern u64 hash_kernel(u8 *buf, u64 passes, u64 h);

int main(void)
{
    /* xorshift64 fill: deterministic. */
    u64 x = 0x2545f4914f6cdd1dUL;
    for (int i = 0; i < BUF_WORDS; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = x;
    }
    u64 h = hash_kernel((u8 *)buf, PASSES, 0xcbf29ce484222325UL);
    kprintf("RESULT hash passes=%u hash=%x\n", (u64)PASSES, h);
#if PASSES == 2543
    if (EXPECTED_HASH)
        check_eq("final hash", EXPECTED_HASH, h);
#endif
    return 0;
}
