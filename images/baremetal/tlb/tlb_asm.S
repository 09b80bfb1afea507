/* Self-modifying code sites for the tlb test. */
    .text

/* u64 smc_site(void): its first instruction is rewritten by the test. */
    .balign 64
    .global smc_site
smc_site:
    movz    x0, #1
    ret

/* u64 smc_inline(u32 insn): rewrites an instruction further down in its own
 * basic block, does the architected maintenance, then runs it. */
    .global smc_inline
smc_inline:
    adr     x1, 1f
    str     w0, [x1]
    dc      cvau, x1
    dsb     ish
    ic      ivau, x1
    dsb     ish
    isb
1:  movz    x0, #1
    ret

/* u64 smc_pair(u64 v): stores to its own page as the first half of an adjacent pair
 * (STP, then ADD: hvsim runs them as one fused slot). The words stored are the ones
 * already there, so the code is the same whether or not the store is seen; but the
 * page's decoded copy is dropped in the middle of the pair. Returns v + 1. */
    .balign 64
    .global smc_pair
smc_pair:
    adr     x1, 2f
    ldp     x2, x3, [x1]
    stp     x2, x3, [x1]
    add     x0, x0, #1
2:  ret
    nop
