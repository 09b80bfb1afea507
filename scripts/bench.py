#!/usr/bin/env python3
"""CPU benchmark: the same bare-metal guests on hvsim and on QEMU TCG, side by side.

Runs are interleaved (hvsim, QEMU, hvsim, ...) and the best of each is compared,
because the machines are noisy. QEMU gets the hardware hvsim has: no NIC (-nic none).
Each guest's ratio is printed; the last line is the contract, their geometric mean:
    ratio hvsim/qemu <geometric mean of hvsim time / QEMU time over the guests>
"""
import math
import sys
from pathlib import Path

from benchlib import interleave, times

ROOT = Path(__file__).resolve().parent.parent
HVSIM = ROOT / ".build/release/hvsim"
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 3
GUESTS = [("hash", "integer + memory hash over a 64 KiB buffer"),
          ("lz", "branchy byte-oriented LZ77 compress/decompress"),
          ("mpi", "multi-precision multiply-subtract: the loop that takes half of a Linux boot")]



def main():
    results = {}
    for name, what in GUESTS:
        elf = ROOT / f"images/cache/bench/{name}.elf"
        if not elf.exists():
            sys.exit(f"{elf} is missing: run `make images`")
        hv_cmd = [HVSIM, "run", "--el", "2", "--semihosting", "--stats", "--kernel", elf]
        qemu_cmd = ["qemu-system-aarch64", "-M", "virt,virtualization=on", "-cpu", "cortex-a57", "-m", "128M",
                    "-nographic", "-nic", "none", "-semihosting", "-kernel", elf]
        hv_times, qemu_times, insns = interleave(hv_cmd, qemu_cmd, RUNS, "PASS")
        hv, qemu = min(hv_times), min(qemu_times)
        results[name] = hv / qemu
        print(f"{name}: {what}")
        print(f"  hvsim  best {hv:.3f} s of {times(hv_times)}"
              f"  ({insns / 1e6:.0f} M instructions, {insns / hv / 1e6:.0f} M instructions/s)")
        print(f"  qemu   best {qemu:.3f} s of {times(qemu_times)}"
              f"  (qemu-system-aarch64 -M virt,virtualization=on -cpu cortex-a57, TCG)")
        print(f"  {name} ratio hvsim/qemu {hv / qemu:.2f}")
    mean = math.exp(sum(math.log(r) for r in results.values()) / len(results))
    print(f"geometric mean of {', '.join(results)}:")
    print(f"ratio hvsim/qemu {mean:.2f}")


if __name__ == "__main__":
    main()
