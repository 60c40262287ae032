#!/bin/bash
# tests/vm/guest-v1.sh: container-level checks of the systemd cgroup driver
# on a cgroup v1 host, through the runtime's command line (RUNTIME, default
# src/brig).  Run by tests/vm/guest.sh inside a guest booted with
# `vm-run --systemd --cgroup hybrid|v1`: systemd 252 is PID 1 and mounted the
# v1 hierarchies itself (hybrid: plus an empty cgroup2 at
# /sys/fs/cgroup/unified).  Written against runc's CLI, like
# tests/integration.
#
#  - --systemd-cgroup with cgroupsPath "system.slice:brigv1:ID": the unit
#    brigv1-ID.scope is active with the resources as properties; the
#    container sees the scope in every hierarchy of its /proc/self/cgroup
#    (systemd's: memory, cpu, pids, blkio, devices; brig's own: cpuset,
#    freezer, ...); the resources read back from the v1 files; update (also
#    across a daemon-reload: devices.list stays the container's; the
#    container is frozen only while systemd applies it); ps; pause/
#    resume (freezer.state); delete removes the unit and every directory
#  - rootless on v1: no cgroup at all, with a warning when resources or a
#    cgroupsPath were asked for
. "$(dirname "$0")/../lib.sh"

[ "$(id -u)" = 0 ] || { skip "systemd v1 container checks" "needs root"; t_done; }
[ -d /run/systemd/system ] || { skip "systemd v1 container checks" "systemd is not PID 1"; t_done; }
[ "$(stat -fc %T /sys/fs/cgroup)" = tmpfs ] || { skip "systemd v1 container checks" "not a cgroup v1 layout"; t_done; }
layout=v1
[ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] && layout=hybrid
echo "# layout: $layout"

out_dir=$T_TMP/out
mkdir -p "$out_dir"
BIND_OUT="{\"destination\": \"/out\", \"type\": \"bind\", \"source\": \"$out_dir\", \"options\": [\"bind\"]}"
val () { head -n 1 "$1" 2>/dev/null | tr -d '\n'; }
sdrt () { rt --systemd-cgroup "$@"; }
# the v1 hierarchies' mountpoints by controller name, from the guest's mounts
mnt_of () { awk -v c="$1" '$9 == "cgroup" { n = split($NF, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) { print $5; exit } }' /proc/self/mountinfo; }

# --- a container in a systemd scope -------------------------------------------
id=v1sd-$T_SFX
unit=brigv1-$id.scope
scope=/system.slice/$unit
b=$(make_bundle "$id" sh -c 'cat /proc/self/cgroup > /out/cgroup; i=0; while :; do i=$((i+1)); echo $i > /out/count; done')
# no cgroup namespace: the container sees the paths as the host names them
jq_edit "$b" ".mounts += [$BIND_OUT] | .linux.namespaces |= map(select(.type != \"cgroup\"))
  | .linux.cgroupsPath = \"system.slice:brigv1:$id\"
  | .linux.resources = {\"memory\": {\"limit\": 67108864, \"reservation\": 33554432},
                        \"cpu\": {\"shares\": 512, \"quota\": 50000, \"period\": 100000, \"cpus\": \"0\", \"mems\": \"0\"},
                        \"pids\": {\"limit\": 32},
                        \"devices\": [{\"allow\": false, \"access\": \"rwm\"}]}
  | .annotations = {\"org.systemd.property.CollectMode\": \"'inactive-or-failed'\"}"
on_exit "systemctl stop $unit; systemctl reset-failed $unit"
sdrt create --bundle "$b" "$id" < /dev/null > "$T_TMP/c.out" 2> "$T_TMP/c.err" && sdrt start "$id"; rc=$?
expect_eq "create+start with --systemd-cgroup" 0 "$rc"
[ "$rc" = 0 ] || sed 's/^/# /' "$T_TMP/c.err"
pid=$(state_of "$id" .pid)
poll 30 test -s "$out_dir/count"

s=$(systemctl show -p ActiveState -p Slice -p ControlGroup -p Delegate -p MemoryLimit -p CPUShares \
      -p CPUQuotaPerSecUSec -p TasksMax -p CollectMode "$unit" 2>&1)
for p in ActiveState=active Slice=system.slice ControlGroup=$scope Delegate=yes MemoryLimit=67108864 \
         CPUShares=512 CPUQuotaPerSecUSec=500ms TasksMax=32 CollectMode=inactive-or-failed; do
  expect_match "unit $unit: $p" "^$p\$" "$(printf '%s\n' "$s" | grep "^${p%%=*}=")"
done

# what the container sees: every hierarchy (name=systemd, and in hybrid
# the unified one too) puts it in the scope
seen=$(cat "$out_dir/cgroup" 2>/dev/null)
for c in memory cpu pids blkio devices freezer cpuset net_cls perf_event hugetlb name=systemd; do
  line=$(printf '%s\n' "$seen" | awk -F: -v c="$c" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print }')
  expect_eq "the container's /proc/self/cgroup: $c" "$scope" "${line##*:}"
done
if [ "$layout" = hybrid ]; then
  expect_eq "the container's /proc/self/cgroup: unified (0::)" "0::$scope" "$(printf '%s\n' "$seen" | grep '^0::')"
else
  expect_eq "the container's /proc/self/cgroup: no unified line in legacy v1" "" "$(printf '%s\n' "$seen" | grep '^0::')"
fi
expect_eq "the container's /proc/self/cgroup: every line is in the scope" "" \
  "$(printf '%s\n' "$seen" | grep -v ":$scope\$" | grep -v ':name=[^s]' | tr '\n' ' ')"

mem=$(mnt_of memory)$scope cpu=$(mnt_of cpu)$scope pids=$(mnt_of pids)$scope
devs=$(mnt_of devices)$scope frz=$(mnt_of freezer)$scope cset=$(mnt_of cpuset)$scope
expect_eq "memory.limit_in_bytes" 67108864 "$(val "$mem/memory.limit_in_bytes")"
expect_eq "memory.soft_limit_in_bytes (reservation)" 33554432 "$(val "$mem/memory.soft_limit_in_bytes")"
expect_eq "cpu.shares" 512 "$(val "$cpu/cpu.shares")"
expect_eq "cpu.cfs_quota_us" 50000 "$(val "$cpu/cpu.cfs_quota_us")"
expect_eq "cpu.cfs_period_us" 100000 "$(val "$cpu/cpu.cfs_period_us")"
expect_eq "pids.max" 32 "$(val "$pids/pids.max")"
expect_eq "cpuset.cpus (brig's cpuset cgroup)" 0 "$(val "$cset/cpuset.cpus")"
expect_eq "cpuset.mems" 0 "$(val "$cset/cpuset.mems")"
dl=$(cat "$devs/devices.list" 2>/dev/null | tr '\n' ' ')
s=$(systemctl show -p DevicePolicy -p DeviceAllow "$unit" 2>&1 | tr '\n' ' ')
echo "# $s"
expect_match "unit: DevicePolicy=strict (systemd re-applies its own device list on v1)" 'DevicePolicy=strict' "$s"
expect_match "unit: DeviceAllow has the container's rules" 'DeviceAllow=.*/dev/char/1:3 rwm' "$s"
expect_nomatch "devices.list: not systemd's allow-all" 'a \*:\* rwm' "$dl"
expect_match "devices.list: the default allow list (c 1:3 rwm)" 'c 1:3 rwm' "$dl"
expect_match "ps lists the container's pid" "(^|[[:space:]])$pid([[:space:]]|$)" "$(sdrt ps "$id" 2>&1)"
ev=$(sdrt events --stats "$id" 2>&1)
expect_eq "events --stats: memory limit" 67108864 "$(printf '%s' "$ev" | jq -r .data.memory.usage.limit 2>/dev/null)"
expect_eq "events --stats: pids.current" 1 "$(printf '%s' "$ev" | jq -r .data.pids.current 2>/dev/null)"

# --- update -------------------------------------------------------------------
sdrt update --memory 100663296 --pids-limit 50 --cpu-share 1024 --cpu-quota 20000 "$id" 2> "$T_TMP/u.err"; rc=$?
expect_eq "update" 0 "$rc"
[ "$rc" = 0 ] || sed 's/^/# /' "$T_TMP/u.err"
expect_eq "update: memory.limit_in_bytes" 100663296 "$(val "$mem/memory.limit_in_bytes")"
expect_eq "update: pids.max" 50 "$(val "$pids/pids.max")"
expect_eq "update: cpu.shares" 1024 "$(val "$cpu/cpu.shares")"
expect_eq "update: cpu.cfs_quota_us" 20000 "$(val "$cpu/cpu.cfs_quota_us")"
s=$(systemctl show -p MemoryLimit -p TasksMax -p CPUShares -p CPUQuotaPerSecUSec "$unit" | sort | tr '\n' ' ')
expect_eq "update: the unit's properties" "CPUQuotaPerSecUSec=200ms CPUShares=1024 MemoryLimit=100663296 TasksMax=50 " "$s"
expect_eq "update: the container runs (frozen only while systemd applied it)" THAWED "$(val "$frz/freezer.state")"
expect_nomatch "update: devices.list still not allow-all" 'a \*:\* rwm' "$(cat "$devs/devices.list" 2>/dev/null | tr '\n' ' ')"
# systemd re-applies its view of the unit on a reload: it must be brig's too
systemctl daemon-reload
expect_eq "daemon-reload: memory.limit_in_bytes kept" 100663296 "$(val "$mem/memory.limit_in_bytes")"
expect_eq "daemon-reload: cpu.cfs_quota_us kept" 20000 "$(val "$cpu/cpu.cfs_quota_us")"
expect_nomatch "daemon-reload: devices.list still not allow-all" 'a \*:\* rwm' "$(cat "$devs/devices.list" 2>/dev/null | tr '\n' ' ')"

# --- pause / resume: the freezer hierarchy (not systemd's) ----------------------
sdrt pause "$id"; rc=$?
expect_eq "pause" 0 "$rc"
expect_eq "state: paused" paused "$(status_of "$id")"
expect_eq "freezer.state FROZEN" FROZEN "$(val "$frz/freezer.state")"
a=$(cat "$out_dir/count"); sleep 1; c=$(cat "$out_dir/count")
expect_eq "a paused container makes no progress" "$a" "$c"
sdrt update --pids-limit 60 "$id"; rc=$?
expect_eq "update while paused" 0 "$rc"
expect_eq "update while paused: still FROZEN" FROZEN "$(val "$frz/freezer.state")"
expect_eq "update while paused: pids.max" 60 "$(val "$pids/pids.max")"
sdrt resume "$id"; rc=$?
expect_eq "resume" 0 "$rc"
expect_eq "freezer.state THAWED" THAWED "$(val "$frz/freezer.state")"
poll 10 sh -c "[ \"\$(cat '$out_dir/count')\" != '$c' ]"; rc=$?
expect_eq "a resumed container runs again" 0 "$rc"

# --- delete ----------------------------------------------------------------------
sdrt delete -f "$id"; rc=$?
expect_eq "delete -f" 0 "$rc"
expect_match "delete: no unit left" 'LoadState=not-found|ActiveState=inactive' "$(systemctl show -p LoadState -p ActiveState "$unit" | tr '\n' ' ')"
left=$(find /sys/fs/cgroup -name "$unit" 2>/dev/null | tr '\n' ' ')
expect_eq "delete: no directory of the scope in any hierarchy" "" "$left"
check "delete leaves nothing" leaves_nothing "$id" "$b"

# --- a slice unit (name ending in .slice) -------------------------------------
# runc's rule: "system.slice:brigv1:ID.slice" makes the slice itself; the
# container's process goes into it
id=v1sl-$T_SFX
sl=brigv1x$T_SFX.slice
b=$(make_bundle "$id" sleep 1000)
jq_edit "$b" ".linux.cgroupsPath = \"system.slice:brigv1:$sl\" | .linux.resources = {\"pids\": {\"limit\": 40}}"
on_exit "systemctl stop $sl"
sdrt run -d --bundle "$b" "$id" < /dev/null > "$T_TMP/sl.out" 2> "$T_TMP/sl.err"; rc=$?
expect_eq "a .slice cgroupsPath: run -d" 0 "$rc"
[ "$rc" = 0 ] || sed 's/^/# /' "$T_TMP/sl.err"
spid=$(state_of "$id" .pid)
expect_match "a .slice cgroupsPath: the process is in $sl (pids)" ":pids:/$sl\$" "$(grep ':pids:' "/proc/$spid/cgroup" 2>/dev/null)"
expect_eq "a .slice cgroupsPath: pids.max" 40 "$(val "$(mnt_of pids)/$sl/pids.max")"
sdrt delete -f "$id"; rc=$?
expect_eq "a .slice cgroupsPath: delete -f" 0 "$rc"
expect_eq "a .slice cgroupsPath: no directory left" "" "$(find /sys/fs/cgroup -name "$sl" 2>/dev/null | tr '\n' ' ')"
check "a .slice cgroupsPath: delete leaves nothing" leaves_nothing "$id" "$b"

# --- rootless on v1: no cgroup, a warning ---------------------------------------
if [ -n "${VM_USER:-}" ] && command -v vm-user > /dev/null; then
  ur=$T_TMP/user
  mkdir -p "$ur"
  chmod 777 "$T_TMP" "$ur"
  id=v1rl-$T_SFX
  b=$(make_bundle "$id" cat /proc/self/cgroup)
  chown -R "$VM_USER" "$b"
  vm-user sh -c "cd '$b' && rm -f config.json && '$RUNTIME' spec --rootless" &&
    jq_edit "$b" ".process.args = [\"cat\", \"/proc/self/cgroup\"] | .process.terminal = false
      | .linux.namespaces |= map(select(.type != \"cgroup\"))
      | .linux.cgroupsPath = \"system.slice:brigv1:$id\" | .linux.resources = {\"memory\": {\"limit\": 67108864}, \"pids\": {\"limit\": 32}}"
  own=$(vm-user cat /proc/self/cgroup | grep ':pids:')
  o=$(vm-user "$RUNTIME" --root "$ur/state" --systemd-cgroup run --bundle "$b" "$id" < /dev/null 2> "$T_TMP/rl.err"); rc=$?
  expect_eq "rootless --systemd-cgroup on v1: run" 0 "$rc"
  expect_match "rootless on v1: a warning that the resources are ignored" 'no cgroup is used.*ignored' "$(cat "$T_TMP/rl.err")"
  expect_eq "rootless on v1: the container stays in the caller's cgroup (pids)" "$own" "$(printf '%s\n' "$o" | grep ':pids:')"
  expect_eq "rootless on v1: no unit" "" "$(systemctl list-units --all --plain --no-legend "brigv1-$id*" 2>/dev/null)"
  vm-user "$RUNTIME" --root "$ur/state" delete -f "$id" > /dev/null 2>&1
  expect_eq "rootless on v1: no cgroup directory" "" "$(find /sys/fs/cgroup -name "*$id*" 2>/dev/null | tr '\n' ' ')"
else
  skip "rootless on v1" "no test user"
fi
t_done
