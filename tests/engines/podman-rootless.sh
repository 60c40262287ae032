#!/bin/bash
# rootless podman 4.x driving ENGINE_RUNTIME, as a test user this script
# creates (and removes again, with its subuid/subgid ranges):
#   ENGINE_RUNTIME=/usr/bin/runc bash tests/engines/podman-rootless.sh
. "$(dirname "$0")/lib-engines.sh"

e_need_root
e_need_cmds podman conmon newuidmap newgidmap slirp4netns useradd userdel usermod setpriv unshare script jq
IMG=localhost/$E_IMG_NAME:latest
CID=no-such-container

# the user's name, from E_TOKEN (set in the outer process before the inner
# one starts, so both know it)
rl_names () {
  RL_USER=brigrl-${E_TOKEN#brigeng-"$E_NAME"-}
  RL_DIR=$E_WORK/rl
  RL_HOME=$RL_DIR/home RL_XDG=$RL_DIR/xdg RL_CONF=$RL_DIR/home/podman
}

# rl_remove_user: remove the user, its group, its subuid/subgid lines and
# the subuid/subgid files if this script created them.  /etc is a private
# overlay in the test's mount namespace, so the inner process's useradd never
# touches the host's files; the outer process runs this again after the
# namespaces are gone, to prove (and if need be make) the host clean.  What
# it prints is a problem.
rl_remove_user () {
  rl_names
  if id "$RL_USER" >/dev/null 2>&1; then
    userdel "$RL_USER" >/dev/null 2>&1 || echo "userdel $RL_USER failed"
  fi
  if getent group "$RL_USER" >/dev/null; then groupdel "$RL_USER" || echo "groupdel $RL_USER failed"; fi
  local f
  for f in /etc/subuid /etc/subgid; do
    [ -e "$f" ] || continue
    if grep -q "^$RL_USER:" "$f"; then sed -i "/^$RL_USER:/d" "$f"; fi
    if [ -e "$RL_DIR/created${f//\//-}" ] && [ ! -s "$f" ]; then rm -f "$f" "$f-"; fi
  done
  rm -f "/var/mail/$RL_USER"
  if id "$RL_USER" >/dev/null 2>&1; then echo "user $RL_USER left"; fi
  if grep -qs "^$RL_USER:" /etc/subuid /etc/subgid; then echo "subuid/subgid lines of $RL_USER left"; fi
  return 0
}
E_OUTER_HOOKS+=(rl_remove_user)

e_enter "$@"

# R ARGS...: podman as the test user, in its own environment.
R () {
  e_run "${RTO:-60}" setpriv --reuid "$RL_UID" --regid "$RL_GID" --init-groups \
    env -i -C / PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME="$RL_HOME" USER="$RL_USER" LOGNAME="$RL_USER" \
    XDG_RUNTIME_DIR="$RL_XDG" CONTAINERS_CONF="$RL_CONF/containers.conf" CONTAINERS_STORAGE_CONF="$RL_CONF/storage.conf" \
    podman --runtime "${RL_RT:-$ENGINE_RUNTIME}" --cgroup-manager cgroupfs "$@"
}

rl_setup () {
  local f start maxend
  rl_names
  e_image_tar || { WHY="could not build the busybox rootfs"; return 1; }
  mkdir -p "$RL_HOME" "$RL_XDG"
  useradd -M -d "$RL_HOME" -s /bin/sh -c "brig engine test (temporary)" "$RL_USER" || { WHY="useradd failed"; return 1; }
  RL_UID=$(id -u "$RL_USER") RL_GID=$(id -g "$RL_USER")
  # a fresh 65536-id range above every range already given out
  for f in /etc/subuid /etc/subgid; do
    [ -e "$f" ] || { : > "$f"; : > "$RL_DIR/created${f//\//-}"; }
  done
  maxend=$(awk -F: '{e=$2+$3; if (e>m) m=e} END {print m+0}' /etc/subuid /etc/subgid)
  [ "$maxend" -lt 1000000 ] && maxend=1000000
  start=$(( (maxend / 65536 + 1 + RANDOM % 16) * 65536 ))
  usermod --add-subuids "$start-$((start + 65535))" --add-subgids "$start-$((start + 65535))" "$RL_USER" \
    || { WHY="usermod --add-subuids failed"; return 1; }
  e_podman_conf "$RL_CONF" rootless
  unset CONTAINERS_CONF CONTAINERS_STORAGE_CONF
  chown -R "$RL_UID:$RL_GID" "$RL_DIR"
  chmod 700 "$RL_XDG"
  E_LOGS+=("$RL_CONF/events.log")
  RTO=120 R import "$E_IMG/rootfs.tar" "$IMG" || return 1
  R image exists "$IMG"
}

rl_cleanup () {
  [ -n "${RL_UID:-}" ] || return 0
  RTO=$E_CLEAN_TO R rm -af -t 0
  # the user's processes (rootless podman's pause process, slirp4netns)
  local p pids=()
  for p in /proc/[0-9]*; do
    [ "$(stat -c %u "$p" 2>/dev/null)" = "$RL_UID" ] && pids+=("${p#/proc/}")
  done
  [ ${#pids[@]} = 0 ] || { kill -KILL "${pids[@]}"; sleep 0.5; }
  rl_remove_user >/dev/null
}
[ -n "$E_SKIP_ALL" ] || on_exit rl_cleanup

c_userns () {
  R run --rm --network none "$IMG" cat /proc/self/uid_map || return 1
  # container root is the user, the rest comes from its subuid range
  want_match "^ *0 +$RL_UID +1" "$OUT"
}
c_spy () {
  e_spy
  : > "$E_SPY_LOG"
  RL_RT=$E_SPY R run --rm --network none "$IMG" true || return 1
  e_spy_saw create start delete
}
c_run_rm () {
  R run --rm --network none "$IMG" echo hello-rootless || return 1
  want_eq hello-rootless "$OUT"
}
c_run_status () { R run --rm --network none "$IMG" sh -c 'exit 7'; want_rc 7; }
c_net_default () {
  R run --rm "$IMG" ip -o link show tap0 || return 1
  want_match 'tap0' "$OUT"
}
c_run_d () {
  R run -d --name brig-rl --network none "$IMG" sh -c 'trap "echo got-term; exit 0" TERM; echo started; while :; do sleep 0.1; done' || return 1
  CID=$OUT
  want_match '^[0-9a-f]{64}$' "$CID" || return 1
  R ps --filter id="$CID" --format '{{.Status}}' || return 1
  want_match '^Up' "$OUT"
}
c_exec () {
  R exec "$CID" cat /etc/brig-image || return 1
  want_eq brig-engine-test "$OUT"
}
c_exec_status () { R exec "$CID" sh -c 'exit 5'; want_rc 5; }
c_pause () {
  R pause "$CID"
  if [ "$RC" != 0 ]; then
    case $ERR in
      *"cgroup"*|*"rootless"*)
        # podman's own check, before any runtime is called
        skip_because "rootless containers get no cgroup (no freezer) on this cgroup v1 host: podman says '$(printf '%s' "$ERR" | head -1 | cut -c1-150)'"
        return ;;
    esac
    return 1
  fi
  R unpause "$CID"
}
c_stop () {
  R stop -t 10 "$CID" || return 1
  R inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$CID" || return 1
  want_eq "exited 0" "$OUT" || return 1
  R logs "$CID" || return 1
  want_match got-term "$OUT"
}
c_rm () {
  R rm "$CID" || return 1
  R ps -a -q --no-trunc --filter id="$CID" || return 1
  want_eq "" "$OUT"
}

t "podman rootless: test user with subuid/subgid ranges, import the image" rl_setup
t "podman rootless run: container root is the user (user namespace)" c_userns
t "podman rootless --runtime PATH: that binary is called (create, start, delete)" c_spy
t "podman rootless run --rm prints the command's output" c_run_rm
t "podman rootless run --rm returns the command's exit status" c_run_status
t "podman rootless run (default slirp4netns network): tap0" c_net_default
t "podman rootless run -d, ps shows it up" c_run_d
t "podman rootless exec runs a command in it" c_exec
t "podman rootless exec returns the command's exit status" c_exec_status
t "podman rootless pause / unpause" c_pause
t "podman rootless stop: SIGTERM handled, exit 0" c_stop
t "podman rootless rm" c_rm
e_finish
