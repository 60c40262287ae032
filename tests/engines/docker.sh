#!/bin/bash
# dockerd 20.10 (with the containerd it starts itself) running containers
# with ENGINE_RUNTIME registered as `--add-runtime brig=PATH`:
#   ENGINE_RUNTIME=/usr/bin/runc bash tests/engines/docker.sh
. "$(dirname "$0")/lib-engines.sh"

e_need_root
e_need_cmds dockerd docker containerd containerd-shim-runc-v2 docker-init unshare script jq ip
e_enter "$@"

D=${E_WORK:-}/docker
SOCK=$D/docker.sock
IMG=$E_IMG_NAME:latest
CID=no-such-container

# K ARGS...: the docker client against this test's daemon.
K () { e_run "${KTO:-60}" docker -H "unix://$SOCK" "$@"; }
KR () { K run --runtime brig "$@"; }

dk_start () {
  e_spy
  mkdir -p "$D"/{data,exec}
  # dockerd's own containerd creates /opt/containerd: a private overlay
  # there (lib-engines.sh)
  # daemon.json holds what has no flag here; the runtimes come from
  # --add-runtime (the same name in both places is an error).
  cat > "$D/daemon.json" <<EOF
{ "features": { "buildkit": false },
  "deprecated-key-path": "$D/key.json" }
EOF
  # No bridge and no iptables: the private netns has no uplink anyway, and
  # containers use --network none.  The cgroup parent is relative, so
  # container cgroups nest below this process's own.
  e_daemon_start dockerd "$D/dockerd.log" dockerd \
    --config-file "$D/daemon.json" \
    --data-root "$D/data" --exec-root "$D/exec" --pidfile "$D/dockerd.pid" \
    -H "unix://$SOCK" \
    --bridge none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
    --exec-opt native.cgroupdriver=cgroupfs --cgroup-parent "$E_TOKEN" \
    --storage-driver overlay2 \
    --add-runtime "brig=$ENGINE_RUNTIME" --add-runtime "brig-spy=$E_SPY" \
    --default-runtime brig
  e_daemon_wait dockerd 90 docker -H "unix://$SOCK" version || { WHY="dockerd did not start"; return 1; }
  on_exit dk_stop
  K info --format '{{json .Runtimes}} {{.DefaultRuntime}}' || return 1
  want_match '"brig"' "$OUT" && want_match ' brig$' "$OUT"
}

dk_stop () {
  local ids
  ids=$(timeout -k 2 "$E_CLEAN_TO" docker -H "unix://$SOCK" ps -aq 2>/dev/null)
  [ -z "$ids" ] || timeout -k 2 "$E_CLEAN_TO" docker -H "unix://$SOCK" rm -f $ids >/dev/null 2>&1
  e_daemon_stop dockerd 15
}

c_import () {
  e_image_tar || { WHY="could not build the busybox rootfs"; return 1; }
  KTO=120 K import "$E_IMG/rootfs.tar" "$IMG" || return 1
  K image inspect --format '{{.Id}}' "$IMG"
}
c_spy () {
  K run --rm --runtime brig-spy --network none "$IMG" true || return 1
  e_spy_saw create start delete
}
c_run_rm () {
  KR --rm --network none "$IMG" echo hello-from-docker || return 1
  want_eq hello-from-docker "$OUT"
}
c_run_status () { KR --rm --network none "$IMG" sh -c 'exit 7'; want_rc 7; }
c_run_pidns () { KR --rm --network none "$IMG" sh -c 'echo $$'; want_eq 1 "$OUT"; }
c_init () {
  KR --rm --init --network none "$IMG" sh -c 'cat /proc/1/comm; echo $$; exit 3'
  want_rc 3 || return 1
  local comm pid
  comm=$(printf '%s\n' "$OUT" | sed -n 1p); pid=$(printf '%s\n' "$OUT" | sed -n 2p)
  want_eq docker-init "$comm" || return 1
  [ "$pid" != 1 ] || { WHY="the command is PID 1, not docker-init"; return 1; }
}
c_run_d () {
  KR -d --name brig-d --network none "$IMG" sh -c 'trap "echo got-term; exit 0" TERM; echo started; while :; do sleep 0.1; done' || return 1
  CID=$OUT
  want_match '^[0-9a-f]{64}$' "$CID"
}
c_ps () {
  K ps --no-trunc --filter id="$CID" --format '{{.ID}} {{.Status}}' || return 1
  want_match "^$CID Up" "$OUT"
}
c_logs () {
  local i
  for i in 1 2 3 4 5 6 7 8 9 10; do
    K logs "$CID" || return 1
    [ "$OUT" = started ] && return 0
    sleep 0.5
  done
  want_eq started "$OUT"
}
c_exec () {
  K exec "$CID" cat /etc/brig-image || return 1
  want_eq brig-engine-test "$OUT"
}
c_exec_status () { K exec "$CID" sh -c 'exit 5'; want_rc 5; }
c_exec_tty () {
  printf 'echo typed-$((40+2))\nexit 3\n' > "$D/typed"
  E_STDIN=$D/typed e_pty docker -H "unix://$SOCK" exec -it "$CID" sh
  want_match 'typed-42' "$OUT" && want_rc 3
}
c_top () {
  K top "$CID" || return 1
  want_match 'sleep|while' "$OUT"
}
c_pause () {
  K pause "$CID" || return 1
  K inspect --format '{{.State.Status}}' "$CID" || return 1
  want_eq paused "$OUT" || return 1
  K unpause "$CID" || return 1
  K inspect --format '{{.State.Status}}' "$CID" || return 1
  want_eq running "$OUT" || return 1
  K exec "$CID" true
}
c_stop () {
  K stop -t 10 "$CID" || return 1
  K inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$CID" || return 1
  want_eq "exited 0" "$OUT" || return 1
  K logs "$CID" || return 1
  want_match got-term "$OUT"
}
c_rm () {
  K rm "$CID" || return 1
  K ps -aq --no-trunc --filter id="$CID" || return 1
  want_eq "" "$OUT"
}

t "dockerd: start with --add-runtime brig=PATH (default runtime brig)" dk_start
t "docker import the busybox image" c_import
t "docker run --runtime NAME: dockerd's shim calls that runtime's path" c_spy
t "docker run --rm prints the command's output" c_run_rm
t "docker run --rm returns the command's exit status" c_run_status
t "docker run: the command is PID 1 of its pid namespace" c_run_pidns
t "docker run --init: docker-init is PID 1, exit status passed on" c_init
t "docker run -d" c_run_d
t "docker ps shows the container up" c_ps
t "docker logs shows its output" c_logs
t "docker exec runs a command in it" c_exec
t "docker exec returns the command's exit status" c_exec_status
t "docker exec -it: input typed into the pty, exit status" c_exec_tty
t "docker top lists its processes" c_top
t "docker pause / unpause" c_pause
t "docker stop: SIGTERM handled, exit 0" c_stop
t "docker rm" c_rm
e_finish
