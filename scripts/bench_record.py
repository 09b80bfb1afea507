#!/usr/bin/env python3
"""Recording overhead: the Linux boot to the marker and power-off (as make bench-linux), run
plainly and under `hvsim record`, interleaved, best of each. The last line is the contract:
    ratio record/plain <recording time / plain time>
"""
import os
import sys
import tempfile
from pathlib import Path

from benchlib import timed, times

ROOT = Path(__file__).resolve().parent.parent
HVSIM = ROOT / ".build/release/hvsim"
LINUX = ROOT / "images/cache/linux"
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 3
MARKER = "HVSIM-LINUX-READY"


def main():
    kernel, initrd = LINUX / "Image", LINUX / "initramfs.cpio.gz"
    for f in (kernel, initrd):
        if not f.exists():
            sys.exit(f"{f} is missing: run `make images` (images/build-linux.sh)")
    run = ["--kernel", kernel, "--initrd", initrd, "--append", "console=ttyAMA0 hvsim.poweroff", "--ram", "1G"]
    log = Path(tempfile.gettempdir()) / f"hvsim-bench-{os.getpid()}.hvrec"
    plain, record = [], []
    for _ in range(RUNS):
        plain.append(timed([HVSIM, "run"] + run, MARKER)[0])
        record.append(timed([HVSIM, "record", "-o", log] + run, MARKER)[0])
    size = log.stat().st_size
    log.unlink()
    print("record: the Linux boot to the marker and power-off, plain and recorded (1 CPU, 1 GiB)")
    print(f"  plain   best {min(plain):.3f} s of {times(plain)}")
    print(f"  record  best {min(record):.3f} s of {times(record)}  (log {size} bytes)")
    print(f"ratio record/plain {min(record) / min(plain):.3f}")


if __name__ == "__main__":
    main()
