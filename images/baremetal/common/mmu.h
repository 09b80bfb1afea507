/* Page-table builder for VMSAv8-64 stage 1 and stage 2 (4K/16K/64K granules)
 * and helpers to turn the EL1 MMU and stage 2 on and off. */
#pragma once
#include "rt.h"

struct pt {
    unsigned gshift;      /* 12, 14 or 16 */
    unsigned ia_bits;     /* input address bits (64 - TxSZ) */
    int start_level;
    u64 root;             /* PA of the root table */
};

/* Leaf attributes, stage 1 (AttrIndx uses MAIR_EL1 below). */
#define MAIR_VALUE     0x44ff00UL   /* idx0 Device-nGnRnE, idx1 Normal WB, idx2 Normal NC */
#define S1_ATTRIDX(i)  ((u64)(i) << 2)
#define S1_AP_RW_EL1   (0UL << 6)
#define S1_AP_RW_ALL   (1UL << 6)
#define S1_AP_RO_EL1   (2UL << 6)
#define S1_AP_RO_ALL   (3UL << 6)
#define S1_SH_INNER    (3UL << 8)
#define S1_AF          (1UL << 10)
#define S1_NG          (1UL << 11)
#define S1_PXN         (1UL << 53)
#define S1_UXN         (1UL << 54)
#define S1_NORMAL      (S1_ATTRIDX(1) | S1_SH_INNER | S1_AF)
#define S1_DEVICE      (S1_ATTRIDX(0) | S1_AF | S1_PXN | S1_UXN)

/* Leaf attributes, stage 2. */
#define S2_MEM_NORMAL  (0xfUL << 2)  /* Normal, outer+inner WB */
#define S2_MEM_DEVICE  (0x1UL << 2)  /* Device-nGnRE */
#define S2_AP_NONE     (0UL << 6)
#define S2_AP_RO       (1UL << 6)
#define S2_AP_WO       (2UL << 6)
#define S2_AP_RW       (3UL << 6)
#define S2_SH_INNER    (3UL << 8)
#define S2_AF          (1UL << 10)
#define S2_XN          (1UL << 54)
#define S2_NORMAL_RW   (S2_MEM_NORMAL | S2_AP_RW | S2_SH_INNER | S2_AF)
#define S2_DEVICE_RW   (S2_MEM_DEVICE | S2_AP_RW | S2_AF | S2_XN)

#define RAM_BASE 0x40000000UL
#define RAM_SIZE 0x08000000UL

/* Bump allocator over the linker's pool; memory is zeroed. */
void pool_reset(void);
void *pool_alloc(u64 size, u64 align);

/* start_level < 0: the shallowest level that covers ia_bits. */
void pt_init(struct pt *pt, unsigned gshift, unsigned ia_bits, int start_level);
/* Map [va, va+size) -> pa with leaf attributes; uses blocks where aligned,
 * splits existing blocks where needed. */
void pt_map(struct pt *pt, u64 va, u64 pa, u64 size, u64 attrs);
/* Pointer to the descriptor for va at `level` (allocating tables and
 * splitting blocks on the way). */
u64 *pt_entry(struct pt *pt, u64 va, int level);
/* Leaf descriptor for va (a page or block), or 0 if not mapped. */
u64 *pt_leaf(struct pt *pt, u64 va, int *level);
u64 pt_oa_mask(const struct pt *pt);
static inline u64 pt_granule(const struct pt *pt) { return 1UL << pt->gshift; }

/* Identity map RAM (EL1 RW, EL1-executable, no EL0 access) and the UART,
 * plus the EL0 text (RO, executable at EL0 and EL1) and data (RW at EL0). */
void pt_identity_s1(struct pt *pt);
/* Identity map RAM and UART at stage 2. */
void pt_identity_s2(struct pt *pt);

/* EL1 MMU (call at EL1). t1 may be 0 (TTBR1 walks disabled). */
u64 tcr_el1_for(const struct pt *t0, const struct pt *t1);
void mmu_el1_on(const struct pt *t0, u64 asid, const struct pt *t1);
void mmu_el1_off(void);

/* Stage 2 (call at EL2): 4K granule, VTCR from the table's shape. */
void s2_enable(const struct pt *pt, u64 vmid);
void s2_disable(void);

/* Feature checks. */
int have_tgran(unsigned gshift);
int have_pan(void);
