/* virtio_code: a page that ran code is overwritten by the virtio disk (device DMA, no CPU
 * store) and run again; the new instructions must run, not what was decoded or compiled
 * from the old ones. The guest writes two small functions to the disk (one returning 1,
 * one returning 2), reads the first into a page and runs it many times (hot: decoded,
 * compiled), then reads the second over it and runs it. With CTR_EL0.DIC = 0 it does the
 * instruction-cache maintenance Arm asks for after DMA; with DIC = 1 (hvsim) none is due.
 * Needs a writable virtio-blk disk of at least 64 KiB (on QEMU: a virtio-blk-device on
 * virtio-mmio with force-legacy=false; images/test-qemu.sh gives it one). */
#include "rt.h"

const char test_name[] = "virtio_code";

#define MMIO_BASE 0x0a000000UL
#define MMIO_SLOTS 32
#define MMIO_SIZE 0x200UL
#define QSIZE 8

/* virtio-mmio registers (VIRTIO 1.2 4.2.2). */
enum {
    MAGIC = 0x000, VERSION = 0x004, DEVICE_ID = 0x008, DEVICE_FEATURES = 0x010, DEVICE_FEATURES_SEL = 0x014,
    DRIVER_FEATURES = 0x020, DRIVER_FEATURES_SEL = 0x024, QUEUE_SEL = 0x030, QUEUE_NUM_MAX = 0x034,
    QUEUE_NUM = 0x038, QUEUE_READY = 0x044, QUEUE_NOTIFY = 0x050, INTERRUPT_STATUS = 0x060,
    INTERRUPT_ACK = 0x064, STATUS = 0x070, QUEUE_DESC = 0x080, QUEUE_DRIVER = 0x090, QUEUE_DEVICE = 0x0a0,
};

struct desc { u64 addr; u32 len; u16 flags, next; };
struct avail { u16 flags, idx, ring[QSIZE], used_event; };
struct used_elem { u32 id, len; };
struct used { u16 flags, idx; struct used_elem ring[QSIZE]; u16 avail_event; };
struct blk_req { u32 type, reserved; u64 sector; };

static struct desc descs[QSIZE] __attribute__((aligned(16)));
static struct avail avail __attribute__((aligned(2)));
static struct used used __attribute__((aligned(4)));
static struct blk_req req;
static volatile u8 status_byte;
static u8 buffer[4096] __attribute__((aligned(4096)));
static u32 code_page[1024] __attribute__((aligned(4096)));   /* where the code runs */
static u64 dev;
static u16 last_used;

static u32 rd(u64 off) { return *(volatile u32 *)(dev + off); }
static void wr(u64 off, u32 v) { *(volatile u32 *)(dev + off) = v; }
static void wr64(u64 off, u64 v) { wr(off, (u32)v); wr(off + 4, (u32)(v >> 32)); }

static void find_block_device(void) {
    for (int i = 0; i < MMIO_SLOTS; i++) {
        u64 base = MMIO_BASE + (u64)i * MMIO_SIZE;
        if (*(volatile u32 *)(base + MAGIC) == 0x74726976 && *(volatile u32 *)(base + DEVICE_ID) == 2) {
            dev = base;
            return;
        }
    }
    fail("no virtio-blk device on virtio-mmio", 2, 0);
}

static void init_device(void) {
    check_eq("virtio-mmio version (modern)", 2, rd(VERSION));
    wr(STATUS, 0);
    wr(STATUS, 1 | 2);                               /* ACKNOWLEDGE | DRIVER */
    wr(DEVICE_FEATURES_SEL, 1);
    if (!(rd(DEVICE_FEATURES) & 1)) fail("VIRTIO_F_VERSION_1 offered", 1, 0);
    wr(DRIVER_FEATURES_SEL, 0); wr(DRIVER_FEATURES, 0);
    wr(DRIVER_FEATURES_SEL, 1); wr(DRIVER_FEATURES, 1);   /* VIRTIO_F_VERSION_1 only */
    wr(STATUS, 1 | 2 | 8);                           /* FEATURES_OK */
    check_eq("FEATURES_OK kept", 8, rd(STATUS) & 8);
    wr(QUEUE_SEL, 0);
    if (rd(QUEUE_NUM_MAX) < QSIZE) fail("queue size", QSIZE, rd(QUEUE_NUM_MAX));
    wr(QUEUE_NUM, QSIZE);
    wr64(QUEUE_DESC, (u64)descs);
    wr64(QUEUE_DRIVER, (u64)&avail);
    wr64(QUEUE_DEVICE, (u64)&used);
    wr(QUEUE_READY, 1);
    wr(STATUS, 1 | 2 | 8 | 4);                       /* DRIVER_OK */
}

/* One 4 KiB request at `sector` (512-byte sectors): type 0 reads into `data`, 1 writes it. */
static void request(u32 type, u64 sector, void *data) {
    req = (struct blk_req){ type, 0, sector };
    status_byte = 0xff;
    descs[0] = (struct desc){ (u64)&req, sizeof req, 1, 1 };                             /* NEXT */
    descs[1] = (struct desc){ (u64)data, 4096, (u16)(1 | (type == 0 ? 2 : 0)), 2 };      /* NEXT, WRITE for reads */
    descs[2] = (struct desc){ (u64)&status_byte, 1, 2, 0 };                              /* WRITE */
    avail.ring[avail.idx % QSIZE] = 0;
    dsb(sy);
    avail.idx++;
    dsb(sy);
    wr(QUEUE_NOTIFY, 0);
    for (u64 spins = 0; *(volatile u16 *)&used.idx == last_used; spins++)
        if (spins > 100000000) fail("virtio-blk request never completed", type, sector);
    last_used++;
    wr(INTERRUPT_ACK, rd(INTERRUPT_STATUS));
    dsb(sy);
    check_eq(type ? "write status" : "read status", 0, status_byte);
}

/* "movz x0, #value; ret" at the start of a page, the rest UDF. */
static void make_function(u8 *page, u32 value) {
    u32 *w = (u32 *)page;
    for (int i = 0; i < 1024; i++) w[i] = 0;
    w[0] = 0xd2800000 | value << 5;
    w[1] = 0xd65f03c0;
}

/* After DMA into code: what Arm asks unless CTR_EL0.DIC says it is not needed. */
static void sync_icache(void) {
    if (!((read_sysreg(CTR_EL0) >> 29) & 1)) {
        for (u64 a = (u64)code_page; a < (u64)code_page + 4096; a += 4) asm volatile("ic ivau, %0" :: "r"(a));
        dsb(ish);
    }
    isb();
}

static u64 run_hot(int times) {
    u64 (*f)(void) = (u64 (*)(void))(void *)code_page;
    u64 r = 0;
    for (int i = 0; i < times; i++) r += f();
    return r;
}

int main(void) {
    find_block_device();
    init_device();
    make_function(buffer, 1);
    request(1, 0, buffer);                   /* disk sector 0: returns 1 */
    make_function(buffer, 2);
    request(1, 8, buffer);                   /* disk sector 8: returns 2 */
    for (int round = 0; round < 3; round++) {
        request(0, 0, code_page);            /* the device writes the code page */
        sync_icache();
        check_eq("the code read from sector 0, run hot", 1000, run_hot(1000));
        request(0, 8, code_page);            /* and overwrites it */
        sync_icache();
        check_eq("the code read over it from sector 8", 2000, run_hot(1000));
    }
    ok("code the disk wrote over code that ran");
    return 0;
}
