#!/bin/bash
# CVE-2025-31133: maskedPaths bind-mount "/dev/null" over each masked
# file; a container that made its /dev/null a symlink (to
# /proc/sys/kernel/core_pattern, /proc/sysrq-trigger or a host file) got
# the link's TARGET bound read-write over the masked path.  brig never
# uses the container's /dev/null: it opens the host's before it looks at
# the rootfs, checks it is char 1:3, and binds that (by fd) onto every
# masked file before pivot_root; masked directories get an internal
# read-only tmpfs.
#   1. the image's /dev/null is a symlink to core_pattern, to a host file,
#      or a regular file (no /dev tmpfs in the config: brig replaces it);
#   2. the config's own /dev/null device is another device (1:5, zero):
#      brig does not make /dev/null then, the masks must still be null;
#   3. 1 in a user namespace (mknod refused: devices are binds there);
#   4. 1 with the mount(2) fallback (BRIG_FORCE_NO_MOUNT_API=1);
#   5. a racing container swaps /dev/null for a symlink in a /dev that the
#      two containers share (a bounded loop), while the victim starts.
# Each time every masked file inside is the null device (stat 1:3, read
# gives EOF; or brig refuses), and no host file is touched.  A naive
# runtime (bind of the path "/dev/null") fails 1 and the race: runc 1.1.5
# (Debian) does, its masked /proc/keys and /proc/timer_list become
# core_pattern, a regular file (fixed upstream in 1.2.8/1.3.3/1.4.0-rc.3).
# brig before this test bound the container's /dev/null after checking it
# (so it refused case 2).
. "$(dirname "$0")/../lib.sh"

check_inside () {
  # what the container sees at its masked paths: type and device, bytes read
  printf '%s\n' 'for f in /proc/kcore /proc/keys /proc/timer_list; do [ -e $f ] || continue; echo "$f $(stat -c "%F %t:%T" $f) $(head -c 64 $f | wc -c)"; done'
}
userns='| .linux.namespaces += [{"type": "user"}]
  | .linux.uidMappings = [{"containerID": 0, "hostID": 0, "size": 65536}]
  | .linux.gidMappings = [{"containerID": 0, "hostID": 0, "size": 65536}]'
hf=$T_TMP/host-null-target; echo host-data > "$hf"

# masked WHAT BUNDLE [ENV...]: run the bundle; every masked file it
# prints must be the null device, and the host file stays as it was
masked () {
  local what=$1 b=$2 id=xnull-$RANDOM-$T_SFX out rc bad; shift 2
  out=$(env "$@" "$RUNTIME" --root "$T_ROOT" run --bundle "$b" "$id" < /dev/null 2> "$T_TMP/$id.err"); rc=$?
  rt delete -f "$id" > /dev/null 2>&1
  expect_eq "$what: host file unchanged" "host-data" "$(cat "$hf")"
  if [ $rc -ne 0 ]; then
    if is_brig; then not_ok "$what: refused: $(head -1 "$T_TMP/$id.err")"; else ok "$what: refused"; fi
    return
  fi
  bad=$(printf '%s\n' "$out" | grep -v 'character special file 1:3 0$' | grep '^/proc' || true)
  expect_eq "$what: every masked file is the null device" "" "$bad"
  expect_match "$what: the masked files were checked" '^/proc/keys ' "$out"
}

b=$(make_bundle b1 /bin/sh -c "$(check_inside)")
jq_edit "$b" 'del(.mounts[] | select(.destination == "/dev"))'
mkdir -p "$b/rootfs/dev"
bu=$(make_bundle bu /bin/sh -c "$(check_inside)")
jq_edit "$bu" "del(.mounts[] | select(.destination == \"/dev\")) $userns"
bm=$(make_bundle bm /bin/sh -c "$(check_inside)")
# readonlyPaths need mount_setattr (recursive): not part of this check
jq_edit "$bm" 'del(.mounts[] | select(.destination == "/dev")) | del(.linux.readonlyPaths)'
for kind in core_pattern host-file regular; do
  for bb in "$b" "$bu" "$bm"; do
    rm -f "$bb/rootfs/dev/null"
    case $kind in
      core_pattern) ln -s /proc/sys/kernel/core_pattern "$bb/rootfs/dev/null" ;;
      host-file) ln -s "$hf" "$bb/rootfs/dev/null" ;;
      regular) echo image-data > "$bb/rootfs/dev/null" ;;
    esac
  done
  masked "/dev/null -> $kind" "$b"
  masked "/dev/null -> $kind, user namespace" "$bu"
  if is_brig; then masked "/dev/null -> $kind, mount(2) fallback" "$bm" BRIG_FORCE_NO_MOUNT_API=1; fi
done
bd=$(make_bundle bd /bin/sh -c "$(check_inside); stat -c 'null %t:%T' /dev/null")
jq_edit "$bd" '.linux.devices = [{"path": "/dev/null", "type": "c", "major": 1, "minor": 5, "fileMode": 438}]'
masked "the config's /dev/null is 1:5" "$bd"
# the check above must see the container's own /dev/null as configured
out=$(rt run --bundle "$bd" "xnull-dev-$T_SFX" < /dev/null 2>/dev/null | grep '^null ')
rt delete -f "xnull-dev-$T_SFX" > /dev/null 2>&1
expect_eq "the config's /dev/null is 1:5: the container's /dev/null is that device" "null 1:5" "$out"
rm -f "$b/rootfs/dev/null"

# ---- the race: a shared /dev ----
shared=$T_TMP/shared-dev; mkdir -p "$shared"
a=$(make_bundle racer /bin/sh -c 'end=$(( $(date +%s) + 12 )); while [ $(date +%s) -lt $end ]; do rm -f /shared/null; ln -s /proc/sys/kernel/core_pattern /shared/null 2>/dev/null; done')
jq_edit "$a" ".mounts += [{\"destination\": \"/shared\", \"type\": \"bind\", \"source\": \"$shared\", \"options\": [\"rbind\"]}]"
jq_edit "$b" "del(.mounts[] | select(.destination == \"/dev\")) | .mounts = [{\"destination\": \"/dev\", \"type\": \"bind\", \"source\": \"$shared\", \"options\": [\"rbind\"]}] + .mounts"
rm -f "$b/rootfs/dev/null"
if rt_create "$a" "xnull-racer-$T_SFX" && rt start "xnull-racer-$T_SFX"; then
  tries=0 refused=0 bad=""
  end=$(( $(date +%s) + 10 ))
  while [ "$(date +%s)" -lt "$end" ] && [ $tries -lt 40 ]; do
    tries=$((tries + 1))
    if out=$(run_ctr "$b" "xnull-v$tries-$T_SFX" 2>&1); then
      bad="$bad$(printf '%s\n' "$out" | grep '^/proc' | grep -v 'character special file 1:3 0$' || true)"
    else
      refused=$((refused + 1))
    fi
    rt delete -f "xnull-v$tries-$T_SFX" > /dev/null 2>&1
  done
  rt delete -f "xnull-racer-$T_SFX" > /dev/null 2>&1
  expect_eq "racing /dev/null swap ($tries starts, $refused refused): masked files always the null device" "" "$bad"
else
  not_ok "racer container did not start: $(err_of "xnull-racer-$T_SFX")"
fi
t_done
