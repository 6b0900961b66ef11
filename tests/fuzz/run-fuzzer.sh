#!/bin/bash
# ctest driver of one fuzz target: run-fuzzer.sh <fuzzer> <seed corpus dir> <seconds>
# Runs the target over a COPY of its seed corpus (new inputs go to a temporary directory, never
# into the source tree) for at most <seconds>, then prints the executions reached. On a crash,
# leak, timeout or sanitizer report the test fails and the input is kept in a directory that is
# named at the end: add it to the seed corpus once the defect is fixed.
set -euo pipefail
fuzzer=$1 seeds=$2 seconds=$3
name=$(basename "$fuzzer")
if [ ! -d "$seeds" ] || [ -z "$(ls -A "$seeds")" ]; then
    echo "run-fuzzer.sh: seed corpus $seeds is missing or empty" >&2
    exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/$name.XXXXXX")
mkdir "$work/corpus" "$work/crashes"
cp -r "$seeds/." "$work/corpus/"
# -rss_limit_mb/-malloc_limit_mb: a parser that allocates what its input claims is a finding.
set +e
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
    -print_final_stats=1 -artifact_prefix="$work/crashes/" "$work/corpus" > "$work/log" 2>&1
status=$?
set -e
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n1)
if [ "$status" -ne 0 ] || [ -n "$(ls -A "$work/crashes")" ]; then
    tail -n 60 "$work/log"
    echo "FUZZ FINDING in $name (exit $status) after ${runs:-?} executions; input(s) kept:" >&2
    ls -1 "$work/crashes"/* | sed 's/^/  /' >&2
    exit 1
fi
grep -E '^(INFO: (Running with|seed corpus)|#[0-9]+ +DONE|Done [0-9]+ runs)' "$work/log" | tail -n 3 || true
echo "$name: ${runs:-0} executions in ${seconds}s, corpus $(ls "$work/corpus" | wc -l) inputs, no finding"
rm -rf "$work"
