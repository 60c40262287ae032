#!/bin/bash
# Whole-suite runner for brig's shell tests.
#
#   tests/run.sh [DIR_OR_SCRIPT...]
#
# Without arguments runs, in order: tests/unit/run.sh (if present), every
# tests/oci-validation/*.sh, tests/integration/*.sh, tests/security/*.sh,
# tests/engines/*.sh, then
# tests/vm/run.sh (if present); lib*.sh files are libraries, not tests.  A directory argument runs its run.sh if it
# has one, else its *.sh.  Each script runs under a timeout (TEST_TIMEOUT
# seconds, default 300); its output is shown prefixed by its name and its
# "ok" / "not ok" lines are counted ("ok - ... # SKIP reason" is a skip).  A
# script that times out, or exits non-zero without printing "not ok", counts
# as one failure.  RUNTIME is passed through to the scripts.  The last line
# printed is "N passed, M failed, K skipped"; the exit status is 1 if M > 0.

set -u
TESTS_DIR=$(cd "$(dirname "$0")" && pwd)
: "${TEST_TIMEOUT:=300}"
[ -n "${RUNTIME:-}" ] && export RUNTIME

scripts=()
# a test script: a file, not a sourced library (lib.sh, lib-engines.sh, ...)
is_test () { [ -f "$1" ] && case ${1##*/} in lib*.sh) false ;; *) true ;; esac; }
add_dir () {
  local d=$1 f
  if [ -f "$d/run.sh" ]; then scripts+=("$d/run.sh"); return; fi
  for f in "$d"/*.sh; do is_test "$f" && scripts+=("$f"); done
}
if [ $# -eq 0 ]; then
  [ -f "$TESTS_DIR/unit/run.sh" ] && scripts+=("$TESTS_DIR/unit/run.sh")
  for d in oci-validation integration security engines; do
    for f in "$TESTS_DIR/$d"/*.sh; do is_test "$f" && scripts+=("$f"); done
  done
  [ -f "$TESTS_DIR/vm/run.sh" ] && scripts+=("$TESTS_DIR/vm/run.sh")
else
  for a in "$@"; do
    if [ -d "$a" ]; then add_dir "$a"
    elif [ -f "$a" ]; then scripts+=("$a")
    else echo "run.sh: no such test: $a" >&2; scripts+=("$a"); fi
  done
fi

echo "# runtime: ${RUNTIME:-(default: src/brig)}, timeout ${TEST_TIMEOUT}s per script"
passed=0 failed=0 skipped=0
log=$(mktemp "${TMPDIR:-/tmp}/brig-run.XXXXXX")
trap 'rm -f "$log"' EXIT

for s in "${scripts[@]}"; do
  name=${s#"$TESTS_DIR"/}
  if [ ! -f "$s" ]; then
    echo "not ok - $name: no such script"; failed=$((failed + 1)); continue
  fi
  start=$(date +%s)
  if [ -x "$s" ]; then cmd=("$s"); else cmd=(bash "$s"); fi
  # a script may ask for more time with a "# test-timeout: SECONDS" line
  t=$(sed -n 's/^# test-timeout: *\([0-9][0-9]*\)$/\1/p' "$s" | head -1)
  t=${t:-$TEST_TIMEOUT}
  [ "$t" -ge "$TEST_TIMEOUT" ] 2>/dev/null || t=$TEST_TIMEOUT
  # the script's stdout+stderr, shown prefixed, kept in $log for counting
  timeout -k 30 "$t" "${cmd[@]}" < /dev/null 2>&1 |
    while IFS= read -r line; do
      printf '%s\n' "$line" >> "$log"
      printf '%s: %s\n' "$name" "$line"
    done
  rc=${PIPESTATUS[0]}
  p=$(grep -E '^ok( |$)' "$log" | grep -vEc '# SKIP' || true)
  k=$(grep -E '^ok( |$)' "$log" | grep -Ec '# SKIP' || true)
  f=$(grep -Ec '^not ok( |$)' "$log" || true)
  : > "$log"
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    echo "not ok - $name: timed out after ${t}s"; f=$((f + 1))
  elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "not ok - $name: exited with status $rc"; f=$((f + 1))
  fi
  echo "# $name: $p passed, $f failed, $k skipped ($(( $(date +%s) - start ))s)"
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + k))
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
