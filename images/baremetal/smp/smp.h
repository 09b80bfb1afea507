/* Layout shared by smp.c and smp_asm.S. */
#pragma once

#define MAX_CPUS     8
#define STACK_SIZE   0x4000      /* per secondary CPU */
#define BOOT_SHIFT   8           /* struct boot is 256 bytes */

/* struct boot offsets used by the assembly (written by CPU 0 before CPU_ON
 * and cleaned to the PoC: the secondary reads them with its MMU off). */
#define B_SP         0
#define B_MAIR       8
#define B_TCR        16
#define B_TTBR       24
/* Written by the secondary's assembly. */
#define B_OFF_RET    128

/* PSCI (Arm DEN 0022) function IDs and return codes. */
#define PSCI_VERSION        0x84000000UL
#define PSCI_CPU_OFF        0x84000002UL
#define PSCI_CPU_ON64       0xc4000003UL
#define PSCI_AFFINITY_INFO64 0xc4000004UL
#define PSCI_FEATURES       0x8400000aUL
