#!/usr/bin/env python3
"""Xen benchmark (`make bench-xen`): one dom0less Linux domU (Debian's arm64 kernel and the
busybox initramfs, 1 vCPU, 384 MiB, console on a vpl011, `hvsim.poweroff`) booted to its
userspace marker HVSIM-LINUX-READY:
  (a) under hvsim's Swift hypervisor (`hvsim run --hypervisor`) vs under Debian's Xen 4.17
      on qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 (TCG, 2 CPUs, 2 GiB);
  (b) under the same real Xen 4.17 run at EL2 on hvsim (`hvsim run --el 2`);
  (c) a null hypercall round trip: the bare-metal domU images/xenguest/nullcall makes 1M
      HYPERVISOR_xen_version(0) calls under hvsim's Swift hypervisor; guest instructions
      and host nanoseconds per round trip; for comparison the same domU under Xen 4.17 on
      QEMU (the guest's own counter: QEMU's runs in host time) and on hvsim (its counter
      counts instructions: the guest-visible cost of Xen's hypercall path).
All three boots use one host device tree (images/cache/xen/host.dtb: QEMU virt's own, with
the domU under /chosen, its modules loaded at fixed addresses); each run is timed from
start to the marker line on the console (real Xen keeps running after its only domU
powered off, so the marker is the point both sides reach). Runs are interleaved and the
best of each is compared, because the machines are noisy. The last line is the contract:
    ratio hvsim/qemu <(a): hvsim's hypervisor time / QEMU + Xen time, to the marker>
"""
import os
import re
import selectors
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import times

ROOT = Path(__file__).resolve().parent.parent
HVSIM = ROOT / ".build/release/hvsim"
CACHE = ROOT / "images/cache"
XEN, DTB = CACHE / "xen/xen", CACHE / "xen/host.dtb"
KERNEL, INITRD = CACHE / "linux/Image", CACHE / "linux/initramfs.cpio.gz"
NULLCALL = CACHE / "xenguest/nullcall.img"
NULLCALLS = 1_000_000          # images/xenguest/nullcall/nullcall.c
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 3
MARKER = "HVSIM-LINUX-READY"
# host.dtb's boot modules (images/build-xen.sh).
LOADERS = ["--loader", f"{KERNEL}@0x42000000", "--loader", f"{INITRD}@0x46000000"]


def to_marker(cmd, kill, limit=300, marker=MARKER):
    """Runs cmd; returns (seconds to the marker line, all output). With kill, the process
    is killed at the marker; otherwise it is waited for (hvsim prints --stats at exit)."""
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    sel = selectors.DefaultSelector()
    sel.register(p.stdout, selectors.EVENT_READ)
    out, at = b"", None
    try:
        while True:
            left = start + limit - time.perf_counter()
            if left <= 0:
                raise TimeoutError
            if not sel.select(timeout=left):
                continue
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                break
            out += chunk
            if at is None and marker.encode() in out:
                at = time.perf_counter() - start
                if kill:
                    break
    except TimeoutError:
        pass
    finally:
        if kill or at is None:
            p.kill()
        p.wait()
        sel.close()
    text = out.decode(errors="replace")
    if at is None:
        sys.exit(f"benchmark run did not reach {marker} (status {p.returncode}): "
                 f"{' '.join(map(str, cmd))}\n{text[-3000:]}")
    return at, text


def instructions(text):
    m = re.search(r"hvsim: (\d+) instructions", text)
    return int(m.group(1)) if m else 0


def nullcall():
    """(c): hvsim's hypervisor with the null-hypercall domU; returns (host seconds, guest
    instructions, the guest's line)."""
    with tempfile.TemporaryDirectory() as d:
        Path(d, "nullcall.cfg").write_text(
            f'name = "nullcall"\nmemory = 16\nvcpus = 1\nkernel = "{NULLCALL}"\nvpl011 = 1\n')
        Path(d, "machine.cfg").write_text('pcpus = 1\ndomains = [ "nullcall.cfg" ]\n')
        cmd = [HVSIM, "run", "--hypervisor", "--config", Path(d, "machine.cfg"), "--stats"]
        start = time.perf_counter()
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600)
        elapsed = time.perf_counter() - start
    out = p.stdout + p.stderr
    line = next((l for l in out.splitlines() if "xen_version calls" in l), None)
    if p.returncode != 0 or line is None or "nullcall: PASS" not in out:
        sys.exit(f"nullcall run failed ({p.returncode}):\n{out[-3000:]}")
    return elapsed, instructions(out), line.strip()


def nullcall_under_xen(cmd):
    """The null-hypercall domU under real Xen: (seconds to its PASS line, counter ticks,
    counter frequency)."""
    t, out = to_marker(cmd, kill=True, marker="nullcall: PASS")
    m = re.search(r"xen_version calls, (\d+) counter ticks at (\d+) Hz", out)
    if not m:
        sys.exit(f"nullcall under Xen printed no counter line:\n{out[-2000:]}")
    return t, int(m.group(1)), int(m.group(2))


def main():
    for f in (HVSIM, XEN, DTB, KERNEL, INITRD, NULLCALL):
        if not f.exists():
            sys.exit(f"{f} is missing: run `make images build` (images/build-xen.sh, images/build-xenguests.sh)")
    swift_hv = [HVSIM, "run", "--hypervisor", "--dtb", DTB, *LOADERS, "--stats"]
    real_xen_hvsim = [HVSIM, "run", "--el", "2", "--cpus", "2", "--ram", "2G", "--kernel", XEN,
                      "--dtb", DTB, *LOADERS, "--stats"]
    qemu = ["qemu-system-aarch64", "-M", "virt,virtualization=on,gic-version=3", "-cpu", "cortex-a57",
            "-smp", "2", "-m", "2G", "-nographic", "-nic", "none", "-kernel", XEN, "-dtb", DTB,
            "-device", f"loader,file={KERNEL},addr=0x42000000",
            "-device", f"loader,file={INITRD},addr=0x46000000"]

    # The null-hypercall domU under real Xen: its own tree (16 MiB, no ramdisk).
    tmp = tempfile.TemporaryDirectory()
    null_dtb = Path(tmp.name, "nullcall.dtb")
    subprocess.run([ROOT / "images/xen/mkdtb.sh", null_dtb, "0x42000000", str(NULLCALL.stat().st_size), "0", "0"],
                   env={**os.environ, "DOMU_MEM_KIB": "16384"}, check=True)
    null_qemu = [*qemu[:qemu.index("-dtb")], "-dtb", null_dtb, "-device", f"loader,file={NULLCALL},addr=0x42000000"]
    null_hvsim = [*real_xen_hvsim[:real_xen_hvsim.index("--dtb")], "--dtb", null_dtb,
                  "--loader", f"{NULLCALL}@0x42000000"]

    hv_t, xh_t, q_t, hv_n, xh_n = [], [], [], 0, 0
    for _ in range(RUNS):
        t, out = to_marker(swift_hv, kill=False)
        hv_t.append(t); hv_n = instructions(out)
        t, _ = to_marker(qemu, kill=True)
        q_t.append(t)
        t, out = to_marker(real_xen_hvsim, kill=False)
        xh_t.append(t); xh_n = instructions(out)
    n_t, n_insns, n_line, nq, nx = [], 0, "", [], []
    for _ in range(RUNS):
        t, n_insns, n_line = nullcall()
        n_t.append(t)
        nq.append(nullcall_under_xen(null_qemu))
        nx.append(nullcall_under_xen(null_hvsim))
    tmp.cleanup()
    q_ticks, q_freq = min(r[1] for r in nq), nq[0][2]
    x_ticks = min(r[1] for r in nx)

    hv, q, xh, nt = min(hv_t), min(q_t), min(xh_t), min(n_t)
    print("xen: a dom0less Debian 12 arm64 Linux domU (1 vCPU, 384 MiB, busybox initramfs) to its marker")
    print(f"  (a) hvsim, Swift hypervisor   best {hv:.3f} s of {times(hv_t)}"
          f"  ({hv_n / 1e6:.0f} M instructions to power-off)")
    print(f"      qemu, Xen 4.17            best {q:.3f} s of {times(q_t)}"
          f"  (qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 -cpu cortex-a57 -smp 2 -m 2G, TCG)")
    print(f"  (b) hvsim, Xen 4.17 at EL2    best {xh:.3f} s of {times(xh_t)}"
          f"  ({xh_n / 1e6:.0f} M instructions, Xen idle after the domU; ratio to qemu {xh / q:.2f})")
    print(f"  (c) null hypercall, hvsim's Swift hypervisor: {NULLCALLS} xen_version(0) round trips,"
          f" best run {nt:.3f} s of {times(n_t)}")
    print(f"      {n_insns / NULLCALLS:.2f} guest instructions per round trip (the loop: mov, mov, hvc, sub, cbnz),"
          f" {nt * 1e9 / NULLCALLS:.0f} ns host time per round trip (whole run / calls)")
    print(f"      guest: {n_line}")
    print(f"      Xen 4.17 on qemu:  {q_ticks / q_freq * 1e9 / NULLCALLS:.0f} ns per round trip by the guest's counter"
          f" ({q_ticks} ticks at {q_freq} Hz, best of {len(nq)}); run to PASS best {min(r[0] for r in nq):.3f} s")
    print(f"      Xen 4.17 on hvsim: {x_ticks / NULLCALLS:.0f} guest instructions per round trip (counter ticks:"
          f" one per instruction), run to PASS best {min(r[0] for r in nx):.3f} s"
          f" ({min(r[0] for r in nx) * 1e9 / NULLCALLS:.0f} ns per call, Xen's boot included)")
    print(f"ratio hvsim/qemu {hv / q:.2f}")


if __name__ == "__main__":
    main()
