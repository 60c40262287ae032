#!/bin/bash
# linux.namespaces: new namespaces differ from the host's, absent ones are
# shared, a namespace with `path` is joined.  Read from inside the container.
. "$(dirname "$0")/../lib.sh"
T_BUNDLE_JQ='del(.linux.resources)'   # no cgroup limits on this host

# Prints "TYPE LINK" for every namespace, "pid1 $$" and the net devices.
NS_SCRIPT='for n in pid net ipc uts mnt cgroup user time; do echo "$n $(readlink /proc/self/ns/$n)"; done
echo "pid1 $$"
echo "netdevs $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | sort | tr "\n" " ")"'

ns_of () { printf '%s\n' "$1" | awk -v n="$2" '$1 == n { print $2 }'; }

# --- the default config plus a cgroup namespace -------------------------
b=$(make_bundle ns-new sh -c "$NS_SCRIPT")
jq_edit "$b" '.linux.namespaces = ([.linux.namespaces[] | select(.type != "cgroup")] + [{"type": "cgroup"}])'
out=$(run_ctr "$b" "ns-new-$T_SFX"); rc=$?
expect_eq "run with pid/net/ipc/uts/mount/cgroup namespaces exits 0" 0 "$rc"
expect_eq "pid namespace: the process is pid 1" "pid1 1" "$(printf '%s\n' "$out" | grep '^pid1 ')"
for n in pid net ipc uts mnt cgroup; do
  got=$(ns_of "$out" "$n")
  if [ -n "$got" ] && [ "$got" != "$(host_ns "$n")" ]; then
    ok "new $n namespace differs from the host's ($got)"
  else
    not_ok "new $n namespace differs from the host's (host $(host_ns "$n"), container '$got')"
  fi
done
expect_eq "user namespace not in config: shared with the host" "$(host_ns user)" "$(ns_of "$out" user)"
expect_eq "new network namespace has only lo" "netdevs lo " "$(printf '%s\n' "$out" | grep '^netdevs ')"
check "ns-new leaves nothing" leaves_nothing "ns-new-$T_SFX" "$b"

# --- only a mount namespace: everything else is the host's --------------
b=$(make_bundle ns-host sh -c "$NS_SCRIPT")
jq_edit "$b" '.linux.namespaces = [{"type": "mount"}] | del(.hostname)'
out=$(run_ctr "$b" "ns-host-$T_SFX"); rc=$?
expect_eq "run with only a mount namespace exits 0" 0 "$rc"
for n in pid net ipc uts cgroup; do
  expect_eq "$n namespace not in config: shared with the host" "$(host_ns "$n")" "$(ns_of "$out" "$n")"
done
got=$(ns_of "$out" mnt)
if [ -n "$got" ] && [ "$got" != "$(host_ns mnt)" ]; then ok "mount namespace is new"; else not_ok "mount namespace is new (got '$got')"; fi
pid1=$(printf '%s\n' "$out" | awk '$1 == "pid1" { print $2 }')
if [ -n "$pid1" ] && [ "$pid1" != 1 ]; then ok "host pid namespace: the process is not pid 1 ($pid1)"; else not_ok "host pid namespace: the process is not pid 1 (got '$pid1')"; fi
check "ns-host leaves nothing" leaves_nothing "ns-host-$T_SFX" "$b"

# --- joining existing namespaces by path --------------------------------
nsdir=$T_TMP/nsfiles
mkdir -p "$nsdir"
touch "$nsdir/net" "$nsdir/uts"
on_exit "umount -l '$nsdir/net'; umount -l '$nsdir/uts'"
if unshare --net="$nsdir/net" --uts="$nsdir/uts" true; then
  nsenter --uts="$nsdir/uts" hostname joined-uts-host
  b=$(make_bundle ns-join sh -c "$NS_SCRIPT; hostname")
  jq_edit "$b" "del(.hostname) | .linux.namespaces = [.linux.namespaces[]
    | if .type == \"network\" then .path = \"$nsdir/net\" elif .type == \"uts\" then .path = \"$nsdir/uts\" else . end]"
  out=$(run_ctr "$b" "ns-join-$T_SFX"); rc=$?
  expect_eq "run joining a network and a uts namespace by path exits 0" 0 "$rc"
  expect_eq "joined network namespace (path) is the given one" "net:[$(stat -L -c %i "$nsdir/net")]" "$(ns_of "$out" net)"
  expect_eq "joined uts namespace (path) is the given one" "uts:[$(stat -L -c %i "$nsdir/uts")]" "$(ns_of "$out" uts)"
  expect_match "joined uts namespace keeps its hostname" '^joined-uts-host$' "$(printf '%s\n' "$out" | grep -x 'joined-uts-host')"
  got=$(ns_of "$out" pid)
  if [ -n "$got" ] && [ "$got" != "$(host_ns pid)" ]; then ok "other namespaces still new when joining some"; else not_ok "other namespaces still new when joining some (pid '$got')"; fi
  check "ns-join leaves nothing" leaves_nothing "ns-join-$T_SFX" "$b"
  umount -l "$nsdir/net"; umount -l "$nsdir/uts"
  check "joined namespace files unmounted" sh -c "! grep -q ' $nsdir/' /proc/self/mountinfo"
else
  skip "join namespaces by path" "unshare --net=FILE failed on this host"
fi

# --- user namespace with uid/gid mappings --------------------------------
chmod 711 "$T_TMP"   # the mapped root must be able to reach the rootfs
b=$(make_bundle ns-user sh -c "$NS_SCRIPT; cat /proc/self/uid_map /proc/self/gid_map; id -u")
jq_edit "$b" '.linux.namespaces += [{"type": "user"}]
  | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
  | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
out=$(run_ctr "$b" "ns-user-$T_SFX"); rc=$?
expect_eq "run with a user namespace exits 0" 0 "$rc"
got=$(ns_of "$out" user)
if [ -n "$got" ] && [ "$got" != "$(host_ns user)" ]; then ok "new user namespace differs from the host's"; else not_ok "new user namespace differs from the host's (got '$got'; $(err_of "ns-user-$T_SFX"))"; fi
expect_eq "uid_map as configured" "0 100000 65536" "$(printf '%s\n' "$out" | awk 'NF == 3 && $2 == 100000 { print $1, $2, $3; exit }')"
expect_eq "gid_map as configured" 2 "$(printf '%s\n' "$out" | awk 'NF == 3 && $1 == 0 && $2 == 100000 && $3 == 65536' | wc -l)"
check "ns-user leaves nothing" leaves_nothing "ns-user-$T_SFX" "$b"

# --- time namespace (runtime-spec 1.1; runc >= 1.2) ----------------------
if needs_newer_than_runc_115 "new time namespace differs from the host's"; then
  b=$(make_bundle ns-time sh -c "$NS_SCRIPT")
  jq_edit "$b" '.linux.namespaces += [{"type": "time"}]'
  out=$(run_ctr "$b" "ns-time-$T_SFX"); rc=$?
  expect_eq "run with a time namespace exits 0" 0 "$rc"
  got=$(ns_of "$out" time)
  if [ -n "$got" ] && [ "$got" != "$(host_ns time)" ]; then ok "new time namespace differs from the host's"; else not_ok "new time namespace differs from the host's (got '$got')"; fi
  check "ns-time leaves nothing" leaves_nothing "ns-time-$T_SFX" "$b"
fi

t_done
