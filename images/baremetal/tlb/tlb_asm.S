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
