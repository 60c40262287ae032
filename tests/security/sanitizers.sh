#!/bin/bash
# test-timeout: 900
# `make check` under AddressSanitizer + UndefinedBehaviorSanitizer: a copy
# of the tracked sources built with ./configure --enable-sanitizers in a
# temp dir (the tree's own build stays as it is), then every unit test and a
# container lifecycle with the sanitized binary.  Any ASan/UBSan report is a
# failure.
. "$(dirname "$0")/../lib.sh"

src=$T_TMP/asan-src
mkdir -p "$src"
if git -C "$TOP_DIR" rev-parse --git-dir > /dev/null 2>&1; then
  (cd "$TOP_DIR" && git ls-files -z | xargs -0 cp --parents -t "$src")
else
  skip "sanitizer build" "not a git checkout"
  t_done
fi

if ! (cd "$src" && ./autogen.sh && ./configure -q --enable-sanitizers && make -j"$(nproc)" && make -j"$(nproc)" check TESTS=) \
     > "$T_TMP/asan-build.log" 2>&1; then
  not_ok "build with --enable-sanitizers"
  tail -20 "$T_TMP/asan-build.log" | sed 's/^/# /'
  t_done
fi
ok "build with --enable-sanitizers (ASan + UBSan)"

# LeakSanitizer cannot stop the world after setns(CLONE_NEWPID) in exec;
# leaks are valgrind.sh's job.  Everything else aborts on the first report.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

for t in "$src"/tests/unit/test-*; do
  [ -x "$t" ] && [ "${t%.c}" = "$t" ] && [ "${t%.o}" = "$t" ] || continue
  name=$(basename "$t")
  (cd "$src" && srcdir="$src/tests/unit" "$t") > "$T_TMP/$name.log" 2>&1
  rc=$?
  n_ok=$(grep -c '^ok' "$T_TMP/$name.log")
  n_bad=$(grep -c '^not ok' "$T_TMP/$name.log")
  if [ "$rc" -eq 0 ] && [ "$n_bad" -eq 0 ] && ! grep -qE 'ERROR: AddressSanitizer|runtime error:' "$T_TMP/$name.log"; then
    ok "asan+ubsan: $name ($n_ok checks)"
  else
    not_ok "asan+ubsan: $name (exit $rc, $n_bad failed)"
    grep -E 'not ok|ERROR: AddressSanitizer|runtime error:|SUMMARY' "$T_TMP/$name.log" | head -10 | sed 's/^/# /'
  fi
done

# a container's lifecycle with the sanitized runtime
RUNTIME=$src/src/brig
b=$(make_bundle asan sh -c 'echo hi; exit 3')
out=$(rt run --bundle "$b" "asan-$$" < /dev/null 2> "$T_TMP/asan-run.err"); rc=$?
expect_eq "asan+ubsan: run exits with the container's status" 3 "$rc"
expect_eq "asan+ubsan: run output" hi "$out"
b=$(make_bundle asan2 sleep 100)
rt_create "$b" "asan2-$$"
rt state "asan2-$$" > /dev/null 2>> "$T_TMP/asan-run.err"
rt exec "asan2-$$" true 2>> "$T_TMP/asan-run.err"
rt kill "asan2-$$" KILL 2>> "$T_TMP/asan-run.err"
poll 10 status_is "asan2-$$" stopped
rt delete "asan2-$$" 2>> "$T_TMP/asan-run.err"
rt list > /dev/null 2>> "$T_TMP/asan-run.err"
echo '{"ociVersion":' > "$T_TMP/bad.json"
rt create --config "$T_TMP/bad.json" --bundle "$b" "asan3-$$" 2>> "$T_TMP/asan-run.err"
if grep -qE 'ERROR: AddressSanitizer|runtime error:' "$T_TMP/asan-run.err"; then
  not_ok "asan+ubsan: create/start/state/exec/kill/delete/list and a bad config report nothing"
  grep -E 'ERROR: AddressSanitizer|runtime error:|SUMMARY' "$T_TMP/asan-run.err" | head -10 | sed 's/^/# /'
else
  ok "asan+ubsan: create/start/state/exec/kill/delete/list and a bad config report nothing"
fi
check "asan+ubsan: the lifecycle leaves nothing" leaves_nothing "asan2-$$" "$b"

t_done
