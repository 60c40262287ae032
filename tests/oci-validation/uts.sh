#!/bin/bash
# hostname and domainname, as the container sees them.
. "$(dirname "$0")/../lib.sh"
T_BUNDLE_JQ='del(.linux.resources)'   # no cgroup limits on this host

b=$(make_bundle uts sh -c 'hostname; cat /proc/sys/kernel/hostname; cat /proc/sys/kernel/domainname; uname -n')
jq_edit "$b" '.hostname = "brig-test-host" | .domainname = "brig.example"'
out=$(run_ctr "$b" "uts-$T_SFX"); rc=$?
expect_eq "run with hostname and domainname exits 0" 0 "$rc"
expect_eq "hostname (hostname, /proc/sys/kernel/hostname, uname -n)" \
  "brig-test-host brig-test-host brig-test-host" "$(printf '%s\n' "$out" | sed -n '1p;2p;4p' | tr '\n' ' ' | sed 's/ $//')"
needs_newer_than_runc_115 "domainname (/proc/sys/kernel/domainname)" "runc 1.1.5 ignores domainname (runc >= 1.2)" &&
  expect_eq "domainname (/proc/sys/kernel/domainname)" "brig.example" "$(printf '%s\n' "$out" | sed -n 3p)"
expect_eq "the host's hostname is untouched" "$(cat /proc/sys/kernel/hostname)" "$(hostname)"
check "uts leaves nothing" leaves_nothing "uts-$T_SFX" "$b"

# No hostname in the config: the new uts namespace keeps the host's name
# (it is a copy), the host keeps its own.
host_name=$(cat /proc/sys/kernel/hostname)
b=$(make_bundle uts-none cat /proc/sys/kernel/hostname)
jq_edit "$b" 'del(.hostname)'
out=$(run_ctr "$b" "uts-none-$T_SFX"); rc=$?
expect_eq "run without hostname exits 0" 0 "$rc"
expect_eq "no hostname: the uts namespace copy keeps the host's name" "$host_name" "$out"

# A hostname without a private uts namespace is refused (runtime-spec:
# "the runtime MUST generate an error").
b=$(make_bundle uts-shared hostname)
jq_edit "$b" '.linux.namespaces = [.linux.namespaces[] | select(.type != "uts")] | .hostname = "nope"'
run_ctr "$b" "uts-shared-$T_SFX" > /dev/null; rc=$?
if [ "$rc" -ne 0 ]; then ok "hostname without a uts namespace is refused"; else not_ok "hostname without a uts namespace is refused (exit 0)"; fi
expect_eq "the host's hostname is untouched" "$host_name" "$(cat /proc/sys/kernel/hostname)"
check "uts-shared leaves nothing" leaves_nothing "uts-shared-$T_SFX" "$b"

t_done
