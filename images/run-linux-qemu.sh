#!/usr/bin/env bash
# Boot Debian's arm64 kernel with the hvsim initramfs on QEMU's virt board,
# with the test disk, a virtio RNG and a virtio console on virtio-mmio.
#   images/run-linux-qemu.sh [extra qemu args...]      (build first: images/build-linux.sh)
# Environment:
#   APPEND   extra kernel command line words, e.g. "hvsim.poweroff" or "quiet"
#   CONSOLE  ttyAMA0 (default: PL011 on stdio, virtio console unconnected) or
#            hvc0 (virtio console on stdio, PL011 unconnected)
#   DISK     disk image to attach read-write; by default disk.img is attached
#            with snapshot=on, so guest writes are thrown away
#   TIMEOUT  seconds before QEMU is killed (exit status 124); default none
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="$here/cache/linux"
for f in Image initramfs.cpio.gz disk.img; do
  [ -f "$dir/$f" ] || { echo "run-linux-qemu.sh: $dir/$f missing: run images/build-linux.sh" >&2; exit 2; }
done
command -v qemu-system-aarch64 >/dev/null ||
  { echo "run-linux-qemu.sh: qemu-system-aarch64 not found (scripts/deps.sh installs it)" >&2; exit 2; }

if [ -n "${DISK:-}" ]; then
  drive="file=$DISK"
else
  drive="file=$dir/disk.img,snapshot=on"
fi
console="${CONSOLE:-ttyAMA0}"
case "$console" in
  ttyAMA0) con=(-chardev null,id=vcon) ;;
  # -serial null takes the PL011 off stdio; -monitor none keeps -nographic
  # from putting the monitor there instead.
  hvc0) con=(-serial null -monitor none -chardev stdio,id=vcon) ;;
  *) echo "run-linux-qemu.sh: CONSOLE must be ttyAMA0 or hvc0" >&2; exit 2 ;;
esac

# -nic none: no default virtio-net-pci NIC (the guest has no driver for it).
cmd=(qemu-system-aarch64 -M virt,gic-version=3 -cpu cortex-a57 -m 1024 -nographic -nic none
     -kernel "$dir/Image" -initrd "$dir/initramfs.cpio.gz"
     -append "console=$console${APPEND:+ $APPEND}"
     -drive "if=none,$drive,format=raw,id=d0" -device virtio-blk-device,drive=d0
     -device virtio-rng-device
     -device virtio-serial-device "${con[@]}" -device virtconsole,chardev=vcon
     "$@")
if [ -n "${TIMEOUT:-}" ]; then
  exec timeout -k 5 "$TIMEOUT" "${cmd[@]}"
fi
exec "${cmd[@]}"
