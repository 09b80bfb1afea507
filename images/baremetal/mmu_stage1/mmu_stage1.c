/* mmu_stage1: EL1&0 stage-1 translation with the 4K, 16K (if implemented)
 * and 64K granules, 48-bit VAs on TTBR0 and TTBR1. Starts at EL2 and runs
 * each granule's checks at EL1 (and EL0). */
#include "mmu.h"
#include "util.h"

const char test_name[] = "mmu_stage1";

#define R 0x100000000UL                  /* test region (TTBR0) */
#define H 0xffff000100000000UL           /* test region (TTBR1) */
#define L2_FAULT_VA 0x120000000UL        /* same level-1 entry as R, no level-2 entry */

struct gran {
    unsigned gshift;
    const char *name;
    u64 l1_fault_va;     /* valid level-0 entry, no level-1 entry */
    u64 l0_fault_va;     /* no level-0 entry (0: no level 0 with this granule) */
};

static const struct gran grans[] = {
    { 12, "4K", 0x200000000UL, 0x8000000000UL },
    { 14, "16K", 0x1000000000UL, 0x800000000000UL },
    { 16, "64K", 0x40000000000UL, 0 },
};

static u64 marker(int i) { return 0x5eed000000000000UL | ((u64)i << 8) | 0x18; }

static const struct gran *cur;
static const char *W(const char *what) { return cat2(cur->name, what); }

/* A load that must fault at EL1 with the given ESR bits. */
static void load_fault(const char *what, u64 va, u64 esr)
{
    expect_exc(EXC_SKIP);
    do_load((u64 *)va);
    check_exc(W(what), 1, VEC_CUR_SPX_SYNC, esr, ABT_MASK);
    check_eq2(W(what), "FAR", va, exc_last.far);
    check_eq2(W(what), "ELR", SYM(do_load_insn), exc_last.elr);
    ok(W(what));
}

static u64 granule_test(u64 gi)
{
    cur = &grans[gi];
    const unsigned gs = cur->gshift;
    const u64 G = 1UL << gs;
    u64 *P[7];

    pool_reset();
    struct pt t0, t1, tb;
    pt_init(&t0, gs, 48, -1);
    pt_identity_s1(&t0);
    for (int i = 0; i < 7; i++) {
        P[i] = pool_alloc(G, G);
        P[i][3] = marker(i);
    }
    const u64 rw = S1_NORMAL | S1_AP_RW_EL1 | S1_UXN;
    pt_map(&t0, R + 0 * G, (u64)P[0], G, rw);
    pt_map(&t0, R + 1 * G, (u64)P[1], G, S1_NORMAL | S1_AP_RO_EL1 | S1_UXN);
    pt_map(&t0, R + 2 * G, (u64)P[2], G, (rw & ~S1_AF));
    u64 code = (u64)ret42 & ~(G - 1), off = (u64)ret42 & (G - 1);
    pt_map(&t0, R + 3 * G, code, G, S1_NORMAL | S1_AP_RO_EL1 | S1_PXN | S1_UXN);
    pt_map(&t0, R + 4 * G, code, G, S1_NORMAL | S1_AP_RO_EL1 | S1_UXN);
    /* R + 5 * G stays unmapped (its level-3 table exists). */
    pt_map(&t0, R + 6 * G, (u64)P[3], G, rw);
    pt_map(&t0, R + 7 * G, (u64)P[4], G, S1_NORMAL | S1_AP_RW_ALL | S1_PXN | S1_UXN);
    pt_map(&t0, R + 8 * G, (u64)P[5], G, rw | S1_NG);

    /* Second TTBR0 table for the ASID check: same identity map, R + 8 * G
     * maps to another page. */
    pt_init(&tb, gs, 48, -1);
    pt_identity_s1(&tb);
    pt_map(&tb, R + 8 * G, (u64)P[6], G, rw | S1_NG);

    /* TTBR1: the high half maps H to P[0]. */
    pt_init(&t1, gs, 48, -1);
    pt_map(&t1, H, (u64)P[0], G, rw | S1_PXN);

    mmu_el1_on(&t0, 1, &t1);
    check_eq(W("SCTLR_EL1.M after enable"), SCTLR_M, read_sysreg(sctlr_el1) & SCTLR_M);

    /* Plain RW mapping: reads see the page, writes land in it. */
    check_eq(W("read through R"), marker(0), do_load((u64 *)(R + 0x18)));
    do_store((u64 *)(R + 0x20), 0x1234);
    check_eq(W("write through R lands in the page"), 0x1234, P[0][4]);
    ok(W("rw-mapping"));

    /* Read-only page: read works, write is a permission fault (level 3). */
    check_eq(W("read of RO page"), marker(1), do_load((u64 *)(R + G + 0x18)));
    expect_exc(EXC_SKIP);
    do_store((u64 *)(R + G + 0x18), 7);
    check_exc(W("write to RO page"), 1, VEC_CUR_SPX_SYNC, EC(EC_DABT_CUR) | ESR_WNR | FSC_PERM(3), ABT_MASK);
    check_eq2(W("write to RO page"), "FAR", R + G + 0x18, exc_last.far);
    check_eq2(W("write to RO page"), "ELR", SYM(do_store_insn), exc_last.elr);
    check_eq(W("RO page unchanged"), marker(1), P[1][3]);
    ok(W("permission-fault"));

    /* Access flag clear: access flag fault (no hardware AF update: TCR.HA=0). */
    load_fault("access-flag-fault", R + 2 * G + 0x18, EC(EC_DABT_CUR) | FSC_AF(3));

    /* Translation faults at each level. */
    load_fault("translation-fault-l3", R + 5 * G + 0x18, EC(EC_DABT_CUR) | FSC_TRANS(3));
    load_fault("translation-fault-l2", L2_FAULT_VA + 0x18, EC(EC_DABT_CUR) | FSC_TRANS(2));
    load_fault("translation-fault-l1", cur->l1_fault_va + 0x18, EC(EC_DABT_CUR) | FSC_TRANS(1));
    if (cur->l0_fault_va)
        load_fault("translation-fault-l0", cur->l0_fault_va + 0x18, EC(EC_DABT_CUR) | FSC_TRANS(0));

    /* Execute: an alias of ret42 runs; a PXN alias gives an instruction
     * abort at the current EL (permission fault, level 3). */
    u64 (*fx)(void) = (u64 (*)(void))(R + 4 * G + off);
    check_eq(W("call through executable alias"), 42, fx());
    u64 target = R + 3 * G + off;
    expect_exc(EXC_RET);
    ((u64 (*)(void))target)();
    check_exc(W("execute PXN page"), 1, VEC_CUR_SPX_SYNC, EC(EC_IABT_CUR) | FSC_PERM(3), EC(0x3f) | 0x3f);
    check_eq2(W("execute PXN page"), "FAR", target, exc_last.far);
    check_eq2(W("execute PXN page"), "ELR", target, exc_last.elr);
    ok(W("xn-instruction-abort"));

    /* EL0: may read an AP=01 page, not an AP=00 one; may not execute
     * EL1-only code. */
    check_eq(W("EL0 read of EL0 page"), marker(4), run_el0((lower_fn)(u64)do_load, R + 7 * G + 0x18));
    expect_exc(EXC_SKIP);
    run_el0((lower_fn)(u64)do_load, R + 6 * G + 0x18);
    check_exc(W("EL0 read of EL1-only page"), 1, VEC_LOWER64_SYNC, EC(EC_DABT_LOWER) | FSC_PERM(3), ABT_MASK);
    check_eq2(W("EL0 read of EL1-only page"), "FAR", R + 6 * G + 0x18, exc_last.far);
    u64 el1_code = (u64)pool_reset;
    expect_exc(EXC_RET);
    run_el0((lower_fn)el1_code, 0);
    check_exc(W("EL0 execute of EL1-only code"), 1, VEC_LOWER64_SYNC, EC(EC_IABT_LOWER) | FSC_PERM(3), EC(0x3f) | 0x3f);
    check_eq2(W("EL0 execute of EL1-only code"), "FAR", el1_code, exc_last.far);
    ok(W("el0-permissions"));

    /* PAN: with PSTATE.PAN=1, EL1 data accesses to EL0-accessible pages fault. */
    if (have_pan()) {
        set_pan(1);
        check_eq(W("PSTATE.PAN reads back"), 1UL << 22, read_pan());
        check_eq(W("PAN=1 read of EL1 page"), marker(0), do_load((u64 *)(R + 0x18)));
        expect_exc(EXC_SKIP);
        do_load((u64 *)(R + 7 * G + 0x18));
        set_pan(0);
        check_exc(W("PAN=1 read of EL0 page"), 1, VEC_CUR_SPX_SYNC, EC(EC_DABT_CUR) | FSC_PERM(3), ABT_MASK);
        check_eq2(W("PAN=1 read of EL0 page"), "FAR", R + 7 * G + 0x18, exc_last.far);
        check_eq(W("PAN=0 read of EL0 page"), marker(4), do_load((u64 *)(R + 7 * G + 0x18)));
        /* That read may have left the page in a TLB: setting PAN again must still refuse it. */
        set_pan(1);
        expect_exc(EXC_SKIP);
        do_load((u64 *)(R + 7 * G + 0x18));
        set_pan(0);
        check_exc(W("PAN=1 read of EL0 page after a PAN=0 read"), 1, VEC_CUR_SPX_SYNC, EC(EC_DABT_CUR) | FSC_PERM(3), ABT_MASK);
        ok(W("pan"));
    } else {
        skip(W("PAN not implemented (ID_AA64MMFR1_EL1.PAN=0)"));
    }

    /* TTBR1 high half. */
    check_eq(W("read through TTBR1"), marker(0), do_load((u64 *)(H + 0x18)));
    do_store((u64 *)(H + 0x28), 0x4321);
    check_eq(W("write through TTBR1 lands in the page"), 0x4321, P[0][5]);
    load_fault("ttbr1-translation-fault-l3", H + G + 0x18, EC(EC_DABT_CUR) | FSC_TRANS(3));
    ok(W("ttbr1"));

    /* ASIDs: the same VA, non-global, in two tables with different ASIDs;
     * switching TTBR0 (no TLBI) must give each table's page. */
    u64 va = R + 8 * G + 0x18;
    for (int round = 0; round < 2; round++) {
        write_sysreg(ttbr0_el1, t0.root | (1UL << 48));
        isb();
        check_eq(W("ASID 1 read"), marker(5), do_load((u64 *)va));
        write_sysreg(ttbr0_el1, tb.root | (2UL << 48));
        isb();
        check_eq(W("ASID 2 read"), marker(6), do_load((u64 *)va));
    }
    write_sysreg(ttbr0_el1, t0.root | (1UL << 48));
    isb();
    ok(W("asid"));

    mmu_el1_off();
    return 0x600d;
}

int main(void)
{
    require_el2();
    for (unsigned i = 0; i < sizeof(grans) / sizeof(grans[0]); i++) {
        if (!have_tgran(grans[i].gshift)) {
            kprintf("SKIP %s: %s granule not supported (ID_AA64MMFR0_EL1=%x)\n", test_name,
                    grans[i].name, read_sysreg(id_aa64mmfr0_el1));
            continue;
        }
        u64 r = run_el1(granule_test, i);
        check_eq(cat2(grans[i].name, "granule test result"), 0x600d, r);
    }
    return 0;
}
