/* u64 hash_kernel(u8 *buf, u64 passes, u64 h)
 *
 * Each pass over the 64 KiB buffer:
 *   1. FNV-1a over its 65536 bytes             (5 instructions per byte)
 *   2. a multiply/xor-shift mix that rewrites each of its 8192 words and
 *      folds it into h                          (8 instructions per word)
 * Exact count per pass: 2 + 5*65536 + 2 + 8*8192 + 2 = 393222 instructions.
 * Written in assembly so the count does not depend on the compiler. */
    .text
    .global hash_kernel
hash_kernel:
    movz    x7, #0x01b3                 /* FNV-1a 64-bit prime 0x100000001b3 */
    movk    x7, #0x100, lsl #32
    movz    x8, #0x7c15                 /* 0x9e3779b97f4a7c15 */
    movk    x8, #0x7f4a, lsl #16
    movk    x8, #0x79b9, lsl #32
    movk    x8, #0x9e37, lsl #48
1:  mov     x3, x0                      /* pass: 2 */
    mov     x4, #65536
2:  ldrb    w5, [x3], #1                /* byte loop: 5 */
    eor     x2, x2, x5
    mul     x2, x2, x7
    subs    x4, x4, #1
    b.ne    2b
    mov     x3, x0                      /* 2 */
    mov     x4, #8192
3:  ldr     x5, [x3]                    /* word loop: 8 */
    add     x5, x5, x2
    eor     x5, x5, x5, lsr #31
    mul     x5, x5, x8
    eor     x2, x2, x5, ror #17
    str     x5, [x3], #8
    subs    x4, x4, #1
    b.ne    3b
    subs    x1, x1, #1                  /* 2 */
    b.ne    1b
    mov     x0, x2
    ret
