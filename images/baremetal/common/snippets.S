/* Small routines with labelled instructions, shared by the tests so that
 * ELR/FAR values can be checked exactly. They live in .el0.text, which is
 * executable at EL0 and EL1 when stage 1 is on (and at any EL when off). */
    .section .el0.text, "ax"

/* u64 do_load(u64 *p) */
    .global do_load, do_load_insn
do_load:
do_load_insn:
    ldr     x0, [x0]
    ret

/* void do_store(u64 *p, u64 v) */
    .global do_store, do_store_insn
do_store:
do_store_insn:
    str     x1, [x0]
    ret

/* u64 ret42(void): used through aliases by the MMU tests. */
    .balign 64
    .global ret42
ret42:
    mov     x0, #42
    ret
