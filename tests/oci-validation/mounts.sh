#!/bin/bash
# mounts: bind, rbind, ro, nosuid/nodev/noexec, tmpfs size/mode, propagation
# options, rro, and mount destinations through symlinks in the rootfs (which
# must resolve inside the rootfs, never on the host).
. "$(dirname "$0")/../lib.sh"
T_BUNDLE_JQ='del(.linux.resources)'   # no cgroup limits on this host

# mountinfo helpers on a saved copy: mi LINES MOUNTPOINT -> that line
mi () { printf '%s\n' "$1" | awk -v m="$2" '$5 == m' | tail -n 1; }
# per-mount options (field 6)
mi_opts () { mi "$1" "$2" | awk '{ print $6 }'; }
# optional fields (between field 6 and "-")
mi_optional () { mi "$1" "$2" | awk '{ s = ""; for (i = 7; i <= NF && $i != "-"; i++) s = s $i " "; print s }'; }
# fs type and super options (after "-")
mi_super () { mi "$1" "$2" | awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { print $(i+1), $(i+3); exit } }'; }
has_opt () { printf ',%s,' "$1" | grep -q ",$2,"; }
val () { printf '%s\n' "$1" | awk -v k="$2" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }'; }

# --- host side sources ---------------------------------------------------
hd=$T_TMP/hostdir
mkdir -p "$hd/sub" "$hd/rwdir"
echo from-host > "$hd/hello"
printf '#!/bin/sh\necho script-ran\n' > "$hd/script.sh"
chmod 755 "$hd/script.sh"
on_exit "umount -l '$hd/sub'"
mount -t tmpfs -o size=1m brig-test-sub "$hd/sub"
echo sub-marker > "$hd/sub/marker"
# a shared host mount, to see a slave get master:N
sh_src=$T_TMP/shared-src
mkdir -p "$sh_src"
on_exit "umount -l '$sh_src'"
mount --bind "$sh_src" "$sh_src" && mount --make-shared "$sh_src"

# --- one container checks most mount kinds -------------------------------
b=$(make_bundle mnt sh -c '
  echo "bind_hello $(cat /mnt/bind/hello)"
  echo "bind_sub $(cat /mnt/bind/sub/marker 2>/dev/null || echo absent)"
  echo "rbind_sub $(cat /mnt/rbind/sub/marker 2>/dev/null || echo absent)"
  echo "ro_write $(touch /mnt/ro/x 2>/dev/null && echo written || echo refused)"
  echo "rw_write $(echo w > /mnt/rw/file 2>/dev/null && echo written || echo refused)"
  echo "noexec_run $(/mnt/flags/script.sh 2>/dev/null || echo refused)"
  echo "exec_run $(/mnt/bind/script.sh 2>/dev/null || echo refused)"
  echo "tmp_mode $(stat -c %a /mnt/tmp)"
  echo "tmp_kb $(df -k /mnt/tmp | tail -n 1 | awk "{ print \$2 }")"
  echo "file_bind $(cat /etc/brig-file)"
  echo "deep_dir $(test -d /mnt/new/deep/dir && echo dir || echo missing)"
  echo "mountinfo-begin"; cat /proc/self/mountinfo; echo "mountinfo-end"')
jq_edit "$b" ".mounts += [
  {\"destination\": \"/mnt/bind\",   \"type\": \"bind\",  \"source\": \"$hd\", \"options\": [\"bind\"]},
  {\"destination\": \"/mnt/rbind\",  \"type\": \"bind\",  \"source\": \"$hd\", \"options\": [\"rbind\"]},
  {\"destination\": \"/mnt/ro\",     \"type\": \"bind\",  \"source\": \"$hd\", \"options\": [\"bind\", \"ro\"]},
  {\"destination\": \"/mnt/rw\",     \"type\": \"bind\",  \"source\": \"$hd/rwdir\", \"options\": [\"bind\", \"rw\"]},
  {\"destination\": \"/mnt/flags\",  \"type\": \"bind\",  \"source\": \"$hd\", \"options\": [\"bind\", \"nosuid\", \"nodev\", \"noexec\"]},
  {\"destination\": \"/mnt/tmp\",    \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": [\"size=1m\", \"mode=1770\", \"nosuid\"]},
  {\"destination\": \"/etc/brig-file\", \"type\": \"bind\", \"source\": \"$hd/hello\", \"options\": [\"bind\", \"ro\"]},
  {\"destination\": \"/mnt/new/deep/dir\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": [\"size=64k\"]},
  {\"destination\": \"/mnt/p-shared\",  \"type\": \"bind\", \"source\": \"$hd/rwdir\", \"options\": [\"bind\", \"shared\"]},
  {\"destination\": \"/mnt/p-private\", \"type\": \"bind\", \"source\": \"$hd/rwdir\", \"options\": [\"bind\", \"private\"]},
  {\"destination\": \"/mnt/p-unbind\",  \"type\": \"bind\", \"source\": \"$hd/rwdir\", \"options\": [\"bind\", \"unbindable\"]},
  {\"destination\": \"/mnt/p-slave\",   \"type\": \"bind\", \"source\": \"$sh_src\", \"options\": [\"bind\", \"slave\"]}
]"
out=$(run_ctr "$b" "mnt-$T_SFX"); rc=$?
expect_eq "run with many mounts exits 0" 0 "$rc"
[ "$rc" -eq 0 ] || echo "# stderr: $(err_of "mnt-$T_SFX")"
minfo=$(printf '%s\n' "$out" | sed -n '/^mountinfo-begin$/,/^mountinfo-end$/p')

expect_eq "bind mount shows the host file" "from-host" "$(val "$out" bind_hello)"
expect_eq "bind (not rbind) does not carry submounts" "absent" "$(val "$out" bind_sub)"
expect_eq "rbind carries submounts" "sub-marker" "$(val "$out" rbind_sub)"
expect_eq "ro bind mount refuses writes" "refused" "$(val "$out" ro_write)"
check "ro bind mount is ro in mountinfo" has_opt "$(mi_opts "$minfo" /mnt/ro)" ro
expect_eq "rw bind mount accepts writes" "written" "$(val "$out" rw_write)"
expect_eq "rw bind mount write reaches the host" "w" "$(cat "$hd/rwdir/file" 2>/dev/null)"
o=$(mi_opts "$minfo" /mnt/flags)
for f in nosuid nodev noexec; do check "$f bind mount has $f in mountinfo ($o)" has_opt "$o" "$f"; done
expect_eq "noexec mount refuses to execute" "refused" "$(val "$out" noexec_run)"
expect_eq "exec allowed without noexec" "script-ran" "$(val "$out" exec_run)"
expect_eq "tmpfs mode=1770" "1770" "$(val "$out" tmp_mode)"
expect_eq "tmpfs size=1m (df)" "1024" "$(val "$out" tmp_kb)"
s=$(mi_super "$minfo" /mnt/tmp)
expect_match "tmpfs type and size in mountinfo" '^tmpfs .*size=1024k' "$s"
check "tmpfs has nosuid in mountinfo" has_opt "$(mi_opts "$minfo" /mnt/tmp)" nosuid
expect_eq "file bind mount" "from-host" "$(val "$out" file_bind)"
expect_eq "missing mount destination dirs are created" "dir" "$(val "$out" deep_dir)"
expect_match "propagation shared: shared:N in mountinfo" '(^| )shared:[0-9]+' "$(mi_optional "$minfo" /mnt/p-shared)"
expect_eq "propagation private: no optional fields" "" "$(mi_optional "$minfo" /mnt/p-private)"
expect_match "propagation unbindable: unbindable in mountinfo" '(^| )unbindable( |$)' "$(mi_optional "$minfo" /mnt/p-unbind)"
opt=$(mi_optional "$minfo" /mnt/p-slave)
expect_match "propagation slave of a shared host mount: master:N" '(^| )master:[0-9]+' "$opt"
expect_nomatch "propagation slave: not shared" 'shared:' "$opt"
check "mnt leaves nothing" leaves_nothing "mnt-$T_SFX" "$b"

# --- rro: recursive read-only (mount_setattr, Linux >= 5.12) -------------
kv=$(uname -r | awk -F. '{ printf "%d%03d", $1, $2 }')
if [ "$kv" -ge 5012 ]; then
  b=$(make_bundle mnt-rro sh -c '
    echo "top $(touch /mnt/rro/x 2>/dev/null && echo written || echo refused)"
    echo "sub $(touch /mnt/rro/sub/x 2>/dev/null && echo written || echo refused)"
    echo "plain_sub $(touch /mnt/ro/sub/y 2>/dev/null && echo written || echo refused)"
    cat /proc/self/mountinfo')
  jq_edit "$b" ".mounts += [
    {\"destination\": \"/mnt/rro\", \"type\": \"bind\", \"source\": \"$hd\", \"options\": [\"rbind\", \"rro\"]},
    {\"destination\": \"/mnt/ro\",  \"type\": \"bind\", \"source\": \"$hd\", \"options\": [\"rbind\", \"ro\"]}]"
  out=$(run_ctr "$b" "mnt-rro-$T_SFX"); rc=$?
  expect_eq "run with an rro mount exits 0" 0 "$rc"
  expect_eq "rro: top refuses writes" "refused" "$(val "$out" top)"
  expect_eq "rro: submount refuses writes too" "refused" "$(val "$out" sub)"
  expect_eq "plain ro on rbind: submount stays writable" "written" "$(val "$out" plain_sub)"
  check "rro: submount is ro in mountinfo" has_opt "$(mi_opts "$out" /mnt/rro/sub)" ro
  check "mnt-rro leaves nothing" leaves_nothing "mnt-rro-$T_SFX" "$b"
else
  skip "rro recursive read-only" "kernel $(uname -r) has no mount_setattr"
fi

# --- destinations through symlinks resolve inside the rootfs -------------
# rootfs/mnt/etclink -> /etc and rootfs/mnt/dirlink -> /var (absolute,
# they would be the host's if followed on the host), rootfs/mnt/uplink ->
# ../../../../../../../../var (climbs past the rootfs if resolved naively).
mk=$T_TMP/markerdir
mkdir -p "$mk"
echo "marker-$T_SFX" > "$mk/MARKER-$T_SFX"
b=$(make_bundle mnt-sym sh -c "
  echo \"etc_marker \$(cat /etc/MARKER-$T_SFX 2>/dev/null || echo absent)\"
  echo \"sub_dir \$(test -d /var/brig-sub-$T_SFX && echo dir || echo missing)\"
  echo \"up_dir \$(test -d /var/brig-up-$T_SFX && echo dir || echo missing)\"
  cat /proc/self/mountinfo")
mkdir -p "$b/rootfs/mnt"
ln -s /etc "$b/rootfs/mnt/etclink"
ln -s /var "$b/rootfs/mnt/dirlink"
ln -s ../../../../../../../../var "$b/rootfs/mnt/uplink"
host_etc_before=$(stat -c %d:%i /etc)
host_var_before=$(stat -c %d:%i /var)
on_exit "rmdir /var/brig-sub-$T_SFX /var/brig-up-$T_SFX; rm -f /etc/MARKER-$T_SFX"
jq_edit "$b" ".mounts += [
  {\"destination\": \"/mnt/etclink\", \"type\": \"bind\", \"source\": \"$mk\", \"options\": [\"bind\", \"ro\"]},
  {\"destination\": \"/mnt/dirlink/brig-sub-$T_SFX\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": [\"size=64k\"]},
  {\"destination\": \"/mnt/uplink/brig-up-$T_SFX\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": [\"size=64k\"]}]"
out=$(run_ctr "$b" "mnt-sym-$T_SFX"); rc=$?
expect_eq "run with symlinked mount destinations exits 0" 0 "$rc"
[ "$rc" -eq 0 ] || echo "# stderr: $(err_of "mnt-sym-$T_SFX")"
expect_eq "symlink -> /etc destination lands on the container's /etc" "marker-$T_SFX" "$(val "$out" etc_marker)"
check "container mountinfo has the mount at /etc" sh -c "printf '%s\n' \"\$1\" | awk '\$5 == \"/etc\"' | grep -q ." _ "$out"
expect_eq "intermediate symlink -> /var: dir made in the container's /var" "dir" "$(val "$out" sub_dir)"
expect_eq "relative symlink climbing out: resolved inside the rootfs" "dir" "$(val "$out" up_dir)"
check "host /etc has no marker file" test ! -e "/etc/MARKER-$T_SFX"
check "host /var has no brig-sub dir" test ! -e "/var/brig-sub-$T_SFX"
check "host /var has no brig-up dir" test ! -e "/var/brig-up-$T_SFX"
check "host /etc is not a mount point" sh -c "! awk '\$5 == \"/etc\"' /proc/self/mountinfo | grep -q ."
expect_eq "host /etc is the same directory" "$host_etc_before" "$(stat -c %d:%i /etc)"
check "host /etc/passwd still readable" test -s /etc/passwd
expect_eq "host /var is the same directory" "$host_var_before" "$(stat -c %d:%i /var)"
check "host /var is not a mount point" sh -c "! awk '\$5 == \"/var\"' /proc/self/mountinfo | grep -q ."
check "rootfs /var got the dirs (inside the bundle)" test -d "$b/rootfs/var/brig-sub-$T_SFX" -a -d "$b/rootfs/var/brig-up-$T_SFX"
check "mnt-sym leaves nothing" leaves_nothing "mnt-sym-$T_SFX" "$b"

t_done
