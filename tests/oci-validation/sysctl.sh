#!/bin/bash
# linux.sysctl: namespaced sysctls are set in the container's namespaces and
# read back; non-namespaced ones (and net.* without a private netns) are
# refused at create with a non-zero exit, leaving the host untouched.
. "$(dirname "$0")/../lib.sh"
T_BUNDLE_JQ='del(.linux.resources)'   # no cgroup limits on this host

host_fwd=$(cat /proc/sys/net/ipv4/ip_forward)
host_shmmax=$(cat /proc/sys/kernel/shmmax)
host_swap=$(cat /proc/sys/vm/swappiness)
want_fwd=$(( 1 - host_fwd ))

b=$(make_bundle sysctl sh -c 'echo "fwd $(cat /proc/sys/net/ipv4/ip_forward)"; echo "shmmax $(cat /proc/sys/kernel/shmmax)"; echo "ping $(cat /proc/sys/net/ipv4/ping_group_range)"')
jq_edit "$b" ".linux.sysctl = {\"net.ipv4.ip_forward\": \"$want_fwd\", \"kernel.shmmax\": \"123456789\", \"net.ipv4.ping_group_range\": \"0 2147483647\"}"
out=$(run_ctr "$b" "sysctl-$T_SFX"); rc=$?
expect_eq "run with namespaced sysctls exits 0" 0 "$rc"
[ "$rc" -eq 0 ] || echo "# stderr: $(err_of "sysctl-$T_SFX")"
expect_eq "net.ipv4.ip_forward=$want_fwd in the new netns" "fwd $want_fwd" "$(printf '%s\n' "$out" | grep '^fwd ')"
expect_eq "kernel.shmmax in the new ipc ns" "shmmax 123456789" "$(printf '%s\n' "$out" | grep '^shmmax ')"
expect_match "net.ipv4.ping_group_range (value with a space)" '^ping 0[[:space:]]+2147483647$' "$(printf '%s\n' "$out" | grep '^ping ')"
expect_eq "host net.ipv4.ip_forward untouched" "$host_fwd" "$(cat /proc/sys/net/ipv4/ip_forward)"
expect_eq "host kernel.shmmax untouched" "$host_shmmax" "$(cat /proc/sys/kernel/shmmax)"
check "sysctl leaves nothing" leaves_nothing "sysctl-$T_SFX" "$b"

# not namespaced: refused at create
b=$(make_bundle sysctl-swap true)
jq_edit "$b" ".linux.sysctl = {\"vm.swappiness\": \"$(( host_swap == 10 ? 11 : 10 ))\"}"
rt_create "$b" "sysctl-swap-$T_SFX"; rc=$?
if [ "$rc" -ne 0 ]; then ok "non-namespaced vm.swappiness refused at create"; else not_ok "non-namespaced vm.swappiness refused at create (exit 0)"; fi
expect_match "the error names the sysctl" 'vm\.swappiness' "$(err_of "sysctl-swap-$T_SFX")"
expect_eq "host vm.swappiness untouched" "$host_swap" "$(cat /proc/sys/vm/swappiness)"
check "sysctl-swap leaves nothing" leaves_nothing "sysctl-swap-$T_SFX" "$b"

# net.* in the host's network namespace: refused
b=$(make_bundle sysctl-hostnet true)
jq_edit "$b" ".linux.namespaces = [.linux.namespaces[] | select(.type != \"network\")] | .linux.sysctl = {\"net.ipv4.ip_forward\": \"$want_fwd\"}"
rt_create "$b" "sysctl-hostnet-$T_SFX"; rc=$?
if [ "$rc" -ne 0 ]; then ok "net.* sysctl without a private netns refused"; else not_ok "net.* sysctl without a private netns refused (exit 0)"; fi
expect_eq "host net.ipv4.ip_forward untouched" "$host_fwd" "$(cat /proc/sys/net/ipv4/ip_forward)"
check "sysctl-hostnet leaves nothing" leaves_nothing "sysctl-hostnet-$T_SFX" "$b"

# an unknown sysctl: refused
b=$(make_bundle sysctl-bogus true)
jq_edit "$b" '.linux.sysctl = {"net.ipv4.brig_no_such_sysctl": "1"}'
rt_create "$b" "sysctl-bogus-$T_SFX"; rc=$?
if [ "$rc" -ne 0 ]; then ok "unknown sysctl refused"; else not_ok "unknown sysctl refused (exit 0)"; fi
check "sysctl-bogus leaves nothing" leaves_nothing "sysctl-bogus-$T_SFX" "$b"

t_done
