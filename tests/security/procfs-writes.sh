#!/bin/bash
# Writes to /proc must reach the real procfs, never a file the container
# controls: CVE-2019-16884 (a volume mounted over /proc fooled the LSM
# label write), CVE-2019-19921 / CVE-2023-27561 / CVE-2023-28642 (/proc or
# another mountpoint a symlink), CVE-2025-52881 (writes redirected by
# mounts the container made).  brig writes through a private procfs
# instance (fsopen) or a clone of the host's /proc, never through the
# container's (procfs.h; each mode is tested in procfs-modes.sh), checks
# it (fstatfs PROC_SUPER_MAGIC, inode 1), walks under it with openat2
# RESOLVE_BENEATH|NO_SYMLINKS|NO_MAGICLINKS and re-checks the magic of the
# file it writes; `exec` pins the host's procfs before joining the
# container's mount namespace.
#   A. a config whose mounts put a fake directory over /proc after the
#      proc mount (the image's VOLUME /proc), with oomScoreAdj and a
#      sysctl: the fake files (and the host dir a fake "sys" symlink aims
#      at) stay unchanged; brig refuses or the write lands in the real
#      procfs.
#   B. `exec` into a container that mounted a tmpfs over its own /proc:
#      the exec'd process gets oomScoreAdj in the real procfs (read from
#      the host), the fake file is unchanged.
#   C. LSM labels go through the same handle (thread-self/attr/...): the
#      fake attr files stay unchanged; brig refuses or the label is on the
#      real process.  Only where AppArmor is enabled (tests/vm/guest-lsm.sh
#      runs this script in a QEMU guest that has it).
# A naive runtime (writes "/proc/self/oom_score_adj" by path) fails "fake
# oom_score_adj unchanged" in A and B.  runc 1.1.5 (Debian) passes A
# (procfs check since rc9) and refuses B's exec outright; it is vulnerable
# to the racing CVE-2025-52881 form (fixed in 1.2.8/1.3.3).
. "$(dirname "$0")/../lib.sh"

fake=$T_TMP/fakeproc
hostsys=$T_TMP/host-sys
mkdir -p "$fake/self" "$fake/thread-self/attr/apparmor" "$fake/1" "$hostsys/kernel"
echo 0 > "$fake/self/oom_score_adj"; echo 0 > "$fake/1/oom_score_adj"
echo unconfined > "$fake/thread-self/attr/exec"; echo unconfined > "$fake/thread-self/attr/apparmor/exec"
echo 0 > "$hostsys/kernel/shm_rmid_forced"
ln -s "$hostsys" "$fake/sys"
snap () { (cd "$fake" && find . -type f | sort | xargs cat; cat "$hostsys/kernel/shm_rmid_forced") | md5sum; }
s0=$(snap)

b=$(make_bundle b1 sleep 30)
jq_edit "$b" ".process.oomScoreAdj = 500 | .linux.sysctl = {\"kernel.shm_rmid_forced\": \"1\"}
  | .mounts += [{\"destination\": \"/proc\", \"type\": \"bind\", \"source\": \"$fake\", \"options\": [\"rbind\"]}]"
id=xproc-a-$T_SFX
if rt_create "$b" "$id" && rt start "$id"; then
  pid=$(state_of "$id" .pid)
  expect_eq "A: volume over /proc: the process got oomScoreAdj in the real procfs" "500" "$(cat "/proc/$pid/oom_score_adj")"
else
  ok "A: volume over /proc: refused ($(err_of "$id" | head -1))"
  brig_only "A: the refusal names procfs" && expect_match "A: the refusal names procfs" 'procfs' "$(err_of "$id")"
fi
rt delete -f "$id" > /dev/null 2>&1
expect_eq "A: fake /proc files and the host dir behind its sys symlink unchanged" "$s0" "$(snap)"

# ---- B: exec into a container that mounted over its own /proc ----
b2=$(make_bundle b2 /bin/sh -c "mount -t tmpfs fake /proc && mkdir -p /proc/self && echo 0 > /proc/self/oom_score_adj && for i in \$(seq 1 99); do mkdir -p /proc/\$i && echo 0 > /proc/\$i/oom_score_adj; done && touch /tmp/ready && exec sleep 60")
jq_edit "$b2" '.process.oomScoreAdj = 300 | .root.readonly = false
  | .process.capabilities.bounding += ["CAP_SYS_ADMIN"] | .process.capabilities.effective += ["CAP_SYS_ADMIN"] | .process.capabilities.permitted += ["CAP_SYS_ADMIN"]'
rm -f "$b2/rootfs/tmp/ready"
id=xproc-b-$T_SFX
if rt_create "$b2" "$id" && rt start "$id" && poll 10 test -e "$b2/rootfs/tmp/ready"; then
  if rt exec -d --pid-file "$T_TMP/exec.pid" "$id" sleep 30 > "$T_TMP/exec.out" 2>&1; then
    epid=$(cat "$T_TMP/exec.pid")
    expect_eq "B: exec'd process got oomScoreAdj in the real procfs" "300" "$(cat "/proc/$epid/oom_score_adj" 2>/dev/null)"
  else
    ok "B: exec refused ($(head -1 "$T_TMP/exec.out"))"
  fi
  # the fake files, read from the host through the container's root
  cpid=$(state_of "$id" .pid)
  fakes=$(cat "/proc/$cpid/root/proc/self/oom_score_adj" /proc/"$cpid"/root/proc/[0-9]*/oom_score_adj 2>/dev/null | sort -u | tr '\n' ' ')
  expect_eq "B: the container's fake oom_score_adj files unchanged" "0 " "$fakes"
else
  not_ok "B: container did not start: $(err_of "$id")"
fi
rt delete -f "$id" > /dev/null 2>&1

# ---- C: LSM labels ----
# BRIG_TEST_APPARMOR_PROFILE: a loaded profile to ask for (tests/vm/guest-lsm.sh
# loads one in the QEMU guest, whose kernel has AppArmor); else "unconfined"
if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ]; then
  aa=${BRIG_TEST_APPARMOR_PROFILE:-unconfined}
  b3=$(make_bundle b3 sleep 30)
  jq_edit "$b3" ".process.apparmorProfile = \"$aa\" | .mounts += [{\"destination\": \"/proc\", \"type\": \"bind\", \"source\": \"$fake\", \"options\": [\"rbind\"]}]"
  id=xproc-c-$T_SFX
  if rt_create "$b3" "$id" && rt start "$id"; then
    # the label landed somewhere real: on the process, read from the host
    pid=$(state_of "$id" .pid)
    want=$aa; [ "$aa" = unconfined ] || want="$aa (enforce)"
    expect_eq "C: the AppArmor label is on the real process" "$want" "$(tr -d '\0' < "/proc/$pid/attr/current")"
  else
    ok "C: volume over /proc with apparmorProfile: refused ($(err_of "$id" | head -1))"
    brig_only "C: the refusal names procfs" && expect_match "C: the refusal names procfs" 'procfs' "$(err_of "$id")"
  fi
  rt delete -f "$id" > /dev/null 2>&1
  expect_eq "C: AppArmor label not written into the fake /proc" "$s0" "$(snap)"
elif [ -e /sys/fs/selinux/enforce ]; then
  skip "C: LSM label write" "SELinux host: not covered yet"
else
  skip "C: LSM label write through the verified procfs" "no AppArmor/SELinux on this host (AppArmor runs in the QEMU guest: VM_ONLY=lsm tests/vm/run.sh)"
fi
t_done
