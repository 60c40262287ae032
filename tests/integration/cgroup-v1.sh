#!/bin/bash
# Cgroups on cgroup v1 and hybrid hosts, through runc's command line:
# resources read back from the controller files, a fork bomb stops at
# pids.max, a paused container makes no progress, ps, events --stats,
# update (flags and -r), kill --all, device rules, an OOM kill, a resource
# this host cannot apply is refused, delete removes every directory.
#
# Rules of this host (shared machinery): cgroups are made only below the
# test's own cgroup (relative cgroupsPath "brig-it-PID/ID"), no process is
# moved out of it, no existing cgroup is changed.  On a cgroup v2 host this
# script skips: tests/vm/run.sh has the v2 checks.
. "$(dirname "$0")/../lib.sh"

fs=$(stat -fc %T /sys/fs/cgroup 2>/dev/null)
if [ "$fs" != tmpfs ]; then
  skip "cgroup v1/hybrid checks" "/sys/fs/cgroup is ${fs:-missing}, not a v1/hybrid layout (v2: tests/vm/run.sh)"
  t_done
fi
if [ "$(id -u)" != 0 ]; then
  skip "cgroup v1/hybrid checks" "needs root"
  t_done
fi
hybrid=false
[ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] && hybrid=true

BASE=brig-it-$T_SFX
out_dir=$T_TMP/out
mkdir -p "$out_dir"
BIND_OUT="{\"destination\": \"/out\", \"type\": \"bind\", \"source\": \"$out_dir\", \"options\": [\"bind\"]}"

# mount point of a v1 controller (or name=systemd), "" for the unified one
mnt_of () {
  if [ "$1" = "" ]; then
    awk '{ for (i = 1; i <= NF; i++) if ($i == "-") break; if ($(i+1) == "cgroup2") { print $5; exit } }' /proc/self/mountinfo
    return
  fi
  awk -v c="$1" '{ for (i = 1; i <= NF; i++) if ($i == "-") break; if ($(i+1) != "cgroup") next;
                   n = split($(i+3), o, ","); for (k = 1; k <= n; k++) if (o[k] == c) { print $5; exit } }' /proc/self/mountinfo
}
# path of PID in the hierarchy of CONTROLLER ("" = unified) per /proc/PID/cgroup
path_of () {
  awk -F: -v c="$2" '{ if (c == "" && $1 == 0) { print $3; exit }
                       n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) { print $3; exit } }' "/proc/$1/cgroup"
}
# cgdir PID CONTROLLER: the directory of PID's cgroup for CONTROLLER
cgdir () { local p; p=$(path_of "$1" "$2"); printf '%s%s\n' "$(mnt_of "$2")" "${p%/}"; }
own_of () { path_of self "$1"; }
val () { cat "$1" 2>/dev/null | head -n 1 | tr -d '\n'; }

# the test's cgroups are removed even when a check fails half-way
cleanup_cgroups () {
  local d
  for d in $(find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -type d -name "$BASE" 2>/dev/null); do
    find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
}
on_exit cleanup_cgroups

# bundle NAME SCRIPT [JQ]: sh -c SCRIPT, /out bind-mounted, cgroupsPath BASE/NAME
bundle () {
  local b
  b=$(make_bundle "$1" sh -c "$2") || return 1
  jq_edit "$b" ".mounts += [$BIND_OUT] | .linux.cgroupsPath = \"$BASE/$1\"" || return 1
  [ -z "${3:-}" ] || jq_edit "$b" "$3" || return 1
  echo "$b"
}
start_ctr () { rt_create "$1" "$2" && rt start "$2"; }

blk=$(awk '$4 !~ /^(loop|ram|zram|sr|nbd)/ && $1 ~ /^[0-9]+$/ && $2 % 16 == 0 { print $1 ":" $2; exit }' /proc/partitions)

# --- resources ----------------------------------------------------------
id=res-$T_SFX
res='{"memory": {"limit": 67108864, "reservation": 33554432, "swap": 134217728, "swappiness": 10},
      "cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0", "mems": "0"},
      "pids": {"limit": 100}'
if [ -n "$blk" ]; then
  res="$res, \"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": ${blk%:*}, \"minor\": ${blk#*:}, \"rate\": 1048576}]}"
fi
res="$res, \"devices\": [{\"allow\": false, \"access\": \"rwm\"}]}"
b=$(bundle "$id" 'echo $$ > /out/res.pid; exec sleep 1000' ".linux.resources = $res")
start_ctr "$b" "$id"; rc=$?
expect_eq "create+start with resources" 0 "$rc"
[ "$rc" = 0 ] || echo "# $(err_of "$id")"
pid=$(state_of "$id" .pid)
for c in memory cpu cpuset pids blkio devices freezer name=systemd; do
  [ -n "$(mnt_of "$c")" ] || continue
  own=$(own_of "$c")
  expect_eq "in the $c hierarchy below the test's own cgroup" "${own%/}/$BASE/$id" "$(path_of "$pid" "$c")"
done
if $hybrid; then
  expect_eq "hybrid: in the unified hierarchy too" "$(own_of "" | sed 's:/$::')/$BASE/$id" "$(path_of "$pid" "")"
fi
d=$(cgdir "$pid" memory)
expect_eq "memory.limit -> memory.limit_in_bytes" 67108864 "$(val "$d/memory.limit_in_bytes")"
expect_eq "memory.reservation -> memory.soft_limit_in_bytes" 33554432 "$(val "$d/memory.soft_limit_in_bytes")"
if [ -e "$d/memory.memsw.limit_in_bytes" ]; then
  expect_eq "memory.swap -> memory.memsw.limit_in_bytes" 134217728 "$(val "$d/memory.memsw.limit_in_bytes")"
fi
expect_eq "memory.swappiness" 10 "$(val "$d/memory.swappiness")"
d=$(cgdir "$pid" cpu)
expect_eq "cpu.shares" 512 "$(val "$d/cpu.shares")"
expect_eq "cpu.quota -> cpu.cfs_quota_us" 50000 "$(val "$d/cpu.cfs_quota_us")"
expect_eq "cpu.period -> cpu.cfs_period_us" 100000 "$(val "$d/cpu.cfs_period_us")"
d=$(cgdir "$pid" cpuset)
expect_eq "cpu.cpus -> cpuset.cpus" 0 "$(val "$d/cpuset.cpus")"
expect_eq "cpu.mems -> cpuset.mems" 0 "$(val "$d/cpuset.mems")"
expect_eq "pids.limit -> pids.max" 100 "$(val "$(cgdir "$pid" pids)/pids.max")"
if [ -n "$blk" ]; then
  expect_eq "blockIO.throttleReadBpsDevice" "$blk 1048576" "$(val "$(cgdir "$pid" blkio)/blkio.throttle.read_bps_device")"
fi
l=$(cat "$(cgdir "$pid" devices)/devices.list" 2>/dev/null)
expect_match "devices: runc's default allow list (c 1:3 rwm)" '^c 1:3 rwm$' "$(printf '%s\n' "$l" | grep '1:3')"
expect_nomatch "devices: default deny (no a *:* rwm)" 'a \*:\* rwm' "$l"

# --- ps ------------------------------------------------------------------
expect_match "ps: table lists the container's process" "(^|[[:space:]])$pid([[:space:]]|$)" "$(rt ps "$id" 2>&1)"
expect_eq "ps --format json: the pids" "[$pid]" "$(rt ps --format json "$id" 2>/dev/null | jq -c . 2>/dev/null)"

# --- events --stats --------------------------------------------------------
ev=$(rt events --stats "$id" 2>&1)
expect_eq "events --stats: type stats" stats "$(printf '%s' "$ev" | jq -r .type 2>/dev/null)"
expect_eq "events --stats: id" "$id" "$(printf '%s' "$ev" | jq -r .id 2>/dev/null)"
expect_eq "events --stats: memory limit" 67108864 "$(printf '%s' "$ev" | jq -r .data.memory.usage.limit 2>/dev/null)"
expect_eq "events --stats: pids.current" 1 "$(printf '%s' "$ev" | jq -r .data.pids.current 2>/dev/null)"
expect_match "events --stats: cpu usage" '^[0-9]+$' "$(printf '%s' "$ev" | jq -r .data.cpu.usage.total 2>/dev/null)"
# the per-cpu lists have one entry per line of cpuacct.usage_all (minus its header)
acct=$(cgdir "$pid" cpuacct)
if [ -r "$acct/cpuacct.usage_all" ]; then
  ncpu=$(($(wc -l < "$acct/cpuacct.usage_all") - 1))
  expect_eq "events --stats: percpu_user and percpu_kernel, one per cpu" "$ncpu $ncpu" \
    "$(printf '%s' "$ev" | jq -r '"\(.data.cpu.usage.percpu_user | length) \(.data.cpu.usage.percpu_kernel | length)"' 2>/dev/null)"
else
  skip "events --stats: percpu_user/percpu_kernel" "no cpuacct.usage_all"
fi

# --- update ---------------------------------------------------------------
rt update --memory 50331648 --pids-limit 50 --cpu-share 1024 "$id" 2>"$T_TMP/upd.err"; rc=$?
expect_eq "update --memory --pids-limit --cpu-share" 0 "$rc"
[ "$rc" = 0 ] || echo "# $(cat "$T_TMP/upd.err")"
expect_eq "update: memory.limit_in_bytes" 50331648 "$(val "$(cgdir "$pid" memory)/memory.limit_in_bytes")"
expect_eq "update: pids.max" 50 "$(val "$(cgdir "$pid" pids)/pids.max")"
expect_eq "update: cpu.shares" 1024 "$(val "$(cgdir "$pid" cpu)/cpu.shares")"
echo '{"cpu": {"quota": 20000}, "pids": {"limit": 40}}' > "$T_TMP/r.json"
rt update -r "$T_TMP/r.json" "$id" 2>"$T_TMP/upd.err"; rc=$?
expect_eq "update -r resources.json" 0 "$rc"
[ "$rc" = 0 ] || echo "# $(cat "$T_TMP/upd.err")"
expect_eq "update -r: cpu.cfs_quota_us" 20000 "$(val "$(cgdir "$pid" cpu)/cpu.cfs_quota_us")"
expect_eq "update -r: pids.max" 40 "$(val "$(cgdir "$pid" pids)/pids.max")"

# --- delete leaves nothing --------------------------------------------------
dirs=""
for c in memory cpu pids devices freezer; do dirs="$dirs $(cgdir "$pid" "$c")"; done
rt kill "$id" KILL 2>/dev/null
poll 10 status_is "$id" stopped
rt delete "$id" 2>"$T_TMP/del.err"; rc=$?
expect_eq "delete" 0 "$rc"
left=""
for d in $dirs; do [ -e "$d" ] && left="$left $d"; done
expect_eq "delete removed the container's cgroup in every hierarchy" "" "$left"
check "delete leaves nothing named after the container" leaves_nothing "$id" "$b"

# --- pause / resume ---------------------------------------------------------
id=pz-$T_SFX
b=$(bundle "$id" 'i=0; while :; do i=$((i+1)); echo $i > /out/count; done' '.linux.resources = {"pids": {"limit": 20}}')
start_ctr "$b" "$id"
poll 10 test -s "$out_dir/count"
rt pause "$id" 2>"$T_TMP/pz.err"; rc=$?
expect_eq "pause" 0 "$rc"
[ "$rc" = 0 ] || echo "# $(cat "$T_TMP/pz.err")"
expect_eq "state after pause: paused" paused "$(status_of "$id")"
pid=$(state_of "$id" .pid)
expect_eq "freezer.state FROZEN" FROZEN "$(val "$(cgdir "$pid" freezer)/freezer.state")"
a=$(cat "$out_dir/count"); sleep 0.5; c2=$(cat "$out_dir/count")
expect_eq "a paused container makes no progress" "$a" "$c2"
rt resume "$id" 2>"$T_TMP/pz.err"; rc=$?
expect_eq "resume" 0 "$rc"
expect_eq "state after resume: running" running "$(status_of "$id")"
poll 5 sh -c "[ \"\$(cat '$out_dir/count')\" != '$c2' ]"; rc=$?
expect_eq "a resumed container runs again" 0 "$rc"
expect_fail "resume of a running container fails" rt resume "$id"
rt delete -f "$id" > /dev/null 2>&1
check "delete -f leaves nothing" leaves_nothing "$id" "$b"

# --- pids.max stops a fork bomb ------------------------------------------------
id=fb-$T_SFX
# (busybox sh exits when a fork fails: the bomb runs in a child shell, the
# init only execs)
b=$(bundle "$id" 'sh -c "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do sleep 1000 & done; wait"; echo forked > /out/fb; exec sleep 1000' \
  '.linux.resources = {"pids": {"limit": 8}}')
start_ctr "$b" "$id"
poll 10 test -e "$out_dir/fb"
pid=$(state_of "$id" .pid)
d=$(cgdir "$pid" pids)
n=$(val "$d/pids.current")
check "fork bomb: pids.current stays at pids.max ($n <= 8)" test "${n:-99}" -le 8
expect_match "fork bomb: pids.events counts refused forks" '^max [1-9]' "$(cat "$d/pids.events" 2>/dev/null)"
expect_match "fork bomb: the shell saw fork fail" "can't fork|Resource temporarily unavailable|fork" "$(err_of "$id")"

# --- kill --all ----------------------------------------------------------------
rt kill --all "$id" KILL 2>"$T_TMP/ka.err"; rc=$?
expect_eq "kill --all" 0 "$rc"
poll 10 status_is "$id" stopped; rc=$?
expect_eq "kill --all: the container stopped" 0 "$rc"
check "kill --all: no process left in the cgroup" poll 10 sh -c "[ ! -s '$d/cgroup.procs' ]"
rt delete "$id" > /dev/null 2>&1
check "delete after kill --all leaves nothing" leaves_nothing "$id" "$b"

# --- device rules ------------------------------------------------------------------
id=dev-$T_SFX
# mknod is allowed for every device (runc's "c *:* m", "b *:* m"); opening
# needs a rule.  /dev is the container's tmpfs (the rootfs is read-only).
probe='mknod /dev/blk b 7 0 || exit 9; head -c 1 /dev/blk > /dev/null; echo "rc=$?"'
MKNOD='.process.capabilities |= with_entries(.value += ["CAP_MKNOD"])'
b=$(bundle "$id" "$probe" "$MKNOD")
out=$(run_ctr "$b" "$id")
expect_eq "devices: mknod of any device is allowed, opening one outside the list fails" "rc=1" "$out"
expect_match "devices: ... with EPERM from the devices cgroup" 'Operation not permitted' "$(err_of "$id")"
rt delete -f "$id" > /dev/null 2>&1
b=$(bundle "${id}a" "$probe" "$MKNOD"' | .linux.resources.devices += [{"allow": true, "type": "b", "major": 7, "minor": 0, "access": "rw"}]')
out=$(run_ctr "$b" "${id}a")
expect_eq "devices: a device allowed by a rule opens" "rc=0" "$out"
expect_nomatch "devices: ... without EPERM" 'Operation not permitted' "$(err_of "${id}a")"
rt delete -f "${id}a" > /dev/null 2>&1

# --- OOM ---------------------------------------------------------------------------
id=oom-$T_SFX
# sort keeps its whole input in (anonymous) memory: it is the OOM victim,
# the container's init survives
b=$(bundle "$id" 'head -c 100m /dev/zero | tr "\\0" "\\n" | sort > /dev/null; echo "hog $?" > /out/oom; exec sleep 1000' \
  '.linux.resources = {"memory": {"limit": 33554432, "swap": 33554432}}')
# `events` streams from before the start, so the OOM kill is seen live
rt_create "$b" "$id"
events_bg "$id" "$T_TMP/oom-events.out"
rt start "$id"
pid=$(state_of "$id" .pid)
d=$(cgdir "$pid" memory)
poll 20 sh -c "grep -q 'oom_kill [1-9]' '$d/memory.oom_control'"; rc=$?
expect_eq "a memory hog over memory.limit is OOM-killed (memory.oom_control)" 0 "$rc"
poll 10 test -e "$out_dir/oom"
expect_eq "the OOM victim was the hog (SIGKILL), not the container" "hog 137" "$(cat "$out_dir/oom" 2>/dev/null)"
ev=$(rt events --stats "$id" 2>/dev/null)
# (failcnt is not reliable across kernels; the peak is)
expect_eq "events --stats: the peak usage reached the limit" true \
  "$(printf '%s' "$ev" | jq -r '.data.memory.usage.max >= 32000000 and .data.memory.usage.limit == 33554432' 2>/dev/null)"
check "events (stream): an {\"type\":\"oom\"} line for the OOM kill" poll 10 grep -q "\"type\":\"oom\",\"id\":\"$id\"" "$T_TMP/oom-events.out"
kill "$EV_PID" 2> /dev/null
rt delete -f "$id" > /dev/null 2>&1
check "delete -f after an OOM leaves nothing" leaves_nothing "$id" "$b"

# --- no cgroupsPath: <own cgroup>/<id> ------------------------------------------------
id=dflt-$T_SFX
b=$(make_bundle "$id" sleep 1000)
jq_edit "$b" '.linux.resources.pids = {"limit": 30}'
start_ctr "$b" "$id"
pid=$(state_of "$id" .pid)
own=$(own_of pids)
expect_eq "no cgroupsPath: the cgroup is <own>/<id>" "${own%/}/$id" "$(path_of "$pid" pids)"
expect_eq "no cgroupsPath: pids.max applied" 30 "$(val "$(cgdir "$pid" pids)/pids.max")"
rt delete -f "$id" > /dev/null 2>&1
check "delete -f leaves nothing" leaves_nothing "$id" "$b"

# --- what this host cannot apply is refused -------------------------------------------
if [ -z "$(mnt_of hugetlb)" ] && brig_only "hugepageLimits without a hugetlb controller is refused"; then
  id=hp-$T_SFX
  b=$(bundle "$id" true '.linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 2097152}]')
  rt_create "$b" "$id"; rc=$?
  check "hugepageLimits without hugetlb: create fails" test "$rc" -ne 0
  expect_match "hugepageLimits: the error names the field" 'linux\.resources\.hugepageLimits' "$(err_of "$id")"
  check "the failed create leaves nothing" leaves_nothing "$id" "$b"
fi
if [ -z "$(mnt_of net_cls)" ] && brig_only "network.classID without net_cls is refused"; then
  id=nc-$T_SFX
  b=$(bundle "$id" true '.linux.resources.network = {"classID": 1048577}')
  rt_create "$b" "$id"; rc=$?
  check "network.classID without net_cls: create fails" test "$rc" -ne 0
  expect_match "network.classID: the error names the field" 'linux\.resources\.network\.classID' "$(err_of "$id")"
  check "the failed create leaves nothing" leaves_nothing "$id" "$b"
fi
if brig_only "escaping cgroupsPath is refused"; then
  id=esc-$T_SFX
  b=$(make_bundle "$id" true)
  jq_edit "$b" '.linux.cgroupsPath = "../../escape"'
  rt_create "$b" "$id"; rc=$?
  check "cgroupsPath with ../ out of the hierarchy: create fails" test "$rc" -ne 0
  expect_match "cgroupsPath escape: the error says so" 'linux\.cgroupsPath.*escapes' "$(err_of "$id")"
fi

# every container is gone: so is the test's base cgroup (brig removes the
# parents it made once they are empty)
if brig_only "the parent cgroups brig made are removed with the last container"; then
  check "no $BASE cgroup left" test -z "$(find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -type d -name "$BASE" 2>/dev/null)"
fi
t_done
