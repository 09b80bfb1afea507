#!/bin/bash
# Runs every fuzz target (hvsim-fuzz built with libFuzzer, `make fuzz`) for RUNS inputs
# each, starting from the committed corpus (Tests/FuzzCorpus/<target>/) plus what earlier
# runs found (.build-fuzz/corpus/<target>/). A crash, trap, memory error or hang (10 s for one
# input) stops that target and leaves the input in fuzz-crashes/; commit it, once fixed,
# under Tests/FuzzCorpus/<target>/ so that `make test` keeps replaying it. No leak checks:
# the machines a target keeps between inputs (and their caches of decoded code) would
# count as leaks of the input that grew them.
# Usage: scripts/fuzz.sh [RUNS] [TARGET...]   (default 1000000, every target)
set -uo pipefail
cd "$(dirname "$0")/.."
runs="${1:-1000000}"; shift || true
bin=.build-fuzz/release/hvsim-fuzz
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(.build/release/hvsim-fuzz --list | cut -f1)
mkdir -p fuzz-crashes
jobs="${FUZZ_JOBS:-$(nproc)}"

# fuzz TARGET: one target's run; prints its summary line, exits non-zero on a finding.
fuzz() {
    local t="$1" log=".build-fuzz/fuzz-$1.log" start rc secs done_runs corpus result
    mkdir -p ".build-fuzz/corpus/$t"
    start=$(date +%s)
    HVSIM_FUZZ_TARGET="$t" "$bin" -runs="$runs" -max_len=65536 -timeout=10 -rss_limit_mb=4096 -detect_leaks=0 \
        -print_final_stats=1 -artifact_prefix="fuzz-crashes/$t-" \
        ".build-fuzz/corpus/$t" "Tests/FuzzCorpus/$t" >"$log" 2>&1
    rc=$?
    secs=$(( $(date +%s) - start ))
    done_runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    corpus=$(ls ".build-fuzz/corpus/$t" | wc -l)
    if [ $rc -eq 0 ]; then result="no crash"; else result="FAILED (status $rc, see $log and fuzz-crashes/)"; fi
    printf '%-10s %10s inputs %6s s  corpus %5s  %s\n' "$t" "${done_runs:-?}" "$secs" "$corpus" "$result"
    return $rc
}
export -f fuzz
export runs bin

# FUZZ_JOBS targets at a time (default: one per core); the summary lists them in order.
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'fuzz {} > ".build-fuzz/summary-{}"'
status=$?
echo "fuzz summary ($runs inputs a target):"
for t in "${targets[@]}"; do cat ".build-fuzz/summary-$t"; done
exit $status
