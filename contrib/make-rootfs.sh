#!/bin/sh
# contrib/make-rootfs.sh DIR [--test-users]: a busybox-static rootfs in DIR
# (the usual directories, the applet symlinks, /etc/passwd and /etc/group
# with root and nobody).  --test-users adds the test suite's user `test`
# (1000) and group `extra` (1001, with `test` in it).  BUSYBOX names the
# static busybox (default /bin/busybox).  Used by the example bundle, the
# tests and the bench, so all three run the same image.
set -eu
dir=$1
busybox=${BUSYBOX:-/bin/busybox}
mkdir -p "$dir/bin" "$dir/etc" "$dir/proc" "$dir/sys" "$dir/dev" "$dir/tmp" "$dir/root" \
  "$dir/home" "$dir/var" "$dir/run" "$dir/usr/bin" "$dir/sbin"
cp "$busybox" "$dir/bin/busybox"
# the applet symlinks (-> busybox), in one perl process when there is one
# (400 ln forks take seconds on a loaded 2-core machine)
if command -v perl > /dev/null 2>&1; then
  "$busybox" --list | perl -e 'my $d = shift; while (<STDIN>) { chomp; next if $_ eq "busybox" || $_ eq "";
    unlink "$d/$_"; symlink("busybox", "$d/$_") or die "symlink $d/$_: $!\n" }' "$dir/bin"
else
  for a in $("$busybox" --list); do
    [ "$a" = busybox ] || ln -sf busybox "$dir/bin/$a"
  done
fi
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' > "$dir/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\n' > "$dir/etc/group"
if [ "${2:-}" = --test-users ]; then
  printf 'test:x:1000:1000:test:/home:/bin/sh\n' >> "$dir/etc/passwd"
  printf 'test:x:1000:\nextra:x:1001:test\n' >> "$dir/etc/group"
fi
chmod 1777 "$dir/tmp"
