/* Bare-metal runtime for hvsim test guests (QEMU virt board).
 *
 * Protocol: a guest prints "PASS <name>" and powers off via PSCI SYSTEM_OFF
 * (exit 0), or prints "FAIL <name>: <what> expected=<hex> got=<hex>" and
 * exits with status 1 via semihosting SYS_EXIT_EXTENDED. */
#pragma once

typedef unsigned long u64;
typedef long s64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;

#define UART_BASE 0x09000000UL

#define read_sysreg(r) ({ u64 __v; asm volatile("mrs %0, " #r : "=r"(__v)); __v; })
#define write_sysreg(r, v) do { u64 __v = (u64)(v); asm volatile("msr " #r ", %0" :: "r"(__v) : "memory"); } while (0)
#define isb() asm volatile("isb" ::: "memory")
#define dsb(opt) asm volatile("dsb " #opt ::: "memory")
#define barrier() asm volatile("" ::: "memory")

/* Each guest defines its name (used in PASS/FAIL lines). */
extern const char test_name[];
/* Each guest defines main(); returning means PASS. */
int main(void);

/* Console. */
void uart_putc(char c);
void puts(const char *s);          /* no newline added */
void put_hex(u64 v);               /* "0x..." */
void put_dec(u64 v);
/* Minimal printf: %s string, %x u64 hex with 0x, %u u64 decimal, %c char. */
void kprintf(const char *fmt, ...);

/* Results. */
void pass(void) __attribute__((noreturn));
void fail(const char *what, u64 expected, u64 got) __attribute__((noreturn));
void fail2(const char *what, const char *field, u64 expected, u64 got) __attribute__((noreturn));
void skip(const char *what);       /* prints "SKIP <name>: <what>" and continues */
void ok(const char *what);         /* prints "ok <what>" (progress) */
void check_eq(const char *what, u64 expected, u64 got);
void check_eq2(const char *what, const char *field, u64 expected, u64 got);
void psci_system_off(void) __attribute__((noreturn));
void semihost_exit(u64 code) __attribute__((noreturn));

static inline u64 current_el(void) { return (read_sysreg(CurrentEL) >> 2) & 3; }

void *memset(void *d, int c, unsigned long n);
void *memcpy(void *d, const void *s, unsigned long n);
int memcmp(const void *a, const void *b, unsigned long n);

/* ---- Exceptions ------------------------------------------------------- */

/* Saved by the vector stubs (start.S); layout shared with assembly. */
struct exc_frame {
    u64 x[31];
    u64 pad;
    u64 elr, spsr, esr, far;
    u64 vec;        /* vector offset: 0x000..0x780 */
    u64 el;         /* EL the exception was taken to (1 or 2) */
    u64 hpfar;      /* HPFAR_EL2 (0 for EL1) */
    u64 pad2;
};

/* Vector offsets. */
#define VEC_CUR_SP0_SYNC 0x000
#define VEC_CUR_SPX_SYNC 0x200
#define VEC_LOWER64_SYNC 0x400

/* Exception classes (ESR_ELx.EC). */
#define EC_UNKNOWN    0x00
#define EC_WFX        0x01
#define EC_SVC64      0x15
#define EC_HVC64      0x16
#define EC_SMC64      0x17
#define EC_SYSREG     0x18
#define EC_IABT_LOWER 0x20
#define EC_IABT_CUR   0x21
#define EC_PC_ALIGN   0x22
#define EC_DABT_LOWER 0x24
#define EC_DABT_CUR   0x25
#define EC_BRK64      0x3c

#define ESR_IL (1UL << 25)
#define ESR_EC(esr) (((esr) >> 26) & 0x3f)
#define ESR_ISS(esr) ((esr) & 0x1ffffff)
#define ESR_WNR (1UL << 6)
#define ESR_S1PTW (1UL << 7)

/* What the handler does with an expected exception. */
enum exc_action {
    EXC_KEEP,   /* return to ELR as is (SVC/HVC: next instruction) */
    EXC_SKIP,   /* ELR += 4 (skip the faulting instruction) */
    EXC_RET,    /* ELR = x30 (a blr to a bad target "returns") */
    EXC_HOOK,   /* call the hook, which may edit the frame */
};

typedef void (*exc_hook_t)(struct exc_frame *f);

struct exc_record {
    u64 count;                 /* exceptions taken since expect_exc() */
    u64 el, vec, esr, elr, far, spsr, hpfar;
};
extern volatile struct exc_record exc_last;

/* Arm the handler for exactly one exception. */
void expect_exc(enum exc_action action);
void expect_exc_hook(exc_hook_t hook);
/* Check that exactly one exception was taken to `el` at vector `vec` with
 * (ESR & esr_mask) == esr; also disarms. */
void check_exc(const char *what, u64 el, u64 vec, u64 esr, u64 esr_mask);
/* Check that no exception was taken since expect_exc (and disarm). */
void check_no_exc(const char *what);

/* Called from start.S. Returns 1 to return from an el*_call_* helper. */
u64 exc_handler(struct exc_frame *f);

/* ---- Running code at lower ELs (start.S) ------------------------------ */

typedef u64 (*lower_fn)(u64 arg);
#define SPSR_EL1H_MASKED 0x3c5UL   /* EL1h, DAIF set */
#define SPSR_EL0T_MASKED 0x3c0UL   /* EL0t, DAIF set */
#define RET_IMM 0xe0e              /* HVC/SVC immediate used to come back */

/* At EL2: run fn(arg) at EL1 (SP_EL1 = fresh EL1 stack), return its result. */
u64 el2_call_el1(lower_fn fn, u64 arg, u64 spsr);
/* At EL1: run fn(arg) at EL0 (SP_EL0 = EL0 stack in .el0.data). fn must be
 * in section .el0.text when stage 1 is enabled. */
u64 el1_call_el0(lower_fn fn, u64 arg, u64 spsr);

static inline u64 run_el1(lower_fn fn, u64 arg) { return el2_call_el1(fn, arg, SPSR_EL1H_MASKED); }
static inline u64 run_el0(lower_fn fn, u64 arg) { return el1_call_el0(fn, arg, SPSR_EL0T_MASKED); }

/* Put a function/object in the EL0-visible sections. */
#define EL0_DATA __attribute__((section(".el0.data"), aligned(16)))

extern char __el0_text_start[], __el0_text_end[];
extern char __el0_data_start[], __el0_data_end[];
extern char __pool_start[], __pool_end[];
extern char __image_start[], __image_end[];

/* HCR_EL2 bits (ARMv8.0). */
#define HCR_VM   (1UL << 0)
#define HCR_FMO  (1UL << 3)
#define HCR_IMO  (1UL << 4)
#define HCR_AMO  (1UL << 5)
#define HCR_TWI  (1UL << 13)
#define HCR_TWE  (1UL << 14)
#define HCR_TID2 (1UL << 17)
#define HCR_TID3 (1UL << 18)
#define HCR_TSC  (1UL << 19)
#define HCR_TVM  (1UL << 26)
#define HCR_TRVM (1UL << 30)
#define HCR_RW   (1UL << 31)

#define SCTLR_M (1UL << 0)
#define SCTLR_C (1UL << 2)
#define SCTLR_I (1UL << 12)
#define SCTLR_EL1_INIT 0x30d00800UL   /* RES1 bits, MMU/caches off */
#define SCTLR_EL2_INIT 0x30c50830UL

/* Require EL2 (tests); fails otherwise. */
void require_el2(void);
