#!/bin/bash
# Symlink-exchange races on shared volumes: CVE-2021-30465 (a mount target
# swapped for a symlink between the runtime's check and mount(2)) and
# CVE-2024-45310 (racing MkdirAll made the runtime create directories on
# the host).  A racer container shares a volume with the victim and keeps
# replacing /vol/a with a symlink to a host directory (absolute and ../
# forms) and back; the victim's config mounts a tmpfs at /vol/a/b/c, so
# the runtime must mkdir -p through the racing path and mount on it.  For
# a bounded time, with openat2 and with the userspace resolver
# (BRIG_FORCE_NO_OPENAT2=1).  The host directory must stay empty and no
# mount point, whatever each start did (ran or refused).
# A naive runtime (MkdirAll + mount on rootfs+path strings) fails "host
# dir untouched" once the race hits.  runc 1.1.5 is vulnerable to
# CVE-2024-45310 (fixed in 1.1.14).  brig's fallback resolver walked path
# strings before this test existed and was racy too (fixed: fd per
# component, inroot.c).
. "$(dirname "$0")/../lib.sh"

SECS=${RACE_SECONDS:-6}
vol=$T_TMP/vol; esc=$T_TMP/escape
mkdir -p "$vol" "$esc"
a=$(make_bundle racer /bin/sh -c "end=\$(( \$(date +%s) + $((SECS * 2 + 10)) )); while [ \$(date +%s) -lt \$end ]; do
  rm -rf /vol/a; mkdir -p /vol/a/b; rm -rf /vol/a; ln -s $esc /vol/a
  rm -f /vol/a; mkdir -p /vol/a; rm -rf /vol/a; ln -s ../../../../../../../..$esc /vol/a; rm -f /vol/a; done")
jq_edit "$a" ".mounts += [{\"destination\": \"/vol\", \"type\": \"bind\", \"source\": \"$vol\", \"options\": [\"rbind\"]}]"
b=$(make_bundle victim /bin/true)
jq_edit "$b" ".mounts += [{\"destination\": \"/vol\", \"type\": \"bind\", \"source\": \"$vol\", \"options\": [\"rbind\"]},
  {\"destination\": \"/vol/a/b/c\", \"type\": \"tmpfs\", \"source\": \"tmpfs\"}]"

untouched () {
  local what=$1
  if awk -v p="$esc" '$5 == p || index($5, p "/") == 1 { f = 1 } END { exit !f }' /proc/self/mountinfo; then
    not_ok "$what: a mount landed on the host dir $esc"; umount -R -l "$esc"
  elif [ -n "$(ls -A "$esc")" ]; then
    not_ok "$what: created on the host: $(cd "$esc" && find . | head -5 | tr '\n' ' ')"; rm -rf "${esc:?}"/*
  else
    ok "$what: host dir untouched"
  fi
}

if ! { rt_create "$a" "xrace-a-$T_SFX" && rt start "xrace-a-$T_SFX"; }; then
  not_ok "racer did not start: $(err_of "xrace-a-$T_SFX")"; t_done
fi
modes=(openat2)
is_brig && modes+=(fallback)
for mode in "${modes[@]}"; do
  tries=0 ran=0
  end=$(( $(date +%s) + SECS ))
  while [ "$(date +%s)" -lt "$end" ]; do
    tries=$((tries + 1))
    if [ $mode = fallback ]; then
      BRIG_FORCE_NO_OPENAT2=1 rt run --bundle "$b" "xrace-v-$T_SFX" < /dev/null > /dev/null 2>&1 && ran=$((ran + 1))
    else
      rt run --bundle "$b" "xrace-v-$T_SFX" < /dev/null > /dev/null 2>&1 && ran=$((ran + 1))
    fi
    rt delete -f "xrace-v-$T_SFX" > /dev/null 2>&1
  done
  untouched "$mode: $tries racing starts ($ran ran)"
done
rt delete -f "xrace-a-$T_SFX" > /dev/null 2>&1
t_done
