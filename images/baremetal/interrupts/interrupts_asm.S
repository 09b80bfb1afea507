/* Vector tables for the interrupts test and the code whose ELR is checked.
 *
 * ivec_el1: the IRQ, FIQ and SError entries (current EL with SP_EL0 / SP_ELx,
 * lower EL AArch64) save x0-x30 and call irq_handler(vector offset); the
 * synchronous entries (and the AArch32 ones) branch to the runtime's
 * vectors_el1 entry, so SVC #0xe0e returns and unexpected exceptions work as
 * usual.
 * ivec_el2: HVC #0x1f1 from EL1 clears the HCR_EL2 bits given in x0 and
 * returns the new HCR_EL2 in x0 (x1 clobbered); everything else goes to the
 * runtime's vectors_el2. */

#define HVC_CLEAR_ESR   0x5a0001f1      /* EC 0x16, IL, imm16 0x1f1 */
#define IFRAME          256

.macro FWD table, off
    .balign 0x80
    b       \table + \off
.endm

.macro ASYNC off
    .balign 0x80
    sub     sp, sp, #IFRAME
    stp     x0, x1, [sp, #0]
    mov     x0, #\off
    b       async_common
.endm

    .text
    .balign 0x800
    .global ivec_el1
ivec_el1:
    FWD     vectors_el1, 0x000
    ASYNC   0x080
    ASYNC   0x100
    ASYNC   0x180
    FWD     vectors_el1, 0x200
    ASYNC   0x280
    ASYNC   0x300
    ASYNC   0x380
    FWD     vectors_el1, 0x400
    ASYNC   0x480
    ASYNC   0x500
    ASYNC   0x580
    FWD     vectors_el1, 0x600
    FWD     vectors_el1, 0x680
    FWD     vectors_el1, 0x700
    FWD     vectors_el1, 0x780

    .balign 0x800
    .global ivec_el2
ivec_el2:
    FWD     vectors_el2, 0x000
    FWD     vectors_el2, 0x080
    FWD     vectors_el2, 0x100
    FWD     vectors_el2, 0x180
    FWD     vectors_el2, 0x200
    FWD     vectors_el2, 0x280
    FWD     vectors_el2, 0x300
    FWD     vectors_el2, 0x380
    .balign 0x80                    /* 0x400: lower EL, AArch64, synchronous */
    stp     x0, x1, [sp, #-16]!
    mrs     x0, esr_el2
    movz    w1, #(HVC_CLEAR_ESR & 0xffff)
    movk    w1, #(HVC_CLEAR_ESR >> 16), lsl #16
    cmp     w0, w1
    ldp     x0, x1, [sp], #16
    b.ne    vectors_el2 + 0x400
    mrs     x1, hcr_el2
    bic     x1, x1, x0
    msr     hcr_el2, x1
    isb
    mov     x0, x1
    eret
    FWD     vectors_el2, 0x480
    FWD     vectors_el2, 0x500
    FWD     vectors_el2, 0x580
    FWD     vectors_el2, 0x600
    FWD     vectors_el2, 0x680
    FWD     vectors_el2, 0x700
    FWD     vectors_el2, 0x780

async_common:
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x19, [sp, #144]
    stp     x20, x21, [sp, #160]
    stp     x22, x23, [sp, #176]
    stp     x24, x25, [sp, #192]
    stp     x26, x27, [sp, #208]
    stp     x28, x29, [sp, #224]
    str     x30, [sp, #240]
    bl      irq_handler             /* may rewrite ELR_EL1/SPSR_EL1 */
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x19, [sp, #144]
    ldp     x20, x21, [sp, #160]
    ldp     x22, x23, [sp, #176]
    ldp     x24, x25, [sp, #192]
    ldp     x26, x27, [sp, #208]
    ldp     x28, x29, [sp, #224]
    ldr     x30, [sp, #240]
    ldp     x0, x1, [sp, #0]
    add     sp, sp, #IFRAME
    eret

/* At EL1 (DAIF masked): a short delay with the interrupt still masked, then
 * unmask it with MSR DAIFClr; the interrupt must be taken with ELR = the
 * *_next label (the instruction after the MSR); mask again and return. */
.macro UNMASK name, bit
    .global \name, \name\()_next
\name:
    mov     x9, #64
1:  subs    x9, x9, #1
    b.ne    1b
    msr     daifclr, #\bit
\name\()_next:
    msr     daifset, #\bit
    ret
.endm

    UNMASK  el1_unmask_irq, 2
    UNMASK  el1_unmask_fiq, 1
    UNMASK  el1_unmask_serror, 4

/* void el1_unmask_all(void): unmask I, F and A, run a delay, mask again. */
    .global el1_unmask_all
el1_unmask_all:
    msr     daifclr, #7
    mov     x9, #256
1:  subs    x9, x9, #1
    b.ne    1b
    msr     daifset, #7
    ret

/* u64 el1_eret_el0_loop(u64 spsr, u64 unused, u64 count): at EL1, ERET to
 * el0_loop (EL0) with SPSR = spsr. el0_loop counts x2 down; an interrupt
 * handler that sees ELR = el0_loop sends the PE back to el1_eret_el0_back at
 * EL1 (EL0 changes only x2, so x19-x30 and SP_EL1 are still this function's).
 * If no interrupt comes, el0_loop ends with SVC #0x1f2: an unexpected
 * exception, which fails the test. */
    .global el1_eret_el0_loop, el1_eret_el0_back
el1_eret_el0_loop:
    msr     spsr_el1, x0
    ldr     x1, =el0_loop
    msr     elr_el1, x1
    isb
    eret
el1_eret_el0_back:
    ret

    .section .el0.text, "ax"
/* void el0_unmask_irq(void): as el1_unmask_irq, at EL0 with SCTLR_EL1.UMA=1. */
    .global el0_unmask_irq, el0_unmask_irq_next
el0_unmask_irq:
    mov     x9, #64
1:  subs    x9, x9, #1
    b.ne    1b
    msr     daifclr, #2
el0_unmask_irq_next:
    msr     daifset, #2
    ret

/* u64 el0_mrs_daif(void): MRS DAIF at EL0 (needs SCTLR_EL1.UMA = 1). */
    .global el0_mrs_daif
el0_mrs_daif:
    mrs     x0, daif
    ret

    .global el0_loop
el0_loop:
    subs    x2, x2, #1
    b.ne    el0_loop
    svc     #0x1f2
    b       .
