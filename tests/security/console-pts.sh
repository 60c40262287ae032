#!/bin/bash
# CVE-2025-52565: /dev/console was bind-mounted from the path
# /dev/pts/$N, which the container could swap for a symlink (so any file
# ended up mounted over /dev/console).  brig gets the pty slave with
# ioctl(TIOCGPTPEER) on the master and binds that fd onto /dev/console,
# whose target is made in-root.  Attacks: the image's /dev/console and
# /dev/pts/0..9 are symlinks to a host file (no /dev tmpfs, so the
# image's /dev is used).  The host file must stay unchanged and no mount
# point; /dev/console inside must be a pty (char major 136).
# A naive runtime (bind of "/dev/pts/N" or of rootfs+"/dev/console") fails
# "host file unchanged"/"is no mount point"; runc 1.1.5 is vulnerable to
# the racing form (fixed in 1.2.8/1.3.3/1.4.0-rc.3).
. "$(dirname "$0")/../lib.sh"

command -v python3 >/dev/null || { skip "console via TIOCGPTPEER" "needs python3 (tests/tools/recvtty.py)"; exit 0; }
hf=$T_TMP/host-console; echo host-data > "$hf"
b=$(make_bundle b1 /bin/sh -c 'echo "console=$(stat -c %t /dev/console) tty=$(tty)"')
jq_edit "$b" 'del(.mounts[] | select(.destination == "/dev")) | .process.terminal = true | .root.readonly = false'
mkdir -p "$b/rootfs/dev/pts"
ln -s "$hf" "$b/rootfs/dev/console"
for i in $(seq 0 9); do ln -s "$hf" "$b/rootfs/dev/pts/$i"; done
# console_case N WHAT: create + start with a console socket, print the
# container's answer
console_case () {
  local n=$1 what=$2 sock=$T_TMP/console-$1.sock id=xcons$1-$T_SFX rpid
  python3 "$TOP_DIR/tests/tools/recvtty.py" "$sock" > "$T_TMP/tty$n.out" 2> "$T_TMP/tty$n.err" &
  rpid=$!
  on_exit "kill $rpid"
  poll 5 test -S "$sock"
  if rt_create "$b" "$id" --console-socket "$sock" && rt start "$id"; then
    poll 10 grep -q 'console=' "$T_TMP/tty$n.out"
    expect_match "$what: the container's /dev/console is a pty (major 136)" 'console=88 tty=/dev/(pts/[0-9]+|console)' \
      "$(tr -d '\r' < "$T_TMP/tty$n.out")"
  else
    ok "$what: refused ($(err_of "$id" | head -1))"
  fi
  rt delete -f "$id" > /dev/null 2>&1
  kill $rpid 2>/dev/null
}
console_case 1 "/dev/console and /dev/pts/0..9 -> host file"
# only the pts entries hostile: the console must still come from the master
rm -f "$b/rootfs/dev/console"
console_case 2 "/dev/pts/0..9 -> host file"
expect_eq "host file behind the /dev/console and /dev/pts/N symlinks unchanged" "host-data" "$(cat "$hf")"
if awk -v p="$hf" '$5 == p { f = 1 } END { exit !f }' /proc/self/mountinfo; then
  not_ok "host file became a mount point"; umount -l "$hf"
else
  ok "host file is no mount point"
fi
t_done
