#!/usr/bin/env python3
"""Linux boot benchmark: Debian's arm64 kernel and the busybox initramfs booted to the
marker line and powered off (`hvsim.poweroff` on the command line makes /init power off
right after printing it), on hvsim and on qemu-system-aarch64 TCG, side by side.

Runs are interleaved (hvsim, QEMU, hvsim, ...) and the best of each is compared,
because the machines are noisy. The last line is the contract:
    ratio hvsim/qemu <hvsim time / QEMU time, start to power-off>
"""
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HVSIM = ROOT / ".build/release/hvsim"
LINUX = ROOT / "images/cache/linux"
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 3
MARKER = "HVSIM-LINUX-READY"
APPEND = "console=ttyAMA0 hvsim.poweroff"


def timed(cmd):
    start = time.perf_counter()
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, errors="replace", timeout=600)
    elapsed = time.perf_counter() - start
    if p.returncode != 0 or MARKER not in p.stdout:
        sys.exit(f"boot failed ({p.returncode}): {' '.join(map(str, cmd))}\n{p.stdout[-3000:]}{p.stderr[-2000:]}")
    return elapsed, p.stdout + p.stderr


def main():
    kernel, initrd = LINUX / "Image", LINUX / "initramfs.cpio.gz"
    for f in (kernel, initrd):
        if not f.exists():
            sys.exit(f"{f} is missing: run `make images` (images/build-linux.sh)")
    hv_cmd = [HVSIM, "run", "--kernel", kernel, "--initrd", initrd, "--append", APPEND,
              "--ram", "1G", "--stats"]
    qemu_cmd = ["qemu-system-aarch64", "-M", "virt,gic-version=3", "-cpu", "cortex-a57", "-m", "1024",
                "-nographic", "-kernel", kernel, "-initrd", initrd, "-append", APPEND]
    hv_times, qemu_times, insns = [], [], 0
    for _ in range(RUNS):
        t, out = timed(hv_cmd)
        hv_times.append(t)
        m = re.search(r"hvsim: (\d+) instructions", out)
        insns = int(m.group(1)) if m else 0
        t, _ = timed(qemu_cmd)
        qemu_times.append(t)
    hv, qemu = min(hv_times), min(qemu_times)
    print("linux: Debian 12 arm64 kernel + busybox initramfs, boot to the marker and power off (1 CPU, 1 GiB)")
    print(f"  hvsim  best {hv:.3f} s of {' '.join(f'{t:.3f}' for t in hv_times)}"
          f"  ({insns / 1e6:.0f} M instructions, {insns / hv / 1e6:.0f} M instructions/s)")
    print(f"  qemu   best {qemu:.3f} s of {' '.join(f'{t:.3f}' for t in qemu_times)}"
          f"  (qemu-system-aarch64 -M virt,gic-version=3 -cpu cortex-a57 -m 1024, TCG)")
    print(f"ratio hvsim/qemu {hv / qemu:.2f}")


if __name__ == "__main__":
    main()
