/* interrupts: the IRQ, FIQ and SError exception entries, without an
 * interrupt controller, using the virtual interrupts of HCR_EL2.
 *
 * At EL2 with HCR_EL2.{IMO,FMO,AMO} set, HCR_EL2.{VI,VF,VSE} make a virtual
 * IRQ, FIQ or SError pending for EL1/EL0. Checked: ISR_EL1 shows them at EL1
 * (not at EL2, and not at EL1 when IMO/FMO/AMO are clear); they are not
 * taken while PSTATE.{I,F,A} masks them; MSR DAIFClr at EL1 takes them at
 * the current-EL SP_ELx vectors (0x280, 0x300, 0x380) with ELR = the
 * instruction after the MSR and SPSR = the unmasked PSTATE; VI is level
 * sensitive (taken again after ERET until EL2 clears it) while taking the
 * virtual SError clears VSE; ESR_EL1.EC = 0x2F for the SError; at EL0,
 * PSTATE.I masks them too (EL0 unmasks with SCTLR_EL1.UMA = 1; with UMA = 0
 * MSR DAIFClr and MRS DAIF trap to EL1 with EC 0x18), and they are taken at the lower-EL vectors (0x480, 0x500,
 * 0x580), also right after an ERET to EL0. The handlers ask EL2 (HVC #0x1f1)
 * to clear the bit. Physical interrupt routing needs a GIC: not tested. */
#include "util.h"

const char test_name[] = "interrupts";

#define HCR_VF  (1UL << 6)
#define HCR_VI  (1UL << 7)
#define HCR_VSE (1UL << 8)
#define ISR_F   (1UL << 6)
#define ISR_I   (1UL << 7)
#define ISR_A   (1UL << 8)
#define SPSR_D  (1UL << 9)
#define SPSR_A  (1UL << 8)
#define SPSR_I  (1UL << 7)
#define SPSR_F  (1UL << 6)
#define SPSR_MASK 0x3dfUL            /* DAIF and M[4:0] */
#define SCTLR_UMA (1UL << 9)
#define EC_SERROR 0x2f

#define VEC_CUR_SPX_IRQ    0x280
#define VEC_CUR_SPX_FIQ    0x300
#define VEC_CUR_SPX_SERROR 0x380
#define VEC_LOWER64_IRQ    0x480
#define VEC_LOWER64_FIQ    0x500
#define VEC_LOWER64_SERROR 0x580

#define ISS_SYS(op0, op1, crn, crm, op2, rt, read) \
    (((u64)(op0) << 20) | ((u64)(op2) << 17) | ((u64)(op1) << 14) | ((u64)(crn) << 10) | \
     ((u64)(rt) << 5) | ((u64)(crm) << 1) | (u64)(read))

extern char ivec_el1[], ivec_el2[];
extern void el1_unmask_irq(void), el1_unmask_fiq(void), el1_unmask_serror(void);
extern void el1_unmask_all(void);
extern void el1_eret_el0_loop(u64 spsr, u64 unused, u64 count);
extern u64 el0_unmask_irq(u64 unused);
extern u64 el0_mrs_daif(u64 unused);

/* What irq_handler saw. */
struct irq_rec {
    u64 count;
    u64 vec, elr, spsr, esr, isr, hcr;   /* first entry (hcr, isr at entry) */
    u64 vec2, elr2, spsr2;               /* second entry */
    u64 hcr_after, isr_after;            /* after EL2 cleared the bit */
};
static volatile struct irq_rec irq;
static volatile u64 irq_armed, irq_clear_at, irq_redirect;

static u64 hvc_clear(u64 bits)
{
    register u64 x0 asm("x0") = bits;
    asm volatile("hvc #0x1f1" : "+r"(x0) : : "x1", "cc", "memory");
    return x0;
}

/* The HCR_EL2 bit behind each kind of vector. */
static u64 vec_hcr_bit(u64 vec)
{
    switch (vec & 0x180) {
    case 0x080: return HCR_VI;
    case 0x100: return HCR_VF;
    default: return HCR_VSE;
    }
}

/* Arm for interrupts: EL2 clears the pending bit on entry number clear_at;
 * redirect: return to el1_eret_el0_back at EL1 instead of to ELR. */
static void irq_arm(u64 clear_at, u64 redirect)
{
    memset((void *)&irq, 0, sizeof(irq));
    irq_clear_at = clear_at;
    irq_redirect = redirect;
    barrier();
    irq_armed = 1;
    barrier();
}

static void irq_disarm(void)
{
    irq_armed = 0;
    barrier();
}

void irq_handler(u64 vec)
{
    u64 elr = read_sysreg(elr_el1), spsr = read_sysreg(spsr_el1), esr = read_sysreg(esr_el1);
    u64 isr = read_sysreg(isr_el1);
    if (!irq_armed) {
        kprintf("UNEXPECTED INTERRUPT at EL1 vector=%x ELR=%x SPSR=%x ESR=%x ISR=%x\n", vec, elr,
                spsr, esr, isr);
        fail("unexpected interrupt, vector", 0, vec);
    }
    u64 n = ++irq.count;
    if (n == 1) {
        irq.vec = vec;
        irq.elr = elr;
        irq.spsr = spsr;
        irq.esr = esr;
        irq.isr = isr;
        irq.hcr = hvc_clear(0);
    } else if (n == 2) {
        irq.vec2 = vec;
        irq.elr2 = elr;
        irq.spsr2 = spsr;
    } else if (n > 4) {
        fail("interrupt taken again and again, count", irq_clear_at, n);
    }
    if (n >= irq_clear_at) {
        irq.hcr_after = hvc_clear(vec_hcr_bit(vec));
        irq.isr_after = read_sysreg(isr_el1);
    }
    if (irq_redirect) {
        write_sysreg(elr_el1, SYM(el1_eret_el0_back));
        write_sysreg(spsr_el1, SPSR_EL1H_MASKED);
    }
}

static void set_hcr(u64 set, u64 clear)
{
    write_sysreg(hcr_el2, (read_sysreg(hcr_el2) | set) & ~clear);
    isb();
}

/* ---- EL1 ------------------------------------------------------------------ */

struct vcase {
    const char *what;
    u64 hcr_bit, isr_bit;
    void (*unmask)(void);
    u64 next;              /* expected ELR */
    u64 vec, spsr;
    u64 clear_at;          /* VI: taken twice (level sensitive) */
};

static u64 el1_case(u64 arg)
{
    const struct vcase *c = (const struct vcase *)arg;
    check_eq2(c->what, "ISR_EL1 at EL1 while masked", c->isr_bit, read_sysreg(isr_el1));
    irq_arm(c->clear_at, 0);
    c->unmask();
    irq_disarm();
    check_eq2(c->what, "times taken", c->clear_at, irq.count);
    check_eq2(c->what, "vector offset", c->vec, irq.vec);
    check_eq2(c->what, "ELR_EL1 (instruction after MSR DAIFClr)", c->next, irq.elr);
    check_eq2(c->what, "SPSR_EL1 (DAIF, M)", c->spsr, irq.spsr & SPSR_MASK);
    if (c->hcr_bit == HCR_VSE) {
        /* ISS: VSESR_EL2 with RAS, IMPLEMENTATION DEFINED in v8.0. IL is RES1. */
        check_eq2(c->what, "ESR_EL1.EC", EC_SERROR, ESR_EC(irq.esr));
        check_eq2(c->what, "ESR_EL1.IL (RES1 for SError)", ESR_IL, irq.esr & ESR_IL);
        kprintf("note: virtual SError ESR_EL1=%x\n", irq.esr);
        check_eq2(c->what, "HCR_EL2.VSE in the handler (cleared when taken)", 0, irq.hcr & HCR_VSE);
        check_eq2(c->what, "ISR_EL1 in the handler", 0, irq.isr);
    } else {
        check_eq2(c->what, "HCR_EL2 bit in the handler (not cleared when taken)", c->hcr_bit,
                  irq.hcr & c->hcr_bit);
        check_eq2(c->what, "ISR_EL1 in the handler", c->isr_bit, irq.isr);
    }
    if (c->clear_at == 2) {
        check_eq2(c->what, "retaken after ERET: vector offset", c->vec, irq.vec2);
        check_eq2(c->what, "retaken after ERET: ELR_EL1", c->next, irq.elr2);
        check_eq2(c->what, "retaken after ERET: SPSR_EL1", c->spsr, irq.spsr2 & SPSR_MASK);
    }
    check_eq2(c->what, "HCR_EL2 bit after EL2 cleared it", 0, irq.hcr_after & c->hcr_bit);
    check_eq2(c->what, "ISR_EL1 after EL2 cleared the bit", 0, irq.isr_after);
    check_eq2(c->what, "ISR_EL1 after return", 0, read_sysreg(isr_el1));
    return 0x600d;
}

static u64 el1_read_isr(u64 unused)
{
    return read_sysreg(isr_el1);
}

static u64 el1_not_routed(u64 unused)
{
    check_eq("IMO/FMO/AMO clear, VI/VF/VSE set: ISR_EL1 at EL1", 0, read_sysreg(isr_el1));
    irq_arm(1, 0);
    el1_unmask_all();
    irq_disarm();
    check_eq("IMO/FMO/AMO clear, VI/VF/VSE set: interrupts taken at EL1", 0, irq.count);
    return 0x600d;
}

static void skip_two_hook(struct exc_frame *f)
{
    f->elr += 8;    /* the trapped MSR DAIFClr and the MSR DAIFSet after it */
}

static u64 el1_el0_tests(u64 unused)
{
    /* SCTLR_EL1.UMA = 0: MSR DAIFClr at EL0 traps to EL1 (EC 0x18); the
     * IRQ stays masked. */
    expect_exc_hook(skip_two_hook);
    run_el0(el0_unmask_irq, 0);
    /* Op1/Op2 of MSR DAIFClr are 3/7; QEMU 7.2 reports them swapped (7/3). */
    const u64 op_fields = ISS_SYS(0, 7, 0, 0, 7, 0, 0);
    check_exc("msr-daifclr-el0-uma0", 1, VEC_LOWER64_SYNC,
              EC(EC_SYSREG) | ESR_IL | ISS_SYS(0, 0, 4, 2, 0, 31, 0), ALL & ~op_fields);
    if ((exc_last.esr & op_fields) == ISS_SYS(0, 7, 0, 0, 3, 0, 0))
        puts("note: MSR DAIFClr trap syndrome has Op1=7 Op2=3 (swapped, as QEMU 7.2)\n");
    else
        check_eq2("msr-daifclr-el0-uma0", "ESR Op1/Op2", ISS_SYS(0, 3, 0, 0, 7, 0, 0),
                  exc_last.esr & op_fields);
    check_eq2("msr-daifclr-el0-uma0", "ELR", SYM(el0_unmask_irq_next) - 4, exc_last.elr);
    ok("msr-daifclr-el0-uma0");
    expect_exc(EXC_SKIP);
    run_el0(el0_mrs_daif, 0);
    check_exc("mrs-daif-el0-uma0", 1, VEC_LOWER64_SYNC,
              EC(EC_SYSREG) | ESR_IL | ISS_SYS(3, 3, 4, 2, 1, 0, 1), ALL);
    check_eq2("mrs-daif-el0-uma0", "ELR", (u64)el0_mrs_daif, exc_last.elr);
    ok("mrs-daif-el0-uma0");

    /* UMA = 1: MRS DAIF works at EL0; the IRQ is masked at EL0 (delay
     * loop) and taken at 0x480 after the MSR DAIFClr. */
    write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) | SCTLR_UMA);
    isb();
    check_eq("mrs-daif-el0-uma1", SPSR_D | SPSR_A | SPSR_I | SPSR_F, run_el0(el0_mrs_daif, 0));
    irq_arm(1, 0);
    run_el0(el0_unmask_irq, 0);
    irq_disarm();
    write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) & ~SCTLR_UMA);
    isb();
    check_eq2("virq-el0-daifclr", "times taken", 1, irq.count);
    check_eq2("virq-el0-daifclr", "vector offset", VEC_LOWER64_IRQ, irq.vec);
    check_eq2("virq-el0-daifclr", "ELR_EL1 (instruction after MSR DAIFClr)",
              SYM(el0_unmask_irq_next), irq.elr);
    check_eq2("virq-el0-daifclr", "SPSR_EL1 (DAIF, M)", SPSR_D | SPSR_A | SPSR_F, irq.spsr & SPSR_MASK);
    check_eq2("virq-el0-daifclr", "ISR_EL1 in the handler", ISR_I, irq.isr);
    check_eq2("virq-el0-daifclr", "ISR_EL1 after EL2 cleared VI", 0, irq.isr_after);
    ok("virq-el0-daifclr");
    return 0x600d;
}

/* ERET to EL0 with the interrupt pending and unmasked in SPSR: taken before
 * the first EL0 instruction. */
static u64 el1_eret_el0_case(u64 arg)
{
    const struct vcase *c = (const struct vcase *)arg;
    irq_arm(1, 1);
    el1_eret_el0_loop(c->spsr, 0, 100000);
    irq_disarm();
    check_eq2(c->what, "times taken", 1, irq.count);
    check_eq2(c->what, "vector offset", c->vec, irq.vec);
    check_eq2(c->what, "ELR_EL1 (first EL0 instruction)", SYM(el0_loop), irq.elr);
    check_eq2(c->what, "SPSR_EL1 (DAIF, M)", c->spsr, irq.spsr & SPSR_MASK);
    if (c->hcr_bit == HCR_VSE) {
        check_eq2(c->what, "ESR_EL1.EC", EC_SERROR, ESR_EC(irq.esr));
        check_eq2(c->what, "ESR_EL1.IL (RES1 for SError)", ESR_IL, irq.esr & ESR_IL);
    }
    check_eq2(c->what, "ISR_EL1 after EL2 cleared the bit", 0, irq.isr_after);
    return 0x600d;
}

/* ---- EL2 ------------------------------------------------------------------ */

int main(void)
{
    require_el2();
    write_sysreg(vbar_el2, ivec_el2);
    write_sysreg(vbar_el1, ivec_el1);
    isb();
    const u64 VALL = HCR_VI | HCR_VF | HCR_VSE, ROUTE = HCR_IMO | HCR_FMO | HCR_AMO;

    /* Not routed: VI/VF/VSE do nothing at EL1 while IMO/FMO/AMO are clear. */
    set_hcr(VALL, ROUTE);
    check_eq("EL1 not-routed tests", 0x600d, run_el1(el1_not_routed, 0));
    set_hcr(0, VALL);
    ok("virtual-not-routed");

    /* Routed: never taken at EL2 and not visible in ISR_EL1 read at EL2 (which
     * shows physical interrupts); at EL1, all three show in ISR_EL1. */
    set_hcr(ROUTE | VALL, 0);
    check_eq("ISR_EL1 at EL2 with VI/VF/VSE", 0, read_sysreg(isr_el1));
    asm volatile("msr daifclr, #7\n"
                 "mov x9, #256\n"
                 "1: subs x9, x9, #1\n"
                 "b.ne 1b\n"
                 "msr daifset, #7" ::: "x9", "cc", "memory");
    ok("virtual-not-taken-at-el2");
    check_eq("ISR_EL1 at EL1 with VI/VF/VSE, all masked", ISR_I | ISR_F | ISR_A,
             run_el1(el1_read_isr, 0));
    set_hcr(0, VALL);
    check_eq("ISR_EL1 at EL1 with none pending", 0, run_el1(el1_read_isr, 0));
    ok("isr-el1");

    /* Taken at EL1 from EL1 (current EL with SP_ELx). */
    const u64 EL1H = 5, MASKED = SPSR_D | SPSR_A | SPSR_I | SPSR_F;
    const struct vcase el1_cases[] = {
        { "virq-el1", HCR_VI, ISR_I, el1_unmask_irq, SYM(el1_unmask_irq_next),
          VEC_CUR_SPX_IRQ, (MASKED & ~SPSR_I) | EL1H, 2 },
        { "vfiq-el1", HCR_VF, ISR_F, el1_unmask_fiq, SYM(el1_unmask_fiq_next),
          VEC_CUR_SPX_FIQ, (MASKED & ~SPSR_F) | EL1H, 1 },
        { "vserror-el1", HCR_VSE, ISR_A, el1_unmask_serror, SYM(el1_unmask_serror_next),
          VEC_CUR_SPX_SERROR, (MASKED & ~SPSR_A) | EL1H, 1 },
    };
    for (unsigned i = 0; i < 3; i++) {
        const struct vcase *c = &el1_cases[i];
        set_hcr(c->hcr_bit, 0);
        check_eq2(c->what, "EL1 tests", 0x600d, run_el1(el1_case, (u64)c));
        check_eq2(c->what, "HCR_EL2 bit after the test", 0, read_sysreg(hcr_el2) & c->hcr_bit);
        ok(c->what);
    }

    /* From EL0: masked by PSTATE.I at EL0 (target EL1), unmasked with UMA. */
    set_hcr(HCR_VI, 0);
    check_eq("EL0 tests", 0x600d, run_el1(el1_el0_tests, 0));
    check_eq("HCR_EL2.VI after the EL0 tests", 0, read_sysreg(hcr_el2) & HCR_VI);

    /* ERET to EL0 with one interrupt pending and unmasked in SPSR_EL1. */
    const struct vcase el0_cases[] = {
        { "virq-eret-el0", HCR_VI, ISR_I, 0, 0, VEC_LOWER64_IRQ, MASKED & ~SPSR_I, 1 },
        { "vfiq-eret-el0", HCR_VF, ISR_F, 0, 0, VEC_LOWER64_FIQ, MASKED & ~SPSR_F, 1 },
        { "vserror-eret-el0", HCR_VSE, ISR_A, 0, 0, VEC_LOWER64_SERROR, MASKED & ~SPSR_A, 1 },
    };
    for (unsigned i = 0; i < 3; i++) {
        const struct vcase *c = &el0_cases[i];
        set_hcr(c->hcr_bit, 0);
        check_eq2(c->what, "EL1 tests", 0x600d, run_el1(el1_eret_el0_case, (u64)c));
        check_eq2(c->what, "HCR_EL2 bit after the test", 0, read_sysreg(hcr_el2) & c->hcr_bit);
        ok(c->what);
    }
    set_hcr(0, ROUTE | VALL);
    return 0;
}
