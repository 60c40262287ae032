#!/bin/bash
# tests/vm/guest-brig.sh MODE: container-level cgroup v2 checks through the
# runtime's command line (RUNTIME, default src/brig), run by tests/vm/guest.sh
# inside the pure cgroup v2 guest (MODE plain or systemd) or directly on a v2
# host (MODE direct).  Written against runc's CLI, like tests/integration.
#
#  - resources read back from the cgroup2 files (memory, swap, cpu weight and
#    max, burst, cpuset, pids, io.max on a null_blk device, hugetlb, unified)
#  - acting: a fork bomb stops at pids.max, a memory hog is OOM-killed
#    (memory.events), a paused container makes no progress (cgroup.freeze),
#    io.max throttles reads from the null_blk device, device rules (eBPF)
#  - ps, events --stats, update (flags, -r, checkBeforeUpdate), kill --all
#    (cgroup.kill), delete leaves no cgroup behind
#  - systemd mode: the systemd driver (--systemd-cgroup, slice:prefix:name),
#    as root and as the rootless test user (user@UID.service), no unit left
mode=${1:-plain}
. "$(dirname "$0")/../lib.sh"

[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] || { skip "cgroup v2 container checks" "not a cgroup v2 host"; t_done; }
[ "$(id -u)" = 0 ] || { skip "cgroup v2 container checks" "needs root"; t_done; }

own=$(awk -F: '$1 == 0 { print $3 }' /proc/self/cgroup)
# cgroupfs: below our own cgroup when it is the root (plain guest), else
# (our cgroup has processes: nothing could be enabled below it) at the root
if [ "$own" = / ]; then BASE=brig-vm-$T_SFX; else BASE=/brig-vm-$T_SFX; fi
cleanup_cgroups () {
  local d=/sys/fs/cgroup${own%/}/brig-vm-$T_SFX
  [ "$own" = / ] || d=/sys/fs/cgroup/brig-vm-$T_SFX
  [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
  return 0
}
on_exit cleanup_cgroups

out_dir=$T_TMP/out
mkdir -p "$out_dir"
BIND_OUT="{\"destination\": \"/out\", \"type\": \"bind\", \"source\": \"$out_dir\", \"options\": [\"bind\"]}"
bundle () {
  local b
  b=$(make_bundle "$1" sh -c "$2") || return 1
  jq_edit "$b" ".mounts += [$BIND_OUT] | .linux.cgroupsPath = \"$BASE/$1\"" || return 1
  [ -z "${3:-}" ] || jq_edit "$b" "$3" || return 1
  echo "$b"
}
start_ctr () { rt_create "$1" "$2" && rt start "$2"; }
cgdir () { printf '/sys/fs/cgroup%s\n' "$(awk -F: '$1 == 0 { print $3 }' "/proc/$1/cgroup")"; }
# cg_of ID: the cgroup (below /sys/fs/cgroup) container ID's bundle asks
# for (BASE is relative to our own cgroup, which is the root, or absolute)
cg_of () { echo "/${BASE#/}/$1"; }
val () { head -n 1 "$1" 2>/dev/null | tr -d '\n'; }

nb=
if [ -b /dev/nullb0 ]; then nb=$(stat -c '%t:%T' /dev/nullb0); nb=$((16#${nb%:*})):$((16#${nb#*:})); fi

# --- resources ---------------------------------------------------------
id=res-$T_SFX
res='{"memory": {"limit": 67108864, "reservation": 33554432, "swap": 134217728},
      "cpu": {"shares": 512, "quota": 50000, "period": 100000, "burst": 1000, "cpus": "0", "mems": "0"},
      "pids": {"limit": 100},
      "hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}],
      "unified": {"memory.high": "104857600"}'
[ -n "$nb" ] && res="$res, \"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": ${nb%:*}, \"minor\": ${nb#*:}, \"rate\": 1048576}]}"
res="$res, \"devices\": [{\"allow\": false, \"access\": \"rwm\"}]}"
b=$(bundle "$id" 'exec sleep 1000' ".linux.resources = $res")
start_ctr "$b" "$id"; rc=$?
expect_eq "create+start with resources" 0 "$rc"
[ "$rc" = 0 ] || echo "# $(err_of "$id")"
pid=$(state_of "$id" .pid)
d=$(cgdir "$pid")
want=$(cg_of "$id")
expect_eq "the container's cgroup" "$want" "${d#/sys/fs/cgroup}"
expect_eq "memory.limit -> memory.max" 67108864 "$(val "$d/memory.max")"
expect_eq "memory.swap 128M with limit 64M -> memory.swap.max 64M" 67108864 "$(val "$d/memory.swap.max")"
expect_eq "memory.reservation -> memory.low" 33554432 "$(val "$d/memory.low")"
expect_eq "cpu.shares 512 -> cpu.weight 20" 20 "$(val "$d/cpu.weight")"
expect_eq "cpu.quota/period -> cpu.max" "50000 100000" "$(val "$d/cpu.max")"
expect_eq "cpu.burst -> cpu.max.burst" 1000 "$(val "$d/cpu.max.burst")"
expect_eq "cpu.cpus -> cpuset.cpus" 0 "$(val "$d/cpuset.cpus")"
expect_eq "pids.limit -> pids.max" 100 "$(val "$d/pids.max")"
expect_eq "hugepageLimits -> hugetlb.2MB.max" 4194304 "$(val "$d/hugetlb.2MB.max")"
expect_eq "unified memory.high" 104857600 "$(val "$d/memory.high")"
if [ -n "$nb" ]; then
  expect_match "blockIO.throttleReadBpsDevice -> io.max" "^$nb rbps=1048576 " "$(val "$d/io.max")"
else
  skip "io.max" "no null_blk device"
fi
expect_match "ps: the container's process" "(^|[[:space:]])$pid([[:space:]]|$)" "$(rt ps "$id" 2>&1)"
ev=$(rt events --stats "$id" 2>&1)
expect_eq "events --stats: type" stats "$(printf '%s' "$ev" | jq -r .type 2>/dev/null)"
expect_eq "events --stats: memory limit" 67108864 "$(printf '%s' "$ev" | jq -r .data.memory.usage.limit 2>/dev/null)"
expect_eq "events --stats: pids.current" 1 "$(printf '%s' "$ev" | jq -r .data.pids.current 2>/dev/null)"
rt update --memory 50331648 --pids-limit 50 --cpu-share 1024 --cpu-quota 20000 "$id" 2> "$T_TMP/u.err"; rc=$?
expect_eq "update flags" 0 "$rc"
[ "$rc" = 0 ] || echo "# $(cat "$T_TMP/u.err")"
expect_eq "update: memory.max" 50331648 "$(val "$d/memory.max")"
expect_eq "update: pids.max" 50 "$(val "$d/pids.max")"
expect_eq "update: cpu.weight (shares 1024)" 39 "$(val "$d/cpu.weight")"
expect_eq "update: cpu.max keeps the period" "20000 100000" "$(val "$d/cpu.max")"
echo '{"memory": {"limit": 4096, "checkBeforeUpdate": true}}' > "$T_TMP/r.json"
needs_newer_than_runc_115 "update -r with checkBeforeUpdate below usage is refused" &&
  expect_fail "update -r with checkBeforeUpdate below usage is refused" rt update -r "$T_TMP/r.json" "$id"
rt delete -f "$id" > /dev/null 2>&1
check "delete -f: no cgroup left" test ! -e "$d"
check "delete -f leaves nothing" leaves_nothing "$id" "$b"

# --- placement: born in the cgroup (clone3 CLONE_INTO_CGROUP), or moved ------
# BRIG_FORCE_NO_CLONE_INTO_CGROUP=1 takes the cgroup.procs way (kernels
# before 5.7, a cgroup that refuses direct placement): same cgroup for the
# init and for an exec'd process, the --debug log saying which way
for way in clone procs; do
  id=pl-$way-$T_SFX
  b=$(bundle "$id" 'exec sleep 1000' '.linux.resources = {"pids": {"limit": 20}}')
  if [ "$way" = procs ]; then export BRIG_FORCE_NO_CLONE_INTO_CGROUP=1; want_log='joined through cgroup.procs'
  else export BRIG_FORCE_NO_CLONE_INTO_CGROUP=0; want_log='born in the unified cgroup'; fi
  rt --debug --log "$T_TMP/pl-$way.log" create --bundle "$b" "$id" < /dev/null > /dev/null 2>&1 && rt start "$id"; rc=$?
  expect_eq "placement ($way): create+start" 0 "$rc"
  want=$(cg_of "$id")
  d=$(cgdir "$(state_of "$id" .pid)")
  expect_eq "placement ($way): the init's cgroup" "$want" "${d#/sys/fs/cgroup}"
  expect_match "placement ($way): create's log" "$want_log" "$(cat "$T_TMP/pl-$way.log" 2>/dev/null)"
  rt --debug --log "$T_TMP/pl-$way-x.log" exec -d "$id" sleep 1000
  expect_match "placement ($way): exec's log" "$want_log" "$(cat "$T_TMP/pl-$way-x.log" 2>/dev/null)"
  cgs=$(for p in $(rt ps --format json "$id" 2>/dev/null | jq -r '.[]'); do awk -F: '$1 == 0 { print $3 }' "/proc/$p/cgroup"; done | sort -u | paste -sd,)
  expect_eq "placement ($way): the init and the exec'd process, in the container's cgroup" "$want" "$cgs"
  expect_eq "placement ($way): pids.current" 2 "$(val "$d/pids.current")"
  rt delete -f "$id" > /dev/null 2>&1
  check "placement ($way): delete -f leaves nothing" leaves_nothing "$id" "$b"
done
unset BRIG_FORCE_NO_CLONE_INTO_CGROUP

# --- pause / resume (cgroup.freeze) ---------------------------------------
id=pz-$T_SFX
b=$(bundle "$id" 'i=0; while :; do i=$((i+1)); echo $i > /out/count; done' '.linux.resources = {"pids": {"limit": 20}}')
start_ctr "$b" "$id"
poll 20 test -s "$out_dir/count"
rt pause "$id"; rc=$?
expect_eq "pause" 0 "$rc"
expect_eq "state: paused" paused "$(status_of "$id")"
d=$(cgdir "$(state_of "$id" .pid)")
expect_match "cgroup.events: frozen 1" '^frozen 1$' "$(grep frozen "$d/cgroup.events")"
a=$(cat "$out_dir/count"); sleep 1; c=$(cat "$out_dir/count")
expect_eq "a paused container makes no progress" "$a" "$c"
rt resume "$id"; rc=$?
expect_eq "resume" 0 "$rc"
poll 10 sh -c "[ \"\$(cat '$out_dir/count')\" != '$c' ]"; rc=$?
expect_eq "a resumed container runs again" 0 "$rc"
rt delete -f "$id" > /dev/null 2>&1
check "delete -f leaves nothing" leaves_nothing "$id" "$b"

# --- a fork bomb stops at pids.max; kill --all (cgroup.kill) -----------------
id=fb-$T_SFX
b=$(bundle "$id" 'sh -c "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do sleep 1000 & done; wait"; echo forked > /out/fb; exec sleep 1000' \
  '.linux.resources = {"pids": {"limit": 8}}')
start_ctr "$b" "$id"
poll 30 test -e "$out_dir/fb"
d=$(cgdir "$(state_of "$id" .pid)")
n=$(val "$d/pids.current")
check "fork bomb: pids.current ($n) stays <= pids.max 8" test "${n:-99}" -le 8
expect_match "fork bomb: pids.events max > 0" '^max [1-9]' "$(cat "$d/pids.events")"
rt kill --all "$id" KILL; rc=$?
expect_eq "kill --all" 0 "$rc"
check "kill --all: the cgroup is empty" poll 20 grep -q '^populated 0' "$d/cgroup.events"
poll 20 status_is "$id" stopped
rt delete "$id" > /dev/null 2>&1
check "delete leaves nothing" leaves_nothing "$id" "$b"

# --- OOM -----------------------------------------------------------------------
id=oom-$T_SFX
b=$(bundle "$id" 'head -c 100m /dev/zero | tr "\\0" "\\n" | sort > /dev/null; echo "hog $?" > /out/oom; exec sleep 1000' \
  '.linux.resources = {"memory": {"limit": 33554432, "swap": 33554432}}')
# `events` streams from before the start, so the OOM kill is seen live
rt_create "$b" "$id"
events_bg "$id" "$T_TMP/oom-events.out"
rt start "$id"
d=$(cgdir "$(state_of "$id" .pid)")
poll 60 test -e "$out_dir/oom"
expect_eq "a memory hog is OOM-killed, the container survives" "hog 137" "$(cat "$out_dir/oom" 2>/dev/null)"
expect_match "memory.events: oom_kill >= 1" '^oom_kill [1-9]' "$(grep oom_kill "$d/memory.events")"
check "events (stream): an {\"type\":\"oom\"} line for the OOM kill" poll 10 grep -q "\"type\":\"oom\",\"id\":\"$id\"" "$T_TMP/oom-events.out"
kill "$EV_PID" 2> /dev/null
rt delete -f "$id" > /dev/null 2>&1
check "delete -f leaves nothing" leaves_nothing "$id" "$b"

# --- device rules (eBPF) and io.max acting ---------------------------------------
MKNOD='.process.capabilities |= with_entries(.value += ["CAP_MKNOD"])'
if [ -n "$nb" ]; then
  probe="mknod /dev/nb b ${nb%:*} ${nb#*:} || exit 9; head -c 1 /dev/nb > /dev/null; echo rc=\$?"
  id=dev-$T_SFX
  b=$(bundle "$id" "$probe" "$MKNOD")
  expect_eq "devices: opening a block device outside the allow list fails" rc=1 "$(run_ctr "$b" "$id")"
  expect_match "devices: ... with EPERM (eBPF device filter)" 'Operation not permitted' "$(err_of "$id")"
  rt delete -f "$id" > /dev/null 2>&1
  id=deva-$T_SFX
  b=$(bundle "$id" "$probe" "$MKNOD"" | .linux.resources.devices += [{\"allow\": true, \"type\": \"b\", \"major\": ${nb%:*}, \"minor\": ${nb#*:}, \"access\": \"rw\"}]")
  expect_eq "devices: a device allowed by a rule opens" rc=0 "$(run_ctr "$b" "$id")"
  rt delete -f "$id" > /dev/null 2>&1
  # 3 MiB at 1 MiB/s
  id=io-$T_SFX
  b=$(bundle "$id" "mknod /dev/nb b ${nb%:*} ${nb#*:}; s=\$(date +%s); dd if=/dev/nb of=/dev/null bs=64k count=48 2>/dev/null; echo \$((\$(date +%s) - s))" \
    "$MKNOD"" | .linux.resources.devices += [{\"allow\": true, \"type\": \"b\", \"major\": ${nb%:*}, \"minor\": ${nb#*:}, \"access\": \"rw\"}]
     | .linux.resources.blockIO = {\"throttleReadBpsDevice\": [{\"major\": ${nb%:*}, \"minor\": ${nb#*:}, \"rate\": 1048576}]}")
  t=$(run_ctr "$b" "$id")
  check "io.max throttles: 3 MiB at 1 MiB/s takes >= 2 s (took ${t:-?} s)" test "${t:-0}" -ge 2
  rt delete -f "$id" > /dev/null 2>&1
else
  skip "devices / io.max acting" "no null_blk device (modprobe null_blk)"
fi

# --- the systemd driver ---------------------------------------------------------------
if [ "$mode" = systemd ] || { [ "$mode" = direct ] && [ -d /run/systemd/system ]; }; then
  id=sd-$T_SFX
  b=$(make_bundle "$id" sh -c 'i=0; while :; do i=$((i+1)); echo $i > /out/sdcount; done')
  jq_edit "$b" ".mounts += [$BIND_OUT] | .linux.cgroupsPath = \"system.slice:brigvm:$id\"
    | .linux.resources = {\"memory\": {\"limit\": 67108864}, \"pids\": {\"limit\": 32}, \"cpu\": {\"shares\": 512, \"quota\": 50000}}
    | .annotations = {\"org.systemd.property.CollectMode\": \"'inactive-or-failed'\"}"
  rt --systemd-cgroup create --bundle "$b" "$id" < /dev/null > "$T_TMP/sd.out" 2> "$T_TMP/sd.err" && rt --systemd-cgroup start "$id"; rc=$?
  expect_eq "systemd: create+start" 0 "$rc"
  [ "$rc" = 0 ] || echo "# $(cat "$T_TMP/sd.err")"
  pid=$(state_of "$id" .pid)
  unit=brigvm-$id.scope
  expect_eq "systemd: the container is in $unit" "/system.slice/$unit" "$(awk -F: '$1 == 0 { print $3 }' "/proc/$pid/cgroup")"
  d=/sys/fs/cgroup/system.slice/$unit
  expect_eq "systemd: memory.max" 67108864 "$(val "$d/memory.max")"
  expect_eq "systemd: pids.max" 32 "$(val "$d/pids.max")"
  expect_eq "systemd: cpu.weight" 20 "$(val "$d/cpu.weight")"
  expect_eq "systemd: cpu.max" "50000 100000" "$(val "$d/cpu.max")"
  s=$(systemctl show -p MemoryMax -p TasksMax -p Delegate -p CollectMode "$unit" 2>&1)
  for p in MemoryMax=67108864 TasksMax=32 Delegate=yes CollectMode=inactive-or-failed; do
    expect_match "systemd: unit property $p" "^$p\$" "$(printf '%s\n' "$s" | grep "^${p%%=*}=")"
  done
  poll 20 test -s "$out_dir/sdcount"
  rt --systemd-cgroup pause "$id"; rc=$?
  expect_eq "systemd: pause" 0 "$rc"
  a=$(cat "$out_dir/sdcount"); sleep 1; c=$(cat "$out_dir/sdcount")
  expect_eq "systemd: a paused container makes no progress" "$a" "$c"
  rt --systemd-cgroup resume "$id"
  rt --systemd-cgroup update --memory 100663296 "$id"; rc=$?
  expect_eq "systemd: update" 0 "$rc"
  expect_eq "systemd: update -> memory.max" 100663296 "$(val "$d/memory.max")"
  expect_eq "systemd: update -> MemoryMax" MemoryMax=100663296 "$(systemctl show -p MemoryMax "$unit")"
  expect_match "systemd: ps" "(^|[[:space:]])$pid([[:space:]]|$)" "$(rt --systemd-cgroup ps "$id" 2>&1)"
  rt --systemd-cgroup delete -f "$id"; rc=$?
  expect_eq "systemd: delete -f" 0 "$rc"
  check "systemd: no cgroup left" test ! -e "$d"
  expect_match "systemd: no unit left" 'LoadState=not-found|ActiveState=inactive' "$(systemctl show -p LoadState -p ActiveState "$unit" | tr '\n' ' ')"

  if [ -n "${VM_USER:-}" ] && command -v vm-user > /dev/null; then
    # rootless: the user's manager starts the scope in its user.slice
    ur=$T_TMP/user
    mkdir -p "$ur"
    chmod 777 "$T_TMP" "$ur"
    id=usd-$T_SFX
    b=$(make_bundle "$id" sleep 1000)
    chown -R "$VM_USER" "$b"
    # the rootless config maps the caller's uid: written as the user
    vm-user sh -c "cd '$b' && rm -f config.json && '$RUNTIME' spec --rootless" &&
      jq_edit "$b" ".process.args = [\"sleep\", \"1000\"] | .process.terminal = false | .linux.cgroupsPath = \":brigvm:$id\"
        | .linux.resources = {\"memory\": {\"limit\": 67108864}, \"pids\": {\"limit\": 32}}"
    vm-user "$RUNTIME" --root "$ur/state" --systemd-cgroup run -d --bundle "$b" "$id" < /dev/null > "$T_TMP/usd.out" 2> "$T_TMP/usd.err"; rc=$?
    expect_eq "rootless systemd: run -d" 0 "$rc"
    [ "$rc" = 0 ] || echo "# $(cat "$T_TMP/usd.err")"
    upid=$(vm-user "$RUNTIME" --root "$ur/state" state "$id" 2>/dev/null | jq -r .pid)
    ucg=$(awk -F: '$1 == 0 { print $3 }' "/proc/$upid/cgroup" 2>/dev/null)
    expect_match "rootless systemd: in the user's manager's user.slice" "^/user.slice/user-$VM_UID.slice/user@$VM_UID.service/user.slice/brigvm-$id.scope$" "$ucg"
    expect_eq "rootless systemd: memory.max (delegated)" 67108864 "$(val "/sys/fs/cgroup$ucg/memory.max")"
    expect_eq "rootless systemd: pids.max" 32 "$(val "/sys/fs/cgroup$ucg/pids.max")"
    vm-user "$RUNTIME" --root "$ur/state" --systemd-cgroup delete -f "$id"; rc=$?
    expect_eq "rootless systemd: delete -f" 0 "$rc"
    check "rootless systemd: no cgroup left" test ! -e "/sys/fs/cgroup$ucg"
  else
    skip "rootless systemd driver" "no test user"
  fi
fi
t_done
