#!/usr/bin/env bash
# Run one bare-metal guest on QEMU's virt board and return its exit status:
# 0 = PASS (PSCI SYSTEM_OFF), 1 = FAIL (semihosting exit), 124 = timeout.
#   images/run-qemu.sh ELF [extra qemu args...]
# Environment: QEMU_CPU (default max), TIMEOUT seconds (default 60).
set -uo pipefail
if [ $# -lt 1 ]; then
  echo "usage: $0 ELF [qemu args...]" >&2
  exit 2
fi
elf="$1"; shift
[ -f "$elf" ] || { echo "run-qemu.sh: no such file: $elf" >&2; exit 2; }
command -v qemu-system-aarch64 >/dev/null || { echo "run-qemu.sh: qemu-system-aarch64 not found (apt-get install qemu-system-arm)" >&2; exit 2; }

timeout -k 5 "${TIMEOUT:-60}" qemu-system-aarch64 \
  -M virt,virtualization=on,gic-version=3 -cpu "${QEMU_CPU:-max}" -m 128M \
  -nographic -nic none -semihosting -kernel "$elf" "$@" </dev/null
rc=$?
[ $rc -eq 124 ] && echo "run-qemu.sh: TIMEOUT after ${TIMEOUT:-60}s: $elf" >&2
exit $rc
