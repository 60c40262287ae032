#!/bin/bash
# Load and faults.
#   1. LOAD_N (200) containers created, started, killed and deleted
#      concurrently (LOAD_JOBS workers, default 8, on however many cores),
#      `list` and `state` read while they churn: every state document
#      parses, nothing is left (state dirs, mounts, cgroups, processes,
#      the brig processes' fds) and the host's mount table and open-file
#      count are what they were.
#   2. kill -9 of `create` at each step: the create is traced once, then
#      re-run with strace injecting SIGKILL at its Nth syscall for N =
#      1, 1+KILL_STEP, ... (KILL_STEP default 6; 1 = every syscall).  Each
#      time `list` still works and `delete --force` cleans everything up.
#   3. a full disk under --root (a small tmpfs filled to 0..3 free pages):
#      create fails with "No space left on device" and leaves no
#      container directory, temp file or half-written state.json, or it
#      succeeds with a valid state.json.
# A naive runtime fails 2 (a state.json left "creating" that delete
# refuses, or a parked init nobody kills) and 3 (truncated state.json).
. "$(dirname "$0")/../lib.sh"
T_BUNDLE_JQ='del(.linux.resources)'

N=${LOAD_N:-200}
JOBS=${LOAD_JOBS:-8}
STEP=${KILL_STEP:-6}
pfx=ld$T_SFX
mounts () { wc -l < /proc/self/mountinfo; }
files () { awk '{print $1}' /proc/sys/fs/file-nr; }

b=$(make_bundle b1 sleep 60)
# ---- 1. 200 containers ----
m0=$(mounts); f0=$(files)
export RUNTIME T_ROOT b
worker () {
  local id=$1 log=$T_ROOT/../$1.log
  { "$RUNTIME" --root "$T_ROOT" create --bundle "$b" "$id" < /dev/null > /dev/null 2>&1 || { echo "create failed"; return 1; }
    "$RUNTIME" --root "$T_ROOT" start "$id" || { echo "start failed"; return 1; }
    [ "$("$RUNTIME" --root "$T_ROOT" state "$id" | jq -r .status)" = running ] || { echo "not running"; return 1; }
    "$RUNTIME" --root "$T_ROOT" kill "$id" KILL || { echo "kill failed"; return 1; }
    local i=0
    while [ "$("$RUNTIME" --root "$T_ROOT" state "$id" | jq -r .status)" != stopped ]; do
      i=$((i + 1)); [ $i -lt 500 ] || { echo "never stopped"; return 1; }; sleep 0.01
    done
    "$RUNTIME" --root "$T_ROOT" delete "$id" || { echo "delete failed"; return 1; }
  } > "$log" 2>&1
}
export -f worker
start=$(date +%s)
# a reader that keeps listing while the workers churn: every document parses
( end=$(( $(date +%s) + 600 )); bad=0; reads=0
  while [ ! -e "$T_TMP/done" ] && [ "$(date +%s)" -lt $end ]; do
    rt list --format json 2> /dev/null | jq -e 'type == "array"' > /dev/null || bad=$((bad + 1))
    reads=$((reads + 1))
  done; echo "$reads $bad" > "$T_TMP/reader" ) &
reader=$!
seq 1 "$N" | sed "s/^/$pfx-/" | xargs -P "$JOBS" -I{} bash -c 'worker {} || echo {} >> "$T_ROOT/../failed"'
touch "$T_TMP/done"; wait $reader
secs=$(( $(date +%s) - start ))
failed=$(cat "$T_TMP/failed" 2>/dev/null | wc -l)
expect_eq "$N containers created/started/killed/deleted by $JOBS workers in ${secs}s: none failed" 0 "$failed"
[ "$failed" -eq 0 ] || for f in $(head -3 "$T_TMP/failed"); do echo "# $f: $(cat "$T_TMP/$f.log" | head -2 | tr '\n' ' ')"; done
read -r reads bad < "$T_TMP/reader"
expect_eq "list during the churn: $reads reads, every one valid JSON" 0 "$bad"
check "nothing left under --root" root_is_empty
left=$(find /sys/fs/cgroup -maxdepth 8 -type d -name "$pfx-*" 2>/dev/null | head -3)
expect_eq "no cgroup left" "" "$left"
procs=$(ps -eo args | grep -c "[s]leep 60" || true)
r=$(stat -c %d:%i "$b/rootfs")
inside=$(stat -L -c '%d:%i' /proc/[0-9]*/root 2>/dev/null | grep -c "^$r\$" || true)
expect_eq "no process left in the rootfs" 0 "$inside"
poll 5 test "$(mounts)" -le "$m0" || true
expect_eq "host mount table: as many mounts as before" "$m0" "$(mounts)"
f1=$(files)
# other processes on the machine open files too: allow some noise
if [ $((f1 - f0)) -lt 200 ]; then ok "open files: $f0 before, $f1 after (no leak per container)"; else not_ok "open files: $f0 before, $f1 after"; fi

# ---- 2. kill -9 at each step of create ----
if command -v strace > /dev/null; then
  id=$pfx-k
  strace -o "$T_TMP/create.trace" "$RUNTIME" --root "$T_ROOT" create --bundle "$b" "$id" < /dev/null > /dev/null 2>&1
  rt delete -f "$id" > /dev/null 2>&1
  # the syscall names in order, each with its occurrence number
  awk -F'(' '/^[a-z_0-9]+\(/ { n[$1]++; print $1, n[$1] }' "$T_TMP/create.trace" > "$T_TMP/steps"
  total=$(wc -l < "$T_TMP/steps")
  bad=0 tried=0 states=""
  i=0
  while read -r sc occ; do
    i=$((i + 1))
    [ $(( (i - 1) % STEP )) -eq 0 ] || continue
    tried=$((tried + 1))
    ( strace -o /dev/null -e trace="$sc" -e inject="$sc:signal=KILL:when=$occ" \
      "$RUNTIME" --root "$T_ROOT" create --bundle "$b" "$id" < /dev/null > /dev/null 2>&1; true ) 2> /dev/null
    s=$(rt state "$id" 2>/dev/null | jq -r .status 2>/dev/null || echo none)
    case " $states " in *" $s "*) ;; *) states="$states $s" ;; esac
    if ! rt list > /dev/null 2>&1; then bad=$((bad + 1)); echo "# step $i ($sc #$occ): list failed"; fi
    out=$(rt delete -f "$id" 2>&1) || case $out in *"does not exist"*) ;; *) bad=$((bad + 1)); echo "# step $i ($sc #$occ): delete -f: $out" ;; esac
    l=$(leftovers "$id" "$b")
    if [ -n "$l" ]; then
      sleep 0.2; l=$(leftovers "$id" "$b")
      [ -z "$l" ] || { bad=$((bad + 1)); echo "# step $i ($sc #$occ): left: $(echo $l)"; rt delete -f "$id" > /dev/null 2>&1; }
    fi
  done < "$T_TMP/steps"
  expect_eq "kill -9 at $tried of create's $total syscalls (states seen:$states): delete --force cleans every time" 0 "$bad"
else
  skip "kill -9 at each step of create" "needs strace"
fi

# ---- 3. full disk under --root ----
small=$T_TMP/small
mkdir -p "$small"
if mount -t tmpfs -o size=256k,mode=700 tmpfs "$small"; then
  on_exit "umount -l $small"
  for free in 0 1 2 3 4; do
    rm -f "$small/fill"
    id=$pfx-full$free
    # fill the tmpfs, then give back FREE pages
    dd if=/dev/zero of="$small/fill" bs=4k 2> /dev/null
    [ "$free" -eq 0 ] || truncate -s "-$((free * 4))k" "$small/fill"
    # (output to a file: the container's stdio must not be a pipe we wait on)
    "$RUNTIME" --root "$small/root" create --bundle "$b" "$id" < /dev/null > "$T_TMP/full.out" 2>&1; rc=$?
    out=$(cat "$T_TMP/full.out")
    if [ $rc -ne 0 ]; then
      expect_match "full --root, $free pages free: clear error" 'No space left on device' "$out"
      expect_eq "full --root, $free pages free: no container dir or temp file left" "" "$(ls -A "$small/root" 2>/dev/null | grep -v '^\.cache$')"
    else
      st=$small/root/$id/state.json
      if jq -e .id "$st" > /dev/null 2>&1; then ok "full --root, $free pages free: created, state.json valid"; else not_ok "full --root, $free pages free: created with a bad state.json: $(head -c 100 "$st")"; fi
      rm -f "$small/fill"
      "$RUNTIME" --root "$small/root" delete -f "$id" > /dev/null 2>&1
    fi
  done
  rm -f "$small/fill"
else
  skip "full disk under --root" "cannot mount a tmpfs"
fi
t_done
