#!/bin/bash
# linux.personality, process.scheduler, process.ioPriority (runtime-spec
# 1.1/1.2 fields; runc 1.1.5 ignores them, so those checks are skipped for
# it).  The baseline checks (fields absent) validate the probes themselves.
. "$(dirname "$0")/../lib.sh"
T_BUNDLE_JQ='del(.linux.resources)'   # no cgroup limits on this host

PROBE='echo "machine $(uname -m)"
  echo "policy $(awk -F: "/^policy/ { gsub(/ /, \"\", \$2); print \$2 }" /proc/self/sched)"
  echo "nice $(sed "s/.*) //" /proc/self/stat | cut -d" " -f17)"
  echo "ionice $(ionice)"'
val () { printf '%s\n' "$1" | awk -v k="$2" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }'; }
host_machine=$(uname -m)

# --- baseline: none of the fields ----------------------------------------
b=$(make_bundle base sh -c "$PROBE")
out=$(run_ctr "$b" "base-$T_SFX"); rc=$?
expect_eq "baseline run exits 0" 0 "$rc"
expect_eq "no personality: uname -m is the host's" "$host_machine" "$(val "$out" machine)"
expect_eq "no scheduler: SCHED_OTHER (policy 0)" 0 "$(val "$out" policy)"
expect_eq "no scheduler: nice 0 (stat field 19)" 0 "$(val "$out" nice)"
expect_match "no ioPriority: ionice shows none/best-effort" '^(none|best-effort): prio [0-9]+$' "$(val "$out" ionice)"

# the probes themselves, driven from inside with busybox applets
b=$(make_bundle probes sh -c 'echo "machine $(linux32 uname -m)"
  renice -n 5 -p $$ > /dev/null; echo "nice $(sed "s/.*) //" /proc/self/stat | cut -d" " -f17)"
  echo "ionice $(ionice -c 2 -n 6 ionice)"')
out=$(run_ctr "$b" "probes-$T_SFX")
[ "$host_machine" = x86_64 ] && expect_eq "probe: linux32 uname -m reads i686" i686 "$(val "$out" machine)"
expect_eq "probe: renice 5 reads back from stat field 19" 5 "$(val "$out" nice)"
expect_eq "probe: ionice -c 2 -n 6 reads back" "best-effort: prio 6" "$(val "$out" ionice)"

# --- personality ---------------------------------------------------------
if [ "$host_machine" != x86_64 ]; then
  skip "personality LINUX32: uname -m is i686" "host is $host_machine, not x86_64"
elif needs_newer_than_runc_115 "personality LINUX32: uname -m is i686" "runc 1.1.5 ignores linux.personality (runc >= 1.2)"; then
  b=$(make_bundle pers sh -c "$PROBE")
  jq_edit "$b" '.linux.personality = {"domain": "LINUX32"}'
  out=$(run_ctr "$b" "pers-$T_SFX"); rc=$?
  expect_eq "personality LINUX32: run exits 0" 0 "$rc"
  expect_eq "personality LINUX32: uname -m is i686" i686 "$(val "$out" machine)"
  b=$(make_bundle pers64 sh -c "$PROBE")
  jq_edit "$b" '.linux.personality = {"domain": "LINUX"}'
  out=$(run_ctr "$b" "pers64-$T_SFX")
  expect_eq "personality LINUX: uname -m is x86_64" x86_64 "$(val "$out" machine)"
  check "pers leaves nothing" leaves_nothing "pers-$T_SFX" "$b"
fi

# --- scheduler -----------------------------------------------------------
if needs_newer_than_runc_115 "scheduler SCHED_BATCH nice 5" "runc 1.1.5 ignores process.scheduler (runc >= 1.2)"; then
  b=$(make_bundle sched sh -c "$PROBE")
  jq_edit "$b" '.process.scheduler = {"policy": "SCHED_BATCH", "nice": 5}'
  out=$(run_ctr "$b" "sched-$T_SFX"); rc=$?
  expect_eq "scheduler: run exits 0" 0 "$rc"
  expect_eq "scheduler SCHED_BATCH: policy 3 in /proc/self/sched" 3 "$(val "$out" policy)"
  expect_eq "scheduler nice 5: stat field 19" 5 "$(val "$out" nice)"
  check "sched leaves nothing" leaves_nothing "sched-$T_SFX" "$b"
fi

# --- ioPriority ----------------------------------------------------------
if needs_newer_than_runc_115 "ioPriority best-effort 6" "runc 1.1.5 ignores process.ioPriority (runc >= 1.2)"; then
  b=$(make_bundle iop sh -c "$PROBE")
  jq_edit "$b" '.process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 6}'
  out=$(run_ctr "$b" "iop-$T_SFX"); rc=$?
  expect_eq "ioPriority: run exits 0" 0 "$rc"
  expect_eq "ioPriority IOPRIO_CLASS_BE 6 (ionice)" "best-effort: prio 6" "$(val "$out" ionice)"
  b=$(make_bundle iop-idle sh -c "$PROBE")
  jq_edit "$b" '.process.ioPriority = {"class": "IOPRIO_CLASS_IDLE", "priority": 0}'
  out=$(run_ctr "$b" "iop-idle-$T_SFX")
  expect_match "ioPriority IOPRIO_CLASS_IDLE (ionice)" '^idle' "$(val "$out" ionice)"
  check "iop leaves nothing" leaves_nothing "iop-$T_SFX" "$b"
fi

t_done
