#!/bin/bash
# linux.maskedPaths and linux.readonlyPaths, seen from inside.
. "$(dirname "$0")/../lib.sh"
T_BUNDLE_JQ='del(.linux.resources)'   # no cgroup limits on this host

val () { printf '%s\n' "$1" | awk -v k="$2" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }'; }

b=$(make_bundle mask sh -c '
  echo "secret [$(cat /etc/secret 2>&1)]"
  echo "secret_size $(wc -c < /etc/secret)"
  echo "secretdir [$(ls -A /etc/secretdir 2>&1)]"
  echo "secretdir_isdir $(test -d /etc/secretdir && echo yes || echo no)"
  echo "kcore $(head -c 16 /proc/kcore 2>/dev/null | wc -c)"
  echo "missing $(test -e /nonexistent/masked && echo exists || echo absent)"
  echo "visible $(cat /etc/visible)"
  echo "rodir_write $(touch /etc/rodir/x 2>/dev/null && echo written || echo refused)"
  echo "rodir_read $(cat /etc/rodir/inner)"
  echo "rofile_write $(echo x 2>/dev/null >> /etc/rofile && echo written || echo refused)"
  echo "rofile_read $(cat /etc/rofile)"
  echo "rwdir_write $(touch /etc/rwdir/x 2>/dev/null && echo written || echo refused)"
  echo "procsys_write $(echo 1 2>/dev/null > /proc/sys/net/ipv4/ip_forward && echo written || echo refused)"
  echo "romissing $(test -e /nonexistent-ro && echo exists || echo absent)"
  cat /proc/self/mountinfo')
r=$b/rootfs
echo s3cret > "$r/etc/secret"
mkdir -p "$r/etc/secretdir" "$r/etc/rodir" "$r/etc/rwdir"
echo inner > "$r/etc/secretdir/inner"
echo inner-ro > "$r/etc/rodir/inner"
echo rofile > "$r/etc/rofile"
echo visible > "$r/etc/visible"
jq_edit "$b" '.root.readonly = false
  | .linux.maskedPaths += ["/etc/secret", "/etc/secretdir", "/nonexistent/masked"]
  | .linux.readonlyPaths = ["/proc/sys", "/etc/rodir", "/etc/rofile", "/nonexistent-ro"]'
out=$(run_ctr "$b" "mask-$T_SFX"); rc=$?
expect_eq "run exits 0 (masked/readonly paths that do not exist are skipped)" 0 "$rc"
[ "$rc" -eq 0 ] || echo "# stderr: $(err_of "mask-$T_SFX")"
expect_eq "masked file reads empty" "[]" "$(val "$out" secret)"
expect_eq "masked file has size 0" 0 "$(val "$out" secret_size)"
expect_eq "masked dir is empty" "[]" "$(val "$out" secretdir)"
expect_eq "masked dir is still a dir" yes "$(val "$out" secretdir_isdir)"
expect_eq "default masked /proc/kcore reads nothing" 0 "$(val "$out" kcore)"
expect_eq "missing masked path is not created" absent "$(val "$out" missing)"
expect_eq "unmasked file still readable" visible "$(val "$out" visible)"
expect_eq "readonly dir refuses writes" refused "$(val "$out" rodir_write)"
expect_eq "readonly dir stays readable" inner-ro "$(val "$out" rodir_read)"
expect_eq "readonly file refuses writes" refused "$(val "$out" rofile_write)"
expect_eq "readonly file stays readable" rofile "$(val "$out" rofile_read)"
expect_eq "a sibling dir stays writable" written "$(val "$out" rwdir_write)"
expect_eq "readonly /proc/sys refuses writes" refused "$(val "$out" procsys_write)"
expect_eq "missing readonly path is not created" absent "$(val "$out" romissing)"
expect_match "readonly dir is ro in mountinfo" '^ro(,|$)' "$(printf '%s\n' "$out" | awk '$5 == "/etc/rodir" { print $6 }' | tail -n 1)"
check "the host side of the masked file is intact" grep -qx s3cret "$r/etc/secret"
check "the host side of the masked dir is intact" test -f "$r/etc/secretdir/inner"
check "nothing created for the missing masked path" test ! -e "$r/nonexistent"
check "mask leaves nothing" leaves_nothing "mask-$T_SFX" "$b"

t_done
