#!/usr/bin/env bash
# Build all bare-metal guests and run each on QEMU; exit 1 if any fails.
#   images/test-qemu.sh            (QEMU_CPU=cortex-a57 to try another CPU)
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
"$here/build-baremetal.sh" >/dev/null || exit 1
failed=0
for elf in "$here"/cache/baremetal/*.elf "$here"/cache/bench/*.elf; do
  extra=()
  case "$(basename "$elf" .elf)" in
    smp) extra=(-smp 4) ;;   # needs secondary CPUs
    virtio_code)             # a writable virtio-blk disk on a modern virtio-mmio transport
      disk="$(mktemp)"; truncate -s 64K "$disk"
      extra=(-global virtio-mmio.force-legacy=false -drive "file=$disk,if=none,format=raw,id=d0"
             -device virtio-blk-device,drive=d0) ;;
  esac
  out="$("$here/run-qemu.sh" "$elf" "${extra[@]}" 2>&1)"; rc=$?
  [ -n "${disk:-}" ] && rm -f "$disk" && disk=
  line="$(printf '%s\n' "$out" | grep -E '^(PASS|FAIL) ' | tail -1 | tr -d '\r')"
  if [ $rc -eq 0 ] && [[ "$line" == PASS* ]]; then
    echo "ok   $(basename "$elf" .elf): $line"
  else
    echo "FAIL $(basename "$elf" .elf) (exit $rc):"; printf '%s\n' "$out" | tail -5
    failed=1
  fi
done
exit $failed
