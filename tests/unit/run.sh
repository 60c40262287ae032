#!/bin/bash
# Build and run the C unit tests (make check), printing their ok/not ok lines.
cd "$(dirname "$0")/../.." || exit 1
make -s check-build >/dev/null 2>&1 || make -s check TESTS= >/tmp/brig-unit-build.log 2>&1 || {
  echo "not ok - unit tests build"; tail -20 /tmp/brig-unit-build.log | sed 's/^/# /'; exit 1; }
rc=0
for t in tests/unit/test-*; do
  [ -x "$t" ] && [ "${t%.c}" = "$t" ] || continue
  "./$t" || rc=1
done
exit $rc
