#!/bin/bash
# Run brig's libFuzzer targets for a bounded time each (`make fuzz`):
#   FUZZ_SECONDS=60 tests/fuzz/run.sh [TARGET...]   (default: all five)
# Each target starts from its seed corpus (tests/fuzz/corpus/TARGET, kept
# read-only) plus what earlier runs found (tests/fuzz/build/corpus/TARGET).
# A crash, leak, timeout or out-of-memory leaves the input in
# tests/fuzz/build/artifacts/ and makes the run fail.  FUZZ_JOBS=N runs N
# targets at a time (default 1).
set -u
cd "$(dirname "$0")/../.." || exit 1
SECS=${FUZZ_SECONDS:-60}
JOBS=${FUZZ_JOBS:-1}
B=tests/fuzz/build
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(config state seccomp mountopts idmap)
tests/fuzz/build.sh "$B" >/dev/null || exit $?
mkdir -p "$B/artifacts"
run_one () {
  local t=$1 log=$B/fuzz-$1.log
  mkdir -p "$B/corpus/$t"
  # -timeout: one input taking 10 s is a hang; -rss_limit_mb: a blow-up
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  "$B/fuzz-$t" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$B/artifacts/$t-" \
    "$B/corpus/$t" "tests/fuzz/corpus/$t" > "$log" 2>&1
  local rc=$?
  local execs
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  if [ $rc -eq 0 ]; then
    echo "ok - fuzz $t: ${SECS}s, ${execs:-?} execs, no crash/leak/hang"
  else
    echo "not ok - fuzz $t: exit $rc after ${execs:-?} execs, see $log and $B/artifacts/"
    grep -E '^(==[0-9]+==ERROR|SUMMARY)' "$log" | head -3 | sed 's/^/# /'
  fi
  return $rc
}
rc=0
running=0
pids=()
for t in "${targets[@]}"; do
  run_one "$t" &
  pids+=($!)
  running=$((running + 1))
  if [ $running -ge "$JOBS" ]; then
    wait -n || rc=1
    running=$((running - 1))
  fi
done
while [ $running -gt 0 ]; do wait -n || rc=1; running=$((running - 1)); done
exit $rc
