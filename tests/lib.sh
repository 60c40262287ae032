# Shared helpers for brig's shell tests.  Source it from a test script:
#   . "$(dirname "$0")/../lib.sh"
#
# Output protocol (read by tests/run.sh): one line per check,
#   ok - description
#   not ok - description
#   ok - description # SKIP reason
# and nothing else on stdout that starts with "ok" or "not ok".
#
# RUNTIME is the runtime under test (default: the freshly built brig).  The
# tests are written against runc's command line, so RUNTIME=runc runs them
# against runc too, which is how the tests themselves are checked.

set -u

TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP_DIR=$(cd "$TESTS_DIR/.." && pwd)
: "${RUNTIME:=$TOP_DIR/src/brig}"
# a relative path (RUNTIME=src/brig) must survive the tests' cd
case $RUNTIME in /*) ;; */*) RUNTIME=$(cd "$(dirname "$RUNTIME")" 2>/dev/null && pwd)/$(basename "$RUNTIME") ;; esac
: "${BUSYBOX:=/bin/busybox}"

_t_failed=0

ok () { echo "ok - $*"; }
not_ok () { echo "not ok - $*"; _t_failed=1; }
skip () { local what=$1; shift; echo "ok - $what # SKIP $*"; }

# check DESCRIPTION COMMAND...: ok if the command succeeds.
check () {
  local what=$1; shift
  if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# expect_eq DESCRIPTION EXPECTED ACTUAL
expect_eq () {
  if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (expected '$2', got '$3')"; fi
}

# expect_match DESCRIPTION REGEX ACTUAL
expect_match () {
  if printf '%s' "$3" | grep -Eq -- "$2"; then ok "$1"; else not_ok "$1 (no match for /$2/ in '$3')"; fi
}

# A temp dir removed at exit, with everything the test registered.
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/brig-test.XXXXXX")
T_ROOT=$T_TMP/state        # --root for the runtime
mkdir -p "$T_ROOT"
_t_cleanups=()
on_exit () { _t_cleanups+=("$*"); }
_t_exit () {
  local i
  for (( i=${#_t_cleanups[@]}-1; i>=0; i-- )); do eval "${_t_cleanups[$i]}" >/dev/null 2>&1 || true; done
  # kill and delete whatever containers the test left in its root
  if [ -d "$T_ROOT" ]; then
    for d in "$T_ROOT"/*/; do
      [ -d "$d" ] || continue
      "$RUNTIME" --root "$T_ROOT" delete -f "$(basename "$d")" >/dev/null 2>&1 || true
    done
  fi
  umount -R "$T_TMP"/*/rootfs >/dev/null 2>&1 || true
  # anything a test left mounted under T_TMP (deepest first), so that rm
  # never descends into a mount
  awk -v t="$T_TMP/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo 2>/dev/null | sort -r |
    while read -r m; do umount -l "$(printf '%b' "$m")" >/dev/null 2>&1 || true; done
  rm -rf --one-file-system "$T_TMP"
}
trap _t_exit EXIT
# a timeout (tests/run.sh sends SIGTERM) or ^C still runs the cleanup
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP

# rt ARGS...: run the runtime with the test's --root.
rt () { "$RUNTIME" --root "$T_ROOT" "$@"; }

# make_rootfs DIR: a busybox-static rootfs with the test users
# (contrib/make-rootfs.sh: the same image as the bench and the example).
make_rootfs () { BUSYBOX=$BUSYBOX sh "$TESTS_DIR/../contrib/make-rootfs.sh" "$1" --test-users; }

# is_dynamic FILE: FILE is a dynamically linked executable (has a loader).
is_dynamic () { readelf -l "$1" 2>/dev/null | grep -q 'program interpreter'; }
# dynamic_build FILE: FILE if it is dynamically linked, else the
# brig-dynamic the build makes next to a static brig; nothing if neither.
dynamic_build () {
  if is_dynamic "$1"; then echo "$1"
  elif [ -x "$(dirname "$1")/brig-dynamic" ]; then echo "$(dirname "$1")/brig-dynamic"
  fi
}

# image_kib PID: KiB of PID's own executable (its file pages, not the
# copies it wrote) that are mapped in PID, from /proc/PID/smaps.
image_kib () {
  local ino
  ino=$(stat -Lc %i "/proc/$1/exe" 2>/dev/null) || return 1
  awk -v ino="$ino" '/^[0-9a-f]+-[0-9a-f]+ / { m = ($5 == ino) } m && $1 == "Rss:" { k += $2 }
    m && $1 == "Anonymous:" { k -= $2 } END { print k + 0 }' "/proc/$1/smaps"
}
# check_parked DESCRIPTION PID: PID, a created container's waiting init,
# maps at most 320 KiB of the runtime's image (a setup maps about 1 MiB;
# brig gives back what the wait does not need).
check_parked () {
  local k
  k=$(image_kib "$2")
  if [ "${k:-99999}" -le 320 ]; then ok "$1"; else not_ok "$1 (got ${k:-nothing} KiB)"; fi
}

# events_bg ID OUT: `events --interval 1s ID` streaming into OUT in the
# background (killed at exit at the latest), its pid in EV_PID; returns
# once the stream had time to attach.
events_bg () {
  "$RUNTIME" --root "$T_ROOT" events --interval 1s "$1" > "$2" 2>&1 < /dev/null &
  EV_PID=$!
  on_exit "kill $EV_PID"
  sleep 0.5
}

# make_bundle NAME [ARGS...]: $T_TMP/NAME with a rootfs and the runtime's
# default config (runc-compatible `spec`), process.args set to ARGS and
# terminal false, then the jq filter $T_BUNDLE_JQ if set.  Prints the bundle
# path.  Edit config.json with jq_edit.
# The rootfs is built once per test script and copied: make_bundle usually
# runs in a $(...) subshell, so the cache is found on disk, not in a variable.
_t_rootfs_cache=$T_TMP/.rootfs-cache
make_bundle () {
  local name=$1; shift
  local b=$T_TMP/$name
  mkdir -p "$b"
  if [ ! -d "$_t_rootfs_cache" ]; then
    local tmp
    tmp=$(mktemp -d "$T_TMP/.rootfs-new.XXXXXX") && chmod 755 "$tmp"
    make_rootfs "$tmp"
    # parallel make_bundle calls may race: the first one wins
    mv -T "$tmp" "$_t_rootfs_cache" 2>/dev/null || rm -rf "$tmp"
  fi
  cp -a "$_t_rootfs_cache" "$b/rootfs"
  (cd "$b" && "$RUNTIME" spec) || return 1
  if [ $# -gt 0 ]; then
    local args
    args=$(jq -nc '$ARGS.positional' --args -- "$@")   # keeps newlines in ARGS
    jq_edit "$b" ".process.args = $args | .process.terminal = false"
  else
    jq_edit "$b" ".process.terminal = false"
  fi
  # a script-wide extra filter, e.g. T_BUNDLE_JQ='del(.linux.resources)'
  [ -z "${T_BUNDLE_JQ:-}" ] || jq_edit "$b" "$T_BUNDLE_JQ" || return 1
  echo "$b"
}

# jq_edit BUNDLE FILTER: rewrite BUNDLE/config.json through jq.
jq_edit () {
  local b=$1 f=$2
  jq "$f" "$b/config.json" > "$b/config.json.new" && mv "$b/config.json.new" "$b/config.json"
}

# run_in BUNDLE ID: `run` the bundle in the foreground, stdout captured.
run_in () { rt run --bundle "$1" "$2" 2>&1 < /dev/null; }

# ---------------------------------------------------------------------------
# Helpers added for tests/oci-validation and tests/integration.

# A suffix for container ids: cgroup paths are named after the id and are
# shared by every --root on the host, so ids must not collide across scripts.
T_SFX=$$

# Which runtime is under test.
_t_rt_version=
rt_version () {
  [ -n "$_t_rt_version" ] || _t_rt_version=$("$RUNTIME" --version 2>/dev/null | head -n 1)
  printf '%s\n' "$_t_rt_version"
}
is_brig () {
  case $(basename "$RUNTIME") in brig*) return 0 ;; esac
  case $(rt_version) in brig*) return 0 ;; esac
  return 1
}
is_runc () {
  is_brig && return 1
  case $(basename "$RUNTIME") in runc*) return 0 ;; esac
  case $(rt_version) in "runc version "*) return 0 ;; esac
  return 1
}
# True for runc 1.0.x/1.1.x (the reference runc on the test host is 1.1.5).
is_old_runc () {
  is_runc || return 1
  case $(rt_version) in "runc version 1.0"*|"runc version 1.1."*|"runc version 1.1") return 0 ;; esac
  return 1
}

# needs_newer_than_runc_115 DESCRIPTION [REASON]: for a check of a feature
# that runc 1.1.5 lacks (or gets wrong).  With such a runc it prints a SKIP
# line for DESCRIPTION and returns 1; with any other runtime it returns 0:
#   needs_newer_than_runc_115 "personality" && { ...the check... }
needs_newer_than_runc_115 () {
  if is_old_runc; then
    skip "$1" "${2:-not supported by $(rt_version) (newer runtime-spec field)}"
    return 1
  fi
  return 0
}

# brig_only DESCRIPTION [REASON]: for a check of brig's own wording or
# behaviour.  With another runtime prints a SKIP line and returns 1.
brig_only () {
  if is_brig; then return 0; fi
  skip "$1" "brig-only${2:+: $2}"
  return 1
}

# expect_nomatch DESCRIPTION REGEX ACTUAL
expect_nomatch () {
  if printf '%s' "$3" | grep -Eq -- "$2"; then not_ok "$1 (unexpected /$2/ in '$3')"; else ok "$1"; fi
}

# expect_fail DESCRIPTION COMMAND...: ok if the command fails.
expect_fail () {
  local what=$1; shift
  if "$@"; then not_ok "$what (command succeeded)"; else ok "$what"; fi
}

# poll SECONDS COMMAND...: retry COMMAND every 20 ms until it succeeds;
# returns 1 if it still fails after SECONDS.
poll () {
  local n=$(( $1 * 50 )); shift
  while ! "$@"; do
    n=$(( n - 1 ))
    [ "$n" -gt 0 ] || return 1
    sleep 0.02
  done
  return 0
}

# rt_create BUNDLE ID [CREATE-ARGS...]: `create` with the container's stdio
# on files (a container inherits the caller's stdio, so capturing create's
# output in $(...) would wait for the container to exit).  The container's
# and the runtime's stderr are in $T_TMP/ID.err, stdout in $T_TMP/ID.out.
_t_fname () { printf '%s' "$1" | tr -c 'A-Za-z0-9_.+-' '_'; }
rt_create () {
  local b=$1 id=$2 f; shift 2
  f=$T_TMP/$(_t_fname "$id")
  rt create --bundle "$b" "$@" "$id" < /dev/null > "$f.out" 2> "$f.err"
}

# run_ctr BUNDLE ID: `run` in the foreground; prints the container's stdout,
# keeps stderr in $T_TMP/ID.err, returns the runtime's exit status.
run_ctr () {
  rt run --bundle "$1" "$2" < /dev/null 2> "$T_TMP/$(_t_fname "$2").err"
}
# err_of ID: the stderr kept by rt_create/run_ctr.
err_of () { cat "$T_TMP/$(_t_fname "$1").err" 2>/dev/null; }

# state_of ID [JQ-FILTER]: `state` JSON, or the raw jq result of FILTER on it.
state_of () {
  local j
  j=$(rt state "$1" 2>/dev/null) || return 1
  if [ $# -gt 1 ]; then printf '%s' "$j" | jq -r "$2"; else printf '%s\n' "$j"; fi
}
status_of () { state_of "$1" .status; }
# status_is ID STATUS: for poll.
status_is () { [ "$(status_of "$1")" = "$2" ]; }

# host_ns TYPE: the inode link (e.g. net:[4026531840]) of the test's own ns.
host_ns () { readlink "/proc/self/ns/$1"; }

# Leftovers of container ID with bundle BUNDLE, one line each:
# state dir under the --root, a cgroup directory named ID, a host mount at or
# below the bundle, a process whose root or cwd is the bundle's rootfs.
leftovers () {
  local id=$1 b=${2:-} r
  # (an id that is not a plain name is covered by root_is_empty instead)
  if [ -n "$id" ] && [ "${id#*/}" = "$id" ] && [ "$id" != . ] && [ "$id" != .. ]; then
    [ -e "$T_ROOT/$id" ] && echo "state dir $T_ROOT/$id"
    find /sys/fs/cgroup -mindepth 1 -maxdepth 8 -type d -name "$id" 2>/dev/null | sed 's/^/cgroup /'
  fi
  if [ -n "$b" ]; then
    awk -v b="$b" '$5 == b || index($5, b "/") == 1 { print "mount " $5 }' /proc/self/mountinfo
    if [ -d "$b/rootfs" ]; then
      r=$(stat -c %d:%i "$b/rootfs")
      stat -L -c '%n %d:%i' /proc/[0-9]*/root /proc/[0-9]*/cwd 2>/dev/null |
        awk -v r="$r" '$2 == r { split($1, a, "/"); print "process " a[3] }' | sort -u
    fi
  fi
  return 0
}
# leaves_nothing ID [BUNDLE]: succeeds when leftovers is empty (polling a
# little: a dying process may take a moment), else prints them as "# ..."
leaves_nothing () {
  local l n=50
  while :; do
    l=$(leftovers "$@")
    [ -z "$l" ] && return 0
    n=$(( n - 1 ))
    [ "$n" -gt 0 ] || break
    sleep 0.05
  done
  printf '%s\n' "$l" | sed 's/^/# left: /'
  return 1
}
# root_is_empty: nothing at all under the test's --root.
root_is_empty () { [ -z "$(ls -A "$T_ROOT" 2>/dev/null)" ]; }

# pid_alive PID
# pid_alive PID: the process exists and is not a zombie.
pid_alive () {
  [ -n "$1" ] && [ "$1" != 0 ] && [ -r "/proc/$1/stat" ] || return 1
  local s
  s=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$s" ] && [ "${s%% *}" != Z ] && [ "${s%% *}" != X ]
}

t_done () { exit 0; }
