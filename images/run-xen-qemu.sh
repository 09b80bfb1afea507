#!/usr/bin/env bash
# Boot Debian's Xen 4.17 (images/build-xen.sh) on QEMU's virt board with EL2
# (virtualization=on, GICv3, 2 CPUs, 2 GiB) and one dom0less Linux domU: Debian's kernel
# and the hvsim initramfs (images/build-linux.sh), 1 vCPU, 384 MiB, its console on a
# vpl011 that Xen prints as "(d1) ...". There is no dom0.
#   images/run-xen-qemu.sh [extra qemu args...]
# Environment:
#   DOMU_ARGS  the domU's command line (default "console=ttyAMA0 hvsim.poweroff")
#   XEN_ARGS   Xen's command line (default in images/xen/mkdtb.sh)
#   TIMEOUT    seconds before QEMU is killed (exit status 124); default none
# With hvsim.poweroff the domU powers off after its marker HVSIM-LINUX-READY, but Xen
# keeps running (nothing else to do, no dom0): kill QEMU after the marker (Ctrl-A x).
# The same tree and layout boot on hvsim at EL2 (RealXenTests):
#   hvsim run --el 2 --cpus 2 --ram 2G --kernel images/cache/xen/xen --dtb images/cache/xen/host.dtb \
#     --loader images/cache/linux/Image@0x42000000 --loader images/cache/linux/initramfs.cpio.gz@0x46000000
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
xen="$here/cache/xen/xen" linux="$here/cache/linux"
[ -f "$xen" ] || { echo "run-xen-qemu.sh: $xen missing: run images/build-xen.sh" >&2; exit 2; }
for f in Image initramfs.cpio.gz; do
  [ -f "$linux/$f" ] || { echo "run-xen-qemu.sh: $linux/$f missing: run images/build-linux.sh" >&2; exit 2; }
done
# Boot modules: the kernel at RAM + 32 MiB (Xen is loaded at RAM + 2 MiB and moves itself
# to the top of RAM), the ramdisk at RAM + 96 MiB; QEMU puts its DTB at RAM + 128 MiB.
KADDR=0x42000000 RADDR=0x46000000
ksize=$(stat -c %s "$linux/Image") rsize=$(stat -c %s "$linux/initramfs.cpio.gz")
# The tree images/build-xen.sh makes as host.dtb, with this script's DOMU_ARGS/XEN_ARGS.
dtb="$(mktemp --suffix=.dtb)"; trap 'rm -f "$dtb"' EXIT
"$here/xen/mkdtb.sh" "$dtb" $KADDR "$ksize" $RADDR "$rsize"
cmd=(qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 -cpu cortex-a57 -smp 2 -m 2G
     -nographic -nic none -kernel "$xen" -dtb "$dtb"
     -device loader,file="$linux/Image",addr=$KADDR
     -device loader,file="$linux/initramfs.cpio.gz",addr=$RADDR
     "$@")
if [ -n "${TIMEOUT:-}" ]; then
  timeout -k 5 "$TIMEOUT" "${cmd[@]}"
else
  "${cmd[@]}"
fi
