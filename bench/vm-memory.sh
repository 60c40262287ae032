#!/bin/bash
# bench/vm-memory.sh: memory charged to a container's own cgroup, brig vs
# crun vs runc, in the pure cgroup v2 guest of tests/vm/vm-run (this host's
# cgroups are hybrid: no memory controller on its cgroup2 mount).
#
#   bench/vm-memory.sh [--samples N]      boot one guest, measure, print
#   bench/vm-memory.sh --guest [--samples N]   (inside the guest)
#
# Per runtime and sample (runtimes interleaved, a different one first each
# round), with linux.cgroupsPath set so each runtime uses its cgroupfs driver:
#   create-peak  memory.peak of the container's cgroup after `create`: what
#                the runtime's set-up (clone .. parked on exec.fifo) charged
#   create-stat  anon + file + kernel of memory.stat after `create` (per
#                page; memory.peak moves in per-cpu batches of 64 pages)
#   run-peak     memory.peak once `start`ed busybox `true` has exited
# (the runtimes run on CPU 0 only: see one_sample)
# and once: a container with linux.resources.memory.limit = 524288 (512 KiB)
# running `echo hi` must print "hi" (`run`).
#
# Output: "sample ROW RUNTIME KiB" and "status tiny RUNTIME ok|fail REASON"
# lines on stdout (bench/run.sh --only vm-memory reads them), a summary of
# medians on stderr.  Exit 0 when the guest ran, 77 (with the reason on
# stderr) when it cannot boot here, else 1.
set -u
export LC_ALL=C
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP_DIR=$(cd "$BENCH_DIR/.." && pwd)
. "$BENCH_DIR/lib.sh"

GUEST=0 SAMPLES=7
while [ $# -gt 0 ]; do
  case $1 in
    --guest) GUEST=1 ;;
    --samples) shift; SAMPLES=${1:-7} ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "vm-memory.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

summary () {  # summary FILE: medians per row and runtime, from sample lines
  local k
  awk '$1 == "status" { print "  tiny " $3 ": " substr($0, index($0, $4)) }' "$1"
  for k in $(awk '$1 == "sample" { print $2 ":" $3 }' "$1" | sort -u); do
    awk -v r="${k%:*}" -v t="${k#*:}" '$1 == "sample" && $2 == r && $3 == t { print $4 }' "$1" | sort -n |
      awk -v k="$k" '{ a[NR] = $1; l = l " " $1 }
        END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
              printf "  %s: median %d KiB of %d (%s )\n", k, m, NR, l }'
  done
}

if [ "$GUEST" = 0 ]; then
  VMRUN=$TOP_DIR/tests/vm/vm-run
  [ "$(id -u)" = 0 ] || { echo "vm-memory.sh: skip: must run as root (vm-run)" >&2; exit 77; }
  command -v qemu-system-x86_64 > /dev/null ||
    { echo "vm-memory.sh: skip: qemu-system-x86_64 not installed (tests/vm/README-vm-run.md)" >&2; exit 77; }
  ls /boot/vmlinuz-* > /dev/null 2>&1 ||
    { echo "vm-memory.sh: skip: no guest kernel in /boot (apt-get install linux-image-amd64)" >&2; exit 77; }
  out=$(mktemp /tmp/vm-memory.XXXXXX) tmpbrig=""
  trap 'rm -f "$out" $tmpbrig' EXIT
  # the brig binary must be on a path the guest sees: the worktree is shared
  brig=$(bench_brig_path "$TOP_DIR")
  case $brig in
    /tmp/*|/run/*|/dev/shm/*)  # fresh tmpfs mounts in the guest: pass a copy
      tmpbrig=$(mktemp "$TOP_DIR/bench/.vm-brig.XXXXXX") && cp "$brig" "$tmpbrig" && chmod 755 "$tmpbrig" &&
        brig=$tmpbrig ;;
  esac
  "$VMRUN" --share "$TOP_DIR" --timeout "${VM_TIMEOUT:-900}" -e BRIG="$brig" -- \
    bash "$BENCH_DIR/vm-memory.sh" --guest --samples "$SAMPLES" > "$out"; rc=$?
  cat "$out"
  summary "$out" >&2
  [ "$rc" = 0 ] || { echo "vm-memory.sh: guest run failed (vm-run exit $rc)" >&2; exit 1; }
  exit 0
fi

# --- inside the guest ---------------------------------------------------
[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] || { echo "vm-memory.sh: not a cgroup v2 guest" >&2; exit 1; }
grep -qw memory /sys/fs/cgroup/cgroup.subtree_control ||
  { echo "vm-memory.sh: memory controller not enabled at the root" >&2; exit 1; }
W=/tmp/vmm
mkdir -p "$W"
RTS=()
declare -A BIN
b=$(bench_brig_path "$TOP_DIR"); [ -n "$b" ] && [ -x "$b" ] && { RTS+=(brig); BIN[brig]=$b; }
[ -x "$CRUN" ] && { RTS+=(crun); BIN[crun]=$CRUN; }
[ -x "$RUNC" ] && { RTS+=(runc); BIN[runc]=$RUNC; }
echo "vm-memory: runtimes ${RTS[*]}; $(uname -r); $SAMPLES samples" >&2

bench_make_rootfs "$W/rootfs"
for rt in "${RTS[@]}"; do
  mkdir -p "$W/root-$rt"
  bench_make_bundle "$W/b-$rt" "$W/rootfs" /bin/true || exit 1
  bench_jq "$W/b-$rt" '.linux.cgroupsPath = $p' --arg p "/bvm-$rt"
  bench_make_bundle "$W/t-$rt" "$W/rootfs" /bin/echo hi || exit 1
  bench_jq "$W/t-$rt" '.linux.cgroupsPath = $p | .linux.resources.memory = {"limit": 524288}' --arg p "/bvm-tiny-$rt"
done

peak () { cat "/sys/fs/cgroup/bvm-$1/memory.peak" 2> /dev/null; }
# one_sample RT ID: create, read the peak, start, wait for stopped, read it, delete
one_sample () {
  local rt=$1 id=$2 r i p1 p2 st
  # on one CPU: memory.peak moves by the per-cpu charge batch (64 pages),
  # so with the work spread over two CPUs the same run reads 256 or 512 KiB
  r=(taskset -c 0 "${BIN[$rt]}" --root "$W/root-$rt")
  "${r[@]}" create --bundle "$W/b-$rt" "$id" < /dev/null > /dev/null 2> "$W/err" ||
    { echo "vm-memory: $rt create failed: $(tail -c 300 "$W/err")" >&2; return 1; }
  p1=$(peak "$rt")
  # memory.peak moves in per-cpu charge batches (64 pages); memory.stat is
  # per page: what the set-up left charged (anon + file + kernel)
  st=$(awk '$1 == "anon" || $1 == "file" || $1 == "kernel" { s += $2 } END { print s / 1024 }' \
         "/sys/fs/cgroup/bvm-$rt/memory.stat" 2> /dev/null)
  "${r[@]}" start "$id" < /dev/null > /dev/null 2> "$W/err" ||
    { echo "vm-memory: $rt start failed: $(tail -c 300 "$W/err")" >&2; "${r[@]}" delete -f "$id" > /dev/null 2>&1; return 1; }
  for (( i = 0; i < 500; i++ )); do
    "${r[@]}" state "$id" 2> /dev/null | grep -q '"stopped"' && break
    sleep 0.02
  done
  p2=$(peak "$rt")
  "${r[@]}" delete -f "$id" > /dev/null 2>&1
  [ -n "$p1" ] && echo "sample create-peak $rt $(( p1 / 1024 ))"
  [ -n "$p2" ] && echo "sample run-peak $rt $(( p2 / 1024 ))"
  [ -n "$st" ] && echo "sample create-stat $rt $st"
  return 0
}

k=${#RTS[@]}
for (( s = 0; s < SAMPLES; s++ )); do
  for (( j = 0; j < k; j++ )); do
    rt=${RTS[$(( (j + s) % k ))]}
    one_sample "$rt" "vm-$rt-$s"
  done
done
for rt in "${RTS[@]}"; do
  o=$("${BIN[$rt]}" --root "$W/root-$rt" run --bundle "$W/t-$rt" "vm-tiny-$rt" < /dev/null 2> "$W/err"); rc=$?
  "${BIN[$rt]}" --root "$W/root-$rt" delete -f "vm-tiny-$rt" > /dev/null 2>&1
  if [ "$rc" = 0 ] && [ "$o" = hi ]; then echo "status tiny $rt ok"
  else echo "status tiny $rt fail exit $rc, output '$(printf %s "$o" | head -c 40)': $(tr '\n' ' ' < "$W/err" | tail -c 200)"; fi
done
exit 0
