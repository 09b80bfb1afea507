/* smp: PSCI CPU power management and multi-CPU memory effects at EL2.
 *
 * CPU 0 (entered at EL2) turns its EL2 MMU on (identity map, Normal
 * write-back memory, so exclusives and atomics are architecturally
 * defined), checks PSCI_VERSION, PSCI_FEATURES, AFFINITY_INFO and counts the
 * CPUs, then starts every other CPU with CPU_ON. Each secondary takes its own
 * stack, turns on its MMU with CPU 0's tables, reports its context id,
 * MPIDR_EL1 and CurrentEL, and increments a shared counter N times with an
 * LDXR/STXR loop, N times with an LDXR/STXR loop that has a taken branch
 * between the two (where an emulator may switch CPUs) and N times with LDADD
 * (if LSE), as CPU 0 does; the total must be exact. The secondaries then call
 * CPU_OFF and CPU 0 polls AFFINITY_INFO until they are OFF. Then
 * cross-modifying code: CPU 1, started again, runs a function, CPU 0
 * rewrites its first instruction (DC CVAU, DSB, IC IVAU, DSB), CPU 1 executes
 * ISB and runs it again and must see the new code; and a CPU started after a
 * rewrite must run the new code.
 *
 * No interrupts are used: waits are bounded spins (no WFI/WFE). */
#include "util.h"
#include "mmu.h"
#include "smp.h"

const char test_name[] = "smp";

#define N_INC       100000UL
#define SPIN_LIMIT  (1UL << 27)
#define CTX(i)      (0xc0ffee0000000000UL | ((u64)(i) << 12) | 0x5a5UL)

#define PSCI_SUCCESS        0L
#define PSCI_NOT_SUPPORTED  (-1L)
#define PSCI_INVALID_PARAMS (-2L)
#define PSCI_ALREADY_ON     (-4L)
#define AFF_ON   0
#define AFF_OFF  1

enum mode { MODE_COUNT = 1, MODE_XMOD_LIVE, MODE_CALL };
enum err { ERR_NONE, ERR_GO_TIMEOUT, ERR_PATCH_TIMEOUT, ERR_BAD_MODE };

/* One per CPU, 256 bytes; the first cache line is written by CPU 0 before
 * CPU_ON (and cleaned to the PoC), the rest by the secondary. */
struct boot {
    u64 sp, mair, tcr, ttbr, mode, pad0[3];
    u64 ctx, mpidr, el, lse, alive, done, err, stxr_fails;
    u64 off_ret, ready, r1, r2, stxr_fails_split, pad1[11];
};
_Static_assert(sizeof(struct boot) == (1 << BOOT_SHIFT), "struct boot size");
_Static_assert(__builtin_offsetof(struct boot, off_ret) == B_OFF_RET, "off_ret offset");

struct boot smp_boot[MAX_CPUS] __attribute__((aligned(256)));
static u8 stacks[MAX_CPUS][STACK_SIZE] __attribute__((aligned(16)));
static u64 counter __attribute__((aligned(256)));
static u64 go __attribute__((aligned(64)));
static u64 patched __attribute__((aligned(64)));
static struct pt pt;
static u64 tcr_el2_value;

extern void secondary_entry(void);
extern void mmu_el2_enable(u64 mair, u64 tcr, u64 ttbr0);
extern u64 inc_excl(u64 *p, u64 n);
extern u64 inc_excl_split(u64 *p, u64 n);
extern void inc_lse(u64 *p, u64 n);
extern u64 xmod_target(void);

#define load_acq(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define store_rel(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

static s64 psci(u64 fn, u64 a1, u64 a2, u64 a3)
{
    register u64 x0 asm("x0") = fn;
    register u64 x1 asm("x1") = a1;
    register u64 x2 asm("x2") = a2;
    register u64 x3 asm("x3") = a3;
    asm volatile("smc #0"
                 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
                 :
                 : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",
                   "x14", "x15", "x16", "x17", "memory");
    return (s64)x0;
}

static int have_lse(void)
{
    return ((read_sysreg(id_aa64isar0_el1) >> 20) & 0xf) >= 2;
}

static int spin_until(u64 *p, u64 v)
{
    for (u64 n = SPIN_LIMIT; n; n--) {
        if (load_acq(p) == v)
            return 1;
        asm volatile("yield");
    }
    return 0;
}

static u64 movz_x0(u64 imm) { return 0xd2800000UL | (imm << 5); }

/* ---- secondary CPUs (called from secondary_entry, MMU on) ---------------- */

void secondary_main(u64 ctx, u64 mpidr, struct boot *b)
{
    b->ctx = ctx;
    b->mpidr = mpidr;
    b->el = current_el();
    store_rel(&b->alive, 1);
    switch (b->mode) {
    case MODE_COUNT:
        if (!spin_until(&go, 1)) {
            b->err = ERR_GO_TIMEOUT;
            break;
        }
        b->stxr_fails = inc_excl(&counter, N_INC);
        b->stxr_fails_split = inc_excl_split(&counter, N_INC);
        if (have_lse()) {
            inc_lse(&counter, N_INC);
            b->lse = 1;
        }
        break;
    case MODE_XMOD_LIVE:
        b->r1 = xmod_target();
        store_rel(&b->ready, 1);
        if (!spin_until(&patched, 1)) {
            b->err = ERR_PATCH_TIMEOUT;
            break;
        }
        isb();
        b->r2 = xmod_target();
        break;
    case MODE_CALL:
        b->r1 = xmod_target();
        break;
    default:
        b->err = ERR_BAD_MODE;
        break;
    }
    store_rel(&b->done, 1);
}

/* ---- CPU 0 ---------------------------------------------------------------- */

static void mmu_on(void)
{
    /* 39-bit VA, 4K granule, 3 levels; AP[1] is RES1 in the EL2 regime and
     * bit 54 is XN. RAM: Normal WB inner shareable, executable. */
    pt_init(&pt, 12, 39, -1);
    pt_map(&pt, RAM_BASE, RAM_BASE, RAM_SIZE, S1_NORMAL | S1_AP_RW_ALL);
    pt_map(&pt, UART_BASE, UART_BASE, 0x1000, S1_ATTRIDX(0) | S1_AF | S1_AP_RW_ALL | (1UL << 54));
    tcr_el2_value = (64 - 39) | (1UL << 8) | (1UL << 10) | (3UL << 12) | (0UL << 14) |
                    (2UL << 16) | (1UL << 23) | (1UL << 31);
    dsb(ish);
    mmu_el2_enable(MAIR_VALUE, tcr_el2_value, pt.root);
}

static void clean_to_poc(void *p, u64 size)
{
    u64 line = 4UL << ((read_sysreg(ctr_el0) >> 16) & 0xf);
    for (u64 a = (u64)p & ~(line - 1); a < (u64)p + size; a += line)
        asm volatile("dc cvac, %0" :: "r"(a) : "memory");
    dsb(ish);
}

static void patch_insn(void *fn, u64 insn)
{
    u64 a = (u64)fn;
    *(volatile u32 *)a = (u32)insn;
    asm volatile("dc cvau, %0" :: "r"(a) : "memory");
    dsb(ish);
    asm volatile("ic ivau, %0" :: "r"(a) : "memory");
    dsb(ish);
    isb();
}

static void prepare(unsigned i, enum mode mode)
{
    struct boot *b = &smp_boot[i];
    memset(b, 0, sizeof(*b));
    b->sp = (u64)&stacks[i][STACK_SIZE];
    b->mair = MAIR_VALUE;
    b->tcr = tcr_el2_value;
    b->ttbr = pt.root;
    b->mode = mode;
    clean_to_poc(b, sizeof(*b));
}

static const char *cpu_what(const char *what, unsigned i)
{
    static char buf[80];
    unsigned n = 0;
    for (const char *s = "cpu"; *s; s++) buf[n++] = *s;
    buf[n++] = '0' + i;
    buf[n++] = ' ';
    for (; *what && n < 78; what++) buf[n++] = *what;
    buf[n] = 0;
    return buf;
}

static void cpu_on(unsigned i, enum mode mode)
{
    prepare(i, mode);
    s64 r = psci(PSCI_CPU_ON64, i, (u64)secondary_entry, CTX(i));
    check_eq2(cpu_what("PSCI CPU_ON", i), "result", PSCI_SUCCESS, r);
}

static void wait_flag(unsigned i, u64 *flag, const char *what)
{
    if (!spin_until(flag, 1)) {
        struct boot *b = &smp_boot[i];
        kprintf("note: cpu%u alive=%u done=%u err=%u AFFINITY_INFO=%x\n", (u64)i, b->alive,
                b->done, b->err, (u64)psci(PSCI_AFFINITY_INFO64, i, 0, 0));
        fail(cpu_what(what, i), 1, load_acq(flag));
    }
}

static void wait_off(unsigned i)
{
    s64 r = AFF_ON;
    for (u64 n = SPIN_LIMIT / 64; n; n--) {
        r = psci(PSCI_AFFINITY_INFO64, i, 0, 0);
        if (r == AFF_OFF)
            return;
    }
    kprintf("note: cpu%u CPU_OFF returned %x\n", (u64)i, smp_boot[i].off_ret);
    fail(cpu_what("AFFINITY_INFO after CPU_OFF (bounded poll)", i), AFF_OFF, (u64)r);
}

static void check_report(unsigned i)
{
    struct boot *b = &smp_boot[i];
    check_eq2(cpu_what("secondary", i), "error", ERR_NONE, b->err);
    check_eq(cpu_what("x0 at entry = CPU_ON context id", i), CTX(i), b->ctx);
    check_eq(cpu_what("MPIDR_EL1 affinity", i), i, b->mpidr & 0xff00ffffffUL);
    check_eq(cpu_what("MPIDR_EL1 bit 31 (RES1)", i), 1, (b->mpidr >> 31) & 1);
    check_eq(cpu_what("CurrentEL at entry (caller's EL)", i), 2, b->el);
}

int main(void)
{
    require_el2();
    mmu_on();
    ok("el2-mmu");

    /* PSCI 1.1 or newer (PSCI_FEATURES exists from 1.0). */
    s64 ver = psci(PSCI_VERSION, 0, 0, 0);
    if (ver < 0x10001)
        fail("PSCI_VERSION >= 1.1", 0x10001, (u64)ver);
    kprintf("note: PSCI version %u.%u\n", (u64)ver >> 16, (u64)ver & 0xffff);
    check_eq("PSCI_FEATURES(CPU_ON64)", 0, psci(PSCI_FEATURES, PSCI_CPU_ON64, 0, 0));
    check_eq("PSCI_FEATURES(CPU_OFF)", 0, psci(PSCI_FEATURES, PSCI_CPU_OFF, 0, 0));
    check_eq("PSCI_FEATURES(AFFINITY_INFO64)", 0, psci(PSCI_FEATURES, PSCI_AFFINITY_INFO64, 0, 0));
    check_eq("PSCI_FEATURES(0x8400001f, unassigned)", PSCI_NOT_SUPPORTED,
             psci(PSCI_FEATURES, 0x8400001fUL, 0, 0));
    ok("psci-version-features");

    /* CPU 0 is ON; count the CPUs: AFFINITY_INFO is OFF for each other CPU
     * and INVALID_PARAMETERS past the last one. */
    u64 mpidr0 = read_sysreg(mpidr_el1);
    check_eq("cpu0 MPIDR_EL1 affinity", 0, mpidr0 & 0xff00ffffffUL);
    check_eq("AFFINITY_INFO(cpu0)", AFF_ON, psci(PSCI_AFFINITY_INFO64, 0, 0, 0));
    unsigned ncpus = 1;
    while (ncpus < MAX_CPUS) {
        s64 r = psci(PSCI_AFFINITY_INFO64, ncpus, 0, 0);
        if (r == PSCI_INVALID_PARAMS)
            break;
        check_eq(cpu_what("AFFINITY_INFO before CPU_ON", ncpus), AFF_OFF, r);
        ncpus++;
    }
    if (ncpus < 2)
        fail("number of CPUs (run with QEMU -smp 4 / hvsim --cpus 4)", 4, ncpus);
    kprintf("note: %u CPUs\n", (u64)ncpus);
    if (ncpus < MAX_CPUS)
        check_eq("CPU_ON of a CPU that does not exist", PSCI_INVALID_PARAMS,
                 psci(PSCI_CPU_ON64, ncpus, (u64)secondary_entry, CTX(ncpus)));
    ok("psci-affinity-info");

    /* Start every secondary; each waits for `go` once alive. */
    int lse = have_lse();
    counter = 0;
    store_rel(&go, 0);
    for (unsigned i = 1; i < ncpus; i++)
        cpu_on(i, MODE_COUNT);
    for (unsigned i = 1; i < ncpus; i++) {
        wait_flag(i, &smp_boot[i].alive, "alive after CPU_ON (bounded wait)");
        check_eq(cpu_what("AFFINITY_INFO while running", i), AFF_ON,
                  psci(PSCI_AFFINITY_INFO64, i, 0, 0));
        check_eq(cpu_what("CPU_ON of a running CPU", i), PSCI_ALREADY_ON,
                  psci(PSCI_CPU_ON64, i, (u64)secondary_entry, CTX(i)));
        check_report(i);
    }
    ok("cpu-on");

    store_rel(&go, 1);
    u64 fails = inc_excl(&counter, N_INC);
    u64 fails_split = inc_excl_split(&counter, N_INC);
    if (lse)
        inc_lse(&counter, N_INC);
    for (unsigned i = 1; i < ncpus; i++) {
        wait_flag(i, &smp_boot[i].done, "done flag (bounded wait)");
        check_report(i);
        check_eq(cpu_what("used LSE (ID_AA64ISAR0_EL1.Atomic >= 2)", i), lse, smp_boot[i].lse);
        fails += smp_boot[i].stxr_fails;
        fails_split += smp_boot[i].stxr_fails_split;
    }
    check_eq(lse ? "shared counter after LDXR/STXR and LDADD increments"
                 : "shared counter after LDXR/STXR increments",
             ncpus * N_INC * (lse ? 3 : 2), load_acq(&counter));
    kprintf("note: failed STXRs: %u, with a branch in the exclusive window: %u; LSE %s\n",
            fails, fails_split, lse ? "used" : "not implemented");
    ok(lse ? "counter-ldxr-stxr-ldadd" : "counter-ldxr-stxr");
    for (unsigned i = 1; i < ncpus; i++)
        wait_off(i);
    ok("cpu-off");

    /* Cross-modifying code: CPU 1 (ON again after OFF) runs xmod_target,
     * CPU 0 rewrites it; after CPU 0's DC CVAU, DSB, IC IVAU, DSB and CPU 1's
     * ISB, CPU 1 must run the new instruction. */
    store_rel(&patched, 0);
    cpu_on(1, MODE_XMOD_LIVE);
    wait_flag(1, &smp_boot[1].ready, "ran xmod_target before the rewrite (bounded wait)");
    check_eq("cpu1 xmod_target before the rewrite", 0x1111, smp_boot[1].r1);
    patch_insn(xmod_target, movz_x0(0x2222));
    store_rel(&patched, 1);
    wait_flag(1, &smp_boot[1].done, "done flag (bounded wait)");
    check_report(1);
    check_eq("cpu1 xmod_target after cpu0 rewrote it (+ISB)", 0x2222, smp_boot[1].r2);
    check_eq("cpu0 xmod_target after rewriting it", 0x2222, xmod_target());
    wait_off(1);
    ok("cross-modify-live");

    /* Rewrite while the others are OFF, then start them: new code. */
    patch_insn(xmod_target, movz_x0(0x3333));
    for (unsigned i = 1; i < ncpus; i++)
        cpu_on(i, MODE_CALL);
    for (unsigned i = 1; i < ncpus; i++) {
        wait_flag(i, &smp_boot[i].done, "done flag (bounded wait)");
        check_report(i);
        check_eq(cpu_what("xmod_target rewritten while it was OFF", i), 0x3333, smp_boot[i].r1);
    }
    for (unsigned i = 1; i < ncpus; i++)
        wait_off(i);
    ok("cross-modify-cpu-on");
    return 0;
}
