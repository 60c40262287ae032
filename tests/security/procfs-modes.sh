#!/bin/bash
# test-timeout: 300
# The procfs every write of the container's setup goes through
# (CVE-2019-16884, CVE-2019-19921, CVE-2025-52881).  brig takes a handle
# the container can never reach (procfs.h): a private procfs instance
# (fsopen + fsmount, attached nowhere), else a detached clone of the /proc
# seen before the rootfs is touched (BRIG_FORCE_NO_FSOPEN_PROC=1), else
# that /proc opened and verified (BRIG_FORCE_NO_PROC_CLONE=1 as well).  In
# each mode (checked in the --debug log):
#   real:    the container reads oomScoreAdj and net/ipc/uts sysctls from
#            its own /proc;
#   tmpfs:   the config mounts a tmpfs at /proc;
#   symlink: the rootfs's /proc is a symlink to a fake tree on the host
#            (no proc mount);
#   bind:    a fake tree is bound at /proc, its "sys" a symlink to a host
#            dir;
#   exec:    `exec` into the tmpfs container;
#   userns:  a user namespace with a pid namespace (fsopen works), and
#            one without (fsopen is refused: EPERM, the clone is used);
#            the tmpfs container and its exec in a user namespace (the
#            exec may not fsmount a procfs where none is visible: clone).
# The values must land in the container's real process and namespaces
# (read from the host: /proc/PID/oom_score_adj, nsenter -n/-i/-u), and the
# fake trees stay byte-identical.
# A naive runtime (writes by path after pivot_root, or through whatever
# is at the rootfs's /proc) fails "fake tree unchanged" in symlink/bind,
# or refuses tmpfs/symlink.  brig before this test refused tmpfs and
# symlink ("not on procfs", "open procfs `/proc`").
. "$(dirname "$0")/../lib.sh"

fake=$T_TMP/fakeproc
hostsys=$T_TMP/host-sys
mkdir -p "$fake/self" "$fake/1" "$hostsys/kernel" "$hostsys/net/ipv4"
echo 0 > "$fake/self/oom_score_adj"; echo 0 > "$fake/1/oom_score_adj"
echo 0 > "$hostsys/kernel/shm_rmid_forced"; echo 0 > "$hostsys/net/ipv4/ip_forward"
echo host > "$hostsys/kernel/domainname"
ln -s "$hostsys" "$fake/sys"
snap () { (cd "$fake" && find . -type f | sort | xargs cat; cd "$hostsys" && find . -type f | sort | xargs cat) | md5sum; }
s0=$(snap)

# what the config asks for, and what the container's namespaces hold
want="oom=432 fwd=1 shm=1 dom=brig-ok"
settings='.process.oomScoreAdj = 432
  | .linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.shm_rmid_forced": "1", "kernel.domainname": "brig-ok"}'
inside='echo "oom=$(cat /proc/self/oom_score_adj) fwd=$(cat /proc/sys/net/ipv4/ip_forward) shm=$(cat /proc/sys/kernel/shm_rmid_forced) dom=$(cat /proc/sys/kernel/domainname)"'
from_host () {
  local pid=$1
  echo "oom=$(cat "/proc/$pid/oom_score_adj") fwd=$(nsenter -t "$pid" -n cat /proc/sys/net/ipv4/ip_forward)" \
    "shm=$(nsenter -t "$pid" -i cat /proc/sys/kernel/shm_rmid_forced) dom=$(nsenter -t "$pid" -u cat /proc/sys/kernel/domainname)"
}
userns='| .linux.namespaces += [{"type": "user"}]
  | .linux.uidMappings = [{"containerID": 0, "hostID": 0, "size": 65536}]
  | .linux.gidMappings = [{"containerID": 0, "hostID": 0, "size": 65536}]'
proc_as () { printf '.mounts |= map(if .destination == "/proc" then %s else . end)' "$1"; }

b_real=$(make_bundle real /bin/sh -c "$inside"); jq_edit "$b_real" "$settings"
b_tmpfs=$(make_bundle tmpfs sleep 30)
jq_edit "$b_tmpfs" "$settings | $(proc_as '{"destination": "/proc", "type": "tmpfs", "source": "tmpfs"}')"
b_utmpfs=$(make_bundle utmpfs sleep 30)
jq_edit "$b_utmpfs" "$settings $userns | $(proc_as '{"destination": "/proc", "type": "tmpfs", "source": "tmpfs"}')"
b_link=$(make_bundle link sleep 30)
jq_edit "$b_link" "$settings | del(.mounts[] | select(.destination == \"/proc\"))"
rmdir "$b_link/rootfs/proc" && ln -s "$fake" "$b_link/rootfs/proc"
b_bind=$(make_bundle bind sleep 30)
jq_edit "$b_bind" "$settings | .mounts += [{\"destination\": \"/proc\", \"type\": \"bind\", \"source\": \"$fake\", \"options\": [\"rbind\"]}]"
b_upid=$(make_bundle upid /bin/sh -c "$inside"); jq_edit "$b_upid" "$settings $userns"
# without its own pid namespace a user namespace cannot mount proc: the host's is bound
b_unopid=$(make_bundle unopid /bin/sh -c "$inside")
jq_edit "$b_unopid" "$settings $userns | .linux.namespaces |= map(select(.type != \"pid\"))
  | $(proc_as '{"destination": "/proc", "type": "bind", "source": "/proc", "options": ["rbind"]}')"

modes=("fsopen||a private fsopen instance")
if is_brig; then
  modes+=("clone|BRIG_FORCE_NO_FSOPEN_PROC=1|a detached clone of /proc"
          "open|BRIG_FORCE_NO_FSOPEN_PROC=1 BRIG_FORCE_NO_PROC_CLONE=1|the verified /proc")
fi

# used_mode LOG LINE WHAT: the debug log names the handle taken
used_mode () {
  is_brig || return 0
  if grep -q "procfs: $2" "$1"; then ok "$3: the handle is $2"
  else not_ok "$3: the log does not say \"procfs: $2\": $(grep procfs "$1" | tr '\n' ' ')"; fi
}

# hostile MODE ENV LINE CASE BUNDLE: start a sleeping container, read
# what landed from the host, exec into the tmpfs one
hostile () {
  local mode=$1 envs=$2 line=$3 case=$4 b=$5 id=xpm-$1-$4-$T_SFX log=$T_TMP/$1-$4.log pid got
  if env $envs "$RUNTIME" --root "$T_ROOT" --log "$log" --debug create --bundle "$b" "$id" \
       < /dev/null > /dev/null 2> "$T_TMP/$id.err" && rt start "$id"; then
    pid=$(state_of "$id" .pid)
    expect_eq "$mode/$case: oomScoreAdj and sysctls landed in the container" "$want" "$(from_host "$pid")"
    used_mode "$log" "$line" "$mode/$case"
    if [ "$case" = tmpfs ] || [ "$case" = utmpfs ]; then
      rm -f "$log"
      if env $envs "$RUNTIME" --root "$T_ROOT" --log "$log" --debug exec -d --pid-file "$T_TMP/$id.epid" "$id" sleep 30 \
           > "$T_TMP/$id.eout" 2>&1; then
        got=$(cat "/proc/$(cat "$T_TMP/$id.epid")/oom_score_adj" 2>/dev/null)
        expect_eq "$mode/exec into $case: oomScoreAdj landed" "432" "$got"
        # a user namespace whose mount namespace shows no procfs may not
        # make one (mount_too_revealing): the pinned clone then
        if [ "$case" = utmpfs ] && [ "$mode" = fsopen ]; then
          used_mode "$log" "a detached clone of /proc" "$mode/exec into $case (fsmount refused)"
        else
          used_mode "$log" "$line" "$mode/exec into $case"
        fi
      else
        not_ok "$mode/exec into $case: $(head -1 "$T_TMP/$id.eout")"
      fi
    fi
  elif is_brig; then
    not_ok "$mode/$case: refused: $(head -1 "$T_TMP/$id.err")"
  else
    ok "$mode/$case: refused ($(head -1 "$T_TMP/$id.err"))"
  fi
  rt delete -f "$id" > /dev/null 2>&1
  expect_eq "$mode/$case: fake tree and the host dir behind it unchanged" "$s0" "$(snap)"
}

for m in "${modes[@]}"; do
  IFS='|' read -r mode envs line <<< "$m"
  # real /proc, and the user namespace cases: the container's own view
  for c in real:"$b_real" upid:"$b_upid" unopid:"$b_unopid"; do
    case=${c%%:*} b=${c#*:} id=xpm-$mode-${c%%:*}-$T_SFX log=$T_TMP/$mode-${c%%:*}.log
    out=$(env $envs "$RUNTIME" --root "$T_ROOT" --log "$log" --debug run --bundle "$b" "$id" < /dev/null 2> "$T_TMP/$id.err")
    expect_eq "$mode/$case: the container sees oomScoreAdj and its sysctls" "$want" "$out"
    # without a pid namespace of its own, fsopen is refused: the clone
    if [ "$case" = unopid ] && [ "$mode" = fsopen ]; then
      used_mode "$log" "a detached clone of /proc" "$mode/$case (fsopen refused)"
    else
      used_mode "$log" "$line" "$mode/$case"
    fi
    rt delete -f "$id" > /dev/null 2>&1
  done
  hostile "$mode" "$envs" "$line" tmpfs "$b_tmpfs"
  hostile "$mode" "$envs" "$line" utmpfs "$b_utmpfs"
  hostile "$mode" "$envs" "$line" symlink "$b_link"
  hostile "$mode" "$envs" "$line" bind "$b_bind"
done
t_done
