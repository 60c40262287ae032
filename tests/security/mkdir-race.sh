#!/bin/bash
# test-timeout: 240
# Symlink-exchange races on shared volumes: CVE-2024-45310 (a racing
# MkdirAll made the runtime create directories on the host) and
# CVE-2021-30465 (a mount target swapped for a symlink between the
# runtime's check and mount(2)).  A racer container shares a volume with
# the victim; a small static program in it swaps /vol/a, a directory,
# with a symlink to a host directory (absolute and ../ forms) in a tight
# renameat2(RENAME_EXCHANGE) loop, so "a" is a link about half of the
# time.  The victim's config mounts tmpfs at four targets eight levels
# deep below /vol/a: the runtime must mkdir every level through the
# racing name, then mount on the last one.  RACE_TRIES starts (default
# 30) with openat2 and with the userspace resolver
# (BRIG_FORCE_NO_OPENAT2=1); after each one the host directory must still
# be empty and hold no mount, whatever the start did (ran or refused).
# The control runs the same attack against a naive runtime: a wrapper
# that first does MkdirAll(rootfs + destination) by path string for each
# mount, as runc < 1.1.14 did (after the earlier bind mounts, so through
# the volume), then calls the runtime under test.  It must create
# directories on the host within RACE_TRIES starts, or the race window is
# too small for the test to mean anything (checked: 30 of 30 hit on this
# 2-core host).  runc 1.1.5 is vulnerable to CVE-2024-45310 (fixed in
# 1.1.14).  brig's fallback resolver walked path strings before this test
# existed and was racy too (fixed: fd per component, inroot.c).
. "$(dirname "$0")/../lib.sh"

TRIES=${RACE_TRIES:-30}
vol=$T_TMP/vol esc=$T_TMP/escape
mkdir -p "$vol" "$esc"

cat > "$T_TMP/racer.c" <<'C'
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifndef RENAME_EXCHANGE
# define RENAME_EXCHANGE 2
#endif
/* racer DIR ESCAPE SECONDS: swap DIR/a (a directory) with DIR/x (-> ESCAPE)
   and DIR/y (-> ../../..ESCAPE), back and forth, for SECONDS */
int
main (int argc, char **argv)
{
  char rel[4096];
  time_t end;
  int d;
  if (argc != 4 || (d = open (argv[1], O_PATH | O_DIRECTORY)) < 0)
    return 2;
  end = time (NULL) + atoi (argv[3]);
  snprintf (rel, sizeof (rel), "../../../../../../../../../..%s", argv[2]);
  if (mkdirat (d, "a", 0755) < 0 || symlinkat (argv[2], d, "x") < 0 || symlinkat (rel, d, "y") < 0)
    return 3;
  while (time (NULL) < end)
    for (int i = 0; i < 4096; i++)
      renameat2 (d, "a", d, (i & 2) ? "y" : "x", RENAME_EXCHANGE);
  return 0;
}
C
a=$(make_bundle racer /racer /vol "$esc" 200)
if ! gcc -static -O2 -o "$a/rootfs/racer" "$T_TMP/racer.c" 2> "$T_TMP/gcc.err"; then
  skip "mkdir race" "cannot build the racer (static): $(head -1 "$T_TMP/gcc.err")"; t_done
fi
jq_edit "$a" ".mounts += [{\"destination\": \"/vol\", \"type\": \"bind\", \"source\": \"$vol\", \"options\": [\"rbind\"]}]"
b=$(make_bundle victim /bin/true)
jq_edit "$b" ".mounts += [{\"destination\": \"/vol\", \"type\": \"bind\", \"source\": \"$vol\", \"options\": [\"rbind\"]}]
  | .mounts += ([\"b1\", \"b2\", \"b3\", \"b4\"] | map({destination: (\"/vol/a/\" + . + \"/c/d/e/f/g/h\"), type: \"tmpfs\", source: \"tmpfs\"}))"

# the naive runtime: MkdirAll by path string, then the runtime under test
naive=$T_TMP/naive-runtime
cat > "$naive" <<'SH'
#!/bin/bash
bundle=.
args=("$@")
for (( i = 0; i < $#; i++ )); do [ "${args[i]}" = --bundle ] && bundle=${args[i+1]}; done
case " $* " in
  *" run "*|*" create "*)
    rootfs=$(jq -r .root.path "$bundle/config.json")
    [ "${rootfs#/}" = "$rootfs" ] && rootfs=$bundle/$rootfs
    binds=()
    while IFS=$'\t' read -r dest type src; do
      path=$rootfs$dest
      # after a bind mount, a path below it walks the bind's source
      for bm in "${binds[@]}"; do
        case $dest in "${bm%%$'\t'*}"/*) path=${bm#*$'\t'}${dest#"${bm%%$'\t'*}"} ;; esac
      done
      mkdir -p "$path" 2> /dev/null
      [ "$type" = bind ] && binds+=("$dest"$'\t'"$src")
    done < <(jq -r '.mounts[] | [.destination, .type, (.source // "")] | @tsv' "$bundle/config.json")
    ;;
esac
exec "$NAIVE_REAL" "$@"
SH
chmod +x "$naive"

# escaped: what reached the host dir (entries, mounts), cleaned up after
escaped () {
  local n
  n=$(find "$esc" -mindepth 1 | wc -l)
  if awk -v p="$esc" '$5 == p || index($5, p "/") == 1 { f = 1 } END { exit !f }' /proc/self/mountinfo; then
    n=$((n + 1)); umount -R -l "$esc"
  fi
  rm -rf "${esc:?}"/*
  echo "$n"
}

# attack WHAT RUNTIME [ENV...]: TRIES starts; sets hits (starts that left
# something on the host), ran
attack () {
  local what=$1 r=$2 i; shift 2
  hits=0 ran=0 refusal=
  for (( i = 1; i <= TRIES; i++ )); do
    if env "$@" NAIVE_REAL="$RUNTIME" "$r" --root "$T_ROOT" run --bundle "$b" "xrace-v-$T_SFX" \
         < /dev/null > /dev/null 2> "$T_TMP/victim.err"; then
      ran=$((ran + 1))
    else
      refusal=$(head -1 "$T_TMP/victim.err")
    fi
    "$RUNTIME" --root "$T_ROOT" delete -f "xrace-v-$T_SFX" > /dev/null 2>&1
    [ "$(escaped)" -eq 0 ] || hits=$((hits + 1))
    # the control only needs to show that the race is won
    [ "$what" = control ] && [ $hits -ge 3 ] && break
  done
  tries=$(( i > TRIES ? TRIES : i ))
}

if ! { rt_create "$a" "xrace-a-$T_SFX" && rt start "xrace-a-$T_SFX"; }; then
  not_ok "racer did not start: $(err_of "xrace-a-$T_SFX")"; t_done
fi
poll 10 test -L "$vol/x" || not_ok "the racer did not set up its links"

attack control "$naive"
if [ $hits -gt 0 ]; then
  ok "control: a naive MkdirAll runtime created dirs on the host in $hits of $tries starts"
else
  not_ok "control: a naive MkdirAll runtime never escaped in $TRIES starts: the race window is too small"
fi
modes=(openat2)
is_brig && modes+=(fallback)
for mode in "${modes[@]}"; do
  if [ $mode = fallback ]; then attack "$mode" "$RUNTIME" BRIG_FORCE_NO_OPENAT2=1; else attack "$mode" "$RUNTIME"; fi
  expect_eq "$mode: $TRIES racing starts ($ran ran): nothing created or mounted on the host" 0 "$hits"
  [ -z "$refusal" ] || echo "# $mode: a refused start said: $refusal"
done
rt delete -f "xrace-a-$T_SFX" > /dev/null 2>&1
expect_eq "the racer container is gone" "" "$(state_of "xrace-a-$T_SFX" .status 2>/dev/null)"
t_done
