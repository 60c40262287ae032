#!/bin/bash
# Read-only remounts without mount_setattr (before Linux 5.12; forced with
# BRIG_FORCE_NO_MOUNT_API=1) must not go through the container's /proc:
# after pivot_root a /proc/self/fd/N path resolves in whatever the config
# mounted over /proc.  brig remounts a directory through its cwd (fchdir +
# mount "."), so root.readonly and readonlyPaths hold even with a fake
# /proc whose self/fd/* are symlinks to a host directory.  Without
# mount_setattr, readonlyPaths apply to the top mount only (as runc on
# such kernels); a bind mount's "ro" is set on the new mount, found by
# path and checked to be the bound source.  Checked from inside: writes
# fail with EROFS, mountinfo says ro.
. "$(dirname "$0")/../lib.sh"
is_brig || { skip "remount fallback" "brig's BRIG_FORCE_NO_MOUNT_API"; t_done; }

fake=$T_TMP/fakeproc host=$T_TMP/host-dir
mkdir -p "$fake/self/fd" "$host"
for n in $(seq 3 40); do ln -s "$host" "$fake/self/fd/$n"; done
probe='touch /rootfile 2>&1 | grep -q "Read-only" && echo root-ro; touch /etc/x 2>&1 | grep -q "Read-only" && echo etc-ro; echo done'

for mode in api fallback; do
  env=; [ $mode = fallback ] && env=BRIG_FORCE_NO_MOUNT_API=1
  # a: root.readonly + the default readonlyPaths, the real /proc
  b=$(make_bundle "ra-$mode" /bin/sh -c "$probe; awk '\$5 == \"/proc/bus\" {print \$6}' /proc/self/mountinfo | grep -q '^ro' && echo bus-ro; touch /data/x 2>&1 | grep -q 'Read-only' && echo data-ro")
  mkdir -p "$T_TMP/data-$mode"
  jq_edit "$b" ".root.readonly = true | .mounts += [{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$T_TMP/data-$mode\", \"options\": [\"bind\", \"ro\"]}]"
  out=$(env $env "$RUNTIME" --root "$T_ROOT" run --bundle "$b" "rfa-$mode-$T_SFX" < /dev/null 2>&1)
  rt delete -f "rfa-$mode-$T_SFX" > /dev/null 2>&1
  expect_eq "$mode: root.readonly and readonlyPaths hold (EROFS inside)" "root-ro etc-ro done bus-ro data-ro" "$(echo $out)"
  # b: a fake /proc over the real one, root.readonly
  b=$(make_bundle "rb-$mode" /bin/sh -c "$probe")
  jq_edit "$b" ".root.readonly = true | .mounts += [{\"destination\": \"/proc\", \"type\": \"bind\", \"source\": \"$fake\", \"options\": [\"rbind\"]}] | .linux.readonlyPaths = [] | .linux.maskedPaths = []"
  out=$(env $env "$RUNTIME" --root "$T_ROOT" run --bundle "$b" "rfb-$mode-$T_SFX" < /dev/null 2>&1)
  rt delete -f "rfb-$mode-$T_SFX" > /dev/null 2>&1
  expect_eq "$mode: fake /proc: root.readonly still holds" "root-ro etc-ro done" "$(echo $out | grep -o 'root-ro etc-ro done')"
  expect_eq "$mode: fake /proc: the host dir its fd links aim at is untouched" "" "$(ls -A "$host"; grep " $host " /proc/self/mountinfo)"
done
t_done
