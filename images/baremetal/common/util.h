/* Small helpers shared by the tests. */
#pragma once
#include "rt.h"

#define EC(x) ((u64)(x) << 26)
#define ALL (~0UL)
/* Data/instruction aborts: check EC, WnR and the fault status code. */
#define ABT_MASK (EC(0x3f) | ESR_WNR | 0x3f)
#define SYM(name) ({ extern char name[]; (u64)name; })

/* Fault status codes (DFSC/IFSC), ARMv8.0. */
#define FSC_TRANS(l) (0x04 + (l))
#define FSC_AF(l)    (0x08 + (l))
#define FSC_PERM(l)  (0x0c + (l))
#define FSC_EXT      0x10

extern u64 do_load(u64 *p);
extern void do_store(u64 *p, u64 v);
extern u64 ret42(void);

/* "<prefix> <name>" in a static buffer (for check/fail messages). */
static inline const char *cat2(const char *a, const char *b)
{
    static char buf[96];
    unsigned n = 0;
    for (; *a && n < 60; a++) buf[n++] = *a;
    buf[n++] = ' ';
    for (; *b && n < 94; b++) buf[n++] = *b;
    buf[n] = 0;
    return buf;
}

/* PSTATE.PAN (ARMv8.1): MSR PAN, #imm encoded by hand for -march=armv8-a. */
static inline void set_pan(int on)
{
    if (on)
        asm volatile(".inst 0xd500419f" ::: "memory");   /* msr pan, #1 */
    else
        asm volatile(".inst 0xd500409f" ::: "memory");   /* msr pan, #0 */
}
static inline u64 read_pan(void) { return read_sysreg(s3_0_c4_c2_3); }
