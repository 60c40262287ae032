#!/bin/bash
# process: args, env, cwd, user (uid/gid/additionalGids), umask, rlimits,
# noNewPrivileges, oomScoreAdj -- read back from /proc inside the container.
. "$(dirname "$0")/../lib.sh"
T_BUNDLE_JQ='del(.linux.resources)'   # no cgroup limits on this host

val () { printf '%s\n' "$1" | awk -v k="$2" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }'; }
status_field () { printf '%s\n' "$1" | awk -v k="$2:" '$1 == k { $1 = ""; sub(/^ +/, ""); print; exit }'; }

# --- args, env, cwd ------------------------------------------------------
b=$(make_bundle args sh -c 'printf "%s|" "$0" "$@"; echo
  echo "cmdline $(tr "\0" "|" < /proc/1/cmdline)"
  echo "cwd $(pwd) $(readlink /proc/1/cwd)"
  echo "env-begin"; tr "\0" "\n" < /proc/1/environ; echo "env-end"' arg0 'a b' '' 'c"d' "line1
line2")
jq_edit "$b" '.process.env = ["PATH=/usr/bin:/bin", "FOO=bar baz", "EMPTY=", "WITH_EQ=a=b", "HOME=/root"] | .process.cwd = "/home"'
out=$(run_ctr "$b" "args-$T_SFX"); rc=$?
expect_eq "run exits 0" 0 "$rc"
expect_eq "args reach the program verbatim (\$0 and \$@)" 'arg0|a b||c"d|line1' "$(printf '%s\n' "$out" | head -n 1)"
expect_match "/proc/1/cmdline is process.args" '^sh\|-c\|printf ' "$(val "$out" cmdline)"
env_out=$(printf '%s\n' "$out" | sed -n '/^env-begin$/,/^env-end$/p' | sed '1d;$d' | sort | tr '\n' ' ')
expect_eq "environment is exactly process.env" "EMPTY= FOO=bar baz HOME=/root PATH=/usr/bin:/bin WITH_EQ=a=b " "$env_out"
expect_eq "cwd (pwd and /proc/1/cwd)" "/home /home" "$(val "$out" cwd)"
check "args leaves nothing" leaves_nothing "args-$T_SFX" "$b"

# HOME is added from the rootfs /etc/passwd when process.env lacks it
b=$(make_bundle home sh -c 'tr "\0" "\n" < /proc/1/environ | grep "^HOME="')
jq_edit "$b" '.process.env = ["PATH=/bin"] | .process.user = {"uid": 1000, "gid": 1000}'
expect_eq "HOME from /etc/passwd when process.env has none" "HOME=/home" "$(run_ctr "$b" "home-$T_SFX")"

# --- user ---------------------------------------------------------------
b=$(make_bundle user sh -c 'echo "id $(id)"; grep -E "^(Uid|Gid|Groups):" /proc/self/status; echo "umask $(umask)"
  touch /tmp/f; echo "fmode $(stat -c %a /tmp/f)"')
jq_edit "$b" '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [1001, 2000], "umask": 63}
  | .mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["mode=1777", "size=64k"]}]'
out=$(run_ctr "$b" "user-$T_SFX"); rc=$?
expect_eq "run as uid 1000 exits 0" 0 "$rc"
expect_eq "id: uid, gid and additional groups" "uid=1000(test) gid=1000(test) groups=1001(extra),2000" "$(val "$out" id)"
expect_eq "/proc/self/status Uid (real effective saved fs)" "1000 1000 1000 1000" "$(status_field "$out" Uid | tr -s ' \t' '  ')"
expect_eq "/proc/self/status Gid" "1000 1000 1000 1000" "$(status_field "$out" Gid | tr -s ' \t' '  ')"
expect_eq "/proc/self/status Groups = additionalGids" "1001 2000" "$(status_field "$out" Groups | tr -s ' \t' '  ' | sed 's/ $//')"
expect_eq "umask 0077 (user.umask 63)" "0077" "$(val "$out" umask)"
expect_eq "a new file gets mode 600 under umask 0077" "600" "$(val "$out" fmode)"
check "user leaves nothing" leaves_nothing "user-$T_SFX" "$b"

b=$(make_bundle user2 sh -c 'echo "id $(id)"; grep "^Groups:" /proc/self/status; echo "umask $(umask)"')
jq_edit "$b" '.process.user = {"uid": 4242, "gid": 4343}'
out=$(run_ctr "$b" "user2-$T_SFX")
expect_match "uid/gid without a passwd entry" '^uid=4242 gid=4343( |$)' "$(val "$out" id)"
expect_eq "no additionalGids: no supplementary groups" "" "$(status_field "$out" Groups | tr -d ' \t')"
expect_eq "default umask 0022" "0022" "$(val "$out" umask)"

# --- noNewPrivileges, oomScoreAdj (raised only: lowering it below the
# current value needs CAP_SYS_RESOURCE, which the test host lacks) ----
b=$(make_bundle nnp sh -c 'grep "^NoNewPrivs:" /proc/self/status; echo "oom $(cat /proc/self/oom_score_adj)"')
jq_edit "$b" '.process.noNewPrivileges = true | .process.oomScoreAdj = 123'
out=$(run_ctr "$b" "nnp-$T_SFX")
expect_eq "noNewPrivileges=true: NoNewPrivs 1" 1 "$(status_field "$out" NoNewPrivs)"
expect_eq "oomScoreAdj 123" 123 "$(val "$out" oom)"
b=$(make_bundle nnp0 sh -c 'grep "^NoNewPrivs:" /proc/self/status; echo "oom $(cat /proc/self/oom_score_adj)"')
jq_edit "$b" '.process.noNewPrivileges = false | .process.oomScoreAdj = 7'
out=$(run_ctr "$b" "nnp0-$T_SFX")
expect_eq "noNewPrivileges=false: NoNewPrivs 0" 0 "$(status_field "$out" NoNewPrivs)"
expect_eq "oomScoreAdj 7" 7 "$(val "$out" oom)"
check "nnp0 leaves nothing" leaves_nothing "nnp0-$T_SFX" "$b"

# --- rlimits -------------------------------------------------------------
hard=$(ulimit -Hn)
[ "$hard" = unlimited ] && hard=1048576
soft_want=$(( hard / 4 )); hard_want=$(( hard / 2 ))
[ "$soft_want" -gt 0 ] || soft_want=1
b=$(make_bundle rlim sh -c 'grep -E "^Max (open files|core file size|pending signals)" /proc/self/limits; echo "ulimit-n $(ulimit -n)"')
jq_edit "$b" ".process.rlimits = [
  {\"type\": \"RLIMIT_NOFILE\", \"soft\": $soft_want, \"hard\": $hard_want},
  {\"type\": \"RLIMIT_CORE\", \"soft\": 0, \"hard\": 4096},
  {\"type\": \"RLIMIT_SIGPENDING\", \"soft\": 77, \"hard\": 88}]"
out=$(run_ctr "$b" "rlim-$T_SFX"); rc=$?
expect_eq "run with rlimits exits 0" 0 "$rc"
[ "$rc" -eq 0 ] || echo "# stderr: $(err_of "rlim-$T_SFX")"
expect_eq "RLIMIT_NOFILE soft/hard ($soft_want/$hard_want, host hard $hard)" "$soft_want $hard_want" \
  "$(printf '%s\n' "$out" | awk '/^Max open files/ { print $4, $5 }')"
expect_eq "ulimit -n shows the soft limit" "$soft_want" "$(val "$out" ulimit-n)"
expect_eq "RLIMIT_CORE 0/4096" "0 4096" "$(printf '%s\n' "$out" | awk '/^Max core file size/ { print $5, $6 }')"
expect_eq "RLIMIT_SIGPENDING 77/88" "77 88" "$(printf '%s\n' "$out" | awk '/^Max pending signals/ { print $4, $5 }')"
check "rlim leaves nothing" leaves_nothing "rlim-$T_SFX" "$b"

# Raising a hard limit needs CAP_SYS_RESOURCE (bit 24); without it in the
# bounding set (as on the test host) the runtime must fail, not ignore it.
bnd=$(awk '/^CapBnd:/ { print $2 }' /proc/self/status)
if [ "$(( 0x$bnd >> 24 & 1 ))" -eq 0 ] && [ "$(ulimit -Hn)" != unlimited ]; then
  b=$(make_bundle rlim-up true)
  jq_edit "$b" ".process.rlimits = [{\"type\": \"RLIMIT_NOFILE\", \"soft\": $(( hard + 1000 )), \"hard\": $(( hard + 1000 ))}]"
  run_ctr "$b" "rlim-up-$T_SFX" > /dev/null; rc=$?
  if [ "$rc" -ne 0 ]; then ok "rlimit above the hard limit without CAP_SYS_RESOURCE fails"; else not_ok "rlimit above the hard limit without CAP_SYS_RESOURCE fails (exit 0)"; fi
  check "rlim-up leaves nothing" leaves_nothing "rlim-up-$T_SFX" "$b"
else
  skip "rlimit above the hard limit fails" "CAP_SYS_RESOURCE is in the bounding set here"
fi

b=$(make_bundle rlim-bad true)
jq_edit "$b" '.process.rlimits = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]'
run_ctr "$b" "rlim-bad-$T_SFX" > /dev/null; rc=$?
if [ "$rc" -ne 0 ]; then ok "unknown rlimit type is refused"; else not_ok "unknown rlimit type is refused (exit 0)"; fi
check "rlim-bad leaves nothing" leaves_nothing "rlim-bad-$T_SFX" "$b"

t_done
