#!/bin/bash
# CVE-2025-31133: maskedPaths bind-mount "/dev/null" over each masked
# file; a container that made its /dev/null a symlink (to
# /proc/sys/kernel/core_pattern, /proc/sysrq-trigger or a host file) got
# the link's TARGET bound read-write over the masked path.  brig: /dev/null
# is opened once without following links, checked to be char 1:3, and
# bound by fd; masked directories get an internal read-only tmpfs.
#   1. the image's /dev/null is a symlink (no /dev tmpfs in the config);
#   2. the same aimed at a host file;
#   3. a racing container swaps /dev/null for a symlink in a /dev that the
#      two containers share (a bounded loop), while the victim starts.
# Each time the masked file inside is the null device (or brig refuses),
# and no host file is touched.  A naive runtime (bind of the path
# "/dev/null") fails the race check of case 3: runc 1.1.5 (Debian) does,
# its masked /proc/keys and /proc/timer_list become core_pattern, a regular
# file (fixed upstream in 1.2.8/1.3.3/1.4.0-rc.3).
. "$(dirname "$0")/../lib.sh"

check_inside () {
  # what the container sees at its masked paths: type and device
  printf '%s\n' 'for f in /proc/kcore /proc/keys /proc/timer_list; do [ -e $f ] || continue; echo "$f $(stat -c "%F %t:%T" $f) $(head -c 64 $f | wc -c)"; done'
}

b=$(make_bundle b1 /bin/sh -c "$(check_inside)")
jq_edit "$b" 'del(.mounts[] | select(.destination == "/dev"))'
mkdir -p "$b/rootfs/dev"
ln -sf /proc/sys/kernel/core_pattern "$b/rootfs/dev/null"
out=$(run_ctr "$b" "xnull1-$T_SFX" 2>&1); rc=$?
rt delete -f "xnull1-$T_SFX" > /dev/null 2>&1
if [ $rc -eq 0 ]; then
  bad=$(printf '%s\n' "$out" | grep -v 'character special file 1:3 0$' | grep '^/proc' || true)
  expect_eq "/dev/null -> core_pattern: every masked file is the null device" "" "$bad"
  expect_match "/dev/null -> core_pattern: the masked files were checked" '^/proc/keys ' "$out"
else
  ok "/dev/null -> core_pattern: refused ($(err_of "xnull1-$T_SFX" | head -1))"
fi

hf=$T_TMP/host-null-target; echo host-data > "$hf"
ln -sf "$hf" "$b/rootfs/dev/null"
out=$(run_ctr "$b" "xnull2-$T_SFX" 2>&1); rc=$?
rt delete -f "xnull2-$T_SFX" > /dev/null 2>&1
expect_eq "/dev/null -> host file: host file unchanged" "host-data" "$(cat "$hf")"
if [ $rc -eq 0 ]; then
  bad=$(printf '%s\n' "$out" | grep -v 'character special file 1:3 0$' | grep '^/proc' || true)
  expect_eq "/dev/null -> host file: every masked file is the null device" "" "$bad"
else
  ok "/dev/null -> host file: refused"
fi

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
