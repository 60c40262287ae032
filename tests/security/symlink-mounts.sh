#!/bin/bash
# Symlinks in the rootfs aimed at the host (CVE-2021-30465 class,
# CVE-2019-18837, youki GHSA-... "prohibit_symlink", CVE-2023-27561):
# /proc, /sys, /dev/pts, mount targets (final and intermediate component,
# absolute and ../ relative), a bind-mount file target.  Each time: the
# host path is untouched (no mount on it, nothing created in it, file
# content unchanged), and brig refuses or mounts inside the rootfs.
# The racing variants are mkdir-race.sh; /dev/null is masked-devnull.sh,
# /dev/console console-pts.sh, /dev itself dev-symlink.sh.
#
# A naive runtime (mount(2) on filepath.Join(rootfs, dest), as runc before
# rc95 or youki <= 0.5.4 for /proc) fails "host ... not a mount point": the
# proc/sysfs/tmpfs lands on the host directory.  runc 1.1.5 refuses
# symlinked /proc (1.1.5 fix of CVE-2023-27561) and resolves targets with
# securejoin, so it passes the non-racing cases here.
. "$(dirname "$0")/../lib.sh"

is_mounted () { awk -v p="$1" '$5 == p { f = 1 } END { exit !f }' /proc/self/mountinfo; }
empty_dir () { [ -d "$1" ] && [ -z "$(ls -A "$1")" ]; }

# host_untouched WHAT HOSTDIR: the host directory is no mount point and empty
host_untouched () {
  local what=$1 h=$2
  if is_mounted "$h"; then not_ok "$what: host $h became a mount point"; umount -l "$h"; return; fi
  if ! empty_dir "$h"; then not_ok "$what: something was created in host $h: $(ls -A "$h" | head -3 | tr '\n' ' ')"; return; fi
  ok "$what: host $h untouched"
}

# try WHAT ID BUNDLE: run it; brig must refuse or stay inside
try () {
  local what=$1 id=$2 b=$3
  if run_ctr "$b" "$id" > "$T_TMP/$id.out" 2>&1; then
    ok "$what: ran (inside the rootfs)"
  else
    ok "$what: refused ($(err_of "$id" | head -1))"
  fi
  rt delete -f "$id" > /dev/null 2>&1
}

n=0
for kind in proc sys; do
  for form in abs rel; do
    n=$((n + 1))
    h=$T_TMP/host-$kind-$form
    mkdir -p "$h"
    b=$(make_bundle "b-$kind-$form" /bin/true)
    rmdir "$b/rootfs/$kind"
    if [ $form = abs ]; then ln -s "$h" "$b/rootfs/$kind"; else ln -s "../../../../../../../../../..$h" "$b/rootfs/$kind"; fi
    try "/$kind -> $form host path" "xsym$n-$T_SFX" "$b"
    host_untouched "/$kind -> $form host path" "$h"
    if [ $kind = proc ] && brig_only "/proc symlink refused with a clear message"; then
      expect_match "/proc -> $form: refused with a clear message" 'symlink' "$(err_of "xsym$n-$T_SFX")"
    fi
  done
done

# /dev/pts a symlink (no /dev tmpfs: the image's /dev is used)
h=$T_TMP/host-pts; mkdir -p "$h"
b=$(make_bundle b-pts /bin/true)
jq_edit "$b" 'del(.mounts[] | select(.destination == "/dev"))'
mkdir -p "$b/rootfs/dev"; ln -s "$h" "$b/rootfs/dev/pts"
try "/dev/pts -> host path" "xsym-pts-$T_SFX" "$b"
host_untouched "/dev/pts -> host path" "$h"

# a tmpfs mount target that is a symlink (final component)
h=$T_TMP/host-target; mkdir -p "$h"
b=$(make_bundle b-tgt /bin/sh -c 'echo inside > /mnt/data/f && cat /mnt/data/f')
jq_edit "$b" '.mounts += [{"destination": "/mnt/data", "type": "tmpfs", "source": "tmpfs"}]'
mkdir -p "$b/rootfs/mnt"; ln -s "$h" "$b/rootfs/mnt/data"
try "tmpfs target /mnt/data -> host path" "xsym-tgt-$T_SFX" "$b"
host_untouched "tmpfs target /mnt/data -> host path" "$h"
if is_mounted "$b/rootfs$h"; then not_ok "tmpfs target: a mount left behind in the rootfs"; else ok "tmpfs target: no mount left behind"; fi

# an intermediate component that is a symlink, ../ form, bind mount
h=$T_TMP/host-mid; mkdir -p "$h"
src=$T_TMP/bind-src; mkdir -p "$src"; echo from-src > "$src/f"
b=$(make_bundle b-mid /bin/cat /mnt2/sub/dir/f)
jq_edit "$b" ".mounts += [{\"destination\": \"/mnt2/sub/dir\", \"type\": \"bind\", \"source\": \"$src\", \"options\": [\"bind\"]}]"
ln -s "../../../../../../../../..$h" "$b/rootfs/mnt2"
try "bind target /mnt2/sub/dir, /mnt2 -> ../ host path" "xsym-mid-$T_SFX" "$b"
host_untouched "bind target through a symlinked parent" "$h"

# a bind-mounted FILE whose target is a symlink to a host file
hf=$T_TMP/host-file; echo host-content > "$hf"
srcf=$T_TMP/src-file; echo container-content > "$srcf"
b=$(make_bundle b-file /bin/cat /etc/injected)
jq_edit "$b" ".mounts += [{\"destination\": \"/etc/injected\", \"type\": \"bind\", \"source\": \"$srcf\", \"options\": [\"bind\"]}]"
ln -s "$hf" "$b/rootfs/etc/injected"
try "file bind target /etc/injected -> host file" "xsym-file-$T_SFX" "$b"
expect_eq "file bind target: host file content unchanged" "host-content" "$(cat "$hf")"
if is_mounted "$hf"; then not_ok "file bind target: host file became a mount point"; umount -l "$hf"; else ok "file bind target: host file is no mount point"; fi

# the userspace resolver (no openat2) gets the same cases
if [ -z "${BRIG_FORCE_NO_OPENAT2:-}" ] && is_brig; then
  for case in tgt mid file; do
    b=$T_TMP/b-$case
    BRIG_FORCE_NO_OPENAT2=1 rt run --bundle "$b" "xsym-fb-$case-$T_SFX" < /dev/null > /dev/null 2>&1
    rt delete -f "xsym-fb-$case-$T_SFX" > /dev/null 2>&1
  done
  host_untouched "fallback resolver: tmpfs target -> host path" "$T_TMP/host-target"
  host_untouched "fallback resolver: symlinked parent" "$T_TMP/host-mid"
  expect_eq "fallback resolver: host file content unchanged" "host-content" "$(cat "$hf")"
  if is_mounted "$hf"; then not_ok "fallback resolver: host file became a mount point"; umount -l "$hf"; else ok "fallback resolver: host file is no mount point"; fi
fi
t_done
