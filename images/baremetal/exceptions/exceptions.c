/* exceptions: synchronous exception entry/return at EL0, EL1 and EL2.
 * Starts at EL2, drops to EL1/EL0 with ERET. Checks ESR (EC/IL/ISS), ELR,
 * FAR, SPSR and the vector each exception lands on. */
#include "util.h"

const char test_name[] = "exceptions";

/* A physical address with nothing behind it on the virt board (between the
 * platform bus and the PCIe MMIO window): accesses get a synchronous
 * external abort. */
#define UNMAPPED_PA 0x0f000000UL

#define ISS_SYS(op0, op1, crn, crm, op2, rt, read) \
    (((u64)(op0) << 20) | ((u64)(op2) << 17) | ((u64)(op1) << 14) | ((u64)(crn) << 10) | \
     ((u64)(rt) << 5) | ((u64)(crm) << 1) | (u64)(read))
/* Data aborts: EC, WnR and DFSC are checked (ISV and the rest of the
 * syndrome are checked by mmu_stage2, where they matter to a hypervisor). */
#define DABT_MASK ABT_MASK
#define DFSC_EXT_ABORT FSC_EXT
#define FN(name) ((lower_fn)SYM(name))

/* ---- tests run at EL1 --------------------------------------------------- */

static void svc_flags_hook(struct exc_frame *f)
{
    /* Return with N and V set and DAIF = A|F instead of what was saved. */
    f->spsr = (f->spsr & ~0xf00003c0UL) | 0x90000000UL | 0x140UL;
}

static void pc_align_test(const char *what, u64 el, u64 vec)
{
    u64 target = (u64)ret42 + 2;
    expect_exc(EXC_RET);
    ((u64 (*)(void))target)();
    check_exc(what, el, vec, EC(EC_PC_ALIGN) | ESR_IL, ALL);
    check_eq2(what, "ELR", target, exc_last.elr);
    check_eq2(what, "FAR", target, exc_last.far);
}

static void ext_abort_test(const char *what, u64 el, u64 vec, u64 ec)
{
    u64 *p = (u64 *)(UNMAPPED_PA + 0x18);
    expect_exc(EXC_SKIP);
    do_load(p);
    check_exc(what, el, vec, EC(ec) | DFSC_EXT_ABORT, DABT_MASK);
    check_eq2(what, "ELR", SYM(do_load_insn), exc_last.elr);
    check_eq2(what, "FAR", (u64)p, exc_last.far);

    expect_exc(EXC_SKIP);
    do_store(p, 1);
    check_exc(what, el, vec, EC(ec) | ESR_WNR | DFSC_EXT_ABORT, DABT_MASK);
    check_eq2(what, "store ELR", SYM(do_store_insn), exc_last.elr);
    check_eq2(what, "store FAR", (u64)p, exc_last.far);
}

static u64 el0_ext_abort(u64 unused)
{
    return do_load((u64 *)(UNMAPPED_PA + 0x18));
}

static u64 el1_tests(u64 unused)
{
    check_eq("EL1 CurrentEL", 1, current_el());

    /* SVC from EL0: EC=0x15, imm16, ELR = next instruction, SPSR = EL0 state. */
    expect_exc(EXC_KEEP);
    run_el0(FN(el0_svc), 0x60000000UL);
    check_exc("svc-el0", 1, VEC_LOWER64_SYNC, EC(EC_SVC64) | ESR_IL | 0x1234, ALL);
    check_eq2("svc-el0", "ELR", SYM(el0_svc_next), exc_last.elr);
    check_eq2("svc-el0", "SPSR", 0x60000000UL | SPSR_EL0T_MASKED, exc_last.spsr & 0xf00003dfUL);
    ok("svc-el0");

    /* Undefined instructions at EL0: UDF, HVC, SMC, MRS of an EL1 register. */
    static const char *const names[] = { "udf-el0", "hvc-el0-undef", "smc-el0-undef", "mrs-sctlr-el0-undef" };
    u64 fns[4] = { SYM(el0_udf), SYM(el0_hvc), SYM(el0_smc), SYM(el0_mrs_sctlr) };
    u64 insns[4] = { SYM(el0_udf_insn), SYM(el0_hvc_insn), SYM(el0_smc_insn), SYM(el0_mrs_sctlr_insn) };
    for (int i = 0; i < 4; i++) {
        expect_exc(EXC_SKIP);
        run_el0((lower_fn)fns[i], 0);
        check_exc(names[i], 1, VEC_LOWER64_SYNC, EC(EC_UNKNOWN) | ESR_IL, ALL);
        check_eq2(names[i], "ELR", insns[i], exc_last.elr);
        ok(names[i]);
    }

    /* BRK at EL0. */
    expect_exc(EXC_SKIP);
    run_el0(FN(el0_brk), 0);
    check_exc("brk-el0", 1, VEC_LOWER64_SYNC, EC(EC_BRK64) | ESR_IL | 0x77, ALL);
    check_eq2("brk-el0", "ELR", SYM(el0_brk_insn), exc_last.elr);
    ok("brk-el0");

    /* WFI at EL0 with SCTLR_EL1.nTWI=0 traps to EL1: EC=0x01, CV=1, COND=0xE. */
    expect_exc(EXC_SKIP);
    run_el0(FN(el0_wfi), 0);
    check_exc("wfi-el0-ntwi", 1, VEC_LOWER64_SYNC, EC(EC_WFX) | ESR_IL | 0x1e00000, ALL);
    check_eq2("wfi-el0-ntwi", "ELR", SYM(el0_wfi_insn), exc_last.elr);
    ok("wfi-el0-ntwi");

    /* UDF and BRK at EL1 (current EL, SP_ELx). */
    expect_exc(EXC_SKIP);
    FN(el1_udf)(0);
    check_exc("udf-el1", 1, VEC_CUR_SPX_SYNC, EC(EC_UNKNOWN) | ESR_IL, ALL);
    check_eq2("udf-el1", "ELR", SYM(el1_udf_insn), exc_last.elr);
    ok("udf-el1");

    expect_exc(EXC_SKIP);
    FN(el1_brk)(0);
    check_exc("brk-el1", 1, VEC_CUR_SPX_SYNC, EC(EC_BRK64) | ESR_IL | 0x42, ALL);
    check_eq2("brk-el1", "ELR", SYM(el1_brk_insn), exc_last.elr);
    ok("brk-el1");

    /* SVC at EL1 whose handler edits SPSR: ERET must restore the edited
     * NZCV and DAIF; SPSR must have captured the state at the SVC. */
    expect_exc_hook(svc_flags_hook);
    u64 r = FN(el1_svc_flags)(0x60000000UL | 0x280UL);
    check_exc("svc-el1-spsr", 1, VEC_CUR_SPX_SYNC, EC(EC_SVC64) | ESR_IL | 7, ALL);
    check_eq2("svc-el1-spsr", "ELR", SYM(el1_svc_flags_next), exc_last.elr);
    check_eq2("svc-el1-spsr", "SPSR", 0x60000000UL | 0x280UL | 0x5, exc_last.spsr & 0xf00003dfUL);
    check_eq2("svc-el1-spsr", "NZCV|DAIF after ERET", 0x90000140UL, r);
    asm volatile("msr daifset, #0xf");
    ok("svc-el1-spsr");

    /* Misaligned PC: EC=0x22, FAR = ELR = the misaligned address. */
    pc_align_test("pc-align-el1", 1, VEC_CUR_SPX_SYNC);
    ok("pc-align-el1");

    /* External aborts (MMU off): at EL1, and from EL0 to EL1. */
    ext_abort_test("ext-abort-el1", 1, VEC_CUR_SPX_SYNC, EC_DABT_CUR);
    ok("ext-abort-el1");
    expect_exc(EXC_SKIP);
    run_el0(el0_ext_abort, 0);
    check_exc("ext-abort-el0", 1, VEC_LOWER64_SYNC, EC(EC_DABT_LOWER) | DFSC_EXT_ABORT, DABT_MASK);
    check_eq2("ext-abort-el0", "ELR", SYM(do_load_insn), exc_last.elr);
    check_eq2("ext-abort-el0", "FAR", UNMAPPED_PA + 0x18, exc_last.far);
    ok("ext-abort-el0");
    return 0x600d;
}

/* ---- EL2 --------------------------------------------------------------- */

static void set_hcr(u64 set, u64 clear)
{
    write_sysreg(hcr_el2, (read_sysreg(hcr_el2) | set) & ~clear);
    isb();
}

static void emulate_read_hook(struct exc_frame *f)
{
    /* Emulate an MRS: Rt from ISS[9:5] gets a recognisable value. */
    u64 rt = (f->esr >> 5) & 0x1f;
    if (rt < 31)
        f->x[rt] = 0xfeed0000UL | rt;
    f->elr += 4;
}

struct trap_case {
    const char *what;
    u64 hcr;
    u64 fnaddr, insnaddr, arg, esr, emulated;
};

int main(void)
{
    require_el2();
    u64 r;

    /* EL2 itself: UDF, BRK, misaligned PC, external abort. */
    expect_exc(EXC_SKIP);
    FN(el1_udf)(0);
    check_exc("udf-el2", 2, VEC_CUR_SPX_SYNC, EC(EC_UNKNOWN) | ESR_IL, ALL);
    check_eq2("udf-el2", "ELR", SYM(el1_udf_insn), exc_last.elr);
    ok("udf-el2");
    expect_exc(EXC_SKIP);
    FN(el1_brk)(0);
    check_exc("brk-el2", 2, VEC_CUR_SPX_SYNC, EC(EC_BRK64) | ESR_IL | 0x42, ALL);
    ok("brk-el2");
    pc_align_test("pc-align-el2", 2, VEC_CUR_SPX_SYNC);
    ok("pc-align-el2");
    ext_abort_test("ext-abort-el2", 2, VEC_CUR_SPX_SYNC, EC_DABT_CUR);
    ok("ext-abort-el2");

    /* ERET from EL2 to EL1h / EL1t restores NZCV, DAIF, EL and SPSel. */
    r = el2_call_el1(FN(read_pstate), 0, 0xa0000000UL | 0x280UL | 0x5);
    check_eq("eret-el1h PSTATE (NZCV|DAIF|CurrentEL|SPSel)", 0xa0000000UL | 0x280UL | 0x4 | 0x1, r);
    r = el2_call_el1(FN(read_pstate), 0, 0x50000000UL | 0x3c0UL | 0x4);
    check_eq("eret-el1t PSTATE (NZCV|DAIF|CurrentEL|SPSel)", 0x50000000UL | 0x3c0UL | 0x4, r);
    ok("eret-spsr");

    /* Everything that stays within EL1/EL0. */
    r = run_el1(el1_tests, 0);
    check_eq("EL1 tests result", 0x600d, r);

    /* HVC from EL1: EC=0x16, imm16, ELR = next instruction, SPSR.M = EL1h. */
    expect_exc(EXC_KEEP);
    run_el1(FN(el1_hvc), 0);
    check_exc("hvc-el1", 2, VEC_LOWER64_SYNC, EC(EC_HVC64) | ESR_IL | 0x5678, ALL);
    check_eq2("hvc-el1", "ELR", SYM(el1_hvc_next), exc_last.elr);
    check_eq2("hvc-el1", "SPSR.M", 0x5, exc_last.spsr & 0x1f);
    ok("hvc-el1");

    /* Traps to EL2: the trapped instruction's address is the ELR. (WFE with
     * HCR_EL2.TWE is not tested: it traps only if the WFE would sleep, which
     * depends on the event register; QEMU never traps it.) */
    struct trap_case cases[] = {
        { "smc-el1-tsc", HCR_TSC, SYM(el1_smc), SYM(el1_smc_insn), 0,
          EC(EC_SMC64) | ESR_IL | 0x9abc, 0 },
        { "wfi-el1-twi", HCR_TWI, SYM(el1_wfi), SYM(el1_wfi_insn), 0,
          EC(EC_WFX) | ESR_IL | 0x1e00000, 0 },
        { "msr-sctlr-el1-tvm", HCR_TVM, SYM(el1_msr_sctlr), SYM(el1_msr_sctlr_insn),
          SCTLR_EL1_INIT | SCTLR_I,
          EC(EC_SYSREG) | ESR_IL | ISS_SYS(3, 0, 1, 0, 0, 5, 0), 0 },
        { "msr-tcr-el1-tvm", HCR_TVM, SYM(el1_msr_tcr), SYM(el1_msr_tcr_insn), 0x190119,
          EC(EC_SYSREG) | ESR_IL | ISS_SYS(3, 0, 2, 0, 2, 3, 0), 0 },
        { "mrs-ttbr0-el1-trvm", HCR_TRVM, SYM(el1_mrs_ttbr0), SYM(el1_mrs_ttbr0_insn), 0,
          EC(EC_SYSREG) | ESR_IL | ISS_SYS(3, 0, 2, 0, 0, 7, 1), 0xfeed0007UL },
        { "mrs-id_aa64mmfr0-tid3", HCR_TID3, SYM(el1_mrs_mmfr0), SYM(el1_mrs_mmfr0_insn), 0,
          EC(EC_SYSREG) | ESR_IL | ISS_SYS(3, 0, 0, 7, 0, 2, 1), 0xfeed0002UL },
        { "mrs-ctr_el0-tid2", HCR_TID2, SYM(el1_mrs_ctr), SYM(el1_mrs_ctr_insn), 0,
          EC(EC_SYSREG) | ESR_IL | ISS_SYS(3, 3, 0, 0, 1, 2, 1), 0xfeed0002UL },
    };
    write_sysreg(tcr_el1, 0);
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct trap_case *c = &cases[i];
        set_hcr(c->hcr, 0);
        if (c->emulated)
            expect_exc_hook(emulate_read_hook);
        else
            expect_exc(EXC_SKIP);
        r = run_el1((lower_fn)c->fnaddr, c->arg);
        set_hcr(0, c->hcr);
        check_exc(c->what, 2, VEC_LOWER64_SYNC, c->esr, ALL);
        check_eq2(c->what, "ELR", c->insnaddr, exc_last.elr);
        if (c->emulated)
            check_eq2(c->what, "emulated read result", c->emulated, r);
        ok(c->what);
    }
    /* The trapped writes must not have happened. */
    check_eq("SCTLR_EL1 after trapped write", SCTLR_EL1_INIT, read_sysreg(sctlr_el1));
    check_eq("TCR_EL1 after trapped write", 0, read_sysreg(tcr_el1));

    /* Untrapped, the same accesses work. */
    r = run_el1(FN(el1_mrs_mmfr0), 0);
    check_eq("untrapped ID_AA64MMFR0_EL1 at EL1", read_sysreg(id_aa64mmfr0_el1), r);
    run_el1(FN(el1_msr_tcr), 0x190119);
    check_eq("untrapped TCR_EL1 write", 0x190119, read_sysreg(tcr_el1));
    write_sysreg(tcr_el1, 0);
    ok("untrapped-sysregs");
    return 0;
}
