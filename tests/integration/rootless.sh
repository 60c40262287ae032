#!/bin/bash
# Rootless containers (issue 4).  Run as root: the script makes its own
# unprivileged users (unique names, uids no process uses, subordinate
# ranges above every range the host lists, a 0700 XDG_RUNTIME_DIR each) and
# runs the runtime as them.  Covered: single-id and multi-range (podman's
# 0 -> user, 1..65536 -> subuids) bundles, the uid seen from inside and from
# the host, setgroups, devices, bind mounts and file ownership, the mount
# fallbacks of a user namespace, create/start/exec/kill/delete/state/list/ps,
# two users with the same container id, errors (no subuid entry, no
# newuidmap, mappings outside the range, no user namespace, no
# XDG_RUNTIME_DIR) leaving nothing behind, `brig check`, and id-mapped
# mounts as root and as a user.  At exit, pass or fail, the users, their
# files, subuid/subgid lines, processes and containers are removed.
. "$(dirname "$0")/../lib.sh"

if [ "$(id -u)" -ne 0 ]; then skip "rootless tests" "must run as root (they create users)"; t_done; fi
for tool in useradd userdel groupadd usermod setpriv newuidmap newgidmap; do
  command -v "$tool" > /dev/null 2>&1 || { skip "rootless tests" "$tool not installed"; t_done; }
done
if [ "$(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo 0)" -eq 0 ]; then
  skip "rootless tests" "user namespaces are disabled (user.max_user_namespaces=0)"; t_done
fi

# the runtime keeps a user's state in $XDG_RUNTIME_DIR/<name> (runc: runc)
RT_DIR=brig
is_runc && RT_DIR=runc
# the users reach their bundles through T_TMP; the runtime is copied there
# (a rebuild while the test runs must not pull it away from under them)
chmod 0711 "$T_TMP"
if is_brig; then
  cp "$RUNTIME" "$T_TMP/brig" && chmod 0755 "$T_TMP/brig" && RUNTIME=$T_TMP/brig
fi

# ---- users ------------------------------------------------------------
declare -A U_UID U_SUB U_XDG
# a uid/gid no account, group or process uses (leaked processes of a
# deleted account keep its uid; a new account must not inherit them)
used_ids=" $(ps -eo uid=,gid= | tr -s ' \n' '  ') $(cut -d: -f3 /etc/passwd | tr '\n' ' ') $(cut -d: -f3 /etc/group | tr '\n' ' ') "
pick_id () {
  local id=$(( 61000 + (RANDOM % 3000) )) n
  for (( n = 0; n < 4000; n++, id++ )); do
    [ "$id" -gt 64999 ] && id=61000
    case $used_ids in *" $id "*) continue ;; esac
    used_ids="$used_ids$id "
    echo "$id"; return 0
  done
  return 1
}
# subordinate ranges above every range listed (so no one else's ids)
sub_next=$(awk -F: 'NF >= 3 && $2 + $3 > m { m = $2 + $3 } END { print m + 0 }' /etc/subuid /etc/subgid 2>/dev/null)
sub_next=$(( (sub_next > 1000000 ? sub_next : 1000000) + 65536 ))
sub_next=$(( sub_next / 65536 * 65536 + 65536 ))

# rm_user NAME: everything of the user goes, whatever state the test left
rm_user () {
  local u=$1 uid=${U_UID[$1]} sub=${U_SUB[$1]:-0} d p pids i
  if [ -d "${U_XDG[$u]}/$RT_DIR" ]; then
    for d in "${U_XDG[$u]}"/brig/*/; do
      [ -d "$d" ] && urt "$u" delete -f "$(basename "$d")" > /dev/null 2>&1
    done
  fi
  # every process of the uid or of its subordinate range (both unused
  # before this test made them)
  for i in 1 2 3 4 5 6 7 8 9 10; do
    pids=$(awk -v lo="$uid" -v slo="$sub" '/^Uid:/ { if ($2 == lo || (slo > 0 && $2 >= slo && $2 < slo + 65536)) { split(FILENAME, a, "/"); print a[3] } nextfile }' /proc/[0-9]*/status 2>/dev/null)
    [ -z "$pids" ] && break
    for p in $pids; do kill -9 "$p" 2>/dev/null; done
    sleep 0.1
  done
  userdel -f "$u" > /dev/null 2>&1
  groupdel "$u" > /dev/null 2>&1
  # userdel drops the subordinate ranges; a failed userdel must not leave them
  for f in /etc/subuid /etc/subgid; do
    grep -q "^$u:" "$f" 2>/dev/null && sed -i "/^$u:/d" "$f"
  done
  rm -rf --one-file-system "$T_TMP/$u" "$T_TMP/$u"-* 2>/dev/null
}
# mk_user NAME [subids]: an account with its own group, a home and a 0700
# XDG_RUNTIME_DIR under T_TMP, and with "subids" a range of 65536 in
# /etc/subuid and /etc/subgid
mk_user () {
  local u=$1 id
  id=$(pick_id) || return 1
  U_UID[$u]=$id
  U_XDG[$u]=$T_TMP/$u/xdg
  on_exit rm_user "$u"
  groupadd -g "$id" "$u" || return 1
  useradd -M -N -u "$id" -g "$id" -d "$T_TMP/$u" -s /bin/sh -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$u" 2> "$T_TMP/useradd.err" || { cat "$T_TMP/useradd.err" >&2; return 1; }
  if [ "${2:-}" = subids ]; then
    U_SUB[$u]=$sub_next
    sub_next=$(( sub_next + 65536 ))
    usermod --add-subuids "${U_SUB[$u]}-$(( U_SUB[$u] + 65535 ))" \
            --add-subgids "${U_SUB[$u]}-$(( U_SUB[$u] + 65535 ))" "$u" || return 1
  fi
  mkdir -p "${U_XDG[$u]}"
  chown -R "$id:$id" "$T_TMP/$u"
  chmod 0700 "${U_XDG[$u]}"
}

# as_user NAME CMD...: CMD as the user, in a clean environment.  U_PATH and
# U_ENV (extra VAR=value words, e.g. XDG_RUNTIME_DIR=) change it.
as_user () {
  local u=$1; shift
  local envs=(PATH="${U_PATH:-/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin}" HOME="$T_TMP/$u"
              XDG_RUNTIME_DIR="${U_XDG[$u]}")
  # shellcheck disable=SC2206
  [ -n "${U_ENV:-}" ] && envs+=($U_ENV)
  setpriv --reuid="${U_UID[$u]}" --regid="${U_UID[$u]}" --init-groups env -i "${envs[@]}" "$@"
}
# urt NAME ARGS...: the runtime as the user (state in its XDG_RUNTIME_DIR)
urt () { local u=$1; shift; as_user "$u" "$RUNTIME" "$@"; }
# urt_create NAME BUNDLE ID: create with stdio on files ($T_TMP/NAME-ID.*)
urt_create () { urt "$1" create --bundle "$2" "$3" < /dev/null > "$T_TMP/$1-$3.out" 2> "$T_TMP/$1-$3.err"; }
ustate () { urt "$1" state "$2" 2>/dev/null | jq -r "${3:-.}"; }
ustatus_is () { [ "$(ustate "$1" "$2" .status)" = "$3" ]; }

# ubundle NAME BUNDLE ARGS...: a bundle of `spec --rootless` written by the
# user, rootfs owned by the user, running ARGS
ubundle () {
  local u=$1 name=$2 b args; shift 2
  b=$(make_bundle "$u-$name" true) || return 1
  rm -f "$b/config.json"
  chown -R "${U_UID[$u]}:${U_UID[$u]}" "$b"
  as_user "$u" "$RUNTIME" spec --rootless --bundle "$b" || return 1
  args=$(jq -nc '$ARGS.positional' --args -- "$@")
  jq_edit "$b" ".process.args = $args | .process.terminal = false"
  echo "$b"
}
# multi_range BUNDLE USER: podman's mapping, 0 -> the user, 1..65536 -> its subids
multi_range () {
  local m="[{\"containerID\": 0, \"hostID\": ${U_UID[$2]}, \"size\": 1}, {\"containerID\": 1, \"hostID\": ${U_SUB[$2]}, \"size\": 65536}]"
  jq_edit "$1" ".linux.uidMappings = $m | .linux.gidMappings = $m"
}
add_caps () {
  jq_edit "$1" "$(printf '.process.capabilities.bounding += ["%s"] | .process.capabilities.effective += ["%s"] | .process.capabilities.permitted += ["%s"]' "$2" "$2" "$2")"
}

# uleftovers NAME ID BUNDLE: what a failed create could leave: the state dir,
# a host mount under the bundle, a process rooted in the bundle's rootfs, a
# process of the user
uleftovers () {
  local u=$1 id=$2 b=$3 r
  [ -e "${U_XDG[$u]}/$RT_DIR/$id" ] && echo "state dir ${U_XDG[$u]}/$RT_DIR/$id"
  awk -v b="$b" '$5 == b || index($5, b "/") == 1 { print "mount " $5 }' /proc/self/mountinfo
  r=$(stat -c %d:%i "$b/rootfs" 2>/dev/null)
  [ -n "$r" ] && stat -L -c '%n %d:%i' /proc/[0-9]*/root 2>/dev/null | awk -v r="$r" '$2 == r { print "process " $1 }'
  awk -v lo="${U_UID[$u]}" '/^Uid:/ { if ($2 == lo) print "process of the user " FILENAME; nextfile }' /proc/[0-9]*/status 2>/dev/null
  return 0
}
uleaves_nothing () {
  local l n=50
  while :; do
    l=$(uleftovers "$@"); [ -z "$l" ] && return 0
    n=$((n - 1)); [ "$n" -gt 0 ] || break; sleep 0.05
  done
  printf '%s\n' "$l" | sed 's/^/# left: /'; return 1
}
# expect_refused_u WHAT NAME ID BUNDLE RC ERR REGEX: failed, said why, left nothing
expect_refused_u () {
  local what=$1 u=$2 id=$3 b=$4 rc=$5 err=$6 re=$7
  if [ "$rc" -ne 0 ]; then ok "$what: refused"; else not_ok "$what: refused (exit 0)"; fi
  brig_only "$what: message" && expect_match "$what: message" "$re" "$err"
  check "$what: leaves nothing" uleaves_nothing "$u" "$id" "$b"
}

mk_user "brl${T_SFX}a" subids || { not_ok "create test user a"; t_done; }
mk_user "brl${T_SFX}b" subids || { not_ok "create test user b"; t_done; }
mk_user "brl${T_SFX}c" || { not_ok "create test user c"; t_done; }
A=brl${T_SFX}a B=brl${T_SFX}b C=brl${T_SFX}c
UA=${U_UID[$A]} UB=${U_UID[$B]} SA=${U_SUB[$A]}
ok "test users $A ($UA, subids $SA+), $B ($UB), $C (no subids)"

# ---- spec --rootless, single id ---------------------------------------
b1=$(ubundle "$A" single sh -c 'id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; grep "^Uid:" /proc/1/status')
cfg=$b1/config.json
expect_eq "spec --rootless: uidMappings map 0 to the user" "0 $UA 1" "$(jq -r '.linux.uidMappings[0] | "\(.containerID) \(.hostID) \(.size)"' "$cfg")"
expect_eq "spec --rootless: no network namespace" "" "$(jq -r '.linux.namespaces[] | select(.type == "network") | .type' "$cfg")"
expect_eq "spec --rootless: a user namespace" user "$(jq -r '.linux.namespaces[] | select(.type == "user") | .type' "$cfg")"
expect_eq "spec --rootless: /sys is an rbind" "none rbind" "$(jq -r '.mounts[] | select(.destination == "/sys") | "\(.type) \(.options[0])"' "$cfg")"
expect_eq "spec --rootless: no uid=/gid= mount options" "" "$(jq -r '.mounts[].options[]? | select(startswith("gid=") or startswith("uid="))' "$cfg")"
expect_eq "spec --rootless: no resources" null "$(jq -c '.linux.resources' "$cfg")"
b1sp=$T_TMP/$A/nox; mkdir -p "$b1sp"; chown "$UA" "$b1sp"
U_ENV="XDG_RUNTIME_DIR=" as_user "$A" "$RUNTIME" spec --rootless --bundle "$b1sp" 2> "$T_TMP/spec-noxdg.err"; rc=$?
brig_only "spec --rootless works without XDG_RUNTIME_DIR" && expect_eq "spec --rootless works without XDG_RUNTIME_DIR" 0 "$rc"

id=single-$T_SFX
out=$(urt "$A" run --bundle "$b1" "$id" 2> "$T_TMP/single.err" < /dev/null); rc=$?
expect_eq "single-id: run as the user exits 0" 0 "$rc"
[ "$rc" -eq 0 ] || sed 's/^/# stderr: /' "$T_TMP/single.err"
expect_eq "single-id: uid 0 inside" 0 "$(printf '%s\n' "$out" | sed -n 1p)"
expect_eq "single-id: gid 0 inside" 0 "$(printf '%s\n' "$out" | sed -n 2p)"
expect_eq "single-id: uid_map inside is 0 -> user" "0 $UA 1" "$(printf '%s\n' "$out" | sed -n 3p | tr -s ' ' | sed 's/^ //')"
expect_eq "single-id: gid_map inside is 0 -> user's group" "0 $UA 1" "$(printf '%s\n' "$out" | sed -n 4p | tr -s ' ' | sed 's/^ //')"
expect_eq "single-id: setgroups denied (gid_map written directly)" deny "$(printf '%s\n' "$out" | sed -n 5p)"
expect_match "single-id: /proc/1/status inside says uid 0" '^Uid:\s+0\s+0\s+0\s+0$' "$(printf '%s\n' "$out" | sed -n 6p)"
check "single-id: run removed its state" test ! -e "${U_XDG[$A]}/$RT_DIR/$id"
# (runc adds the sticky bit: 1700)
st_mode=$(stat -c '%a %u' "${U_XDG[$A]}/$RT_DIR" 2>/dev/null)
expect_match "state root is \$XDG_RUNTIME_DIR/$RT_DIR, 0700, the user's" "^1?700 $UA\$" "$st_mode"

# ---- lifecycle as the user: create/start/state/list/ps/exec/kill/delete --
blc=$(ubundle "$A" life sh -c 'echo started > /tmp/started; exec sleep 1000')
multi_range "$blc" "$A"
jq_edit "$blc" ".root.readonly = false"
id=life-$T_SFX
urt_create "$A" "$blc" "$id"; rc=$?
expect_eq "create as the user exits 0" 0 "$rc"
[ "$rc" -eq 0 ] || sed 's/^/# stderr: /' "$T_TMP/$A-$id.err"
expect_eq "state after create: created" created "$(ustate "$A" "$id" .status)"
pid=$(ustate "$A" "$id" .pid)
expect_match "state: a pid" '^[1-9][0-9]*$' "$pid"
# the runtime here is root's, 0755: nothing of a user's container can write
# it, so there is no copy (the memfd cases are below)
brig_only "binary protection as a user: no copy of a root-owned binary" &&
  expect_eq "binary protection as a user: the waiting init runs from the root-owned binary itself" "$RUNTIME" "$(readlink "/proc/$pid/exe")"
brig_only "as a user: the waiting init maps at most 320 KiB of the runtime's image" &&
  check_parked "as a user: the waiting init maps at most 320 KiB of the runtime's image" "$pid"
brig_only "state dir is 0700 and the user's" && check "state dir is 0700 and the user's" test "$(stat -c '%a %u' "${U_XDG[$A]}/$RT_DIR/$id" 2>/dev/null)" = "700 $UA"
urt "$A" start "$id"; rc=$?
expect_eq "start as the user exits 0" 0 "$rc"
check "started: the program ran" poll 5 test -e "$blc/rootfs/tmp/started"
expect_eq "state after start: running" running "$(ustate "$A" "$id" .status)"
expect_eq "list: the container, owned by the user" "$id running $A" "$(urt "$A" list --format json | jq -r ".[] | select(.id == \"$id\") | \"\(.id) \(.status) \(.owner)\"")"
expect_eq "list -q" "$id" "$(urt "$A" list -q)"
# the uid from both sides
expect_match "host: /proc/PID/status of the init shows the user's uid" "^Uid:\s+$UA\s+$UA\s+$UA\s+$UA$" "$(grep '^Uid:' "/proc/$pid/status")"
expect_eq "host: /proc/PID/uid_map shows both ranges" "0 $UA 1,1 $SA 65536" "$(tr -s ' ' < "/proc/$pid/uid_map" | sed 's/^ //' | paste -sd,)"
expect_eq "inside: uid_map shows both ranges" "0 $UA 1,1 $SA 65536" "$(urt "$A" exec "$id" cat /proc/self/uid_map | tr -s ' ' | sed 's/^ //' | paste -sd,)"
expect_eq "inside: exec runs as uid 0" 0 "$(urt "$A" exec "$id" id -u)"
expect_eq "inside: exec is in the container's pid namespace" "$(readlink "/proc/$pid/ns/pid")" "$(urt "$A" exec "$id" sh -c 'readlink /proc/self/ns/pid')"
expect_eq "multi-range: setgroups allowed (newgidmap)" allow "$(urt "$A" exec "$id" cat /proc/self/setgroups)"
urt "$A" exec "$id" sh -c 'exit 7'; rc=$?
expect_eq "exec: the process's exit status" 7 "$rc"
urt "$A" exec -d --user 1000:1000 "$id" sleep 1000; rc=$?
expect_eq "exec -d --user 1000 as the user exits 0" 0 "$rc"
# without a cgroup (none is delegated here), runc's ps fails; brig's lists
# the init's pid namespace
if brig_only "ps without a cgroup" "runc needs the container's cgroup"; then
  ps_json=$(urt "$A" ps --format json "$id" 2>/dev/null)
  expect_eq "ps --format json: init and the exec'd process" 2 "$(printf '%s' "$ps_json" | jq 'length' 2>/dev/null)"
  sub_pid=$(printf '%s' "$ps_json" | jq -r ".[] | select(. != $pid)" 2>/dev/null)
  expect_match "host: container uid 1000 is subordinate id $((SA + 999))" "^Uid:\s+$((SA + 999))\s" "$(grep '^Uid:' "/proc/$sub_pid/status" 2>/dev/null)"
  expect_match "ps (table) lists the container's processes" "sleep 1000" "$(urt "$A" ps "$id" 2>&1)"
fi
urt "$A" kill "$id" KILL; rc=$?
expect_eq "kill as the user exits 0" 0 "$rc"
check "killed: stopped" poll 10 ustatus_is "$A" "$id" stopped
urt "$A" delete "$id"; rc=$?
expect_eq "delete as the user exits 0" 0 "$rc"
check "deleted: state dir gone" test ! -e "${U_XDG[$A]}/$RT_DIR/$id"
urt "$A" state "$id" > /dev/null 2> "$T_TMP/st.err"
expect_match "state after delete: does not exist" 'does not exist' "$(cat "$T_TMP/st.err")"

# ---- the runtime's binary as a user (CVE-2019-5736) ---------------------
# A user's container runs as the user and its subordinate ids: it can write
# the runtime's binary only if the user can.  A root-owned 0755 binary is
# run as it is; any other gets the sealed memfd copy.
if brig_only "binary protection as a user"; then
  bx=$(ubundle "$A" exe sh -c 'printf PWNED 2>&1 1<> /rt; id -u')
  multi_range "$bx" "$A"
  jq_edit "$bx" ".mounts += [{\"destination\": \"/rt\", \"type\": \"bind\", \"source\": \"$RUNTIME\", \"options\": [\"bind\", \"rw\"]}]"
  sum=$(sha256sum < "$RUNTIME")
  out=$(urt "$A" run --bundle "$bx" "exe-$T_SFX" 2>&1 < /dev/null)
  expect_match "binary protection as a user: container root (CAP_DAC_OVERRIDE) cannot write the root-owned binary" 'Permission denied' "$out"
  expect_eq "binary protection as a user: the root-owned binary unchanged" "$sum" "$(sha256sum < "$RUNTIME")"
  # the control: the same container writes a copy the user owns
  ctl=$T_TMP/$A/brig-ctl; cp "$RUNTIME" "$ctl"; chown "$UA:$UA" "$ctl"
  jq_edit "$bx" "(.mounts[] | select(.destination == \"/rt\") | .source) = \"$ctl\""
  urt "$A" run --bundle "$bx" "exe-$T_SFX" > /dev/null 2>&1 < /dev/null
  expect_eq "binary protection as a user: control: the container writes a binary the user owns" PWNED "$(head -c 5 "$ctl")"
  rm -f "$ctl"
  # exe_of BIN [ENV]: which image the waiting init of a user's create runs from
  exe_of () {
    local id=exe2-$T_SFX e
    U_ENV=${2:-} as_user "$A" "$1" create --bundle "$blc" "$id" < /dev/null > /dev/null 2>&1 || { echo "create failed"; return; }
    e=$(readlink "/proc/$(ustate "$A" "$id" .pid)/exe")
    echo "$e"
    urt "$A" delete -f "$id" > /dev/null 2>&1
  }
  own=$T_TMP/$A/brig-own; cp "$RUNTIME" "$own"; chown "$UA:$UA" "$own"; chmod 0755 "$own"
  expect_eq "binary protection as a user: a binary the user owns: the sealed memfd" "/memfd:brig (deleted)" "$(exe_of "$own")"
  gw=$T_TMP/brig-gw; cp "$RUNTIME" "$gw"; chmod 0775 "$gw"
  expect_eq "binary protection as a user: a group-writable root-owned binary: the sealed memfd" "/memfd:brig (deleted)" "$(exe_of "$gw")"
  expect_eq "binary protection as a user: BRIG_FORCE_EXE_COPY=1: the sealed memfd" "/memfd:brig (deleted)" "$(exe_of "$RUNTIME" BRIG_FORCE_EXE_COPY=1)"
  # the memfd: parked with little mapped; sealed against root on the host
  id=exe3-$T_SFX
  if as_user "$A" "$own" create --bundle "$blc" "$id" < /dev/null > /dev/null 2>&1; then
    p=$(ustate "$A" "$id" .pid)
    check_parked "binary protection as a user: the memfd init maps at most 320 KiB of its image" "$p"
    exec {img}< "/proc/$p/exe"
    urt "$A" delete -f "$id" > /dev/null 2>&1
    res=$(printf PWNED | dd of="/proc/self/fd/$img" conv=notrunc status=none 2>&1) && res="written: $res"
    exec {img}<&-
    expect_match "binary protection as a user: root cannot write the memfd image once the init is gone" 'Operation not permitted' "$res"
  else
    not_ok "binary protection as a user: create with a user-owned binary failed"
  fi
  rm -f "$gw"
fi

# ---- devices ------------------------------------------------------------
bdev=$(ubundle "$A" dev sh -c 'echo x > /dev/null && head -c 4 /dev/zero | wc -c; stat -c "%t:%T %F" /dev/null /dev/fuse; grep -E " /dev/(null|fuse) " /proc/self/mountinfo | cut -d" " -f5 | sort | paste -sd,')
jq_edit "$bdev" '.linux.devices = [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438}]'
if [ -c /dev/fuse ]; then
  out=$(urt "$A" run --bundle "$bdev" "dev-$T_SFX" 2> "$T_TMP/dev.err" < /dev/null); rc=$?
  expect_eq "devices: run exits 0" 0 "$rc"
  [ "$rc" -eq 0 ] || sed 's/^/# stderr: /' "$T_TMP/dev.err"
  expect_eq "devices: /dev/null writable, /dev/zero readable" 4 "$(printf '%s\n' "$out" | sed -n 1p)"
  expect_eq "devices: /dev/null is char 1:3" "1:3 character special file" "$(printf '%s\n' "$out" | sed -n 2p)"
  expect_eq "devices: linux.devices /dev/fuse is char 10:229" "a:e5 character special file" "$(printf '%s\n' "$out" | sed -n 3p)"
  expect_eq "devices: bind-mounted from the host, not mknod'ed" "/dev/fuse,/dev/null" "$(printf '%s\n' "$out" | sed -n 4p)"
else
  skip "devices: linux.devices bound from the host" "no /dev/fuse on this host"
fi
bdev2=$(ubundle "$A" dev2 true)
jq_edit "$bdev2" '.linux.devices = [{"path": "/dev/brig-no-such-dev", "type": "c", "major": 1, "minor": 3}]'
urt "$A" run --bundle "$bdev2" "dev2-$T_SFX" > /dev/null 2> "$T_TMP/dev2.err" < /dev/null; rc=$?
expect_refused_u "a device missing on the host" "$A" "dev2-$T_SFX" "$bdev2" "$rc" "$(cat "$T_TMP/dev2.err")" 'linux\.devices\[0\].*bind-mounted from the same path on the host'

# ---- bind mounts and file ownership ------------------------------------
share=$T_TMP/$A/share
mkdir -p "$share"; chown "$UA:$UA" "$share"; chmod 0777 "$share"
BIND="{\"destination\": \"/share\", \"type\": \"bind\", \"source\": \"$share\", \"options\": [\"bind\"]}"
bown=$(ubundle "$A" own sleep 1000)
multi_range "$bown" "$A"
jq_edit "$bown" ".mounts += [$BIND]"
add_caps "$bown" CAP_CHOWN
id=own-$T_SFX
urt_create "$A" "$bown" "$id" && urt "$A" start "$id"; rc=$?
expect_eq "bind mount: create + start exit 0" 0 "$rc"
[ "$rc" -eq 0 ] || sed 's/^/# stderr: /' "$T_TMP/$A-$id.err"
urt "$A" exec "$id" sh -c 'touch /share/by-root && touch /share/chowned && chown 5:6 /share/chowned'
urt "$A" exec --user 1000:1000 "$id" touch /share/by-1000
expect_eq "bind mount: a file of container root belongs to the user on the host" "$UA:$UA" "$(stat -c %u:%g "$share/by-root" 2>/dev/null)"
expect_eq "bind mount: chown 5:6 inside is subordinate ids on the host" "$((SA + 4)):$((SA + 5))" "$(stat -c %u:%g "$share/chowned" 2>/dev/null)"
expect_eq "bind mount: a file of container uid 1000 is subordinate id $((SA + 999))" "$((SA + 999)):$((SA + 999))" "$(stat -c %u:%g "$share/by-1000" 2>/dev/null)"
expect_eq "bind mount: inside, the files show container ids" "0:0 5:6 1000:1000" "$(urt "$A" exec "$id" stat -c %u:%g /share/by-root /share/chowned /share/by-1000 | paste -sd' ')"
urt "$A" delete -f "$id"
# single id: the same file as the user
bown1=$(ubundle "$A" own1 touch /share/single)
jq_edit "$bown1" ".mounts += [$BIND]"
urt "$A" run --bundle "$bown1" "own1-$T_SFX" < /dev/null > /dev/null 2>&1
expect_eq "bind mount (single id): the file belongs to the user" "$UA:$UA" "$(stat -c %u:%g "$share/single" 2>/dev/null)"

# ---- mounts that need real root, in a user namespace -------------------
# runc's default config (not --rootless) with a user namespace added
bm=$(make_bundle "$A-mnt" sh -c 'awk "\$5 ~ /^\/(sys|dev\/pts|dev\/mqueue)\$/ { for (i = 7; \$i != \"-\"; i++) ; print \$5, \$(i+1) }" /proc/self/mountinfo | sort | paste -sd,')
chown -R "$UA:$UA" "$bm"
jq_edit "$bm" "del(.linux.resources) | .linux.namespaces += [{\"type\": \"user\"}] | .linux.uidMappings = [{\"containerID\": 0, \"hostID\": $UA, \"size\": 1}] | .linux.gidMappings = .linux.uidMappings"
# (runc refuses devpts' gid=5 in a rootless config; brig, like crun, mounts
# devpts without it)
is_runc && jq_edit "$bm" '(.mounts[] | select(.destination == "/dev/pts") | .options) |= map(select(startswith("gid=") | not))'
out=$(urt "$A" run --bundle "$bm" "mnt-$T_SFX" 2> "$T_TMP/mnt.err" < /dev/null); rc=$?
expect_eq "default config + user namespace: runs (devpts without the unmapped gid=5)" 0 "$rc"
[ "$rc" -eq 0 ] || sed 's/^/# stderr: /' "$T_TMP/mnt.err"
expect_eq "default config + user namespace: a new sysfs (own network namespace), devpts, mqueue" "/dev/mqueue mqueue,/dev/pts devpts,/sys sysfs" "$out"
jq_edit "$bm" 'del(.linux.namespaces[] | select(.type == "network"))'
if brig_only "no network namespace: sysfs falls back to the host's /sys" "runc 1.1 refuses the sysfs mount"; then
  out=$(urt "$A" run --bundle "$bm" "mnt2-$T_SFX" 2> "$T_TMP/mnt2.err" < /dev/null); rc=$?
  expect_eq "no network namespace: sysfs falls back to the host's /sys" 0 "$rc"
  [ "$rc" -eq 0 ] || sed 's/^/# stderr: /' "$T_TMP/mnt2.err"
  expect_match "no network namespace: /sys is the host's sysfs, bound" '/sys sysfs' "$out"
fi
jq_edit "$bm" 'del(.linux.namespaces[] | select(.type == "pid"))'
urt "$A" run --bundle "$bm" "mnt3-$T_SFX" > /dev/null 2> "$T_TMP/mnt3.err" < /dev/null; rc=$?
expect_refused_u "proc without a pid namespace" "$A" "mnt3-$T_SFX" "$bm" "$rc" "$(cat "$T_TMP/mnt3.err")" 'mount proc on `/proc`.*own pid namespace'
bext=$(ubundle "$A" ext4 true)
jq_edit "$bext" '.mounts += [{"destination": "/mnt", "type": "ext4", "source": "/dev/null"}]'
urt "$A" run --bundle "$bext" "ext4-$T_SFX" > /dev/null 2> "$T_TMP/ext4.err" < /dev/null; rc=$?
expect_refused_u "an ext4 mount" "$A" "ext4-$T_SFX" "$bext" "$rc" "$(cat "$T_TMP/ext4.err")" 'mounts\[[0-9]+\]: mount ext4 on `/mnt`: Operation not permitted .*need real root'

# ---- the runtime itself in a user namespace (podman's, rootlesskit's) ----
if command -v unshare > /dev/null 2>&1; then
  bns=$(make_bundle "$A-nested" sh -c 'stat -c %t:%T /dev/null; id -u; cat /proc/self/setgroups')
  chown -R "$UA:$UA" "$bns"
  jq_edit "$bns" 'del(.linux.resources) | (.mounts[] | select(.destination == "/dev/pts") | .options) |= map(select(startswith("gid=") | not))'
  out=$(as_user "$A" unshare -r "$RUNTIME" --root "$T_TMP/$A/nested-root" run --bundle "$bns" "nested-$T_SFX" 2> "$T_TMP/nested.err" < /dev/null); rc=$?
  expect_eq "runtime as root of a user namespace (no userns in the config): runs" 0 "$rc"
  [ "$rc" -eq 0 ] || sed 's/^/# stderr: /' "$T_TMP/nested.err"
  expect_eq "  ... devices bound, not mknod'ed" "1:3" "$(printf '%s\n' "$out" | sed -n 1p)"
  expect_eq "  ... uid 0, setgroups left denied" "0 deny" "$(printf '%s\n' "$out" | sed -n 2,3p | paste -sd' ')"
else
  skip "runtime as root of a user namespace" "no unshare(1)"
fi

# ---- two users, same id -------------------------------------------------
id=same-$T_SFX
ba=$(ubundle "$A" same sleep 1000)
bb=$(ubundle "$B" same sleep 1000)
urt_create "$A" "$ba" "$id"; rca=$?
urt_create "$B" "$bb" "$id"; rcb=$?
expect_eq "two users create the same id" "0 0" "$rca $rcb"
expect_eq "user a's state names a's bundle" "$ba" "$(ustate "$A" "$id" .bundle)"
expect_eq "user b's state names b's bundle" "$bb" "$(ustate "$B" "$id" .bundle)"
expect_eq "user b lists only its own" "$bb" "$(urt "$B" list --format json | jq -r '.[].bundle' | paste -sd,)"
urt "$B" --root "${U_XDG[$A]}/$RT_DIR" kill "$id" KILL > /dev/null 2> "$T_TMP/cross.err"; rc=$?
if [ "$rc" -ne 0 ]; then ok "user b cannot kill a's container through a's root"; else not_ok "user b cannot kill a's container through a's root"; fi
expect_match "  ... permission denied" '[Pp]ermission denied' "$(cat "$T_TMP/cross.err")"
urt "$B" --root "${U_XDG[$A]}/$RT_DIR" list > /dev/null 2>&1; rc=$?
urt "$B" --root "${U_XDG[$A]}/$RT_DIR" delete -f "$id" > /dev/null 2>&1
expect_eq "user b cannot delete a's container" created "$(ustate "$A" "$id" .status)"
U_ENV="XDG_RUNTIME_DIR=${U_XDG[$A]}" urt "$B" list > /dev/null 2> "$T_TMP/xdg-other.err"; rc=$?
brig_only "another user's XDG_RUNTIME_DIR is refused" && expect_match "another user's XDG_RUNTIME_DIR is refused" "not owned by uid $UB" "$(cat "$T_TMP/xdg-other.err")"
check "root's default list does not show them" sh -c "! '$RUNTIME' list -q 2>/dev/null | grep -qx '$id'"
urt "$B" delete -f "$id"; rc=$?
expect_eq "user b deletes its own" 0 "$rc"
expect_eq "a's container is untouched by b's delete" created "$(ustate "$A" "$id" .status)"
urt "$A" delete -f "$id"
check "both gone" test ! -e "${U_XDG[$A]}/$RT_DIR/$id" -a ! -e "${U_XDG[$B]}/$RT_DIR/$id"

# ---- errors, each leaving nothing behind -------------------------------
# no subuid entry: user c asks for a multi-range mapping
bc=$(ubundle "$C" nosub true)
m="[{\"containerID\": 0, \"hostID\": ${U_UID[$C]}, \"size\": 1}, {\"containerID\": 1, \"hostID\": $SA, \"size\": 65536}]"
jq_edit "$bc" ".linux.uidMappings = $m | .linux.gidMappings = $m"
urt "$C" run --bundle "$bc" "nosub-$T_SFX" > /dev/null 2> "$T_TMP/nosub.err" < /dev/null; rc=$?
expect_refused_u "no /etc/subuid entry" "$C" "nosub-$T_SFX" "$bc" "$rc" "$(cat "$T_TMP/nosub.err")" "linux\.uidMappings\[1\].*not allowed: /etc/subuid has no entry for $C.*usermod --add-subuids"
# newuidmap missing from PATH
bp=$(ubundle "$A" nopath true)
multi_range "$bp" "$A"
U_PATH=/nonexistent urt "$A" run --bundle "$bp" "nopath-$T_SFX" > /dev/null 2> "$T_TMP/nopath.err" < /dev/null; rc=$?
expect_refused_u "newuidmap not in PATH" "$A" "nopath-$T_SFX" "$bp" "$rc" "$(cat "$T_TMP/nopath.err")" 'newuidmap not found in PATH.*uidmap'
# host ids outside the user's range (b's range, for a)
bo=$(ubundle "$A" outside true)
m="[{\"containerID\": 0, \"hostID\": $UA, \"size\": 1}, {\"containerID\": 1, \"hostID\": ${U_SUB[$B]}, \"size\": 65536}]"
jq_edit "$bo" ".linux.uidMappings = $m"
urt "$A" run --bundle "$bo" "outside-$T_SFX" > /dev/null 2> "$T_TMP/outside.err" < /dev/null; rc=$?
expect_refused_u "uid mapping outside the subuid range" "$A" "outside-$T_SFX" "$bo" "$rc" "$(cat "$T_TMP/outside.err")" "newuidmap failed.*linux\.uidMappings\[1\] \(container 1-65536 -> host ${U_SUB[$B]}-$(( U_SUB[$B] + 65535 ))\) is not allowed: .*outside what /etc/subuid grants $A \($SA-$((SA + 65535))\)"
# a gid range one id too long
bg=$(ubundle "$A" gidlong true)
multi_range "$bg" "$A"
jq_edit "$bg" '.linux.gidMappings[1].size = 65537'
urt "$A" run --bundle "$bg" "gidlong-$T_SFX" > /dev/null 2> "$T_TMP/gidlong.err" < /dev/null; rc=$?
expect_refused_u "gid mapping one id past the subgid range" "$A" "gidlong-$T_SFX" "$bg" "$rc" "$(cat "$T_TMP/gidlong.err")" 'newgidmap failed.*linux\.gidMappings\[1\].*not allowed'
# no user namespace
bn=$(ubundle "$A" nouserns true)
jq_edit "$bn" 'del(.linux.namespaces[] | select(.type == "user")) | del(.linux.uidMappings, .linux.gidMappings)'
urt "$A" run --bundle "$bn" "nouserns-$T_SFX" > /dev/null 2> "$T_TMP/nouserns.err" < /dev/null; rc=$?
expect_refused_u "no user namespace" "$A" "nouserns-$T_SFX" "$bn" "$rc" "$(cat "$T_TMP/nouserns.err")" 'rootless container needs a user namespace'
# no XDG_RUNTIME_DIR
U_ENV="XDG_RUNTIME_DIR=" urt "$A" run --bundle "$b1" "noxdg-$T_SFX" > /dev/null 2> "$T_TMP/noxdg.err" < /dev/null; rc=$?
expect_refused_u "XDG_RUNTIME_DIR unset" "$A" "noxdg-$T_SFX" "$b1" "$rc" "$(cat "$T_TMP/noxdg.err")" 'XDG_RUNTIME_DIR is not set'

# ---- brig check ---------------------------------------------------------
if brig_only "brig check"; then
  names='userns.max userns.unprivileged_clone userns.apparmor userns.create newuidmap newgidmap subuid subgid xdg_runtime_dir cgroup.v2 cgroup.delegation dbus.user_session linger overlay.unprivileged net.ip_unprivileged_port_start net.ping_group_range'
  j=$(urt "$A" check --format json 2> "$T_TMP/check.err"); rc=$?
  is_json_checks () { printf '%s' "$1" | jq -e .checks > /dev/null 2>&1; }
  check "check --format json: valid JSON" is_json_checks "$j"
  expect_eq "check --format json: every check, in order" "$(echo $names | tr ' ' ',')" "$(printf '%s' "$j" | jq -r '[.checks[].name] | join(",")')"
  all=$(printf '%s' "$j" | jq -r '[.checks[].ok] | all')
  expect_eq "check: .ok is all checks holding" "$all" "$(printf '%s' "$j" | jq -r .ok)"
  expect_eq "check: exit 0 exactly when all hold" "$([ "$all" = true ] && echo 0 || echo 1)" "$rc"
  expect_eq "check: .failed counts the failures" "$(printf '%s' "$j" | jq '[.checks[] | select(.ok | not)] | length')" "$(printf '%s' "$j" | jq .failed)"
  expect_eq "check: every failure has a fix" "" "$(printf '%s' "$j" | jq -r '.checks[] | select((.ok | not) and (.fix == null or .fix == "")) | .name')"
  expect_eq "check: every check has a detail" "" "$(printf '%s' "$j" | jq -r '.checks[] | select(.detail == "") | .name')"
  cv() { printf '%s' "$j" | jq -r ".checks[] | select(.name == \"$1\") | .$2"; }
  expect_eq "check: subuid holds for a user with a range" true "$(cv subuid ok)"
  expect_eq "check: subgid holds for a user with a range" true "$(cv subgid ok)"
  expect_eq "check: newuidmap found setuid" true "$(cv newuidmap ok)"
  expect_eq "check: XDG_RUNTIME_DIR holds" true "$(cv xdg_runtime_dir ok)"
  expect_eq "check: a user namespace can be made" true "$(cv userns.create ok)"
  expect_eq "check: the user is named" "$A" "$(printf '%s' "$j" | jq -r .user)"
  # agrees with the host
  v2=false; [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] && v2=true
  expect_eq "check: cgroup.v2 as the host is" "$v2" "$(cv cgroup.v2 ok)"
  pstart=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)
  expect_eq "check: ip_unprivileged_port_start as the host is" "$([ "$pstart" -le 80 ] && echo true || echo false)" "$(cv net.ip_unprivileged_port_start ok)"
  linger=false; [ -e "/var/lib/systemd/linger/$A" ] && linger=true
  expect_eq "check: linger as the host is" "$linger" "$(cv linger ok)"
  # text
  t=$(urt "$A" check 2>&1); rc2=$?
  expect_eq "check (text): same exit status" "$rc" "$rc2"
  expect_eq "check (text): one ok/FAIL line per check" 16 "$(printf '%s\n' "$t" | grep -cE '^(ok|FAIL) ')"
  expect_eq "check (text): a fix line per failure" "$(printf '%s\n' "$t" | grep -c '^FAIL ')" "$(printf '%s\n' "$t" | grep -c ' fix: ')"
  expect_match "check (text): the subuid line" '^ok +subuid +/etc/subuid grants' "$(printf '%s\n' "$t" | grep ' subuid ')"
  # the failures it must see
  j=$(urt "$C" check --format json 2>/dev/null); rc=$?
  expect_eq "check, no subuid entry: exit 1" 1 "$rc"
  expect_eq "check, no subuid entry: subuid fails" false "$(cv subuid ok)"
  expect_match "check, no subuid entry: the fix is usermod" "^usermod --add-subuids [0-9]+-[0-9]+ $C" "$(cv subuid fix)"
  j=$(U_PATH=/nonexistent urt "$A" check --format json 2>/dev/null)
  expect_eq "check, no newuidmap in PATH: fails" false "$(cv newuidmap ok)"
  expect_match "check, no newuidmap in PATH: the fix installs uidmap" 'apt-get install uidmap' "$(cv newuidmap fix)"
  j=$(U_ENV="XDG_RUNTIME_DIR=" urt "$A" check --format json 2>/dev/null); rc=$?
  expect_eq "check without XDG_RUNTIME_DIR: runs" 1 "$rc"
  expect_eq "check without XDG_RUNTIME_DIR: xdg_runtime_dir fails" false "$(cv xdg_runtime_dir ok)"
  j=$(U_ENV="XDG_RUNTIME_DIR=${U_XDG[$A]}" urt "$B" check --format json 2>/dev/null)
  expect_match "check with another user's XDG_RUNTIME_DIR: fails, says whose" "belongs to uid $UA" "$(cv xdg_runtime_dir detail)"
  urt "$A" check --format yaml > /dev/null 2>&1; rc=$?
  expect_eq "check --format yaml: refused" 1 "$rc"
fi

# ---- id-mapped mounts ---------------------------------------------------
if brig_only "id-mapped mounts"; then
  expect_eq "features: mountExtensions.idmap enabled" true "$("$RUNTIME" features | jq -r .linux.mountExtensions.idmap.enabled)"
  src=$T_TMP/idsrc
  mkdir -p "$src"; touch "$src/rootfile"; chown 0:0 "$src" "$src/rootfile"; chmod 0777 "$src"
  IDM="[{\"containerID\": 0, \"hostID\": 2000, \"size\": 1}]"
  # as root, no user namespace: on-disk 0 appears as 2000
  bi=$(make_bundle idmap-root sh -c 'stat -c %u:%g /m/rootfile; grep " /m " /proc/self/mountinfo | grep -c idmapped; stat -c %u /t')
  jq_edit "$bi" "del(.linux.resources) | .mounts += [{\"destination\": \"/m\", \"type\": \"bind\", \"source\": \"$src\", \"options\": [\"bind\"], \"uidMappings\": $IDM, \"gidMappings\": $IDM}, {\"destination\": \"/t\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": [\"idmap\", \"size=1m\"], \"uidMappings\": [{\"containerID\": 0, \"hostID\": 3000, \"size\": 1}], \"gidMappings\": [{\"containerID\": 0, \"hostID\": 3000, \"size\": 1}]}]"
  out=$(rt run --bundle "$bi" "idmap-root-$T_SFX" 2> "$T_TMP/idmap-root.err" < /dev/null); rc=$?
  if [ "$rc" -ne 0 ] && grep -q 'does not support id-mapped\|mount_setattr (Linux 5.12)' "$T_TMP/idmap-root.err"; then
    skip "id-mapped bind mount as root" "$(cat "$T_TMP/idmap-root.err")"
  else
    expect_eq "idmap as root: run exits 0" 0 "$rc"
    [ "$rc" -eq 0 ] || sed 's/^/# stderr: /' "$T_TMP/idmap-root.err"
    expect_eq "idmap bind as root: a file of uid 0 shows as 2000" "2000:2000" "$(printf '%s\n' "$out" | sed -n 1p)"
    expect_eq "idmap bind as root: mountinfo says idmapped" 1 "$(printf '%s\n' "$out" | sed -n 2p)"
    expect_eq "idmap tmpfs as root: its root shows as 3000" 3000 "$(printf '%s\n' "$out" | sed -n 3p)"
  fi
  # as root with a user namespace, bare `idmap`: the container's mapping;
  # host root's file is the container root's, and writes land as host root
  rsub=$sub_next; sub_next=$(( sub_next + 65536 ))
  bu=$(make_bundle idmap-userns sh -c 'stat -c %u /m/rootfile; touch /m/from-container')
  chown -R "$rsub:$rsub" "$bu/rootfs"
  jq_edit "$bu" "del(.linux.resources) | .linux.namespaces += [{\"type\": \"user\"}] | .linux.uidMappings = [{\"containerID\": 0, \"hostID\": $rsub, \"size\": 65536}] | .linux.gidMappings = .linux.uidMappings | .mounts |= map(select(.destination != \"/sys/fs/cgroup\")) | .mounts += [{\"destination\": \"/m\", \"type\": \"bind\", \"source\": \"$src\", \"options\": [\"bind\", \"idmap\"]}]"
  out=$(rt run --bundle "$bu" "idmap-userns-$T_SFX" 2> "$T_TMP/idmap-userns.err" < /dev/null); rc=$?
  expect_eq "idmap with the container's mapping: run exits 0" 0 "$rc"
  [ "$rc" -eq 0 ] || sed 's/^/# stderr: /' "$T_TMP/idmap-userns.err"
  expect_eq "idmap with the container's mapping: host root's file is root's inside" 0 "$out"
  expect_eq "idmap with the container's mapping: a file written inside is host root's" 0 "$(stat -c %u "$src/from-container" 2>/dev/null)"
  # refusals
  bx=$(make_bundle idmap-half true)
  jq_edit "$bx" "del(.linux.resources) | .mounts += [{\"destination\": \"/m\", \"type\": \"bind\", \"source\": \"$src\", \"options\": [\"bind\"], \"uidMappings\": $IDM}]"
  rt run --bundle "$bx" "idmap-half-$T_SFX" > /dev/null 2> "$T_TMP/idmap-half.err" < /dev/null; rc=$?
  expect_refused_u "idmap with uidMappings only" "$A" "idmap-half-$T_SFX" "$bx" "$rc" "$(cat "$T_TMP/idmap-half.err")" 'mounts\[[0-9]+\]: an id-mapped mount needs both uidMappings and gidMappings'
  check "idmap with uidMappings only: nothing under --root" root_is_empty
  bs=$(make_bundle idmap-sysfs true)
  jq_edit "$bs" "del(.linux.resources) | .mounts += [{\"destination\": \"/m\", \"type\": \"bind\", \"source\": \"/sys/kernel\", \"options\": [\"rbind\"], \"uidMappings\": $IDM, \"gidMappings\": $IDM}]"
  rt run --bundle "$bs" "idmap-sysfs-$T_SFX" > /dev/null 2> "$T_TMP/idmap-sysfs.err" < /dev/null; rc=$?
  expect_refused_u "idmap of sysfs (the filesystem refuses)" "$A" "idmap-sysfs-$T_SFX" "$bs" "$rc" "$(cat "$T_TMP/idmap-sysfs.err")" 'the sysfs filesystem does not support id-mapped mounts'
  check "idmap of sysfs: nothing under --root" root_is_empty
  # rootless: the host's filesystem is not the user's to id-map
  br=$(ubundle "$A" idmap-bind true)
  multi_range "$br" "$A"
  jq_edit "$br" ".mounts += [{\"destination\": \"/m\", \"type\": \"bind\", \"source\": \"$share\", \"options\": [\"bind\", \"idmap\"]}]"
  urt "$A" run --bundle "$br" "idmap-bind-$T_SFX" > /dev/null 2> "$T_TMP/idmap-bind.err" < /dev/null; rc=$?
  expect_refused_u "rootless idmap of a host directory" "$A" "idmap-bind-$T_SFX" "$br" "$rc" "$(cat "$T_TMP/idmap-bind.err")" "id-mapped mount: the ext4|xfs|btrfs|[a-z0-9]+ filesystem belongs to the host's user namespace"
  # rootless: a tmpfs of the container's own, where the kernel allows (6.3+)
  bt=$(ubundle "$A" idmap-tmpfs sh -c 'stat -c %u:%g /t; grep " /t " /proc/self/mountinfo | grep -c idmapped')
  multi_range "$bt" "$A"
  TM="[{\"containerID\": 0, \"hostID\": $((SA + 1)), \"size\": 1}]"
  jq_edit "$bt" ".mounts += [{\"destination\": \"/t\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": [\"idmap\", \"size=1m\"], \"uidMappings\": $TM, \"gidMappings\": $TM}]"
  out=$(urt "$A" run --bundle "$bt" "idmap-tmpfs-$T_SFX" 2> "$T_TMP/idmap-tmpfs.err" < /dev/null); rc=$?
  if [ "$rc" -ne 0 ] && grep -q 'does not support id-mapped' "$T_TMP/idmap-tmpfs.err"; then
    skip "rootless idmap of a tmpfs" "kernel $(uname -r): $(cat "$T_TMP/idmap-tmpfs.err")"
  else
    expect_eq "rootless idmap of a tmpfs: run exits 0" 0 "$rc"
    [ "$rc" -eq 0 ] || sed 's/^/# stderr: /' "$T_TMP/idmap-tmpfs.err"
    expect_eq "rootless idmap of a tmpfs: its root shows as host $((SA + 1)) = container id 2" "2:2" "$(printf '%s\n' "$out" | sed -n 1p)"
    expect_eq "rootless idmap of a tmpfs: mountinfo says idmapped" 1 "$(printf '%s\n' "$out" | sed -n 2p)"
  fi
fi

t_done
