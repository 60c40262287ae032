# Turn a Docker/containers-common seccomp profile (archMap, includes and
# excludes per rule) into the linux.seccomp section an engine hands the
# runtime, the way moby and containers/common do it:
#
#   jq -f to-oci.jq --arg arch amd64 --arg scmp SCMP_ARCH_X86_64 \
#      --argjson caps '["CAP_KILL", ...]' --arg kernel 6.1 profile.json
#
# A rule is kept when the arch is in includes.arches (or that is empty), all
# of includes.caps are in CAPS, the kernel is at least includes.minKernel,
# the arch is not in excludes.arches and none of excludes.caps is in CAPS.
def kver: split(".") | map(tonumber? // 0);
def has_all($set): . as $want | all($want[]; . as $x | $set | index([$x]) != null);
def has_any($set): . as $want | any($want[]; . as $x | $set | index([$x]) != null);
. as $p
| {defaultAction: $p.defaultAction}
+ (if $p.defaultErrnoRet != null then {defaultErrnoRet: $p.defaultErrnoRet} else {} end)
+ {architectures: ([$p.archMap[]? | select(.architecture == $scmp) | .architecture, .subArchitectures[]?])}
+ (if $p.flags != null then {flags: $p.flags} else {} end)
+ {syscalls: [
    $p.syscalls[]
    | select(((.includes.arches // []) | length) == 0 or ((.includes.arches // []) | index([$arch]) != null))
    | select(((.includes.caps // []) | has_all($caps)))
    | select((.includes.minKernel // null) == null or (($kernel | kver) >= (.includes.minKernel | kver)))
    | select(((.excludes.arches // []) | index([$arch])) == null)
    | select(((.excludes.caps // []) | has_any($caps)) | not)
    | {names, action}
      + (if .errnoRet != null then {errnoRet} else {} end)
      + (if ((.args // []) | length) > 0 then {args: [.args[] | {index, value, op} + (if (.valueTwo // 0) != 0 then {valueTwo} else {} end)]} else {} end)
  ]}
