/* One of the test disk's /bin/pN programs (built with -DID=N): prints "pN=V" where V is
 * computed by code whose immediates differ from program to program, so a page of the
 * page cache that once held another program's text, refilled by virtio-blk, runs stale
 * instructions (and prints another value) unless device writes forget decoded code.
 * Static, no libc: two system calls. */
#ifndef ID
#error ID must be defined
#endif

static long sys3(long n, long a, long b, long c) {
    register long x8 __asm__("x8") = n, x0 __asm__("x0") = a, x1 __asm__("x1") = b, x2 __asm__("x2") = c;
    __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
    return x0;
}

void _start(void) {
    unsigned long v = (unsigned long)ID * 0x9e3779b97f4a7c15ul ^ (unsigned long)ID << 17;
    char buf[40], *p = buf + sizeof buf;
    *--p = '\n';
    do { *--p = (char)('0' + v % 10); v /= 10; } while (v);
    *--p = '=';
    unsigned id = ID;
    do { *--p = (char)('0' + id % 10); id /= 10; } while (id);
    *--p = 'p';
    sys3(64, 1, (long)p, buf + sizeof buf - p);      /* write */
    sys3(93, 0, 0, 0);                                /* exit */
    for (;;) { }
}
