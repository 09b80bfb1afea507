#!/usr/bin/env bash
# Builds the differential tests of hvsim's A64 interpreter (Tests/DiffTests):
#   images/cache/difftest/case_<group>.S    generated program (images/difftest/gen.py)
#   images/cache/difftest/case_<group>.txt  instruction text of each case
#   images/cache/difftest/case_<group>.elf  static AArch64 Linux executable
#   images/cache/difftest/case_<group>.ref  its output under qemu-aarch64-static (the reference)
# Usage: build.sh [group...]   (default: all groups). Idempotent; fails loudly.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
out="$(cd "$here/.." && pwd)/cache/difftest"
CROSS="${CROSS:-aarch64-linux-gnu-}"
CC="${CROSS}gcc"
QEMU="${QEMU:-qemu-aarch64-static}"

missing=0
if ! command -v "$CC" >/dev/null 2>&1; then
  echo "difftest/build.sh: $CC not found; install it with: apt-get install gcc-aarch64-linux-gnu" >&2
  missing=1
fi
if ! command -v "$QEMU" >/dev/null 2>&1; then
  echo "difftest/build.sh: $QEMU not found; install it with: apt-get install qemu-user-static" >&2
  missing=1
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "difftest/build.sh: python3 not found; install it with: apt-get install python3" >&2
  missing=1
fi
[ "$missing" = 0 ] || exit 1

mkdir -p "$out"
groups=("$@")
# Everything the outputs depend on; a full build with the same inputs is skipped.
stamp="$out/inputs.sha256"
inputs="$(cat "$here"/*.py "$0" | sha256sum | cut -d' ' -f1) $("$QEMU" --version | head -1) $("$CC" --version | head -1)"
if [ ${#groups[@]} -eq 0 ]; then
  read -r -a groups <<< "$(python3 "$here/gen.py" --list)"
  uptodate=1
  for g in "${groups[@]}"; do [ -f "$out/case_$g.ref" ] && [ -f "$out/case_$g.txt" ] || uptodate=0; done
  if [ "$uptodate" = 1 ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$inputs" ]; then
    # Same inputs by content; a checkout may have made the scripts newer than the outputs,
    # which the Swift test takes for staleness.
    touch "$out"/case_*
    echo "difftest: up to date (${#groups[@]} groups)"
    exit 0
  fi
  rm -f "$stamp"
elif [ -f "$stamp" ] && [ "$(cat "$stamp")" != "$inputs" ]; then
  rm -f "$stamp"     # built from other inputs: only the groups named here are rebuilt
fi

python3 "$here/gen.py" "$out" "${groups[@]}"

for g in "${groups[@]}"; do
  src="$out/case_$g.S" elf="$out/case_$g.elf" ref="$out/case_$g.ref"
  rm -f "$elf" "$ref" "$ref.tmp"
  "$CC" -nostdlib -static -no-pie -march=armv8.1-a -Wa,--fatal-warnings \
        -Wl,--build-id=none -Wl,--no-warn-rwx-segments "$src" -o "$elf"
  status=0
  "$QEMU" -cpu max "$elf" > "$ref.tmp" || status=$?
  if [ "$status" != 0 ]; then
    echo "difftest/build.sh: $QEMU -cpu max $elf exited with status $status" >&2
    exit 1
  fi
  mv "$ref.tmp" "$ref"
  echo "$g: $(wc -c < "$ref") bytes of reference output"
done
[ "$#" -gt 0 ] || echo "$inputs" > "$stamp"
