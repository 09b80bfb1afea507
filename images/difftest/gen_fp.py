"""FP and Advanced SIMD groups of the differential tests (imported by gen.py).

Cases of these groups use the larger record (FP_RECORD bytes, header magic HVDIFF02):
    x0..x30, nzcv (256 bytes, as in gen.py), v0..v31 (32 x 16 bytes),
    fpsr, fpcr (u64 each)
Every case starts with all 32 V registers, FPCR (random rounding mode, FZ, DN, AHP) and
FPSR (usually clear, sometimes with cumulative bits already set) loaded from its
init_tab row, and the record holds them after the instruction.

Operand values are drawn per element size with many special values: signed zeros,
denormals, infinities, quiet and signalling NaNs with payloads, the extreme normals,
values at rounding ties, integers and values near the integer conversion limits; the
second operand of a binary operation is often derived from the first (equal, negated,
half an ulp apart, far apart, overflowing or underflowing products).
"""

import os
import struct
import subprocess
import tempfile

FP_RECORD = 256 + 32 * 16 + 16
MASK64 = (1 << 64) - 1
MASK128 = (1 << 128) - 1

B = None    # the gen module (Case, Group, helpers), set by groups()

# Element sizes: es 0..3 = B, H, S, D.
ARR = {(0, False): "8b", (0, True): "16b", (1, False): "4h", (1, True): "8h",
       (2, False): "2s", (2, True): "4s", (3, False): "1d", (3, True): "2d"}
SC = "bhsdq"
# FP formats by es: (exponent bits, fraction bits)
FMT = {1: (5, 10), 2: (8, 23), 3: (11, 52)}


def groups(base):
    """The FP/SIMD groups for gen.py's GROUPS: name -> (generator, buffer size)."""
    global B
    B = base
    return {
        "fp_ldst": (gen_fp_ldst, 128),
        "fp_scalar": (gen_fp_scalar, 0),
        "fp_cvt": (gen_fp_cvt, 0),
        "simd_fp": (gen_simd_fp, 0),
        "simd_int": (gen_simd_int, 0),
        "simd_misc": (gen_simd_misc, 0),
        "simd_perm": (gen_simd_perm, 0),
        "simd_rand": (gen_simd_rand, 0),
    }


# Values ------------------------------------------------------------------------------

def enc_float(v, es):
    return struct.unpack({1: "<H", 2: "<I", 3: "<Q"}[es], struct.pack({1: "<e", 2: "<f", 3: "<d"}[es], v))[0]


def fp_value(r, es, kind=None):
    """A random FP bit pattern of es (1 H, 2 S, 3 D), biased to special values."""
    E, F = FMT[es]
    bias = (1 << (E - 1)) - 1
    sign = r.randrange(2) << (E + F)
    expmax = (1 << E) - 1
    k = r.randrange(100) if kind is None else kind
    if k < 5:
        return sign
    if k < 12:      # denormal
        frac = r.choice([1, (1 << F) - 1, 1 << (F - 1), r.getrandbits(F) or 1])
        return sign | frac
    if k < 15:
        return sign | expmax << F
    if k < 19:      # quiet NaN
        return sign | expmax << F | 1 << (F - 1) | r.choice([0, 1, r.getrandbits(F - 1)])
    if k < 23:      # signalling NaN
        return sign | expmax << F | (r.choice([1, r.getrandbits(F - 1)]) or 1)
    if k < 28:      # extreme and small exact values
        e, frac = r.choice([(expmax - 1, (1 << F) - 1), (1, 0), (1, (1 << F) - 1), (bias, 0), (bias + 1, 0),
                            (bias - 1, 0), (bias, 1 << (F - 1)), (bias + 1, 1 << (F - 1))])
        return sign | e << F | frac
    if k < 55:      # near one
        return sign | (bias + r.randrange(-6, 7)) << F | r.getrandbits(F)
    if k < 65:      # integers and halves
        v = r.choice([r.randrange(-100, 100) + 0.5, float(r.randrange(-1000, 1000)), r.randrange(-8, 8) + 0.5,
                      r.randrange(1 << 20) * 0.25])
        if es == 1 and abs(v) > 60000:
            v = 1.5
        return enc_float(v, es)
    if k < 72:      # short significands: exact products, ties in sums
        return sign | (bias + r.randrange(-20, 21)) << F | (r.getrandbits(4) << (F - 4))
    if k < 80:      # near the top or bottom of the exponent range
        e = r.choice([r.randrange(1, 6), r.randrange(expmax - 6, expmax), r.randrange(bias // 2 - 3, bias // 2 + 3),
                      r.randrange(bias + bias // 2 - 3, bias + bias // 2 + 3)])
        return sign | e << F | r.getrandbits(F)
    return sign | r.randrange(1, expmax) << F | r.getrandbits(F)


def fp_related(r, a, es):
    """A second operand related to `a`, or a fresh value."""
    E, F = FMT[es]
    bias = (1 << (E - 1)) - 1
    width = 1 + E + F
    k = r.randrange(10)
    exp = (a >> F) & ((1 << E) - 1)
    if k == 0:
        return a
    if k == 1:
        return a ^ (1 << (width - 1))
    if k == 2:
        return a ^ r.choice([1, 2, 3, 1 << r.randrange(F)])
    if k == 3 and 0 < exp < (1 << E) - 1:       # half an ulp of a (ties), or nearby
        e2 = exp - F - 1 + r.randrange(-2, 3)
        if 0 < e2 < (1 << E) - 1:
            return ((a >> (width - 1)) ^ r.randrange(2)) << (width - 1) | e2 << F | r.choice([0, 0, r.getrandbits(F)])
    if k == 4 and 0 < exp < (1 << E) - 1:       # product or quotient near overflow or underflow
        e2 = r.choice([2 * bias - exp + r.randrange(-2, 3), r.randrange(1, 4), bias - (exp - bias) + r.randrange(-3, 3)])
        e2 = max(1, min((1 << E) - 2, e2))
        return r.randrange(2) << (width - 1) | e2 << F | r.getrandbits(F)
    return fp_value(r, es)


def tiny_pair(r, es):
    """Operands whose product, quotient, sum or fused result lands near the smallest
    normal: tininess before rounding, flush-to-zero of results."""
    E, F = FMT[es]
    bias = (1 << (E - 1)) - 1
    sign = lambda: r.randrange(2) << (E + F)
    k = r.randrange(3)
    if k == 0:      # product: (near 1) x (near the smallest normal)
        a = sign() | (bias - r.randrange(2)) << F | r.getrandbits(F)
        b = sign() | r.randrange(1, 3) << F | r.getrandbits(F)
    elif k == 1:    # quotient: (near the smallest normal) / (slightly above 1)
        a = sign() | r.randrange(1, 3) << F | r.getrandbits(F)
        b = sign() | (bias + r.randrange(2)) << F | r.getrandbits(F)
    else:           # sum of nearly opposite small values
        a = r.randrange(1, 4) << F | r.getrandbits(F)
        b = (1 << (E + F)) | (a + r.randrange(-(1 << F), 1 << F)) & ((1 << (E + F)) - 1)
    return a, b


def fma_cancel(r, es):
    """(a, n, m) with a close to -(n x m): massive cancellation in a fused multiply-add."""
    n, m = fp_value(r, es, 40), fp_value(r, es, 40)
    fmt = {2: "<f", 3: "<d"}[es]
    x = struct.unpack(fmt, struct.pack({2: "<I", 3: "<Q"}[es], n))[0]
    y = struct.unpack(fmt, struct.pack({2: "<I", 3: "<Q"}[es], m))[0]
    try:
        a = enc_float(-x * y, es) ^ r.choice([0, 0, 1, 2, 3])
    except OverflowError:
        a = fp_value(r, es)
    return a, n, m


def int_value(r, es):
    """A random integer element of 2^es bytes, biased to edge values."""
    bits = 8 << es
    m = (1 << bits) - 1
    k = r.randrange(10)
    if k < 3:
        return r.choice([0, 1, 2, m, m - 1, m >> 1, (m >> 1) + 1, (m >> 1) - 1, 0x55 & m, 1 << (bits - 2)])
    if k < 5:
        return r.randrange(-20, 21) & m
    return r.getrandbits(bits)


def pack(lanes, es):
    v = 0
    for i, x in enumerate(lanes):
        v |= (x & ((1 << (8 << es)) - 1)) << (i * (8 << es))
    return v


def fp_lanes(r, es, n=None, related_to=None):
    n = n or 128 // (8 << es)
    if related_to is not None:
        return [fp_related(r, related_to[i % len(related_to)], es) for i in range(n)]
    return [fp_value(r, es) for _ in range(n)]


# Cases -------------------------------------------------------------------------------

def setup(g):
    g.record = FP_RECORD


def new_case(g, text, body=None):
    c = B.Case(g, text, body)
    r = g.rng
    c.vregs = [r.getrandbits(128) if r.randrange(4) else pack([int_value(r, 3), int_value(r, 3)], 3)
               for _ in range(32)]
    c.fpcr = r.randrange(4) << 22 | (r.randrange(4) == 0) << 24 | (r.randrange(5) == 0) << 25 | \
        (r.randrange(6) == 0) << 26
    c.fpsr = 0 if r.randrange(3) else r.choice([0x1f, 0x9f, 1 << 27, 0x10, 0x08000090, r.getrandbits(5)])
    return c


def vregs(g, n, alias=True):
    """n V register numbers, sometimes repeating one."""
    r = g.rng
    out = r.sample(range(32), n)
    if alias and n > 1 and r.randrange(8) == 0:
        i, j = r.sample(range(n), 2)
        out[i] = out[j]
    return out


def V(n, es, q):
    return "v%d.%s" % (n, ARR[(es, q)])


def S(n, es):
    return "%s%d" % (SC[es], n)


def fill_fp(g, regs_es, related=True):
    """{reg: lanes value} for FP operands: the first random, the others related to it."""
    r = g.rng
    out = {}
    first = None
    for reg, es in regs_es:
        if first is None or not related:
            lanes = fp_lanes(r, es)
            first = lanes
        else:
            lanes = fp_lanes(r, es, related_to=first)
        out[reg] = pack(lanes, es)
    return out


def fill_int(g, regs_es):
    return {reg: pack([int_value(g.rng, es) for _ in range(128 // (8 << es))], es) for reg, es in regs_es}


# Group: FP/SIMD loads and stores --------------------------------------------------------

def gen_fp_ldst(g):
    setup(g)
    r = g.rng
    Bsz = g.bufsize
    for _ in range(1500):
        kind = r.choice(["single"] * 5 + ["pair"] * 3 + ["literal", "multi", "multi", "multi", "lane", "lane", "rep"])
        c = new_case(g, "")
        sub = 0
        wb_reg = None
        sp_ok = True
        if kind == "single":
            es = r.randrange(5)
            size = 1 << es
            load = r.randrange(2)
            t = r.randrange(32)
            mode = r.choice(["uoff", "uoff", "unscaled", "pre", "post", "reg", "reg"])
            n = g.reg()
            if mode == "uoff":
                imm = r.choice([0, size, r.randrange(16) * size, r.randrange(4096) * size])
            elif mode == "reg":
                imm = 0
            else:
                imm = r.choice([-256, 255, 0, r.randrange(-256, 256), r.randrange(-16, 16)])
            sub = 0 if mode == "post" else imm
            mn = ("ldr" if load else "str") if mode != "unscaled" else ("ldur" if load else "stur")
            if mode == "reg":
                m = g.reg(exclude=[n])
                ext = r.choice(["lsl", "uxtw", "sxtw", "sxtx", "none"])
                amt = r.choice([0, es]) if ext != "none" else 0
                mv = r.randrange(-8, 8) & MASK64
                if ext in ("uxtw", "sxtw"):
                    mv = (mv & 0xffffffff) | (g.value() & ~0xffffffff & MASK64)
                c.regs[m] = mv
                off = {"uxtw": mv & 0xffffffff, "sxtw": B.sext(mv, 32) & MASK64}.get(ext, mv)
                sub = (off << amt) & MASK64
                suffix = "" if ext == "none" else ", %s #%d" % (ext, amt)
                addr = "[%s, %s%s]" % (B.X(n), B.X(m, ext not in ("uxtw", "sxtw")), suffix)
            elif mode in ("uoff", "unscaled"):
                addr = "[%s, #%d]" % (B.X(n), imm)
            elif mode == "pre":
                addr = "[%s, #%d]!" % (B.X(n), imm)
            else:
                addr = "[%s], #%d" % (B.X(n), imm)
            text = "%s %s, %s" % (mn, S(t, es), addr)
        elif kind == "pair":
            es = r.randrange(2, 5)
            size = 1 << es
            load = r.randrange(2)
            t, t2 = r.sample(range(32), 2)
            mode = r.choice(["off", "pre", "post", "nt"])
            n = g.reg()
            imm = r.randrange(-64, 64) * size if r.randrange(3) else r.randrange(-4, 4) * size
            sub = 0 if mode == "post" else imm
            mn = ("ld" if load else "st") + ("np" if mode == "nt" else "p")
            addr = {"off": "[%s, #%d]", "nt": "[%s, #%d]", "pre": "[%s, #%d]!", "post": "[%s], #%d"}[mode] % (B.X(n), imm)
            text = "%s %s, %s, %s" % (mn, S(t, es), S(t2, es), addr)
            size *= 2
        elif kind == "literal":
            es = r.randrange(2, 5)
            t = r.randrange(32)
            label = "lit_%d" % len(g.cases)
            c.pool = (label, [".quad 0x%016x" % r.getrandbits(64) for _ in range(2)], r.randrange(2) == 0)
            text = "ldr %s, %s" % (S(t, es), label)
            c.text, c.body = text, [text]
            g.add(c)
            continue
        elif kind in ("multi", "lane", "rep"):
            load = r.randrange(2) if kind != "rep" else 1
            n = g.reg()
            q = r.randrange(2) == 1
            if kind == "multi":
                selem = r.choice([1, 1, 2, 3, 4])
                nregs = selem if selem > 1 else r.randrange(1, 5)
                es = r.randrange(4) if (q or selem == 1) else r.randrange(3)
                size = nregs * (16 if q else 8)
                mn = "%s%d" % ("ld" if load else "st", selem)
                first = r.randrange(32)
                lst = "{%s}" % ", ".join(V((first + i) % 32, es, q) for i in range(nregs))
            elif kind == "lane":
                selem = r.randrange(1, 5)
                es = r.randrange(4)
                size = selem << es
                mn = "%s%d" % ("ld" if load else "st", selem)
                first = r.randrange(32)
                idx = r.randrange(16 >> es)
                lst = "{%s}[%d]" % (", ".join("v%d.%s" % ((first + i) % 32, "bhsd"[es]) for i in range(selem)), idx)
            else:
                selem = r.randrange(1, 5)
                es = r.randrange(4)
                size = selem << es
                mn = "ld%dr" % selem
                first = r.randrange(32)
                lst = "{%s}" % ", ".join(V((first + i) % 32, es, q) for i in range(selem))
            post = r.randrange(3)
            if post == 0:
                addr = "[%s]" % B.X(n)
            elif post == 1:
                addr = "[%s], #%d" % (B.X(n), size)
            else:
                m = g.reg(exclude=[n])
                c.regs[m] = r.choice([size, 0, r.randrange(-64, 64)]) & MASK64
                addr = "[%s], %s" % (B.X(n), B.X(m))
            text = "%s %s, %s" % (mn, lst, addr)
        ea = B.page_crossing_ea(g, size) if size > 1 else None
        if ea is None:
            ea = r.randrange(0, Bsz - size + 1)
        c.text, c.body = text, [text]
        c.regs[n] = B.base_for(g, c, ea, sub)
        g.add(c)


# Group: scalar FP ---------------------------------------------------------------------

def fp_operands(g, c, regs, es, related=True):
    for k, v in fill_fp(g, [(x, es) for x in regs], related).items():
        c.vregs[k] = v


def gen_fp_scalar(g):
    setup(g)
    r = g.rng
    ops2 = ["fadd", "fsub", "fmul", "fdiv", "fmax", "fmin", "fmaxnm", "fminnm", "fnmul"]
    ops3 = ["fmadd", "fmsub", "fnmadd", "fnmsub"]
    ops1 = ["fabs", "fneg", "fsqrt", "fmov", "frintn", "frintp", "frintm", "frintz", "frinta", "frintx", "frinti"]
    for _ in range(3000):
        kind = r.choice(["2"] * 6 + ["3"] * 3 + ["1"] * 4 + ["cvt"] * 2 + ["cmp"] * 2 +
                        ["ccmp", "csel", "imm", "gen", "tiny", "tiny", "cancel"])
        es = r.randrange(2, 4)
        d, n, m, a = vregs(g, 4)
        c = new_case(g, "")
        if kind == "2":
            text = "%s %s, %s, %s" % (r.choice(ops2), S(d, es), S(n, es), S(m, es))
            fp_operands(g, c, [n, m], es)
        elif kind == "3":
            text = "%s %s, %s, %s, %s" % (r.choice(ops3), S(d, es), S(n, es), S(m, es), S(a, es))
            fp_operands(g, c, [a, n, m] if r.randrange(2) else [n, m, a], es)
        elif kind == "1":
            text = "%s %s, %s" % (r.choice(ops1), S(d, es), S(n, es))
            fp_operands(g, c, [n], es)
        elif kind == "tiny":
            text = "%s %s, %s, %s" % (r.choice(["fmul", "fdiv", "fadd", "fnmul", "fmulx"]), S(d, es), S(n, es), S(m, es))
            if text.startswith("fmulx"):
                text = text.replace("fmulx", "fmul")
            c.vregs[n], c.vregs[m] = tiny_pair(r, es)
        elif kind == "cancel":
            text = "%s %s, %s, %s, %s" % (r.choice(ops3), S(d, es), S(n, es), S(m, es), S(a, es))
            c.vregs[a], c.vregs[n], c.vregs[m] = fma_cancel(r, es)
            if "fmsub" in text or "fnmadd" in text:
                c.vregs[n] ^= 1 << (8 << es) - 1
        elif kind == "cvt":
            src, dst = r.sample([1, 2, 3], 2)
            text = "fcvt %s, %s" % (S(d, dst), S(n, src))
            fp_operands(g, c, [n], src)
        elif kind == "cmp":
            op = r.choice(["fcmp", "fcmpe"])
            text = "%s %s, %s" % (op, S(n, es), S(m, es) if r.randrange(4) else "#0.0")
            fp_operands(g, c, [n, m], es)
        elif kind == "ccmp":
            text = "%s %s, %s, #%d, %s" % (r.choice(["fccmp", "fccmpe"]), S(n, es), S(m, es), r.randrange(16), g.cond())
            fp_operands(g, c, [n, m], es)
        elif kind == "csel":
            text = "fcsel %s, %s, %s, %s" % (S(d, es), S(n, es), S(m, es), g.cond())
        elif kind == "imm":
            v = (r.randrange(16) + 16) / 16.0 * 2.0 ** r.randrange(-3, 5) * r.choice([1, -1])
            text = "fmov %s, #%s" % (S(d, es), repr(v))
        else:
            t = g.reg(zr=True)
            which = r.choice(["ws", "sw", "xd", "dx", "xd1", "d1x"])
            if which == "ws":
                text = "fmov %s, %s" % (B.X(t, False), S(n, 2))
            elif which == "sw":
                text = "fmov %s, %s" % (S(d, 2), B.X(t, False))
            elif which == "xd":
                text = "fmov %s, %s" % (B.X(t), S(n, 3))
            elif which == "dx":
                text = "fmov %s, %s" % (S(d, 3), B.X(t))
            elif which == "xd1":
                text = "fmov %s, v%d.d[1]" % (B.X(t), n)
            else:
                text = "fmov v%d.d[1], %s" % (d, B.X(t))
        c.text, c.body = text, [text]
        g.add(c)


# Group: FP <-> integer conversions ---------------------------------------------------------

def conv_value(r, es, width):
    """FP values around the integer conversion limits and rounding ties."""
    k = r.randrange(6)
    if k == 0:
        return fp_value(r, es)
    if k == 1:
        lim = float(1 << r.choice([width - 1, width, 31, 32, 63, 64, 15, 16]))
        v = r.choice([lim, -lim, lim - r.choice([0.5, 1, 2, 1024, 4096]), -lim - 1, lim * 1.5])
    elif k == 2:
        v = r.randrange(-50, 50) + r.choice([0.5, 0.25, 0.75, 0.0, 0.5])
    elif k == 3:
        v = r.uniform(-2.0, 2.0) * 2.0 ** r.randrange(-30, 70)
    else:
        v = r.choice([-0.5, 0.5, -1.5, 1.5, 2.5, -2.5, 0.49999, -0.999, 1e-300, -1e-40])
    try:
        return enc_float(v, es)
    except OverflowError:
        return fp_value(r, es)


def gen_fp_cvt(g):
    setup(g)
    r = g.rng
    for _ in range(1600):
        es = r.randrange(2, 4)
        sf = r.randrange(2)
        width = 64 if sf else 32
        d, n = vregs(g, 2)
        t = g.reg(zr=True)
        c = new_case(g, "")
        kind = r.randrange(4)
        if kind < 2:            # FP -> int
            op = r.choice(["fcvtns", "fcvtnu", "fcvtps", "fcvtpu", "fcvtms", "fcvtmu", "fcvtzs", "fcvtzu",
                           "fcvtas", "fcvtau"])
            fixed = op.startswith("fcvtz") and r.randrange(3) == 0
            fb = ", #%d" % r.randrange(1, width + 1) if fixed else ""
            text = "%s %s, %s%s" % (op, B.X(t, sf), S(n, es), fb)
            c.vregs[n] = conv_value(r, es, width) | r.getrandbits(64) << 64
        else:                   # int -> FP
            op = r.choice(["scvtf", "ucvtf"])
            fb = ", #%d" % r.randrange(1, width + 1) if r.randrange(3) == 0 else ""
            text = "%s %s, %s%s" % (op, S(d, es), B.X(t, sf), fb)
            if t != 31:
                c.regs[t] = r.choice([g.value(), r.getrandbits(64), (1 << r.randrange(64)) - 1, 1 << r.randrange(64),
                                      r.getrandbits(r.randrange(1, 64)) | 1 << 62])
        c.text, c.body = text, [text]
        g.add(c)


# Group: Advanced SIMD floating point ---------------------------------------------------------

def gen_simd_fp(g):
    setup(g)
    r = g.rng
    bin_ops = ["fadd", "fsub", "fmul", "fdiv", "fmax", "fmin", "fmaxnm", "fminnm", "fmulx", "fabd", "fmla", "fmls",
               "fcmeq", "fcmge", "fcmgt", "facge", "facgt", "frecps", "frsqrts", "faddp", "fmaxp", "fminp",
               "fmaxnmp", "fminnmp"]
    sc_bin = ["fmulx", "fcmeq", "fcmge", "fcmgt", "facge", "facgt", "frecps", "frsqrts", "fabd"]
    un_ops = ["fabs", "fneg", "fsqrt", "frintn", "frintp", "frintm", "frintz", "frinta", "frintx", "frinti",
              "fcvtns", "fcvtnu", "fcvtps", "fcvtpu", "fcvtms", "fcvtmu", "fcvtzs", "fcvtzu", "fcvtas", "fcvtau",
              "scvtf", "ucvtf", "frecpe", "frsqrte", "fcmgt0", "fcmge0", "fcmeq0", "fcmle0", "fcmlt0"]
    sc_un = ["fcvtns", "fcvtnu", "fcvtps", "fcvtpu", "fcvtms", "fcvtmu", "fcvtzs", "fcvtzu", "fcvtas", "fcvtau",
             "scvtf", "ucvtf", "frecpe", "frsqrte", "frecpx", "fcmgt0", "fcmge0", "fcmeq0", "fcmle0", "fcmlt0"]
    for _ in range(3000):
        kind = r.choice(["bin"] * 6 + ["un"] * 4 + ["scbin"] * 2 + ["scun"] * 2 + ["idx"] * 2 +
                        ["narrow", "across", "pairsc", "fixed", "urecpe", "tiny", "cancel"])
        es = r.randrange(2, 4)
        q = es == 3 or r.randrange(2) == 1
        d, n, m = vregs(g, 3)
        c = new_case(g, "")
        if kind == "bin":
            text = "%s %s, %s, %s" % (r.choice(bin_ops), V(d, es, q), V(n, es, q), V(m, es, q))
            fp_operands(g, c, [n, m, d], es)
        elif kind == "tiny":
            text = "%s %s, %s, %s" % (r.choice(["fmul", "fdiv", "fadd", "fsub", "fmulx", "frecps", "frsqrts"]),
                                      V(d, es, q), V(n, es, q), V(m, es, q))
            lanes = [tiny_pair(r, es) for _ in range(128 // (8 << es))]
            c.vregs[n], c.vregs[m] = pack([x for x, _ in lanes], es), pack([y for _, y in lanes], es)
        elif kind == "cancel":
            text = "%s %s, %s, %s" % (r.choice(["fmla", "fmls"]), V(d, es, q), V(n, es, q), V(m, es, q))
            lanes = [fma_cancel(r, es) for _ in range(128 // (8 << es))]
            c.vregs[d], c.vregs[n], c.vregs[m] = (pack([t[i] for t in lanes], es) for i in range(3))
            if text.startswith("fmls"):
                c.vregs[n] ^= sum(1 << ((8 << es) * (i + 1) - 1) for i in range(128 // (8 << es)))
        elif kind == "scbin":
            text = "%s %s, %s, %s" % (r.choice(sc_bin), S(d, es), S(n, es), S(m, es))
            fp_operands(g, c, [n, m], es)
        elif kind in ("un", "scun"):
            op = r.choice(un_ops if kind == "un" else sc_un)
            zero = op.endswith("0")
            dst = V(d, es, q) if kind == "un" else S(d, es)
            src = V(n, es, q) if kind == "un" else S(n, es)
            text = "%s %s, %s%s" % (op.rstrip("0"), dst, src, ", #0.0" if zero else "")
            if op in ("scvtf", "ucvtf"):
                c.vregs[n] = pack([int_value(r, es) for _ in range(128 // (8 << es))], es)
            elif op.startswith("fcvt"):
                c.vregs[n] = pack([conv_value(r, es, 8 << es) for _ in range(128 // (8 << es))], es)
            else:
                fp_operands(g, c, [n], es)
        elif kind == "idx":
            op = r.choice(["fmla", "fmls", "fmul", "fmulx"])
            idx = r.randrange(4 if es == 2 else 2)
            el = "v%d.%s[%d]" % (m, "sd"[es - 2], idx)
            if r.randrange(3) == 0:
                text = "%s %s, %s, %s" % (op, S(d, es), S(n, es), el)
            else:
                text = "%s %s, %s, %s" % (op, V(d, es, q), V(n, es, q), el)
            fp_operands(g, c, [n, m, d], es)
        elif kind == "narrow":
            op = r.choice(["fcvtn", "fcvtl", "fcvtxn", "fcvtxn_s"])
            two = "2" if r.randrange(2) else ""
            if op == "fcvtn":
                es = r.randrange(2, 4)      # source es
                text = "fcvtn%s %s, %s" % (two, V(d, es - 1, bool(two)), V(n, es, True))
                fp_operands(g, c, [n], es)
            elif op == "fcvtl":
                es = r.randrange(1, 3)      # source es
                text = "fcvtl%s %s, %s" % (two, V(d, es + 1, True), V(n, es, bool(two)))
                fp_operands(g, c, [n], es)
            elif op == "fcvtxn":
                text = "fcvtxn%s %s, %s" % (two, V(d, 2, bool(two)), V(n, 3, True))
                fp_operands(g, c, [n], 3)
            else:
                text = "fcvtxn %s, %s" % (S(d, 2), S(n, 3))
                fp_operands(g, c, [n], 3)
        elif kind == "across":
            op = r.choice(["fmaxv", "fminv", "fmaxnmv", "fminnmv"])
            text = "%s %s, %s" % (op, S(d, 2), V(n, 2, True))
            fp_operands(g, c, [n], 2)
        elif kind == "pairsc":
            op = r.choice(["faddp", "fmaxp", "fminp", "fmaxnmp", "fminnmp"])
            text = "%s %s, %s" % (op, S(d, es), "v%d.%s" % (n, "2s" if es == 2 else "2d"))
            fp_operands(g, c, [n], es)
        elif kind == "fixed":
            op = r.choice(["scvtf", "ucvtf", "fcvtzs", "fcvtzu"])
            fb = r.randrange(1, (8 << es) + 1)
            if r.randrange(3) == 0:
                text = "%s %s, %s, #%d" % (op, S(d, es), S(n, es), fb)
            else:
                text = "%s %s, %s, #%d" % (op, V(d, es, q), V(n, es, q), fb)
            if op.endswith("cvtf"):
                c.vregs[n] = pack([int_value(r, es) for _ in range(128 // (8 << es))], es)
            else:
                c.vregs[n] = pack([conv_value(r, es, 8 << es) for _ in range(128 // (8 << es))], es)
        else:
            text = "%s %s, %s" % (r.choice(["urecpe", "ursqrte"]), V(d, 2, q), V(n, 2, q))
            c.vregs[n] = pack([r.getrandbits(32) for _ in range(4)], 2)
        c.text, c.body = text, [text]
        g.add(c)


# Group: Advanced SIMD integer arithmetic -------------------------------------------------------

ALL_SIZES = ["add", "sub", "cmeq", "cmge", "cmgt", "cmhi", "cmhs", "cmtst", "sqadd", "uqadd", "sqsub", "uqsub",
             "sshl", "ushl", "sqshl", "uqshl", "srshl", "urshl", "sqrshl", "uqrshl", "addp"]
NO_D = ["mul", "mla", "mls", "shadd", "uhadd", "srhadd", "urhadd", "shsub", "uhsub", "smax", "umax", "smin", "umin",
        "sabd", "uabd", "saba", "uaba", "smaxp", "umaxp", "sminp", "uminp"]
LOGIC = ["and", "orr", "eor", "bic", "orn", "bsl", "bit", "bif"]
SC_ANY = ["sqadd", "uqadd", "sqsub", "uqsub", "sqshl", "uqshl", "sqrshl", "uqrshl"]
SC_D = ["add", "sub", "cmeq", "cmge", "cmgt", "cmhi", "cmhs", "cmtst", "sshl", "ushl", "srshl", "urshl"]


def shift_lanes(r, es):
    bits = 8 << es
    return pack([(r.randrange(-bits - 3, bits + 4) & 0xff) | (r.getrandbits(bits - 8) << 8 if bits > 8 and r.randrange(2) else 0)
                 if r.randrange(4) else int_value(r, es) for _ in range(128 // bits)], es)


def gen_simd_int(g):
    setup(g)
    r = g.rng
    for _ in range(2000):
        kind = r.choice(["all"] * 5 + ["nod"] * 4 + ["logic"] * 2 + ["dmulh", "pmul", "sc", "sc", "scd"])
        d, n, m = vregs(g, 3)
        c = new_case(g, "")
        q = r.randrange(2) == 1
        if kind == "all":
            op = r.choice(ALL_SIZES)
            es = r.randrange(4)
            if es == 3:
                q = True
            text = "%s %s, %s, %s" % (op, V(d, es, q), V(n, es, q), V(m, es, q))
        elif kind == "nod":
            op = r.choice(NO_D)
            es = r.randrange(3)
            text = "%s %s, %s, %s" % (op, V(d, es, q), V(n, es, q), V(m, es, q))
        elif kind == "logic":
            op = r.choice(LOGIC + ["mov", "not"])
            es = 0
            if op == "mov":
                text = "mov %s, %s" % (V(d, 0, q), V(n, 0, q))
            elif op == "not":
                text = "not %s, %s" % (V(d, 0, q), V(n, 0, q))
            else:
                text = "%s %s, %s, %s" % (op, V(d, 0, q), V(n, 0, q), V(m, 0, q))
        elif kind == "dmulh":
            op = r.choice(["sqdmulh", "sqrdmulh"])
            es = r.randrange(1, 3)
            if r.randrange(3) == 0:
                text = "%s %s, %s, %s" % (op, S(d, es), S(n, es), S(m, es))
            else:
                text = "%s %s, %s, %s" % (op, V(d, es, q), V(n, es, q), V(m, es, q))
        elif kind == "pmul":
            es = 0
            text = "pmul %s, %s, %s" % (V(d, 0, q), V(n, 0, q), V(m, 0, q))
        elif kind == "sc":
            op = r.choice(SC_ANY)
            es = r.randrange(4)
            text = "%s %s, %s, %s" % (op, S(d, es), S(n, es), S(m, es))
        else:
            op = r.choice(SC_D)
            es = 3
            text = "%s %s, %s, %s" % (op, S(d, es), S(n, es), S(m, es))
        c.vregs[n] = fill_int(g, [(n, es)])[n]
        if "shl" in text.split()[0] and kind in ("all", "sc", "scd"):
            c.vregs[m] = shift_lanes(r, es)
        else:
            c.vregs[m] = fill_int(g, [(m, es)])[m]
            if r.randrange(5) == 0:
                c.vregs[m] = c.vregs[n]
        if r.randrange(2):
            c.vregs[d] = fill_int(g, [(d, es)])[d]
        c.text, c.body = text, [text]
        g.add(c)


# Group: two-register misc, across lanes, widening/narrowing, by element -----------------------

def gen_simd_misc(g):
    setup(g)
    r = g.rng
    for _ in range(2000):
        kind = r.choice(["misc"] * 5 + ["narrow"] * 2 + ["across"] * 2 + ["long"] * 4 + ["idx"] * 3 + ["scmisc", "sclong"])
        d, n, m = vregs(g, 3)
        c = new_case(g, "")
        q = r.randrange(2) == 1
        es = r.randrange(3)
        two = "2" if q else ""
        if kind == "misc":
            op = r.choice(["rev16", "rev32", "rev64", "saddlp", "uaddlp", "sadalp", "uadalp", "cls", "clz", "cnt",
                           "rbit", "suqadd", "usqadd", "sqabs", "sqneg", "abs", "neg", "cmgt", "cmeq", "cmlt",
                           "cmge", "cmle"])
            if op in ("suqadd", "usqadd", "sqabs", "sqneg", "abs", "neg", "cmgt", "cmeq", "cmlt", "cmge", "cmle"):
                es = r.randrange(4)
                if es == 3:
                    q = True
            elif op in ("cnt", "rbit", "rev16"):
                es = 0
            elif op == "rev32":
                es = r.randrange(2)
            if op in ("saddlp", "uaddlp", "sadalp", "uadalp"):
                text = "%s %s, %s" % (op, V(d, es + 1, q), V(n, es, q))
            elif op.startswith("cm"):
                text = "%s %s, %s, #0" % (op, V(d, es, q), V(n, es, q))
            else:
                text = "%s %s, %s" % (op, V(d, es, q), V(n, es, q))
        elif kind == "narrow":
            op = r.choice(["xtn", "sqxtn", "uqxtn", "sqxtun", "shll"])
            if op == "shll":
                text = "shll%s %s, %s, #%d" % (two, V(d, es + 1, True), V(n, es, q), 8 << es)
            else:
                text = "%s%s %s, %s" % (op, two, V(d, es, q), V(n, es + 1, True))
            if r.randrange(2):
                c.vregs[n] = pack([int_value(r, es + 1) if r.randrange(2) else int_value(r, es)
                                   for _ in range(8 >> es)], es + 1)
        elif kind == "across":
            op = r.choice(["addv", "saddlv", "uaddlv", "smaxv", "umaxv", "sminv", "uminv"])
            if es == 2:
                q = True
            dst = S(d, es + 1) if "addlv" in op else S(d, es)
            text = "%s %s, %s" % (op, dst, V(n, es, q))
        elif kind == "long":
            op = r.choice(["saddl", "uaddl", "ssubl", "usubl", "saddw", "uaddw", "ssubw", "usubw", "addhn", "raddhn",
                           "subhn", "rsubhn", "sabal", "uabal", "sabdl", "uabdl", "smlal", "umlal", "smlsl", "umlsl",
                           "smull", "umull", "sqdmlal", "sqdmlsl", "sqdmull", "pmull"])
            if op.startswith("sqd"):
                es = r.randrange(1, 3)
            if op == "pmull":
                es = 0
            if op.endswith("w"):
                text = "%s%s %s, %s, %s" % (op, two, V(d, es + 1, True), V(n, es + 1, True), V(m, es, q))
            elif op.endswith("hn"):
                text = "%s%s %s, %s, %s" % (op, two, V(d, es, q), V(n, es + 1, True), V(m, es + 1, True))
            else:
                text = "%s%s %s, %s, %s" % (op, two, V(d, es + 1, True), V(n, es, q), V(m, es, q))
        elif kind == "idx":
            op = r.choice(["mul", "mla", "mls", "sqdmulh", "sqrdmulh", "smull", "umull", "smlal", "umlal", "smlsl",
                           "umlsl", "sqdmull", "sqdmlal", "sqdmlsl"])
            es = r.randrange(1, 3)
            mm = m % 16 if es == 1 else m
            el = "v%d.%s[%d]" % (mm, "hs"[es - 1], r.randrange(8 >> (es - 1)))
            if op in ("mul", "mla", "mls", "sqdmulh", "sqrdmulh"):
                if op.startswith("sq") and r.randrange(3) == 0:
                    text = "%s %s, %s, %s" % (op, S(d, es), S(n, es), el)
                else:
                    text = "%s %s, %s, %s" % (op, V(d, es, q), V(n, es, q), el)
            elif op.startswith("sqd") and r.randrange(3) == 0:
                text = "%s %s, %s, %s" % (op, S(d, es + 1), S(n, es), el)
            else:
                text = "%s%s %s, %s, %s" % (op, two, V(d, es + 1, True), V(n, es, q), el)
            c.vregs[mm] = fill_int(g, [(mm, es)])[mm]
        elif kind == "scmisc":
            op = r.choice(["suqadd", "usqadd", "sqabs", "sqneg", "abs", "neg", "cmgt", "cmeq", "cmlt", "cmge", "cmle",
                           "sqxtn", "uqxtn", "sqxtun"])
            if op in ("abs", "neg") or op.startswith("cm"):
                es = 3
            elif op.endswith("xtn") or op.endswith("xtun"):
                es = r.randrange(3)
                text = "%s %s, %s" % (op, S(d, es), S(n, es + 1))
            else:
                es = r.randrange(4)
            if not (op.endswith("xtn") or op.endswith("xtun")):
                text = "%s %s, %s%s" % (op, S(d, es), S(n, es), ", #0" if op.startswith("cm") else "")
        else:
            op = r.choice(["sqdmlal", "sqdmlsl", "sqdmull"])
            es = r.randrange(1, 3)
            text = "%s %s, %s, %s" % (op, S(d, es + 1), S(n, es), S(m, es))
        if kind not in ("narrow",) or r.randrange(2) == 0:
            if not (kind == "narrow" and op != "shll"):
                c.vregs[n] = fill_int(g, [(n, es)])[n]
        if kind != "idx":
            c.vregs[m] = fill_int(g, [(m, es)])[m]
        c.text, c.body = text, [text]
        g.add(c)


# Group: copy, permute, table lookup, immediates, shifts by immediate -------------------------

def gen_simd_perm(g):
    setup(g)
    r = g.rng
    for _ in range(2000):
        kind = r.choice(["dup", "dupg", "ins", "insg", "mov", "perm", "perm", "ext", "tbl", "tbl", "imm", "imm"] +
                        ["shift"] * 6 + ["scshift"] * 2 + ["scdup"])
        d, n, m = vregs(g, 3)
        c = new_case(g, "")
        q = r.randrange(2) == 1
        es = r.randrange(4)
        if kind == "dup":
            if es == 3:
                q = True
            text = "dup %s, v%d.%s[%d]" % (V(d, es, q), n, "bhsd"[es], r.randrange(16 >> es))
        elif kind == "scdup":
            text = "%s %s, v%d.%s[%d]" % (r.choice(["dup", "mov"]), S(d, es), n, "bhsd"[es], r.randrange(16 >> es))
        elif kind == "dupg":
            if es == 3:
                q = True
            text = "dup %s, %s" % (V(d, es, q), B.X(g.reg(zr=True), es == 3))
        elif kind == "ins":
            text = "%s v%d.%s[%d], v%d.%s[%d]" % (r.choice(["ins", "mov"]), d, "bhsd"[es], r.randrange(16 >> es), n,
                                                  "bhsd"[es], r.randrange(16 >> es))
        elif kind == "insg":
            text = "%s v%d.%s[%d], %s" % (r.choice(["ins", "mov"]), d, "bhsd"[es], r.randrange(16 >> es),
                                          B.X(g.reg(zr=True), es == 3))
        elif kind == "mov":
            t = g.reg(zr=True)
            which = r.randrange(3)
            if which == 0:
                text = "umov %s, v%d.%s[%d]" % (B.X(t, es == 3), n, "bhsd"[es], r.randrange(16 >> es))
            elif which == 1 and es < 3:
                x = es == 2 or r.randrange(2) == 1
                text = "smov %s, v%d.%s[%d]" % (B.X(t, x), n, "bhsd"[es], r.randrange(16 >> es))
            else:
                es = r.randrange(2, 4)
                text = "mov %s, v%d.%s[%d]" % (B.X(t, es == 3), n, "bhsd"[es], r.randrange(16 >> es))
        elif kind == "perm":
            if es == 3:
                q = True
            op = r.choice(["uzp1", "uzp2", "trn1", "trn2", "zip1", "zip2"])
            text = "%s %s, %s, %s" % (op, V(d, es, q), V(n, es, q), V(m, es, q))
        elif kind == "ext":
            text = "ext %s, %s, %s, #%d" % (V(d, 0, q), V(n, 0, q), V(m, 0, q), r.randrange(16 if q else 8))
        elif kind == "tbl":
            ln = r.randrange(1, 5)
            lst = "{%s}" % ", ".join("v%d.16b" % ((n + i) % 32) for i in range(ln))
            text = "%s %s, %s, %s" % (r.choice(["tbl", "tbx"]), V(d, 0, q), lst, V(m, 0, q))
            c.vregs[m] = pack([r.randrange(16 * ln + 8) if r.randrange(4) else r.getrandbits(8) for _ in range(16)], 0)
        elif kind == "imm":
            op = r.choice(["movi", "mvni", "orr", "bic", "movi8", "movi64", "movid", "fmov"])
            imm8 = r.getrandbits(8)
            if op in ("movi", "mvni", "orr", "bic"):
                es = r.randrange(1, 3)
                shifts = [0, 8] if es == 1 else [0, 8, 16, 24]
                if op in ("movi", "mvni") and es == 2 and r.randrange(3) == 0:
                    sh = ", msl #%d" % r.choice([8, 16])
                else:
                    sh = ", lsl #%d" % r.choice(shifts)
                text = "%s %s, #0x%x%s" % (op, V(d, es, q), imm8, sh)
            elif op == "movi8":
                text = "movi %s, #0x%x" % (V(d, 0, q), imm8)
            elif op == "movi64":
                v = sum(0xff << (8 * i) for i in range(8) if imm8 >> i & 1)
                text = "movi v%d.2d, #0x%x" % (d, v)
            elif op == "movid":
                v = sum(0xff << (8 * i) for i in range(8) if imm8 >> i & 1)
                text = "movi d%d, #0x%x" % (d, v)
            else:
                es = r.randrange(2, 4)
                if es == 3:
                    q = True
                v = (r.randrange(16) + 16) / 16.0 * 2.0 ** r.randrange(-3, 5) * r.choice([1, -1])
                text = "fmov %s, #%s" % (V(d, es, q), repr(v))
        elif kind in ("shift", "scshift"):
            sc = kind == "scshift"
            op = r.choice(["sshr", "ushr", "ssra", "usra", "srshr", "urshr", "srsra", "ursra", "shl", "sli", "sri",
                           "sqshl", "uqshl", "sqshlu", "shrn", "rshrn", "sqshrn", "uqshrn", "sqrshrn", "uqrshrn",
                           "sqshrun", "sqrshrun", "sshll", "ushll", "sxtl", "uxtl"])
            narrow = op.endswith("n") and op not in ("sqshl", "uqshl")
            widen = op in ("sshll", "ushll", "sxtl", "uxtl")
            if sc and (op in ("shrn", "rshrn") or widen):
                op, narrow, widen = "sshr", False, False
            if narrow or widen:
                es = r.randrange(3)
            elif sc and op not in ("sqshl", "uqshl", "sqshlu"):
                es = 3
            bits = 8 << es
            two = "2" if q and not sc else ""
            if op in ("shl", "sli", "sqshl", "uqshl", "sqshlu", "sshll", "ushll"):
                amt = r.choice([0, bits - 1, r.randrange(bits)])
            else:
                amt = r.choice([1, bits, r.randrange(1, bits + 1)])
            if narrow:
                if sc:
                    text = "%s %s, %s, #%d" % (op, S(d, es), S(n, es + 1), amt)
                else:
                    text = "%s%s %s, %s, #%d" % (op, two, V(d, es, q), V(n, es + 1, True), amt)
            elif widen:
                if op in ("sxtl", "uxtl"):
                    text = "%s%s %s, %s" % (op, two, V(d, es + 1, True), V(n, es, q))
                else:
                    text = "%s%s %s, %s, #%d" % (op, two, V(d, es + 1, True), V(n, es, q), amt)
            elif sc:
                text = "%s %s, %s, #%d" % (op, S(d, es), S(n, es), amt)
            else:
                if es == 3:
                    q = True
                text = "%s %s, %s, #%d" % (op, V(d, es, q), V(n, es, q), amt)
            c.vregs[n] = fill_int(g, [(n, es + 1 if narrow else es)])[n]
        if kind in ("dup", "scdup", "ins", "mov", "perm"):
            c.vregs[n] = fill_int(g, [(n, es)])[n]
        c.text, c.body = text, [text]
        g.add(c)


# Group: random encodings ----------------------------------------------------------------------

# Extensions QEMU's "max" CPU has and hvsim does not implement (see FPSIMDCapstoneTests).
NOT_V80 = ("aes", "sha1", "sha256", "sha512", "sm3", "sm4", "eor3", "rax1", "xar", "bcax", "sqrdmlah",
           "sqrdmlsh", "sdot", "udot", "usdot", "sudot", "fmlal", "fmlsl", "fcmla", "fcadd", "fjcvtzs",
           "frint32", "frint64", "bf", "smmla", "ummla", "usmmla")


def is_fp16(mn, ops):
    if not (mn.startswith("f") or mn in ("scvtf", "ucvtf")) or mn in ("fcvt", "fcvtl", "fcvtl2", "fcvtn", "fcvtn2"):
        return False
    if ".4h" in ops or ".8h" in ops or ".h[" in ops:
        return True
    return any(t.startswith("h") and t[1:].isdigit() for t in ops.replace(",", " ").split())


def disassemble(words):
    """objdump's text for each word (None when it is not an instruction)."""
    cross = os.environ.get("CROSS", "aarch64-linux-gnu-")
    with tempfile.TemporaryDirectory() as d:
        src, obj = os.path.join(d, "w.s"), os.path.join(d, "w.o")
        with open(src, "w") as f:
            f.write("".join(".inst 0x%08x\n" % w for w in words))
        subprocess.run([cross + "as", src, "-o", obj], check=True)
        out = subprocess.run([cross + "objdump", "-d", obj], check=True, capture_output=True, text=True).stdout
    texts = {}
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and parts[0].strip().endswith(":"):
            texts[int(parts[1].strip(), 16)] = parts[2].strip() + (" " + parts[3].strip() if len(parts) > 3 else "")
    return [texts.get(w) for w in words]


# The encoding groups of the space (Arm ARM C4.1.96 diagrams; letters are random bits),
# sampled evenly so that sparse groups get their share.
RAND_GROUPS = [
    "0QU01110ss1mmmmmooooo1nnnnnddddd", "01U11110ss1mmmmmooooo1nnnnnddddd",     # three same
    "0QU01110ss1mmmmmoooo00nnnnnddddd", "01U11110ss1mmmmmoooo00nnnnnddddd",     # three different
    "0QU01110ss10000ooooo10nnnnnddddd", "01U11110ss10000ooooo10nnnnnddddd",     # two-reg misc
    "0QU01110ss11000ooooo10nnnnnddddd", "01U11110ss11000ooooo10nnnnnddddd",     # across lanes, pairwise
    "0Qo01110000iiiii0jjjj1nnnnnddddd", "01011110000iiiii000001nnnnnddddd",     # copy
    "0Q001110ss0mmmmm0ooo10nnnnnddddd", "0Q101110000mmmmm0iiii0nnnnnddddd",     # permute, extract
    "0Q001110000mmmmm0llo00nnnnnddddd", "0Qo0111100000abcccccm1defghddddd",     # table, modified imm
    "0QU011110hhhhbbbooooo1nnnnnddddd", "01U111110hhhhbbbooooo1nnnnnddddd",     # shift by immediate
    "0QU01111ssLMmmmmooooH0nnnnnddddd", "01U11111ssLMmmmmooooH0nnnnnddddd",     # by element
    "s0011110tt0rrooossssssnnnnnddddd", "s0011110tt1rrooo000000nnnnnddddd",     # FP <-> fixed, integer
    "00011110tt1oooooo10000nnnnnddddd", "00011110tt1mmmmm001000nnnnnoo000",     # FP 1-source, compare
    "00011110tt1iiiiiiii10000000ddddd", "00011110tt1mmmmmcccc01nnnnnovvvv",     # FMOV imm, FCCMP
    "00011110tt1mmmmmoooo10nnnnnddddd", "00011110tt1mmmmmcccc11nnnnnddddd",     # 2-source, FCSEL
    "00011111ttommmmmOaaaaannnnnddddd",                                         # 3-source
]


def random_word(r, pattern):
    w = 0
    for ch in pattern:
        w = w << 1 | (int(ch) if ch in "01" else r.getrandbits(1))
    return w


def gen_simd_rand(g):
    """Random words from the SIMD&FP data-processing groups that GNU objdump decodes as
    ARMv8.0 instructions, run as .inst: every field combination, including the bits the
    Arm ARM marks as ignored."""
    setup(g)
    r = g.rng
    words = [random_word(r, RAND_GROUPS[i % len(RAND_GROUPS)]) for i in range(40000)]
    per_group = [0] * len(RAND_GROUPS)
    picked = []
    for i, (w, text) in enumerate(zip(words, disassemble(words))):
        if text is None or text.startswith(".inst") or "undefined" in text or "<" in text:
            continue
        mn, _, ops = text.partition(" ")
        if mn.startswith(NOT_V80) or (mn.startswith("pmull") and ".1q" in ops) or is_fp16(mn, ops):
            continue
        k = i % len(RAND_GROUPS)
        if per_group[k] < 5000 // len(RAND_GROUPS):
            per_group[k] += 1
            picked.append((w, text))
    for w, text in picked:
        c = new_case(g, text, [".inst 0x%08x" % w])
        for k in range(32):
            es = r.choice([2, 2, 3, 3, 0, 1])
            c.vregs[k] = pack(fp_lanes(r, es) if es >= 2 else [int_value(r, es) for _ in range(16 >> es)], es)
        g.add(c)
