/* Long hypercalls that the hypervisor continues (as Xen's hypercall_create_continuation):
 * one GNTTABOP_copy of BATCH elements between our own frames, some with a bad domain; one
 * GNTTABOP_map_grant_ref batch of refs nobody granted; a console_io write of 6000 bytes.
 * Checks every element's status and the copied data, and Xen's errors for bad counts. */
#include "../xen.h"

#define BATCH 20000
#define PAGES 8

static u8 src[PAGES][4096] __attribute__((aligned(4096)));
static u8 dst[PAGES][4096] __attribute__((aligned(4096)));
static struct gnttab_copy ops[BATCH];
static struct gnttab_map_grant_ref maps[3000];
static char text[6000];

static void expect(const char *what, long got, long want) {
    if (got != want) { print(what); print(": expected "); print_dec((u64)want); print(", "); fail("got", got); }
}

int main(u64 dtb) {
    print("batch: started\n");
    for (int p = 0; p < PAGES; p++)
        for (int i = 0; i < 4096; i++) src[p][i] = (u8)(p * 31 + i * 7 + 1);
    /* Element i copies 8 bytes at the same place of source and destination page i / 512 % PAGES;
     * every 997th names a domain that does not exist and must copy nothing. */
    for (u32 i = 0; i < BATCH; i++) {
        u32 page = i / 512 % PAGES, off = i % 512 * 8;
        u16 dom = i % 997 == 5 ? 0x7ff7 : DOMID_SELF;
        ops[i] = (struct gnttab_copy){ { (u64)src[page] >> 12, dom, (u16)off }, { (u64)dst[page] >> 12, DOMID_SELF, (u16)off }, 8, 0, 99 };
    }
    u64 t0 = now_ns();
    expect("copy batch", gnttab_op(GNTTABOP_copy, ops, BATCH), 0);
    u64 t1 = now_ns();
    u32 bad = 0;
    for (u32 i = 0; i < BATCH; i++) {
        s16 want = i % 997 == 5 ? -2 : 0;                     /* GNTST_bad_domain */
        if (ops[i].status != want) { print("element "); print_dec(i); fail(" status", ops[i].status); }
        if (want) bad++;
    }
    for (u32 p = 0; p < PAGES; p++)
        for (u32 off = 0; off < 4096; off += 8) {
            /* Slot (p, off) is written by elements p * 512 + off / 8 + k * 4096; all bad? */
            int any = 0;
            for (u32 i = p * 512 + off / 8; i < BATCH; i += 4096) if (i % 997 != 5) any = 1;
            for (u32 b = 0; b < 8; b++) {
                u8 want = any ? src[p][off + b] : 0;
                if (dst[p][off + b] != want) { print("page "); print_dec(p); print(" offset "); print_dec(off + b); fail(" copied wrong", dst[p][off + b]); }
            }
        }
    print("batch: "); print_dec(BATCH); print(" copies checked ("); print_dec(bad); print(" refused) in ");
    print_dec(t1 - t0); print(" ns\n");

    /* A batch of maps of refs nobody granted: each gets its own status, all are done. */
    for (u32 i = 0; i < 3000; i++)
        maps[i] = (struct gnttab_map_grant_ref){ GUEST_MAGIC_BASE + 0x100000 + i * 0x1000ul, GNTMAP_host_map, i, 0x7ff7, 1, 0, 0 };
    expect("map batch", gnttab_op(GNTTABOP_map_grant_ref, maps, 3000), 0);
    for (u32 i = 0; i < 3000; i++) if (maps[i].status != -2) { print("map "); print_dec(i); fail(" status", maps[i].status); }
    print("batch: 3000 refused maps checked\n");

    /* Bad counts and arguments: Xen's errors. */
    expect("negative count", gnttab_op(GNTTABOP_copy, ops, 0x80000000u), -22);
    expect("query_size of two", gnttab_op(GNTTABOP_query_size, ops, 2), -22);
    expect("setup_table of none", gnttab_op(GNTTABOP_setup_table, ops, 0), -22);
    expect("cmd with argument bits", hypercall(__HYPERVISOR_grant_table_op, GNTTABOP_copy | 1 << 12, (u64)ops, 1, 0, 0), -22);
    expect("a batch running off our memory", gnttab_op(GNTTABOP_copy, (void *)(0x40000000ul + (16ul << 20) - 40 * 100), 1000), -14);
    expect("unreadable console text", hypercall(__HYPERVISOR_console_io, 0, 1 << 20, 0xdead0000ul, 0, 0), -14);

    /* A console write in pieces: 30 lines of 199 characters. */
    for (int l = 0; l < 30; l++) {
        for (int i = 0; i < 199; i++) text[l * 200 + i] = (char)('a' + (l + i) % 26);
        text[l * 200 + 199] = '\n';
    }
    expect("console write", hypercall(__HYPERVISOR_console_io, 0, sizeof text, (u64)text, 0, 0), 0);
    print("batch: PASS\n");
    return 0;
}
