#!/bin/bash
# CVE-2023-25809: a rootless container without a private cgroup namespace
# got the host's cgroupfs writable (a "cgroup" mount falling back to binds
# of the host hierarchies, or an rbind of /sys where "ro" covers only the
# top mount).  brig makes every cgroupfs under the rootfs read-only when
# the container is in a user namespace and has no cgroup namespace of its
# own, whatever the options say.  Tested as root with a user namespace
# that maps container root to host root (so the host's root-owned cgroup
# directories pass the permission check, as a rootless user's own
# delegated subtree would): mkdir in every host hierarchy must fail, and
# nothing appears on the host.
# A naive runtime fails "no cgroupfs mounted rw" in both cases (checked
# with brig minus this defence: rw:10 on a cgroup v1 host; on this kernel
# the mkdir itself is refused to a non-initial user namespace anyway, where
# a rootless user's own delegated cgroup v2 subtree would accept it).
# runc 1.1.5 (Debian) has the fix for the rootless case only: run as root
# with such a user namespace it fails both cases here (case 2 even lets
# mkdir succeed in every host hierarchy).
. "$(dirname "$0")/../lib.sh"

name=brig-pwn-$$
cleanup_pwn () { find /sys/fs/cgroup -maxdepth 3 -type d -name "$name" -exec rmdir {} \; 2>/dev/null; }
on_exit cleanup_pwn
host_has () { [ -n "$(find /sys/fs/cgroup -maxdepth 3 -type d -name "$name" 2>/dev/null)" ]; }

userns='| .linux.namespaces = [.linux.namespaces[] | select(.type != "cgroup")] + [{"type": "user"}]
  | .linux.uidMappings = [{"containerID": 0, "hostID": 0, "size": 65536}]
  | .linux.gidMappings = [{"containerID": 0, "hostID": 0, "size": 65536}]'
write_probe () {
  cat > "$1/rootfs/probe.sh" <<PROBE
r=""
for d in /sys/fs/cgroup /sys/fs/cgroup/*/; do
  [ -d "\$d" ] || continue
  case \$(stat -f -c %T "\$d") in tmpfs) continue ;; esac   # the container's own tmpfs
  if mkdir "\$d/$name" 2>/dev/null; then r="\$r WROTE:\$d"; rmdir "\$d/$name"; fi
done
echo "result:\$r"
# cgroupfs mounts under /sys/fs/cgroup whose per-mount options are rw
grep " - cgroup" /proc/self/mountinfo | awk '\$5 ~ /^\/sys\/fs\/cgroup/ && \$6 ~ /^rw/ { n++ } END { print "rw:" n+0 }'
PROBE
}

# attack N LABEL FILTER: the probe in a bundle edited by FILTER (plus the
# user namespace): no mkdir in any hierarchy, no cgroupfs rw, nothing on
# the host; or a refusal
attack () {
  local n=$1 label=$2 filter=$3 b out rc=0
  b=$(make_bundle "b$n" /bin/sh /probe.sh); write_probe "$b"
  jq_edit "$b" "$filter $userns"
  out=$(run_ctr "$b" "xcg$n-$T_SFX"); case $out in *result:*) ;; *) rc=1 ;; esac
  rt delete -f "xcg$n-$T_SFX" > /dev/null 2>&1
  if [ $rc -eq 0 ]; then
    expect_eq "$label: mkdir in every cgroup hierarchy refused" "result:" "$(printf '%s\n' "$out" | grep '^result:')"
    expect_eq "$label: no cgroupfs mounted rw" "rw:0" "$(printf '%s\n' "$out" | grep '^rw:')"
  else
    ok "$label: refused ($(err_of "xcg$n-$T_SFX" | head -1))"
  fi
  if host_has; then not_ok "case $n: $name appeared on the host"; cleanup_pwn; else ok "case $n: nothing created in the host cgroupfs"; fi
}

# 1. rbind of the host's /sys, "ro" (runc spec --rootless), no cgroup mount
attack 1 "rbind /sys ro, user ns, no cgroup ns" "del(.mounts[] | select(.destination == \"/sys\" or .destination == \"/sys/fs/cgroup\"))
  | .mounts += [{\"destination\": \"/sys\", \"type\": \"none\", \"source\": \"/sys\", \"options\": [\"rbind\", \"nosuid\", \"noexec\", \"nodev\", \"ro\"]}]"

# 2. a "cgroup" mount with "rw", user ns, no cgroup ns (bind of the host's)
attack 2 "cgroup mount rw, user ns, no cgroup ns" "(.mounts[] | select(.destination == \"/sys/fs/cgroup\") | .options) |= (map(select(. != \"ro\")) + [\"rw\"])
  | (.mounts[] | select(.destination == \"/sys\")) |= {\"destination\": \"/sys\", \"type\": \"none\", \"source\": \"/sys\", \"options\": [\"rbind\", \"nosuid\", \"noexec\", \"nodev\", \"ro\"]}"

# the probe itself must be able to see a writable cgroupfs: a root
# container without a user namespace that asks for rw and a private
# cgroup namespace may write its own cgroup (checks the check)
b=$(make_bundle b3 /bin/sh /probe.sh); write_probe "$b"
jq_edit "$b" '(.mounts[] | select(.destination == "/sys/fs/cgroup") | .options) |= (map(select(. != "ro")) + ["rw"])'
n=$(run_ctr "$b" "xcg3-$T_SFX" 2>/dev/null | sed -n 's/^rw://p')
rt delete -f "xcg3-$T_SFX" > /dev/null 2>&1
if [ "${n:-0}" -gt 0 ] 2>/dev/null; then ok "control: rw cgroupfs is seen as rw by the probe"; else skip "control: rw cgroupfs" "no rw cgroupfs in a root container here (got '$n')"; fi
t_done
