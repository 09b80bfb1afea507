/* The inner loop of a multi-precision multiply-subtract (res -= s1 * multiplier, with
 * borrow), written as Debian's arm64 kernel runs it during boot: 64x64-bit products
 * built from four 32x32-bit ones, the carries kept with CMP/CSEL/CINC. The instruction
 * sequence is the one hvsim's traces show taking about half of a Linux boot.
 *
 * u64 mpi_kernel(u64 *res, u64 *s1, u64 limbs, u64 multiplier, u64 passes)
 * returns the last pass's borrow out. */
    .text
    .global mpi_kernel
mpi_kernel:
    mov     x15, x4                 // passes
    mov     x16, x2                 // limbs
    and     x10, x3, #0xffffffff    // multiplier, low half
    lsr     x12, x3, #32            // multiplier, high half
    mov     x13, #0x100000000
    lsl     x17, x2, #3
    add     x1, x1, x17             // both arrays are indexed from their ends
    add     x11, x0, x17
    mov     x14, #0
1:  neg     w2, w16                 // limb index, counting up to zero
    mov     x0, #0                  // borrow
2:  sxtw    x5, w2
    sub     x5, x5, x14
    ldr     x3, [x1, x5, lsl #3]
    ldr     x7, [x11, x5, lsl #3]
    and     x6, x3, #0xffffffff
    lsr     x3, x3, #32
    mul     x4, x6, x10
    mul     x9, x3, x10
    madd    x8, x12, x6, x9
    mul     x3, x12, x3
    add     x6, x0, w4, uxtw
    add     x4, x8, x4, lsr #32
    add     x8, x3, x13
    cmp     x4, x9
    add     x6, x6, x4, lsl #32
    csel    x3, x8, x3, lo
    cmp     x6, x0
    lsr     x4, x4, #32
    cinc    x4, x4, lo
    subs    x7, x7, x6
    cinc    x3, x3, lo
    add     x0, x3, x4
    str     x7, [x11, x5, lsl #3]
    adds    w2, w2, #1
    b.ne    2b
    subs    x15, x15, #1
    b.ne    1b
    ret
