/* lz benchmark: a branchy, byte-oriented workload. Each iteration compresses
 * a 64 KiB pseudo-text buffer with a small LZ77 compressor (LZ4-like
 * format, greedy, 4096-entry hash table, 64 KiB window), decompresses it,
 * verifies the round trip and folds an FNV-1a hash of the compressed bytes
 * into a checksum. The input is the same every iteration, so the guest
 * instruction count is linear in ITERS: 1,191,047 + ITERS * 2,330,320 =
 * 467,255,047 for ITERS=200 (count-insns.sh on QEMU; Debian gcc 12.2 -O2,
 * other compilers give other counts but the same checksum).
 * Prints "RESULT lz iters=<n> size=<compressed> checksum=<hex>", PASS lz. */
#include "rt.h"

const char test_name[] = "lz";

#ifndef ITERS
#define ITERS 200
#endif
#define EXPECTED_CHECKSUM 0x4ab66a3498b565ecUL   /* for the default ITERS */

#define N 65536
#define HBITS 12
#define MINMATCH 4

static u8 text[N];
static u8 comp[N + N / 8 + 64];
static u8 dec[N];
static u32 htab[1 << HBITS];

static const char *const words[] = {
    "the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "as", "was", "with", "be",
    "by", "on", "not", "he", "this", "are", "or", "his", "from", "at", "which", "but", "have",
    "an", "had", "they", "you", "were", "their", "one", "all", "we", "can", "her", "has",
    "there", "been", "if", "more", "when", "will", "would", "who", "so", "no", "emulator",
    "translation", "exception", "hypervisor", "register", "instruction", "memory", "page",
    "table", "guest", "virtual", "machine", "level", "stage", "granule",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

static u32 rng;
static u32 xorshift32(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static void gen_text(void)
{
    rng = 0x1234567u;
    u32 n = 0, inword = 0;
    int cap = 1;
    while (n < N) {
        u32 r = xorshift32();
        const char *w = words[(r >> 8) % NWORDS];
        /* Occasional random "word" (less compressible). */
        char tmp[8];
        if ((r & 31) == 0) {
            u32 len = 3 + (r >> 28) % 5;
            for (u32 i = 0; i < len; i++)
                tmp[i] = 'a' + (xorshift32() >> 7) % 26;
            tmp[len] = 0;
            w = tmp;
        }
        for (u32 i = 0; w[i] && n < N; i++) {
            char c = w[i];
            if (cap && i == 0)
                c = c - 'a' + 'A';
            text[n++] = (u8)c;
        }
        cap = 0;
        if (n >= N)
            break;
        inword++;
        if ((r & 0xf00) == 0x300 || inword > 14) {
            text[n++] = '.';
            if (n < N)
                text[n++] = (r & 0x3000) ? ' ' : '\n';
            cap = 1;
            inword = 0;
        } else if ((r & 0xf00) == 0x500) {
            text[n++] = ',';
            if (n < N)
                text[n++] = ' ';
        } else {
            text[n++] = ' ';
        }
    }
}

static u32 read32(const u8 *p)
{
    return (u32)p[0] | ((u32)p[1] << 8) | ((u32)p[2] << 16) | ((u32)p[3] << 24);
}

static u8 *put_len(u8 *op, u32 v)
{
    while (v >= 255) {
        *op++ = 255;
        v -= 255;
    }
    *op++ = (u8)v;
    return op;
}

static u32 compress(const u8 *in, u32 n, u8 *out)
{
    for (u32 i = 0; i < (1u << HBITS); i++)
        htab[i] = 0;
    u32 ip = 0, anchor = 0;
    u8 *op = out;
    while (ip + MINMATCH <= n) {
        u32 seq = read32(in + ip);
        u32 h = (seq * 2654435761u) >> (32 - HBITS);
        u32 cand = htab[h];
        htab[h] = ip + 1;
        if (cand == 0 || ip - (cand - 1) > 65535 || read32(in + cand - 1) != seq) {
            ip++;
            continue;
        }
        u32 ref = cand - 1, len = MINMATCH;
        while (ip + len < n && in[ref + len] == in[ip + len])
            len++;
        u32 lit = ip - anchor, ml = len - MINMATCH;
        u8 *tok = op++;
        *tok = (u8)(((lit < 15 ? lit : 15) << 4) | (ml < 15 ? ml : 15));
        if (lit >= 15)
            op = put_len(op, lit - 15);
        for (u32 i = 0; i < lit; i++)
            *op++ = in[anchor + i];
        u32 off = ip - ref;
        *op++ = (u8)off;
        *op++ = (u8)(off >> 8);
        if (ml >= 15)
            op = put_len(op, ml - 15);
        ip += len;
        anchor = ip;
    }
    u32 lit = n - anchor;
    *op++ = (u8)((lit < 15 ? lit : 15) << 4);
    if (lit >= 15)
        op = put_len(op, lit - 15);
    for (u32 i = 0; i < lit; i++)
        *op++ = in[anchor + i];
    return (u32)(op - out);
}

static u32 decompress(const u8 *in, u32 n, u8 *out, u32 cap)
{
    const u8 *ip = in, *end = in + n;
    u8 *op = out, *oend = out + cap;
    while (ip < end) {
        u32 t = *ip++;
        u32 lit = t >> 4;
        if (lit == 15) {
            u32 b;
            do {
                b = *ip++;
                lit += b;
            } while (b == 255);
        }
        if (op + lit > oend)
            fail("decompress: output overflow (literals)", cap, (u64)(op - out) + lit);
        for (u32 i = 0; i < lit; i++)
            *op++ = *ip++;
        if (ip >= end)
            break;
        u32 off = (u32)ip[0] | ((u32)ip[1] << 8);
        ip += 2;
        u32 ml = t & 15;
        if (ml == 15) {
            u32 b;
            do {
                b = *ip++;
                ml += b;
            } while (b == 255);
        }
        ml += MINMATCH;
        if (off == 0 || off > (u32)(op - out) || op + ml > oend)
            fail("decompress: bad match offset/length", 0, off);
        const u8 *src = op - off;
        for (u32 i = 0; i < ml; i++)
            *op++ = *src++;
    }
    return (u32)(op - out);
}

int main(void)
{
    gen_text();
    u64 sum = 0xcbf29ce484222325UL;
    u32 csize = 0;
    for (u32 it = 0; it < ITERS; it++) {
        csize = compress(text, N, comp);
        u32 dsize = decompress(comp, csize, dec, N);
        check_eq("round trip size", N, dsize);
        for (u32 i = 0; i < N; i++)
            if (dec[i] != text[i])
                fail("round trip byte", text[i], dec[i]);
        u64 h = 0xcbf29ce484222325UL;
        for (u32 i = 0; i < csize; i++)
            h = (h ^ comp[i]) * 0x100000001b3UL;
        sum = (sum ^ h ^ csize) * 0x100000001b3UL;
        sum ^= sum >> 29;
    }
    kprintf("RESULT lz iters=%u size=%u checksum=%x\n", (u64)ITERS, (u64)csize, sum);
    if (EXPECTED_CHECKSUM && ITERS == 200)
        check_eq("final checksum", EXPECTED_CHECKSUM, sum);
    return 0;
}
