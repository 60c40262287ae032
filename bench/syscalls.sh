#!/bin/bash
# bench/syscalls.sh: what one `run` of /bin/true costs in system calls and
# tasks, per runtime (brig, crun, runc) and for the floor (bench/floor.c).
#
#   bench/syscalls.sh [--top N]
#
# For each runtime: one untimed warm-up run, then
#   strace -f -c      -> syscall count and failed calls (all tasks, the
#                        container's /bin/true included)
#   strace -f -o LOG  -> tasks (distinct tids), threads (clone/clone3 with
#                        CLONE_THREAD), processes (tasks - threads), execve
# crun runs under strace inside a private mount namespace hiding
# /sys/fs/cgroup/unified (crun 1.8.1 refuses hybrid cgroups); strace is
# exec'd there, so only crun and its children are traced.
# Needs root and strace (apt-get install strace).

set -u
export LC_ALL=C
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP_DIR=$(cd "$BENCH_DIR/.." && pwd)
. "$BENCH_DIR/lib.sh"

TOPN=8
while [ $# -gt 0 ]; do
  case $1 in
    --top) shift; TOPN=${1:-8} ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "syscalls.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done
[ "$(id -u)" = 0 ] || { echo "syscalls.sh: must run as root" >&2; exit 2; }
command -v strace > /dev/null || { echo "syscalls.sh: strace missing (apt-get install strace)" >&2; exit 2; }

TMP=$(mktemp -d /tmp/brig-syscalls.XXXXXX)
PFX=bs$$
declare -A BIN NS
RTS=()
b=$(bench_brig_path "$TOP_DIR"); if [ -n "$b" ]; then RTS+=(brig); BIN[brig]=$b; fi
if [ -x "$CRUN" ]; then RTS+=(crun); BIN[crun]=$CRUN; NS[crun]=1; fi
if [ -x "$RUNC" ]; then RTS+=(runc); BIN[runc]=$RUNC; fi

pre () { if [ -n "${NS[$1]:-}" ]; then printf '%s\0' "${CRUN_NS_PREFIX[@]}"; fi; }
cleanup () {
  local rt d
  for rt in "${RTS[@]}"; do
    for d in "$TMP/root-$rt"/*/; do
      [ -d "$d" ] || continue
      mapfile -d '' p < <(pre "$rt")
      "${p[@]}" "${BIN[$rt]}" --root "$TMP/root-$rt" delete -f "$(basename "$d")" > /dev/null 2>&1
    done
  done
  find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -depth -type d -name "$PFX-*" -exec rmdir {} + 2> /dev/null
  rm -rf --one-file-system "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

bench_build_c "$BENCH_DIR" "$TMP" || exit 1
bench_make_rootfs "$TMP/rootfs"
B=$TMP/bundle
bench_make_bundle "$B" "$TMP/rootfs" /bin/true || exit 1

printf '| %-8s | %8s | %7s | %6s | %9s | %7s | %6s |\n' runtime syscalls errors tasks processes threads execve
printf '|%s|%s:|%s:|%s:|%s:|%s:|%s:|\n' ---------- --------- -------- ------- ---------- -------- -------
TOPS=()
for rt in "${RTS[@]}" floor; do
  if [ "$rt" = floor ]; then cmd=("$TMP/floor" "$B/rootfs"); p=()
  else
    mkdir -p "$TMP/root-$rt"
    cmd=("${BIN[$rt]}" --root "$TMP/root-$rt" run --bundle "$B" "$PFX-$rt")
    mapfile -d '' p < <(pre "$rt")
  fi
  if ! "${p[@]}" "${cmd[@]}" < /dev/null > "$TMP/$rt.out" 2>&1 ||
     ! "${p[@]}" strace -f -c -S calls -o "$TMP/$rt.c" "${cmd[@]}" < /dev/null > /dev/null 2>&1 ||
     ! "${p[@]}" strace -f -qq -o "$TMP/$rt.t" "${cmd[@]}" < /dev/null > /dev/null 2>&1; then
    printf '| %-8s | %8s | %7s | %6s | %9s | %7s | %6s |\n' "$rt" fail - - - - -
    TOPS+=("$rt: failed: $(tr -s '\n' ' ' < "$TMP/$rt.out" | cut -c1-200)")
    continue
  fi
  read -r calls errors < <(awk '$NF == "total" { if (NF == 6) print $4, $5; else print $4, 0 }' "$TMP/$rt.c")
  tasks=$(awk '$1 ~ /^[0-9]+$/ { t[$1] = 1 } END { print length(t) }' "$TMP/$rt.t")
  threads=$(grep -Ec '^[0-9]+ +clone3?\(.*CLONE_THREAD' "$TMP/$rt.t")
  execs=$(grep -Ec '^[0-9]+ +execve(at)?\(' "$TMP/$rt.t")
  printf '| %-8s | %8s | %7s | %6s | %9s | %7s | %6s |\n' "$rt" "$calls" "$errors" "$tasks" "$((tasks - threads))" "$threads" "$execs"
  TOPS+=("$rt: $(awk -v n="$TOPN" '/^-/ { s++; next } s == 1 && NF >= 5 && c < n { printf "%s%s %s", (c ? ", " : ""), $NF, (NF == 6 ? $4 : $4); c++ }' "$TMP/$rt.c")")
done
echo
echo "Most frequent syscalls (calls):"
for t in "${TOPS[@]}"; do echo "- $t"; done
