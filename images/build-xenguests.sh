#!/usr/bin/env bash
# Build the bare-metal Xen domU test guests (images/xenguest/<name>/) into
# images/cache/xenguest/<name>.img: arm64 Images a Xen-style hypervisor boots as domUs.
# Idempotent and quick; fails loudly.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="$here/xenguest"
out="$here/cache/xenguest"
CROSS="${CROSS:-aarch64-linux-gnu-}"
CC="${CROSS}gcc"
command -v "$CC" >/dev/null || { echo "build-xenguests.sh: $CC not found (apt-get install gcc-aarch64-linux-gnu)" >&2; exit 1; }
CFLAGS=(-O2 -g -ffreestanding -nostdlib -nostartfiles -fno-builtin -fno-stack-protector -fno-pic -fno-pie
        -mgeneral-regs-only -mstrict-align -mno-outline-atomics -mbranch-protection=none -march=armv8-a -Wall -Wextra -Werror
        -Wno-unused-parameter)
mkdir -p "$out"
for dir in "$src"/*/; do
  name="$(basename "$dir")"
  "$CC" "${CFLAGS[@]}" -static -no-pie -Wl,--build-id=none -Wl,--no-warn-rwx-segments -T "$src/link.ld" \
    -o "$out/$name.elf" "$src/start.S" "$src"/*.c "$dir"/*.c
  "${CROSS}objcopy" -O binary "$out/$name.elf" "$out/$name.img"
  echo "built $out/$name.img"
done
