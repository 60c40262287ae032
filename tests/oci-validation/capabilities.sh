#!/bin/bash
# process.capabilities: the five sets as hex masks in /proc/self/status.
# CAP_CHOWN = bit 0, CAP_NET_BIND_SERVICE = bit 10 -> 0x401.
. "$(dirname "$0")/../lib.sh"
T_BUNDLE_JQ='del(.linux.resources)'   # no cgroup limits on this host

CAPS_SCRIPT='grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb):" /proc/self/status
  echo "sethostname $(hostname nope 2>/dev/null && echo allowed || echo refused)"
  echo "chown $(touch /tmp/f && chown 1234 /tmp/f 2>/dev/null && echo allowed || echo refused)"'
TMPFS='{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["mode=1777", "size=64k"]}'
capset () { printf '%s\n' "$1" | awk -v k="$2:" '$1 == k { print $2 }'; }
val () { printf '%s\n' "$1" | awk -v k="$2" '$1 == k { print $2; exit }'; }

# --- a small set, no inheritable/ambient ---------------------------------
b=$(make_bundle caps sh -c "$CAPS_SCRIPT")
jq_edit "$b" ".mounts += [$TMPFS] | .process.capabilities = {
  \"bounding\":  [\"CAP_CHOWN\", \"CAP_NET_BIND_SERVICE\"],
  \"effective\": [\"CAP_CHOWN\", \"CAP_NET_BIND_SERVICE\"],
  \"permitted\": [\"CAP_CHOWN\", \"CAP_NET_BIND_SERVICE\"]}"
out=$(run_ctr "$b" "caps-$T_SFX"); rc=$?
expect_eq "run exits 0" 0 "$rc"
for s in Bnd Eff Prm; do expect_eq "Cap$s = CAP_CHOWN|CAP_NET_BIND_SERVICE" 0000000000000401 "$(capset "$out" "Cap$s")"; done
expect_eq "CapInh empty when not configured" 0000000000000000 "$(capset "$out" CapInh)"
expect_eq "CapAmb empty when not configured" 0000000000000000 "$(capset "$out" CapAmb)"
expect_eq "CAP_CHOWN works" allowed "$(val "$out" chown)"
expect_eq "without CAP_SYS_ADMIN sethostname is refused" refused "$(val "$out" sethostname)"
check "caps leaves nothing" leaves_nothing "caps-$T_SFX" "$b"

# --- inheritable + ambient -----------------------------------------------
b=$(make_bundle caps-amb sh -c "$CAPS_SCRIPT")
jq_edit "$b" ".mounts += [$TMPFS] | .process.capabilities = {
  \"bounding\":    [\"CAP_CHOWN\", \"CAP_NET_BIND_SERVICE\"],
  \"effective\":   [\"CAP_CHOWN\", \"CAP_NET_BIND_SERVICE\"],
  \"permitted\":   [\"CAP_CHOWN\", \"CAP_NET_BIND_SERVICE\"],
  \"inheritable\": [\"CAP_NET_BIND_SERVICE\"],
  \"ambient\":     [\"CAP_NET_BIND_SERVICE\"]}"
out=$(run_ctr "$b" "caps-amb-$T_SFX")
expect_eq "CapInh = CAP_NET_BIND_SERVICE" 0000000000000400 "$(capset "$out" CapInh)"
expect_eq "CapAmb = CAP_NET_BIND_SERVICE" 0000000000000400 "$(capset "$out" CapAmb)"
expect_eq "CapEff with ambient" 0000000000000401 "$(capset "$out" CapEff)"

# --- no capabilities object: nothing -------------------------------------
b=$(make_bundle caps-none sh -c "$CAPS_SCRIPT")
jq_edit "$b" ".mounts += [$TMPFS] | del(.process.capabilities)"
out=$(run_ctr "$b" "caps-none-$T_SFX")
for s in Bnd Eff Prm Inh Amb; do expect_eq "no capabilities in config: Cap$s empty" 0000000000000000 "$(capset "$out" "Cap$s")"; done
expect_eq "no capabilities: chown refused" refused "$(val "$out" chown)"

# --- a non-root user keeps capabilities through ambient ------------------
b=$(make_bundle caps-user sh -c "$CAPS_SCRIPT")
jq_edit "$b" ".mounts += [$TMPFS] | .process.user = {\"uid\": 1000, \"gid\": 1000} | .process.capabilities = {
  \"bounding\": [\"CAP_CHOWN\"], \"effective\": [\"CAP_CHOWN\"], \"permitted\": [\"CAP_CHOWN\"],
  \"inheritable\": [\"CAP_CHOWN\"], \"ambient\": [\"CAP_CHOWN\"]}"
out=$(run_ctr "$b" "caps-user-$T_SFX")
expect_eq "uid 1000: CapAmb = CAP_CHOWN" 0000000000000001 "$(capset "$out" CapAmb)"
expect_eq "uid 1000: CapEff = CAP_CHOWN" 0000000000000001 "$(capset "$out" CapEff)"
expect_eq "uid 1000: CapBnd = CAP_CHOWN" 0000000000000001 "$(capset "$out" CapBnd)"
expect_eq "uid 1000 with CAP_CHOWN: chown works" allowed "$(val "$out" chown)"

# --- the default spec's set (runc spec): no inheritable ------------------
b=$(make_bundle caps-default sh -c "$CAPS_SCRIPT")
out=$(run_ctr "$b" "caps-default-$T_SFX")
# CAP_AUDIT_WRITE (29), CAP_KILL (5), CAP_NET_BIND_SERVICE (10)
expect_eq "default spec: CapBnd = AUDIT_WRITE|KILL|NET_BIND_SERVICE" 0000000020000420 "$(capset "$out" CapBnd)"
expect_eq "default spec: CapEff = AUDIT_WRITE|KILL|NET_BIND_SERVICE" 0000000020000420 "$(capset "$out" CapEff)"
expect_eq "default spec: CapInh empty" 0000000000000000 "$(capset "$out" CapInh)"
check "caps-default leaves nothing" leaves_nothing "caps-default-$T_SFX" "$b"

t_done
