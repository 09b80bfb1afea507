#!/usr/bin/env python3
"""Build the hvsim Linux initramfs: a gzip'd newc cpio with busybox, /init and
the kernel modules asked for plus their dependencies, in load order.

  mkinitramfs.py --moddir DIR --busybox FILE --init FILE --out FILE.cpio.gz MODULE...

MODULE is a module name (virtio_blk, virtio-rng, ext4). Dependencies come from
each module's .modinfo section (`depends=` and `softdep=pre:`), because Debian's
package ships no modules.dep (depmod runs at install time). Compressed modules
(.ko.xz, .ko.gz, .ko.zst) are stored decompressed so busybox insmod can load
them. The archive is reproducible: fixed owners, mtimes and inode numbers.
"""
import argparse
import gzip
import lzma
import os
import struct
import subprocess
import sys


def read_module(path):
    """Module bytes, decompressed if the file is compressed."""
    data = open(path, "rb").read()
    if path.endswith(".xz"):
        return lzma.decompress(data)
    if path.endswith(".gz"):
        return gzip.decompress(data)
    if path.endswith(".zst"):  # no zstd in Python's standard library
        return subprocess.run(["zstd", "-dc", path], check=True, capture_output=True).stdout
    return data


def modinfo(elf):
    """key=value pairs of an ELF64 little-endian module's .modinfo section."""
    if elf[:4] != b"\x7fELF" or elf[4] != 2 or elf[5] != 1:
        raise ValueError("not an ELF64 little-endian object")
    shoff, = struct.unpack_from("<Q", elf, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", elf, 0x3A)

    def section(i):  # (name offset, file offset, size)
        f = struct.unpack_from("<IIQQQQ", elf, shoff + i * shentsize)
        return f[0], f[4], f[5]

    _, stroff, _ = section(shstrndx)
    info = []
    for i in range(shnum):
        name, off, size = section(i)
        if elf[stroff + name:elf.index(b"\0", stroff + name)] == b".modinfo":
            for entry in elf[off:off + size].split(b"\0"):
                if b"=" in entry:
                    k, v = entry.decode(errors="replace").split("=", 1)
                    info.append((k, v))
    return info


def canon(name):
    return name.replace("-", "_")


class Module:
    def __init__(self, path):
        self.path = path
        self.data = read_module(path)
        base = os.path.basename(path)
        self.name = canon(base[:base.index(".ko")])
        info = modinfo(self.data)
        self.aliases = {v for k, v in info if k == "alias"}
        self.depends = [d for k, v in info if k == "depends" for d in v.split(",") if d]
        self.pre = []
        for k, v in info:  # softdep=pre: a b post: c
            if k == "softdep":
                words, part = v.split(), None
                for w in words:
                    if w.endswith(":"):
                        part = w[:-1]
                    elif part == "pre":
                        self.pre.append(w)


def index(moddir):
    """Module name -> path for every .ko* under moddir (parsed only when needed)."""
    paths = {}
    for root, _, files in os.walk(moddir):
        for f in files:
            if ".ko" in f:
                paths[canon(f[:f.index(".ko")])] = os.path.join(root, f)
    return paths


def resolve(moddir, wanted):
    """Modules in load order (dependencies first)."""
    paths = index(moddir)
    builtin = set()
    try:
        for line in open(os.path.join(moddir, "modules.builtin")):
            builtin.add(canon(os.path.basename(line.strip()).split(".ko")[0]))
    except FileNotFoundError:
        pass
    loaded = {}

    def load(name):
        if name not in loaded:
            loaded[name] = Module(paths[name])
        return loaded[name]

    alias_map = None

    def by_alias(alias):
        nonlocal alias_map
        if alias_map is None:  # parse every module once, only for softdep aliases
            alias_map = {}
            for n in sorted(paths):
                for a in load(n).aliases:
                    alias_map.setdefault(a, n)
        return alias_map.get(alias)

    order, state = [], {}

    def visit(wanted, required):
        name = canon(wanted)
        if name in builtin:
            if required:
                print(f"mkinitramfs: {name} is built in", file=sys.stderr)
            return
        if name not in paths:
            found = by_alias(wanted)  # e.g. softdep "crypto-crc32c"
            if found is None:
                if required:
                    sys.exit(f"mkinitramfs: no module {wanted} in {moddir}")
                return  # a soft dependency that this kernel builds in or lacks
            name = found
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            sys.exit(f"mkinitramfs: dependency cycle at {name}")
        state[name] = "visiting"
        m = load(name)
        for d in m.pre:
            visit(d, False)
        for d in m.depends:
            visit(d, True)
        state[name] = "done"
        order.append(m)

    for w in wanted:
        visit(w, True)
    return order


class Cpio:
    """newc writer: 110-byte ASCII header, name and data padded to 4 bytes."""

    def __init__(self):
        self.out = bytearray()
        self.ino = 0

    def add(self, name, mode, data=b"", rdev=(0, 0)):
        self.ino += 1
        nlink = 2 if mode & 0o170000 == 0o040000 else 1
        fields = (self.ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1],
                  len(name) + 1, 0)
        self.out += b"070701" + b"".join(b"%08X" % f for f in fields)
        self.out += name.encode() + b"\0"
        self.out += b"\0" * (-len(self.out) % 4)
        self.out += data
        self.out += b"\0" * (-len(self.out) % 4)

    def dir(self, name):
        self.add(name, 0o040755)

    def file(self, name, data, perm=0o644):
        self.add(name, 0o100000 | perm, data)

    def symlink(self, name, target):
        self.add(name, 0o120777, target.encode())

    def finish(self):
        self.add("TRAILER!!!", 0)
        return bytes(self.out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moddir", required=True, help="lib/modules/<version> of the kernel package")
    ap.add_argument("--busybox", required=True)
    ap.add_argument("--init", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("modules", nargs="*")
    a = ap.parse_args()

    mods = resolve(a.moddir, a.modules)
    c = Cpio()
    for d in ["bin", "dev", "etc", "lib", "lib/modules", "mnt", "proc", "root", "sbin",
              "sys", "tmp", "usr", "usr/bin", "usr/sbin"]:
        c.dir(d)
    # The kernel opens /dev/console for init's stdio before init can mount devtmpfs.
    c.add("dev/console", 0o020600, rdev=(5, 1))
    c.file("bin/busybox", open(a.busybox, "rb").read(), 0o755)
    c.symlink("bin/sh", "busybox")  # for /init's #!/bin/sh; init installs the other applets
    c.file("init", open(a.init, "rb").read(), 0o755)
    for m in mods:
        c.file(f"lib/modules/{m.name}.ko", m.data)
    c.file("lib/modules/load-order", "".join(f"{m.name}.ko\n" for m in mods).encode())

    tmp = a.out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(gzip.compress(c.finish(), compresslevel=9, mtime=0))
    os.replace(tmp, a.out)
    print("initramfs modules in load order: " + " ".join(m.name for m in mods))


if __name__ == "__main__":
    main()
