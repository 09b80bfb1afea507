"""What the benchmark scripts share: timing a command and interleaving hvsim with QEMU.

Runs are interleaved (hvsim, QEMU, hvsim, ...) and the best of each is compared, because
the machines are noisy."""
import re
import subprocess
import sys
import time


def timed(cmd, expect):
    """Runs cmd; exits with its output unless it succeeds and prints `expect`."""
    start = time.perf_counter()
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, errors="replace", timeout=600)
    elapsed = time.perf_counter() - start
    if p.returncode != 0 or expect not in p.stdout:
        sys.exit(f"benchmark run failed ({p.returncode}): {' '.join(map(str, cmd))}\n"
                 f"{p.stdout[-3000:]}{p.stderr[-2000:]}")
    return elapsed, p.stdout + p.stderr


def interleave(hv_cmd, qemu_cmd, runs, expect):
    """Times both commands `runs` times each, alternating; returns (hvsim times, QEMU times,
    guest instructions hvsim reported with --stats)."""
    hv_times, qemu_times, insns = [], [], 0
    for _ in range(runs):
        t, out = timed(hv_cmd, expect)
        hv_times.append(t)
        m = re.search(r"hvsim: (\d+) instructions", out)
        insns = int(m.group(1)) if m else 0
        t, _ = timed(qemu_cmd, expect)
        qemu_times.append(t)
    return hv_times, qemu_times, insns


def times(ts):
    return " ".join(f"{t:.3f}" for t in ts)
