#!/usr/bin/env bash
# notewise live --jack for a long run (issue #36's target: no xruns over 10 minutes through
# JACK's dummy backend at 256-frame periods): the ctest test CliJack.* (tests/cli/jack_test.cpp)
# with its music made SECONDS long (default 600). It starts its own jackd (dummy, 22050 Hz,
# 256-frame periods, --no-realtime), plays two voices into the client, checks the separated
# ports, and prints the xruns the client was told of, those it caused (the server's log), those
# of the dummy driver's timer, the late periods and dropped samples. The load is printed before
# and after: on a shared machine the timer's xruns follow it.
# --realtime starts jackd with -R (SCHED_FIFO threads for the server and its clients' callbacks,
# where the system allows it) instead of --no-realtime.
#   bash bench/jack_xruns.sh [BUILD_DIR] [SECONDS] [--realtime]
set -euo pipefail
build=${1:-build}
seconds=${2:-600}
if [ "${3:-}" = "--realtime" ]; then export NOTEWISE_JACK_TEST_REALTIME=1; fi
test_bin="$build/tests/cli/jack_cli_tests"
[ -x "$test_bin" ] || { echo "jack_xruns: $test_bin not built (needs libjack-jackd2-dev and the tests)" >&2; exit 1; }
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
log=$(mktemp /tmp/jack_xruns.XXXXXX.log)
start=$(date +%s)
rc=0
NOTEWISE_JACK_TEST_SECONDS=$seconds "$test_bin" --gtest_filter='CliJack.*' >"$log" 2>&1 || rc=$?
grep -E '^(jack:|lag|\[  (PASSED|FAILED|  SKIPPED))' "$log" || true
echo "wall time $(( $(date +%s) - start )) s for ${seconds} s of music; full output in $log"
[ "$rc" = 0 ] || { tail -40 "$log"; exit "$rc"; }
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
