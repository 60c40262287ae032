#!/bin/bash
# tests/vm/guest-lsm.sh: AppArmor checks through the runtime's command line
# (RUNTIME, default src/brig), run by tests/vm/run.sh (VM_ONLY=lsm) inside
# the QEMU guest, whose Debian 6.1 kernel has AppArmor as its default LSM
# (the host's kernel has none).  Needs root and apparmor_parser (the host's
# `apparmor` package, seen through the guest's read-only root).
#
#  - process.apparmorProfile: the label inside the container
#    (attr/current and attr/apparmor/current) and from the guest, and the
#    profile confines (a denied path cannot be written, another one can);
#    also for uid 1000 without capabilities under noNewPrivileges
#  - exec: the container's profile by default, --apparmor, process.json's
#    apparmorProfile; the label of a detached exec'd process from the guest
#  - an unknown profile: one line naming process.apparmorProfile, nothing
#    left behind (create and exec)
#  - the label is set before seccomp is loaded: a filter that denies the
#    syscalls of the label write does not stop it
#  - rootless: the unprivileged test user's container gets the profile
#  - CVE-2019-16884 / CVE-2023-28642: a fake /proc over the container's
#    /proc; CVE-2023-27561: the rootfs's /proc a symlink to a fake dir; the
#    fake files stay unchanged and the label, if the container runs, is on
#    the real process; tests/security/procfs-writes.sh in full
#  - `features` says apparmor enabled
. "$(dirname "$0")/../lib.sh"

[ "$(id -u)" = 0 ] || { skip "AppArmor checks" "needs root"; t_done; }
[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] || { skip "AppArmor checks" "AppArmor is not enabled in this kernel"; t_done; }
command -v apparmor_parser > /dev/null || { skip "AppArmor checks" "no apparmor_parser (apt-get install apparmor)"; t_done; }
if [ ! -d /sys/kernel/security/apparmor ]; then
  mount -t securityfs securityfs /sys/kernel/security || { not_ok "mount securityfs"; t_done; }
  on_exit umount /sys/kernel/security
fi

# two profiles: both allow everything except writing below /denied
profile () {
  cat <<EOF
abi <abi/3.0>,
profile $1 flags=(attach_disconnected,mediate_deleted) {
  file,
  capability,
  network,
  mount,
  umount,
  pivot_root,
  signal,
  ptrace,
  unix,
  deny /denied/** w,
}
EOF
}
P=brig-test-deny-$T_SFX
PX=brig-test-exec-$T_SFX
profile "$P" > "$T_TMP/p1"
profile "$PX" > "$T_TMP/p2"
if ! apparmor_parser -r "$T_TMP/p1" "$T_TMP/p2" 2> "$T_TMP/parser.err"; then
  not_ok "apparmor_parser loads the test profiles: $(head -3 "$T_TMP/parser.err")"
  t_done
fi
on_exit apparmor_parser -R "$T_TMP/p1" "$T_TMP/p2"
expect_match "test profiles loaded" "^$P \(enforce\)" "$(cat /sys/kernel/security/apparmor/profiles)"

label_of () { tr -d '\0' < "/proc/$1/attr/current" 2>/dev/null; }

# ---- features -------------------------------------------------------------
expect_eq "features: apparmor enabled" true "$(rt features | jq -r .linux.apparmor.enabled)"

# ---- process.apparmorProfile ---------------------------------------------
show='cat /proc/self/attr/current; cat /proc/self/attr/apparmor/current; (echo x > /denied/f) 2>/dev/null && echo denied-written; echo x > /tmp/f && echo tmp-written'
b=$(make_bundle run1 sh -c "$show")
mkdir -p "$b/rootfs/denied"
jq_edit "$b" ".root.readonly = false | .process.apparmorProfile = \"$P\""
id=aa-run-$T_SFX
out=$(run_ctr "$b" "$id"); rc=$?
expect_eq "run with apparmorProfile: exit 0" 0 "$rc"
[ "$rc" = 0 ] || echo "# $(err_of "$id")"
expect_eq "attr/current inside the container" "$P (enforce)" "$(sed -n 1p <<< "$out")"
expect_eq "attr/apparmor/current inside the container" "$P (enforce)" "$(sed -n 2p <<< "$out")"
expect_eq "the profile confines: /denied not writable, /tmp writable" "tmp-written" "$(sed -n '3,$p' <<< "$out" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "nothing written below /denied" "" "$(ls "$b/rootfs/denied")"
rt delete -f "$id" > /dev/null 2>&1
check "run: nothing left behind" leaves_nothing "$id" "$b"

# a non-root user in the container, no capabilities, noNewPrivileges: the
# attr file is written after the switch to that user
b=$(make_bundle user1000 sh -c 'id -u; cat /proc/self/attr/current')
jq_edit "$b" ".process.apparmorProfile = \"$P\" | .process.user = {\"uid\": 1000, \"gid\": 1000}
  | .process.noNewPrivileges = true | .process.capabilities = {}"
id=aa-user-$T_SFX
out=$(run_ctr "$b" "$id"); rc=$?
expect_eq "uid 1000, no caps, noNewPrivileges: the label" "1000 $P (enforce)" "$(echo $out)"
[ "$rc" = 0 ] || echo "# $(err_of "$id")"
rt delete -f "$id" > /dev/null 2>&1

# "unconfined" asks for no confinement: accepted, and the label says so
b=$(make_bundle unconfined cat /proc/self/attr/current)
jq_edit "$b" '.process.apparmorProfile = "unconfined"'
id=aa-unconf-$T_SFX
expect_eq "apparmorProfile unconfined" unconfined "$(run_ctr "$b" "$id")"
rt delete -f "$id" > /dev/null 2>&1

# startContainer hooks run in the container after the label is written:
# they are confined too (as with runc); createContainer ones (run before
# pivot_root, so they see the guest's paths) are not
b=$(make_bundle hooks true)
jq_edit "$b" ".root.readonly = false | .process.apparmorProfile = \"$P\"
  | .hooks.startContainer = [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"cat /proc/self/attr/current > /tmp/start-label\"]}]
  | .hooks.createContainer = [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"cat /proc/self/attr/current > $T_TMP/create-label\"]}]"
id=aa-hooks-$T_SFX
run_ctr "$b" "$id" > /dev/null || echo "# $(err_of "$id")"
expect_eq "startContainer hook: confined by the container's profile" "$P (enforce)" "$(tr -d '\0' < "$b/rootfs/tmp/start-label" 2>/dev/null)"
expect_eq "createContainer hook: not yet" unconfined "$(tr -d '\0' < "$T_TMP/create-label" 2>/dev/null)"
rt delete -f "$id" > /dev/null 2>&1

# a long-running container: its label from the guest side, exec into it
b=$(make_bundle long sleep 300)
mkdir -p "$b/rootfs/denied"
jq_edit "$b" ".root.readonly = false | .process.apparmorProfile = \"$P\""
id=aa-long-$T_SFX
if rt_create "$b" "$id" && rt start "$id"; then
  pid=$(state_of "$id" .pid)
  expect_eq "the container's process, from the guest: /proc/PID/attr/current" "$P (enforce)" "$(label_of "$pid")"
  expect_eq "exec: the container's profile by default" "$P (enforce)" "$(rt exec "$id" cat /proc/self/attr/current 2>&1)"
  expect_eq "exec --apparmor: the exec'd process has that label" "$PX (enforce)" "$(rt exec --apparmor "$PX" "$id" cat /proc/self/attr/apparmor/current 2>&1)"
  out=$(rt exec --apparmor "$PX" "$id" sh -c '(echo x > /denied/e) 2>/dev/null && echo denied-written; echo x > /tmp/e && echo tmp-written' 2>&1)
  expect_eq "exec --apparmor: the profile confines the exec'd process" tmp-written "$out"
  expect_eq "exec --user 1000 --apparmor: the label" "$PX (enforce)" "$(rt exec --user 1000:1000 --apparmor "$PX" "$id" cat /proc/self/attr/current 2>&1)"
  jq -n --arg p "$PX" '{"args": ["cat", "/proc/self/attr/current"], "cwd": "/", "user": {"uid": 0, "gid": 0},
     "env": ["PATH=/bin"], "apparmorProfile": $p}' > "$T_TMP/process.json"
  expect_eq "exec -p process.json: its apparmorProfile" "$PX (enforce)" "$(rt exec -p "$T_TMP/process.json" "$id" 2>&1)"
  jq 'del(.apparmorProfile)' "$T_TMP/process.json" > "$T_TMP/process-none.json"
  expect_eq "exec -p process.json without apparmorProfile: the container's profile" "$P (enforce)" "$(rt exec -p "$T_TMP/process-none.json" "$id" 2>&1)"
  if rt exec -d --pid-file "$T_TMP/exec.pid" --apparmor "$PX" "$id" sleep 300 > "$T_TMP/exec.out" 2>&1; then
    expect_eq "exec -d --apparmor: the process's label from the guest" "$PX (enforce)" "$(label_of "$(cat "$T_TMP/exec.pid")")"
  else
    not_ok "exec -d --apparmor: $(head -1 "$T_TMP/exec.out")"
  fi
  # an unknown profile for exec: refused, the container untouched
  out=$(rt exec --apparmor brig-no-such-profile "$id" true 2>&1); rc=$?
  expect_eq "exec --apparmor unknown: fails" 1 "$([ "$rc" != 0 ] && echo 1 || echo 0)"
  expect_eq "exec --apparmor unknown: one line" 1 "$(printf '%s\n' "$out" | wc -l)"
  expect_match "exec --apparmor unknown: names the profile" 'apparmorProfile.*brig-no-such-profile.*not loaded' "$out"
  expect_eq "exec --apparmor unknown: the container still runs" running "$(status_of "$id")"
  expect_eq "exec --apparmor unknown: no process left in the container" "2" \
    "$(rt ps "$id" 2>/dev/null | tail -n +2 | wc -l | tr -d ' ')"
else
  not_ok "create+start with apparmorProfile: $(err_of "$id")"
fi
rt delete -f "$id" > /dev/null 2>&1
check "exec: nothing left behind" leaves_nothing "$id" "$b"

# ---- an unknown profile ---------------------------------------------------
b=$(make_bundle unknown true)
jq_edit "$b" '.process.apparmorProfile = "brig-no-such-profile"'
id=aa-unknown-$T_SFX
rt_create "$b" "$id"; rc=$?
expect_eq "create with an unknown profile fails" 1 "$([ "$rc" != 0 ] && echo 1 || echo 0)"
e=$(err_of "$id")
expect_eq "the error is one line" 1 "$(printf '%s\n' "$e" | wc -l)"
expect_match "the error names process.apparmorProfile and the profile" 'process\.apparmorProfile.*brig-no-such-profile.*not loaded' "$e"
echo "# $e"
check "unknown profile: nothing left behind" leaves_nothing "$id" "$b"
check "unknown profile: the state root is empty" root_is_empty

# ---- the label is written before seccomp is loaded -------------------------
# a filter that makes every syscall of the label write (openat2, openat,
# readlinkat, fstatfs, write) fail except what the shell needs afterwards
b=$(make_bundle seccomp cat /proc/self/attr/current)
jq_edit "$b" ".process.apparmorProfile = \"$P\" | .linux.seccomp = {\"defaultAction\": \"SCMP_ACT_ALLOW\",
  \"syscalls\": [{\"names\": [\"openat2\", \"readlinkat\", \"fstatfs\", \"statfs\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1}]}"
id=aa-seccomp-$T_SFX
out=$(run_ctr "$b" "$id"); rc=$?
expect_eq "seccomp denying openat2/readlinkat/fstatfs: the label is still set" "$P (enforce)" "$out"
[ "$rc" = 0 ] || echo "# $(err_of "$id")"
rt delete -f "$id" > /dev/null 2>&1

# fake_attrs DIR: a fake procfs tree with the attr files a label goes to
fake_attrs () {
  local f
  mkdir -p "$1/self/attr/apparmor" "$1/thread-self/attr/apparmor"
  for f in self/attr/exec self/attr/apparmor/exec thread-self/attr/exec thread-self/attr/apparmor/exec; do
    echo unconfined > "$1/$f"
  done
}
snap () { (cd "$1" && find . -type f | sort | xargs cat) | md5sum; }
# label_or_refused WHAT BUNDLE ID REGEX: the container runs with the label
# on its real process (read from the guest), or create refuses it with an
# error matching REGEX; nothing is left behind either way
label_or_refused () {
  local what=$1 b=$2 id=$3 e
  if rt_create "$b" "$id" && rt start "$id"; then
    expect_eq "$what: the label is on the real process (guest side)" "$P (enforce)" "$(label_of "$(state_of "$id" .pid)")"
  else
    e=$(err_of "$id")
    expect_match "$what: refused, the error matching /$4/" "$4" "$e"
    echo "# $e"
  fi
  rt delete -f "$id" > /dev/null 2>&1
  check "$what: nothing left behind" leaves_nothing "$id" "$b"
}

# ---- CVE-2019-16884 / CVE-2023-28642: a fake /proc over the container's ----
fake=$T_TMP/fakeproc
fake_attrs "$fake"
s0=$(snap "$fake")
b=$(make_bundle fake sleep 300)
jq_edit "$b" ".process.apparmorProfile = \"$P\"
  | .mounts += [{\"destination\": \"/proc\", \"type\": \"bind\", \"source\": \"$fake\", \"options\": [\"rbind\"]}]"
label_or_refused "fake /proc volume" "$b" "aa-fake-$T_SFX" procfs
expect_eq "fake /proc volume: the fake attr files unchanged" "$s0" "$(snap "$fake")"

# ---- CVE-2023-27561: the rootfs's /proc is a symlink to a fake dir --------
b=$(make_bundle symlink sleep 300)
rmdir "$b/rootfs/proc"
fake_attrs "$b/rootfs/fakeproc"
ln -s fakeproc "$b/rootfs/proc"
s1=$(snap "$b/rootfs/fakeproc")
jq_edit "$b" ".process.apparmorProfile = \"$P\""
label_or_refused "/proc a symlink in the rootfs" "$b" "aa-symlink-$T_SFX" proc
expect_eq "/proc a symlink in the rootfs: the fake attr files unchanged" "$s1" \
  "$( [ -L "$b/rootfs/proc" ] && snap "$b/rootfs/fakeproc")"

# ---- no /proc mount in the config at all -------------------------------
b=$(make_bundle noproc sleep 300)
jq_edit "$b" ".process.apparmorProfile = \"$P\" | .mounts |= map(select(.destination != \"/proc\"))
  | .linux.maskedPaths = [] | .linux.readonlyPaths = []"
label_or_refused "no /proc mount" "$b" "aa-noproc-$T_SFX" procfs

# ---- rootless --------------------------------------------------------------
# AppArmor lets an unconfined unprivileged task change onto any loaded
# profile at exec (attr/exec), so a rootless container can have one
if [ -n "${VM_USER:-}" ] && command -v vm-user > /dev/null; then
  ud=$T_TMP/rl-user
  mkdir -p "$ud/xdg" && chmod 0700 "$ud/xdg"
  b=$(make_bundle rootless true)
  mkdir -p "$b/rootfs/denied"
  rm -f "$b/config.json"
  chmod 755 "$T_TMP"
  chown -R "$VM_UID:$VM_UID" "$ud" "$b"
  uid_rt () { vm-user env XDG_RUNTIME_DIR="$ud/xdg" "$RUNTIME" --root "$ud/state" "$@"; }
  (cd "$b" && uid_rt spec --rootless)
  jq_edit "$b" ".process.terminal = false | .root.readonly = false | .process.apparmorProfile = \"$P\"
    | .process.args = [\"sh\", \"-c\", \"cat /proc/self/attr/current; (echo x > /denied/f) 2>/dev/null && echo denied-written; echo x > /tmp/f && echo tmp-written\"]"
  chown "$VM_UID:$VM_UID" "$b/config.json"
  out=$(uid_rt run --bundle "$b" "aa-rootless-$T_SFX" < /dev/null 2> "$T_TMP/rootless.err"); rc=$?
  expect_eq "rootless: run with apparmorProfile exits 0" 0 "$rc"
  [ "$rc" = 0 ] || sed 's/^/# /' "$T_TMP/rootless.err"
  expect_eq "rootless: attr/current inside the container" "$P (enforce)" "$(sed -n 1p <<< "$out")"
  expect_eq "rootless: the profile confines" tmp-written "$(sed -n '2,$p' <<< "$out" | tr '\n' ' ' | sed 's/ $//')"
  uid_rt delete -f "aa-rootless-$T_SFX" > /dev/null 2>&1
  # exec --apparmor as the user, into the user's container
  jq_edit "$b" '.process.args = ["sleep", "300"]'
  chown "$VM_UID:$VM_UID" "$b/config.json"
  id=aa-rootless-x-$T_SFX
  if uid_rt create --bundle "$b" "$id" < /dev/null > "$T_TMP/rl-create.out" 2>&1 && uid_rt start "$id"; then
    expect_eq "rootless: exec --apparmor, the exec'd process's label" "$PX (enforce)" \
      "$(uid_rt exec --apparmor "$PX" "$id" cat /proc/self/attr/current 2>&1 < /dev/null)"
  else
    not_ok "rootless: create+start for exec: $(head -3 "$T_TMP/rl-create.out")"
  fi
  uid_rt delete -f "$id" > /dev/null 2>&1
  expect_eq "rootless: nothing left in the user's state root" "" "$(ls -A "$ud/state" 2>/dev/null)"
else
  skip "rootless AppArmor" "no guest test user (vm-user)"
fi

skip "SELinux labels (process.selinuxLabel)" "no SELinux policy here: the guest kernel runs AppArmor and no policy package is installed"

# ---- tests/security/procfs-writes.sh, whose block C needs AppArmor --------
out=$(BRIG_TEST_APPARMOR_PROFILE=$P bash "$TOP_DIR/tests/security/procfs-writes.sh" 2>&1)
printf '%s\n' "$out" | sed -e 's/^ok - /ok - procfs-writes.sh: /' -e 's/^not ok - /not ok - procfs-writes.sh: /'
printf '%s\n' "$out" | grep -q '^not ok' && _t_failed=1
expect_match "procfs-writes.sh block C ran (not skipped)" '^ok - C: AppArmor label not written into the fake /proc$' "$out"

exit $_t_failed
