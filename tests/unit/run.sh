#!/bin/bash
# Build and run the C unit tests (make check), printing their ok/not ok lines.
cd "$(dirname "$0")/../.." || exit 1
log=$(mktemp)
make -s check-build >/dev/null 2>&1 || make -s check TESTS= >"$log" 2>&1 || {
  echo "not ok - unit tests build"; tail -20 "$log" | sed 's/^/# /'; rm -f "$log"; exit 1; }
rm -f "$log"
rc=0
for t in tests/unit/test-*; do
  [ -x "$t" ] && [ "${t%.c}" = "$t" ] || continue
  "./$t" || rc=1
done
exit $rc
