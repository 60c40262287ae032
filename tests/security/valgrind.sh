#!/bin/bash
# valgrind memcheck on the lifecycle commands: spec, create, start, state,
# list, ps, kill, exec, delete, run, and bad input (a malformed config, a
# missing container, an unknown signal).  Every command must report no
# leak (definitely/indirectly lost), no invalid access and exit as it
# would without valgrind.
#
# create/run/exec re-exec brig from a sealed memfd (selfexe.c), which
# valgrind cannot follow.  No switch turns that off: the binary is handed
# to valgrind AS a sealed memfd copy (tests/security/valgrind-memfd.py),
# so brig finds /proc/self/exe already sealed and goes on in place - the
# production path for a binary that is already protected.  Its debug info
# is found by build id (--extra-debuginfo-path).  The container process is
# a fork of brig, so memcheck follows it until its execve as well.
# valgrind does not know openat2, mount_setattr, clone3 (ENOSYS): brig
# takes its fallbacks (userspace resolver, remount, clone), except for
# readonlyPaths (recursive attributes need mount_setattr) and
# RLIMIT_NOFILE (valgrind keeps fds of its own), left out of the config.
. "$(dirname "$0")/../lib.sh"

command -v valgrind > /dev/null || { skip "valgrind memcheck" "valgrind not installed (apt-get install valgrind)"; exit 0; }
command -v python3 > /dev/null || { skip "valgrind memcheck" "needs python3"; exit 0; }
brig_only "valgrind memcheck" "runs brig's binary" || exit 0
# valgrind cannot replace malloc in a static binary (no leak checks): a
# static src/brig is checked as the same code linked dynamically, the
# src/brig-dynamic that the build makes next to it
if ! is_dynamic "$RUNTIME"; then
  dyn=$(dynamic_build "$RUNTIME")
  [ -n "$dyn" ] || { skip "valgrind memcheck" "$RUNTIME is static and no brig-dynamic is next to it"; exit 0; }
  RUNTIME=$dyn
  ok "valgrind memcheck: $RUNTIME (the static binary's code, linked dynamically)"
fi

dbg=$T_TMP/debuginfo
bid=$(readelf -n "$RUNTIME" 2>/dev/null | awk '/Build ID/ { print $3 }')
if [ -n "$bid" ]; then
  mkdir -p "$dbg/.build-id/${bid:0:2}"
  cp "$RUNTIME" "$dbg/.build-id/${bid:0:2}/${bid:2}.debug"
fi
VG=(valgrind --trace-children=no --leak-check=full --show-leak-kinds=definite,indirect
    --errors-for-leak-kinds=definite,indirect --error-exitcode=99 -q
    --extra-debuginfo-path="$dbg" --suppressions="$TESTS_DIR/security/valgrind.supp")
n=0
# vg EXPECT WHAT ARGS...: brig ARGS under memcheck; EXPECT is the exit
# status brig must give (0; "fail": any non-zero but 99; "pidfd": 0, or
# the failure at pidfd_open, which valgrind 3.19 does not emulate)
vg () {
  local expect=$1 what=$2; shift 2
  local log=$T_TMP/vg$n.log rc
  n=$((n + 1))
  local vpid
  timeout 120 python3 "$TESTS_DIR/security/valgrind-memfd.py" "$RUNTIME" "${VG[@]}" -- --root "$T_ROOT" "$@" \
    < /dev/null > "$log.out" 2> "$log" &
  vpid=$!   # python execs valgrind: the same pid is brig's
  wait $vpid; rc=$?
  # the warnings about syscalls valgrind does not know are not errors.
  # brig itself: every memcheck report counts.  Its forks (the container
  # init, the exec child) end in execve or _exit, with the parent's heap
  # still mapped: leaks mean nothing there, every other error counts.
  local errs
  errs=$( { grep "^==$vpid==" "$log"
            grep '^==[0-9]*==' "$log" | grep -v "^==$vpid==" |
              grep -E 'Invalid (read|write|free)|uninitialised|Conditional jump|Syscall param|Mismatched|overlap|Jump to' ; } |
          grep -v 'WARNING: unhandled\|You may be able\|README_MISSING\|Nevertheless\|bug_reports' | head -20)
  if [ $rc -eq 99 ] || [ -n "$errs" ]; then
    not_ok "valgrind: $what: memcheck errors"; printf '%s\n' "$errs" | sed 's/^/# /'
  elif [ "$expect" = fail ] && [ $rc -ne 0 ]; then ok "valgrind: $what: clean (exit $rc, as expected)"
  elif [ "$expect" = pidfd ] && [ $rc -eq 0 ]; then ok "valgrind: $what: clean"
  elif [ "$expect" = pidfd ] && grep -q 'unhandled amd64-linux syscall: 434' "$log"; then
    ok "valgrind: $what: clean up to pidfd_open, which this valgrind does not emulate"
  elif [ "$expect" = 0 ] && [ $rc -eq 0 ]; then ok "valgrind: $what: clean"
  else not_ok "valgrind: $what: exit $rc: $(grep -v '^==\|^--' "$log" | head -2 | tr '\n' ' ')"; fi
}

b=$(make_bundle b1 sleep 30)
jq_edit "$b" 'del(.linux.readonlyPaths) | del(.process.rlimits)'
id=vg-$T_SFX
mkdir -p "$T_TMP/spec"
vg 0 "spec" spec --bundle "$T_TMP/spec"
mkdir -p "$T_TMP/spec-rl"
vg 0 "spec --rootless" spec --rootless --bundle "$T_TMP/spec-rl"
vg 0 "create" create --bundle "$b" "$id"
vg 0 "state (created)" state "$id"
vg 0 "list" list
vg 0 "start" start "$id"
vg 0 "state (running)" state "$id"
vg 0 "ps" ps "$id"
vg pidfd "exec" exec "$id" /bin/true
vg pidfd "exec --cap" exec --cap CAP_NET_ADMIN "$id" /bin/true
vg 0 "list --format json" list --format json
vg fail "kill with an unknown signal" kill "$id" SIGFOO
vg pidfd "kill" kill "$id" KILL
rt kill "$id" KILL > /dev/null 2>&1
poll 10 status_is "$id" stopped
vg 0 "delete" delete "$id"
vg fail "state of a missing container" state "$id"
vg fail "delete of a missing container" delete "$id"
jq_edit "$b" '.process.args = ["/bin/sh", "-c", "echo hello"]'
vg 0 "run" run --bundle "$b" "$id-run"
bad=$T_TMP/bad; mkdir -p "$bad"; ln -s "$b/rootfs" "$bad/rootfs"
printf '{"ociVersion": "1.0.2", "process": {' > "$bad/config.json"
vg fail "create with a malformed config" create --bundle "$bad" "$id-bad"
jq '.process.args = ["sh", 1]' "$b/config.json" > "$bad/config.json"
vg fail "create with a wrong type" create --bundle "$bad" "$id-bad"
jq '.mounts += [{"destination": "/x", "type": "bogusfs", "source": "x"}]' "$b/config.json" > "$bad/config.json"
vg fail "create that fails in the container process (unknown fs)" create --bundle "$bad" "$id-bad2"
jq '.process.args = ["/nonexistent"]' "$b/config.json" > "$bad/config.json"
vg fail "run of a missing executable" run --bundle "$bad" "$id-bad3"
check "nothing left under --root" root_is_empty
t_done
