#!/bin/bash
# podman 4.x (root) driving ENGINE_RUNTIME through conmon:
#   ENGINE_RUNTIME=/usr/bin/runc bash tests/engines/podman.sh
. "$(dirname "$0")/lib-engines.sh"

e_need_root
e_need_cmds podman conmon unshare script jq ip
e_enter "$@"

IMG=localhost/$E_IMG_NAME:latest
CID=no-such-container
D=${E_WORK:-}/podman

# P ARGS...: podman with this test's config and the runtime under test.
P () { e_run "${PTO:-60}" podman --runtime "$ENGINE_RUNTIME" --cgroup-manager cgroupfs "$@"; }

p_setup () {
  e_image_tar || { WHY="could not build the busybox rootfs"; return 1; }
  # podman's blob-info cache and CNI's result cache go to /var/lib whatever
  # the config says: a private overlay there (lib-engines.sh)
  e_podman_conf "$D"
  PTO=120 P import "$E_IMG/rootfs.tar" "$IMG" || return 1
  P image exists "$IMG"
}

c_spy () {
  e_spy
  e_run 60 podman --runtime "$E_SPY" --cgroup-manager cgroupfs run --rm "$IMG" true || return 1
  e_spy_saw create start delete
}
c_nocgroup () {
  case $(basename "$ENGINE_RUNTIME") in
    crun|brig) ;;
    *) skip_because "podman refuses --cgroups=disabled unless the runtime is in runtime_supports_nocgroup (it then passes --cgroup-manager=disabled, a crun flag); $(basename "$ENGINE_RUNTIME") is not"; return ;;
  esac
  e_spy
  : > "$E_SPY_LOG"
  e_run 60 podman --runtime "$E_SPY" --cgroup-manager cgroupfs run --rm --cgroups=disabled "$IMG" cat /proc/self/cgroup || return 1
  grep -q -- '--cgroup-manager' "$E_SPY_LOG" || { WHY="podman did not pass --cgroup-manager=disabled"; return 1; }
  # no cgroup of its own: the same cgroups as this shell
  want_eq "$(cat /proc/self/cgroup)" "$OUT"
}
c_run_rm () {
  P run --rm "$IMG" echo hello-from-podman || return 1
  want_eq hello-from-podman "$OUT"
}
c_run_status () { P run --rm "$IMG" sh -c 'exit 7'; want_rc 7; }
c_run_pidns () { P run --rm "$IMG" sh -c 'echo $$'; want_eq 1 "$OUT"; }
c_net_none () {
  P run --rm --network none "$IMG" ls /sys/class/net || return 1
  want_eq lo "$OUT"
}
c_net_default () {
  P run --rm "$IMG" ip -4 -o addr show eth0 || return 1
  want_match 'inet 10\.88\.' "$OUT"
}
c_hostname () {
  P run --rm --hostname brig-host "$IMG" hostname || return 1
  want_eq brig-host "$OUT"
}
c_bind_ro () {
  mkdir -p "$D/data" && echo bound > "$D/data/f"
  P run --rm -v "$D/data:/data:ro" "$IMG" sh -c 'cat /data/f; if touch /data/x 2>/dev/null; then echo WRITABLE; else echo ro; fi' || return 1
  want_eq "bound
ro" "$OUT" && [ ! -e "$D/data/x" ]
}
c_memory () {
  P run --rm --memory 64m "$IMG" cat /sys/fs/cgroup/memory/memory.limit_in_bytes || return 1
  want_eq 67108864 "$OUT"
}
c_run_d () {
  P run -d --name brig-d "$IMG" sh -c 'trap "echo got-term; exit 0" TERM; echo started; while :; do sleep 0.1; done' || return 1
  CID=$OUT
  want_match '^[0-9a-f]{64}$' "$CID"
}
c_ps () {
  P ps --filter id="$CID" --format '{{.ID}} {{.Status}}' || return 1
  want_match "^${CID:0:12} Up" "$OUT"
}
c_logs () {
  local i
  for i in 1 2 3 4 5 6 7 8 9 10; do
    P logs "$CID" || return 1
    [ "$OUT" = started ] && return 0
    sleep 0.5
  done
  want_eq started "$OUT"
}
c_exec () {
  P exec "$CID" cat /etc/brig-image || return 1
  want_eq brig-engine-test "$OUT"
}
c_exec_status () { P exec "$CID" sh -c 'exit 5'; want_rc 5; }
c_exec_tty () {
  e_pty podman --runtime "$ENGINE_RUNTIME" --cgroup-manager cgroupfs exec -it "$CID" sh -c 'tty; [ -t 0 ] && echo stdin-is-a-tty'
  [ "$RC" = 0 ] || { WHY="exit status $RC"; return 1; }
  want_match '/dev/pts/[0-9]+' "$OUT" && want_match 'stdin-is-a-tty' "$OUT"
}
c_exec_tty_input () {
  printf 'echo typed-$((40+2))\nexit 3\n' > "$D/typed"
  E_STDIN=$D/typed e_pty podman --runtime "$ENGINE_RUNTIME" --cgroup-manager cgroupfs exec -it "$CID" sh
  want_match 'typed-42' "$OUT" && want_rc 3
}
c_top () {
  P top "$CID" || return 1
  want_match 'sleep|while' "$OUT"
}
c_pause () {
  P pause "$CID" || return 1
  P inspect --format '{{.State.Status}}' "$CID" || return 1
  want_eq paused "$OUT" || return 1
  P unpause "$CID" || return 1
  P inspect --format '{{.State.Status}}' "$CID" || return 1
  want_eq running "$OUT" || return 1
  P exec "$CID" true
}
c_stop () {
  P stop -t 10 "$CID" || return 1
  P inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$CID" || return 1
  want_eq "exited 0" "$OUT" || return 1
  P logs "$CID" || return 1
  want_match got-term "$OUT"
}
c_start_again () {
  P start "$CID" || return 1
  P inspect --format '{{.State.Status}}' "$CID" || return 1
  want_eq running "$OUT" || return 1
  P kill --signal TERM "$CID" || return 1
  P wait "$CID" || return 1
  want_eq 0 "$OUT"
}
c_rm () {
  P rm "$CID" || return 1
  P ps -a -q --no-trunc --filter id="$CID" || return 1
  want_eq "" "$OUT"
}

p_cleanup () {
  [ -n "${CONTAINERS_CONF:-}" ] || return 0
  timeout -k 2 "$E_CLEAN_TO" podman --runtime "$ENGINE_RUNTIME" unpause -a >/dev/null 2>&1
  timeout -k 2 "$E_CLEAN_TO" podman --runtime "$ENGINE_RUNTIME" rm -af -t 0 >/dev/null 2>&1
}
[ -n "$E_SKIP_ALL" ] || on_exit p_cleanup

t "podman: import the busybox image" p_setup
t "podman run --rm prints the command's output" c_run_rm
t "podman --runtime PATH: conmon and podman call that binary (create, start, delete)" c_spy
t "podman run --rm returns the command's exit status" c_run_status
t "podman run: the command is PID 1 of its pid namespace" c_run_pidns
t "podman run --network none: only lo" c_net_none
t "podman run (default CNI network): eth0 has an address" c_net_default
t "podman run --hostname" c_hostname
t "podman run -v DIR:/data:ro: readable, not writable" c_bind_ro
t "podman run --memory 64m sets the memory cgroup limit" c_memory
t "podman run --cgroups=disabled: runtime gets --cgroup-manager=disabled, no cgroup made" c_nocgroup
t "podman run -d" c_run_d
t "podman ps shows the container up" c_ps
t "podman logs shows its output" c_logs
t "podman exec runs a command in it" c_exec
t "podman exec returns the command's exit status" c_exec_status
t "podman exec -it through a pty" c_exec_tty
t "podman exec -it: input typed into the pty, exit status" c_exec_tty_input
t "podman top lists its processes" c_top
t "podman pause / unpause" c_pause
t "podman stop: SIGTERM handled, exit 0" c_stop
t "podman start again, kill --signal TERM, wait" c_start_again
t "podman rm" c_rm
e_finish
