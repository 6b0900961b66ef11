#!/bin/sh
# The sanitizer and fuzz part of CI (issue #14), run after the default build's tests:
#   asan preset (clang, AddressSanitizer + UndefinedBehaviorSanitizer, libFuzzer targets; no GUI):
#       the unit, integration and fuzz tiers (and faults, where that label exists);
#   tsan preset (clang, ThreadSanitizer; no GUI): the transfer pipeline, the pack writer/reader
#       (repository) and the job queue (backup engine) tests.
# Every sanitizer report fails its test. Suppressions exist only for libraries we do not own, in
# resources/sanitizers/, each with its reason. Fuzz time per target: NDBACKUP_FUZZ_SECONDS
# (default 30). Build steps run under nice: CI machines are shared.
set -eu
cd "$(dirname "$0")/../.."
fuzz_seconds=${NDBACKUP_FUZZ_SECONDS:-30}

nice -n 10 cmake --preset asan -DNDBACKUP_FUZZ_SECONDS="$fuzz_seconds"
nice -n 10 cmake --build --preset asan
labels='unit|integration|fuzz'
if ctest --preset asan -N -L '^faults$' | grep -q 'Total Tests: [1-9]'; then
    labels="$labels|faults"
fi
ctest --preset asan -L "^($labels)\$"

tsan_tests='tst_transfer tst_repository tst_backupengine'
nice -n 10 cmake --preset tsan
# shellcheck disable=SC2086
nice -n 10 cmake --build --preset tsan --target $tsan_tests ndb-test-writer
ctest --preset tsan -R "^(unit|integration)\.($(echo $tsan_tests | tr ' ' '|'))\$"
