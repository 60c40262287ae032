#!/bin/bash
# Command-line options engines pass (--no-pivot, --preserve-fds, --pid-file,
# --pidfd-socket, --console-socket, --log json, exec --cgroup) and config
# fields without a home elsewhere (memoryPolicy; intelRdt and netDevices,
# which this build refuses).  Checked from inside the container.
. "$(dirname "$0")/../lib.sh"
T_BUNDLE_JQ='del(.linux.resources)'
S=$$

# --- --no-pivot: MS_MOVE + chroot, the program still sees the rootfs as / ---
b=$(make_bundle nopivot sh -c 'cat /etc/passwd | head -1; awk "\$5 == \"/\"" /proc/self/mountinfo | wc -l')
out=$(rt run --no-pivot --bundle "$b" "np-$S" < /dev/null 2>&1); rc=$?
expect_eq "--no-pivot: run exits 0" 0 "$rc"
expect_match "--no-pivot: / is the bundle's rootfs" '^root:x:0:0:root' "$out"
check "--no-pivot leaves nothing" leaves_nothing "np-$S" "$b"

# --- --preserve-fds: fd 3 passed, fd 4 (not declared) not visible -----------
b=$(make_bundle pfds sh -c 'cat <&3; [ -e /proc/self/fd/4 ] && echo fd4-leaked; exit 0')
echo "from-fd-3" > "$T_TMP/fd3"
out=$(rt run --preserve-fds 1 --bundle "$b" "pf-$S" 3< "$T_TMP/fd3" 4< "$T_TMP/fd3" < /dev/null 2>&1)
expect_eq "--preserve-fds 1: fd 3 reaches the program, fd 4 does not" "from-fd-3" "$out"
if is_brig; then
  out=$(rt run --preserve-fds 2 --bundle "$b" "pf2-$S" 3< "$T_TMP/fd3" < /dev/null 2>&1); rc=$?
  expect_match "--preserve-fds 2 with only fd 3 passed is refused" 'fd 4 was not passed' "$out"
  check "a refused --preserve-fds leaves nothing" leaves_nothing "pf2-$S" "$b"
else
  skip "--preserve-fds 2 with only fd 3 passed is refused" "runc #5474"
  skip "a refused --preserve-fds leaves nothing" "runc #5474"
fi

# --- --pid-file: the pid, no newline, written before create returns --------
b=$(make_bundle pidf sleep 100)
rt_create "$b" "pidf-$S" --pid-file "$T_TMP/pid"
pid=$(cat "$T_TMP/pid" 2>/dev/null)
expect_eq "--pid-file holds the state's pid" "$(state_of "pidf-$S" .pid)" "$pid"
expect_eq "--pid-file has no trailing newline" 0 "$(tail -c1 "$T_TMP/pid" | tr -dc '\n' | wc -c)"
rt delete -f "pidf-$S" > /dev/null 2>&1

# --- --console-socket: the pty master arrives, the program sees a tty -------
if command -v python3 > /dev/null; then
  b=$(make_bundle tty sh -c 'tty; stty size')
  jq_edit "$b" '.process.terminal = true | .process.consoleSize = {"height": 33, "width": 77}'
  python3 "$TESTS_DIR/tools/recvtty.py" "$T_TMP/cs.sock" > "$T_TMP/tty.out" 2> /dev/null &
  rpid=$!
  on_exit "kill $rpid"
  poll 10 test -S "$T_TMP/cs.sock"
  rt_create "$b" "tty-$S" --console-socket "$T_TMP/cs.sock"; rc=$?
  expect_eq "--console-socket: create exits 0" 0 "$rc"
  rt start "tty-$S" > /dev/null 2>&1
  wait "$rpid" 2> /dev/null
  expect_match "--console-socket: the program's stdout is a pty" '^/dev/pts/[0-9]+' "$(head -1 "$T_TMP/tty.out" | tr -d '\r')"
  expect_eq "process.consoleSize applied" "33 77" "$(sed -n 2p "$T_TMP/tty.out" | tr -d '\r')"
  rt delete -f "tty-$S" > /dev/null 2>&1
  check "--console-socket leaves nothing" leaves_nothing "tty-$S" "$b"
else
  skip "--console-socket" "python3 missing"
fi

# --- --log FILE --log-format json: the failure is the last error line ------
b=$(make_bundle logj no-such-program)
"$RUNTIME" --root "$T_ROOT" --log "$T_TMP/log.json" --log-format json run --bundle "$b" "lj-$S" < /dev/null > /dev/null 2>&1
last=$(grep '"level":"error"' "$T_TMP/log.json" 2>/dev/null | tail -1)
expect_match "--log-format json: {level,msg,time} lines" '^\{"level":"error","msg":".*","time":"[0-9T:.Z-]+"\}$' "$last"
expect_match "--log-format json: the last error names the missing program" 'executable file not found in \$PATH' "$last"
check "a failed create leaves nothing" leaves_nothing "lj-$S" "$b"

if ! is_brig; then
  for c in "--pidfd-socket" "memoryPolicy" "intelRdt refused" "netDevices refused"; do skip "$c" "brig-only"; done
  t_done
fi

# --- --pidfd-socket: a pidfd of the init (create) and of the exec'd process
# arrives; the listener prints the pid its fdinfo names ----------------------
pidfd_listen() { # SOCK OUT: accept one pidfd in the background, pid in $lpid
  python3 - "$1" > "$2" 2>&1 <<'EOF' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(sys.argv[1]); s.listen(1)
c, _ = s.accept()
msg, fds, _, _ = socket.recv_fds(c, 1024, 1)
if fds and os.readlink("/proc/self/fd/%d" % fds[0]) == "anon_inode:[pidfd]":
    pid = [l.split()[1] for l in open("/proc/self/fdinfo/%d" % fds[0]) if l.startswith("Pid:")]
    print("pidfd", pid[0] if pid else "?", msg.decode())
else:
    print("no pidfd")
EOF
  lpid=$!
  on_exit "kill $lpid"
  poll 10 test -S "$1"
}
b=$(make_bundle pidfd sleep 100)
pidfd_listen "$T_TMP/pidfd.sock" "$T_TMP/pidfd.out"
rt_create "$b" "pidfd-$S" --pidfd-socket "$T_TMP/pidfd.sock"
wait "$lpid" 2> /dev/null
expect_eq "--pidfd-socket: a pidfd of the container's init arrives" "pidfd $(state_of "pidfd-$S" .pid) pidfd-$S" "$(cat "$T_TMP/pidfd.out")"
rt start "pidfd-$S"
pidfd_listen "$T_TMP/pidfd2.sock" "$T_TMP/pidfd2.out"
rt exec -d --pid-file "$T_TMP/exec.pid" --pidfd-socket "$T_TMP/pidfd2.sock" "pidfd-$S" sleep 50 > /dev/null 2>&1
wait "$lpid" 2> /dev/null
expect_eq "exec --pidfd-socket: a pidfd of the exec'd process arrives" "pidfd $(cat "$T_TMP/exec.pid" 2>/dev/null) pidfd-$S" "$(cat "$T_TMP/pidfd2.out")"
rt delete -f "pidfd-$S" > /dev/null 2>&1

# --- linux.memoryPolicy: set_mempolicy, seen in numa_maps --------------------
b=$(make_bundle mpol sh -c 'head -1 /proc/self/numa_maps')
jq_edit "$b" '.linux.memoryPolicy = {"mode": "MPOL_BIND", "nodes": "0"}'
expect_match "linux.memoryPolicy MPOL_BIND nodes 0: bind:0 in numa_maps" ' bind:0 ' "$(run_ctr "$b" "mp-$S")"

# --- fields this build cannot apply are refused, naming the field -----------
b=$(make_bundle rdt true)
jq_edit "$b" '.linux.intelRdt = {"closID": "x"}'
run_ctr "$b" "rdt-$S" > /dev/null
expect_match "linux.intelRdt refused" 'linux.intelRdt' "$(err_of "rdt-$S")"
check "refused intelRdt leaves nothing" leaves_nothing "rdt-$S" "$b"
jq_edit "$b" 'del(.linux.intelRdt) | .linux.netDevices = {"eth9": {"name": "eth0"}}'
run_ctr "$b" "nd-$S" > /dev/null
expect_match "linux.netDevices refused" 'linux.netDevices' "$(err_of "nd-$S")"

t_done
