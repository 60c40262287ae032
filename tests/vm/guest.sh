#!/bin/sh
# tests/vm/guest.sh MODE TEST_CGROUP_BINARY: the cgroup v2 checks, run inside
# the QEMU guest by tests/vm/run.sh (or directly on a host whose hierarchy is
# pure cgroup v2).  MODE: plain (a shell is PID 1), systemd (systemd is PID 1,
# with the test user's delegated user@UID.service), or direct.
#
# Prints "ok - ..." / "not ok - ..." lines; exits 1 if any check failed.
mode=$1
bin=$2
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
rc=0
# A static brig dlopens libsystemd, which brings its own libc and malloc: a
# pointer freed by the wrong one corrupts the heap, but glibc's per-thread
# cache hides that most of the time.  With the cache off it aborts at once.
export GLIBC_TUNABLES=glibc.malloc.tcache_count=0

say() { echo "$*"; }
prefix() {
    # label every check with where it ran; keep comments and SKIPs as they are
    sed -u -e "s/^ok - /ok - $1: /" -e "s/^not ok - /not ok - $1: /"
}
run_check() {
    # run_check LABEL CMD...: the unit test binary, output labelled
    label=$1
    shift
    out=$(mktemp)
    "$@" > "$out" 2>&1
    r=$?
    prefix "$label" < "$out"
    if [ $r -ne 0 ]; then
        grep -q '^not ok' "$out" || say "not ok - $label: exited with status $r"
        rc=1
    fi
    rm -f "$out"
}

say "# guest: $(uname -r), /sys/fs/cgroup: $(stat -fc %T /sys/fs/cgroup), mode $mode"

# v1systemd (vm-run --systemd --cgroup hybrid|v1): the systemd driver on a
# cgroup v1 layout that systemd mounted; test-cgroup as root and the
# container checks of guest-v1.sh
if [ "$mode" = v1systemd ]; then
    layout=v1
    [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] && layout=hybrid
    if [ "$(stat -fc %T /sys/fs/cgroup)" != tmpfs ] || [ ! -d /run/systemd/system ]; then
        say "not ok - $layout systemd: not a systemd-managed cgroup v1 layout"
        exit 1
    fi
    # the systemd driver only: the cgroupfs driver on v1/hybrid is what the
    # host's own suite covers (BRIG_TEST_CGROUPFS=1: that too)
    nofs=BRIG_TEST_NO_CGROUPFS=1
    [ "${BRIG_TEST_CGROUPFS:-}" = 1 ] && nofs=BRIG_TEST_CGROUPFS=1
    [ "${GUEST_ONLY:-}" = runtime ] || run_check "$layout systemd root" env BRIG_TEST_SYSTEMD=1 $nofs "$bin"
    rt=${RUNTIME:-$top/src/brig}
    if [ "${GUEST_ONLY:-}" = unit ]; then
        :
    elif [ -x "$rt" ]; then
        run_check "$layout runtime systemd" env RUNTIME="$rt" "$here/guest-v1.sh"
    else
        say "ok - $layout container checks # SKIP $rt not built yet"
    fi
    exit $rc
fi
if [ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ]; then
    say "not ok - $mode: /sys/fs/cgroup is not cgroup2"
    exit 1
fi

# a block device for io.max (the guest has none of its own)
if [ ! -e /dev/nullb0 ]; then
    modprobe null_blk nr_devices=1 >/dev/null 2>&1 || true
    i=0
    while [ ! -e /dev/nullb0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
fi

# GUEST_ONLY=runtime: only the container checks; =unit: only test-cgroup
[ "${GUEST_ONLY:-}" = runtime ] && mode_unit=skip || mode_unit=$mode
case $mode_unit in
skip) ;;
plain|direct)
    run_check "v2 cgroupfs" env BRIG_TEST_SYSTEMD=0 "$bin"
    ;;
systemd)
    # root: cgroupfs (an absolute path: our own cgroup, vm-run.service, has
    # processes) and the systemd driver on the system bus
    run_check "v2 systemd root" env BRIG_TEST_SYSTEMD=1 "$bin"
    if [ -n "${VM_USER:-}" ] && command -v vm-user >/dev/null; then
        # rootless, systemd driver on the user bus (user@UID.service)
        run_check "v2 systemd rootless" vm-user env BRIG_TEST_ROOTLESS=1 BRIG_TEST_SYSTEMD=1 "$bin"
        # rootless, cgroupfs driver in a Delegate=yes scope of the user
        run_check "v2 cgroupfs rootless-delegated" vm-user systemd-run --user --scope -q -p Delegate=yes \
            env BRIG_TEST_ROOTLESS=1 BRIG_TEST_DELEGATED=1 BRIG_TEST_SYSTEMD=0 "$bin"
    else
        say "ok - v2 rootless # SKIP no test user (vm-user)"
    fi
    ;;
esac

# container-level checks through the runtime (RUNTIME, default src/brig)
rt=${RUNTIME:-$top/src/brig}
if [ "${GUEST_ONLY:-}" = unit ]; then
    :
elif [ -x "$rt" ] && [ -x "$here/guest-brig.sh" ]; then
    run_check "v2 runtime $mode" env RUNTIME="$rt" "$here/guest-brig.sh" "$mode"
else
    say "ok - v2 container checks ($mode) # SKIP $rt not built yet"
fi
exit $rc
