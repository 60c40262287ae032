#!/bin/bash
# containerd 1.6 + ctr, the io.containerd.runc.v2 shim running ENGINE_RUNTIME
# (ctr run --runc-binary, i.e. the shim's BinaryName option):
#   ENGINE_RUNTIME=/usr/bin/runc bash tests/engines/containerd.sh
. "$(dirname "$0")/lib-engines.sh"

e_need_root
e_need_cmds containerd ctr containerd-shim-runc-v2 unshare script jq ip
e_enter "$@"

D=${E_WORK:-}/containerd
SOCK=$D/containerd.sock
NS=brig
IMG=docker.io/library/$E_IMG_NAME:latest
RROOT=$D/runc-root

# C ARGS...: ctr against this test's containerd.
C () { e_run "${CTO:-60}" ctr --address "$SOCK" --namespace "$NS" "$@"; }
# RUN ARGS...: `ctr run` with the runtime under test; container cgroups go
# below this process's own cgroups ($E_TOKEN/ID, a relative path).
RUN () {
  local opts=() a id=""
  # the container id is the argument after the image
  for a in "$@"; do [ "$id" = next ] && id=$a; [ "$a" = "$IMG" ] && id=next; done
  e_run "${CTO:-60}" ctr --address "$SOCK" --namespace "$NS" run \
    --runc-binary "$ENGINE_RUNTIME" --runc-root "$RROOT" --cgroup "$E_TOKEN/$id" "$@"
}

cd_start () {
  mkdir -p "$D"/{root,state,opt,fifo} "$RROOT"
  cat > "$D/config.toml" <<EOF
version = 2
root = "$D/root"
state = "$D/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
                    "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
                    "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$SOCK.ttrpc"
[debug]
  level = "info"
[plugins."io.containerd.internal.v1.opt"]
  path = "$D/opt"
EOF
  e_daemon_start containerd "$D/containerd.log" containerd --config "$D/config.toml"
  e_daemon_wait containerd 60 ctr --address "$SOCK" version || { WHY="containerd did not start"; return 1; }
  on_exit cd_stop
}

cd_stop () {
  local id ids tmo="timeout -k 2 $E_CLEAN_TO"
  ids=$($tmo ctr --address "$SOCK" -n "$NS" task ls -q 2>/dev/null)
  for id in $ids; do
    $tmo ctr --address "$SOCK" -n "$NS" task resume "$id"
    $tmo ctr --address "$SOCK" -n "$NS" task delete -f "$id" || break
  done
  for id in $($tmo ctr --address "$SOCK" -n "$NS" container ls -q 2>/dev/null); do
    $tmo ctr --address "$SOCK" -n "$NS" container delete "$id" || break
  done
  e_daemon_stop containerd 15
}

c_import () {
  e_image_oci "$IMG" || { WHY="could not build the OCI archive"; return 1; }
  CTO=120 C images import "$E_IMG/oci.tar" || return 1
  C images ls -q || return 1
  want_match "^$IMG\$" "$OUT"
}
c_run_rm () {
  RUN --rm "$IMG" rm1 echo hello-from-containerd || return 1
  want_eq hello-from-containerd "$OUT"
}
c_run_status () { RUN --rm "$IMG" rm2 sh -c 'exit 7'; want_rc 7; }
c_run_pidns () { RUN --rm "$IMG" rm3 sh -c 'echo $$'; want_eq 1 "$OUT"; }
c_run_d () {
  RUN -d "$IMG" brig-d sh -c 'trap "exit 0" TERM; echo started; while :; do sleep 0.1; done' || return 1
  e_wait 10 task_is brig-d RUNNING || { WHY="task not RUNNING: $(C task ls; echo "$OUT")"; return 1; }
}
# task_is ID STATUS: `ctr task ls` shows ID with STATUS.
task_is () {
  C task ls || return 1
  printf '%s\n' "$OUT" | awk -v id="$1" -v st="$2" '$1==id && $3==st {f=1} END {exit !f}'
}
c_exec () {
  C task exec --exec-id e1 brig-d cat /etc/brig-image || return 1
  want_eq brig-engine-test "$OUT"
}
c_exec_status () { C task exec --exec-id e2 brig-d sh -c 'exit 5'; want_rc 5; }
c_exec_tty () {
  e_pty ctr --address "$SOCK" --namespace "$NS" task exec -t --exec-id e3 brig-d sh -c 'tty; [ -t 0 ] && echo stdin-is-a-tty'
  [ "$RC" = 0 ] || { WHY="exit status $RC"; return 1; }
  want_match '/dev/pts/[0-9]+' "$OUT" && want_match 'stdin-is-a-tty' "$OUT"
}
c_task_ps () {
  local pid
  C task ls || return 1
  pid=$(printf '%s\n' "$OUT" | awk '$1=="brig-d"{print $2}')
  C task ps brig-d || return 1
  printf '%s\n' "$OUT" | awk -v p="$pid" '$1==p {f=1} END {exit !f}' || { WHY="init pid $pid not in task ps"; return 1; }
}
c_pause () {
  C task pause brig-d || return 1
  e_wait 10 task_is brig-d PAUSED || { WHY="not PAUSED: $OUT"; return 1; }
  C task resume brig-d || return 1
  e_wait 10 task_is brig-d RUNNING || { WHY="not RUNNING after resume: $OUT"; return 1; }
  C task exec --exec-id e4 brig-d true
}
c_kill () {
  C task kill brig-d || return 1
  e_wait 15 task_is brig-d STOPPED || { WHY="not STOPPED after SIGTERM: $OUT"; return 1; }
}
c_delete () {
  C task delete brig-d || return 1
  C task ls -q || return 1
  printf '%s\n' "$OUT" | grep -qx brig-d && { WHY="task still listed"; return 1; }
  C container delete brig-d || return 1
  C container ls -q || return 1
  ! printf '%s\n' "$OUT" | grep -qx brig-d || { WHY="container still listed"; return 1; }
  [ -z "$(ls -A "$RROOT/$NS" 2>/dev/null)" ] || { WHY="runtime state left in $RROOT/$NS: $(ls "$RROOT/$NS")"; return 1; }
}

c_memory () {
  local dir lim
  RUN -d --memory-limit 67108864 "$IMG" mem1 sleep 60 || return 1
  dir=$(e_cgroup_dir memory "$E_TOKEN/mem1") || { WHY="no memory hierarchy"; return 1; }
  lim=$(cat "$dir/memory.limit_in_bytes" 2>&1)
  C task kill -s KILL mem1; e_wait 10 task_is mem1 STOPPED
  C task delete mem1; C container delete mem1
  want_eq 67108864 "$lim"
}
c_spy () {
  e_spy
  e_run 60 ctr --address "$SOCK" --namespace "$NS" run --rm --runc-binary "$E_SPY" --runc-root "$RROOT" \
    --cgroup "$E_TOKEN/spy1" "$IMG" spy1 true || return 1
  e_spy_saw create start delete
}

t "containerd: start the daemon" cd_start
t "ctr images import (OCI archive)" c_import
t "ctr run --rm prints the command's output" c_run_rm
t "ctr run --rm returns the command's exit status" c_run_status
t "ctr run: the command is PID 1 of its pid namespace" c_run_pidns
t "ctr run --runc-binary: the shim calls that binary (create, start, delete)" c_spy
t "ctr run --memory-limit: the container's memory cgroup has the limit" c_memory
t "ctr run -d: task RUNNING" c_run_d
t "ctr task exec runs a command in it" c_exec
t "ctr task exec returns the command's exit status" c_exec_status
t "ctr task exec -t through a pty" c_exec_tty
t "ctr task ps lists the init pid" c_task_ps
t "ctr task pause / resume" c_pause
t "ctr task kill (SIGTERM): task STOPPED" c_kill
t "ctr task delete + container delete" c_delete
e_finish
