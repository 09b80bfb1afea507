/* Instruction snippets for the exceptions test. Each global *_insn label
 * marks the instruction whose address ELR must hold. */

    .section .el0.text, "ax"

/* u64 el0_svc(u64 nzcv): set NZCV, SVC #0x1234. */
    .global el0_svc, el0_svc_next
el0_svc:
    msr     nzcv, x0
    svc     #0x1234
el0_svc_next:
    ret

    .global el0_udf, el0_udf_insn
el0_udf:
el0_udf_insn:
    .inst   0x00000000          /* UDF #0 */
    ret

    .global el0_hvc, el0_hvc_insn
el0_hvc:
el0_hvc_insn:
    hvc     #1                  /* UNDEFINED at EL0 */
    ret

    .global el0_smc, el0_smc_insn
el0_smc:
el0_smc_insn:
    smc     #1                  /* UNDEFINED at EL0 */
    ret

    .global el0_mrs_sctlr, el0_mrs_sctlr_insn
el0_mrs_sctlr:
el0_mrs_sctlr_insn:
    mrs     x0, sctlr_el1       /* UNDEFINED at EL0 */
    ret

    .global el0_brk, el0_brk_insn
el0_brk:
el0_brk_insn:
    brk     #0x77
    ret

    .global el0_wfi, el0_wfi_insn
el0_wfi:
el0_wfi_insn:
    wfi                         /* trapped to EL1 by SCTLR_EL1.nTWI=0 */
    ret

    .text

    .global el1_hvc, el1_hvc_next
el1_hvc:
    hvc     #0x5678
el1_hvc_next:
    ret

    .global el1_smc, el1_smc_insn
el1_smc:
el1_smc_insn:
    smc     #0x9abc
    ret

    .global el1_udf, el1_udf_insn
el1_udf:
el1_udf_insn:
    .inst   0x00000000
    ret

    .global el1_brk, el1_brk_insn
el1_brk:
el1_brk_insn:
    brk     #0x42
    ret

    .global el1_wfi, el1_wfi_insn
el1_wfi:
el1_wfi_insn:
    wfi
    ret

/* u64 el1_msr_sctlr(u64 v) */
    .global el1_msr_sctlr, el1_msr_sctlr_insn
el1_msr_sctlr:
    mov     x5, x0
el1_msr_sctlr_insn:
    msr     sctlr_el1, x5
    ret

/* u64 el1_msr_tcr(u64 v) */
    .global el1_msr_tcr, el1_msr_tcr_insn
el1_msr_tcr:
    mov     x3, x0
el1_msr_tcr_insn:
    msr     tcr_el1, x3
    ret

    .global el1_mrs_ttbr0, el1_mrs_ttbr0_insn
el1_mrs_ttbr0:
    mov     x7, #0
el1_mrs_ttbr0_insn:
    mrs     x7, ttbr0_el1
    mov     x0, x7
    ret

    .global el1_mrs_mmfr0, el1_mrs_mmfr0_insn
el1_mrs_mmfr0:
el1_mrs_mmfr0_insn:
    mrs     x2, id_aa64mmfr0_el1
    mov     x0, x2
    ret

    .global el1_mrs_ctr, el1_mrs_ctr_insn
el1_mrs_ctr:
el1_mrs_ctr_insn:
    mrs     x2, ctr_el0
    mov     x0, x2
    ret

/* u64 read_pstate(void): NZCV | DAIF | CurrentEL | SPSel, read first thing
 * after an ERET (the trampoline does not touch flags). No stack use. */
    .global read_pstate
read_pstate:
    mrs     x0, nzcv
    mrs     x1, daif
    orr     x0, x0, x1
    mrs     x1, CurrentEL
    orr     x0, x0, x1
    mrs     x1, spsel
    orr     x0, x0, x1
    ret

/* u64 el1_svc_flags(u64 v): NZCV and DAIF := v, SVC #7 (handled at EL1,
 * which edits SPSR), then return NZCV | DAIF as restored by ERET. */
    .global el1_svc_flags, el1_svc_flags_next
el1_svc_flags:
    msr     nzcv, x0
    msr     daif, x0
    svc     #7
el1_svc_flags_next:
    mrs     x0, nzcv
    mrs     x1, daif
    orr     x0, x0, x1
    ret
