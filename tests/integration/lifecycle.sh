#!/bin/bash
# The container lifecycle through runc's command line: create, start, state,
# kill, delete, run, list, spec, --pid-file, --log, --help, --version, and
# parallel creates.  Every container is checked to leave nothing behind.
. "$(dirname "$0")/../lib.sh"
T_BUNDLE_JQ='del(.linux.resources)'   # no cgroup limits on this host

out_dir=$T_TMP/out
mkdir -p "$out_dir"
BIND_OUT="{\"destination\": \"/out\", \"type\": \"bind\", \"source\": \"$out_dir\", \"options\": [\"bind\"]}"
# bundle NAME SCRIPT: a bundle running `sh -c SCRIPT` with /out bind-mounted
bundle () {
  local b
  b=$(make_bundle "$1" sh -c "$2") && jq_edit "$b" ".mounts += [$BIND_OUT]" && echo "$b"
}
stopped () { status_is "$1" stopped; }
is_json () { jq -e . "$1" > /dev/null 2>&1; }

# --- create ------------------------------------------------------------
id="lc-$T_SFX"
b=$(bundle lc 'echo ran > /out/ran; exec sleep 1000')
jq_edit "$b" '.annotations = {"org.brig.test": "lifecycle", "k2": "v2"}'
# a relative --bundle: the state must still hold the absolute path
(cd "$T_TMP" && rt create --bundle lc --pid-file "$T_TMP/lc.pid" "$id" < /dev/null > "$T_TMP/$id.out" 2> "$T_TMP/$id.err"); rc=$?
expect_eq "create exits 0" 0 "$rc"
[ "$rc" -eq 0 ] || echo "# stderr: $(err_of "$id")"
st=$(state_of "$id")
expect_eq "state after create: status created" created "$(printf '%s' "$st" | jq -r .status)"
pid=$(printf '%s' "$st" | jq -r .pid)
expect_match "state after create: pid present" '^[1-9][0-9]*$' "$pid"
check "created container's process is alive" pid_alive "$pid"
sleep 0.2
check "created container has not run the user program" test ! -e "$out_dir/ran"
expect_eq "--pid-file holds the pid" "$pid" "$(cat "$T_TMP/lc.pid" 2>/dev/null)"
expect_eq "--pid-file has no trailing newline" "$(printf '%s' "$pid" | wc -c)" "$(wc -c < "$T_TMP/lc.pid" 2>/dev/null)"
expect_match "state: ociVersion" '^[0-9]+\.[0-9]+\.[0-9]+' "$(printf '%s' "$st" | jq -r .ociVersion)"
expect_eq "state: id" "$id" "$(printf '%s' "$st" | jq -r .id)"
expect_eq "state: bundle is absolute (created with a relative --bundle)" "$b" "$(printf '%s' "$st" | jq -r .bundle)"
expect_eq "state: rootfs" "$b/rootfs" "$(printf '%s' "$st" | jq -r .rootfs)"
expect_match "state: created is an RFC 3339 time" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$' "$(printf '%s' "$st" | jq -r .created)"
expect_eq "state: annotations as given" '{"k2":"v2","org.brig.test":"lifecycle"}' "$(printf '%s' "$st" | jq -cS .annotations)"
check "state dir exists under --root" test -d "$T_ROOT/$id"

# --- list --------------------------------------------------------------
lst=$(rt list 2>&1)
expect_match "list: table header" '^ID +PID +STATUS +BUNDLE +CREATED +OWNER *$' "$(printf '%s\n' "$lst" | head -n 1)"
expect_match "list: row with id, pid, status, bundle" "^$id +$pid +created +$b " "$(printf '%s\n' "$lst" | grep "^$id ")"
lj=$(rt list --format json 2>/dev/null)
expect_eq "list --format json: an array" array "$(printf '%s' "$lj" | jq -r type 2>/dev/null)"
expect_eq "list --format json: the container's status" created "$(printf '%s' "$lj" | jq -r ".[] | select(.id == \"$id\") | .status" 2>/dev/null)"
expect_eq "list --format json: the container's pid" "$pid" "$(printf '%s' "$lj" | jq -r ".[] | select(.id == \"$id\") | .pid" 2>/dev/null)"
expect_eq "list -q: ids only" "$id" "$(rt list -q 2>&1)"

# --- start -------------------------------------------------------------
rt start "$id" 2>> "$T_TMP/$id.err"; rc=$?
expect_eq "start exits 0" 0 "$rc"
check "after start the program ran" poll 5 test -e "$out_dir/ran"
expect_eq "state after start: running" running "$(status_of "$id")"
expect_eq "state after start: same pid" "$pid" "$(state_of "$id" .pid)"
rt start "$id" > /dev/null 2>&1; rc=$?
if [ "$rc" -ne 0 ]; then ok "start of a running container fails"; else not_ok "start of a running container fails (exit 0)"; fi
expect_eq "list -q while running" "$id" "$(rt list -q 2>&1)"

# --- kill by name, delete ---------------------------------------------
rt kill "$id" KILL; rc=$?
expect_eq "kill ID KILL exits 0" 0 "$rc"
check "killed container becomes stopped" poll 5 stopped "$id"
check "killed container's process is gone" poll 5 sh -c "! kill -0 $pid 2>/dev/null || grep -q '^State:.*Z' /proc/$pid/status"
rt kill "$id" KILL > /dev/null 2> "$T_TMP/kill-stopped.err"; rc=$?
if [ "$rc" -ne 0 ]; then ok "kill of a stopped container fails"; else not_ok "kill of a stopped container fails (exit 0)"; fi
expect_match "kill of a stopped container: 'container not running'" 'container not running' "$(cat "$T_TMP/kill-stopped.err")"
rt start "$id" > /dev/null 2>&1; rc=$?
if [ "$rc" -ne 0 ]; then ok "start of a stopped container fails"; else not_ok "start of a stopped container fails (exit 0)"; fi
rt delete "$id"; rc=$?
expect_eq "delete of a stopped container exits 0" 0 "$rc"
check "delete removes the state dir" test ! -e "$T_ROOT/$id"
rt state "$id" > /dev/null 2> "$T_TMP/state-missing.err"; rc=$?
if [ "$rc" -ne 0 ]; then ok "state of a deleted container fails"; else not_ok "state of a deleted container fails (exit 0)"; fi
expect_match "state of a missing container: 'does not exist' on stderr" 'does not exist' "$(cat "$T_TMP/state-missing.err")"
expect_eq "list -q after delete: empty" "" "$(rt list -q 2>&1)"
expect_eq "list --format json after delete: empty array" 0 "$(rt list --format json 2>/dev/null | jq length 2>/dev/null)"
check "lc leaves nothing" leaves_nothing "$id" "$b"

# --- kill by SIGKILL, by number, --all, and the default SIGTERM ---------
for sig in SIGKILL 9; do
  id="lc-sig$sig-$T_SFX"
  b=$(bundle "lc-sig$sig" 'exec sleep 1000')
  rt_create "$b" "$id" && rt start "$id"
  rt kill "$id" "$sig"; rc=$?
  expect_eq "kill ID $sig exits 0" 0 "$rc"
  check "kill $sig: container becomes stopped" poll 5 stopped "$id"
  rt delete "$id"
  check "lc-sig$sig leaves nothing" leaves_nothing "$id" "$b"
done
id="lc-all-$T_SFX"
b=$(bundle lc-all 'sleep 1000 & sleep 1000')
rt_create "$b" "$id" && rt start "$id"
rt kill --all "$id" KILL; rc=$?
expect_eq "kill --all ID KILL exits 0 (go-runc passes --all)" 0 "$rc"
check "kill --all: container becomes stopped" poll 5 stopped "$id"
rt delete "$id"
check "lc-all leaves nothing" leaves_nothing "$id" "$b"
id="lc-term-$T_SFX"
b=$(bundle lc-term 'trap "echo got-term > /out/term; exit 0" TERM; echo ready > /out/ready; while :; do sleep 0.05; done')
rt_create "$b" "$id" && rt start "$id"
poll 5 test -e "$out_dir/ready"
rt kill "$id"; rc=$?
expect_eq "kill ID (default signal) exits 0" 0 "$rc"
check "default signal is SIGTERM (the trap ran)" poll 5 test -e "$out_dir/term"
check "kill TERM: container becomes stopped" poll 5 stopped "$id"
rt delete "$id"
check "lc-term leaves nothing" leaves_nothing "$id" "$b"

# --- the process exits by itself / is killed behind the runtime's back --
id="lc-exit-$T_SFX"
b=$(bundle lc-exit 'sleep 0.2')
rt_create "$b" "$id" && rt start "$id"
check "a process that exits makes the status stopped (nobody told the runtime)" poll 5 stopped "$id"
rt delete "$id"
check "lc-exit leaves nothing" leaves_nothing "$id" "$b"
id="lc-hostkill-$T_SFX"
b=$(bundle lc-hostkill 'exec sleep 1000')
rt_create "$b" "$id" && rt start "$id"
p=$(state_of "$id" .pid)
[ -n "$p" ] && [ "$p" != 0 ] && kill -9 "$p"
check "a process killed from the host makes the status stopped" poll 5 stopped "$id"
rt delete "$id"
check "lc-hostkill leaves nothing" leaves_nothing "$id" "$b"

# --- delete --force of a running container ------------------------------
id="lc-force-$T_SFX"
b=$(bundle lc-force 'exec sleep 1000')
rt_create "$b" "$id" && rt start "$id"
p=$(state_of "$id" .pid)
rt delete "$id" > /dev/null 2>&1; rc=$?
if [ "$rc" -ne 0 ]; then ok "delete of a running container without --force fails"; else not_ok "delete of a running container without --force fails (exit 0)"; fi
rt delete --force "$id"; rc=$?
expect_eq "delete --force of a running container exits 0" 0 "$rc"
check "delete --force: the process is gone" poll 5 sh -c "! kill -0 $p 2>/dev/null || grep -q '^State:.*Z' /proc/$p/status"
check "delete --force: state dir gone" test ! -e "$T_ROOT/$id"
check "lc-force leaves nothing" leaves_nothing "$id" "$b"
id="lc-forceshort-$T_SFX"
b=$(bundle lc-forceshort 'exec sleep 1000')
rt_create "$b" "$id" && rt start "$id"
rt delete -f "$id"; rc=$?
expect_eq "delete -f exits 0" 0 "$rc"
check "lc-forceshort leaves nothing" leaves_nothing "$id" "$b"

# --- a created container that is never started --------------------------
rm -f "$out_dir/ran2"
id="lc-never-$T_SFX"
b=$(bundle lc-never 'echo ran > /out/ran2; exec sleep 1000')
rt_create "$b" "$id"
p=$(state_of "$id" .pid)
# the waiting init needs none of brig's code: it gives those pages back
# (they stay in the page cache); a setup maps about 1 MiB of them
brig_only "a created container's init maps at most 320 KiB of the runtime's image" &&
  check_parked "a created container's init maps at most 320 KiB of the runtime's image" "$p"
rt delete "$id"; rc=$?
expect_eq "delete of a created, never started container exits 0" 0 "$rc"
check "never started: the process is gone" poll 5 sh -c "! kill -0 $p 2>/dev/null || grep -q '^State:.*Z' /proc/$p/status"
check "never started: the program never ran" test ! -e "$out_dir/ran2"
check "lc-never leaves nothing" leaves_nothing "$id" "$b"

# --- run ---------------------------------------------------------------
id="lc-run-$T_SFX"
b=$(bundle lc-run 'echo hello-from-run; exit 3')
o=$(run_ctr "$b" "$id"); rc=$?
expect_eq "run: the exit status is the container's (exit 3)" 3 "$rc"
expect_eq "run: the container's stdout" hello-from-run "$o"
check "run: the container is gone afterwards" test ! -e "$T_ROOT/$id"
check "lc-run leaves nothing" leaves_nothing "$id" "$b"
id="lc-run0-$T_SFX"
b=$(bundle lc-run0 'true')
run_ctr "$b" "$id" > /dev/null; rc=$?
expect_eq "run: exit 0" 0 "$rc"
id="lc-runkill-$T_SFX"
b=$(bundle lc-runkill 'exec sleep 1000')
rt run --bundle "$b" "$id" < /dev/null > /dev/null 2>&1 &
runpid=$!
poll 10 status_is "$id" running
rt kill "$id" KILL
wait "$runpid"; rc=$?
expect_eq "run: killed by SIGKILL -> 128+9" 137 "$rc"
check "lc-runkill leaves nothing" leaves_nothing "$id" "$b"
# SIGTERM kills a process that is not a pid-namespace init (pid 1 ignores
# signals it has no handler for): a container in the host pid namespace.
id="lc-runterm-$T_SFX"
b=$(bundle lc-runterm 'exec sleep 1000')
jq_edit "$b" '.linux.namespaces = [.linux.namespaces[] | select(.type != "pid")]'
rt run --bundle "$b" "$id" < /dev/null > /dev/null 2>&1 &
runpid=$!
poll 10 status_is "$id" running
rt kill "$id" TERM
wait "$runpid"; rc=$?
expect_eq "run: killed by SIGTERM -> 128+15" 143 "$rc"
check "lc-runterm leaves nothing" leaves_nothing "$id" "$b"

# --- run --detach ------------------------------------------------------
id="lc-detach-$T_SFX"
b=$(bundle lc-detach 'echo ran > /out/detach; exec sleep 1000')
t0=$(date +%s)
rt run --detach --bundle "$b" "$id" < /dev/null > /dev/null 2>&1; rc=$?
expect_eq "run --detach exits 0" 0 "$rc"
if [ $(( $(date +%s) - t0 )) -lt 10 ]; then ok "run --detach returns while the container runs"; else not_ok "run --detach returns while the container runs"; fi
expect_eq "run --detach: status running" running "$(status_of "$id")"
check "run --detach: the program ran" poll 5 test -e "$out_dir/detach"
rt delete --force "$id"
check "lc-detach leaves nothing" leaves_nothing "$id" "$b"
id="lc-d-$T_SFX"
b=$(bundle lc-d 'exec sleep 1000')
rt run -d --bundle "$b" "$id" < /dev/null > /dev/null 2>&1; rc=$?
expect_eq "run -d exits 0" 0 "$rc"
expect_eq "run -d: status running" running "$(status_of "$id")"
rt delete -f "$id"
check "lc-d leaves nothing" leaves_nothing "$id" "$b"

# --- --log / --log-format json -----------------------------------------
rt --log "$T_TMP/log.json" --log-format json state "lc-missing-$T_SFX" > /dev/null 2>&1; rc=$?
if [ "$rc" -ne 0 ]; then ok "--log --log-format json: state of a missing container fails"; else not_ok "--log --log-format json: state of a missing container fails (exit 0)"; fi
last=$(grep '"level" *: *"error"' "$T_TMP/log.json" 2>/dev/null | tail -n 1)
expect_eq "--log-format json: the error is a JSON line with level error" error "$(printf '%s' "$last" | jq -r .level 2>/dev/null)"
expect_match "--log-format json: msg says 'does not exist'" 'does not exist' "$(printf '%s' "$last" | jq -r .msg 2>/dev/null)"
expect_match "--log-format json: time present" '^[0-9]{4}-' "$(printf '%s' "$last" | jq -r .time 2>/dev/null)"

# --- spec --------------------------------------------------------------
sd=$T_TMP/specdir
mkdir -p "$sd"
(cd "$sd" && rt spec); rc=$?
expect_eq "spec exits 0" 0 "$rc"
c=$sd/config.json
check "spec writes valid JSON" is_json "$c"
expect_match "spec: ociVersion" '^1\.[0-9]+\.[0-9]+' "$(jq -r .ociVersion "$c" 2>/dev/null)"
expect_eq "spec: process.args" '["sh"]' "$(jq -c .process.args "$c" 2>/dev/null)"
expect_eq "spec: process.terminal true" true "$(jq -r .process.terminal "$c" 2>/dev/null)"
expect_eq "spec: process.cwd /" / "$(jq -r .process.cwd "$c" 2>/dev/null)"
expect_eq "spec: user 0:0" "0 0" "$(jq -r '"\(.process.user.uid) \(.process.user.gid)"' "$c" 2>/dev/null)"
expect_eq "spec: root rootfs, readonly" "rootfs true" "$(jq -r '"\(.root.path) \(.root.readonly)"' "$c" 2>/dev/null)"
# runc 1.2+ adds the cgroup namespace to its default; 1.1 does not
expect_eq "spec: namespaces pid network ipc uts mount (and cgroup)" "ipc mount network pid uts" "$(jq -r '[.linux.namespaces[].type | select(. != "cgroup")] | sort | join(" ")' "$c" 2>/dev/null)"
expect_eq "spec: noNewPrivileges true" true "$(jq -r .process.noNewPrivileges "$c" 2>/dev/null)"
expect_eq "spec: capabilities (bounding)" '["CAP_AUDIT_WRITE","CAP_KILL","CAP_NET_BIND_SERVICE"]' "$(jq -c '.process.capabilities.bounding | sort' "$c" 2>/dev/null)"
expect_eq "spec: no inheritable capabilities" null "$(jq -c '.process.capabilities.inheritable' "$c" 2>/dev/null)"
expect_eq "spec: RLIMIT_NOFILE 1024" "1024 1024" "$(jq -r '.process.rlimits[] | select(.type == "RLIMIT_NOFILE") | "\(.soft) \(.hard)"' "$c" 2>/dev/null)"
expect_eq "spec: mounts" "/dev /dev/mqueue /dev/pts /dev/shm /proc /sys /sys/fs/cgroup" "$(jq -r '[.mounts[].destination] | sort | join(" ")' "$c" 2>/dev/null)"
expect_eq "spec: maskedPaths include /proc/kcore and /sys/firmware" "2" "$(jq '[.linux.maskedPaths[] | select(. == "/proc/kcore" or . == "/sys/firmware")] | length' "$c" 2>/dev/null)"
expect_eq "spec: readonlyPaths include /proc/sys and /proc/sysrq-trigger" "2" "$(jq '[.linux.readonlyPaths[] | select(. == "/proc/sys" or . == "/proc/sysrq-trigger")] | length' "$c" 2>/dev/null)"
expect_match "spec: hostname" '.' "$(jq -r '.hostname // empty' "$c" 2>/dev/null)"
(cd "$sd" && rt spec > /dev/null 2>&1); rc=$?
if [ "$rc" -ne 0 ]; then ok "spec refuses to overwrite an existing config.json"; else not_ok "spec refuses to overwrite an existing config.json (exit 0)"; fi
mkdir -p "$T_TMP/specb"
rt spec -b "$T_TMP/specb"; rc=$?
expect_eq "spec -b DIR exits 0" 0 "$rc"
check "spec -b DIR writes DIR/config.json" is_json "$T_TMP/specb/config.json"
mkdir -p "$T_TMP/specrl"
(cd "$T_TMP/specrl" && rt spec --rootless); rc=$?
expect_eq "spec --rootless exits 0" 0 "$rc"
c=$T_TMP/specrl/config.json
expect_eq "spec --rootless: a user namespace" user "$(jq -r '.linux.namespaces[] | select(.type == "user") | .type' "$c" 2>/dev/null)"
expect_eq "spec --rootless: uidMappings map 0 to the caller" "0 $(id -u) 1" "$(jq -r '.linux.uidMappings[0] | "\(.containerID) \(.hostID) \(.size)"' "$c" 2>/dev/null)"
expect_eq "spec --rootless: gidMappings map 0 to the caller" "0 $(id -g) 1" "$(jq -r '.linux.gidMappings[0] | "\(.containerID) \(.hostID) \(.size)"' "$c" 2>/dev/null)"
expect_eq "spec --rootless: no network namespace" "" "$(jq -r '.linux.namespaces[] | select(.type == "network") | .type' "$c" 2>/dev/null)"

# --- --help, --version -------------------------------------------------
rt --help > "$T_TMP/help.out" 2>&1; rc=$?
expect_eq "--help exits 0" 0 "$rc"
expect_match "--help lists the commands" 'create' "$(cat "$T_TMP/help.out")"
rt --version > "$T_TMP/version.out" 2>&1; rc=$?
expect_eq "--version exits 0" 0 "$rc"
expect_match "--version: first line '<name> version X'" '^[a-z]+ version [0-9]' "$(head -n 1 "$T_TMP/version.out")"
expect_match "--version: a spec: line" '^spec: [0-9]' "$(grep '^spec:' "$T_TMP/version.out")"
rt create --help > /dev/null 2>&1; rc=$?
expect_eq "create --help exits 0" 0 "$rc"

# --- concurrency: 10 creates and deletes in parallel --------------------
b=$(make_bundle lc-par sleep 1000)
pids=()
for i in $(seq 1 10); do
  rt_create "$b" "lc-par$i-$T_SFX" & pids+=($!)
done
fails=0 i=0
for p in "${pids[@]}"; do
  i=$((i + 1))
  wait "$p" || { fails=$((fails + 1)); echo "# lc-par$i create: $(err_of "lc-par$i-$T_SFX" | head -n 3)"; }
done
expect_eq "10 parallel creates all succeed" 0 "$fails"
n=0
for i in $(seq 1 10); do [ "$(status_of "lc-par$i-$T_SFX")" = created ] && n=$((n + 1)); done
expect_eq "10 parallel creates: all created" 10 "$n"
expect_eq "10 parallel creates: list shows 10" 10 "$(rt list -q 2>/dev/null | grep -c "^lc-par[0-9]*-$T_SFX$")"
pids=()
for i in $(seq 1 10); do
  if [ $((i % 2)) -eq 0 ]; then rt start "lc-par$i-$T_SFX" 2>/dev/null; fi
done
for i in $(seq 1 10); do
  rt delete --force "lc-par$i-$T_SFX" & pids+=($!)
done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
expect_eq "10 parallel deletes all succeed" 0 "$fails"
left=
for i in $(seq 1 10); do left=$left$(leaves_nothing "lc-par$i-$T_SFX" "$b" || echo " lc-par$i"); done
expect_eq "10 parallel containers leave nothing" "" "$left"
check "the --root is empty at the end" root_is_empty

t_done
