#!/usr/bin/env python3
"""Boot the Linux guest on QEMU (run-linux-qemu.sh) and check it through its
shell: modules loaded without errors, /dev/vda mounts and has hello.txt,
/dev/hwrng gives bytes, job control on the console, poweroff -f ends QEMU.

  images/linux/check-qemu.py [--console ttyAMA0|hvc0]     exit 0 = all checks pass
"""
import argparse
import os
import re
import select
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RUN = os.path.join(HERE, "..", "run-linux-qemu.sh")
HELLO = "hello from the hvsim test disk"


class Guest:
    def __init__(self, console):
        env = dict(os.environ, CONSOLE=console, TIMEOUT="120")
        self.p = subprocess.Popen([RUN], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, env=env)
        self.log = b""

    def wait_for(self, pattern, timeout=60):
        """Read console output until the regex matches what came since the call;
        return that text up to the end of the match."""
        end = time.time() + timeout
        start = len(self.log)
        rx = re.compile(pattern.encode())
        while not (m := rx.search(self.log, start)):
            left = end - time.time()
            if left <= 0 or not select.select([self.p.stdout], [], [], left)[0]:
                raise TimeoutError(f"no {pattern!r} within {timeout}s")
            chunk = os.read(self.p.stdout.fileno(), 4096)
            if not chunk:
                raise EOFError(f"QEMU exited before {pattern!r}")
            self.log += chunk
        return self.log[start:m.end()].decode(errors="replace")

    def run(self, cmd):
        """Run a shell command; return (status, output). The markers are typed
        as @@""B so that the terminal's echo of the command does not match."""
        self.p.stdin.write(f'echo @@""B; {cmd}; echo @@""E$?\n'.encode())
        self.p.stdin.flush()
        out = self.wait_for(r"@@E\d+\r?\n", 30)
        body = out.rsplit("@@B", 1)[1]
        text, _, status = body.rpartition("@@E")
        lines = text.replace("\r", "").split("\n")
        kernel = re.compile(r"^\[ *\d+\.\d+\] ")  # printk lines interleaved on the console
        return int(status), "\n".join(l for l in lines if not kernel.match(l)).strip("\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--console", default="ttyAMA0", choices=["ttyAMA0", "hvc0"])
    a = ap.parse_args()
    g = Guest(a.console)
    failures = []

    def check(name, ok, detail=""):
        print(("ok   " if ok else "FAIL ") + name + (f": {detail}" if detail and not ok else ""),
              flush=True)
        if not ok:
            failures.append(name)

    boot = g.wait_for("HVSIM-LINUX-READY", 90)
    check("marker HVSIM-LINUX-READY", True)
    check("no insmod failures", "insmod" not in boot, boot[boot.find("init: insmod"):][:300])
    time.sleep(0.5)  # let the shell start reading before we type
    st, out = g.run("cat /proc/cmdline")
    check(f"console {a.console}", f"console={a.console}" in out, out)
    st, out = g.run("cut -d' ' -f1 /proc/modules | sort | tr '\\n' ' '")
    want = "crc16 crc32c_generic ext4 jbd2 mbcache virtio_blk virtio_console virtio_mmio virtio_rng"
    check("modules loaded", out.strip() == want, out)
    st, out = g.run("mount -t ext4 /dev/vda /mnt && cat /mnt/hello.txt")
    check("/dev/vda mounts, hello.txt", st == 0 and out.strip() == HELLO, out)
    st, out = g.run("echo written >/mnt/new.txt && sync && umount /mnt && "
                    "mount /dev/vda /mnt && cat /mnt/new.txt && umount /mnt")
    check("write, remount, read back", st == 0 and out.strip() == "written", out)
    st, out = g.run("cat /sys/class/misc/hw_random/rng_current; "
                    "head -c 16 /dev/hwrng | wc -c")
    check("/dev/hwrng (virtio_rng)", st == 0 and out.split()[-1] == "16"
          and "virtio_rng" in out, out)
    st, out = g.run("ls /dev/hvc0")
    check("/dev/hvc0 exists", st == 0, out)
    st, out = g.run("sleep 30 & jobs; kill %1")
    check("job control", st == 0 and "Running" in out, out)
    t0 = time.time()
    g.p.stdin.write(b"poweroff -f\n")
    g.p.stdin.flush()
    try:
        rc = g.p.wait(30)
        check(f"poweroff -f ends QEMU ({time.time() - t0:.1f}s, status {rc})", rc == 0)
    except subprocess.TimeoutExpired:
        g.p.kill()
        check("poweroff -f ends QEMU", False, "still running after 30s")
    if failures:
        sys.stdout.write(g.log.decode(errors="replace")[-3000:])
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
