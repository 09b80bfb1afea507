/* Entry of a bare-metal Xen domU (arm64 Image boot protocol: MMU off, EL1, x0 = DTB).
 * The file starts with an arm64 Image header so the hypervisor loads it as Linux.   */
    .section .text.boot, "ax"
    .global _start
_start:
    b       1f                      /* code0: branch past the header */
    .long   0                       /* code1 */
    .quad   0x80000                 /* text_offset: load at RAM base + 512 KiB */
    .quad   __image_end - _start    /* image_size */
    .quad   0xa                     /* flags: little endian, 4K pages, anywhere */
    .quad   0, 0, 0
    .ascii  "ARM\x64"               /* magic */
    .long   0
1:  mov     x19, x0
    ldr     x1, =__stack_top
    mov     sp, x1
    adr     x1, vectors
    msr     vbar_el1, x1
    isb
    /* Zero .bss */
    ldr     x1, =__bss_start
    ldr     x2, =__bss_end
2:  cmp     x1, x2
    b.hs    3f
    str     xzr, [x1], #8
    b       2b
3:  mov     x0, x19
    bl      main
    bl      xen_poweroff
4:  wfi
    b       4b

/* hypercall(op, a0, a1, a2, a3, a4): HVC #0xEA1 with the number in x16. */
    .global hypercall
hypercall:
    mov     x16, x0
    mov     x0, x1
    mov     x1, x2
    mov     x2, x3
    mov     x3, x4
    mov     x4, x5
    hvc     #0xea1
    ret

/* Exceptions: every vector saves the caller-saved registers and calls
 * exception_entry(kind, esr, elr, far) in rt.c (kind = vector index 0..15: 4 = sync,
 * 5 = IRQ from EL1 with SP_EL1), which returns the address to resume at. */
    .macro ventry kind
    .balign 128
    sub     sp, sp, #176
    stp     x0, x1, [sp, #0]
    mov     x0, #\kind
    b       vector_common
    .endm

    .balign 2048
vectors:
    .irp    k, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
    ventry  \k
    .endr
    .balign 128

vector_common:
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x29, [sp, #144]
    mrs     x1, esr_el1
    mrs     x2, elr_el1
    mrs     x3, far_el1
    stp     x30, x2, [sp, #160]
    mrs     x4, spsr_el1
    str     x4, [sp, #-16]!
    bl      exception_entry
    ldr     x4, [sp], #16
    msr     spsr_el1, x4
    msr     elr_el1, x0
    ldp     x30, x2, [sp, #160]
    ldp     x0, x1, [sp, #0]
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x29, [sp, #144]
    add     sp, sp, #176
    eret
