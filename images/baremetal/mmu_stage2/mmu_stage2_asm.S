/* Loads with distinct syndromes for the stage-2 ISS checks. */
    .text
/* u64 load_sh_w3(u64 addr): LDRSH w3, [x1] -> SAS=1 (halfword), SSE=1, SRT=3, SF=0 */
    .global load_sh_w3, load_sh_w3_insn
load_sh_w3:
    mov     x1, x0
    mov     x3, #0
load_sh_w3_insn:
    ldrsh   w3, [x1]
    mov     x0, x3
    ret
