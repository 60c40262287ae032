#!/bin/bash
# root.readonly and linux.rootfsPropagation, seen from inside.
. "$(dirname "$0")/../lib.sh"
T_BUNDLE_JQ='del(.linux.resources)'   # no cgroup limits on this host

root_line () { printf '%s\n' "$1" | awk '$5 == "/"' | tail -n 1; }
root_opts () { root_line "$1" | awk '{ print $6 }'; }
root_optional () { root_line "$1" | awk '{ s = ""; for (i = 7; i <= NF && $i != "-"; i++) s = s $i " "; print s }'; }
val () { printf '%s\n' "$1" | awk -v k="$2" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }'; }

# --- root.readonly -------------------------------------------------------
b=$(make_bundle ro sh -c 'echo "root_write $(touch /ro-probe 2>/dev/null && echo written || echo refused)"
  echo "tmp_write $(touch /tmp/ro-probe 2>/dev/null && echo written || echo refused)"
  echo "shm_write $(touch /dev/shm/probe 2>/dev/null && echo written || echo refused)"
  cat /proc/self/mountinfo')
jq_edit "$b" '.root.readonly = true'
out=$(run_ctr "$b" "ro-$T_SFX"); rc=$?
expect_eq "root.readonly=true: run exits 0" 0 "$rc"
expect_eq "root.readonly=true: writing / fails" refused "$(val "$out" root_write)"
expect_eq "root.readonly=true: writing /tmp of the rootfs fails" refused "$(val "$out" tmp_write)"
expect_eq "root.readonly=true: /dev/shm (own mount) stays writable" written "$(val "$out" shm_write)"
expect_match "root.readonly=true: / is ro in mountinfo" '^ro(,|$)' "$(root_opts "$out")"
check "root.readonly=true: nothing written to the bundle rootfs" test ! -e "$b/rootfs/ro-probe"
check "ro leaves nothing" leaves_nothing "ro-$T_SFX" "$b"

b=$(make_bundle rw sh -c 'echo "root_write $(echo probe > /rw-probe 2>/dev/null && echo written || echo refused)"; cat /proc/self/mountinfo')
jq_edit "$b" '.root.readonly = false'
out=$(run_ctr "$b" "rw-$T_SFX"); rc=$?
expect_eq "root.readonly=false: run exits 0" 0 "$rc"
expect_eq "root.readonly=false: writing / works" written "$(val "$out" root_write)"
expect_match "root.readonly=false: / is rw in mountinfo" '^rw(,|$)' "$(root_opts "$out")"
expect_eq "root.readonly=false: the write is in the bundle rootfs" probe "$(cat "$b/rootfs/rw-probe" 2>/dev/null)"
check "rw leaves nothing" leaves_nothing "rw-$T_SFX" "$b"

# --- rootfsPropagation ---------------------------------------------------
# Bundles under a shared host mount: with rslave the container's / is a
# slave (master:N) and a host mount made after create shows up inside; with
# private it has no optional fields and the host mount stays outside.
# (Non-recursive "slave" is left out: what / becomes then depends on how the
# runtime makes the rootfs parent private for pivot_root.)
shroot=$T_TMP/shroot
mkdir -p "$shroot"
on_exit "umount -l '$shroot'"
mount --bind "$shroot" "$shroot" && mount --make-shared "$shroot"

# The host mounts /mnt/late between create and start: propagation is done
# by the time mount(2) returns, so the container looks once.
LATE='echo "late $(cat /mnt/late/marker 2>/dev/null || echo absent)"; cat /proc/self/mountinfo'
prop_case () {   # NAME PROPAGATION -> sets $b, $out
  local name=$1 prop=$2 id="$1-$T_SFX"
  b=$(make_bundle "shroot/$name" sh -c "$LATE")
  mkdir -p "$b/rootfs/mnt/late"
  jq_edit "$b" ".linux.rootfsPropagation = \"$prop\""
  out=
  if ! rt_create "$b" "$id"; then echo "# create: $(err_of "$id")"; return; fi
  mount -t tmpfs -o size=64k late "$b/rootfs/mnt/late" && echo "late-$prop" > "$b/rootfs/mnt/late/marker"
  rt start "$id" 2>/dev/null
  poll 10 status_is "$id" stopped
  out=$(cat "$T_TMP/$id.out")
  umount -l "$b/rootfs/mnt/late"
  rt delete "$id" >/dev/null 2>&1
}

prop_case prop-rslave rslave
expect_match "rootfsPropagation=rslave: / is a slave (master:N)" '(^| )master:[0-9]+' "$(root_optional "$out")"
expect_eq "rootfsPropagation=rslave: a host mount made after create propagates in" "late-rslave" "$(val "$out" late)"
check "prop-rslave leaves nothing" leaves_nothing "prop-rslave-$T_SFX" "$b"

prop_case prop-private private
expect_eq "rootfsPropagation=private: / has no propagation fields" "" "$(root_optional "$out")"
expect_eq "rootfsPropagation=private: a host mount made after create stays out" "absent" "$(val "$out" late)"
check "prop-private leaves nothing" leaves_nothing "prop-private-$T_SFX" "$b"

# shared: the bundle is outside the shared host mount (so nothing the
# runtime mounts can propagate back to the host); / gets its own peer group.
if needs_newer_than_runc_115 "rootfsPropagation=shared: / is shared (shared:N)" "runc < 1.3.1 leaves / unshared (runc fix for shared/unbindable rootfsPropagation)"; then
  b=$(make_bundle prop-shared sh -c 'cat /proc/self/mountinfo')
  jq_edit "$b" '.linux.rootfsPropagation = "shared"'
  out=$(run_ctr "$b" "prop-shared-$T_SFX"); rc=$?
  expect_eq "rootfsPropagation=shared: run exits 0" 0 "$rc"
  expect_match "rootfsPropagation=shared: / is shared (shared:N)" '(^| )shared:[0-9]+' "$(root_optional "$out")"
  check "prop-shared leaves nothing" leaves_nothing "prop-shared-$T_SFX" "$b"
fi
if needs_newer_than_runc_115 "rootfsPropagation=unbindable: / is unbindable" "runc < 1.3.1 fails with EINVAL on unbindable rootfsPropagation"; then
  b=$(make_bundle prop-unbind sh -c 'cat /proc/self/mountinfo')
  jq_edit "$b" '.linux.rootfsPropagation = "unbindable"'
  out=$(run_ctr "$b" "prop-unbind-$T_SFX"); rc=$?
  expect_eq "rootfsPropagation=unbindable: run exits 0" 0 "$rc"
  expect_match "rootfsPropagation=unbindable: / is unbindable" '(^| )unbindable( |$)' "$(root_optional "$out")"
  check "prop-unbind leaves nothing" leaves_nothing "prop-unbind-$T_SFX" "$b"
fi
umount -l "$shroot"
check "no mount left under the shared host dir" sh -c "! awk -v t='$shroot' 'index(\$5, t) == 1' /proc/self/mountinfo | grep -q ."

t_done
