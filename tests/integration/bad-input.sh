#!/bin/bash
# Bad input: every case exits non-zero with a one-line error on stderr and
# leaves nothing behind (no dir under --root, no mount under the bundle, no
# process).  Message checks that runc shares apply to every runtime; brig's
# own wording (`brig: <message>`, JSON paths like process.args[1]) is checked
# only when RUNTIME is brig.
. "$(dirname "$0")/../lib.sh"
T_BUNDLE_JQ='del(.linux.resources)'   # no cgroup limits on this host

n=0
# try_create NAME ID [FILTER]: a bundle running `true`, edited by FILTER,
# then `create`.  Sets $b, $rc, $err.
try_create () {
  local name=$1 id=$2 filter=${3:-}
  n=$((n + 1))
  b=$(make_bundle "$name" true)
  [ -z "$filter" ] || jq_edit "$b" "$filter"
  rt create --bundle "$b" "$id" < /dev/null > "$T_TMP/bad$n.out" 2> "$T_TMP/bad$n.err"; rc=$?
  err=$(cat "$T_TMP/bad$n.err")
}
# try_cmd ARGS...: a runtime command.  Sets $rc, $err.
try_cmd () {
  n=$((n + 1))
  rt "$@" < /dev/null > "$T_TMP/bad$n.out" 2> "$T_TMP/bad$n.err"; rc=$?
  err=$(cat "$T_TMP/bad$n.err")
}
lines () { printf '%s\n' "$1" | grep -c .; }
# expect_refused WHAT ID [BUNDLE]: non-zero, one stderr line, nothing left.
expect_refused () {
  local what=$1 id=$2 bb=${3:-}
  if [ "$rc" -ne 0 ]; then ok "$what: non-zero exit ($rc)"; else not_ok "$what: non-zero exit (got 0)"; fi
  expect_eq "$what: one-line error on stderr" 1 "$(lines "$err")"
  [ "$(lines "$err")" -eq 1 ] || printf '%s\n' "$err" | head -n 5 | sed 's/^/# stderr: /'
  if brig_only "$what: error is 'brig: <message>'"; then expect_match "$what: error is 'brig: <message>'" '^brig: .+' "$err"; fi
  check "$what: nothing under --root" root_is_empty
  check "$what: leaves nothing" leaves_nothing "$id" "$bb"
}
# message WHAT REGEX: the stderr matches (every runtime)
message () { expect_match "$1: message" "$2" "$err"; }
# brig_message WHAT REGEX: the stderr matches (brig's wording only)
brig_message () { brig_only "$1: brig message" && expect_match "$1: brig message" "$2" "$err"; }

# --- config.json problems ----------------------------------------------
id="bad-json-$T_SFX"
b=$(make_bundle bad-json true)
printf '{"ociVersion": "1.0.2", "process": {' > "$b/config.json"
try_cmd create --bundle "$b" "$id"
expect_refused "malformed JSON" "$id" "$b"

id="bad-args-$T_SFX"
try_create bad-args "$id" '.process.args = ["sh", 1]'
expect_refused "process.args containing a number" "$id" "$b"
message "process.args containing a number" 'args'
brig_message "process.args containing a number" 'process\.args\[1\]'

id="bad-root-$T_SFX"
try_create bad-root "$id" '.root = "rootfs"'
expect_refused "root is a string" "$id" "$b"
message "root is a string (names root)" 'root'

id="bad-nover-$T_SFX"
if is_runc; then
  skip "missing ociVersion is refused" "runc accepts a config without ociVersion (runtime-spec: REQUIRED)"
else
  try_create bad-nover "$id" 'del(.ociVersion)'
  expect_refused "missing ociVersion" "$id" "$b"
  message "missing ociVersion" 'ociVersion'
fi

id="bad-norootfs-$T_SFX"
try_create bad-norootfs "$id" '.root.path = "no-such-rootfs"'
expect_refused "missing rootfs directory" "$id" "$b"
message "missing rootfs directory" 'no-such-rootfs'

id="bad-ns-$T_SFX"
try_create bad-ns "$id" '.linux.namespaces[0].type = "foo"'
expect_refused "unknown namespace type" "$id" "$b"
message "unknown namespace type" 'foo|linux\.namespaces\[0\]\.type'

id="bad-noprog-$T_SFX"
try_create bad-noprog "$id" '.process.args = ["brig-no-such-program"]'
expect_refused "program not in \$PATH" "$id" "$b"
message "program not in \$PATH" 'executable file not found in \$PATH'
message "program not in \$PATH (names it)" 'brig-no-such-program'

id="bad-noprog2-$T_SFX"
try_create bad-noprog2 "$id" '.process.args = ["/no/such/program"]'
expect_refused "program path missing" "$id" "$b"
message "program path missing" '[Nn]o such file or directory'

# --- container ids -----------------------------------------------------
b=$(make_bundle bad-id true)
for case in "slash:a/b-$T_SFX" "dotdot:.." "dotdot2:../x$T_SFX" "empty:"; do
  what=${case%%:*} id=${case#*:}
  try_cmd create --bundle "$b" "$id"
  expect_refused "container id '$id' ($what)" "$id" "$b"
  check "container id '$id': nothing made outside the --root" test ! -e "$T_TMP/x$T_SFX"
done
if needs_newer_than_runc_115 "container id starting with '.'" "runc 1.1.5 accepts ids starting with '.' (later runc and crun 1.28 refuse: [a-zA-Z0-9_+-][a-zA-Z0-9_+.-]*)"; then
  try_cmd create --bundle "$b" ".dot$T_SFX"
  expect_refused "container id starting with '.'" ".dot$T_SFX" "$b"
fi

# --- duplicate id ------------------------------------------------------
id="bad-dup-$T_SFX"
b=$(make_bundle bad-dup sleep 1000)
rt_create "$b" "$id"
expect_eq "first create of the id exits 0" 0 "$?"
try_cmd create --bundle "$b" "$id"
if [ "$rc" -ne 0 ]; then ok "duplicate id: non-zero exit"; else not_ok "duplicate id: non-zero exit (got 0)"; fi
expect_eq "duplicate id: one-line error" 1 "$(lines "$err")"
message "duplicate id" 'container with given ID already exists'
expect_eq "duplicate id: the first container is untouched" created "$(status_of "$id")"

# --- kill with a bad signal, delete of a running container ---------------
rt start "$id"
try_cmd kill "$id" FOO
if [ "$rc" -ne 0 ]; then ok "kill with unknown signal FOO: non-zero exit"; else not_ok "kill with unknown signal FOO: non-zero exit (got 0)"; fi
expect_eq "kill with unknown signal: one-line error" 1 "$(lines "$err")"
message "kill with unknown signal" 'FOO'
expect_eq "kill with unknown signal: container still running" running "$(status_of "$id")"
try_cmd kill "$id" 99999
if [ "$rc" -ne 0 ]; then ok "kill with signal number 99999: non-zero exit"; else not_ok "kill with signal number 99999: non-zero exit (got 0)"; fi
expect_eq "kill with a bad signal number: container still running" running "$(status_of "$id")"
try_cmd delete "$id"
if [ "$rc" -ne 0 ]; then ok "delete of a running container without --force: non-zero exit"; else not_ok "delete of a running container without --force: non-zero exit (got 0)"; fi
expect_eq "delete of a running container: one-line error" 1 "$(lines "$err")"
message "delete of a running container" 'running'
expect_eq "delete without --force: container still running" running "$(status_of "$id")"
rt delete --force "$id"
check "bad-dup leaves nothing" leaves_nothing "$id" "$b"
check "nothing under --root after the duplicate-id case" root_is_empty

# --- commands on a missing id -----------------------------------------
for cmd in start kill delete state; do
  try_cmd $cmd "bad-missing-$T_SFX"
  if [ "$rc" -ne 0 ]; then ok "$cmd of a missing id: non-zero exit"; else not_ok "$cmd of a missing id: non-zero exit (got 0)"; fi
  expect_eq "$cmd of a missing id: one-line error" 1 "$(lines "$err")"
  message "$cmd of a missing id" 'does not exist'
  if brig_only "$cmd of a missing id: 'brig: <message>'"; then expect_match "$cmd of a missing id: 'brig: <message>'" '^brig: ' "$err"; fi
done
check "nothing under --root at the end" root_is_empty

t_done
