#!/bin/sh
# Make an example OCI bundle from Debian's busybox-static and run it:
#   contrib/example-bundle.sh [DIR]       (default: ./example)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$top/example}
brig=$top/src/brig
busybox=${BUSYBOX:-/bin/busybox}

rm -rf "$dir"
mkdir -p "$dir/rootfs/bin" "$dir/rootfs/etc" "$dir/rootfs/proc" "$dir/rootfs/sys" "$dir/rootfs/dev" "$dir/rootfs/tmp"
cp "$busybox" "$dir/rootfs/bin/busybox"
for a in $("$busybox" --list); do
  [ "$a" = busybox ] || ln -sf busybox "$dir/rootfs/bin/$a"
done
echo 'root:x:0:0:root:/root:/bin/sh' > "$dir/rootfs/etc/passwd"
echo 'root:x:0:' > "$dir/rootfs/etc/group"
(cd "$dir" && "$brig" spec)
# a command that prints something, without a terminal
sed -i 's/"terminal": true/"terminal": false/; s/"sh"$/"sh", "-c", "echo Hello from a brig container: $(uname -n), pid $$; cat \/proc\/self\/uid_map"/' "$dir/config.json"
"$brig" --root "$dir/state" run --bundle "$dir" example
