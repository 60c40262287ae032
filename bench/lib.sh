# shellcheck shell=bash
# Shared helpers for bench/run.sh and bench/syscalls.sh (sourced, bash).
#
# Nothing here is timed; it builds bundles and the C helpers and knows how to
# run crun on this host.

: "${BUSYBOX:=/bin/busybox}"
: "${CRUN:=/usr/bin/crun}"
: "${RUNC:=/usr/bin/runc}"
: "${CC:=cc}"

bench_log () { printf 'bench [%4ss]: %s\n' "$SECONDS" "$*" >&2; }

# The brig binary: $BRIG, else src/brig of the tree the bench lives in.
bench_brig_path () {
  local top=$1
  if [ -n "${BRIG:-}" ]; then printf '%s\n' "$BRIG"
  elif [ -x "$top/src/brig" ]; then printf '%s\n' "$top/src/brig"
  fi
}

# True when /sys/fs/cgroup/unified is a cgroup2 mount on a v1 tree (hybrid
# host): crun 1.8.1 refuses such hosts ("cgroups in hybrid mode not
# supported") and must run in a mount namespace that hides it.
bench_hybrid () {
  [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] &&
    [ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" != cgroup2fs ]
}

# CRUN_NS_PREFIX: argv prefix that runs a command (as root) in a private
# mount namespace where an empty tmpfs hides /sys/fs/cgroup/unified; empty on
# non-hybrid hosts.  The host's cgroups are not touched: the tmpfs exists
# only in that namespace and goes away with it.  unshare (no --fork), sh and
# the command exec each other, so the command keeps the first process's pid.
CRUN_NS_PREFIX=()
if bench_hybrid; then
  CRUN_NS_PREFIX=(unshare -m --propagation private sh -c
    'mount -t tmpfs -o mode=755 none /sys/fs/cgroup/unified && exec "$@"' sh)
fi
# crun_ns CMD...: CMD in that namespace (a new one for each call).
crun_ns () { "${CRUN_NS_PREFIX[@]}" "$@"; }

# bench_make_rootfs DIR: the busybox-static rootfs of contrib/make-rootfs.sh.
# (BENCH_TOP: the source tree, found where lib.sh is first sourced from;
# workers source a copy in a temp dir and inherit it)
: "${BENCH_TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
export BENCH_TOP
bench_make_rootfs () { BUSYBOX=$BUSYBOX sh "$BENCH_TOP/contrib/make-rootfs.sh" "$1"; }

# bench_jq BUNDLE FILTER [jq args...]: rewrite BUNDLE/config.json.
bench_jq () {
  local b=$1 f=$2; shift 2
  jq "$@" "$f" "$b/config.json" > "$b/config.json.new" && mv "$b/config.json.new" "$b/config.json"
}

# bench_make_bundle DIR ROOTFS_SRC [ARGS...]: a bundle with a copy of the
# rootfs and runc's default `spec` (the same config.json for every runtime),
# process.args = ARGS (default /bin/true), terminal false.
bench_make_bundle () {
  local b=$1 src=$2; shift 2
  [ $# -gt 0 ] || set -- /bin/true
  mkdir -p "$b"
  cp -a "$src" "$b/rootfs"
  rm -f "$b/config.json"
  if [ -x "$RUNC" ]; then (cd "$b" && "$RUNC" spec) else (cd "$b" && crun_ns "$CRUN" spec); fi || return 1
  local args
  args=$(printf '%s\n' "$@" | jq -R . | jq -s -c .)
  bench_jq "$b" ".process.args = \$a | .process.terminal = false" --argjson a "$args"
}

# bench_seccomp_oci PROFILE CONFIG: podman's seccomp.json (containers-common
# format, with includes/excludes by arch and capability) turned into an OCI
# linux.seccomp object for this machine's arch and CONFIG's bounding
# capabilities, the way podman does it (pkg/seccomp).
bench_seccomp_oci () {
  local profile=$1 config=$2 arch
  case $(uname -m) in
    x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; ppc64le) arch=ppc64le ;;
    s390x) arch=s390x ;; *) arch=$(uname -m) ;;
  esac
  local scmp_arch
  case $arch in
    amd64) scmp_arch=SCMP_ARCH_X86_64 ;; arm64) scmp_arch=SCMP_ARCH_AARCH64 ;;
    ppc64le) scmp_arch=SCMP_ARCH_PPC64LE ;; s390x) scmp_arch=SCMP_ARCH_S390X ;;
    *) scmp_arch=SCMP_ARCH_NATIVE ;;
  esac
  jq -c --arg arch "$arch" --arg sarch "$scmp_arch" \
     --argjson caps "$(jq -c '.process.capabilities.bounding // []' "$config")" '
    def has_all($xs; $set): ($xs // []) | all(. as $x | $set | index($x));
    def has_any($xs; $set): ($xs // []) | any(. as $x | $set | index($x));
    {
      defaultAction: .defaultAction,
      architectures: ([.archMap[] | select(.architecture == $sarch) | .architecture, .subArchitectures[]]),
      syscalls: [ .syscalls[]
        | select((.includes.arches // []) | length == 0 or index($arch))
        | select(has_all(.includes.caps; $caps))
        | select((.excludes.arches // []) | index($arch) | not)
        | select(has_any(.excludes.caps; $caps) | not)
        | {names, action}
          + (if (.args // []) | length > 0 then {args: [.args[] | {index, value, valueTwo, op}]} else {} end)
          + (if .errnoRet then {errnoRet} else {} end) ]
    }
    + (if .defaultErrnoRet then {defaultErrnoRet} else {} end)' "$profile"
}

# bench_build_c SRCDIR OUTDIR: floor and subreaper, plain cc -O2.
bench_build_c () {
  local src=$1 out=$2
  "$CC" -O2 -o "$out/floor" "$src/floor.c" &&
    "$CC" -O2 -o "$out/subreaper" "$src/subreaper.c"
}
