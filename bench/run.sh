#!/bin/bash
# bench/run.sh: brig vs crun vs runc (and the kernel floor), side by side.
#
#   bench/run.sh [--quick] [--write-docs] [--only CASES]
#
#   --quick       few iterations (< 2 minutes); default is the fuller run
#   --write-docs  replace the figures section of docs/performance.md
#   --only CASES  comma-separated subset of:
#                 run seq idle split exec rootless seccomp rss pinned size
#                 parallel vm-memory (vm-memory boots a QEMU guest:
#                 bench/vm-memory.sh; skipped with the reason without qemu)
#
# Runtimes: brig ($BRIG, else src/brig when it exists), crun ($CRUN,
# /usr/bin/crun), runc ($RUNC, /usr/bin/runc); "floor" is bench/floor.c, the
# kernel work alone.  Must run as root.  Method: docs/performance.md.
#
# This is a report, not a test: nothing here passes or fails on time.  A
# runtime that fails a case gets "fail" in that cell (anchors failing the
# rootless case get "skip"), with the reason under the table.
#
# Every runtime is driven by a long-lived worker process (a bash loop reading
# commands from a FIFO) that runs under bench/subreaper.c; crun's worker
# lives in one private mount namespace for the whole run, with an empty tmpfs
# over /sys/fs/cgroup/unified (crun 1.8.1 refuses hybrid cgroups), so that
# namespace set-up is never timed.  Timing happens inside the worker:
# hyperfine -N (no shell) where it fits, bash's $EPOCHREALTIME around loops
# where it does not (100 sequential runs, parallel streams).
# The coordinator interleaves the runtimes: each round runs one block of
# every (case, runtime) pair, starting from a different runtime each round.

set -u
export LC_ALL=C

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP_DIR=$(cd "$BENCH_DIR/.." && pwd)
. "$BENCH_DIR/lib.sh"

###########################################################################
# Worker side: runs inside the runtime's environment.  Every function gets
# its commands as single strings split on blanks (the way hyperfine -N does;
# the bench's paths contain no blanks).
###########################################################################

# w_hf JSON RUNS WARMUP PREPARE CLEANUP CMD: one hyperfine block.
w_hf () {
  local json=$1 runs=$2 warm=$3 prep=$4 clean=$5 cmd=$6
  local a=(-N --style none --runs "$runs" --warmup "$warm" --export-json "$json")
  [ -z "$prep" ] || a+=(--prepare "$prep")
  [ -z "$clean" ] || a+=(--cleanup "$clean")
  hyperfine "${a[@]}" "$cmd"
}

# w_probe CMD...: run each command once, untimed, output to the log.
w_probe () {
  local c
  for c in "$@"; do
    [ -n "$c" ] || continue
    echo "+ $c"
    $c < /dev/null || { echo "probe failed ($?): $c"; return 1; }
  done
}

# w_loop OUT N CMD: N sequential runs of CMD; total wall time (µs) to OUT.
w_loop () {
  local out=$1 n=$2 cmd=$3 i t0 t1
  # stderr of the runs goes to one file opened once, shown on failure
  { t0=$EPOCHREALTIME
    for (( i = 0; i < n; i++ )); do
      $cmd < /dev/null > /dev/null || break
    done
    t1=$EPOCHREALTIME; } 2> "$out.err"
  if [ "$i" -lt "$n" ]; then echo "w_loop: run $i failed: $cmd: $(tail -c 300 "$out.err")"; return 1; fi
  echo $(( ${t1/./} - ${t0/./} )) > "$out"
}

# w_par OUT STREAMS N CMD: STREAMS concurrent streams of N sequential runs
# of CMD (@ID@ in CMD becomes a per-stream container id); wall time (µs).
w_par () {
  local out=$1 streams=$2 n=$3 cmd=$4 t0 t1 j p rc=0 pids=()
  t0=$EPOCHREALTIME
  for (( j = 1; j <= streams; j++ )); do
    local c=${cmd//@ID@/s$j}
    ( for (( i = 0; i < n; i++ )); do
        $c < /dev/null > /dev/null ||
          { echo "w_par: stream $j run $i failed: $c: $(tail -c 300 "$out.$j.err")"; exit 1; }
      done ) 2> "$out.$j.err" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  t1=$EPOCHREALTIME
  [ "$rc" = 0 ] || return 1
  echo $(( ${t1/./} - ${t0/./} )) > "$out"
}

# w_rss OUT CMD [AFTER]: GNU time's peak RSS (KiB) of CMD to OUT, then AFTER.
w_rss () {
  local out=$1 cmd=$2 after=${3:-} rc
  /usr/bin/time -f %M -o "$out" $cmd < /dev/null > /dev/null; rc=$?
  [ -z "$after" ] || $after < /dev/null > /dev/null 2>&1
  return $rc
}

# pinned_kib RT ID...: the memory the waiting processes of the created
# containers ID... (and anything below them) hold, from smaps_rollup:
# "Pss Private_Dirty" in KiB, summed.  Private_Dirty (anonymous and
# written pages) cannot be reclaimed; the rest of Pss is clean file pages
# (the runtime's code), shared by every process that maps them.
pinned_kib () {
  local rt=$1 id pid all="" q p
  shift
  for id in "$@"; do
    pid=$($rt state "$id" | jq -r .pid)
    all="$all $pid" q=$pid
    while [ -n "$q" ]; do  # the waiting process and its descendants
      set -- $q; q=""
      for p in "$@"; do q="$q $(cat /proc/"$p"/task/*/children 2> /dev/null)"; done
      q=$(echo $q); all="$all $q"
    done
  done
  for p in $all; do cat /proc/"$p"/smaps_rollup; done |
    awk '$1 == "Pss:" { pss += $2 } $1 == "Private_Dirty:" { dirty += $2 } END { print pss, dirty }'
}

PIN_N=10   # the `pinned` case's many created containers
# w_pinned OUT RT BUNDLE ID: create ID (not started) and read what it
# pins; then create PIN_N - 1 more and read the mean per container (shared
# pages split among them, as on a node with many containers).  OUT gets
# "Pss Private_Dirty Pss-per-container-of-PIN_N" in KiB.  Deletes them all.
w_pinned () {
  local out=$1 rt=$2 bundle=$3 id=$4 i rc=1 one many ids=()
  for (( i = 1; i <= PIN_N; i++ )); do $rt delete -f "$id-$i" > /dev/null 2>&1; done
  if $rt create --bundle "$bundle" "$id-1" < /dev/null > /dev/null; then
    ids=("$id-1")
    one=$(pinned_kib "$rt" "$id-1")
    for (( i = 2; i <= PIN_N; i++ )); do
      $rt create --bundle "$bundle" "$id-$i" < /dev/null > /dev/null && ids+=("$id-$i")
    done
    if [ "${#ids[@]}" -eq "$PIN_N" ]; then
      many=$(pinned_kib "$rt" "${ids[@]}")
      echo "$one ${many%% *}" | awk -v n="$PIN_N" '{ print $1, $2, $3 / n }' > "$out"
      [ -s "$out" ] && rc=0
    fi
  fi
  for (( i = 1; i <= PIN_N; i++ )); do $rt delete -f "$id-$i" > /dev/null 2>&1; done
  return $rc
}

# w_exec_block JSON RUNS WARMUP RT BUNDLE ID: start a `sleep 1000` container,
# time `exec ID /bin/true` into it, delete it.
w_exec_block () {
  local json=$1 runs=$2 warm=$3 rt=$4 bundle=$5 id=$6 rc
  $rt delete -f "$id" > /dev/null 2>&1
  $rt create --bundle "$bundle" "$id" < /dev/null > /dev/null &&
    $rt start "$id" < /dev/null &&
    w_probe "$rt exec $id /bin/true" &&
    w_hf "$json" "$runs" "$warm" "" "" "$rt exec $id /bin/true"
  rc=$?
  $rt delete -f "$id" > /dev/null 2>&1
  return $rc
}

worker_main () {
  local in=$1 out=$2 log=$3 line rc
  set -f
  exec 3< "$in" 4> "$out" < /dev/null >> "$log" 2>&1
  echo "worker $$ up: uid $(id -u), $(readlink /proc/self/ns/mnt)"
  while IFS= read -r -u 3 line; do
    [ "$line" = exit ] && break
    eval "$line"; rc=$?
    printf '%s\n' "$rc" >&4
  done
  exit 0
}

if [ "${1:-}" = --worker ]; then
  shift
  worker_main "$@"
fi

###########################################################################
# Coordinator
###########################################################################

QUICK=0 WRITE_DOCS=0 ONLY=""
ALL_CASES="run seq idle split exec rootless seccomp rss pinned size parallel vm-memory"
usage () { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case $1 in
    --quick) QUICK=1 ;;
    --write-docs) WRITE_DOCS=1 ;;
    --only) shift; ONLY=${1:-} ;;
    --only=*) ONLY=${1#--only=} ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
CASES=${ONLY:-$ALL_CASES}
CASES=${CASES//,/ }
for c in $CASES; do
  case " $ALL_CASES " in *" $c "*) ;; *) echo "run.sh: unknown case: $c (cases: $ALL_CASES)" >&2; exit 2 ;; esac
done
want () { case " $CASES " in *" $1 "*) return 0 ;; esac; return 1; }

[ "$(id -u)" = 0 ] || { echo "run.sh: must run as root" >&2; exit 2; }
for t in hyperfine jq "$BUSYBOX" /usr/bin/time unshare setpriv "$CC"; do
  command -v "$t" > /dev/null || { echo "run.sh: missing $t" >&2; exit 2; }
done

if [ "$QUICK" = 1 ]; then
  ROUNDS=3 BLOCK=4 WARM=1 SEQ_N=100 SEQ_ROUNDS=1 PAR_STREAMS=2 PAR_N=50 PAR_ROUNDS=1 RSS_REPS=3
  MODE=quick
else
  ROUNDS=10 BLOCK=8 WARM=1 SEQ_N=100 SEQ_ROUNDS=3 PAR_STREAMS=2 PAR_N=100 PAR_ROUNDS=3 RSS_REPS=10
  MODE=default
fi
# create/start/delete: each sample needs an untimed prepare step of up to
# create + start + polling `state`, so fewer rounds in the default run
SPLIT_ROUNDS=6
[ "$QUICK" = 0 ] || SPLIT_ROUNDS=2
START_TIME=$EPOCHREALTIME
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# --- runtimes ---------------------------------------------------------------
RTS=()                 # real runtimes, table order
declare -A BIN WORKER_OF RL_WORKER_OF
BRIG_BIN=$(bench_brig_path "$TOP_DIR")
BRIG_NOTE=""
if [ -n "$BRIG_BIN" ]; then RTS+=(brig); BIN[brig]=$BRIG_BIN
else BRIG_NOTE="brig: not built (no $TOP_DIR/src/brig, \$BRIG unset)"; fi
if [ -x "$CRUN" ]; then RTS+=(crun); BIN[crun]=$CRUN; fi
if [ -x "$RUNC" ]; then RTS+=(runc); BIN[runc]=$RUNC; fi
for rt in "${RTS[@]}"; do
  WORKER_OF[$rt]=host RL_WORKER_OF[$rt]=host-u
done
if bench_hybrid && [ -n "${BIN[crun]:-}" ]; then WORKER_OF[crun]=ns RL_WORKER_OF[crun]=ns-u; fi
WORKER_OF[floor]=host RL_WORKER_OF[floor]=host-u

# --- temp dir, cleanup --------------------------------------------------------
TMP=$(mktemp -d /tmp/brig-bench.XXXXXX)
chmod 711 "$TMP"
PFX=bb$$                     # prefix of every container id (and cgroup)
RL_USER="" RL_CREATED=0
declare -A W_PID W_IN W_OUT W_LOG

RL_HOME="" RL_XDG=""
rl_user_remove () {
  [ "$RL_CREATED" = 1 ] || return 0
  local p line start count
  for p in $(ps -o pid= -u "$RL_USER" 2> /dev/null); do kill -KILL "$p" 2> /dev/null; done
  for f in subuid subgid; do
    while IFS=: read -r _ start count; do
      [ -n "$count" ] || continue
      if [ $f = subuid ]; then usermod --del-subuids "$start-$((start + count - 1))" "$RL_USER"
      else usermod --del-subgids "$start-$((start + count - 1))" "$RL_USER"; fi
    done < <(grep "^$RL_USER:" /etc/$f)
  done 2> /dev/null
  userdel "$RL_USER" 2> /dev/null || userdel -f "$RL_USER" 2> /dev/null
  RL_CREATED=0
}
# rl_cmd_as RT CMD...: CMD as the rootless user (in crun's namespace for crun).
rl_cmd_as () {
  local rt=$1; shift
  local pre=()
  [ "${RL_WORKER_OF[$rt]:-}" = ns-u ] && pre=("${CRUN_NS_PREFIX[@]}")
  "${pre[@]}" setpriv --reuid="$RL_USER" --regid="$(id -g "$RL_USER")" --init-groups \
    env -i PATH=/usr/bin:/bin:/usr/sbin:/sbin HOME="$RL_HOME" XDG_RUNTIME_DIR="$RL_XDG" "$@"
}
cleanup () {
  set +e
  trap - EXIT INT TERM HUP
  local w i d id root rt
  for w in "${!W_PID[@]}"; do
    { printf 'exit\n' >&"${W_IN[$w]}"; } 2> /dev/null
  done
  for w in "${!W_PID[@]}"; do
    for (( i = 0; i < 50; i++ )); do kill -0 "${W_PID[$w]}" 2> /dev/null || break; sleep 0.1; done
    kill -0 "${W_PID[$w]}" 2> /dev/null && kill_tree "${W_PID[$w]}"
  done
  wait 2> /dev/null
  # containers left behind by a failure or an interruption
  for root in "$TMP"/root-* "$TMP"/rl/root-*; do
    [ -d "$root" ] || continue
    rt=${root##*/root-}
    for d in "$root"/*/; do
      [ -d "$d" ] || continue
      id=$(basename "$d")
      case $id in .*) continue ;; esac
      case $root in
        "$TMP"/rl/*) rl_cmd_as "$rt" "${BIN[$rt]}" --root "$root" delete -f "$id" ;;
        *) if [ "${WORKER_OF[$rt]:-}" = ns ]; then crun_ns "${BIN[$rt]}" --root "$root" delete -f "$id"
           else "${BIN[$rt]}" --root "$root" delete -f "$id"; fi ;;
      esac > /dev/null 2>&1
    done
  done
  # empty cgroups named after our containers (rmdir never removes a used one)
  find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -depth -type d -name "$PFX-*" -exec rmdir {} + 2> /dev/null
  rl_user_remove
  rm -rf --one-file-system "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

mkdir -p "$TMP/bin" "$TMP/s" "$TMP/w" "$TMP/j"
chmod 1777 "$TMP/j" "$TMP/w"
cp "$BENCH_DIR/run.sh" "$BENCH_DIR/lib.sh" "$TMP/"
chmod 644 "$TMP/run.sh" "$TMP/lib.sh"
# The C helpers.  Build line: cc -O2 -o floor bench/floor.c (same for subreaper.c)
bench_build_c "$BENCH_DIR" "$TMP/bin" || { echo "run.sh: cannot build floor/subreaper" >&2; exit 1; }
FLOOR=$TMP/bin/floor SUBREAPER=$TMP/bin/subreaper
chmod 755 "$TMP/bin" "$FLOOR" "$SUBREAPER"

# helper.sh OP ID BUNDLE RUNTIME-ARGV...: untimed prepare/cleanup steps.
H=$TMP/helper.sh
cat > "$H" <<'EOF'
#!/bin/sh
op=$1 id=$2 bundle=$3; shift 3
"$@" delete -f "$id" > /dev/null 2>&1
case $op in
  gone) exit 0 ;;
  created) exec "$@" create --bundle "$bundle" "$id" < /dev/null > /dev/null ;;
  stopped)
    "$@" create --bundle "$bundle" "$id" < /dev/null > /dev/null && "$@" start "$id" < /dev/null || exit 1
    i=0
    while [ $i -lt 1000 ]; do
      "$@" state "$id" 2> /dev/null | grep -q '"stopped"' && exit 0
      sleep 0.005; i=$((i + 1))
    done
    echo "helper: $id never stopped" >&2; exit 1 ;;
esac
EOF
chmod 755 "$H"

# --- workers ----------------------------------------------------------------
# A worker is defined once (worker_start NAME MODE [USER]; MODE host or ns,
# crun's namespace) and (re)started on demand: a worker whose call timed out
# is killed with everything below it and a fresh one serves the next call.
# seconds per worker call: a block (BENCH_TIMEOUT) or a single probe run
CALL_TIMEOUT=${BENCH_TIMEOUT:-$([ "$QUICK" = 1 ] && echo 120 || echo 300)}
PROBE_TIMEOUT=${BENCH_PROBE_TIMEOUT:-30}
declare -A W_MODE W_USER W_N
worker_start () {
  W_MODE[$1]=$2 W_USER[$1]=${3:-}
  [ -n "${W_N[$1]:-}" ] || W_N[$1]=0
  [ -n "${W_LOG[$1]:-}" ] || { W_LOG[$1]=$TMP/w/$1.log; : > "${W_LOG[$1]}"; }
  [ -z "${3:-}" ] || chown "$3" "${W_LOG[$1]}"
}
worker_ensure () {
  local name=$1 fin fout fd n
  [ -z "${W_PID[$name]:-}" ] || return 0
  local mode=${W_MODE[$name]} user=${W_USER[$name]} log=${W_LOG[$name]}
  n=$(( W_N[$name] += 1 ))
  fin=$TMP/w/$name.$n.in fout=$TMP/w/$name.$n.out
  mkfifo -m 600 "$fin" "$fout" || return 1
  [ -z "$user" ] || chown "$user" "$fin" "$fout"
  exec {fd}<> "$fin"; W_IN[$name]=$fd
  exec {fd}<> "$fout"; W_OUT[$name]=$fd
  local cmd=("$SUBREAPER" bash "$TMP/run.sh" --worker "$fin" "$fout" "$log")
  if [ -n "$user" ]; then
    cmd=(setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups
         env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin LC_ALL=C
         HOME="$RL_HOME" USER="$user" XDG_RUNTIME_DIR="$RL_XDG" "${cmd[@]}")
  fi
  [ "$mode" = ns ] && cmd=("${CRUN_NS_PREFIX[@]}" "${cmd[@]}")
  # the worker keeps no FIFO end but its own two (opened by worker_main), so
  # it sees EOF and exits if the coordinator dies
  ( for fd in "${W_IN[@]}" "${W_OUT[@]}"; do eval "exec $fd>&-"; done
    exec "${cmd[@]}" < /dev/null > /dev/null 2>> "$log" ) &
  W_PID[$name]=$!
}
# kill_tree PID: stop PID, kill its descendants, kill it (all of them are
# processes this bench started: the worker, hyperfine, runtimes, containers
# reparented to the worker's subreaper).
kill_tree () {
  local p=$1 c
  kill -STOP "$p" 2> /dev/null
  for c in $(cat /proc/"$p"/task/*/children 2> /dev/null); do kill_tree "$c"; done
  kill -KILL "$p" 2> /dev/null
}
worker_forget () {
  local name=$1
  eval "exec ${W_IN[$name]}>&- ${W_OUT[$name]}>&-"
  unset "W_PID[$name]" "W_IN[$name]" "W_OUT[$name]"
}

# wcall NAME FUNC ARGS...: run FUNC ARGS in worker NAME, return its status.
wcall () {
  local name=$1 rc t0=$SECONDS; shift
  worker_ensure "$name" || return 98
  printf '%s\n' "$(printf '%q ' "$@")" >&"${W_IN[$name]}"
  while :; do
    if IFS= read -r -t 5 rc <&"${W_OUT[$name]}"; then return "$rc"; fi
    if ! kill -0 "${W_PID[$name]}" 2> /dev/null; then
      echo "worker $name died" >> "${W_LOG[$name]}"; wait "${W_PID[$name]}" 2> /dev/null
      worker_forget "$name"; return 99
    fi
    if (( SECONDS - t0 > CALL_TIMEOUT )); then
      echo "timed out after ${CALL_TIMEOUT} s: $*" >> "${W_LOG[$name]}"
      kill_tree "${W_PID[$name]}"; wait "${W_PID[$name]}" 2> /dev/null
      worker_forget "$name"; return 124
    fi
  done
}

# --- results ----------------------------------------------------------------
ROWS=()                 # row ids, table order
declare -A LABEL KIND ST
NOTES=()
# row ID KIND LABEL: KIND ms | MiB | count | cps (containers/s) | msint | text (status words only)
row () { ROWS+=("$1"); KIND[$1]=$2; LABEL[$1]=$3; }
note () { NOTES+=("$*"); }
# mark ROW RT STATUS REASON
mark () {
  ST[$1.$2]=$3
  note "${LABEL[$1]}: $2 $3: ${4:-no reason given}"
}

# wrun ROW RT WORKER FUNC ARGS...: wcall that marks the cell on failure.
FAIL_WORD=fail
wrun () {
  local row=$1 rt=$2 w=$3 size reason word=$FAIL_WORD; shift 3
  size=$(stat -c %s "${W_LOG[$w]}")
  wcall "$w" "$@" && return 0
  reason=$(tail -c +$((size + 1)) "${W_LOG[$w]}" | grep -Ev '^(\+ |worker [0-9]+ up)' |
           sed "s|$TMP|<tmp>|g" | tr -s '\n\t' '  ' | tail -c 300)
  [ "$rt" = brig ] && word=fail
  mark "$row" "$rt" "$word" "$reason"
  return 1
}

# rounds N CALLBACK UNIT...: UNIT is ROW:RT.  N rounds; each round runs one
# block of every unit, starting one unit further each round.
rounds () {
  local n=$1 cb=$2 r i k u; shift 2
  local units=("$@"); k=${#units[@]}
  for (( r = 1; r <= n; r++ )); do
    for (( i = 0; i < k; i++ )); do
      u=${units[$(( (i + r - 1) % k ))]}
      [ -z "${ST[${u%%:*}.${u#*:}]:-}" ] || continue
      "$cb" "${u%%:*}" "${u#*:}" "$r" || true
    done
  done
}

# Per-unit command tables, keyed ROW:RT.
declare -A C_CMD C_PREP C_CLEAN C_W

# cb_hf ROW RT ROUND: one hyperfine block (probe first in round 1).
cb_hf () {
  local u=$1:$2 json=$TMP/j/$1.$2.$3.json
  local w=${C_W[$u]} prep=${C_PREP[$u]:-} clean=${C_CLEAN[$u]:-}
  if [ "$3" = 1 ]; then CALL_TIMEOUT=$PROBE_TIMEOUT wrun "$1" "$2" "$w" w_probe "$prep" "${C_CMD[$u]}" || return 1; fi
  wrun "$1" "$2" "$w" w_hf "$json" "$BLOCK" "$WARM" "$prep" "$clean" "${C_CMD[$u]}" || return 1
  jq -r '.results[0].times[] * 1000' "$json" >> "$TMP/s/$1.$2"
}

# cb_loop ROW RT ROUND: SEQ_N sequential runs, total ms.
cb_loop () {
  local u=$1:$2 out=$TMP/j/$1.$2.$3.us
  if [ "$3" = 1 ]; then CALL_TIMEOUT=$PROBE_TIMEOUT wrun "$1" "$2" "${C_W[$u]}" w_probe "${C_CMD[$u]}" || return 1; fi
  wrun "$1" "$2" "${C_W[$u]}" w_loop "$out" "$SEQ_N" "${C_CMD[$u]}" || return 1
  awk '{ printf "%.3f\n", $1 / 1000 }' "$out" >> "$TMP/s/$1.$2"
}

# cb_par ROW RT ROUND: parallel streams, containers/s.
cb_par () {
  local u=$1:$2 out=$TMP/j/$1.$2.$3.us
  if [ "$3" = 1 ]; then CALL_TIMEOUT=$PROBE_TIMEOUT wrun "$1" "$2" "${C_W[$u]}" w_probe "${C_CMD[$u]//@ID@/s0}" || return 1; fi
  wrun "$1" "$2" "${C_W[$u]}" w_par "$out" "$PAR_STREAMS" "$PAR_N" "${C_CMD[$u]}" || return 1
  awk -v n=$((PAR_STREAMS * PAR_N)) '{ printf "%.3f\n", n / ($1 / 1e6) }' "$out" >> "$TMP/s/$1.$2"
}

# cb_rss ROW RT ROUND: one GNU time %M sample, MiB.
cb_rss () {
  local u=$1:$2 out=$TMP/j/$1.$2.$3.kib
  wrun "$1" "$2" "${C_W[$u]}" w_rss "$out" "${C_CMD[$u]}" "${C_CLEAN[$u]:-}" || return 1
  awk '{ v = $1 } END { printf "%.3f\n", v / 1024 }' "$out" >> "$TMP/s/$1.$2"
}

# cb_pinned ROW RT ROUND: created containers; Pss, Private_Dirty, Pss of PIN_N, MiB.
cb_pinned () {
  local u=$1:$2 out=$TMP/j/$1.$2.$3.kib
  wrun "$1" "$2" "${C_W[$u]}" w_pinned "$out" "${C_CMD[$u]}" "$B_TRUE" "$PFX-$2-pin" || return 1
  awk '{ printf "%.3f\n", $1 / 1024 }' "$out" >> "$TMP/s/pinned-pss.$2"
  awk '{ printf "%.3f\n", $2 / 1024 }' "$out" >> "$TMP/s/pinned-dirty.$2"
  awk '{ printf "%.3f\n", $3 / 1024 }' "$out" >> "$TMP/s/pinned-many.$2"
}

# cb_exec ROW RT ROUND
cb_exec () {
  local u=$1:$2 json=$TMP/j/$1.$2.$3.json
  wrun "$1" "$2" "${C_W[$u]}" w_exec_block "$json" "$BLOCK" "$WARM" "${C_CMD[$u]}" "$B_SLEEP" "$PFX-$2-exec" || return 1
  jq -r '.results[0].times[] * 1000' "$json" >> "$TMP/s/$1.$2"
}

rtcmd () { printf '%s --root %s' "${BIN[$1]}" "$TMP/root-$1"; }
start_workers () {
  local rt
  for rt in "${RTS[@]}" floor; do worker_start "${WORKER_OF[$rt]}" "${WORKER_OF[$rt]}"; done
}

# --- bundles ----------------------------------------------------------------
bench_log "temp dir $TMP, mode $MODE, runtimes: ${RTS[*]} + floor, cases: $CASES"
bench_make_rootfs "$TMP/rootfs"
B_TRUE=$TMP/b-true B_SLEEP=$TMP/b-sleep B_SEC=$TMP/b-seccomp
bench_make_bundle "$B_TRUE" "$TMP/rootfs" /bin/true
want exec && bench_make_bundle "$B_SLEEP" "$TMP/rootfs" /bin/sleep 1000
SECCOMP_PROFILE=/usr/share/containers/seccomp.json
if want seccomp; then
  if [ -r "$SECCOMP_PROFILE" ]; then
    bench_make_bundle "$B_SEC" "$TMP/rootfs" /bin/true
    bench_seccomp_oci "$SECCOMP_PROFILE" "$B_SEC/config.json" > "$TMP/seccomp.json" &&
      bench_jq "$B_SEC" '.linux.seccomp = $s[0]' --slurpfile s "$TMP/seccomp.json"
  fi
fi
for rt in "${RTS[@]}"; do mkdir -p "$TMP/root-$rt"; done
start_workers

units () {  # units ROW [floor]: ROW:RT for every runtime (and floor)
  local rt; UNITS=()
  for rt in "${RTS[@]}"; do UNITS+=("$1:$rt"); done
  [ "${2:-}" != floor ] || UNITS+=("$1:floor")
}

# --- 1. run -----------------------------------------------------------------
set_run_cmds () {  # set_run_cmds ROW BUNDLE: `run` for every runtime + floor
  local rt
  for rt in "${RTS[@]}"; do
    C_CMD[$1:$rt]="$(rtcmd "$rt") run --bundle $2 $PFX-$rt-$1"; C_W[$1:$rt]=${WORKER_OF[$rt]}
  done
  C_CMD[$1:floor]="$FLOOR $2/rootfs"; C_W[$1:floor]=host
}
if want run; then
  row run ms "run /bin/true, per run (ms)"
  set_run_cmds run "$B_TRUE"; units run floor
  bench_log "case run: $ROUNDS rounds x $BLOCK runs"
  rounds "$ROUNDS" cb_hf "${UNITS[@]}"
fi
if want seq; then
  row seq msint "run /bin/true, $SEQ_N sequential, total (ms)"
  set_run_cmds seq "$B_TRUE"; units seq floor
  bench_log "case seq: $SEQ_ROUNDS rounds x $SEQ_N runs"
  rounds "$SEQ_ROUNDS" cb_loop "${UNITS[@]}"
fi
if want idle; then
  row idle ms "run /bin/true after 50 ms idle (ms)"
  set_run_cmds idle "$B_TRUE"; units idle floor
  for u in "${UNITS[@]}"; do C_PREP[$u]="sleep 0.05"; done
  bench_log "case idle: $ROUNDS rounds x $BLOCK runs"
  rounds "$ROUNDS" cb_hf "${UNITS[@]}"
fi

# --- 2. create / start / delete ----------------------------------------------
if want split; then
  row create ms "create (ms)"; row start ms "start (ms)"; row delete ms "delete, stopped container (ms)"
  all=()
  for rt in "${RTS[@]}"; do
    id=$PFX-$rt-split rc_=$(rtcmd "$rt")
    for op in create start delete; do C_W[$op:$rt]=${WORKER_OF[$rt]}; C_CLEAN[$op:$rt]="sh $H gone $id $B_TRUE $rc_"; done
    C_PREP[create:$rt]="sh $H gone $id $B_TRUE $rc_";    C_CMD[create:$rt]="$rc_ create --bundle $B_TRUE $id"
    C_PREP[start:$rt]="sh $H created $id $B_TRUE $rc_";  C_CMD[start:$rt]="$rc_ start $id"
    C_PREP[delete:$rt]="sh $H stopped $id $B_TRUE $rc_"; C_CMD[delete:$rt]="$rc_ delete $id"
    all+=("create:$rt" "start:$rt" "delete:$rt")
  done
  bench_log "case split: $SPLIT_ROUNDS rounds x $BLOCK runs of create, start, delete"
  rounds "$SPLIT_ROUNDS" cb_hf "${all[@]}"
fi

# --- 3. exec ------------------------------------------------------------------
if want exec; then
  row exec ms "exec /bin/true into a running container (ms)"
  units exec
  for rt in "${RTS[@]}"; do C_CMD[exec:$rt]=$(rtcmd "$rt"); C_W[exec:$rt]=${WORKER_OF[$rt]}; done
  bench_log "case exec: $ROUNDS rounds x $BLOCK runs"
  rounds "$ROUNDS" cb_exec "${UNITS[@]}"
fi

# --- 4. rootless --------------------------------------------------------------
rl_setup () {
  local max
  max=$(cat /proc/sys/user/max_user_namespaces 2> /dev/null || echo 0)
  [ "$max" -gt 0 ] || { RL_SKIP="user namespaces disabled (user.max_user_namespaces=0)"; return 1; }
  command -v useradd > /dev/null || { RL_SKIP="no useradd"; return 1; }
  RL_USER=brigbench$$
  if id "$RL_USER" > /dev/null 2>&1; then RL_SKIP="user $RL_USER already exists"; return 1; fi
  mkdir -p "$TMP/rl"; chmod 755 "$TMP/rl"
  RL_HOME=$TMP/rl/home RL_XDG=$TMP/rl/xdg
  useradd -M -d "$RL_HOME" -s /bin/sh -c "brig bench temporary user" -U "$RL_USER" ||
    { RL_SKIP="useradd failed"; return 1; }
  RL_CREATED=1
  local uid gid
  uid=$(id -u "$RL_USER") gid=$(id -g "$RL_USER")
  # subordinate ranges (for runtimes that map more than one id via newuidmap)
  if ! grep -q "^$RL_USER:" /etc/subuid 2> /dev/null || ! grep -q "^$RL_USER:" /etc/subgid 2> /dev/null; then
    local top
    top=$(cat /etc/subuid /etc/subgid 2> /dev/null | awk -F: '$3 > 0 && $2 + $3 > m { m = $2 + $3 } END { print (m > 100000 ? m : 100000) }')
    grep -q "^$RL_USER:" /etc/subuid 2> /dev/null || usermod --add-subuids "$top-$((top + 65535))" "$RL_USER"
    grep -q "^$RL_USER:" /etc/subgid 2> /dev/null || usermod --add-subgids "$top-$((top + 65535))" "$RL_USER"
  fi
  mkdir -p "$RL_HOME" "$RL_XDG"
  chmod 700 "$RL_XDG"; chown "$uid:$gid" "$RL_HOME" "$RL_XDG"
  B_RL=$TMP/rl/bundle
  mkdir -p "$B_RL"; cp -a "$TMP/rootfs" "$B_RL/rootfs"
  chown -R "$uid:$gid" "$B_RL"
  (cd "$B_RL" && rl_cmd_as runc "$RUNC" spec --rootless) || { RL_SKIP="runc spec --rootless failed"; return 1; }
  bench_jq "$B_RL" '.process.args = ["/bin/true"] | .process.terminal = false'
  chown "$uid:$gid" "$B_RL/config.json"
  for rt in "${RTS[@]}"; do mkdir -p "$TMP/rl/root-$rt"; chown "$uid:$gid" "$TMP/rl/root-$rt"; done
  for rt in "${RTS[@]}" floor; do worker_start "${RL_WORKER_OF[$rt]}" "${RL_WORKER_OF[$rt]%-u}" "$RL_USER"; done
  return 0
}
if want rootless; then
  row rootless ms "rootless run /bin/true, per run (ms)"
  RL_SKIP=""
  if rl_setup; then
    units rootless floor
    for rt in "${RTS[@]}"; do
      C_CMD[rootless:$rt]="${BIN[$rt]} --root $TMP/rl/root-$rt run --bundle $B_RL $PFX-$rt-rl"
      C_W[rootless:$rt]=${RL_WORKER_OF[$rt]}
    done
    C_CMD[rootless:floor]="$FLOOR -U $B_RL/rootfs"; C_W[rootless:floor]=host-u
    bench_log "case rootless (user $RL_USER): $ROUNDS rounds x $BLOCK runs"
    FAIL_WORD=skip rounds "$ROUNDS" cb_hf "${UNITS[@]}"
  else
    for rt in "${RTS[@]}" floor; do mark rootless "$rt" skip "$RL_SKIP"; done
  fi
fi

# --- 5. seccomp -----------------------------------------------------------------
if want seccomp; then
  row sec-none ms "run /bin/true, no seccomp (ms)"
  row sec-podman ms "run /bin/true, podman seccomp.json (ms)"
  row sec-cold ms "run /bin/true, podman seccomp.json, no cache (ms)"
  if [ -r "$SECCOMP_PROFILE" ] && [ -f "$TMP/seccomp.json" ]; then
    set_run_cmds sec-none "$B_TRUE"; units sec-none; all=("${UNITS[@]}")
    set_run_cmds sec-podman "$B_SEC"; units sec-podman; all+=("${UNITS[@]}")
    # the profile compiled on every run: a runtime's cache of compiled
    # filters (brig's and crun's live under <root>/.cache) emptied first
    set_run_cmds sec-cold "$B_SEC"; units sec-cold
    for rt in "${RTS[@]}"; do C_PREP[sec-cold:$rt]="rm -rf $TMP/root-$rt/.cache"; done
    all+=("${UNITS[@]}")
    bench_log "case seccomp: $ROUNDS rounds x $BLOCK runs, with and without"
    rounds "$ROUNDS" cb_hf "${all[@]}"
  else
    for rt in "${RTS[@]}"; do
      mark sec-podman "$rt" skip "$SECCOMP_PROFILE missing (apt-get install golang-github-containers-common)"
      mark sec-cold "$rt" skip "$SECCOMP_PROFILE missing"
    done
  fi
fi

# --- 6. memory, size ------------------------------------------------------------
if want rss; then
  row rss-run MiB "peak RSS, run (MiB, GNU time %M)"
  row rss-create MiB "peak RSS, create (MiB, GNU time %M)"
  set_run_cmds rss-run "$B_TRUE"; units rss-run floor; all=("${UNITS[@]}")
  for rt in "${RTS[@]}"; do
    C_CMD[rss-create:$rt]="$(rtcmd "$rt") create --bundle $B_TRUE $PFX-$rt-rss"
    C_CLEAN[rss-create:$rt]="$(rtcmd "$rt") delete -f $PFX-$rt-rss"
    C_W[rss-create:$rt]=${WORKER_OF[$rt]}
    all+=("rss-create:$rt")
  done
  bench_log "case rss: $RSS_REPS samples"
  rounds "$RSS_REPS" cb_rss "${all[@]}"
fi
if want pinned; then
  row pinned-pss MiB "created container, waiting process: Pss (MiB)"
  row pinned-dirty MiB "created container, waiting process: Private_Dirty (MiB)"
  row pinned-many MiB "$PIN_N created containers: Pss per container (MiB)"
  units pinned-pss
  for rt in "${RTS[@]}"; do
    C_CMD[pinned-pss:$rt]=$(rtcmd "$rt"); C_W[pinned-pss:$rt]=${WORKER_OF[$rt]}
  done
  bench_log "case pinned: $RSS_REPS samples"
  rounds "$RSS_REPS" cb_pinned "${UNITS[@]}"
  # a failure marked on the first row counts for both
  for rt in "${RTS[@]}"; do
    [ -z "${ST[pinned-pss.$rt]:-}" ] || ST[pinned-dirty.$rt]=${ST[pinned-pss.$rt]} ST[pinned-many.$rt]=${ST[pinned-pss.$rt]}
  done
fi
if want size; then
  row size MiB "binary size (MiB)"
  row libs count "ldd linked libraries (count)"
  for rt in "${RTS[@]}" floor; do
    b=${BIN[$rt]:-$FLOOR}
    b=$(readlink -f "$(command -v "$b")")
    if [ -f "$b" ]; then
      awk -v s="$(stat -c %s "$b")" 'BEGIN { printf "%.3f\n", s / 1048576 }' > "$TMP/s/size.$rt"
      { ldd "$b" 2> /dev/null || true; } | grep -Evc 'linux-vdso|not a dynamic|statically linked' > "$TMP/s/libs.$rt"
    else
      mark size "$rt" fail "$b not found"
    fi
  done
fi

# --- 7. parallel streams ------------------------------------------------------------
if want parallel; then
  row par cps "$PAR_STREAMS parallel streams x $PAR_N runs (containers/s, higher = better)"
  for rt in "${RTS[@]}"; do
    C_CMD[par:$rt]="$(rtcmd "$rt") run --bundle $B_TRUE $PFX-$rt-par-@ID@"; C_W[par:$rt]=${WORKER_OF[$rt]}
  done
  C_CMD[par:floor]="$FLOOR $B_TRUE/rootfs"; C_W[par:floor]=host
  units par floor
  bench_log "case parallel: $PAR_ROUNDS rounds"
  rounds "$PAR_ROUNDS" cb_par "${UNITS[@]}"
fi

# --- 8. memory charged to the container's cgroup (cgroup v2 guest) ---------------
if want vm-memory; then
  row vm-create-peak MiB "v2 guest: container cgroup memory.peak after create (MiB)"
  row vm-create-stat MiB "v2 guest: memory.stat anon+file+kernel after create (MiB)"
  row vm-run-peak MiB "v2 guest: memory.peak after the container ran (MiB)"
  row vm-tiny text "v2 guest: memory.limit 512 KiB, run echo hi"
  VM_SAMPLES=11; [ "$QUICK" = 0 ] || VM_SAMPLES=3
  bench_log "case vm-memory: one guest boot, $VM_SAMPLES samples"
  BRIG=${BIN[brig]:-/nonexistent} "$BENCH_DIR/vm-memory.sh" --samples "$VM_SAMPLES" \
    > "$TMP/vm.out" 2> "$TMP/vm.err"; rc=$?
  for rt in "${RTS[@]}"; do
    if [ "$rc" != 0 ]; then
      why=$(grep -E '^vm-memory.sh: ' "$TMP/vm.err" | tail -n 1 | tail -c 200)
      for r in vm-create-peak vm-create-stat vm-run-peak vm-tiny; do
        mark "$r" "$rt" "$([ "$rc" = 77 ] && echo skip || echo fail)" "${why:-vm-memory.sh exit $rc}"
      done
      continue
    fi
    for r in create-peak create-stat run-peak; do
      awk -v r="$r" -v t="$rt" '$1 == "sample" && $2 == r && $3 == t { printf "%.3f\n", $4 / 1024 }' \
        "$TMP/vm.out" > "$TMP/s/vm-$r.$rt"
      [ -s "$TMP/s/vm-$r.$rt" ] || mark "vm-$r" "$rt" fail "no sample: $(grep "vm-memory: $rt" "$TMP/vm.err" | tail -n 1 | tail -c 200)"
    done
    t=$(awk -v t="$rt" '$1 == "status" && $3 == t' "$TMP/vm.out")
    case $t in
      *" ok") ST[vm-tiny.$rt]=ok ;;
      "") mark vm-tiny "$rt" fail "no result" ;;
      *) mark vm-tiny "$rt" fail "${t#status tiny $rt fail }" ;;
    esac
  done
fi

# --- report -------------------------------------------------------------------------
median () { sort -g "$1" | awk '{ a[NR] = $1 } END { if (NR == 0) exit 1; if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
fmt () {  # fmt KIND VALUE
  case $1 in
    ms) awk -v v="$2" 'BEGIN { printf (v < 10 ? "%.2f" : "%.1f"), v }' ;;
    msint) awk -v v="$2" 'BEGIN { printf "%.0f", v }' ;;
    MiB) awk -v v="$2" 'BEGIN { printf "%.2f", v }' ;;
    count) awk -v v="$2" 'BEGIN { printf "%d", v }' ;;
    cps) awk -v v="$2" 'BEGIN { printf "%.1f", v }' ;;
  esac
}
declare -A VAL
cell () {  # cell ROW RT: formatted cell; VAL[ROW.RT] = raw median
  local st=${ST[$1.$2]:-} f=$TMP/s/$1.$2 v
  if [ -n "$st" ]; then printf '%s' "$st"; return; fi
  if [ "$2" = brig ] && [ -z "${BIN[brig]:-}" ]; then printf -- '-'; return; fi
  if [ -s "$f" ] && v=$(median "$f"); then VAL[$1.$2]=$v; fmt "${KIND[$1]}" "$v"; return; fi
  printf -- '-'
}
ratio () {  # ratio ROW RT
  local x=${VAL[$1.$2]:-} y=${VAL[$1.crun]:-}
  if [ -n "$x" ] && [ -n "$y" ]; then awk -v a="$x" -v b="$y" 'BEGIN { if (b == 0) print "-"; else printf "%.2f", a / b }'
  else printf -- '-'; fi
}
TABLE=$TMP/table.md
LW=4
for r in "${ROWS[@]}"; do [ ${#LABEL[$r]} -le $LW ] || LW=${#LABEL[$r]}; done
{
  printf "| %-${LW}s | %8s | %8s | %8s | %9s | %9s | %8s |\n" case brig crun runc brig/crun runc/crun floor
  printf '|%s|%s:|%s:|%s:|%s:|%s:|%s:|\n' "$(printf -- '-%.0s' $(seq $((LW + 2))))" --------- --------- --------- ---------- ---------- ---------
  for r in "${ROWS[@]}"; do
    b=$(cell "$r" brig) c=$(cell "$r" crun) u=$(cell "$r" runc) fl=$(cell "$r" floor)
    # cell runs in a subshell: recompute raw medians for the ratios
    for rt in brig crun runc; do
      f=$TMP/s/$r.$rt; VAL[$r.$rt]=""
      [ -z "${ST[$r.$rt]:-}" ] && [ -s "$f" ] && VAL[$r.$rt]=$(median "$f")
    done
    [ -n "${BIN[brig]:-}" ] || VAL[$r.brig]=""
    printf "| %-${LW}s | %8s | %8s | %8s | %9s | %9s | %8s |\n" "${LABEL[$r]}" "$b" "$c" "$u" \
      "$(ratio "$r" brig)" "$(ratio "$r" runc)" "$fl"
  done
} > "$TABLE"

ELAPSED=$(awk -v a="$START_TIME" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')
samples="run/idle/exec/rootless/seccomp: $((ROUNDS * BLOCK)) runs per cell ($ROUNDS interleaved rounds x $BLOCK), create/start/delete: $((SPLIT_ROUNDS * BLOCK)); seq: $SEQ_ROUNDS x $SEQ_N; parallel: $PAR_ROUNDS x $PAR_STREAMS x $PAR_N; rss: $RSS_REPS"
{
  echo "Medians; ms unless stated; ratios are runtime/crun (for containers/s, higher is better)."
  echo
  cat "$TABLE"
  echo
  echo "Mode: $MODE ($samples); total bench time ${ELAPSED} s; load average at start $LOAD_START, at end $(cut -d' ' -f1-3 /proc/loadavg)."
  [ -z "$BRIG_NOTE" ] || echo "- $BRIG_NOTE"
  for n in "${NOTES[@]}"; do echo "- $n"; done
} > "$TMP/report.md"
cat "$TMP/report.md"

if [ "$WRITE_DOCS" = 1 ]; then
  DOC=$TOP_DIR/docs/performance.md
  if ! grep -q '<!-- figures:begin -->' "$DOC" 2> /dev/null || ! grep -q '<!-- figures:end -->' "$DOC"; then
    echo "run.sh: no figures markers in $DOC" >&2; exit 1
  fi
  ver () { "$@" --version 2> /dev/null | head -n 1; }
  {
    echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') with \`bench/run.sh$([ "$QUICK" = 1 ] && echo ' --quick')$([ -n "$ONLY" ] && echo " --only $ONLY")\`."
    echo
    echo "- Kernel: $(uname -srm)"
    echo "- Machine: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM"
    echo "- OS: $(. /etc/os-release && echo "$PRETTY_NAME"); cgroups: $(bench_hybrid && echo 'hybrid (v1 controllers + cgroup2 at /sys/fs/cgroup/unified)' || stat -f -c %T /sys/fs/cgroup); /sys/kernel/rcu_expedited=$(cat /sys/kernel/rcu_expedited 2> /dev/null || echo '?')"
    echo "- Runtimes: ${BIN[brig]:+$(ver "${BIN[brig]}") (${BIN[brig]}), }$(ver "$CRUN"), $(ver "$RUNC"); $(hyperfine --version)"
    echo
    cat "$TMP/report.md"
  } > "$TMP/figures.md"
  awk -v f="$TMP/figures.md" '
    /<!-- figures:begin -->/ { print; while ((getline l < f) > 0) print l; skip = 1; next }
    /<!-- figures:end -->/ { skip = 0 }
    !skip { print }' "$DOC" > "$TMP/doc.new" && cat "$TMP/doc.new" > "$DOC"
  bench_log "figures written to $DOC"
fi
bench_log "done in ${ELAPSED} s"
