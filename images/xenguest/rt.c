/* Output through the vpl011 (MMIO at 0x22000000) and console_io, shutdown by hypercall. */
#include "xen.h"

#define UART_DR ((volatile u32 *)0x22000000)
#define UART_FR ((volatile u32 *)0x22000018)

static void putc_uart(char c) {
    while (*UART_FR & (1 << 5)) { }     /* TXFF */
    *UART_DR = (u32)c;
}

void print(const char *s) {
    for (; *s; s++) {
        if (*s == '\n') putc_uart('\r');
        putc_uart(*s);
    }
}

void print_hex(u64 v) {
    char b[19] = "0x";
    for (int i = 0; i < 16; i++) b[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 15];
    b[18] = 0;
    print(b);
}

void print_dec(u64 v) {
    char b[21]; int i = 20; b[i] = 0;
    do { b[--i] = '0' + v % 10; v /= 10; } while (v);
    print(b + i);
}

void xen_poweroff(void) {
    u32 reason = SHUTDOWN_poweroff;
    hypercall(__HYPERVISOR_sched_op, 2 /* SCHEDOP_shutdown */, (u64)&reason, 0, 0, 0);
    for (;;) { }
}

void fail(const char *what, long v) {
    print("FAIL "); print(what); print(" "); print_hex((u64)v); print("\n");
    u32 reason = SHUTDOWN_crash;
    hypercall(__HYPERVISOR_sched_op, 2, (u64)&reason, 0, 0, 0);
    for (;;) { }
}

static void exception(u64 esr, u64 elr, u64 far) {
    print("EXCEPTION esr="); print_hex(esr); print(" elr="); print_hex(elr);
    print(" far="); print_hex(far); print("\n");
    fail("exception", (long)esr);
}

sync_handler_t sync_handler;
irq_handler_t irq_handler;

/* Called by every vector of start.S; kind is the vector index (kind & 3: 0 sync, 1 IRQ). */
u64 exception_entry(u64 kind, u64 esr, u64 elr, u64 far) {
    if ((kind & 3) == 1 && irq_handler) { irq_handler(); return elr; }
    if ((kind & 3) == 0 && sync_handler) {
        u64 next = sync_handler(esr, elr, far);
        if (next) return next;
    }
    exception(esr, elr, far);
    return 0;
}

void *memset(void *d, int c, unsigned long n) { u8 *p = d; while (n--) *p++ = (u8)c; return d; }
