#!/bin/bash
# CVE-2026-41579 (runc: /dev a symlink made setupPtmx/setupDevSymlinks
# remove `ptmx` and create fd/stdin/stdout/stderr links in any host
# directory) and CVE-2026-47766 (crun: default devices created through a
# symlinked /dev).  The image's /dev is a symlink to a host directory
# (absolute and ../ relative), with and without a /dev tmpfs in the
# config; a host directory with a `ptmx` in it must keep it.  The host
# directory must stay as it was; brig refuses ("/dev in the rootfs is not
# a directory") or works inside the rootfs.
# A naive runtime (mknod/symlink on rootfs + "/dev/...") fails "host dir
# unchanged": null, zero, fd, stdin... appear in it, ptmx is removed.
# runc 1.1.5 (Debian) is vulnerable and fails all four "host dir
# unchanged" checks here: fd, stdin, stdout, stderr and pts/ptmx links
# appear in the host directory and its ptmx is removed (fixed upstream in
# 1.3.6/1.4.3/1.5.0-rc.3).
. "$(dirname "$0")/../lib.sh"

n=0
for tmpfs in with without; do
  for form in abs rel; do
    n=$((n + 1))
    h=$T_TMP/host-dev-$n
    mkdir -p "$h"; echo keep > "$h/ptmx"
    before=$(ls -la "$h" | sed 1d | awk '{print $1, $NF}' | sort)
    b=$(make_bundle "b$n" /bin/true)
    [ $tmpfs = without ] && jq_edit "$b" 'del(.mounts[] | select(.destination == "/dev" or (.destination | startswith("/dev/"))))'
    rmdir "$b/rootfs/dev"
    if [ $form = abs ]; then ln -s "$h" "$b/rootfs/dev"; else ln -s "../../../../../../../../..$h" "$b/rootfs/dev"; fi
    if run_ctr "$b" "xdev$n-$T_SFX" > /dev/null 2>&1; then r="ran"; else r="refused: $(err_of "xdev$n-$T_SFX" | head -1)"; fi
    rt delete -f "xdev$n-$T_SFX" > /dev/null 2>&1
    after=$(ls -la "$h" | sed 1d | awk '{print $1, $NF}' | sort)
    expect_eq "/dev -> $form host dir, $tmpfs /dev tmpfs ($r): host dir unchanged" "$before" "$after"
    expect_eq "/dev -> $form host dir, $tmpfs /dev tmpfs: ptmx kept" "keep" "$(cat "$h/ptmx" 2>/dev/null)"
    if awk -v p="$h" '$5 == p { f = 1 } END { exit !f }' /proc/self/mountinfo; then
      not_ok "/dev -> $form host dir, $tmpfs /dev tmpfs: host dir became a mount point"; umount -l "$h"
    else
      ok "/dev -> $form host dir, $tmpfs /dev tmpfs: host dir is no mount point"
    fi
  done
done
if brig_only "a symlinked /dev is refused with a clear message"; then
  expect_match "a symlinked /dev is refused with a clear message" '/dev' "$(err_of "xdev3-$T_SFX")"
fi
t_done
