#!/bin/sh
# Make an example OCI bundle from Debian's busybox-static and run it:
#   contrib/example-bundle.sh [DIR]       (default: ./example)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$top/example}
brig=$top/src/brig
busybox=${BUSYBOX:-/bin/busybox}

rm -rf "$dir"
BUSYBOX=$busybox sh "$top/contrib/make-rootfs.sh" "$dir/rootfs"
(cd "$dir" && "$brig" spec)
# a command that prints something, without a terminal
sed -i 's/"terminal": true/"terminal": false/; s/"sh"$/"sh", "-c", "echo Hello from a brig container: $(uname -n), pid $$; cat \/proc\/self\/uid_map"/' "$dir/config.json"
"$brig" --root "$dir/state" run --bundle "$dir" example
