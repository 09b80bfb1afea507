/* Console, pass/fail protocol, and the C side of exception handling. */
#include "rt.h"
#include <stdarg.h>

/* ---- console ---------------------------------------------------------- */

void uart_putc(char c)
{
    /* Write UARTDR without polling UARTFR.TXFF: QEMU and hvsim never fill
     * the FIFO, and the guests then need nothing from the PL011 but DR. */
    volatile u32 *uart = (volatile u32 *)UART_BASE;
    uart[0] = (u8)c;
}

void puts(const char *s)
{
    while (*s) {
        if (*s == '\n')
            uart_putc('\r');
        uart_putc(*s++);
    }
}

void put_hex(u64 v)
{
    char buf[19];
    int n = 0;
    buf[n++] = '0';
    buf[n++] = 'x';
    int started = 0;
    for (int i = 60; i >= 0; i -= 4) {
        unsigned d = (v >> i) & 0xf;
        if (d || started || i == 0) {
            started = 1;
            buf[n++] = "0123456789abcdef"[d];
        }
    }
    buf[n] = 0;
    puts(buf);
}

void put_dec(u64 v)
{
    char buf[21];
    int n = 20;
    buf[n] = 0;
    do {
        buf[--n] = '0' + v % 10;
        v /= 10;
    } while (v);
    puts(&buf[n]);
}

void kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            if (*fmt == '\n')
                uart_putc('\r');
            uart_putc(*fmt);
            continue;
        }
        switch (*++fmt) {
        case 's': puts(va_arg(ap, const char *)); break;
        case 'x': put_hex(va_arg(ap, u64)); break;
        case 'u': put_dec(va_arg(ap, u64)); break;
        case 'c': uart_putc((char)va_arg(ap, int)); break;
        case '%': uart_putc('%'); break;
        case 0: fmt--; break;
        default: uart_putc('?'); break;
        }
    }
    va_end(ap);
}

/* ---- results ---------------------------------------------------------- */

static volatile int failing;

void pass(void)
{
    kprintf("PASS %s\n", test_name);
    psci_system_off();
}

void fail2(const char *what, const char *field, u64 expected, u64 got)
{
    if (failing) {
        /* Failed while failing (e.g. semihosting HLT undefined): stop. */
        puts("FAIL (nested failure; is semihosting enabled?)\n");
        psci_system_off();
    }
    failing = 1;
    kprintf("FAIL %s: %s%s%s expected=%x got=%x\n", test_name, what,
            field ? " " : "", field ? field : "", expected, got);
    semihost_exit(1);
}

void fail(const char *what, u64 expected, u64 got)
{
    fail2(what, 0, expected, got);
}

void skip(const char *what)
{
    kprintf("SKIP %s: %s\n", test_name, what);
}

void ok(const char *what)
{
    kprintf("ok %s\n", what);
}

void check_eq(const char *what, u64 expected, u64 got)
{
    if (expected != got)
        fail2(what, 0, expected, got);
}

void check_eq2(const char *what, const char *field, u64 expected, u64 got)
{
    if (expected != got)
        fail2(what, field, expected, got);
}

void require_el2(void)
{
    check_eq("guest must start at EL2 (CurrentEL)", 2, current_el());
}

void rt_main(void)
{
    main();
    pass();
}

/* ---- freestanding helpers --------------------------------------------- */

void *memset(void *d, int c, unsigned long n)
{
    u8 *p = d;
    while (n--)
        *p++ = (u8)c;
    return d;
}

void *memcpy(void *d, const void *s, unsigned long n)
{
    u8 *p = d;
    const u8 *q = s;
    while (n--)
        *p++ = *q++;
    return d;
}

int memcmp(const void *a, const void *b, unsigned long n)
{
    const u8 *p = a, *q = b;
    for (; n; n--, p++, q++)
        if (*p != *q)
            return *p < *q ? -1 : 1;
    return 0;
}

/* ---- exceptions ------------------------------------------------------- */

volatile struct exc_record exc_last;
static volatile int exc_armed;
static volatile enum exc_action exc_act;
static exc_hook_t volatile exc_hook;

void expect_exc(enum exc_action action)
{
    exc_last.count = 0;
    exc_act = action;
    exc_hook = 0;
    barrier();
    exc_armed = 1;
    barrier();
}

void expect_exc_hook(exc_hook_t hook)
{
    exc_last.count = 0;
    exc_act = EXC_HOOK;
    exc_hook = hook;
    barrier();
    exc_armed = 1;
    barrier();
}

void check_exc(const char *what, u64 el, u64 vec, u64 esr, u64 esr_mask)
{
    exc_armed = 0;
    barrier();
    check_eq2(what, "exception taken", 1, exc_last.count);
    check_eq2(what, "target EL", el, exc_last.el);
    check_eq2(what, "vector offset", vec, exc_last.vec);
    check_eq2(what, "ESR", esr, exc_last.esr & esr_mask);
}

void check_no_exc(const char *what)
{
    exc_armed = 0;
    barrier();
    check_eq2(what, "exceptions taken", 0, exc_last.count);
}

static void unexpected(struct exc_frame *f)
{
    kprintf("UNEXPECTED EXCEPTION at EL%u vector=%x ESR=%x ELR=%x FAR=%x SPSR=%x",
            f->el, f->vec, f->esr, f->elr, f->far, f->spsr);
    if (f->el == 2)
        kprintf(" HPFAR=%x", f->hpfar);
    kprintf(" armed=%u\n", (u64)exc_armed);
    fail("unexpected exception ESR", 0, f->esr);
}

u64 exc_handler(struct exc_frame *f)
{
    u64 ec = ESR_EC(f->esr);
    int sync = f->vec == VEC_CUR_SPX_SYNC || f->vec == VEC_LOWER64_SYNC ||
               f->vec == VEC_CUR_SP0_SYNC;

    /* A lower EL coming back from el2_call_el1 / el1_call_el0. */
    if (f->vec == VEC_LOWER64_SYNC && ESR_ISS(f->esr) == RET_IMM &&
        ((f->el == 2 && ec == EC_HVC64) || (f->el == 1 && ec == EC_SVC64)))
        return 1;

    if (!sync || !exc_armed)
        unexpected(f);

    exc_armed = 0;
    exc_last.el = f->el;
    exc_last.vec = f->vec;
    exc_last.esr = f->esr;
    exc_last.elr = f->elr;
    exc_last.far = f->far;
    exc_last.spsr = f->spsr;
    exc_last.hpfar = f->hpfar;
    exc_last.count++;

    switch (exc_act) {
    case EXC_KEEP: break;
    case EXC_SKIP: f->elr += 4; break;
    case EXC_RET: f->elr = f->x[30]; break;
    case EXC_HOOK: exc_hook(f); break;
    }
    return 0;
}
