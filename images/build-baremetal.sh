#!/usr/bin/env bash
# Build the bare-metal test guests and the benchmark guests:
#   images/cache/baremetal/<test>.elf   (exceptions, mmu_stage1, mmu_stage2, tlb, smp, interrupts, virtio_code)
#   images/cache/bench/<bench>.elf      (hash, lz, mpi)
# Idempotent; rebuilds everything every time (a few seconds). Fails loudly.
# Extra CFLAGS for the benchmarks (e.g. -DITERS=1) can be given in BENCH_CFLAGS,
# and OUT=<dir> puts the results elsewhere under images/cache.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
out="${OUT:-$here/cache}"
case "$out" in
  "$here"/cache|"$here"/cache/*) ;;
  *) echo "build-baremetal.sh: OUT must be inside $here/cache" >&2; exit 1 ;;
esac

CROSS="${CROSS:-aarch64-linux-gnu-}"
CC="${CROSS}gcc"
if ! command -v "$CC" >/dev/null 2>&1; then
  echo "build-baremetal.sh: $CC not found." >&2
  echo "Install the cross compiler: apt-get install gcc-aarch64-linux-gnu" >&2
  exit 1
fi

CFLAGS=(-O2 -g -ffreestanding -nostdlib -nostartfiles -fno-builtin
        -fno-tree-loop-distribute-patterns -fno-stack-protector -fno-pic -fno-pie
        -mgeneral-regs-only -mstrict-align -mbranch-protection=none
        -march=armv8-a -mcmodel=small -Wall -Wextra -Wno-unused-parameter -Werror
        -I"$here/baremetal/common")
ASFLAGS=(-g -march=armv8-a -I"$here/baremetal/common")
LDFLAGS=(-nostdlib -static -no-pie -Wl,--no-warn-rwx-segments -Wl,-z,max-page-size=0x1000
         -Wl,--build-id=none -T "$here/baremetal/common/link.ld")

obj="$out/obj"
rm -rf "$obj"
mkdir -p "$obj" "$out/baremetal" "$out/bench"

common_objs=()
for src in "$here"/baremetal/common/*.c "$here"/baremetal/common/*.S; do
  o="$obj/common-$(basename "$src").o"
  case "$src" in
    *.c) "$CC" "${CFLAGS[@]}" -c "$src" -o "$o" ;;
    *.S) "$CC" "${ASFLAGS[@]}" -c "$src" -o "$o" ;;
  esac
  common_objs+=("$o")
done

# build_one <srcdir> <outdir> <name> [extra cflags...]
build_one() {
  local dir="$1" dest="$2" name="$3"; shift 3
  local objs=() src o
  for src in "$dir"/*.c "$dir"/*.S; do
    [ -e "$src" ] || continue
    o="$obj/$name-$(basename "$src").o"
    case "$src" in
      *.c) "$CC" "${CFLAGS[@]}" "$@" -c "$src" -o "$o" ;;
      *.S) "$CC" "${ASFLAGS[@]}" "$@" -c "$src" -o "$o" ;;
    esac
    objs+=("$o")
  done
  [ ${#objs[@]} -gt 0 ] || { echo "build-baremetal.sh: no sources in $dir" >&2; exit 1; }
  "$CC" "${CFLAGS[@]}" "${LDFLAGS[@]}" -o "$dest/$name.elf.tmp" "${common_objs[@]}" "${objs[@]}"
  mv "$dest/$name.elf.tmp" "$dest/$name.elf"
  echo "built $dest/$name.elf"
}

for t in exceptions mmu_stage1 mmu_stage2 tlb smp interrupts virtio_code; do
  build_one "$here/baremetal/$t" "$out/baremetal" "$t"
done
# shellcheck disable=SC2086
for b in hash lz mpi; do
  build_one "$here/bench/$b" "$out/bench" "$b" ${BENCH_CFLAGS:-}
done
