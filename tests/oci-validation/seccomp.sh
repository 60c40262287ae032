#!/bin/bash
# linux.seccomp at the container level (issue 3): real profiles (podman's
# from containers-common, Docker's shape from tests/data/seccomp), blocked
# syscalls and their errno, errnoRet/defaultErrnoRet, KILL/TRAP, argument
# filters, LOG, TRACE, flags, bad input, exec processes, and SCMP_ACT_NOTIFY
# with a seccomp agent (seccomp-agent.c, built here with cc).
#
# Blocked-syscall checks come with a control run of the same bundle without
# linux.seccomp, so an errno is known to come from the filter and not from
# missing capabilities.  RUNTIME=runc runs the same checks against runc.
. "$(dirname "$0")/../lib.sh"

DATA=$TOP_DIR/tests/data/seccomp

if [ "$(id -u)" != 0 ]; then
  skip "seccomp" "needs root"
  t_done
fi
if ! command -v "$RUNTIME" >/dev/null 2>&1; then
  skip "seccomp" "runtime $RUNTIME not built"
  t_done
fi
for tool in jq cc; do
  if ! command -v $tool >/dev/null 2>&1; then
    skip "seccomp" "$tool not installed"
    t_done
  fi
done

n=0
next_id () { n=$((n + 1)); echo "seccomp-$$-$n"; }

# set_seccomp BUNDLE FILE: linux.seccomp = the JSON in FILE.
set_seccomp () {
  jq --slurpfile s "$2" '.linux.seccomp = $s[0]' "$1/config.json" > "$1/config.json.new" &&
    mv "$1/config.json.new" "$1/config.json"
}

# no_seccomp BUNDLE: the control, without a filter.
no_seccomp () { jq_edit "$1" 'del(.linux.seccomp)'; }

# add_caps BUNDLE CAP...: into bounding, effective and permitted.
add_caps () {
  local b=$1 c; shift
  for c in "$@"; do
    jq_edit "$b" ".process.capabilities.bounding += [\"$c\"] | .process.capabilities.effective += [\"$c\"]
                  | .process.capabilities.permitted += [\"$c\"]"
  done
}

writable () { jq_edit "$1" '.root.readonly = false'; }

# to_oci PROFILE CAPS_JSON: a Docker/containers-common profile as the
# linux.seccomp section an engine passes for this arch and these caps.
to_oci () {
  local arch scmp
  case $(uname -m) in
    x86_64) arch=amd64 scmp=SCMP_ARCH_X86_64 ;;
    aarch64) arch=arm64 scmp=SCMP_ARCH_AARCH64 ;;
    *) return 1 ;;
  esac
  jq -f "$DATA/to-oci.jq" --arg arch $arch --arg scmp $scmp --argjson caps "$2" \
    --arg kernel "$(uname -r | cut -d- -f1)" "$1"
}

# profile NAME JSON: write JSON to a file, print its path.
profile () { printf '%s\n' "$2" > "$T_TMP/$1.json" && echo "$T_TMP/$1.json"; }

# busybox mount words EPERM its own way
MOUNT_EPERM='mount.*(Operation not permitted|permission denied)'

# has_flags FLAG...: the runtime's `features` lists each in supportedFlags.
has_flags () {
  local f feats
  feats=$(rt features 2>/dev/null) || return 1
  for f in "$@"; do
    printf '%s' "$feats" | jq -e --arg f "$f" '.linux.seccomp.supportedFlags // [] | index($f)' >/dev/null 2>&1 ||
      return 1
  done
}

# runs BUNDLE: `run` it; output in $out, exit status in $rc.
runs () { out=$(run_in "$1" "$(next_id)"); rc=$?; }

# ---- podman's default profile (containers-common) ----
PODMAN=/usr/share/containers/seccomp.json
if [ -f "$PODMAN" ]; then
  b=$(make_bundle podman sh -c 'echo hello from busybox; ls /bin/busybox && echo listed; grep "^Seccomp:" /proc/self/status
    hostname brig-podman 2>&1; echo "hostname=$?"')
  if to_oci "$PODMAN" "$(jq -c .process.capabilities.bounding "$b/config.json")" > "$T_TMP/podman.json"; then
    set_seccomp "$b" "$T_TMP/podman.json"
    # CAP_SYS_ADMIN in the container, the profile built for the default caps:
    # sethostname is refused by the filter alone
    add_caps "$b" CAP_SYS_ADMIN
    runs "$b"
    expect_eq "podman profile: busybox shell runs (exit status)" 0 "$rc"
    expect_match "podman profile: shell output" 'hello from busybox' "$out"
    expect_match "podman profile: applets run" 'listed' "$out"
    expect_match "podman profile: filter is on (Seccomp: 2)" 'Seccomp:[[:space:]]+2' "$out"
    expect_match "podman profile: sethostname gives EPERM" 'Operation not permitted' "$out"
    expect_match "podman profile: hostname fails" 'hostname=1' "$out"
    no_seccomp "$b"
    runs "$b"
    expect_match "podman profile control: without the filter hostname works" 'hostname=0' "$out"
  else
    skip "podman profile" "no arch mapping for $(uname -m)"
  fi
else
  skip "podman profile" "$PODMAN not installed (golang-github-containers-common)"
fi

# ---- Docker's default profile (tests/data/seccomp/docker-default.json) ----
b=$(make_bundle docker sh -c 'echo hello from busybox; grep "^Seccomp:" /proc/self/status
  unshare -U true 2>&1; echo "unshare=$?"; mount -t tmpfs x /tmp 2>&1; echo "mount=$?"')
if to_oci "$DATA/docker-default.json" "$(jq -c .process.capabilities.bounding "$b/config.json")" > "$T_TMP/docker.json"; then
  set_seccomp "$b" "$T_TMP/docker.json"
  add_caps "$b" CAP_SYS_ADMIN
  runs "$b"
  expect_eq "docker profile: busybox shell runs (exit status)" 0 "$rc"
  expect_match "docker profile: shell output" 'hello from busybox' "$out"
  expect_match "docker profile: filter is on (Seccomp: 2)" 'Seccomp:[[:space:]]+2' "$out"
  expect_match "docker profile: unshare -U gives EPERM" 'unshare.*Operation not permitted' "$out"
  expect_match "docker profile: unshare fails" 'unshare=1' "$out"
  expect_match "docker profile: mount gives EPERM" "$MOUNT_EPERM" "$out"
  expect_match "docker profile: mount fails" 'mount=[1-9]' "$out"

  # defaultErrnoRet: the same profile, the default errno changed to EDQUOT
  jq '.defaultErrnoRet = 122' "$T_TMP/docker.json" > "$T_TMP/docker-122.json"
  set_seccomp "$b" "$T_TMP/docker-122.json"
  runs "$b"
  expect_match "defaultErrnoRet 122: unshare gives EDQUOT" 'unshare.*Disk quota exceeded' "$out"
  expect_match "defaultErrnoRet 122: mount gives EDQUOT" 'mount.*Disk quota exceeded' "$out"

  no_seccomp "$b"
  runs "$b"
  expect_match "docker profile control: without the filter unshare -U works" 'unshare=0' "$out"
  expect_match "docker profile control: without the filter mount works" 'mount=0' "$out"
else
  skip "docker profile" "no arch mapping for $(uname -m)"
fi

# ---- blocked syscalls: EPERM (busybox has no keyctl: sethostname stands in) ----
p=$(profile blocked '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
  {"names":["unshare","mount","sethostname","keyctl","add_key","brig_no_such_syscall"],"action":"SCMP_ACT_ERRNO"}]}')
b=$(make_bundle blocked sh -c 'unshare -U true 2>&1; echo "unshare=$?"; mount -t tmpfs x /tmp 2>&1; echo "mount=$?"
  hostname brig-x 2>&1; echo "hostname=$?"; echo alive')
add_caps "$b" CAP_SYS_ADMIN
set_seccomp "$b" "$p"
runs "$b"
expect_eq "blocked: container runs (an unknown syscall name is skipped)" 0 "$rc"
expect_match "blocked: unshare -U true gives EPERM" 'unshare.*Operation not permitted' "$out"
expect_match "blocked: unshare exit 1" 'unshare=1' "$out"
expect_match "blocked: mount -t tmpfs gives EPERM" "$MOUNT_EPERM" "$out"
expect_match "blocked: mount fails" 'mount=[1-9]' "$out"
expect_match "blocked: sethostname gives EPERM" 'hostname.*Operation not permitted' "$out"
expect_match "blocked: hostname exit 1" 'hostname=1' "$out"
no_seccomp "$b"
runs "$b"
expect_match "blocked control: unshare works without the filter" 'unshare=0' "$out"
expect_match "blocked control: mount works without the filter" 'mount=0' "$out"
expect_match "blocked control: hostname works without the filter" 'hostname=0' "$out"

# ---- errnoRet ----
p=$(profile errnoret '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
  {"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":122}]}')
b=$(make_bundle errnoret sh -c 'mkdir /tmp/d 2>&1; echo "mkdir=$?"; [ -d /tmp/d ] && echo exists || echo absent')
writable "$b"
set_seccomp "$b" "$p"
runs "$b"
expect_match "errnoRet 122: mkdir gives EDQUOT" 'mkdir.*Disk quota exceeded' "$out"
expect_match "errnoRet 122: nothing created" 'absent' "$out"

# ---- KILL, KILL_PROCESS, TRAP: exit 159 = 128 + SIGSYS ----
for act in SCMP_ACT_KILL SCMP_ACT_KILL_PROCESS SCMP_ACT_KILL_THREAD SCMP_ACT_TRAP; do
  p=$(profile "kill-$act" "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[
    {\"names\":[\"sethostname\"],\"action\":\"$act\"}]}")
  b=$(make_bundle "kill-$act" hostname brig-killed)
  set_seccomp "$b" "$p"
  runs "$b"
  expect_eq "$act: sethostname kills the process with SIGSYS (exit 159)" 159 "$rc"
done

# ---- args: personality allowed only for PER_LINUX (0) ----
p=$(profile personality '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
  {"names":["personality"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":0,"op":"SCMP_CMP_NE"}]}]}')
b=$(make_bundle personality sh -c 'linux64 true; echo "linux64=$?"; linux32 true 2>&1; echo "linux32=$?"')
set_seccomp "$b" "$p"
runs "$b"
expect_match "args: personality(PER_LINUX) is allowed" 'linux64=0' "$out"
expect_match "args: personality(PER_LINUX32) gives EPERM" 'Operation not permitted' "$out"
expect_match "args: linux32 fails" 'linux32=1' "$out"
no_seccomp "$b"
runs "$b"
expect_match "args control: linux32 works without the filter" 'linux32=0' "$out"

# ---- args: MASKED_EQ, unshare refused only with CLONE_NEWUSER ----
p=$(profile masked '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
  {"names":["unshare"],"action":"SCMP_ACT_ERRNO","errnoRet":122,
   "args":[{"index":0,"value":268435456,"valueTwo":268435456,"op":"SCMP_CMP_MASKED_EQ"}]}]}')
b=$(make_bundle masked sh -c 'unshare -U true 2>&1; echo "U=$?"; unshare -u true 2>&1; echo "u=$?"; unshare -Uu true 2>&1; echo "Uu=$?"')
add_caps "$b" CAP_SYS_ADMIN
set_seccomp "$b" "$p"
runs "$b"
expect_match "MASKED_EQ: unshare(CLONE_NEWUSER) refused with errnoRet" 'U=1' "$out"
expect_match "MASKED_EQ: the errno is EDQUOT" 'Disk quota exceeded' "$out"
expect_match "MASKED_EQ: unshare(CLONE_NEWUTS) allowed" 'u=0' "$out"
expect_match "MASKED_EQ: unshare(CLONE_NEWUSER|CLONE_NEWUTS) refused" 'Uu=1' "$out"

# ---- LOG allows; TRACE without a tracer gives ENOSYS ----
p=$(profile log '{"defaultAction":"SCMP_ACT_LOG","syscalls":[
  {"names":["uname"],"action":"SCMP_ACT_LOG"},{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}')
b=$(make_bundle log sh -c 'uname -s; mkdir /tmp/d 2>&1; echo "mkdir=$?"')
writable "$b"
set_seccomp "$b" "$p"
runs "$b"
expect_eq "LOG: container runs under defaultAction SCMP_ACT_LOG" 0 "$rc"
expect_match "LOG: logged syscalls are allowed" 'Linux' "$out"
expect_match "LOG: ERRNO rules still apply" 'mkdir.*Operation not permitted' "$out"

p=$(profile trace '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
  {"names":["mkdir","mkdirat"],"action":"SCMP_ACT_TRACE","errnoRet":1}]}')
b=$(make_bundle trace sh -c 'mkdir /tmp/d 2>&1; echo "mkdir=$?"; [ -d /tmp/d ] && echo exists || echo absent')
writable "$b"
set_seccomp "$b" "$p"
runs "$b"
expect_match "TRACE without a tracer: ENOSYS" 'Function not implemented' "$out"
expect_match "TRACE without a tracer: nothing created" 'absent' "$out"

# ---- flags ----
if has_flags SECCOMP_FILTER_FLAG_TSYNC SECCOMP_FILTER_FLAG_LOG SECCOMP_FILTER_FLAG_SPEC_ALLOW; then
  p=$(profile flags '{"defaultAction":"SCMP_ACT_ALLOW","flags":["SECCOMP_FILTER_FLAG_TSYNC","SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW"],"syscalls":[{"names":["sethostname"],"action":"SCMP_ACT_ERRNO"}]}')
  b=$(make_bundle flags sh -c 'grep "^Seccomp:" /proc/self/status; hostname x 2>&1; echo "hostname=$?"')
  set_seccomp "$b" "$p"
  runs "$b"
  expect_eq "flags TSYNC, LOG, SPEC_ALLOW: container runs" 0 "$rc"
  expect_match "flags: filter is on" 'Seccomp:[[:space:]]+2' "$out"
  expect_match "flags: and filters" 'hostname=1' "$out"
else
  skip "flags TSYNC, LOG, SPEC_ALLOW" "$RUNTIME features does not list them in linux.seccomp.supportedFlags"
fi

# ---- bad input is refused, with the field ----
p=$(profile badflag '{"defaultAction":"SCMP_ACT_ALLOW","flags":["SECCOMP_FILTER_FLAG_BOGUS"]}')
b=$(make_bundle badflag true)
set_seccomp "$b" "$p"
runs "$b"
check "unknown flag: run fails" test "$rc" -ne 0
expect_match "unknown flag: the error names it" 'SECCOMP_FILTER_FLAG_BOGUS|flag' "$out"

p=$(profile badarch '{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86","SCMP_ARCH_FOO"]}')
b=$(make_bundle badarch true)
set_seccomp "$b" "$p"
runs "$b"
check "unknown architecture: run fails" test "$rc" -ne 0
expect_match "unknown architecture: the error names it" 'architecture.*FOO' "$out"

p=$(profile badaction '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_FOO"}]}')
b=$(make_bundle badaction true)
set_seccomp "$b" "$p"
runs "$b"
check "unknown action: run fails" test "$rc" -ne 0
expect_match "unknown action: the error names it" 'SCMP_ACT_FOO' "$out"

# ---- exec processes get the same filter ----
p=$(profile exec '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
  {"names":["unshare"],"action":"SCMP_ACT_ERRNO","errnoRet":122}]}')
b=$(make_bundle exec sleep 60)
set_seccomp "$b" "$p"
id=$(next_id)
if rt create --bundle "$b" "$id" </dev/null >/dev/null 2>&1 && rt start "$id" </dev/null >/dev/null 2>&1; then
  out=$(rt exec "$id" sh -c 'grep "^Seccomp:" /proc/self/status; unshare -U true 2>&1; echo "unshare=$?"' </dev/null 2>&1)
  expect_match "exec: the exec'd process is filtered" 'Seccomp:[[:space:]]+2' "$out"
  expect_match "exec: and gets the profile's errno" 'Disk quota exceeded' "$out"
  rt kill "$id" KILL >/dev/null 2>&1
  rt delete -f "$id" >/dev/null 2>&1
else
  not_ok "exec: create and start a filtered container"
fi

# ---- SCMP_ACT_NOTIFY with a seccomp agent ----
AGENT=$T_TMP/seccomp-agent
if cc -O2 -o "$AGENT" "$TESTS_DIR/oci-validation/seccomp-agent.c" 2>"$T_TMP/agent-cc.log"; then
  # run_notify NAME EXTRA_FLAGS_JSON: a container whose mkdir the agent fakes
  run_notify () {
    local name=$1 flags=$2 sock=$T_TMP/$1.sock pid i
    p=$(profile "$name" "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"$sock\",
      \"listenerMetadata\":\"brig-test-metadata\",\"flags\":$flags,
      \"syscalls\":[{\"names\":[\"mkdir\",\"mkdirat\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}")
    b=$(make_bundle "$name" sh -c 'mkdir /x && echo ok; [ -d /x ] && echo exists || echo absent')
    writable "$b"
    set_seccomp "$b" "$p"
    "$AGENT" "$sock" "$T_TMP/$name.state" "$T_TMP/$name.log" 2>"$T_TMP/$name.err" &
    pid=$!
    on_exit "kill $pid"
    for i in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
    id=$(next_id)
    out=$(rt run --bundle "$b" "$id" 2>&1 </dev/null); rc=$?
    for i in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.05; done
    expect_eq "$name: container exit status" 0 "$rc"
    expect_match "$name: mkdir /x gets the agent's success" '^ok' "$out"
    expect_match "$name: and /x does not exist in the container" 'absent' "$out"
    check "$name: nor in the rootfs" test ! -e "$b/rootfs/x"
    expect_match "$name: the agent answered mkdir /x" '^mkdir /x$' "$(cat "$T_TMP/$name.log" 2>/dev/null)"
    local st
    st=$(cat "$T_TMP/$name.state" 2>/dev/null)
    expect_eq "$name: state names the fd seccompFd" '["seccompFd"]' "$(printf '%s' "$st" | jq -c .fds 2>/dev/null)"
    expect_eq "$name: state carries listenerMetadata" 'brig-test-metadata' "$(printf '%s' "$st" | jq -r .metadata 2>/dev/null)"
    expect_eq "$name: state carries the container id" "$id" "$(printf '%s' "$st" | jq -r .state.id 2>/dev/null)"
    expect_match "$name: state has the container pid" '^[1-9][0-9]*$' "$(printf '%s' "$st" | jq -r .pid 2>/dev/null)"
    expect_eq "$name: state has the bundle" "$b" "$(printf '%s' "$st" | jq -r .state.bundle 2>/dev/null)"
  }
  run_notify notify '[]'
  if has_flags SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV; then
    run_notify notify-killable '["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]'
  else
    skip "notify with WAIT_KILLABLE_RECV" "$RUNTIME features does not list SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"
  fi
else
  not_ok "build seccomp-agent.c: $(cat "$T_TMP/agent-cc.log")"
fi

t_done
