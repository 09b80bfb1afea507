#!/usr/bin/env python3
"""Generates the differential test programs for hvsim's A64 interpreter.

    gen.py OUTDIR [GROUP...]
    gen.py --list           (prints the group names)

For every group this writes OUTDIR/case_<group>.S (a static Linux AArch64 program)
and OUTDIR/case_<group>.txt (one line per case: "<number>\t<instruction text>").
The same program is run under qemu-aarch64-static (the reference) and under
hvsim's user-mode emulation (Tests/DiffTests); their outputs must be identical.

Everything is derived from a fixed seed (per group), so the files are reproducible.

Program structure
-----------------
Each case
  * points SP at its own 256-byte record and loads NZCV, then X0..X30 from its own
    row of `init_tab` (pseudo-random values with many edge values; addresses where an
    operand must point into the case's scratch buffer are link-time expressions),
  * executes the instruction (or a tiny sequence: branches, exclusive pairs),
  * stores X0..X30 and NZCV (MRS) into its record through SP.
Cases that use SP as a destination or as a memory base ("SP cases") keep X27/X28
out of the instruction: afterwards X27 receives the resulting SP and SP is pointed
back at the record through X28.
Every case of the groups that access memory owns a BUF-byte scratch buffer filled
with random bytes; the buffers are dumped after the records.

Output (written to stdout with write(2), then exit(0)):
    "HVDIFF01", u64 cases, u64 record size (256), u64 buffer size (0 if none)
    records[cases]: x0..x30, nzcv (u64 each, little endian)
    buffers[cases]
The .S file has a comment line "// case N: <text>" before each case, and the labels
c_<N> (start of case N) and c_end (after the last case) that the Swift test uses to
attribute faults to cases.

Adding groups: write a function that appends Case objects to a Group and register it
in GROUPS. The FP/SIMD groups live in gen_fp.py: their groups set `record` to the
larger FP record (V0..V31, FPSR and FPCR after the integer registers, magic HVDIFF02),
their cases carry `vregs`, `fpcr` and `fpsr`, and `emit` loads and stores those too.
"""

import os
import random
import sys

SEED = 0x68767369   # "hvsi"
RECORD = 256        # x0..x30 + nzcv
MASK64 = (1 << 64) - 1
MASK32 = (1 << 32) - 1

CONDS = ["eq", "ne", "cs", "cc", "mi", "pl", "vs", "vc",
         "hi", "ls", "ge", "lt", "gt", "le", "al", "nv"]
COND_ALIASES = {"cs": "hs", "cc": "lo"}

EDGE64 = [0, 1, 2, 3, MASK64, MASK64 - 1, 0x7fffffffffffffff, 0x8000000000000000,
          0x8000000000000001, 0xffffffff, 0x80000000, 0x7fffffff, 0x100000000,
          0xffffffff00000000, 0xfffffffe, 0xffffffff80000000, 0x00000000ffff0000,
          0xff, 0x80, 0x7f, 0xffff, 0x8000, 0x7fff, 0x0123456789abcdef,
          0xfedcba9876543210, 0x5555555555555555, 0xaaaaaaaaaaaaaaaa, 63, 64, 31, 32]


class Case:
    """One test case. `regs` holds 31 initial values (int, or str for link-time
    address expressions); `body` the assembler lines that are executed."""

    def __init__(self, group, text, body=None):
        self.index = len(group.cases)
        self.text = text
        self.body = body if body is not None else [text]
        self.regs = [group.value() for _ in range(31)]
        self.nzcv = group.rng.randrange(16) << 28
        self.sp_case = False
        self.buf = (bytes(group.rng.randrange(256) for _ in range(group.bufsize))
                    if group.bufsize else None)
        self.pool = None        # (label, data lines, before) for literal loads


class Group:
    def __init__(self, name, bufsize):
        self.name = name
        self.bufsize = bufsize
        seed = SEED ^ sum(ord(c) << (8 * (i % 8)) for i, c in enumerate(name))
        self.rng = random.Random(seed)
        self.cases = []

    # Random values -----------------------------------------------------------

    def value(self):
        r = self.rng
        k = r.randrange(100)
        if k < 30:
            return r.choice(EDGE64)
        if k < 45:
            return r.randrange(-16, 17) & MASK64
        if k < 55:
            return r.getrandbits(32)
        if k < 62:
            return sext(r.getrandbits(32), 32) & MASK64
        if k < 67:   # one bit set or clear
            b = 1 << r.randrange(64)
            return b if r.randrange(2) else b ^ MASK64
        return r.getrandbits(64)

    def regs(self, n, exclude=(), zr=False, sp_case=False):
        """n distinct register numbers 0..30 (31 = ZR allowed if zr) not in exclude."""
        r = self.rng
        excl = set(exclude) | ({27, 28} if sp_case else set())
        pool = [i for i in range(31) if i not in excl]
        out = []
        while len(out) < n:
            if zr and 31 not in out and r.randrange(12) == 0:
                out.append(31)
                continue
            c = r.choice(pool)
            if c not in out:
                out.append(c)
        return out

    def reg(self, exclude=(), zr=False, sp_case=False):
        return self.regs(1, exclude, zr, sp_case)[0]

    def cond(self):
        c = self.rng.choice(CONDS)
        if c in COND_ALIASES and self.rng.randrange(2):
            c = COND_ALIASES[c]
        return c

    def add(self, case):
        self.cases.append(case)
        return case

    def buf_addr(self, case, off):
        """Link-time expression for the address of byte `off` of the case's buffer."""
        return "bufs+%d" % (case.index * self.bufsize + off)


def sext(v, bits):
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


def X(n, sf=True, sp=False):
    """Register name: n == 31 is SP if sp else ZR."""
    if n == 31:
        return ("sp" if sf else "wsp") if sp else ("xzr" if sf else "wzr")
    return ("x%d" if sf else "w%d") % n


def base_for(group, case, ea_off, sub):
    """Value for a base register so that base + sub (mod 2^64) == buffer + ea_off."""
    d = sext(-sub & MASK64, 64)
    e = group.buf_addr(case, ea_off)
    return "%s%+d" % (e, d) if d else e


# Bitmask immediates (Arm ARM DecodeBitMasks) ----------------------------------------

def decode_bitmask(n, immr, imms, regsize):
    combined = (n << 6) | (~imms & 0x3f)
    if combined == 0:
        return None
    length = combined.bit_length() - 1
    if length < 1 or (regsize == 32 and n):
        return None
    levels = (1 << length) - 1
    s, r = imms & levels, immr & levels
    if s == levels:
        return None
    esize = 1 << length
    welem = (1 << (s + 1)) - 1
    elem = ((welem >> r) | (welem << (esize - r))) & ((1 << esize) - 1)
    v = 0
    for i in range(regsize // esize):
        v |= elem << (i * esize)
    return v


def bitmask_imm(g, regsize):
    r = g.rng
    if r.randrange(4) == 0:
        tricky = [0x5555555555555555, 0xaaaaaaaaaaaaaaaa, 0x00ff00ff00ff00ff,
                  0x7fffffffffffffff, 0x8000000000000000, 0xfffffffffffffffe, 1,
                  0x0000ffff0000ffff, 0xffffffff, 0xfffffff0fffffff0, 0x8080808080808080,
                  0x1111111111111111, 0xfffffffffffff000, 0x3ffffffffffffffc, 0x6666666666666666,
                  0xffffffff00000000, 0x0f0f0f0f0f0f0f0f, 0xc000000000000001]
        v = r.choice(tricky)
        if regsize == 32:
            v &= MASK32
            if v in (0, MASK32):
                v = 0x55555555
        return v
    while True:
        n = r.randrange(2) if regsize == 64 else 0
        v = decode_bitmask(n, r.randrange(regsize), r.randrange(64), regsize)
        if v is not None:
            return v


# Group: data processing, immediate -------------------------------------------------------

def gen_dp_imm(g):
    r = g.rng
    for _ in range(900):
        sf = r.randrange(2) == 1
        size = 64 if sf else 32
        kind = r.choice(["addsub"] * 4 + ["logic"] * 3 + ["mov"] * 2 + ["adr"] +
                        ["bfm"] * 3 + ["bfalias"] * 4 + ["extr"] * 2)
        if kind == "addsub":
            op = r.choice(["add", "sub", "adds", "subs", "cmp", "cmn", "movsp"])
            imm = r.choice([0, 1, 0xfff, 0x800, r.randrange(4096), r.randrange(4096)])
            sh = r.choice(["", ", lsl #12", ", lsl #0"])
            if op == "movsp":       # MOV to/from SP (ADD #0)
                d, n = (31, g.reg(sp_case=True)) if r.randrange(2) else (g.reg(sp_case=True), 31)
                sp_case = True
                text = "mov %s, %s" % (X(d, sf, True), X(n, sf, True))
            else:
                sp_case = r.randrange(5) == 0
                d, n = g.regs(2, sp_case=sp_case)
                if op in ("add", "sub"):
                    if sp_case:
                        if r.randrange(2):
                            d = 31
                        else:
                            n = 31
                    elif r.randrange(8) == 0:
                        n = 31      # SP as source only (SP = record address)
                    text = "%s %s, %s, #0x%x%s" % (op, X(d, sf, True), X(n, sf, True), imm, sh)
                elif op in ("adds", "subs"):
                    if r.randrange(6) == 0:
                        d = 31      # ZR destination
                    if r.randrange(6) == 0:
                        n = 31      # SP source
                    sp_case = False
                    text = "%s %s, %s, #0x%x%s" % (op, X(d, sf), X(n, sf, True), imm, sh)
                else:
                    sp_case = False
                    text = "%s %s, #0x%x%s" % (op, X(n, sf, True) if r.randrange(6) else ("sp" if sf else "wsp"),
                                              imm, sh)
            c = g.add(Case(g, text))
            c.sp_case = sp_case
            if n != 31 and r.randrange(3) == 0:   # make 12-bit arithmetic hit carries/overflows
                c.regs[n] = r.choice([MASK64, 0x7fffffffffffffff, 0x8000000000000000, 0xffffffff,
                                           0x7fffffff, 0x80000000, imm, (imm << 12)]) & MASK64
        elif kind == "logic":
            op = r.choice(["and", "orr", "eor", "ands", "tst", "movbm"])
            imm = bitmask_imm(g, size)
            sp_case = op in ("and", "orr", "eor") and r.randrange(6) == 0
            d, n = g.regs(2, sp_case=sp_case)
            if sp_case:
                d = 31
            if op == "tst":
                text = "tst %s, #0x%x" % (X(n, sf), imm)
            elif op == "movbm":
                text = "orr %s, %s, #0x%x" % (X(d, sf, True), X(31, sf), imm)
            elif op == "ands":
                if r.randrange(6) == 0:
                    d = 31
                text = "ands %s, %s, #0x%x" % (X(d, sf), X(n, sf), imm)
            else:
                if r.randrange(10) == 0:
                    n = 31      # Rn = 31 is ZR for logical immediates
                text = "%s %s, %s, #0x%x" % (op, X(d, sf, True), X(n, sf), imm)
            c = g.add(Case(g, text))
            c.sp_case = sp_case
        elif kind == "mov":
            op = r.choice(["movz", "movn", "movk", "movk"])
            hw = r.randrange(4 if sf else 2)
            imm = r.choice([0, 0xffff, 0x8000, 1, r.randrange(65536), r.randrange(65536)])
            d = g.reg()
            g.add(Case(g, "%s %s, #0x%x, lsl #%d" % (op, X(d, sf), imm, 16 * hw)))
        elif kind == "adr":
            d = g.reg()
            if r.randrange(2):
                off = r.randrange(-(1 << 20), 1 << 20)
                g.add(Case(g, "adr %s, . %s 0x%x" % (X(d), "+-"[off < 0], abs(off))))
            else:
                off = r.choice([0, 1, -1, r.randrange(-0x3ff, 0x100000), r.randrange(-0x3ff, 0x1000)]) * 4096
                g.add(Case(g, "adrp %s, . %s 0x%x" % (X(d), "+-"[off < 0], abs(off))))
        elif kind == "bfm":
            op = r.choice(["sbfm", "ubfm", "bfm"])
            d, n = g.regs(2, zr=True)
            g.add(Case(g, "%s %s, %s, #%d, #%d" % (op, X(d, sf), X(n, sf), r.randrange(size), r.randrange(size))))
        elif kind == "bfalias":
            op = r.choice(["asr", "lsl", "lsr", "sxtb", "sxth", "sxtw", "uxtb", "uxth",
                           "ubfx", "sbfx", "bfi", "bfxil", "ubfiz", "sbfiz", "bfc"])
            d, n = g.regs(2, zr=True)
            if op in ("asr", "lsl", "lsr"):
                text = "%s %s, %s, #%d" % (op, X(d, sf), X(n, sf), r.randrange(size))
            elif op in ("sxtb", "sxth", "sxtw"):
                if op == "sxtw" or r.randrange(2):
                    sf = True
                text = "%s %s, %s" % (op, X(d, sf), X(n, False))
            elif op in ("uxtb", "uxth"):
                text = "%s %s, %s" % (op, X(d, False), X(n, False))
            else:
                lsb = r.randrange(size)
                width = r.randrange(1, size - lsb + 1)
                if op == "bfc":     # BFC is ARMv8.2 syntax: write it as BFI from ZR
                    text = "bfi %s, %s, #%d, #%d" % (X(d, sf), X(31, sf), lsb, width)
                else:
                    text = "%s %s, %s, #%d, #%d" % (op, X(d, sf), X(n, sf), lsb, width)
            g.add(Case(g, text))
        else:
            d, n, m = g.regs(3, zr=True)
            if r.randrange(3) == 0:
                text = "ror %s, %s, #%d" % (X(d, sf), X(n, sf), r.randrange(size))
            else:
                if r.randrange(5) == 0:
                    m = n
                text = "extr %s, %s, %s, #%d" % (X(d, sf), X(n, sf), X(m, sf), r.randrange(size))
            g.add(Case(g, text))


# Group: data processing, register ---------------------------------------------------

EXTENDS = ["uxtb", "uxth", "uxtw", "uxtx", "sxtb", "sxth", "sxtw", "sxtx"]


def gen_dp_reg(g):
    r = g.rng
    kinds = (["addsub_sh"] * 4 + ["addsub_ext"] * 4 + ["logic"] * 5 + ["adc"] * 2 + ["ccmp"] * 3 +
             ["csel"] * 3 + ["onesrc"] * 3 + ["div"] * 3 + ["shiftv"] * 2 + ["mul"] * 4 + ["crc"] * 2)
    for _ in range(1000):
        sf = r.randrange(2) == 1
        size = 64 if sf else 32
        kind = r.choice(kinds)
        sp_case = False
        d, n, m, a = g.regs(4, zr=True)
        alias = r.randrange(12)         # the same register in several operand positions
        if alias == 0:
            n = d
        elif alias == 1:
            m = d
        elif alias == 2:
            m = n
        elif alias == 3:
            a = d
        if kind == "addsub_sh":
            op = r.choice(["add", "sub", "adds", "subs", "cmp", "cmn", "neg", "negs"])
            sh = r.choice(["lsl", "lsr", "asr"])
            amt = r.choice([0, r.randrange(size), size - 1])
            shs = "" if (amt == 0 and r.randrange(2)) else ", %s #%d" % (sh, amt)
            if op in ("cmp", "cmn"):
                text = "%s %s, %s%s" % (op, X(n, sf), X(m, sf), shs)
            elif op in ("neg", "negs"):
                text = "%s %s, %s%s" % (op, X(d, sf), X(m, sf), shs)
            else:
                text = "%s %s, %s, %s%s" % (op, X(d, sf), X(n, sf), X(m, sf), shs)
        elif kind == "addsub_ext":
            op = r.choice(["add", "sub", "adds", "subs", "cmp", "cmn"])
            ext = r.choice(EXTENDS)
            amt = r.randrange(5)
            msf = sf and ext in ("uxtx", "sxtx")
            d, n, m = g.regs(3, zr=False)
            if op in ("add", "sub"):
                sp_case = r.randrange(4) == 0
                if sp_case:
                    d, n, m = g.regs(3, sp_case=True)
                    d = 31
                    if r.randrange(2):
                        n = 31
                elif r.randrange(3) == 0:
                    n = 31
                dn = X(d, sf, True)
            else:
                if r.randrange(3) == 0:
                    n = 31
                dn = X(d, sf) if r.randrange(8) else X(31, sf)
            if r.randrange(10) == 0:
                m = 31
            exts = ", %s #%d" % (ext, amt) if amt or r.randrange(2) else ", %s" % ext
            if (d == 31 and op in ("add", "sub") or n == 31) and r.randrange(3) == 0 and \
                    ext == ("uxtx" if sf else "uxtw"):
                exts = ", lsl #%d" % amt           # LSL alias of UXTX/UXTW with SP
            if op in ("cmp", "cmn"):
                text = "%s %s, %s%s" % (op, X(n, sf, True), X(m, msf), exts)
            else:
                text = "%s %s, %s, %s%s" % (op, dn, X(n, sf, True), X(m, msf), exts)
        elif kind == "logic":
            op = r.choice(["and", "orr", "eor", "ands", "bic", "orn", "eon", "bics", "mvn", "tst", "mov"])
            sh = r.choice(["lsl", "lsr", "asr", "ror"])
            amt = r.choice([0, r.randrange(size), size - 1])
            shs = "" if (amt == 0 and r.randrange(2)) else ", %s #%d" % (sh, amt)
            if op == "mvn":
                text = "mvn %s, %s%s" % (X(d, sf), X(m, sf), shs)
            elif op == "tst":
                text = "tst %s, %s%s" % (X(n, sf), X(m, sf), shs)
            elif op == "mov":
                text = "mov %s, %s" % (X(d, sf), X(m, sf))
            else:
                if r.randrange(8) == 0:
                    m = n
                text = "%s %s, %s, %s%s" % (op, X(d, sf), X(n, sf), X(m, sf), shs)
        elif kind == "adc":
            op = r.choice(["adc", "adcs", "sbc", "sbcs", "ngc", "ngcs"])
            if op.startswith("ngc"):
                text = "%s %s, %s" % (op, X(d, sf), X(m, sf))
            else:
                text = "%s %s, %s, %s" % (op, X(d, sf), X(n, sf), X(m, sf))
        elif kind == "ccmp":
            op = r.choice(["ccmp", "ccmn"])
            if r.randrange(2):
                text = "%s %s, %s, #%d, %s" % (op, X(n, sf), X(m, sf), r.randrange(16), g.cond())
            else:
                text = "%s %s, #%d, #%d, %s" % (op, X(n, sf), r.randrange(32), r.randrange(16), g.cond())
        elif kind == "csel":
            op = r.choice(["csel", "csinc", "csinv", "csneg", "cset", "csetm", "cinc", "cinv", "cneg"])
            if op in ("cset", "csetm"):
                text = "%s %s, %s" % (op, X(d, sf), g.cond().replace("al", "eq").replace("nv", "ne"))
            elif op in ("cinc", "cinv", "cneg"):
                text = "%s %s, %s, %s" % (op, X(d, sf), X(n, sf), g.cond().replace("al", "eq").replace("nv", "ne"))
            else:
                text = "%s %s, %s, %s, %s" % (op, X(d, sf), X(n, sf), X(m, sf), g.cond())
        elif kind == "onesrc":
            ops = ["rbit", "rev", "rev16", "clz", "cls"] + (["rev32"] if sf else [])
            op = r.choice(ops)
            text = "%s %s, %s" % (op, X(d, sf), X(n, sf))
        elif kind == "div":
            op = r.choice(["udiv", "sdiv"])
            text = "%s %s, %s, %s" % (op, X(d, sf), X(n, sf), X(m, sf))
        elif kind == "shiftv":
            op = r.choice(["lslv", "lsrv", "asrv", "rorv", "lsl", "lsr", "asr", "ror"])
            text = "%s %s, %s, %s" % (op, X(d, sf), X(n, sf), X(m, sf))
        elif kind == "mul":
            op = r.choice(["madd", "msub", "mul", "mneg", "smaddl", "smsubl", "umaddl", "umsubl",
                           "smull", "umull", "smnegl", "umnegl", "smulh", "umulh"])
            if op in ("madd", "msub"):
                text = "%s %s, %s, %s, %s" % (op, X(d, sf), X(n, sf), X(m, sf), X(a, sf))
            elif op in ("mul", "mneg"):
                text = "%s %s, %s, %s" % (op, X(d, sf), X(n, sf), X(m, sf))
            elif op in ("smaddl", "smsubl", "umaddl", "umsubl"):
                text = "%s %s, %s, %s, %s" % (op, X(d), X(n, False), X(m, False), X(a))
            elif op in ("smull", "umull", "smnegl", "umnegl"):
                text = "%s %s, %s, %s" % (op, X(d), X(n, False), X(m, False))
            else:
                text = "%s %s, %s, %s" % (op, X(d), X(n), X(m))
        else:
            op = r.choice(["crc32b", "crc32h", "crc32w", "crc32x", "crc32cb", "crc32ch", "crc32cw", "crc32cx"])
            text = "%s %s, %s, %s" % (op, X(d, False), X(n, False), X(m, op.endswith("x")))
        c = g.add(Case(g, text))
        c.sp_case = sp_case
        if kind == "div" and m != 31:
            k = r.randrange(10)
            if k < 2:
                c.regs[m] = r.choice([0, 0xffffffff00000000])        # divide by zero
            elif k < 4:                                               # INT_MIN / -1
                c.regs[m] = r.choice([MASK64, 0xffffffff, 0x12345678ffffffff])
                if n != 31:
                    c.regs[n] = 0x8000000000000000 if sf else r.choice([0x80000000, 0xabcdef0080000000])
            elif k < 6:
                c.regs[m] = r.randrange(-20, 21) & MASK64
        if kind in ("adc", "addsub_sh") and r.randrange(3) == 0 and n != 31 and m != 31:
            c.regs[m] = (c.regs[n] ^ MASK64) if r.randrange(2) else c.regs[n]


# Group: loads and stores ---------------------------------------------------------------

LDST_BUF = 128
BUFS_PAGE_OFFSET = 64   # the buffers start this far into a page (see emit)


def page_crossing_ea(g, size):
    """For the next case, if its buffer contains a page boundary, usually an address that makes
    an access of `size` bytes straddle it; else None."""
    if g.bufsize != LDST_BUF or size == 1 or g.rng.randrange(4) == 0:
        return None
    start = BUFS_PAGE_OFFSET + len(g.cases) * g.bufsize
    boundary = (start // 4096 + 1) * 4096
    if boundary >= start + g.bufsize:
        return None
    off = boundary - start
    return g.rng.randrange(off - size + 1, off)

# mnemonic, access size, is load, register width (True = X), signed
SINGLE = [("ldrb", 1, True, False), ("ldrh", 2, True, False), ("ldr", 4, True, False),
          ("ldr", 8, True, True), ("ldrsb", 1, True, False), ("ldrsb", 1, True, True),
          ("ldrsh", 2, True, False), ("ldrsh", 2, True, True), ("ldrsw", 4, True, True),
          ("strb", 1, False, False), ("strh", 2, False, False), ("str", 4, False, False),
          ("str", 8, False, True)]
PRFOPS = ["pldl1keep", "pldl1strm", "pldl2keep", "pldl2strm", "pldl3keep", "pldl3strm",
          "plil1keep", "plil2strm", "pstl1keep", "pstl2strm", "pstl3keep", "#0x1f", "#0x6", "#0x18"]


def unscaled(mn, mode):
    """ldr -> ldur / ldtr, strb -> sturb / sttrb ..."""
    return mn[:2] + ("u" if mode == "unscaled" else "t") + mn[2:]


def gen_ldst(g):
    r = g.rng
    B = g.bufsize
    for _ in range(900):
        kind = r.choice(["single"] * 6 + ["pair"] * 3 + ["literal", "prfm"])
        if kind == "single":
            mn, size, load, xw = r.choice(SINGLE)
            mode = r.choice(["uoff", "uoff", "unscaled", "pre", "post", "reg", "reg", "unpriv"])
            sp_case = r.randrange(8) == 0
            wb = mode in ("pre", "post")
            t = g.reg(zr=True, sp_case=sp_case)
            n = 31 if sp_case else g.reg(exclude=[t] if wb else [])
            m = g.reg(exclude=[n], sp_case=sp_case) if mode == "reg" else None
            if m is not None and r.randrange(10) == 0:
                m = 31
            if mode == "uoff":
                imm = r.choice([0, size, 4095 * size, r.randrange(4096) * size, r.randrange(16) * size])
            elif mode == "reg":
                imm = 0
            else:
                imm = r.choice([-256, 255, 0, r.randrange(-256, 256), r.randrange(-16, 16)])
            # effective address inside the buffer; SP bases must stay 16-byte aligned
            sub = 0 if mode == "post" else imm
            c = Case(g, "")
            ea = page_crossing_ea(g, size)
            if ea is None:
                ea = r.randrange(0, B - size + 1)
            if mode == "reg":
                ext = r.choice(["lsl", "lsl", "uxtw", "sxtw", "sxtx", "none"])
                amt = r.choice([0, size.bit_length() - 1]) if ext != "none" else 0
                mv = 0
                if m != 31:
                    mv = g.value()
                    if r.randrange(2):      # small (often negative) index, random upper half
                        mv = r.randrange(-64, 64) & MASK64
                        if ext in ("uxtw", "sxtw"):
                            mv = (mv & MASK32) | (g.value() & ~MASK32 & MASK64)
                    c.regs[m] = mv
                off = {"uxtw": mv & MASK32, "sxtw": sext(mv, 32) & MASK64}.get(ext, mv)
                sub = (off << amt) & MASK64
                if ext == "none":
                    suffix = ""
                elif ext == "lsl" or amt or r.randrange(2):
                    suffix = ", %s #%d" % (ext, amt)    # "#0" on byte accesses sets S
                else:
                    suffix = ", %s" % ext
                addr = "[%s, %s%s]" % (X(n, True, True), X(m, ext not in ("uxtw", "sxtw")), suffix)
                opname = mn
            else:
                opname = unscaled(mn, mode) if mode in ("unscaled", "unpriv") else mn
                if mode in ("uoff", "unscaled", "unpriv"):
                    addr = "[%s, #%d]" % (X(n, True, True), imm) if imm or r.randrange(2) else "[%s]" % X(n, True, True)
                elif mode == "pre":
                    addr = "[%s, #%d]!" % (X(n, True, True), imm)
                else:
                    addr = "[%s], #%d" % (X(n, True, True), imm)
            text = "%s %s, %s" % (opname, X(t, xw), addr)
            c.text, c.body = text, [text]
            if sp_case:
                ea = ea - ((ea - sub) % 16)     # SP bases stay 16-byte aligned
                if ea < 0:
                    ea += 16
                c.sp_case = True
                c.regs[27] = base_for(g, c, ea, sub)
            else:
                c.regs[n] = base_for(g, c, ea, sub)
            g.add(c)
        elif kind == "pair":
            which = r.choice(["ldp_x", "ldp_w", "stp_x", "stp_w", "ldpsw", "ldnp_x", "ldnp_w", "stnp_x", "stnp_w"])
            mn, w = which.split("_") if "_" in which else (which, "x")
            size = 4 if (w == "w" or mn == "ldpsw") else 8
            load = mn.startswith("ld")
            mode = "off" if "np" in mn else r.choice(["off", "pre", "post"])
            sp_case = r.randrange(8) == 0
            wb = mode != "off"
            t1, t2 = g.regs(2, zr=True, sp_case=sp_case)
            if not load and r.randrange(8) == 0:
                t2 = t1
            n = 31 if sp_case else g.reg(exclude=[t1, t2] if (wb or r.randrange(2)) else [])
            imm = r.choice([-64 * size, 63 * size, 0, r.randrange(-64, 64) * size, r.randrange(-4, 4) * size])
            sub = 0 if mode == "post" else imm
            ea = page_crossing_ea(g, 2 * size) if not sp_case else None
            if ea is None:
                ea = r.randrange(0, B - 2 * size + 1)
            if sp_case:
                ea = ea - ((ea - sub) % 16)
                if ea < 0:
                    ea += 16
            if mode == "off":
                addr = "[%s, #%d]" % (X(n, True, True), imm) if imm or r.randrange(2) else "[%s]" % X(n, True, True)
            elif mode == "pre":
                addr = "[%s, #%d]!" % (X(n, True, True), imm)
            else:
                addr = "[%s], #%d" % (X(n, True, True), imm)
            c = Case(g, "%s %s, %s, %s" % (mn, X(t1, w == "x"), X(t2, w == "x"), addr))
            if sp_case:
                c.sp_case = True
                c.regs[27] = base_for(g, c, ea, sub)
            else:
                c.regs[n] = base_for(g, c, ea, sub)
            g.add(c)
        elif kind == "literal":
            mn, xw = r.choice([("ldr", False), ("ldr", True), ("ldrsw", True), ("prfm", None)])
            t = g.reg(zr=True)
            c = Case(g, "")
            label = "lit_%d" % len(g.cases)
            if mn == "prfm":
                text = "prfm %s, %s" % (r.choice(PRFOPS), label)
            else:
                text = "%s %s, %s" % (mn, X(t, xw), label)
            c.text, c.body = text, [text]
            c.pool = (label, [".word 0x%08x" % r.getrandbits(32), ".word 0x%08x" % r.getrandbits(32)],
                      r.randrange(2) == 0)
            g.add(c)
        else:
            mode = r.choice(["uoff", "unscaled", "reg"])
            n = g.reg()
            c = Case(g, "")
            op = r.choice(PRFOPS)
            if mode == "uoff":
                imm = r.randrange(4096) * 8
                text = "prfm %s, [%s, #%d]" % (op, X(n, True, True), imm)
            elif mode == "unscaled":
                text = "prfum %s, [%s, #%d]" % (op, X(n, True, True), r.randrange(-256, 256))
            else:
                m = g.reg(exclude=[n])
                ext, xm = r.choice([("", True), (", lsl #3", True), (", uxtw", False), (", sxtw #3", False),
                                    (", sxtx", True), (", sxtx #3", True)])
                text = "prfm %s, [%s, %s%s]" % (op, X(n, True, True), X(m, xm), ext)
            c.text, c.body = text, [text]
            g.add(c)


# Group: branches ---------------------------------------------------------------------

def gen_branch(g):
    r = g.rng
    for _ in range(600):
        kind = r.choice(["bcond"] * 5 + ["cbz"] * 3 + ["tbz"] * 3 + ["b", "bl", "blr", "br", "ret", "nzcv"])
        c = Case(g, "")
        i = len(g.cases)
        fwd, back = "t_%d_f" % i, "t_%d_b" % i
        target = back if r.randrange(3) == 0 else fwd
        used = []
        if kind == "bcond":
            text = "b.%s %s" % (g.cond(), target)
        elif kind == "cbz":
            sf = r.randrange(2) == 1
            t = g.reg()
            used = [t]
            text = "%s %s, %s" % (r.choice(["cbz", "cbnz"]), X(t, sf), target)
            k = r.randrange(4)
            if k == 0:
                c.regs[t] = 0
            elif k == 1:
                c.regs[t] = r.choice([0xffffffff00000000, 0x100000000, 0x8000000000000000])
        elif kind == "tbz":
            sf = r.randrange(2) == 1
            t = g.reg()
            used = [t]
            bit = r.randrange(64 if sf else 32)
            text = "%s %s, #%d, %s" % (r.choice(["tbz", "tbnz"]), X(t, sf), bit, target)
        elif kind == "b":
            text = "b %s" % target
        elif kind == "bl":
            text = "bl %s" % target
            used = [30]
        elif kind in ("blr", "br", "ret"):
            t = 30 if (kind == "ret" and r.randrange(2)) or (kind == "blr" and r.randrange(6) == 0) else g.reg()
            used = [t, 30]
            text = "%s %s" % (kind, X(t)) if not (kind == "ret" and t == 30 and r.randrange(2)) else "ret"
            c.regs[t] = target
        else:  # MSR/MRS NZCV with arbitrary register bits
            t, u = g.regs(2)
            text = "msr nzcv, %s" % X(t) if r.randrange(3) else "mrs %s, nzcv" % X(u)
            c.text, c.body = text, [text]
            g.add(c)
            continue
        mk = g.reg(exclude=used)
        marker = X(mk)
        c.text = "%s  [marker %s: +1 fallthrough, +2 back, +3 fwd]" % (text, marker)
        c.body = ["b 9f",
                  "%s: add %s, %s, #2" % (back, marker, marker),
                  "b 8f",
                  "9: " + text,
                  "add %s, %s, #1" % (marker, marker),
                  "b 8f",
                  "%s: add %s, %s, #3" % (fwd, marker, marker),
                  "8:"]
        g.add(c)


# Group: exclusives, ordered and atomic accesses ---------------------------------------------

SIZES = [("b", 1), ("h", 2), ("", 4), ("", 8)]


def gen_atomic(g):
    r = g.rng
    B = g.bufsize
    for _ in range(700):
        kind = r.choice(["excl"] * 3 + ["exclp"] * 2 + ["clrex", "ordered"] + ["lse"] * 6 + ["swp"] * 2 +
                        ["cas"] * 4 + ["casp"] * 2)
        sp_case = r.randrange(12) == 0
        c = Case(g, "")
        if kind in ("excl", "clrex"):
            suf, size = r.choice(SIZES)
            acq, rel = r.choice([("ld", "st"), ("lda", "stl"), ("ld", "stl"), ("lda", "st")])
            t, s = g.regs(2, sp_case=sp_case)
            v = g.reg(exclude=[s], sp_case=sp_case, zr=True)
            n = 31 if sp_case else g.reg(exclude=[t, s, v])
            xw = size == 8
            ld = "%sxr%s %s, [%s]" % (acq, suf, X(t, xw), X(n, True, True))
            st = "%sxr%s %s, %s, [%s]" % (rel, suf, X(s, False), X(v, xw), X(n, True, True))
            body = [ld, "clrex", st] if kind == "clrex" else [ld, st]
            ea = r.randrange(0, B // size) * size
            text = "; ".join(body)
        elif kind == "exclp":
            xw = r.randrange(2) == 1
            size = 8 if xw else 4
            acq, rel = r.choice([("ld", "st"), ("lda", "stl")])
            t1, t2 = g.regs(2, sp_case=sp_case)
            s = g.reg(exclude=[t1, t2], sp_case=sp_case)
            v1, v2 = g.regs(2, exclude=[s], zr=True, sp_case=sp_case)
            n = 31 if sp_case else g.reg(exclude=[t1, t2, s, v1, v2])
            body = ["%sxp %s, %s, [%s]" % (acq, X(t1, xw), X(t2, xw), X(n, True, True)),
                    "%sxp %s, %s, %s, [%s]" % (rel, X(s, False), X(v1, xw), X(v2, xw), X(n, True, True))]
            ea = r.randrange(0, B // (2 * size)) * 2 * size
            text = "; ".join(body)
        elif kind == "ordered":
            suf, size = r.choice(SIZES)
            xw = size == 8
            t = g.reg(zr=True, sp_case=sp_case)
            n = 31 if sp_case else g.reg(exclude=[t])
            op = r.choice(["ldar", "stlr"])
            text = "%s%s %s, [%s]" % (op, suf, X(t, xw), X(n, True, True))
            body = [text]
            ea = r.randrange(0, B // size) * size
        elif kind in ("lse", "swp"):
            suf, size = r.choice(SIZES)
            xw = size == 8
            op = "swp" if kind == "swp" else r.choice(["ldadd", "ldclr", "ldeor", "ldset", "ldsmax",
                                                       "ldsmin", "ldumax", "ldumin"])
            order = r.choice(["", "a", "l", "al"])
            s = g.reg(zr=True, sp_case=sp_case)
            t = g.reg(zr=True, sp_case=sp_case)
            n = 31 if sp_case else g.reg(exclude=[s, t])
            if kind == "lse" and t == 31 and "a" not in order and r.randrange(2):
                text = "%s%s%s %s, [%s]" % (op.replace("ld", "st"), order, suf, X(s, xw), X(n, True, True))
            else:
                text = "%s%s%s %s, %s, [%s]" % (op, order, suf, X(s, xw), X(t, xw), X(n, True, True))
            body = [text]
            ea = r.randrange(0, B // size) * size
        elif kind == "cas":
            suf, size = r.choice(SIZES)
            xw = size == 8
            order = r.choice(["", "a", "l", "al"])
            s, t = g.regs(2, sp_case=sp_case)
            if r.randrange(8) == 0:
                t = 31
            n = 31 if sp_case else g.reg(exclude=[s, t])
            text = "cas%s%s %s, %s, [%s]" % (order, suf, X(s, xw), X(t, xw), X(n, True, True))
            body = [text]
            ea = r.randrange(0, B // size) * size
        else:  # casp
            xw = r.randrange(2) == 1
            size = 16 if xw else 8
            order = r.choice(["", "a", "l", "al"])
            evens = [i for i in range(0, 30, 2) if not (sp_case and i in (26, 28))]
            s, t = r.sample(evens, 2)
            n = 31 if sp_case else g.reg(exclude=[s, s + 1, t, t + 1])
            text = "casp%s %s, %s, %s, %s, [%s]" % (order, X(s, xw), X(s + 1, xw), X(t, xw), X(t + 1, xw),
                                                    X(n, True, True))
            body = [text]
            ea = r.randrange(0, B // size) * size
        if sp_case:
            ea = ea - ea % 16
        c.text, c.body = text, body
        c.sp_case = sp_case
        if sp_case:
            c.regs[27] = base_for(g, c, ea, 0)
        else:
            c.regs[n] = base_for(g, c, ea, 0)
        # compare values equal to memory half of the time
        if kind == "cas" and r.randrange(2):
            mem = int.from_bytes(c.buf[ea:ea + size], "little")
            c.regs[s] = (g.value() & ~((1 << (8 * size)) - 1) & MASK64) | mem
        if kind == "casp" and r.randrange(3):
            half = size // 2
            lo = int.from_bytes(c.buf[ea:ea + half], "little")
            hi = int.from_bytes(c.buf[ea + half:ea + size], "little")
            keep = ~((1 << (8 * half)) - 1) & MASK64
            c.regs[s] = (g.value() & keep) | lo
            c.regs[s + 1] = (g.value() & keep) | hi
            if r.randrange(4) == 0:     # only one half equal
                c.regs[s + r.randrange(2)] ^= 1 << r.randrange(8 * half)
        if kind in ("lse",) and r.randrange(4) == 0:   # min/max ties and sign boundaries
            mem = int.from_bytes(c.buf[ea:ea + size], "little")
            if s != 31:
                c.regs[s] = (g.value() & ~((1 << (8 * size)) - 1) & MASK64) | \
                    r.choice([mem, mem ^ (1 << (8 * size - 1))])
        g.add(c)


# Group: hints, barriers, EL0 system registers, cache maintenance -----------------------------

# HINT numbers without an architectural effect here. Left out: WFE/WFI/SEV/SEVL (2-5: they
# interact with the machine's event handling) and the pointer authentication hints (7-14,
# 24-31; QEMU's "max" CPU implements them, hvsim need not).
HINTS = [0, 1, 6, 16, 17, 18, 20, 32, 34, 36, 38]
BARRIER_OPTS = ["sy", "st", "ld", "ish", "ishst", "ishld", "nsh", "nshst", "nshld", "osh", "oshst", "oshld"]


def gen_sys(g):
    r = g.rng
    for _ in range(300):
        kind = r.choice(["hint", "barrier", "barrier", "tpidr", "tpidr", "nzcv", "cache", "cache"])
        c = Case(g, "")
        if kind == "hint":
            h = r.choice(HINTS + [r.randrange(64, 128)])
            body = [r.choice(["nop", "yield"])] if r.randrange(4) == 0 else ["hint #%d" % h]
        elif kind == "barrier":
            k = r.randrange(4)
            if k == 0:
                body = ["isb"] if r.randrange(2) else ["clrex"] if r.randrange(2) else ["clrex #%d" % r.randrange(16)]
            elif k == 1:
                body = ["%s #%d" % (r.choice(["dmb", "dsb"]), r.randrange(16))]
            else:
                body = ["%s %s" % (r.choice(["dmb", "dsb"]), r.choice(BARRIER_OPTS))]
        elif kind == "tpidr":
            t, u = g.regs(2, zr=True)
            if r.randrange(2):
                body = ["msr tpidr_el0, %s" % X(t), "mrs %s, tpidr_el0" % X(u)]
            else:
                body = ["msr tpidr_el0, %s" % X(t), "mov %s, #%d" % (X(t), r.randrange(65536)) if t != 31 else "nop",
                        "mrs %s, tpidr_el0" % X(t if t != 31 else u)]
        elif kind == "nzcv":
            t, u = g.regs(2, zr=True)
            body = ["msr nzcv, %s" % X(t)] if r.randrange(2) else ["mrs %s, nzcv" % X(u)]
            if r.randrange(3) == 0:
                body = ["msr nzcv, %s" % X(t), "mrs %s, nzcv" % X(u)]
        else:
            # Cache maintenance by VA, allowed at EL0 as Linux sets SCTLR_EL1.UCI
            # (DC ZVA is left out: its block size is IMPLEMENTATION DEFINED).
            n = g.reg()
            op = r.choice(["dc cvau", "dc cvac", "dc civac", "ic ivau"])
            body = ["%s, %s" % (op, X(n))]
            c.regs[n] = base_for(g, c, r.randrange(g.bufsize), 0)
        c.text, c.body = "; ".join(body), body
        g.add(c)

# Group: fused pairs ---------------------------------------------------------------------
# Adjacent pairs that hvsim's interpreter runs with one dispatch (Sources/Emu/Decode/
# Fusion.swift): each case is one pair, its operands random, the second often reading
# what the first wrote. A pair's first instruction is a branch target (9:), so it runs
# first and the pair is decoded fused.

def fused_alu(g, op, d, n, m, a):
    """Assembler text for one instruction that decodes to `op`, with registers d, n, m, a."""
    r = g.rng
    xd, xn, xm, xa = X(d), X(n), X(m), X(a)
    wd, wn, wm = X(d, False), X(n, False), X(m, False)
    sh = lambda top: "" if r.randrange(3) == 0 else ", %s #%d" % (r.choice(["lsl", "lsr", "asr"]), r.randrange(1, top))
    imm12 = lambda: "#%d" % r.randrange(4096) + (", lsl #12" if r.randrange(4) == 0 else "")
    if op == "sbfm64":
        return r.choice(["sxtw %s, %s" % (xd, wn), "asr %s, %s, #%d" % (xd, xn, r.randrange(1, 64)),
                         "sbfx %s, %s, #%d, #%d" % (xd, xn, r.randrange(32), r.randrange(1, 33))])
    if op == "ubfm64":
        return r.choice(["lsr %s, %s, #%d" % (xd, xn, r.randrange(1, 64)), "lsl %s, %s, #%d" % (xd, xn, r.randrange(1, 64)),
                         "ubfx %s, %s, #%d, #%d" % (xd, xn, r.randrange(32), r.randrange(1, 33))])
    if op == "andImm64":
        return "and %s, %s, #0x%x" % (xd, xn, bitmask_imm(g, 64))
    if op == "andsImm64":
        return r.choice(["ands %s, %s, #0x%x" % (xd, xn, bitmask_imm(g, 64)), "tst %s, #0x%x" % (xn, bitmask_imm(g, 64))])
    if op == "madd64":
        return r.choice(["mul %s, %s, %s" % (xd, xn, xm), "madd %s, %s, %s, %s" % (xd, xn, xm, xa)])
    if op == "addEx64":
        ext = r.choice(["uxtw", "sxtw", "uxtb", "sxth"])
        return "add %s, %s, %s, %s #%d" % (xd, xn, wm, ext, r.randrange(5))
    if op in ("addR64", "subR64", "addR32"):
        mn = "sub" if op == "subR64" else "add"
        return "%s %s, %s, %s" % (mn, wd if op == "addR32" else xd, wn if op == "addR32" else xn, wm if op == "addR32" else xm)
    if op == "addSh64":
        return "add %s, %s, %s, %s #%d" % (xd, xn, xm, r.choice(["lsl", "lsr", "asr"]), r.randrange(1, 64))
    if op == "addsSh64":
        return "adds %s, %s, %s, %s #%d" % (xd, xn, xm, r.choice(["lsl", "lsr", "asr"]), r.randrange(1, 64))
    if op == "subsR64":
        return r.choice(["subs %s, %s, %s" % (xd, xn, xm), "cmp %s, %s" % (xn, xm)])
    if op == "subsR32":
        return r.choice(["subs %s, %s, %s" % (wd, wn, wm), "cmp %s, %s" % (wn, wm)])
    if op in ("csel64", "csinc64"):
        if op == "csinc64" and r.randrange(2):
            return r.choice(["cinc %s, %s, %s" % (xd, xn, r.choice(CONDS[:14])),
                             "cset %s, %s" % (xd, r.choice(CONDS[:14]))])
        return "%s %s, %s, %s, %s" % (op[:-2], xd, xn, xm, g.cond())
    if op == "mov64":
        return "mov %s, %s" % (xd, xm)
    if op == "movImm":
        return r.choice(["mov %s, #%d" % (xd, r.randrange(65536)), "mov %s, #-%d" % (xd, r.randrange(1, 65536)),
                         "movz %s, #%d, lsl #%d" % (xd, r.randrange(65536), r.choice([16, 32, 48]))])
    if op == "addImm64":
        return "add %s, %s, %s" % (xd, xn, imm12())
    if op == "nop":
        return "nop"        # (Linux's PACIASP and AUTIASP are NOPs here, but QEMU's -cpu max has PAuth)
    if op in ("eor32", "orr32", "and32"):
        return "%s %s, %s, %s%s" % (op[:-2], wd, wn, wm, sh(32) if r.randrange(2) else
                                    ("" if r.randrange(2) else ", ror #%d" % r.randrange(1, 32)))
    if op == "extr32":
        return r.choice(["ror %s, %s, #%d" % (wd, wn, r.randrange(32)), "extr %s, %s, %s, #%d" % (wd, wn, wm, r.randrange(32))])
    if op == "addsImm32":
        return r.choice(["adds %s, %s, %s" % (wd, wn, imm12()), "cmn %s, %s" % (wn, imm12())])
    if op == "subsImm32":
        return r.choice(["subs %s, %s, %s" % (wd, wn, imm12()), "cmp %s, %s" % (wn, imm12())])
    if op == "subsImm64":
        return r.choice(["subs %s, %s, %s" % (xd, xn, imm12()), "cmp %s, %s" % (xn, imm12())])
    if op in ("ccmp32", "ccmp64"):
        rn, rm = (wn, wm) if op == "ccmp32" else (xn, xm)
        b = rm if r.randrange(2) else "#%d" % r.randrange(32)
        return "ccmp %s, %s, #%d, %s" % (rn, b, r.randrange(16), g.cond())
    raise ValueError(op)


FUSED_MEMORY = {"ldrxReg": (8, "reg"), "strxReg": (8, "reg"), "ldrxOff": (8, "off"), "ldrwOff": (4, "off"),
                "ldp64": (16, "pair"), "stp64": (16, "pair")}


def fused_memory(g, c, op, t, n, m):
    """Assembler text for a load or store `op` of register t at base n (index m) into the
    case's buffer; sets the base and index registers' initial values."""
    r = g.rng
    size, mode = FUSED_MEMORY[op]
    ea = r.randrange(0, (g.bufsize - size) // size + 1) * size
    reg = X(t, size == 8)
    mn = "str" if op.startswith("st") else "ldr"
    if mode == "pair":                              # t and t+1 (mod 31) are the pair's registers
        mode2 = r.choice(["off", "pre", "post"])
        imm = r.randrange(-2, 3) * 8
        ea = r.randrange(2, (g.bufsize - 16) // 8 - 1) * 8
        c.regs[n] = base_for(g, c, ea, 0 if mode2 == "post" else imm)
        t2 = m
        addr = {"off": "[%s, #%d]", "pre": "[%s, #%d]!", "post": "[%s], #%d"}[mode2] % (X(n), imm)
        return "%sp %s, %s, %s" % (mn[:2], X(t), X(t2), addr)
    if mode == "reg":
        index = r.randrange(-4, 5)
        c.regs[m] = index & MASK64
        c.regs[n] = base_for(g, c, ea, (index * 8) & MASK64)
        return "%s %s, [%s, %s, lsl #3]" % (mn, reg, X(n), X(m))
    imm = r.randrange(0, 8) * size
    c.regs[n] = base_for(g, c, ea, imm)
    return "%s %s, [%s, #%d]" % (mn, reg, X(n), imm)


FUSED_PAIRS = [("sbfm64", "subR64"), ("ldrxReg", "ldrxReg"), ("andImm64", "ubfm64"), ("madd64", "madd64"),
               ("addEx64", "addSh64"), ("addR64", "subsR64"), ("addSh64", "csel64"), ("subsR64", "ubfm64"),
               ("ubfm64", "subsR64"), ("csinc64", "subsR64"), ("csinc64", "addR64"), ("csinc64", "addsSh64"),
               ("addsSh64", "strxReg"), ("mov64", "mov64"), ("ldrwOff", "ldrwOff"), ("ldrxOff", "ldrxOff"),
               ("mov64", "nop"), ("nop", "nop"), ("nop", "stp64"), ("stp64", "addImm64"), ("addImm64", "stp64"),
               ("stp64", "stp64"), ("stp64", "mov64"), ("ldp64", "ldp64"), ("ldp64", "nop"), ("nop", "ret"),
               ("mov64", "movImm"), ("movImm", "nop")] + \
              [(a, b) for a in ("addR32", "eor32", "extr32", "orr32", "and32")
                      for b in ("addR32", "eor32", "extr32", "orr32", "and32")] + \
              [(a, "bcond") for a in ("addsImm32", "subsR64", "subsImm32", "subsR32", "subsImm64", "andsImm64",
                                      "ccmp32", "ccmp64")]


def gen_fused(g):
    r = g.rng
    for rep in range(8):
        for first, second in FUSED_PAIRS:
            c = Case(g, "")
            i = len(g.cases)
            d1, n1, m1, a1, d2, n2, m2, a2 = g.regs(8)
            if second != "bcond" and rep % 2 == 0:       # the second reads what the first wrote
                if second in FUSED_MEMORY:
                    d1 = d2                                   # the value stored, or a load's register
                else:
                    n2 = d1
            if first in FUSED_MEMORY:
                one = fused_memory(g, c, first, d1, n1, m1)
            else:
                one = fused_alu(g, first, d1, n1, m1, a1)
            if second == "ret":
                mk = d2
                c.regs[n2] = "t_%d_f" % i
                two = "ret %s" % X(n2)
                c.text = "%s; %s  [marker %s: +1 fallthrough, +3 target]" % (one, two, X(mk))
                c.body = ["b 9f", "9: " + one, two, "add %s, %s, #1" % (X(mk), X(mk)),
                          "t_%d_f: add %s, %s, #3" % (i, X(mk), X(mk))]
            elif second == "bcond":
                mk = d2
                fwd, back = "t_%d_f" % i, "t_%d_b" % i
                two = "b.%s %s" % (g.cond(), back if r.randrange(3) == 0 else fwd)
                c.text = "%s; %s  [marker %s: +1 fallthrough, +2 back, +3 fwd]" % (one, two, X(mk))
                c.body = ["b 9f", "%s: add %s, %s, #2" % (back, X(mk), X(mk)), "b 8f",
                          "9: " + one, two, "add %s, %s, #1" % (X(mk), X(mk)), "b 8f",
                          "%s: add %s, %s, #3" % (fwd, X(mk), X(mk)), "8:"]
            else:
                if second in FUSED_MEMORY:
                    two = fused_memory(g, c, second, d2, n2, m2)
                else:
                    two = fused_alu(g, second, d2, n2, m2, a2)
                c.text = "%s; %s" % (one, two)
                c.body = ["b 9f", "9: " + one, two]
            g.add(c)


GROUPS = {
    "dp_imm": (gen_dp_imm, 0),
    "dp_reg": (gen_dp_reg, 0),
    "ldst": (gen_ldst, LDST_BUF),
    "branch": (gen_branch, 0),
    "atomic": (gen_atomic, 64),
    "sys": (gen_sys, 64),
    "fused": (gen_fused, 64),
}

import gen_fp   # noqa: E402  FP/SIMD groups: records with V0..V31, FPSR, FPCR (see gen_fp.py)
GROUPS.update(gen_fp.groups(sys.modules[__name__]))


# Emission -------------------------------------------------------------------------------

def quad(v):
    return ".quad %s" % (v if isinstance(v, str) else "0x%016x" % v)


def emit(g, out):
    rec = getattr(g, "record", RECORD)     # FP/SIMD groups: gen_fp.FP_RECORD
    fp = rec != RECORD
    lines = ["// Generated by images/difftest/gen.py (group %s, %d cases). Do not edit." % (g.name, len(g.cases)),
             "\t.text", "\t.balign 4"]
    before = [c for c in g.cases if c.pool and c.pool[2]]
    after = [c for c in g.cases if c.pool and not c.pool[2]]
    for c in before:
        lines.append("%s:" % c.pool[0])
        lines += ["\t" + l for l in c.pool[1]]
    lines += ["\t.globl _start", "_start:"]
    for c in g.cases:
        i = c.index
        lines.append("// case %d: %s" % (i, c.text))
        lines.append("c_%d:" % i)
        lines += ["\tadrp x30, init_tab+%d" % (i * rec),
                  "\tadd x30, x30, :lo12:init_tab+%d" % (i * rec),
                  "\tadrp x29, records+%d" % (i * rec),
                  "\tadd x29, x29, :lo12:records+%d" % (i * rec),
                  "\tmov sp, x29"]
        if fp:
            lines += ["\tldp q%d, q%d, [x30, #%d]" % (k, k + 1, 256 + 16 * k) for k in range(0, 32, 2)]
            lines += ["\tldr x29, [x30, #768]", "\tmsr fpsr, x29", "\tldr x29, [x30, #776]", "\tmsr fpcr, x29"]
        lines += ["\tldr x29, [x30, #248]",
                  "\tmsr nzcv, x29"]
        for k in range(0, 30, 2):
            lines.append("\tldp x%d, x%d, [x30, #%d]" % (k, k + 1, 8 * k))
        lines.append("\tldr x30, [x30, #240]")
        if c.sp_case:
            lines.append("\tmov sp, x27")
        for b in c.body:
            lines.append("\t" + b)
        if c.sp_case:
            lines += ["\tmov x27, sp",
                      "\tadrp x28, records+%d" % (i * rec),
                      "\tadd x28, x28, :lo12:records+%d" % (i * rec),
                      "\tmov sp, x28"]
        for k in range(0, 30, 2):
            lines.append("\tstp x%d, x%d, [sp, #%d]" % (k, k + 1, 8 * k))
        lines += ["\tstr x30, [sp, #240]", "\tmrs x0, nzcv", "\tstr x0, [sp, #248]"]
        if fp:
            lines += ["\tstp q%d, q%d, [sp, #%d]" % (k, k + 1, 256 + 16 * k) for k in range(0, 32, 2)]
            lines += ["\tmrs x0, fpsr", "\tstr x0, [sp, #768]", "\tmrs x0, fpcr", "\tstr x0, [sp, #776]"]
    lines += ["// end of cases: write(1, out_start, out_end - out_start) and exit(0)",
              "c_end:",
              "\tadrp x1, out_start", "\tadd x1, x1, :lo12:out_start",
              "\tadrp x2, out_end", "\tadd x2, x2, :lo12:out_end",
              "\tsub x2, x2, x1",
              "1:\tmov x0, #1", "\tmov x8, #64", "\tsvc #0",
              "\tcmp x0, #0", "\tb.le 2f",
              "\tadd x1, x1, x0", "\tsubs x2, x2, x0", "\tb.ne 1b",
              "\tmov x0, #0", "\tmov x8, #93", "\tsvc #0",
              "2:\tmov x0, #1", "\tmov x8, #93", "\tsvc #0"]
    for c in after:
        lines.append("%s:" % c.pool[0])
        lines += ["\t" + l for l in c.pool[1]]
    lines += ["", "\t.data", "\t.balign 16", "init_tab:"]
    for c in g.cases:
        vals = list(c.regs) + [c.nzcv]
        if fp:
            vals += [h >> s & MASK64 for h in c.vregs for s in (0, 64)] + [c.fpsr, c.fpcr]
        for v in vals:
            lines.append("\t" + quad(v))
    # Place the buffers at 64 bytes past a page boundary, so that in every group of 32
    # 128-byte buffers the last one straddles a page boundary at its offset 64
    # (PAGE_CROSS_CASE/PAGE_CROSS_OFF; gen_ldst aims accesses across it).
    pad = (BUFS_PAGE_OFFSET - 32 - len(g.cases) * rec) % 4096
    lines += ["\t.balign 4096", "\t.space %d" % pad, "out_start:", '\t.ascii "%s"' % ("HVDIFF02" if fp else "HVDIFF01"),
              "\t.quad %d, %d, %d" % (len(g.cases), rec, g.bufsize),
              "\t.balign 16", "records:", "\t.space %d" % (len(g.cases) * rec), "bufs:"]
    if g.bufsize:
        for c in g.cases:
            for k in range(0, g.bufsize, 16):
                lines.append("\t.byte " + ",".join("0x%02x" % b for b in c.buf[k:k + 16]))
    lines += ["out_end:", ""]
    with open(os.path.join(out, "case_%s.S" % g.name), "w") as f:
        f.write("\n".join(lines))
    with open(os.path.join(out, "case_%s.txt" % g.name), "w") as f:
        for c in g.cases:
            f.write("%d\t%s\n" % (c.index, c.text))


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    if argv[1] == "--list":
        print(" ".join(GROUPS))
        return 0
    out = argv[1]
    names = argv[2:] or list(GROUPS)
    os.makedirs(out, exist_ok=True)
    for name in names:
        if name not in GROUPS:
            print("gen.py: unknown group %s (known: %s)" % (name, " ".join(GROUPS)), file=sys.stderr)
            return 2
        fn, bufsize = GROUPS[name]
        g = Group(name, bufsize)
        fn(g)
        emit(g, out)
        print("%s: %d cases" % (name, len(g.cases)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
