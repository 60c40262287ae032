#!/bin/bash
# /dev: default devices, devpts/ptmx, shm, mqueue, fd symlinks, and a
# linux.devices entry with its type, numbers, mode and owner.
. "$(dirname "$0")/../lib.sh"
T_BUNDLE_JQ='del(.linux.resources)'   # no cgroup limits on this host

val () { printf '%s\n' "$1" | awk -v k="$2" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }'; }
mtype () { printf '%s\n' "$1" | awk -v m="$2" '$5 == m { for (i = 7; i <= NF; i++) if ($i == "-") { t = $(i+1) } } END { print t }'; }

b=$(make_bundle dev sh -c '
  for d in null zero full random urandom tty pts/ptmx; do
    echo "node-$d $(stat -c "%F %t:%T %a" /dev/$d)"
  done
  echo "ptmx $(stat -c %F /dev/ptmx) $(readlink /dev/ptmx)"
  for l in fd stdin stdout stderr; do echo "link-$l $(readlink /dev/$l)"; done
  echo "read-zero $(head -c 4 /dev/zero | od -An -tx1 | tr -d " ")"
  echo "write-null $(echo x > /dev/null && echo ok)"
  echo "write-full $(echo x 2>/dev/null > /dev/full && echo written || echo refused)"
  echo "read-urandom $(head -c 16 /dev/urandom | wc -c)"
  echo "custom-c $(stat -c "%F %t:%T %a %u:%g" /dev/brig-c)"
  echo "custom-b $(stat -c "%F %t:%T %a %u:%g" /dev/brig-b)"
  echo "custom-ls $(ls -ln /dev/brig-c | awk "{ print \$1, \$3, \$4 }")"
  echo "custom-deep $(stat -c "%F %t:%T" /dev/brig/deep)"
  echo "extra $(ls /dev | grep -c "^sd\|^vd\|^loop\|^mem$\|^kmsg$")"
  cat /proc/self/mountinfo')
jq_edit "$b" '.linux.devices = [
  {"path": "/dev/brig-c", "type": "c", "major": 1, "minor": 3, "fileMode": 416, "uid": 1000, "gid": 1001},
  {"path": "/dev/brig-b", "type": "b", "major": 7, "minor": 0, "fileMode": 384, "uid": 0, "gid": 0},
  {"path": "/dev/brig/deep", "type": "c", "major": 1, "minor": 5}]'
out=$(run_ctr "$b" "dev-$T_SFX"); rc=$?
expect_eq "run exits 0" 0 "$rc"
[ "$rc" -eq 0 ] || echo "# stderr: $(err_of "dev-$T_SFX")"
for d in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0 pts/ptmx:5:2; do
  n=${d%%:*} mm=${d#*:}
  expect_match "/dev/$n is a char device $mm" "^character special file $mm " "$(val "$out" "node-$n")"
done
for d in null zero full random urandom tty; do
  expect_match "/dev/$d mode 666" ' 666$' "$(val "$out" "node-$d")"
done
p=$(val "$out" ptmx)
case $p in
  "symbolic link pts/ptmx"|"symbolic link /dev/pts/ptmx"|"character special file") ok "/dev/ptmx is pts/ptmx ($p)" ;;
  *) not_ok "/dev/ptmx is pts/ptmx (got '$p')" ;;
esac
expect_eq "/dev/fd -> /proc/self/fd" /proc/self/fd "$(val "$out" link-fd)"
expect_eq "/dev/stdin -> /proc/self/fd/0" /proc/self/fd/0 "$(val "$out" link-stdin)"
expect_eq "/dev/stdout -> /proc/self/fd/1" /proc/self/fd/1 "$(val "$out" link-stdout)"
expect_eq "/dev/stderr -> /proc/self/fd/2" /proc/self/fd/2 "$(val "$out" link-stderr)"
expect_eq "/dev/zero reads zeros" 00000000 "$(val "$out" read-zero)"
expect_eq "/dev/null takes writes" ok "$(val "$out" write-null)"
expect_eq "/dev/full refuses writes" refused "$(val "$out" write-full)"
expect_eq "/dev/urandom reads" 16 "$(val "$out" read-urandom)"
expect_eq "/dev is a tmpfs" tmpfs "$(mtype "$out" /dev)"
expect_eq "/dev/pts is a devpts" devpts "$(mtype "$out" /dev/pts)"
expect_eq "/dev/shm is a tmpfs" tmpfs "$(mtype "$out" /dev/shm)"
expect_eq "/dev/mqueue is an mqueue" mqueue "$(mtype "$out" /dev/mqueue)"
expect_eq "no host devices (disks, loop, mem, kmsg) in /dev" 0 "$(val "$out" extra)"
expect_eq "linux.devices char entry: type, numbers, fileMode 0640, uid:gid" "character special file 1:3 640 1000:1001" "$(val "$out" custom-c)"
expect_eq "linux.devices char entry in ls -ln" "crw-r----- 1000 1001" "$(val "$out" custom-ls)"
expect_eq "linux.devices block entry: fileMode 0600, root" "block special file 7:0 600 0:0" "$(val "$out" custom-b)"
expect_eq "linux.devices entry in a new subdirectory" "character special file 1:5" "$(val "$out" custom-deep)"
check "dev leaves nothing" leaves_nothing "dev-$T_SFX" "$b"

t_done
