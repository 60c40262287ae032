#!/bin/bash
# hooks: prestart, createRuntime, createContainer, startContainer, poststart,
# poststop.  Each hook saves the state JSON it got on stdin, its args and its
# env; the state's status/id/pid/bundle are checked per runtime-spec.
. "$(dirname "$0")/../lib.sh"
T_BUNDLE_JQ='del(.linux.resources)'   # no cgroup limits on this host

out_dir=$T_TMP/hookout
mkdir -p "$out_dir"
hook=$T_TMP/hook.sh
cat > "$hook" <<EOF
#!/bin/sh
# hook.sh NAME [ARGS...]: state on stdin -> $out_dir/NAME.json
name=\$1
cat > "$out_dir/\$name.json"
echo "\$*" > "$out_dir/\$name.args"
env > "$out_dir/\$name.env"
echo "\$name" >> "$out_dir/order"
EOF
chmod 755 "$hook"
js () { jq -r "$2" "$out_dir/$1.json" 2>/dev/null; }
id="hooks-$T_SFX"

b=$(make_bundle hooks sh -c 'echo program-ran > /hookout/program; sleep 0.2')
# startContainer runs in the container namespace: its path resolves in the
# container, so it is the rootfs's sh writing to the bind-mounted dir.
jq_edit "$b" ".mounts += [{\"destination\": \"/hookout\", \"type\": \"bind\", \"source\": \"$out_dir\", \"options\": [\"bind\"]}]
  | .annotations = {\"org.brig.test\": \"hooks\"}
  | .hooks = {
  \"prestart\":        [{\"path\": \"/bin/true\"}, {\"path\": \"$hook\", \"args\": [\"hook.sh\", \"prestart\"]}],
  \"createRuntime\":   [{\"path\": \"/bin/true\"}, {\"path\": \"$hook\", \"args\": [\"hook.sh\", \"createRuntime\", \"two words\"], \"env\": [\"HOOKVAR=hv\", \"PATH=/usr/bin:/bin\"]}],
  \"createContainer\": [{\"path\": \"/bin/true\"}, {\"path\": \"$hook\", \"args\": [\"hook.sh\", \"createContainer\"]}],
  \"startContainer\":  [{\"path\": \"/bin/true\"}, {\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"cat > /hookout/startContainer.json; echo startContainer >> /hookout/order\"]}],
  \"poststart\":       [{\"path\": \"/bin/true\"}, {\"path\": \"$hook\", \"args\": [\"hook.sh\", \"poststart\"]}],
  \"poststop\":        [{\"path\": \"/bin/true\"}, {\"path\": \"$hook\", \"args\": [\"hook.sh\", \"poststop\"]}]}"
rt_create "$b" "$id"; rc=$?
expect_eq "create with all hooks exits 0" 0 "$rc"
[ "$rc" -eq 0 ] || echo "# stderr: $(err_of "$id")"
for h in prestart createRuntime createContainer; do
  check "$h ran at create" test -s "$out_dir/$h.json"
done
check "startContainer has not run at create" test ! -e "$out_dir/startContainer.json"
needs_newer_than_runc_115 "poststart has not run at create" "runc 1.1.5 runs poststart hooks during create (runc bug, fixed later)" &&
  check "poststart has not run at create" test ! -e "$out_dir/poststart.json"
rt start "$id" 2>> "$T_TMP/$id.err"; rc=$?
expect_eq "start exits 0" 0 "$rc"
poll 10 status_is "$id" stopped
rt delete "$id" 2>> "$T_TMP/$id.err"; rc=$?
expect_eq "delete exits 0" 0 "$rc"
check "the user program ran" grep -qx program-ran "$out_dir/program"
order=$(tr '\n' ' ' < "$out_dir/order" 2>/dev/null | sed 's/ $//')
if is_old_runc; then
  expect_eq "hooks ran in lifecycle order (runc 1.1.5: poststart at create)" "prestart createRuntime createContainer poststart startContainer poststop" "$order"
  skip "hooks ran in lifecycle order" "runc 1.1.5 runs poststart hooks during create (runc bug, fixed later)"
else
  expect_eq "hooks ran in lifecycle order" "prestart createRuntime createContainer startContainer poststart poststop" "$order"
fi

for h in prestart createRuntime createContainer startContainer poststart poststop; do
  expect_eq "$h: state JSON parses, id" "$id" "$(js $h .id)"
  expect_eq "$h: bundle is the absolute bundle path" "$b" "$(js $h .bundle)"
  expect_match "$h: ociVersion present" '^[0-9]+\.[0-9]+' "$(js $h .ociVersion)"
done
expect_eq "createRuntime: annotations in the state" hooks "$(js createRuntime '.annotations["org.brig.test"]')"
for h in prestart createRuntime createContainer; do
  expect_match "$h: status creating or created" '^(creating|created)$' "$(js $h .status)"
  expect_match "$h: pid present" '^[1-9][0-9]*$' "$(js $h .pid)"
done
expect_eq "startContainer: status created" created "$(js startContainer .status)"
expect_match "startContainer: pid present" '^[1-9][0-9]*$' "$(js startContainer .pid)"
if needs_newer_than_runc_115 "poststart: status running" "runc 1.1.5 passes status created to poststart (runc bug, fixed later)"; then
  expect_eq "poststart: status running" running "$(js poststart .status)"
fi
expect_match "poststart: pid present" '^[1-9][0-9]*$' "$(js poststart .pid)"
expect_match "createRuntime: pid is the host pid (runtime namespace)" '^[1-9][0-9]*$' "$(js createRuntime .pid)"
if [ "$(js createRuntime .pid)" != 1 ]; then ok "createRuntime: pid is not the container-namespace pid 1"; else not_ok "createRuntime: pid is not the container-namespace pid 1"; fi
expect_eq "poststop: status stopped" stopped "$(js poststop .status)"
expect_eq "hook args: argv[1..] as configured" "createRuntime two words" "$(cat "$out_dir/createRuntime.args" 2>/dev/null)"
check "hook env: HOOKVAR from hook.env" grep -qx HOOKVAR=hv "$out_dir/createRuntime.env"
check "hook env: nothing but hook.env (no HOME, no host env)" sh -c "! grep -qv -e '^HOOKVAR=' -e '^PATH=' -e '^PWD=' -e '^SHLVL=' -e '^_=' -e '^OLDPWD=' '$out_dir/createRuntime.env'"
check "hooks leave nothing" leaves_nothing "$id" "$b"

# --- a large state (annotation > pipe buffer) and hooks that never read --
rm -f "$out_dir"/*
id="hooks-big-$T_SFX"
big=$(head -c 150000 /dev/zero | tr '\0' x)
b=$(make_bundle hooks-big true)
printf '{"org.brig.big": "%s"}\n' "$big" > "$T_TMP/big.json"
jq --slurpfile a "$T_TMP/big.json" '.annotations = $a[0] | .hooks = {
  "createRuntime": [{"path": "/bin/true"}, {"path": "'"$hook"'", "args": ["hook.sh", "createRuntime"]}],
  "poststart": [{"path": "/bin/true"}],
  "poststop": [{"path": "/bin/true"}, {"path": "'"$hook"'", "args": ["hook.sh", "poststop"]}]}' \
  "$b/config.json" > "$b/config.json.new" && mv "$b/config.json.new" "$b/config.json"
run_ctr "$b" "$id" > /dev/null; rc=$?
expect_eq "hooks that exit without reading a 150 KB state: run exits 0" 0 "$rc"
[ "$rc" -eq 0 ] || echo "# stderr: $(err_of "$id" | head -c 300)"
expect_eq "the next hook still gets the whole state" 150000 "$(js createRuntime '.annotations["org.brig.big"] | length')"
check "poststop after a non-reading hook ran" test -s "$out_dir/poststop.json"
check "hooks-big leaves nothing" leaves_nothing "$id" "$b"

# --- a failing poststop hook does not make delete fail -------------------
rm -f "$out_dir"/*
id="hooks-pstop-$T_SFX"
b=$(make_bundle hooks-pstop true)
jq_edit "$b" ".hooks = {\"poststop\": [{\"path\": \"/bin/false\"}, {\"path\": \"$hook\", \"args\": [\"hook.sh\", \"poststop\"]}]}"
rt_create "$b" "$id" && rt start "$id" 2>/dev/null
poll 10 status_is "$id" stopped
rt delete "$id" 2>> "$T_TMP/$id.err"; rc=$?
expect_eq "failing poststop hook: delete exits 0" 0 "$rc"
needs_newer_than_runc_115 "failing poststop hook: the next poststop hook still ran" "runc 1.1.5 stops at the first failing poststop hook (runtime-spec: the remaining hooks continue)" &&
  check "failing poststop hook: the next poststop hook still ran" test -s "$out_dir/poststop.json"
check "failing poststop: state dir gone" test ! -e "$T_ROOT/$id"
check "hooks-pstop leaves nothing" leaves_nothing "$id" "$b"

# --- a failing createRuntime hook fails create, leaves nothing -----------
rm -f "$out_dir"/*
id="hooks-fail-$T_SFX"
b=$(make_bundle hooks-fail sh -c 'echo ran > /hookout/program')
jq_edit "$b" ".mounts += [{\"destination\": \"/hookout\", \"type\": \"bind\", \"source\": \"$out_dir\", \"options\": [\"bind\"]}]
  | .hooks = {\"createRuntime\": [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"exit 3\"]}]}"
rt_create "$b" "$id"; rc=$?
if [ "$rc" -ne 0 ]; then ok "failing createRuntime hook fails create"; else not_ok "failing createRuntime hook fails create (exit 0)"; fi
check "failing hook: the program never ran" test ! -e "$out_dir/program"
check "hooks-fail leaves nothing" leaves_nothing "$id" "$b"

# --- a hook past its timeout fails create --------------------------------
id="hooks-timeout-$T_SFX"
b=$(make_bundle hooks-timeout true)
slp="7.0$T_SFX"   # a unique argument, to find the hook process afterwards
jq_edit "$b" ".hooks = {\"createRuntime\": [{\"path\": \"/bin/sleep\", \"args\": [\"sleep\", \"$slp\"], \"timeout\": 1}]}"
t0=$(date +%s)
rt_create "$b" "$id"; rc=$?
dt=$(( $(date +%s) - t0 ))
if [ "$rc" -ne 0 ]; then ok "hook sleeping past its timeout fails create"; else not_ok "hook sleeping past its timeout fails create (exit 0)"; fi
if [ "$dt" -le 5 ]; then ok "hook timeout enforced (create returned after ${dt}s, hook sleeps 7s)"; else not_ok "hook timeout enforced (create took ${dt}s)"; fi
check "hooks-timeout leaves nothing" leaves_nothing "$id" "$b"
# a live process with the argument "$slp" (grep -z: NUL-separated argv)
hook_alive () {
  local f
  for f in $(grep -lzx -- "$slp" /proc/[0-9]*/cmdline 2>/dev/null); do
    f=${f#/proc/}; pid_alive "${f%/cmdline}" && return 0
  done
  return 1
}
n=100; while hook_alive && [ "$n" -gt 0 ]; do sleep 0.02; n=$((n - 1)); done
if hook_alive; then
  not_ok "timed-out hook process is killed ('sleep $slp' still running)"
else
  ok "timed-out hook process is killed"
fi

t_done
