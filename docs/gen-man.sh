#!/bin/sh
# Regenerate docs/brig-CMD.8 from each command's --help (run after changing
# a command's flags): docs/gen-man.sh [path/to/brig]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
brig=${1:-$top/src/brig}
for cmd in create start run state kill delete list spec exec ps pause resume update events features check; do
  out=$top/docs/brig-$cmd.8
  help=$("$brig" "$cmd" --help 2>&1 || true)
  {
    printf '.TH BRIG-%s 8 "2026" "brig" "System Administration"\n' "$(echo "$cmd" | tr a-z A-Z)"
    printf '.SH NAME\nbrig-%s \\- %s\n' "$cmd" "$(printf '%s\n' "$help" | sed -n 3p)"
    printf '.SH SYNOPSIS\n.nf\n%s\n.fi\n' "$(printf '%s\n' "$help" | sed -n 1p | sed 's/^Usage: //')"
    printf '.SH OPTIONS\n.nf\n'
    printf '%s\n' "$help" | sed -n '/^Options:/,$p' | sed '1d' | sed 's/\\/\\\\/g; s/^-/\\-/'
    printf '.fi\n.SH SEE ALSO\n\\fBbrig\\fR(8)\n'
  } > "$out"
done
