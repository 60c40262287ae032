#!/bin/bash
# The bad-input table of docs/bad-input.md, one row per check: each class
# of bad input, what brig answers.  Every refusal must be a non-zero exit
# with a one-line `brig: ...` error that matches the row's pattern, no
# crash (no signal exit), and nothing left under --root.  Rows marked
# "runs" must succeed.  (tests/integration/bad-input.sh has the
# runc-compatible message checks; this file is the table.)
# A naive runtime fails the rows that crash or hang it: e.g. brig before
# the depth limit died of SIGSEGV on "deeply nested JSON" (exit 139).
. "$(dirname "$0")/../lib.sh"
T_BUNDLE_JQ='del(.linux.resources)'

base=$(make_bundle base true)
n=0
keep=""   # containers kept across rows (kill and exec targets)
# row CLASS WHAT EXPECT PATTERN -- CMD...: run CMD (a runtime command line
# or a shell function), judge it.  EXPECT is "refused" or "runs".
row () {
  local class=$1 what=$2 expect=$3 pat=$4; shift 5
  local out=$T_TMP/row$n.out errf=$T_TMP/row$n.err rc
  n=$((n + 1))
  ID=id$n timeout 60 bash -c '"$@"' row "$@" < /dev/null > "$out" 2> "$errf"; rc=$?
  local err; err=$(grep -v '^$' "$errf")
  if [ $rc -eq 124 ]; then not_ok "$class: $what: hung (timeout)"; return; fi
  if [ $rc -gt 128 ] && [ $rc -ne 255 ]; then not_ok "$class: $what: killed by signal $((rc - 128))"; return; fi
  if [ "$expect" = runs ]; then
    if [ $rc -eq 0 ]; then ok "$class: $what: runs"; else not_ok "$class: $what: runs (exit $rc: $(head -1 "$errf"))"; fi
  else
    if [ $rc -eq 0 ]; then not_ok "$class: $what: refused (exit 0)"
    elif [ "$(printf '%s\n' "$err" | grep -c .)" -ne 1 ]; then not_ok "$class: $what: one-line error (got: $(printf '%s' "$err" | head -3 | tr '\n' '|'))"
    elif ! printf '%s' "$err" | grep -Eq -- "$pat"; then not_ok "$class: $what: /$pat/ (got: $err)"
    else ok "$class: $what: $err"; fi
  fi
  # nothing left behind by the row (the containers it made are deleted)
  local d
  for d in "$T_ROOT"/*/; do
    [ -d "$d" ] || continue
    case " $keep " in *" $(basename "$d") "*) continue ;; esac
    rt delete -f "$(basename "$d")" > /dev/null 2>&1
  done
}
# cfg NAME FILTER: a copy of the base bundle with FILTER applied
cfg () { local b=$T_TMP/c-$1; rm -rf "$b"; mkdir -p "$b"; ln -s "$base/rootfs" "$b/rootfs"; jq "$2" "$base/config.json" > "$b/config.json"; echo "$b"; }
raw () { local b=$T_TMP/c-$1; rm -rf "$b"; mkdir -p "$b"; ln -s "$base/rootfs" "$b/rootfs"; cat > "$b/config.json"; echo "$b"; }
create () { rt create --bundle "$1" "$ID" && rt delete -f "$ID"; }
run () { rt run --bundle "$1" "$ID"; }
export -f rt create run
export RUNTIME T_ROOT
# pyset NAME PYTHON-EXPR: like cfg, for values too big for a jq command line
pyset () { local b=$T_TMP/c-$1; rm -rf "$b"; mkdir -p "$b"; ln -s "$base/rootfs" "$b/rootfs"
  python3 -c "import json,sys; c=json.load(open(sys.argv[1])); $2; json.dump(c, open(sys.argv[2], 'w'))" "$base/config.json" "$b/config.json"; echo "$b"; }

# ---- malformed JSON ----
b=$(printf '{"ociVersion": "1.0.2", "process": {' | raw trunc);            row json "truncated config" refused 'invalid JSON' -- create "$b"
b=$(printf '' | raw empty);                                                row json "empty config.json" refused 'invalid JSON' -- create "$b"
b=$(printf '{"a":1}\0{"b":2}' | raw nul);                                  row json "NUL byte inside" refused 'NUL byte' -- create "$b"
b=$(head -c 4096 /dev/urandom | raw garbage);                              row json "4 KB of random bytes" refused 'invalid JSON' -- create "$b"
b=$(printf '[1,2,3]' | raw array);                                         row json "top level is an array" refused 'expected object' -- create "$b"
b=$(python3 -c "print('['*1000000 + ']'*1000000)" | raw deep);             row json "deeply nested (1 M levels)" refused 'nested deeper' -- create "$b"
b=$(jq -c '. + {"extra": {"x": [1, {"y": null}]}}' "$base/config.json" | raw unknown); row json "unknown fields" runs '' -- run "$b"
b=$(printf '{"ociVersion":"1.0.2","ociVersion":"2.0"}' | raw dupkey);      row json "duplicate keys (first wins, then checked)" refused 'process|root|ociVersion' -- create "$b"
b=$(printf '%s' "$(cat "$base/config.json")" | sed 's/"ociVersion"/"ociVersion\\u0000"/' | raw nulesc); row json "\\u0000 in a key" refused 'u0000' -- create "$b"
# ---- wrong types ----
b=$(cfg t1 '.process.args = ["sh", 1]');                                   row types "process.args[1] a number" refused 'process\.args\[1\]' -- create "$b"
b=$(cfg t2 '.root = "rootfs"');                                            row types "root a string" refused 'root: expected object' -- create "$b"
b=$(cfg t3 '.process.user.uid = "0"');                                     row types "process.user.uid a string" refused 'process\.user\.uid' -- create "$b"
b=$(cfg t4 '.linux.namespaces = {"type": "pid"}');                         row types "linux.namespaces an object" refused 'linux\.namespaces' -- create "$b"
b=$(cfg t5 '.mounts[0].options = "nosuid"');                               row types "mounts[0].options a string" refused 'mounts\[0\]\.options' -- create "$b"
b=$(cfg t6 '.annotations = {"a": 1}');                                     row types "annotation value a number" refused 'annotations' -- create "$b"
b=$(cfg t7 '.process.terminal = "yes"');                                   row types "process.terminal a string" refused 'process\.terminal' -- create "$b"
b=$(cfg t8 '.process.user.uid = 1.5');                                     row types "process.user.uid 1.5" refused 'process\.user\.uid' -- create "$b"
# ---- huge values ----
b=$(cfg h1 '.process.user.uid = 4294967296');                              row huge "uid 2^32" refused 'out of range' -- create "$b"
b=$(cfg h2 '.process.user.uid = -1');                                      row huge "uid -1" refused 'non-negative' -- create "$b"
b=$(cfg h3 '.process.oomScoreAdj = 5000');                                 row huge "oomScoreAdj 5000" refused 'oomScoreAdj' -- create "$b"
b=$(cfg h4 '.process.user.uid = 1e400');                                   row huge "uid 1e400" refused 'process\.user\.uid' -- create "$b"
b=$(pyset h5 "c['process']['rlimits'] = [{'type': 'RLIMIT_NOFILE', 'soft': 2**64, 'hard': 1}]"); row huge "rlimit 2^64" refused 'rlimits.*out of range' -- create "$b"
b=$(pyset h6 "c['annotations'] = {'big': 'x' * 3000000}"); row huge "3 MB annotation" runs '' -- run "$b"
b=$(cfg h7 '.process.consoleSize = {"height": 4294967295, "width": 4294967295} | .process.terminal = false'); row huge "consoleSize 2^32-1 without a terminal" runs '' -- run "$b"
big=$T_TMP/c-huge; mkdir -p "$big"; ln -sf "$base/rootfs" "$big/rootfs"
head -c $((70 << 20)) /dev/zero | tr '\0' ' ' > "$big/config.json"
row huge "70 MB config.json (over the 64 MB limit)" refused 'config|too (large|big)|File too large' -- create "$big"
rm -f "$big/config.json"
# ---- absurd rlimits ----
b=$(cfg r1 '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 10, "hard": 5}]'); row rlimits "soft above hard" refused 'soft limit' -- create "$b"
b=$(cfg r2 '.process.rlimits = [{"type": "RLIMIT_FOO", "soft": 1, "hard": 1}]'); row rlimits "unknown type" refused 'unknown rlimit' -- create "$b"
b=$(cfg r3 '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 9223372036854775807, "hard": 9223372036854775807}]'); row rlimits "RLIMIT_NOFILE 2^63-1 (above nr_open)" refused 'RLIMIT_NOFILE' -- create "$b"
b=$(cfg r4 '.process.rlimits = [range(40) | {"type": "RLIMIT_CORE", "soft": 1, "hard": 1}]'); row rlimits "40 entries" refused 'too many' -- create "$b"
b=$(cfg r5 '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 0, "hard": 0}] | .process.args = ["true"]'); row rlimits "RLIMIT_NOFILE 0 (nothing can be opened)" runs '' -- run "$b"
b=$(pyset r6 "c['process']['rlimits'] = [{'type': 'RLIMIT_CPU', 'soft': 2**64 - 1, 'hard': 2**64 - 1}]"); row rlimits "RLIMIT_CPU unlimited (2^64-1)" runs '' -- run "$b"
# ---- many mounts, big args ----
b=$(cfg m1 '.mounts += [range(10000) | {"destination": "/tmp/m\(.)", "type": "tmpfs", "source": "tmpfs", "options": ["size=4k"]}] | .root.readonly = false')
row mounts "10 000 tmpfs mounts" runs '' -- run "$b"
b=$(cfg m2 '.mounts += [range(10000) | {"destination": "/tmp/m\(.)", "type": "bogusfs", "source": "x"}] | .root.readonly = false')
row mounts "10 000 mounts, the first one of an unknown type" refused 'mounts\[[0-9]+\]' -- create "$b"
b=$(cfg m3 '.mounts += [{"destination": "/tmp/x", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m,mode=755"]}]'); row mounts "an option with a comma" refused 'invalid mount option' -- create "$b"
b=$(cfg m4 '.mounts += [{"destination": "tmp/x", "type": "tmpfs", "source": "tmpfs"}]'); row mounts "relative destination" refused 'destination' -- create "$b"
b=$(cfg m5 ".mounts += [{\"destination\": \"/$(head -c 5000 /dev/zero | tr '\0' a)\", \"type\": \"tmpfs\", \"source\": \"tmpfs\"}]"); row mounts "5000-byte destination component" refused 'mounts\[[0-9]+\]' -- create "$b"
b=$(pyset a1 "c['process']['args'] = ['/bin/sh', '-c', ': \$0', 'a' * 1048576]"); row args "one 1 MB argument (over MAX_ARG_STRLEN)" refused 'exec|argument list too long|E2BIG' -- run "$b"
b=$(cfg a2 '.process.args = ["/bin/sh", "-c", "exit 0"] + [range(1024) | "a" * 1000]'); row args "1 MB of arguments in 1024 pieces" runs '' -- run "$b"
b=$(cfg a3 '.process.env = [range(20000) | "V\(.)=x"]'); row args "20 000 environment variables" runs '' -- run "$b"
b=$(cfg a4 '.process.args = []');                                          row args "empty process.args" refused 'process\.args' -- create "$b"
b=$(cfg a5 '.process.args = ["/nonexistent"]');                             row args "missing executable" refused 'nonexistent' -- run "$b"
# ---- invalid ids ----
for id in "" ".." "a/b" "$(printf 'a\nb')" "." "$(head -c 2000 /dev/zero | tr '\0' a)" "a b" "*"; do
  row ids "id '$(printf '%q' "$id" | head -c 40)'" refused 'container id' -- rt create --bundle "$base" -- "$id"
done
row ids "state of a missing container" refused 'does not exist' -- rt state nosuch
row ids "delete of a missing container" refused 'does not exist' -- rt delete nosuch
# ---- signals ----
rt_create "$base" sigt > /dev/null 2>&1; keep="sigt"
for s in SIGFOO 0x9 99 -1 "" KILLL 65; do
  row signals "kill '$s'" refused 'signal' -- rt kill sigt "$s"
done
row signals "kill SIGRTMAX (a real signal)" runs '' -- rt kill sigt SIGRTMAX
rt delete -f sigt > /dev/null 2>&1; keep=""
# ---- console socket ----
bt=$(cfg s1 '.process.terminal = true')
row console "--console-socket to a missing path" refused 'console' -- rt create --console-socket "$T_TMP/nope.sock" --bundle "$bt" cs1
python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$T_TMP/stale.sock"
row console "--console-socket to a stale socket (nobody listening)" refused 'console|refused' -- rt create --console-socket "$T_TMP/stale.sock" --bundle "$bt" cs2
touch "$T_TMP/regular"
row console "--console-socket to a regular file" refused 'console' -- rt create --console-socket "$T_TMP/regular" --bundle "$bt" cs3
row console "terminal without --console-socket (detached)" refused 'console-socket' -- rt create --bundle "$bt" cs4
# ---- other ----
row other "--preserve-fds -1" refused 'preserve-fds' -- rt create --preserve-fds -1 --bundle "$base" pf1
row other "--preserve-fds 100000" refused 'preserve-fds' -- rt create --preserve-fds 100000 --bundle "$base" pf2
row other "--pid-file in a missing directory" refused 'pid-file' -- rt create --pid-file "$T_TMP/no/such/pid" --bundle "$base" pidf
row other "missing bundle" refused 'bundle|No such file' -- rt create --bundle "$T_TMP/nosuchbundle" nb
b=$(cfg o1 '.root.path = "nosuchroot"');                                   row other "root.path missing" refused 'root\.path' -- create "$b"
b=$(cfg o2 '.linux.namespaces += [{"type": "bogus"}]');                     row other "unknown namespace type" refused 'namespaces' -- create "$b"
b=$(cfg o3 '.linux.namespaces += [{"type": "pid"}]');                       row other "duplicate namespace" refused 'duplicate' -- create "$b"
b=$(cfg o4 '(.linux.namespaces[] | select(.type == "network")) |= {"type": "network", "path": "/nonexistent/ns"}'); row other "namespace path missing" refused 'namespace|nonexistent' -- create "$b"
b=$(cfg o5 '.linux.sysctl = {"kernel.panic": "1"}');                       row other "non-namespaced sysctl" refused 'sysctl' -- create "$b"
b=$(cfg o6 '.linux.sysctl = {"../../etc/passwd": "x"}');                    row other "sysctl key with .." refused 'sysctl' -- create "$b"
b=$(cfg o7 '.linux.devices = [{"path": "/dev/x", "type": "q", "major": 1, "minor": 1}]'); row other "device of unknown type" refused 'devices' -- create "$b"
b=$(cfg o8 '.linux.seccomp = {"defaultAction": "SCMP_ACT_BOGUS"}');       row other "unknown seccomp action" refused 'seccomp' -- create "$b"
b=$(cfg o9 '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_NOPE"]}'); row other "unknown seccomp arch" refused 'seccomp' -- create "$b"
b=$(cfg o10 '.hooks = {"prestart": [{"path": "/nonexistent/hook"}]}');      row other "missing hook binary" refused 'hook|prestart' -- create "$b"
b=$(cfg o11 '.ociVersion = "2.0.0"');                                       row other "ociVersion 2.0.0" refused 'ociVersion' -- create "$b"
b=$(cfg o12 '.process.capabilities.bounding += ["CAP_BOGUS"]');             row other "unknown capability" refused 'CAP_BOGUS|capabilit' -- create "$b"
b=$(cfg o13 '.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 0}] | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 1}] | .linux.namespaces += [{"type": "user"}]'); row other "uid mapping of size 0" refused 'uidMappings|uid_map|mapping' -- create "$b"
rt_create "$base" ex1 > /dev/null 2>&1; keep="ex1"
row other "exec --user abc" refused 'user' -- rt exec --user abc ex1 true
row other "exec --user 1:2:3" refused 'user' -- rt exec --user 1:2:3 ex1 true
row other "exec --user 99999999999" refused 'user' -- rt exec --user 99999999999 ex1 true
rt delete -f ex1 > /dev/null 2>&1; keep=""
# a corrupted state.json: state refuses, delete --force cleans
rt_create "$base" corrupt > /dev/null 2>&1; keep="corrupt"
cpid=$(state_of corrupt .pid)
printf '{"id": "corrupt", "status": ' > "$T_ROOT/corrupt/state.json"
row state "corrupted state.json: state" refused 'state\.json' -- rt state corrupt
keep=""
row state "corrupted state.json: delete --force" runs '' -- rt delete -f corrupt
check "corrupted state.json: nothing left under --root" root_is_empty
# with its record gone brig cannot know the parked init any more (there is
# no cgroup on this host to find it by): the test reaps it
[ -n "$cpid" ] && [ "$cpid" != 0 ] && kill -9 "$cpid" 2>/dev/null
t_done
