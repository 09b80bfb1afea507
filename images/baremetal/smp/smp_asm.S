/* Secondary CPU entry, EL2 MMU enable, counter increment loops and the
 * function whose code is rewritten across CPUs, for the smp test. */
#include "smp.h"

    .text

/* PSCI CPU_ON entry point: x0 = context id, EL2 (the caller's EL), MMU off.
 * Finds its struct boot from MPIDR_EL1.Aff0, takes its stack from it, turns
 * the EL2 MMU on with CPU 0's tables, runs secondary_main(ctx, mpidr, boot)
 * and then calls PSCI CPU_OFF. Nothing is written to memory before the MMU
 * (and with it the caches) is on. */
    .global secondary_entry
secondary_entry:
    mov     x19, x0
    mrs     x20, mpidr_el1
    and     x1, x20, #0xff
    cmp     x1, #MAX_CPUS
    b.hs    .                       /* cannot happen: CPU 0 times out */
    ldr     x2, =smp_boot
    add     x21, x2, x1, lsl #BOOT_SHIFT
    ldr     x3, [x21, #B_SP]
    mov     sp, x3
    ldr     x3, =vectors_el2
    msr     vbar_el2, x3
    ldr     x3, =0x30c50830         /* SCTLR_EL2: RES1 bits, M=C=I=0 */
    msr     sctlr_el2, x3
    mov     x3, #(1 << 31)          /* HCR_EL2.RW */
    msr     hcr_el2, x3
    isb
    ldr     x0, [x21, #B_MAIR]
    ldr     x1, [x21, #B_TCR]
    ldr     x2, [x21, #B_TTBR]
    bl      mmu_el2_enable
    mov     x0, x19
    mov     x1, x20
    mov     x2, x21
    bl      secondary_main
    ldr     x0, =PSCI_CPU_OFF
    smc     #0
    /* CPU_OFF returned: report its result; CPU 0 sees AFFINITY_INFO stay ON. */
    str     x0, [x21, #B_OFF_RET]
    dsb     ish
1:  b       1b

/* void mmu_el2_enable(u64 mair, u64 tcr, u64 ttbr0): EL2 stage 1 on with
 * data and instruction caches. Uses no memory. */
    .global mmu_el2_enable
mmu_el2_enable:
    msr     mair_el2, x0
    msr     tcr_el2, x1
    msr     ttbr0_el2, x2
    isb
    tlbi    alle2
    dsb     nsh
    isb
    mrs     x3, sctlr_el2
    mov     x4, #((1 << 0) | (1 << 2) | (1 << 12))   /* M, C, I */
    orr     x3, x3, x4
    msr     sctlr_el2, x3
    isb
    ret

/* u64 inc_excl(u64 *p, u64 n): n increments of *p with LDXR/STXR (n > 0);
 * returns the number of STXRs that failed. */
    .global inc_excl
inc_excl:
    mov     x3, #0
1:  ldxr    x4, [x0]
    add     x4, x4, #1
    stxr    w5, x4, [x0]
    cbnz    w5, 2f
    subs    x1, x1, #1
    b.ne    1b
    mov     x0, x3
    ret
2:  add     x3, x3, #1
    b       1b

/* u64 inc_excl_split(u64 *p, u64 n): as inc_excl, with a taken branch
 * between the LDXR and the STXR, so that an emulator that switches CPUs only
 * at taken branches can switch inside the exclusive window. */
    .global inc_excl_split
inc_excl_split:
    mov     x3, #0
1:  ldxr    x4, [x0]
    add     x4, x4, #1
    b       3f
3:  stxr    w5, x4, [x0]
    cbnz    w5, 2f
    subs    x1, x1, #1
    b.ne    1b
    mov     x0, x3
    ret
2:  add     x3, x3, #1
    b       1b

/* void inc_lse(u64 *p, u64 n): n increments of *p with LDADD (ARMv8.1 LSE;
 * only called when ID_AA64ISAR0_EL1.Atomic >= 2). */
    .arch_extension lse
    .global inc_lse
inc_lse:
    mov     x2, #1
1:  ldadd   x2, x3, [x0]
    subs    x1, x1, #1
    b.ne    1b
    ret

/* u64 xmod_target(void): its first instruction is rewritten by CPU 0 while
 * (and after) other CPUs execute it. */
    .balign 64
    .global xmod_target
xmod_target:
    movz    x0, #0x1111
    ret
