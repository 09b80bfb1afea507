#!/usr/bin/env python3
"""Linux boot benchmark: Debian's arm64 kernel and the busybox initramfs booted to the
marker line and powered off (`hvsim.poweroff` on the command line makes /init power off
right after printing it), on hvsim and on qemu-system-aarch64 TCG, side by side.

Runs are interleaved (hvsim, QEMU, hvsim, ...) and the best of each is compared,
because the machines are noisy. The last line is the contract:
    ratio hvsim/qemu <hvsim time / QEMU time, start to power-off>
"""
import sys
from pathlib import Path

from benchlib import interleave, times

ROOT = Path(__file__).resolve().parent.parent
HVSIM = ROOT / ".build/release/hvsim"
LINUX = ROOT / "images/cache/linux"
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 3
MARKER = "HVSIM-LINUX-READY"
APPEND = "console=ttyAMA0 hvsim.poweroff"



def main():
    kernel, initrd = LINUX / "Image", LINUX / "initramfs.cpio.gz"
    for f in (kernel, initrd):
        if not f.exists():
            sys.exit(f"{f} is missing: run `make images` (images/build-linux.sh)")
    hv_cmd = [HVSIM, "run", "--kernel", kernel, "--initrd", initrd, "--append", APPEND,
              "--ram", "1G", "--stats"]
    qemu_cmd = ["qemu-system-aarch64", "-M", "virt,gic-version=3", "-cpu", "cortex-a57", "-m", "1024",
                "-nographic", "-nic", "none", "-kernel", kernel, "-initrd", initrd, "-append", APPEND]
    hv_times, qemu_times, insns = interleave(hv_cmd, qemu_cmd, RUNS, MARKER)
    hv, qemu = min(hv_times), min(qemu_times)
    print("linux: Debian 12 arm64 kernel + busybox initramfs, boot to the marker and power off (1 CPU, 1 GiB)")
    print(f"  hvsim  best {hv:.3f} s of {times(hv_times)}"
          f"  ({insns / 1e6:.0f} M instructions, {insns / hv / 1e6:.0f} M instructions/s)")
    print(f"  qemu   best {qemu:.3f} s of {times(qemu_times)}"
          f"  (qemu-system-aarch64 -M virt,gic-version=3 -cpu cortex-a57 -m 1024, TCG)")
    print(f"ratio hvsim/qemu {hv / qemu:.2f}")


if __name__ == "__main__":
    main()
