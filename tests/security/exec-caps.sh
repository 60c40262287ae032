#!/bin/bash
# CVE-2022-29162 (runc), CVE-2022-27650 (crun), youki GHSA 747e342d:
# `exec --cap` (and the container's own process) must never get
# inheritable capabilities the config did not ask for; ambient stays a
# subset of permitted∩inheritable.  With inheritable caps, a file with
# file capabilities executed inside gains them.
# A naive runtime (adds --cap to all five sets) fails "exec --cap ...:
# CapInh 0"; runc 1.1.5 passes (fixed in 1.1.2).
. "$(dirname "$0")/../lib.sh"

capline () { grep "^$1:" | awk '{print $2}'; }
b=$(make_bundle b1 sleep 60)
# a config that asks for no inheritable/ambient set at all
jq_edit "$b" 'del(.process.capabilities.inheritable) | del(.process.capabilities.ambient)'
id=xcaps-$T_SFX
if rt_create "$b" "$id" && rt start "$id"; then
  st=$(rt exec "$id" cat /proc/self/status)
  expect_eq "exec: CapInh 0" "0000000000000000" "$(printf '%s\n' "$st" | capline CapInh)"
  expect_eq "exec: CapAmb 0" "0000000000000000" "$(printf '%s\n' "$st" | capline CapAmb)"
  st=$(rt exec --cap CAP_NET_ADMIN --cap CAP_SYS_ADMIN "$id" cat /proc/self/status)
  inh=$(printf '%s\n' "$st" | capline CapInh)
  eff=$(printf '%s\n' "$st" | capline CapEff)
  expect_eq "exec --cap CAP_NET_ADMIN --cap CAP_SYS_ADMIN: CapInh 0" "0000000000000000" "$inh"
  expect_eq "exec --cap: CapAmb 0" "0000000000000000" "$(printf '%s\n' "$st" | capline CapAmb)"
  # CAP_NET_ADMIN is bit 12, CAP_SYS_ADMIN bit 21
  if [ $(( (16#$eff >> 12) & 1 )) -eq 1 ] && [ $(( (16#$eff >> 21) & 1 )) -eq 1 ]; then ok "exec --cap: the caps are effective"; else not_ok "exec --cap: the caps are effective (CapEff $eff)"; fi
  pid1=$(rt exec "$id" cat /proc/1/status)
  expect_eq "container process: CapInh 0" "0000000000000000" "$(printf '%s\n' "$pid1" | capline CapInh)"
  # after setuid to a non-root user nothing survives through inheritable
  st=$(rt exec --cap CAP_NET_ADMIN --user 1000:1000 "$id" cat /proc/self/status)
  expect_eq "exec --cap --user 1000: CapInh 0" "0000000000000000" "$(printf '%s\n' "$st" | capline CapInh)"
  expect_eq "exec --cap --user 1000: CapAmb 0" "0000000000000000" "$(printf '%s\n' "$st" | capline CapAmb)"
else
  not_ok "container did not start: $(err_of "$id")"
fi
rt delete -f "$id" > /dev/null 2>&1
# a config with an explicit inheritable set keeps exactly that
jq_edit "$b" '.process.capabilities.inheritable = ["CAP_KILL"] | .process.args = ["grep", "CapInh", "/proc/self/status"]'
out=$(run_ctr "$b" "xcaps2-$T_SFX" | awk '{print $2}')
expect_eq "inheritable [CAP_KILL] in the config: CapInh is exactly CAP_KILL" "0000000000000020" "$out"
rt delete -f "xcaps2-$T_SFX" > /dev/null 2>&1
t_done
