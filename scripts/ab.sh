#!/usr/bin/env bash
# Compare two hvsim binaries on a noisy 2-core machine: both run at the same time, one per
# core, so both see the same contention; N rounds, then N more with the cores' roles
# swapped (the second job is often slower). Prints each round and the geometric mean of
# B's time over A's per order; average the two orders' ratios (one inverted) to cancel the
# bias. Make the binaries with `make build` and copy each aside first.
#   scripts/ab.sh N boot|domu|mpi BIN_A BIN_B
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: $0 N boot|domu|mpi BIN_A BIN_B" >&2; exit 2; }
N=$1; KIND=$2; A=$3; B=$4
L=$(cd "$(dirname "$0")/.." && pwd)/images/cache
seconds() {
  local out
  case $KIND in
  boot) out=$("$1" run --kernel "$L/linux/Image" --initrd "$L/linux/initramfs.cpio.gz" \
              --append "console=ttyAMA0 hvsim.poweroff" --ram 1G --stats --serial none 2>&1 || true) ;;
  domu) out=$("$1" run --hypervisor --dtb "$L/xen/host.dtb" --loader "$L/linux/Image@0x42000000" \
              --loader "$L/linux/initramfs.cpio.gz@0x46000000" --stats 2>&1 || true) ;;
  mpi)  out=$("$1" run --el 2 --semihosting --stats --kernel "$L/bench/mpi.elf" 2>&1 || true) ;;
  *) echo "unknown kind $KIND" >&2; exit 2 ;;
  esac
  grep -o "instructions in [0-9.]* s" <<<"$out" | grep -o "[0-9.]*" || { echo "no timing from $1" >&2; exit 1; }
}
rounds() {  # $1 first, $2 second
  local tmp; tmp=$(mktemp -d)
  for _ in $(seq "$N"); do
    seconds "$1" > "$tmp/a" & seconds "$2" > "$tmp/b" & wait
    echo "$(cat "$tmp/a") $(cat "$tmp/b")"
  done
  rm -rf "$tmp"
}
echo "A=$A first, B=$B second:"
rounds "$A" "$B" | awk '{print "  " $0; l+=log($2/$1); n++} END {printf "  B/A %.3f\n", exp(l/n)}'
echo "B first, A second:"
rounds "$B" "$A" | awk '{print "  " $0; l+=log($1/$2); n++} END {printf "  B/A %.3f\n", exp(l/n)}'
