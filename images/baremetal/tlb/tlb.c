/* tlb: after changing a live translation, the TLB maintenance instructions
 * must make the new one visible: stage 1 (TLBI VAE1, VALE1, VAAE1, VAALE1,
 * ASIDE1, VMALLE1 and their IS forms; the by-VA ones also for a 2 MiB block
 * invalidated through another page of it), stage 2 (TLBI IPAS2E1/IPAS2LE1 +
 * VMALLE1, VMALLS12E1, ALLE1 and IS forms), and self-modifying code
 * (DC CVAU + IC IVAU / IC IALLU + DSB + ISB). Whether a stale translation is
 * still used without TLBI is implementation defined and only reported. */
#include "mmu.h"
#include "util.h"

const char test_name[] = "tlb";

#define G 0x1000UL
#define V 0x100000000UL          /* stage-1 test VA */
#define IPA_T 0x80000000UL       /* stage-2 test IPA */
#define ASID 5UL

#define TLBI(op, v) asm volatile("tlbi " #op ", %0" :: "r"((u64)(v)) : "memory")
#define TLBI0(op) asm volatile("tlbi " #op ::: "memory")

extern u64 smc_site(void);
extern u64 smc_inline(u32 insn);
extern u64 smc_pair(u64 v);

static u64 *P[2];
static u64 marker(int i) { return 0x71b0000000000000UL | ((u64)i << 8) | 0x18; }

#define VB 0x140000000UL         /* stage-1 test VA of a 2 MiB block */
#define BLOCK 0x200000UL
#define BOFF 0x5018UL            /* where in the block the test reads */
static u64 *B[2];
static u64 bmarker(int i) { return 0xb10c000000000000UL | ((u64)i << 8) | 0x18; }

/* ---- stage 1 (runs at EL1) ---- */

static void s1_op_at(int i, u64 addr)
{
    u64 va = addr >> 12, asid = ASID << 48;
    switch (i) {
    case 0: TLBI(vae1, va | asid); break;
    case 1: TLBI(vale1, va | asid); break;
    case 2: TLBI(vaae1, va); break;
    case 3: TLBI(vaale1, va); break;
    case 4: TLBI(aside1, asid); break;
    case 5: TLBI0(vmalle1); break;
    case 6: TLBI(vae1is, va | asid); break;
    case 7: TLBI(vale1is, va | asid); break;
    case 8: TLBI(vaae1is, va); break;
    case 9: TLBI(vaale1is, va); break;
    case 10: TLBI(aside1is, asid); break;
    case 11: TLBI0(vmalle1is); break;
    }
}
static void s1_op(int i) { s1_op_at(i, V); }
static const char *const s1_names[] = {
    "tlbi vae1", "tlbi vale1", "tlbi vaae1", "tlbi vaale1", "tlbi aside1", "tlbi vmalle1",
    "tlbi vae1is", "tlbi vale1is", "tlbi vaae1is", "tlbi vaale1is", "tlbi aside1is", "tlbi vmalle1is",
};

static u64 tlb_s1(u64 unused)
{
    struct pt t;
    pt_init(&t, 12, 48, -1);
    pt_identity_s1(&t);
    const u64 attrs = S1_NORMAL | S1_AP_RW_EL1 | S1_UXN | S1_NG;
    pt_map(&t, V, (u64)P[0], G, attrs);
    u64 *pte = pt_leaf(&t, V, 0);
    check_eq("stage-1 leaf found", 1, pte != 0);
    mmu_el1_on(&t, ASID, 0);

    int cur = 0;
    check_eq("initial read", marker(0), do_load((u64 *)(V + 0x18)));
    /* Informational: without TLBI, is the old translation still used? */
    *pte = (u64)P[1] | attrs | 3;
    dsb(ish);
    isb();
    u64 stale = do_load((u64 *)(V + 0x18));
    kprintf("note: without TLBI the %s translation was used (implementation defined)\n",
            stale == marker(0) ? "old (cached)" : "new");
    *pte = (u64)P[0] | attrs | 3;
    dsb(ish);
    TLBI0(vmalle1);
    dsb(ish);
    isb();

    for (int i = 0; i < 12; i++) {
        check_eq2(s1_names[i], "read before change", marker(cur), do_load((u64 *)(V + 0x18)));
        int next = cur ^ 1;
        *pte = (u64)P[next] | attrs | 3;
        dsb(ishst);
        s1_op(i);
        dsb(ish);
        isb();
        check_eq2(s1_names[i], "read after change", marker(next), do_load((u64 *)(V + 0x18)));
        cur = next;
        ok(s1_names[i]);
    }

    /* Unmap: after TLBI the access faults; remap: it works again. */
    *pte = 0;
    dsb(ishst);
    TLBI(vae1, (V >> 12) | (ASID << 48));
    dsb(ish);
    isb();
    expect_exc(EXC_SKIP);
    do_load((u64 *)(V + 0x18));
    check_exc("unmap + tlbi vae1", 1, VEC_CUR_SPX_SYNC, EC(EC_DABT_CUR) | FSC_TRANS(3), ABT_MASK);
    *pte = (u64)P[0] | attrs | 3;
    dsb(ishst);
    TLBI(vae1, (V >> 12) | (ASID << 48));
    dsb(ish);
    isb();
    check_eq("remap + tlbi vae1", marker(0), do_load((u64 *)(V + 0x18)));
    ok("unmap-remap");

    /* A 2 MiB block: a TLBI by VA of one address in it drops the translation of every
     * address in it (a TLB may keep the block as several smaller entries, but the
     * invalidation must reach them all). */
    pt_map(&t, VB, (u64)B[0], BLOCK, attrs);
    int level = 0;
    u64 *bd = pt_leaf(&t, VB, &level);
    check_eq("block descriptor at level 2", 2, bd ? level : 0);
    dsb(ishst);
    TLBI0(vmalle1);
    dsb(ish);
    isb();
    cur = 0;
    for (int i = 0; i < 8; i++) {
        int op = i < 4 ? i : i + 2;     /* the by-VA operations and their IS forms */
        const char *what = cat2("block, other page", s1_names[op]);
        check_eq2(what, "read before change", bmarker(cur), do_load((u64 *)(VB + BOFF)));
        int next = cur ^ 1;
        *bd = (u64)B[next] | attrs | 1;
        dsb(ishst);
        s1_op_at(op, VB + 0x1000);
        dsb(ish);
        isb();
        check_eq2(what, "read after change", bmarker(next), do_load((u64 *)(VB + BOFF)));
        cur = next;
        ok(what);
    }

    mmu_el1_off();
    return 0x600d;
}

/* ---- stage 2 (TLBI at EL2, accesses at EL1) ---- */

static void s2_op(int i)
{
    u64 ipa = IPA_T >> 12;
    switch (i) {
    case 0: TLBI(ipas2e1, ipa); dsb(ish); TLBI0(vmalle1); break;
    case 1: TLBI(ipas2le1, ipa); dsb(ish); TLBI0(vmalle1); break;
    case 2: TLBI0(vmalls12e1); break;
    case 3: TLBI0(alle1); break;
    case 4: TLBI(ipas2e1is, ipa); dsb(ish); TLBI0(vmalle1is); break;
    case 5: TLBI(ipas2le1is, ipa); dsb(ish); TLBI0(vmalle1is); break;
    case 6: TLBI0(vmalls12e1is); break;
    case 7: TLBI0(alle1is); break;
    }
}
static const char *const s2_names[] = {
    "tlbi ipas2e1+vmalle1", "tlbi ipas2le1+vmalle1", "tlbi vmalls12e1", "tlbi alle1",
    "tlbi ipas2e1is+vmalle1is", "tlbi ipas2le1is+vmalle1is", "tlbi vmalls12e1is", "tlbi alle1is",
};

static void tlb_s2(void)
{
    struct pt s2, s1;
    pt_init(&s2, 12, 40, 1);
    pt_identity_s2(&s2);
    pt_map(&s2, IPA_T, (u64)P[0], G, S2_NORMAL_RW);
    u64 *pte = pt_leaf(&s2, IPA_T, 0);
    s2_enable(&s2, 3);

    /* EL1 stage 1: identity, and V -> IPA_T. */
    pt_init(&s1, 12, 48, -1);
    pt_identity_s1(&s1);
    pt_map(&s1, V, IPA_T, G, S1_NORMAL | S1_AP_RW_EL1 | S1_UXN);

    int cur = 0;
    for (int s1on = 0; s1on < 2; s1on++) {
        u64 va = s1on ? V : IPA_T;
        if (s1on)
            mmu_el1_on(&s1, 0, 0);
        for (int i = 0; i < 8; i++) {
            const char *what = cat2(s1on ? "s1+s2" : "s2", s2_names[i]);
            check_eq2(what, "read before change", marker(cur),
                      run_el1((lower_fn)(u64)do_load, va + 0x18));
            int next = cur ^ 1;
            *pte = (u64)P[next] | S2_NORMAL_RW | 3;
            dsb(ishst);
            s2_op(i);
            dsb(ish);
            isb();
            check_eq2(what, "read after change", marker(next),
                      run_el1((lower_fn)(u64)do_load, va + 0x18));
            cur = next;
            ok(what);
        }
    }
    write_sysreg(sctlr_el1, SCTLR_EL1_INIT);
    isb();
    s2_disable();
}

/* ---- self-modifying code ---- */

static u32 movz_x0(u64 imm) { return 0xd2800000u | ((u32)imm << 5); }

static void sync_icache(u64 addr, int iallu)
{
    asm volatile("dc cvau, %0" :: "r"(addr) : "memory");
    dsb(ish);
    if (iallu)
        asm volatile("ic iallu" ::: "memory");
    else
        asm volatile("ic ivau, %0" :: "r"(addr) : "memory");
    dsb(ish);
    isb();
}

/* Code in a data buffer. */
static u32 codebuf[16] __attribute__((aligned(64)));

static u64 smc_test(u64 tag)
{
    const char *where = tag == 2 ? "EL2 MMU off" : "EL1 MMU on";
    u64 (*buf_fn)(void) = (u64 (*)(void))(u64)codebuf;
    for (u64 k = 1; k <= 6; k++) {
        u64 imm = 0x100 * tag + k;
        int iallu = k & 1;
        /* Run the current version a few times first (make it "hot"). */
        for (int j = 0; j < 50; j++)
            smc_site();
        *(volatile u32 *)(u64)smc_site = movz_x0(imm);
        sync_icache((u64)smc_site, iallu);
        check_eq2(where, "patched code in .text returns", imm, smc_site());

        codebuf[0] = movz_x0(imm + 0x10);
        codebuf[1] = 0xd65f03c0u;   /* ret */
        sync_icache((u64)codebuf, iallu);
        for (int j = 0; j < 50; j++)
            check_eq2(where, "code written to a data buffer returns", imm + 0x10, buf_fn());

        check_eq2(where, "instruction patched in its own block returns", imm + 0x20,
                  smc_inline(movz_x0(imm + 0x20)));
        for (int j = 0; j < 50; j++)
            check_eq2(where, "a store to its own page, then an add, returns", imm + j + 1, smc_pair(imm + j));
    }
    ok(cat2("self-modifying code", where));
    return 0x600d;
}

static u64 smc_el1(u64 unused)
{
    struct pt t;
    pt_init(&t, 12, 48, -1);
    pt_identity_s1(&t);
    mmu_el1_on(&t, 1, 0);
    u64 r = smc_test(1);
    mmu_el1_off();
    return r;
}

int main(void)
{
    require_el2();
    pool_reset();
    for (int i = 0; i < 2; i++) {
        P[i] = pool_alloc(G, G);
        P[i][3] = marker(i);
        B[i] = pool_alloc(BLOCK, BLOCK);
        B[i][BOFF / 8] = bmarker(i);
    }
    check_eq("stage-1 TLB test", 0x600d, run_el1(tlb_s1, 0));
    tlb_s2();
    check_eq("self-modifying code at EL2", 0x600d, smc_test(2));
    check_eq("self-modifying code at EL1", 0x600d, run_el1(smc_el1, 0));
    return 0;
}
