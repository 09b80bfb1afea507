/* Entry point, vector tables for EL1 and EL2, and the helpers that run code
 * at a lower EL and come back (el2_call_el1 / el1_call_el0).
 *
 * Boot: QEMU (and hvsim) enter at the ELF entry point at EL2 (EL1 works for
 * guests that do not need EL2), MMU off. */

#define FRAME_SIZE   320
#define F_ELR        256
#define F_SPSR       264
#define F_ESR        272
#define F_FAR        280
#define F_VEC        288
#define F_EL         296
#define F_HPFAR      304

#define RET_IMM      0xe0e

    .section .text.boot, "ax"
    .global _start
_start:
    mrs     x0, CurrentEL
    ubfx    x0, x0, #2, #2
    cmp     x0, #2
    b.eq    1f
    cmp     x0, #1
    b.eq    2f
    b       bad_el                  /* EL3 (or EL0): not supported */

1:  /* EL2 */
    ldr     x1, =__el2_stack_top
    mov     sp, x1
    ldr     x1, =vectors_el2
    msr     vbar_el2, x1
    ldr     x1, =0x30c50830         /* SCTLR_EL2: RES1 bits, M=C=I=0 */
    msr     sctlr_el2, x1
    mov     x1, #(1 << 31)          /* HCR_EL2.RW: EL1 is AArch64 */
    msr     hcr_el2, x1
    msr     vttbr_el2, xzr
    ldr     x1, =vectors_el1
    msr     vbar_el1, x1
    ldr     x1, =0x30d00800         /* SCTLR_EL1: RES1 bits, M=C=I=0 */
    msr     sctlr_el1, x1
    isb
    b       3f

2:  /* EL1 */
    ldr     x1, =__el1_stack_top
    mov     sp, x1
    ldr     x1, =vectors_el1
    msr     vbar_el1, x1
    ldr     x1, =0x30d00800
    msr     sctlr_el1, x1
    isb

3:  /* zero .bss */
    ldr     x1, =__bss_start
    ldr     x2, =__bss_end
4:  cmp     x1, x2
    b.hs    5f
    str     xzr, [x1], #8
    b       4b
5:  bl      rt_main
    b       psci_system_off

bad_el:
    /* Print "FAIL boot: bad EL" directly and exit through semihosting. */
    adr     x1, bad_el_msg
    mov     x2, #0x09000000
6:  ldrb    w3, [x1], #1
    cbz     w3, 7f
    strb    w3, [x2]
    b       6b
7:  mov     x0, #1
    b       semihost_exit
bad_el_msg:
    .asciz  "FAIL boot: entered at an EL other than 1 or 2 expected=0x2 got=other\n"
    .balign 4

/* ---- vector tables --------------------------------------------------- */

.macro VENTRY el, off
    .balign 0x80
    sub     sp, sp, #FRAME_SIZE
    stp     x0, x1, [sp, #0]
    mov     x0, #\off
    b       exc_common_el\el
.endm

.macro VTABLE el
    VENTRY \el, 0x000
    VENTRY \el, 0x080
    VENTRY \el, 0x100
    VENTRY \el, 0x180
    VENTRY \el, 0x200
    VENTRY \el, 0x280
    VENTRY \el, 0x300
    VENTRY \el, 0x380
    VENTRY \el, 0x400
    VENTRY \el, 0x480
    VENTRY \el, 0x500
    VENTRY \el, 0x580
    VENTRY \el, 0x600
    VENTRY \el, 0x680
    VENTRY \el, 0x700
    VENTRY \el, 0x780
.endm

.macro EXC_COMMON el
exc_common_el\el:
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
    mrs     x1, elr_el\el
    mrs     x2, spsr_el\el
    stp     x1, x2, [sp, #F_ELR]
    mrs     x1, esr_el\el
    mrs     x2, far_el\el
    stp     x1, x2, [sp, #F_ESR]
    mov     x1, #\el
    stp     x0, x1, [sp, #F_VEC]
.if \el == 2
    mrs     x1, hpfar_el2
.else
    mov     x1, #0
.endif
    str     x1, [sp, #F_HPFAR]
    mov     x0, sp
    bl      exc_handler
    cbnz    x0, 1f
    ldp     x1, x2, [sp, #F_ELR]
    msr     elr_el\el, x1
    msr     spsr_el\el, x2
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
    add     sp, sp, #FRAME_SIZE
    eret
1:  /* The lower EL asked to return: resume the el*_call_* caller with
     * x0 = the lower EL's x0; the frame is dropped with the old SP. */
    ldr     x0, [sp, #0]
    ldr     x9, =ctx_el\el
    ldp     x19, x20, [x9, #0]
    ldp     x21, x22, [x9, #16]
    ldp     x23, x24, [x9, #32]
    ldp     x25, x26, [x9, #48]
    ldp     x27, x28, [x9, #64]
    ldp     x29, x30, [x9, #80]
    ldr     x10, [x9, #96]
    mov     sp, x10
    ret
.endm

    .text
    .balign 0x800
    .global vectors_el2
vectors_el2:
    VTABLE 2

    .balign 0x800
    .global vectors_el1
vectors_el1:
    VTABLE 1

    EXC_COMMON 2
    EXC_COMMON 1

/* u64 el2_call_el1(fn, arg, spsr): at EL2, ERET to EL1 running fn(arg). */
    .global el2_call_el1
el2_call_el1:
    ldr     x9, =ctx_el2
    stp     x19, x20, [x9, #0]
    stp     x21, x22, [x9, #16]
    stp     x23, x24, [x9, #32]
    stp     x25, x26, [x9, #48]
    stp     x27, x28, [x9, #64]
    stp     x29, x30, [x9, #80]
    mov     x10, sp
    str     x10, [x9, #96]
    msr     spsr_el2, x2
    ldr     x10, =el1_trampoline
    msr     elr_el2, x10
    ldr     x10, =__el1_stack_top
    msr     sp_el1, x10
    isb
    eret

el1_trampoline:
    mov     x9, x0
    mov     x0, x1
    blr     x9
    hvc     #RET_IMM
    b       .

/* u64 el1_call_el0(fn, arg, spsr): at EL1, ERET to EL0 running fn(arg). */
    .global el1_call_el0
el1_call_el0:
    ldr     x9, =ctx_el1
    stp     x19, x20, [x9, #0]
    stp     x21, x22, [x9, #16]
    stp     x23, x24, [x9, #32]
    stp     x25, x26, [x9, #48]
    stp     x27, x28, [x9, #64]
    stp     x29, x30, [x9, #80]
    mov     x10, sp
    str     x10, [x9, #96]
    msr     spsr_el1, x2
    ldr     x10, =el0_trampoline
    msr     elr_el1, x10
    ldr     x10, =el0_stack_top
    msr     sp_el0, x10
    isb
    eret

    .section .el0.text, "ax"
el0_trampoline:
    mov     x9, x0
    mov     x0, x1
    blr     x9
    svc     #RET_IMM
    b       .

/* ---- power off / semihosting exit ------------------------------------- */
    .text
    .global psci_system_off
psci_system_off:
    ldr     w0, =0x84000008
    smc     #0
    /* Should not return; if it does, exit through semihosting. */
    mov     x0, #0
    b       semihost_exit

    .global semihost_exit
semihost_exit:
    ldr     x1, =semihost_block
    mov     x2, #0x26
    movk    x2, #0x2, lsl #16       /* ADP_Stopped_ApplicationExit 0x20026 */
    stp     x2, x0, [x1]
    mov     x0, #0x20               /* SYS_EXIT_EXTENDED */
    hlt     #0xf000
    /* No semihosting: try PSCI SYSTEM_OFF, then spin. */
    ldr     w0, =0x84000008
    smc     #0
    b       .

    .bss
    .balign 16
ctx_el2: .skip 112
ctx_el1: .skip 112
semihost_block: .skip 16

    .section .el0.data, "aw"
    .balign 16
el0_stack: .skip 0x4000
el0_stack_top:
