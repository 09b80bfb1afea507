#!/usr/bin/env bash
# Count the guest instructions of the benchmark guests on QEMU (TCG, one
# instruction per translation block, every block execution logged):
# builds 1- and 2-iteration variants into images/cache/count{1,2}, counts
# both, and extrapolates linearly to the default iteration counts.
#   images/count-insns.sh          (takes about a minute)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
OUT="$here/cache/count1" BENCH_CFLAGS="-DITERS=1 -DPASSES=1" ./build-baremetal.sh >/dev/null
OUT="$here/cache/count2" BENCH_CFLAGS="-DITERS=2 -DPASSES=2" ./build-baremetal.sh >/dev/null

count() { # elf -> number of executed instructions
  local fifo="$here/cache/count.fifo" n
  rm -f "$fifo"; mkfifo "$fifo"
  grep -c '^Trace' <"$fifo" >"$fifo.n" &
  TIMEOUT=600 QEMU_CPU=cortex-a57 ./run-qemu.sh "$1" -singlestep -d exec,nochain -D "$fifo" >/dev/null
  wait
  n=$(cat "$fifo.n"); rm -f "$fifo" "$fifo.n"
  echo "$n"
}

# name default-iterations
for spec in "hash 2543" "lz 200"; do
  set -- $spec
  c1=$(count "cache/count1/bench/$1.elf")
  c2=$(count "cache/count2/bench/$1.elf")
  per=$((c2 - c1)); base=$((c1 - per))
  echo "$1: 1 iteration $c1, 2 iterations $c2 -> per iteration $per, fixed $base," \
       "total for $2 iterations $((base + $2 * per))"
done
