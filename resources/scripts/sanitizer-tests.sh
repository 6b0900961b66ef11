#!/bin/sh
# The sanitizer and fuzz part of CI (issue #14), run after the default build's tests:
#   asan preset (clang, AddressSanitizer + UndefinedBehaviorSanitizer, libFuzzer targets; no GUI):
#       the unit, integration and fuzz tiers (and faults, where that label exists);
#   tsan preset (GCC 12, ThreadSanitizer; no GUI): the transfer pipeline, the pack writer/reader
#       (repository) and the job queue (backup engine) tests. GCC, not clang: clang 14's TSan
#       runtime aborts in the child whenever a multi-threaded process forks (QProcess;
#       "CHECK failed: tsan_rtl.cpp:234" in ForkAfter), GCC 12's libtsan does not.
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
# Test functions left out under ThreadSanitizer, by name. Each forks a child (forkChild) from the
# multi-threaded test process, and the child starts threads of its own: GCC 12's TSan runtime
# then ends the child with "dup thread with used id" (glibc gives the new thread the stack, and so
# the id, of a parent thread that TSan's copied registry still lists). A runtime limit, not a
# race; the functions still run in the default build and under asan.
# One test:function a line.
tsan_excluded='tst_transfer:peakMemoryIsBounded
tst_transfer:concurrentBackupsIntoOneContainer
tst_repository:concurrentWriters'
tsan_env="TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:die_after_fork=0:suppressions=$PWD/resources/sanitizers/tsan.supp
NDB_BUILD_DIR=$PWD/build-tsan NDB_SOURCE_DIR=$PWD QT_QPA_PLATFORM=offscreen"
failed=''
for t in $tsan_tests; do
    run=''
    for f in $("build-tsan/tests/$t" -functions | sed 's/()$//'); do
        if echo "$tsan_excluded" | grep -qx "$t:$f"; then
            echo "tsan: NOT running $t $f: its forked child starts threads, which GCC 12's TSan cannot follow (see sanitizer-tests.sh)"
        else
            run="$run $f"
        fi
    done
    echo "tsan: $t$run"
    # shellcheck disable=SC2086
    if ! (cd build-tsan && env $tsan_env "tests/$t" $run); then
        failed="$failed $t"
    fi
done
if [ -n "$failed" ]; then
    echo "tsan: FAILED:$failed" >&2
    exit 1
fi
echo "tsan: passed: $tsan_tests"
