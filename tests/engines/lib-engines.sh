# Shared helpers for the engine tests (podman, containerd, docker driving an
# OCI runtime).  Source it from a test script in tests/engines:
#
#   . "$(dirname "$0")/lib-engines.sh"
#   e_need_root; e_need_cmds podman conmon ...   # or skip every check
#   e_enter "$@"                                  # into private namespaces
#   t "description" some_function                 # one check each
#   e_finish
#
# ENGINE_RUNTIME is the OCI runtime the engines are told to use (default:
# $RUNTIME if set, else the freshly built src/brig).  If it does not exist
# every check is skipped.  E_TIMES=1 adds each check's duration as a # line.
#
# How a script runs.  The outer process (host namespaces) decides whether the
# checks can run at all; if not, E_SKIP_ALL holds the reason and every `t`
# prints a SKIP line without running anything.  Otherwise it re-runs the same
# script inside
#     unshare --net --mount --propagation private --pid --fork --mount-proc
# with tini (or the script itself) as PID 1 of the new PID namespace, then
# cleans up from outside once that namespace is gone:
#  - net ns: bridges, veths, iptables rules, CNI netns all die with it;
#  - mount ns: overlay/bind/netns mounts die with it; /run and /dev/shm are
#    private tmpfs inside it and /etc, /var/lib, /opt private overlays, so
#    nothing the engines drop there reaches the host;
#  - pid ns: when its PID 1 exits the kernel kills everything left in it
#    (shims, conmon, containers), and orphans are reaped by that PID 1 (the
#    host's PID 1 reaps slowly, which makes podman wait 20 s per container);
#  - cgroups: the engines are given a relative cgroup parent named $E_TOKEN, so
#    container cgroups nest under this process's own cgroup in every
#    hierarchy; the outer process removes those directories at the end;
#  - files: everything lives in $E_WORK (config, roots, state, sockets), which
#    the outer process deletes after the namespaces are gone.
# The outer process then prints one last check saying whether anything was
# left behind.

set -u

_E_LIBDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
_E_RUNTIME_ENV=${RUNTIME:-}     # before lib.sh gives RUNTIME its default
. "$_E_LIBDIR/../lib.sh"

# ENGINE_RUNTIME, else the suite's RUNTIME (tests/run.sh passes that), else
# the freshly built brig; a bare name is looked up in PATH.
: "${ENGINE_RUNTIME:=${_E_RUNTIME_ENV:-$TOP_DIR/src/brig}}"
case $ENGINE_RUNTIME in
  */*) ;;
  *) ENGINE_RUNTIME=$(command -v "$ENGINE_RUNTIME" || echo "$ENGINE_RUNTIME") ;;
esac
E_NAME=$(basename "$0" .sh)
E_SKIP_ALL=""
E_LOGS=()               # files whose tail is printed when a check fails
E_OUTER_HOOKS=()        # functions the outer process runs after the namespaces are gone
E_BUDGET=${E_BUDGET:-170}   # seconds for the checks (the limit for a whole script is 240)
E_CLEAN_TO=10           # timeout for each command of a cleanup
WHY=""
OUT="" ERR="" RC=0

trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# diag LINE...: comment lines on stdout (never starting with "ok").
diag () { local l; for l in "$@"; do printf '%s\n' "$l" | sed 's/^/# /'; done; }

# e_log_tail FILE [N] [FROM]: the last N lines of FILE (of what was written
# after byte FROM) as comment lines.
e_log_tail () {
  local f=$1 n=${2:-25} from=${3:-0}
  [ -s "$f" ] || return 0
  [ "$(stat -c %s "$f")" -gt "$from" ] || { echo "# --- $f: nothing new"; return 0; }
  echo "# --- $f (last $n lines written during this check)"
  tail -c +"$((from + 1))" "$f" | grep -v 'msg="loading plugin' | tail -n "$n" | cut -c1-400 | sed 's/^/#   /'
}

# ---------------------------------------------------------------- checks

# t DESCRIPTION FUNC [ARGS...]: run one check, FUNC in the current shell.
# FUNC returns 0 for ok, 77 for skip (reason in WHY), anything else for not ok
# (WHY says why; the last command's output and the logs are printed too).
t () {
  local what=$1 rc=0; shift
  if [ -n "$E_SKIP_ALL" ]; then skip "$what" "$E_SKIP_ALL"; return 0; fi
  if [ "$(e_left)" -le 0 ]; then not_ok "$what (time budget of ${E_BUDGET}s used up)"; return 0; fi
  WHY="" E_LAST="" OUT="" ERR="" RC=0
  local t0=$EPOCHREALTIME f sizes=()
  for f in ${E_LOGS[@]+"${E_LOGS[@]}"}; do sizes+=("$(stat -c %s "$f" 2>/dev/null || echo 0)"); done
  "$@" || rc=$?
  [ -z "${E_TIMES:-}" ] || diag "$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1fs", b-a}') $what"
  case $rc in
    0) ok "$what" ;;
    77) skip "$what" "$WHY" ;;
    *) not_ok "$what${WHY:+ ($WHY)}"
       if [ -n "$E_LAST" ]; then
         diag "command: $E_LAST" "exit status: $RC"
         [ -z "$OUT" ] || diag "stdout: $(printf '%s' "$OUT" | head -c 1500)"
         [ -z "$ERR" ] || diag "stderr: $(printf '%s' "$ERR" | head -c 1500)"
       fi
       local i=0
       for f in ${E_LOGS[@]+"${E_LOGS[@]}"}; do e_log_tail "$f" 25 "${sizes[$i]:-0}"; i=$((i + 1)); done ;;
  esac
  return 0
}

# e_left: seconds left of the script's budget.
e_left () { echo $(( ${E_T0:-$EPOCHSECONDS} + E_BUDGET - EPOCHSECONDS )); }

# e_run SECS CMD...: run CMD (stdin $E_STDIN, default /dev/null) with a timeout, capped by the
# budget.  OUT/ERR get its stdout/stderr (trailing newlines dropped), RC its
# status; returns RC.
e_run () {
  local to=$1 left; shift
  left=$(e_left); [ "$left" -lt "$to" ] && to=$left; [ "$to" -lt 1 ] && to=1
  E_LAST=$(printf "%q " "$@")
  # in the background + wait, so a signal to the script is handled at once
  timeout -k 5 "$to" "$@" >"$E_WORK/.out" 2>"$E_WORK/.err" <"${E_STDIN:-/dev/null}" &
  wait $!
  RC=$?
  OUT=$(cat "$E_WORK/.out") ERR=$(cat "$E_WORK/.err")
  [ "$RC" = 124 ] && WHY="timed out after ${to}s"
  return $RC
}

# want_eq EXPECTED ACTUAL / want_match REGEX ACTUAL / want_rc EXPECTED: set
# WHY and fail when they differ.
want_eq () { [ "$1" = "$2" ] && return 0; WHY="expected '$1', got '$2'"; return 1; }
want_match () {
  printf '%s' "$2" | grep -Eq -- "$1" && return 0
  WHY="no match for /$1/ in '$(printf '%s' "$2" | head -c 300)'"; return 1
}
want_rc () { [ "$RC" = "$1" ] && return 0; WHY="expected exit status $1, got $RC"; return 1; }
# skip_because REASON: set WHY and return 77 (`skip_because "..." || return`).
skip_because () { WHY=$*; return 77; }

# e_wait SECS CMD...: poll CMD every 0.2 s until it succeeds (CMD may be a
# function; give it its own timeouts, e.g. through e_run).
e_wait () {
  local secs=$1 end; shift
  end=$(( SECONDS + secs ))
  while ! "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -ge "$end" ] && return 1
    sleep 0.2
  done
}

# ---------------------------------------------------------------- entry

# e_need_root: skip everything unless root.
e_need_root () {
  [ -n "$E_SKIP_ALL" ] && return 0
  [ "$(id -u)" = 0 ] || E_SKIP_ALL="needs root"
}

# e_need_cmds CMD...: skip everything if a command is missing.
e_need_cmds () {
  local c miss=()
  [ -n "$E_SKIP_ALL" ] && return 0
  for c in "$@"; do command -v "$c" >/dev/null 2>&1 || miss+=("$c"); done
  [ ${#miss[@]} = 0 ] || E_SKIP_ALL="missing ${miss[*]} (see docs/engines.md for the Debian packages)"
}

# e_enter "$@": outer process: check the runtime, run this script again in
# private namespaces, clean up, exit.  Inner process: set the namespaces up
# and return to the checks.
e_enter () {
  if [ -n "$E_SKIP_ALL" ]; then return 0; fi
  if [ -z "${_E_INNER:-}" ]; then
    if [ ! -e "$ENGINE_RUNTIME" ]; then
      E_SKIP_ALL="ENGINE_RUNTIME $ENGINE_RUNTIME does not exist (build brig or set ENGINE_RUNTIME)"
      return 0
    fi
    if [ ! -x "$ENGINE_RUNTIME" ]; then
      E_SKIP_ALL="ENGINE_RUNTIME $ENGINE_RUNTIME is not executable"; return 0
    fi
    ENGINE_RUNTIME=$(readlink -f "$ENGINE_RUNTIME")
    _e_outer "$@"
    exit $?
  fi
  _e_inner_setup
}

_e_outer () {
  local rc=0 init=()
  E_T0=$EPOCHSECONDS
  E_WORK=$T_TMP/e
  mkdir -p "$E_WORK"
  chmod 711 "$T_TMP"
  E_TOKEN=brigeng-$E_NAME-$$-$RANDOM
  export E_TOKEN
  _e_cgroup_bases -r | sort -u > "$T_TMP/cgbases"
  command -v tini >/dev/null 2>&1 && init=(tini -s --)
  # also at exit, should a signal cut this short (it waits for unshare first)
  on_exit _e_outer_cleanup
  _E_INNER=1 E_WORK=$E_WORK E_TOKEN=$E_TOKEN ENGINE_RUNTIME=$ENGINE_RUNTIME E_T0=$E_T0 \
    unshare --net --mount --propagation private --pid --fork --mount-proc \
    ${init[@]+"${init[@]}"} bash "$0" "$@" || rc=$?
  if [ ! -e "$E_WORK/.entered" ]; then
    not_ok "$E_NAME: enter private net/mount/pid namespaces (unshare exit $rc)"
    return 1
  fi
  _e_outer_cleanup || rc=1
  [ "$_t_failed" = 0 ] || rc=1
  return $rc
}

# The cgroup directory this process is in, in every mounted hierarchy:
# a relative cgroupsPath (runc's cgroupfs rules) lands below these.  With -r,
# each hierarchy's root too (where a runtime that took the relative path as
# absolute would have put it).
_e_cgroup_bases () {
  if [ "${1:-}" = -r ]; then
    awk '$3=="cgroup" || $3=="cgroup2" {print $2}' /proc/self/mounts
    _e_cgroup_bases
    return
  fi
  local id ctl path mnt opts
  while IFS=: read -r id ctl path; do
    ctl=${ctl%%,*}
    if [ -z "$ctl" ]; then
      mnt=$(awk '$3=="cgroup2"{print $2; exit}' /proc/self/mounts)
    else
      mnt=""
      while read -r _ m fstype opts _; do
        [ "$fstype" = cgroup ] || continue
        case ",$opts," in *",${ctl#name=},"*|*",$ctl,"*) mnt=$m; break ;; esac
      done < /proc/self/mounts
    fi
    [ -n "$mnt" ] && echo "$mnt${path%/}"
  done < /proc/self/cgroup | sort -u
}

# Wait for the namespaces to empty, then remove the cgroup dirs and the work
# dir; report what could not be removed.
_e_outer_cleanup () {
  [ -z "${_E_CLEANED:-}" ] || return 0
  _E_CLEANED=1
  [ -e "$E_WORK/.entered" ] || { rm -rf "$E_WORK"; return 0; }
  local left=() p ns b d i tries
  ns=$(cat "$E_WORK/.netns" 2>/dev/null)
  for (( i=0; i<100; i++ )); do
    left=()
    for p in /proc/[0-9]*; do
      [ "$(readlink "$p/ns/net" 2>/dev/null)" = "$ns" ] && left+=("${p#/proc/}")
    done
    [ ${#left[@]} = 0 ] && break
    sleep 0.1
  done
  local problems=()
  [ ${#left[@]} = 0 ] || problems+=("processes still in the test netns: ${left[*]}")
  # cgroup dirs: thaw, then remove depth-first
  while read -r b; do
    d=$b/$E_TOKEN
    [ -d "$d" ] || continue
    for (( tries=0; tries<50; tries++ )); do
      find "$d" -name freezer.state -exec sh -c 'echo THAWED > "$1"' _ {} \; 2>/dev/null
      find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
      [ -d "$d" ] || break
      sleep 0.2
    done
    [ -d "$d" ] && problems+=("cgroup dir left: $d")
  done < "$T_TMP/cgbases"
  # the scripts' own outer cleanups (e.g. removing a test user); what they
  # print is a problem
  local h o
  for h in ${E_OUTER_HOOKS[@]+"${E_OUTER_HOOKS[@]}"}; do
    o=$("$h" 2>&1) || true
    [ -z "$o" ] || problems+=("$o")
  done
  rm -rf "$E_WORK" 2>/dev/null
  [ -e "$E_WORK" ] && problems+=("could not remove $E_WORK")
  if [ ${#problems[@]} = 0 ]; then
    ok "$E_NAME: nothing left behind (processes, cgroups, mounts, state dirs)"
  else
    not_ok "$E_NAME: nothing left behind"; diag "${problems[@]}"
    return 1
  fi
}

_e_inner_setup () {
  readlink /proc/self/ns/net > "$E_WORK/.netns"
  : > "$E_WORK/.entered"
  ip link set lo up 2>/dev/null || true
  # private /run and /dev/shm: lock files, netns files, sockets the engines
  # put there by default stay in this mount namespace.
  mount -t tmpfs -o mode=755 brig-run /run
  mount -t tmpfs -o mode=1777 brig-shm /dev/shm
  local d
  for d in /etc /var/lib /opt; do
    e_overlay "$d" || { echo "not ok - $E_NAME: overlay on $d"; exit 1; }
  done
  on_exit _e_inner_cleanup
}

# e_overlay DIR: an overlay mount on DIR in this mount namespace, its upper
# layer in the work dir: the engines see DIR as it is, and whatever they
# write there (docker's key.json, podman's blob-info cache, CNI's cache,
# containerd's opt dir, the test user's passwd lines) never reaches the host.
e_overlay () {
  local d=$1 o
  o=$E_WORK/.ovl/$(printf '%s' "$d" | tr / _)
  mkdir -p "$o/upper" "$o/work"
  mount -t overlay -o "lowerdir=$d,upperdir=$o/upper,workdir=$o/work" brig-ovl "$d"
}

# Inner cleanup: the scripts stop their daemons first (their own on_exit
# entries run before this one); here whatever is left in the PID namespace is
# killed, so no process holds a mount or a cgroup.
_e_inner_cleanup () {
  local p pids=() i f
  # a frozen task cannot die, and the PID namespace would never end: thaw
  # every container cgroup first (only those below $E_TOKEN, i.e. ours)
  f=$(e_cgroup_dir freezer "$E_TOKEN") && [ -d "$f" ] &&
    find "$f" -name freezer.state -exec sh -c 'echo THAWED > "$1"' _ {} \; 2>/dev/null
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [ "$p" = 1 ] || [ "$p" = $$ ] || [ "$p" = "${BASHPID:-$$}" ] && continue
    pids+=("$p")
  done
  [ ${#pids[@]} = 0 ] && return 0
  kill -TERM "${pids[@]}" 2>/dev/null
  for (( i=0; i<30; i++ )); do
    sleep 0.1
    local alive=0
    for p in "${pids[@]}"; do [ -e "/proc/$p" ] && alive=1; done
    [ $alive = 0 ] && return 0
  done
  kill -KILL "${pids[@]}" 2>/dev/null
  return 0
}

# e_finish: end of a script.
e_finish () {
  [ "$_t_failed" = 0 ] && exit 0
  exit 1
}

# ---------------------------------------------------------------- daemons

# e_daemon_start NAME LOG CMD...: start CMD in the background with its output
# in LOG; E_PID_<NAME> holds its pid.
e_daemon_start () {
  local name=$1 log=$2; shift 2
  E_LOGS+=("$log")
  "$@" >>"$log" 2>&1 </dev/null &
  printf -v "E_PID_$name" %s "$!"
}

# e_daemon_wait NAME SECS CMD...: wait until CMD succeeds (a socket answers)
# or the daemon died; on failure print its log.
e_daemon_wait () {
  local name=$1 secs=$2 pidv="E_PID_$1" end; shift 2
  end=$(( SECONDS + secs ))
  local to=(timeout -k 2 10)
  [ "$(type -t "$1")" = file ] || to=()
  while ! ${to[@]+"${to[@]}"} "$@" >/dev/null 2>&1; do
    if ! kill -0 "${!pidv}" 2>/dev/null; then
      diag "$name exited before it answered"; return 1
    fi
    [ "$SECONDS" -ge "$end" ] && { diag "$name did not answer within ${secs}s"; return 1; }
    sleep 0.3
  done
}

# e_daemon_stop NAME [SECS]: SIGTERM by pid, SIGKILL after SECS (default 20).
e_daemon_stop () {
  local pidv="E_PID_$1" secs=${2:-20} pid i
  pid=${!pidv:-}
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for (( i=0; i<secs*10; i++ )); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}

# e_cgroup_dir CONTROLLER RELPATH: the directory a relative cgroupsPath
# RELPATH gets in CONTROLLER's hierarchy (below this process's cgroup), e.g.
# e_cgroup_dir memory "$E_TOKEN/ID".
e_cgroup_dir () {
  local ctl=$1 rel=$2 id c path mnt
  while IFS=: read -r id c path; do
    case ",$c," in *",$ctl,"*) ;; *) continue ;; esac
    mnt=$(awk -v c="$ctl" '$3=="cgroup" && (","$4",") ~ (","c",") {print $2; exit}' /proc/self/mounts)
    echo "$mnt${path%/}/$rel"
    return 0
  done < /proc/self/cgroup
  return 1
}

# e_spy: $E_SPY, a wrapper script named brig that appends each call's
# arguments to $E_SPY_LOG and execs ENGINE_RUNTIME.  Used in one check per
# engine to prove the engine really runs the binary it was given (a silent
# fallback to the system runc would otherwise pass every check).
e_spy () {
  E_SPY=$E_WORK/spy/brig E_SPY_LOG=$E_WORK/spy/calls
  [ -x "$E_SPY" ] && return 0
  mkdir -p "$E_WORK/spy"
  printf '#!/bin/sh\necho "$*" >> %q\nexec %q "$@"\n' "$E_SPY_LOG" "$ENGINE_RUNTIME" > "$E_SPY"
  chmod 755 "$E_WORK/spy" "$E_SPY"
  : > "$E_SPY_LOG"; chmod 666 "$E_SPY_LOG"
}

# e_spy_saw SUBCOMMAND...: every SUBCOMMAND appears as a word in some logged
# call (e.g. create start delete).
e_spy_saw () {
  local c
  for c in "$@"; do
    grep -Eq "(^| )$c( |$)" "$E_SPY_LOG" || { WHY="the runtime was never called with '$c' (calls: $(cut -c1-80 "$E_SPY_LOG" | tr '\n' ';' | head -c 600))"; return 1; }
  done
}

# e_podman_conf DIR [rootless]: containers.conf, storage.conf and a CNI
# default network in DIR, everything podman keeps kept in DIR; exports
# CONTAINERS_CONF and CONTAINERS_STORAGE_CONF.  Podman takes the runtime's
# name from the basename of --runtime PATH, so the lists name both brig and
# that basename.
e_podman_conf () {
  local d=$1 mode=${2:-root} hard name ul
  name=$(basename "$ENGINE_RUNTIME")
  hard=$(ulimit -Hn)
  mkdir -p "$d"/{net,tmp,graph,run,ipam}
  # podman's rootful default ulimits (nofile=1048576, nproc=4194304) exceed
  # this host's hard limits, and without CAP_SYS_RESOURCE no runtime can
  # raise them.  Rootless podman sets none by default.
  ul="default_ulimits = [\"nofile=$hard:$hard\", \"nproc=4096:4096\"]"
  [ "$mode" = rootless ] && ul="default_ulimits = []"
  cat > "$d/containers.conf" <<EOF
[containers]
$ul
# conmon stays in podman's cgroup; containers get their own
cgroups = "no-conmon"
cgroupns = "host"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$d/events.log"
tmp_dir = "$d/tmp"
# no static_dir/volume_path: podman's exit command ("container cleanup")
# gets --root but not those, looks for its database in the default place
# below graphroot, does not find the container, and every attached run then
# waits 20 s for a cleanup that never comes.
lock_type = "file"
runtime_supports_json = ["crun", "runc", "brig", "$name"]
# podman 4.3 reads this singular key (containers.conf(5) says "nocgroups")
runtime_supports_nocgroup = ["crun", "brig"]

[engine.runtimes]
brig = ["$ENGINE_RUNTIME"]

[network]
network_backend = "cni"
network_config_dir = "$d/net"
default_network = "podman"
EOF
  cat > "$d/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$d/graph"
runroot = "$d/run"
EOF
  # the default network, with its IPAM state in DIR (rootful only)
  cat > "$d/net/87-podman.conflist" <<EOF
{ "cniVersion": "0.4.0", "name": "podman",
  "plugins": [ { "type": "bridge", "bridge": "cni-podman0", "isGateway": true,
                 "ipMasq": false, "hairpinMode": true,
                 "ipam": { "type": "host-local", "dataDir": "$d/ipam",
                           "routes": [ { "dst": "0.0.0.0/0" } ],
                           "ranges": [ [ { "subnet": "10.88.0.0/16", "gateway": "10.88.0.1" } ] ] } } ] }
EOF
  export CONTAINERS_CONF=$d/containers.conf CONTAINERS_STORAGE_CONF=$d/storage.conf
}

# ---------------------------------------------------------------- images

# e_image_rootfs: $E_IMG/rootfs, a busybox-static rootfs (built once).
E_IMG_NAME=brigbox
e_image_rootfs () {
  E_IMG=$E_WORK/image
  [ -d "$E_IMG/rootfs/bin" ] && return 0
  mkdir -p "$E_IMG"
  make_rootfs "$E_IMG/rootfs" || return 1
  echo brig-engine-test > "$E_IMG/rootfs/etc/brig-image"
}

# e_image_tar: $E_IMG/rootfs.tar, a plain tarball (podman/docker import).
e_image_tar () {
  e_image_rootfs || return 1
  [ -s "$E_IMG/rootfs.tar" ] && return 0
  tar --numeric-owner --owner=0 --group=0 -C "$E_IMG/rootfs" -cf "$E_IMG/rootfs.tar" .
}

# e_image_oci REF: $E_IMG/oci.tar, an OCI image layout archive whose one
# manifest is named REF (org.opencontainers.image.ref.name), for
# `ctr images import` and `podman load`.  Built by hand: one uncompressed
# layer, a config with Cmd ["sh"].
e_image_oci () {
  local ref=$1 L blobs lsum lsize csum csize msum msize
  e_image_tar || return 1
  [ -s "$E_IMG/oci.tar" ] && return 0
  L=$E_IMG/oci; blobs=$L/blobs/sha256
  mkdir -p "$blobs"
  lsum=$(sha256sum "$E_IMG/rootfs.tar" | cut -d' ' -f1)
  lsize=$(stat -c %s "$E_IMG/rootfs.tar")
  cp "$E_IMG/rootfs.tar" "$blobs/$lsum"
  jq -cn --arg d "sha256:$lsum" '{architecture:"amd64",os:"linux",
      config:{Env:["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],Cmd:["sh"],WorkingDir:"/"},
      rootfs:{type:"layers",diff_ids:[$d]},history:[{created_by:"brig tests/engines"}]}' > "$L/config"
  csum=$(sha256sum "$L/config" | cut -d' ' -f1); csize=$(stat -c %s "$L/config")
  mv "$L/config" "$blobs/$csum"
  jq -cn --arg c "sha256:$csum" --argjson cs "$csize" --arg l "sha256:$lsum" --argjson ls "$lsize" \
    '{schemaVersion:2,mediaType:"application/vnd.oci.image.manifest.v1+json",
      config:{mediaType:"application/vnd.oci.image.config.v1+json",digest:$c,size:$cs},
      layers:[{mediaType:"application/vnd.oci.image.layer.v1.tar",digest:$l,size:$ls}]}' > "$L/manifest"
  msum=$(sha256sum "$L/manifest" | cut -d' ' -f1); msize=$(stat -c %s "$L/manifest")
  mv "$L/manifest" "$blobs/$msum"
  jq -cn --arg m "sha256:$msum" --argjson ms "$msize" --arg r "$ref" \
    '{schemaVersion:2,manifests:[{mediaType:"application/vnd.oci.image.manifest.v1+json",digest:$m,size:$ms,
      platform:{architecture:"amd64",os:"linux"},annotations:{"org.opencontainers.image.ref.name":$r}}]}' > "$L/index.json"
  echo '{"imageLayoutVersion":"1.0.0"}' > "$L/oci-layout"
  tar --numeric-owner --owner=0 --group=0 -C "$L" -cf "$E_IMG/oci.tar" oci-layout index.json blobs
}

# e_pty CMD...: run CMD with a pseudo-terminal as its stdin/stdout (script(1));
# what E_STDIN holds is typed into it; output in OUT with CRs and NULs
# removed, status in RC (the command's, with script -e).
e_pty () {
  local cmd
  printf -v cmd '%q ' "$@"
  e_run 60 script -qec "$cmd" /dev/null
  OUT=$(printf '%s' "$OUT" | tr -d '\r\000')
  return $RC
}
