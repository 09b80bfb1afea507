/* mmu_stage2: EL2 stage-2 translation (4K granule, 40-bit IPA, level-1 start
 * with two concatenated root tables) for EL1 with stage 1 off and on:
 * remapping, translation / permission / S1PTW faults reported to EL2 with
 * ESR_EL2 (incl. ISV syndrome), FAR_EL2 and HPFAR_EL2, execute-never, VMIDs,
 * entries changed under TLBI IPAS2E1. */
#include "mmu.h"
#include "util.h"

const char test_name[] = "mmu_stage2";

#define IPA_A      0x80000000UL     /* -> page A, RW */
#define IPA_RO     0x80001000UL     /* -> page B, stage-2 read-only */
#define IPA_HOLE   0x80002000UL     /* unmapped, its level-3 table exists */
#define IPA_XN     0x80003000UL     /* -> ret42's page, XN */
#define IPA_X      0x80004000UL     /* -> ret42's page, executable */
#define IPA_L2HOLE 0x80200000UL     /* no level-3 table: level-2 fault */
#define IPA_L1HOLE 0xc0000000UL     /* no level-2 table: level-1 fault */
#define IPA_PTW    0x90000000UL     /* unmapped; used as a stage-1 table address */
#define IPA_HIGH   0x8000000000UL   /* 512 GiB: in the second concatenated root page */

#define VS      0x100000000UL       /* EL1 stage-1 test region */
#define VS_PTW  0x140000000UL       /* stage-1 level-2 table at IPA_PTW */

/* ISS for a stage-2 data abort with a valid instruction syndrome. */
#define ISS_ISV (1UL << 24)
#define ISS_SAS(x) ((u64)(x) << 22)
#define ISS_SSE (1UL << 21)
#define ISS_SRT(x) ((u64)(x) << 16)
#define ISS_SF (1UL << 15)
#define HPFAR(ipa) (((ipa) >> 12) << 4)

extern u64 load_sh_w3(u64 addr);

static u64 marker(int i) { return 0xab5e000000000000UL | ((u64)i << 8) | 0x18; }

/* EL1 helpers. */
static u64 el1_store_ro(u64 va) { do_store((u64 *)va, 7); return 0; }
static u64 el1_call(u64 fn) { return ((u64 (*)(void))fn)(); }

static u64 el1_load(u64 va) { return run_el1((lower_fn)(u64)do_load, va); }

static void s2_load_fault(const char *what, u64 va, u64 ipa, u64 fsc)
{
    expect_exc(EXC_SKIP);
    el1_load(va);
    /* LDR x0, [x0]: ISV=1, SAS=3 (doubleword), SRT=0, SF=1, WnR=0. */
    check_exc(what, 2, VEC_LOWER64_SYNC,
              EC(EC_DABT_LOWER) | ESR_IL | ISS_ISV | ISS_SAS(3) | ISS_SF | fsc, ALL);
    check_eq2(what, "FAR_EL2", va, exc_last.far);
    check_eq2(what, "HPFAR_EL2", HPFAR(ipa), exc_last.hpfar);
    check_eq2(what, "ELR_EL2", SYM(do_load_insn), exc_last.elr);
    ok(what);
}

int main(void)
{
    require_el2();
    pool_reset();
    const u64 G = 0x1000;
    u64 *P[5];
    for (int i = 0; i < 5; i++) {
        P[i] = pool_alloc(G, G);
        P[i][3] = marker(i);
    }
    /* Two RAM pages; stage 2 maps IPA X to PA Y (splitting a 2 MiB block). */
    u64 *X = pool_alloc(G, G), *Y = pool_alloc(G, G);
    X[3] = marker(10);
    Y[3] = marker(11);

    struct pt s2, s2b;
    pt_init(&s2, 12, 40, 1);
    check_eq("concatenated root is 8K aligned", 0, s2.root & 0x1fff);
    pt_identity_s2(&s2);
    pt_map(&s2, IPA_A, (u64)P[0], G, S2_NORMAL_RW);
    pt_map(&s2, IPA_RO, (u64)P[1], G, S2_MEM_NORMAL | S2_AP_RO | S2_SH_INNER | S2_AF);
    u64 code = (u64)ret42 & ~(G - 1), off = (u64)ret42 & (G - 1);
    pt_map(&s2, IPA_XN, code, G, S2_NORMAL_RW | S2_XN);
    pt_map(&s2, IPA_X, code, G, S2_NORMAL_RW);
    pt_map(&s2, IPA_HIGH, (u64)P[2], G, S2_NORMAL_RW);
    pt_map(&s2, (u64)X, (u64)Y, G, S2_NORMAL_RW);

    s2_enable(&s2, 1);

    /* ---- EL1 with stage 1 off: VA == IPA ---- */
    check_eq("EL1 read of IPA_A", marker(0), el1_load(IPA_A + 0x18));
    check_eq("EL1 read of IPA_RO", marker(1), el1_load(IPA_RO + 0x18));
    check_eq("EL1 read of IPA_HIGH (second root page)", marker(2), el1_load(IPA_HIGH + 0x18));
    check_eq("EL1 read of remapped RAM page", marker(11), el1_load((u64)X + 0x18));
    check_eq("EL2 read of the same page (no stage 2)", marker(10), X[3]);
    ok("s2-remap");

    s2_load_fault("s2-translation-fault-l3", IPA_HOLE + 0x28, IPA_HOLE, FSC_TRANS(3));
    s2_load_fault("s2-translation-fault-l2", IPA_L2HOLE + 0x28, IPA_L2HOLE, FSC_TRANS(2));
    s2_load_fault("s2-translation-fault-l1", IPA_L1HOLE + 0x28, IPA_L1HOLE, FSC_TRANS(1));

    /* LDRSH w3: SAS=1, SSE=1, SRT=3, SF=0. */
    expect_exc(EXC_SKIP);
    run_el1(load_sh_w3, IPA_HOLE + 0x2a);
    check_exc("s2-fault-ldrsh-syndrome", 2, VEC_LOWER64_SYNC,
              EC(EC_DABT_LOWER) | ESR_IL | ISS_ISV | ISS_SAS(1) | ISS_SSE | ISS_SRT(3) | FSC_TRANS(3), ALL);
    check_eq2("s2-fault-ldrsh-syndrome", "HPFAR_EL2", HPFAR(IPA_HOLE), exc_last.hpfar);
    check_eq2("s2-fault-ldrsh-syndrome", "ELR_EL2", SYM(load_sh_w3_insn), exc_last.elr);
    ok("s2-fault-ldrsh-syndrome");

    /* Write to a stage-2 read-only page: permission fault, WnR=1. (HPFAR is
     * not checked: it may be UNKNOWN for stage-2 permission faults.) */
    expect_exc(EXC_SKIP);
    run_el1(el1_store_ro, IPA_RO + 0x18);
    /* STR x1, [x0]: ISV=1, SAS=3, SRT=1, SF=1, WnR=1. */
    check_exc("s2-permission-fault", 2, VEC_LOWER64_SYNC,
              EC(EC_DABT_LOWER) | ESR_IL | ISS_ISV | ISS_SAS(3) | ISS_SRT(1) | ISS_SF | ESR_WNR | FSC_PERM(3), ALL);
    check_eq2("s2-permission-fault", "FAR_EL2", IPA_RO + 0x18, exc_last.far);
    check_eq2("s2-permission-fault", "ELR_EL2", SYM(do_store_insn), exc_last.elr);
    check_eq("stage-2 RO page unchanged", marker(1), P[1][3]);
    ok("s2-permission-fault");

    /* Execute-never at stage 2: instruction abort from EL1 to EL2 (EC=0x20). */
    check_eq("EL1 call through stage-2 executable alias", 42, run_el1(el1_call, IPA_X + off));
    expect_exc(EXC_RET);
    run_el1(el1_call, IPA_XN + off);
    check_exc("s2-xn", 2, VEC_LOWER64_SYNC, EC(EC_IABT_LOWER) | FSC_PERM(3), EC(0x3f) | 0x3f);
    check_eq2("s2-xn", "FAR_EL2", IPA_XN + off, exc_last.far);
    check_eq2("s2-xn", "ELR_EL2", IPA_XN + off, exc_last.elr);
    ok("s2-xn");

    /* ---- EL1 with stage 1 on ---- */
    struct pt s1;
    pt_init(&s1, 12, 48, -1);
    pt_identity_s1(&s1);
    const u64 rw = S1_NORMAL | S1_AP_RW_EL1 | S1_UXN;
    pt_map(&s1, VS + 0x0000, IPA_A, G, rw);
    pt_map(&s1, VS + 0x1000, IPA_HOLE, G, rw);
    pt_map(&s1, VS + 0x2000, IPA_RO, G, rw);
    /* VS_PTW's level-1 entry points to a level-2 table at an IPA that stage
     * 2 does not map: the walk itself faults at stage 2 (S1PTW=1). */
    *pt_entry(&s1, VS_PTW, 1) = IPA_PTW | 3;
    dsb(ishst);
    mmu_el1_on(&s1, 0, 0);      /* EL1 registers written from EL2 */

    check_eq("EL1 (stage 1 on) read VS -> IPA_A", marker(0), el1_load(VS + 0x18));
    check_eq("EL1 (stage 1 on) read VS+0x2000 -> IPA_RO", marker(1), el1_load(VS + 0x2018));
    ok("s1+s2-read");
    s2_load_fault("s1+s2-translation-fault", VS + 0x1018, IPA_HOLE, FSC_TRANS(3));

    expect_exc(EXC_SKIP);
    run_el1(el1_store_ro, VS + 0x2018);
    check_exc("s1+s2-permission-fault", 2, VEC_LOWER64_SYNC,
              EC(EC_DABT_LOWER) | ESR_WNR | FSC_PERM(3), ABT_MASK);
    check_eq2("s1+s2-permission-fault", "FAR_EL2", VS + 0x2018, exc_last.far);
    ok("s1+s2-permission-fault");

    expect_exc(EXC_SKIP);
    el1_load(VS_PTW + 0x18);
    check_exc("s1ptw-fault", 2, VEC_LOWER64_SYNC, EC(EC_DABT_LOWER) | ESR_S1PTW | FSC_TRANS(2),
              ABT_MASK | ESR_S1PTW);
    check_eq2("s1ptw-fault", "FAR_EL2", VS_PTW + 0x18, exc_last.far);
    check_eq2("s1ptw-fault", "HPFAR_EL2", HPFAR(IPA_PTW), exc_last.hpfar);
    ok("s1ptw-fault");

    write_sysreg(sctlr_el1, SCTLR_EL1_INIT);
    isb();

    /* ---- VMIDs: same IPA, two stage-2 tables, switch VTTBR without TLBI ---- */
    pt_init(&s2b, 12, 40, 1);
    pt_identity_s2(&s2b);
    pt_map(&s2b, IPA_A, (u64)P[3], G, S2_NORMAL_RW);
    for (int round = 0; round < 2; round++) {
        write_sysreg(vttbr_el2, s2.root | (1UL << 48));
        isb();
        check_eq("VMID 1 read of IPA_A", marker(0), el1_load(IPA_A + 0x18));
        write_sysreg(vttbr_el2, s2b.root | (2UL << 48));
        isb();
        check_eq("VMID 2 read of IPA_A", marker(3), el1_load(IPA_A + 0x18));
    }
    ok("vmid");

    /* ---- Changing a stage-2 entry, then TLBI IPAS2E1(IS) and VMALLE1(IS) as Arm ARM
     * D8.13 asks: the new page and permissions are seen. A stage-1 TLBI alone, with
     * stage 2 as it was, changes nothing. ---- */
    write_sysreg(vttbr_el2, s2.root | (1UL << 48));
    isb();
    check_eq("read of IPA_A before the change", marker(0), el1_load(IPA_A + 0x18));
    asm volatile("tlbi vmalle1is; dsb ish; isb" ::: "memory");
    check_eq("read of IPA_A after a stage-1 TLBI", marker(0), el1_load(IPA_A + 0x18));
    pt_map(&s2, IPA_A, (u64)P[4], G, S2_NORMAL_RW);
    asm volatile("dsb ishst; tlbi ipas2e1is, %0; dsb ish; tlbi vmalle1is; dsb ish; isb"
                 :: "r"(IPA_A >> 12) : "memory");
    check_eq("read of IPA_A remapped", marker(4), el1_load(IPA_A + 0x18));
    pt_map(&s2, IPA_A, (u64)P[4], G, S2_MEM_NORMAL | S2_AP_RO | S2_SH_INNER | S2_AF);
    asm volatile("dsb ishst; tlbi ipas2e1, %0; dsb ish; tlbi vmalle1; dsb ish; isb"
                 :: "r"(IPA_A >> 12) : "memory");
    expect_exc(EXC_SKIP);
    run_el1(el1_store_ro, IPA_A + 0x18);
    check_exc("s2-change-permission", 2, VEC_LOWER64_SYNC,
              EC(EC_DABT_LOWER) | ESR_IL | ISS_ISV | ISS_SAS(3) | ISS_SRT(1) | ISS_SF | ESR_WNR | FSC_PERM(3), ALL);
    check_eq("stage-2 page made read-only unchanged", marker(4), P[4][3]);
    ok("s2-change");

    s2_disable();
    return 0;
}
