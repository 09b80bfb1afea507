/* VMSAv8-64 translation table builder (Arm ARM D5 / D8 "The AArch64 Virtual
 * Memory System Architecture"). Descriptor formats are the same at stage 1
 * and stage 2 except for the attribute bits, which the caller passes. */
#include "mmu.h"

static u64 pool_next;

void pool_reset(void)
{
    pool_next = (u64)__pool_start;
}

void *pool_alloc(u64 size, u64 align)
{
    if (!pool_next)
        pool_reset();
    u64 p = (pool_next + align - 1) & ~(align - 1);
    if (p + size > (u64)__pool_end)
        fail("page-table pool exhausted", (u64)__pool_end - (u64)__pool_start, p + size - (u64)__pool_start);
    pool_next = p + size;
    volatile u64 *q = (volatile u64 *)p;
    for (u64 i = 0; i < size / 8; i++)
        q[i] = 0;
    return (void *)p;
}

static unsigned lvl_shift(const struct pt *pt, int level)
{
    return pt->gshift + (3 - level) * (pt->gshift - 3);
}

static u64 lvl_entries(const struct pt *pt, int level)
{
    if (level == pt->start_level)
        return 1UL << (pt->ia_bits - lvl_shift(pt, level));
    return 1UL << (pt->gshift - 3);
}

static u64 lvl_index(const struct pt *pt, int level, u64 va)
{
    return (va >> lvl_shift(pt, level)) & (lvl_entries(pt, level) - 1);
}

/* Levels at which a block descriptor is allowed (ARMv8.0, no LPA2). */
static int block_ok(const struct pt *pt, int level)
{
    if (level == 2)
        return 1;
    if (level == 1)
        return pt->gshift == 12;
    return 0;
}

u64 pt_oa_mask(const struct pt *pt)
{
    return 0x0000fffffffff000UL & ~((1UL << pt->gshift) - 1);
}

#define ATTR_MASK 0xfff0000000000ffcUL

static u64 table_bytes(const struct pt *pt, int level)
{
    u64 b = lvl_entries(pt, level) * 8;
    return b < 64 ? 64 : b;
}

void pt_init(struct pt *pt, unsigned gshift, unsigned ia_bits, int start_level)
{
    pt->gshift = gshift;
    pt->ia_bits = ia_bits;
    if (start_level < 0) {
        unsigned per = gshift - 3;
        unsigned levels = (ia_bits - gshift + per - 1) / per;
        start_level = 4 - (int)levels;
    }
    pt->start_level = start_level;
    u64 bytes = table_bytes(pt, start_level);
    u64 align = bytes < (1UL << gshift) ? (1UL << gshift) : bytes;
    pt->root = (u64)pool_alloc(bytes < (1UL << gshift) ? (1UL << gshift) : bytes, align);
}

/* Make *e a table descriptor (allocate, or split a block). */
static u64 *descend(struct pt *pt, u64 *e, int level)
{
    u64 d = *e;
    u64 oa = pt_oa_mask(pt);
    if ((d & 3) == 3)
        return (u64 *)(d & oa);
    u64 g = 1UL << pt->gshift;
    u64 *t = pool_alloc(g, g);
    if ((d & 3) == 1) {
        /* Split a block into the next level's blocks/pages. */
        u64 child = 1UL << lvl_shift(pt, level + 1);
        u64 base = d & oa & ~((1UL << lvl_shift(pt, level)) - 1);
        u64 type = level + 1 == 3 ? 3 : 1;
        for (u64 i = 0; i < lvl_entries(pt, level + 1); i++)
            t[i] = (base + i * child) | (d & ATTR_MASK) | type;
    }
    *e = (u64)t | 3;
    return t;
}

void pt_map(struct pt *pt, u64 va, u64 pa, u64 size, u64 attrs)
{
    attrs &= ATTR_MASK;
    while (size) {
        u64 *table = (u64 *)pt->root;
        int level = pt->start_level;
        u64 chunk;
        for (;;) {
            u64 *e = &table[lvl_index(pt, level, va)];
            chunk = 1UL << lvl_shift(pt, level);
            if (level == 3) {
                *e = (pa & pt_oa_mask(pt)) | attrs | 3;
                break;
            }
            if (block_ok(pt, level) && !((va | pa) & (chunk - 1)) && size >= chunk &&
                (*e & 3) != 3) {
                *e = pa | attrs | 1;
                break;
            }
            table = descend(pt, e, level);
            level++;
        }
        if (size < chunk)
            fail("pt_map size not a multiple of the granule", chunk, size);
        va += chunk;
        pa += chunk;
        size -= chunk;
    }
    dsb(ishst);
}

u64 *pt_entry(struct pt *pt, u64 va, int level)
{
    u64 *table = (u64 *)pt->root;
    for (int l = pt->start_level;; l++) {
        u64 *e = &table[lvl_index(pt, l, va)];
        if (l == level)
            return e;
        table = descend(pt, e, l);
    }
}

u64 *pt_leaf(struct pt *pt, u64 va, int *level)
{
    u64 *table = (u64 *)pt->root;
    for (int l = pt->start_level; l <= 3; l++) {
        u64 *e = &table[lvl_index(pt, l, va)];
        if ((*e & 1) == 0)
            return 0;
        if (l == 3 || (*e & 3) == 1) {
            if (level)
                *level = l;
            return e;
        }
        table = (u64 *)(*e & pt_oa_mask(pt));
    }
    return 0;
}

void pt_identity_s1(struct pt *pt)
{
    pt_map(pt, RAM_BASE, RAM_BASE, RAM_SIZE, S1_NORMAL | S1_AP_RW_EL1 | S1_UXN);
    u64 g = pt_granule(pt);
    pt_map(pt, UART_BASE, UART_BASE, g, S1_DEVICE);
    u64 ts = (u64)__el0_text_start, te = (u64)__el0_text_end;
    pt_map(pt, ts, ts, te - ts, S1_NORMAL | S1_AP_RO_ALL);
    u64 ds = (u64)__el0_data_start, de = (u64)__el0_data_end;
    pt_map(pt, ds, ds, de - ds, S1_NORMAL | S1_AP_RW_ALL | S1_PXN | S1_UXN);
}

void pt_identity_s2(struct pt *pt)
{
    pt_map(pt, RAM_BASE, RAM_BASE, RAM_SIZE, S2_NORMAL_RW);
    pt_map(pt, UART_BASE, UART_BASE, pt_granule(pt), S2_DEVICE_RW);
}

/* TCR_EL1.TG0 / TG1 encodings differ. */
static u64 tg0(unsigned gshift) { return gshift == 12 ? 0 : gshift == 16 ? 1 : 2; }
static u64 tg1(unsigned gshift) { return gshift == 12 ? 2 : gshift == 16 ? 3 : 1; }

u64 tcr_el1_for(const struct pt *t0, const struct pt *t1)
{
    u64 tcr = (64 - t0->ia_bits) | (1UL << 8) | (1UL << 10) | (3UL << 12) | (tg0(t0->gshift) << 14);
    if (t1)
        tcr |= ((u64)(64 - t1->ia_bits) << 16) | (1UL << 24) | (1UL << 26) | (3UL << 28) |
               (tg1(t1->gshift) << 30);
    else
        tcr |= (16UL << 16) | (1UL << 23) | (tg1(t0->gshift) << 30);   /* EPD1 */
    tcr |= 2UL << 32;   /* IPS: 40 bits */
    return tcr;
}

void mmu_el1_on(const struct pt *t0, u64 asid, const struct pt *t1)
{
    write_sysreg(mair_el1, MAIR_VALUE);
    write_sysreg(tcr_el1, tcr_el1_for(t0, t1));
    write_sysreg(ttbr0_el1, t0->root | (asid << 48));
    write_sysreg(ttbr1_el1, t1 ? t1->root : 0);
    isb();
    asm volatile("tlbi vmalle1" ::: "memory");
    dsb(ish);
    isb();
    write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) | SCTLR_M | SCTLR_C | SCTLR_I);
    isb();
}

void mmu_el1_off(void)
{
    write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) & ~(SCTLR_M | SCTLR_C | SCTLR_I));
    isb();
    asm volatile("tlbi vmalle1" ::: "memory");
    dsb(ish);
    isb();
}

void s2_enable(const struct pt *pt, u64 vmid)
{
    if (pt->gshift != 12)
        fail("s2_enable supports the 4K granule only", 12, pt->gshift);
    u64 sl0 = 2 - pt->start_level;     /* 4K: SL0=0 level 2, 1 level 1, 2 level 0 */
    u64 vtcr = (64 - pt->ia_bits) | (sl0 << 6) | (1UL << 8) | (1UL << 10) | (3UL << 12) |
               (0UL << 14) | (2UL << 16) | (1UL << 31);
    write_sysreg(vtcr_el2, vtcr);
    write_sysreg(vttbr_el2, pt->root | (vmid << 48));
    write_sysreg(hcr_el2, read_sysreg(hcr_el2) | HCR_VM);
    isb();
    asm volatile("tlbi vmalls12e1" ::: "memory");
    dsb(ish);
    isb();
}

void s2_disable(void)
{
    write_sysreg(hcr_el2, read_sysreg(hcr_el2) & ~HCR_VM);
    isb();
    asm volatile("tlbi vmalls12e1" ::: "memory");
    dsb(ish);
    isb();
}

int have_tgran(unsigned gshift)
{
    u64 mmfr0 = read_sysreg(id_aa64mmfr0_el1);
    if (gshift == 12)
        return ((mmfr0 >> 28) & 0xf) != 0xf;
    if (gshift == 16)
        return ((mmfr0 >> 24) & 0xf) != 0xf;
    return ((mmfr0 >> 20) & 0xf) != 0;
}

int have_pan(void)
{
    return ((read_sysreg(id_aa64mmfr1_el1) >> 20) & 0xf) != 0;
}
