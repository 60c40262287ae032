#!/bin/bash
# test-timeout: 1500
# tests/vm/run.sh: brig's cgroup v2 suite.
#
# This machine's cgroup layout is hybrid (v1 controllers, a cgroup2 mount
# with hugetlb only), so the cgroup v2 checks run in QEMU guests with a pure
# v2 hierarchy (tests/vm/vm-run; software-emulated, so: build on the host,
# few boots, many checks per boot):
#   1. plain guest (a shell is PID 1): tests/unit/test-cgroup, cgroupfs driver
#   2. systemd guest: test-cgroup as root (cgroupfs + systemd driver), as the
#      rootless test user (systemd driver on the user bus) and in the user's
#      Delegate=yes scope (cgroupfs rootless)
#   and, in both, tests/vm/guest-brig.sh (container-level checks through
#   src/brig) once brig is built.
#   3. systemd guests on cgroup v1 (vm-run --cgroup hybrid, then v1):
#      test-cgroup with the systemd driver, tests/vm/guest-v1.sh
#   4. plain guest: tests/vm/guest-lsm.sh, AppArmor labels through src/brig
# On a host that already has pure cgroup v2 the same checks run directly
# (systemd ones when systemd is PID 1).  Without qemu (or a guest kernel)
# everything is skipped with the reason.
#
# Output: "ok - ..." / "not ok - ..." lines (tests/lib.sh protocol); exit 1
# on any failure.
#
# Env: TEST_CGROUP=path  use this test-cgroup binary (built for the host)
#      RUNTIME=path      the runtime for the container checks (default
#                        src/brig; the guest sees the host's / read-only, not
#                        its /tmp: use a path elsewhere)
#      VM_ONLY=plain|systemd|v1systemd|lsm  only that boot
#      VM_V1_LAYOUTS  the v1systemd boots (default "hybrid v1")
#      GUEST_ONLY=unit|runtime  only test-cgroup, or only the container checks
#      VM_TIMEOUT, VM_SMP, VM_MEM  passed to vm-run
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
failed=0

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; failed=1; }
skip_all() { echo "ok - cgroup v2 suite # SKIP $*"; exit 0; }

host_fs=$(stat -fc %T /sys/fs/cgroup 2>/dev/null || echo none)
if [ "$host_fs" != cgroup2fs ]; then
    command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 not installed (apt-get install --no-install-recommends qemu-system-x86 linux-image-amd64 busybox-static cpio kmod)"
    ls /boot/vmlinuz-*-amd64 >/dev/null 2>&1 || skip_all "no guest kernel (apt-get install --no-install-recommends linux-image-amd64)"
    [ "$(id -u)" = 0 ] || skip_all "vm-run needs root on the host"
fi

# the unit test binary, built on the host in the tree (vm-run shares the
# project directory with the guest at the same path)
bin=${TEST_CGROUP:-}
if [ -z "$bin" ]; then
    # the build's own rule (libbrig.a and its flags), brought up to date
    blog=$(mktemp)
    if ! make -s -C "$top" tests/unit/test-cgroup > /dev/null 2> "$blog"; then
        cat "$blog" >&2; rm -f "$blog"
        not_ok "build tests/unit/test-cgroup for the guest"
        exit 1
    fi
    rm -f "$blog"
    bin=$top/tests/unit/test-cgroup
fi
echo "# test binary: $bin"

if [ "$host_fs" = cgroup2fs ]; then
    m=direct
    [ -d /run/systemd/system ] && m=systemd
    "$here/guest.sh" "$m" "$bin" || failed=1
    exit $failed
fi

boot() {
    # boot LABEL VM-RUN-ARGS...: one guest, its ok/not ok lines passed on
    local label=$1 out err rc
    shift
    out=$(mktemp) err=$(mktemp)
    "$here/vm-run" --timeout "${VM_TIMEOUT:-900}" ${RUNTIME:+-e RUNTIME} ${GUEST_ONLY:+-e GUEST_ONLY} "$@" -- "$here/guest.sh" "$label" "$bin" > "$out" 2> "$err"
    rc=$?
    cat "$out"
    grep -q '^not ok' "$out" && failed=1
    case $rc in
        0) ;;
        124) not_ok "vm ($label): timed out"; sed 's/^/# /' "$err" | tail -n 30 ;;
        125) not_ok "vm ($label): the guest failed to boot"; sed 's/^/# /' "$err" | tail -n 40 ;;
        *) grep -q '^not ok' "$out" || not_ok "vm ($label): exit status $rc"
           sed 's/^/# /' "$err" | tail -n 20 ;;
    esac
    rm -f "$out" "$err"
}

# the systemd driver on cgroup v1: systemd 252 mounts the v1 hierarchies
# itself. hybrid (what real v1 hosts run): test-cgroup's systemd part and
# guest-v1.sh; legacy v1 (no unified mount): only guest-v1.sh. VM_ONLY=v1systemd runs only these;
# VM_V1_LAYOUTS picks the layouts.
boot_v1systemd() {
    local l t0
    for l in ${VM_V1_LAYOUTS:-hybrid v1}; do
        t0=$(date +%s)
        if [ "$l" = v1 ]; then
            GUEST_ONLY=${GUEST_ONLY:-runtime} boot v1systemd --systemd --no-user-manager --cgroup "$l"
        else
            boot v1systemd --systemd --cgroup "$l"
        fi
        echo "# v1systemd boot ($l): $(( $(date +%s) - t0 )) s"
    done
}

cd "$top" || exit 1
[ "${VM_ONLY:-plain}" = plain ] || [ -z "${VM_ONLY:-}" ] && boot plain
[ "${VM_ONLY:-systemd}" = systemd ] || [ -z "${VM_ONLY:-}" ] && boot systemd --systemd
[ "${VM_ONLY:-v1systemd}" = v1systemd ] || [ -z "${VM_ONLY:-}" ] && boot_v1systemd

# AppArmor: tests/vm/guest-lsm.sh in a plain boot of its own (the guest
# kernel has AppArmor, this host's has none); VM_ONLY=lsm runs only this
if [ "${VM_ONLY:-lsm}" = lsm ]; then
    lsm_rt=${RUNTIME:-$top/src/brig}
    if [ ! -x "$lsm_rt" ]; then
        ok "AppArmor (lsm) # SKIP $lsm_rt not built yet"
    elif ! command -v apparmor_parser >/dev/null; then
        ok "AppArmor (lsm) # SKIP apparmor_parser not installed on the host (apt-get install --no-install-recommends apparmor)"
    else
        lsm_out=$(mktemp) lsm_err=$(mktemp)
        "$here/vm-run" --timeout "${VM_TIMEOUT:-900}" -e RUNTIME="$lsm_rt" -- "$here/guest-lsm.sh" > "$lsm_out" 2> "$lsm_err"
        lsm_rc=$?
        sed -e 's/^ok - /ok - lsm: /' -e 's/^not ok - /not ok - lsm: /' "$lsm_out"
        grep -q '^not ok' "$lsm_out" && failed=1
        if [ $lsm_rc != 0 ] && ! grep -q '^not ok' "$lsm_out"; then
            not_ok "vm (lsm): exit status $lsm_rc"
            sed 's/^/# /' "$lsm_err" | tail -n 20
        fi
        rm -f "$lsm_out" "$lsm_err"
    fi
fi
exit $failed
