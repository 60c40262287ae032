#!/bin/bash
# The whole test suite on a fresh Debian 12 machine, as root: installs what
# the tests need, builds brig, runs the unit tests and every shell suite.
# The last line is "N passed, M failed, K skipped".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

BUILD_DEPS="gcc make autoconf automake libtool pkg-config libseccomp-dev libcap-dev libyajl-dev libsystemd-dev"
TEST_DEPS="busybox-static jq runc crun uidmap iproute2 strace procps psmisc util-linux time hyperfine valgrind \
  golang-github-containers-common"
ENGINE_DEPS="podman conmon containerd docker.io slirp4netns fuse-overlayfs catatonit tini umoci skopeo \
  containernetworking-plugins iptables"
VM_DEPS="qemu-system-x86 linux-image-amd64 cpio kmod apparmor"

missing=""
for p in $BUILD_DEPS $TEST_DEPS $ENGINE_DEPS $VM_DEPS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "# installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null 2>&1
  # docker and containerd must not start on their own: the tests start them
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  log=$(mktemp)
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $missing >"$log" 2>&1 \
    || { echo "# apt-get install failed:"; tail -20 "$log" | sed 's/^/# /'; }
  rm -f /usr/sbin/policy-rc.d "$log"
fi

if [ ! -x src/brig ] || [ "${CI:-}" = true ]; then
  log=$(mktemp)
  { ./autogen.sh && ./configure ${BRIG_CONFIGURE_FLAGS:-} && make -j"$(nproc)"; } >"$log" 2>&1 || {
    tail -40 "$log"; rm -f "$log"
    echo "0 passed, 1 failed"
    exit 1
  }
  rm -f "$log"
fi

exec bash tests/run.sh "$@"
