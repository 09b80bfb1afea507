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

/* Any exception: report its syndrome and stop the domain (a crash). */
    .balign 2048
vectors:
    .rept   16
    .balign 128
    mrs     x0, esr_el1
    mrs     x1, elr_el1
    mrs     x2, far_el1
    b       exception
    .endr
