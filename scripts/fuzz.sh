#!/usr/bin/env bash
# Runs libFuzzer targets built by `make fuzz`, two at a time (this kind of machine has two cores).
#   scripts/fuzz.sh BIN_DIR SECONDS MAX_LEN TARGET...
# Each target's corpus grows in .build/fuzz/corpus/TARGET (seeded from Fuzz/corpus/TARGET); a crash
# is written to .build/fuzz/crashes/TARGET-... and fails the run. Logs: .build/fuzz/TARGET.log.
set -u
bin=$1 seconds=$2 max_len=$3
shift 3
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/.build/fuzz
mkdir -p "$out/crashes"
run() {
    local target=$1
    mkdir -p "$out/corpus/$target"
    cp -n "$root/Fuzz/corpus/$target"/* "$out/corpus/$target/" 2>/dev/null
    # -len_control=0: inputs of any length up to max_len from the start (by default libFuzzer grows
    # them slowly and ten minutes never leave the first tens of kilobytes).
    "$bin/$target" -max_total_time="$seconds" -max_len="$max_len" -len_control=0 -rss_limit_mb=4096 -timeout=10 \
        -artifact_prefix="$out/crashes/$target-" -print_final_stats=1 "$out/corpus/$target" >"$out/$target.log" 2>&1
    local status=$?
    local runs
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/$target.log" | grep -o '[0-9]*$')
    if [ $status -eq 0 ]; then
        echo "$target: no crash in ${seconds} s, ${runs:-?} inputs, corpus $(ls "$out/corpus/$target" | wc -l) files"
    else
        echo "$target: FAILED (exit $status); see $out/$target.log and $out/crashes/"
        grep -m3 -E 'ERROR|Fatal error|SUMMARY' "$out/$target.log"
    fi
    return $status
}
failed=0
pids=()
for target in "$@"; do
    run "$target" &
    pids+=($!)
    if [ ${#pids[@]} -ge 2 ]; then
        wait "${pids[0]}" || failed=1
        pids=("${pids[@]:1}")
    fi
done
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
exit $failed
