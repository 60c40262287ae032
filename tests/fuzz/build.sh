#!/bin/bash
# Build brig's libFuzzer targets with clang (ASan + UBSan + libFuzzer):
#   tests/fuzz/build.sh [OUTDIR]      (default tests/fuzz/build)
# Needs: apt-get install -y clang libclang-rt-14-dev
# The library sources are the ones Makefile.am lists for libbrig.a, so a
# file added there is fuzzed too.
set -eu
cd "$(dirname "$0")/../.."
TOP=$PWD
OUT=${1:-$TOP/tests/fuzz/build}
CC=${FUZZ_CC:-clang}
command -v "$CC" >/dev/null || { echo "fuzz: $CC not found (apt-get install -y clang libclang-rt-14-dev)" >&2; exit 77; }
mkdir -p "$OUT/obj"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
CFLAGS="-g -O1 $SAN -fsanitize=fuzzer-no-link -iquote $TOP/libocispec -iquote $TOP/src/lib -include $TOP/config.h \
  $(pkg-config --cflags yajl 2>/dev/null || echo -I/usr/include/yajl) -Wno-unused-command-line-argument"
LIBS="-lseccomp -lcap -lyajl"
pkg-config --exists libsystemd 2>/dev/null && LIBS="$LIBS -lsystemd"

# libbrig's .c files from Makefile.am
mapfile -t SRCS < <(sed -n '/^src_lib_libbrig_a_SOURCES/,/^$/p' Makefile.am | tr ' \t\\' '\n\n\n' | grep '\.c$')
SRCS+=(libocispec/ocispec.c)
OBJS=()
for s in "${SRCS[@]}"; do
  o=$OUT/obj/$(echo "$s" | tr / _ | sed 's/\.c$/.o/')
  if [ ! -e "$o" ] || [ "$s" -nt "$o" ] || [ config.h -nt "$o" ] || [ -n "$(find libocispec src/lib -name '*.h' -newer "$o" -o -name spec.def -newer "$o" | head -1)" ]; then
    $CC $CFLAGS -c "$s" -o "$o"
  fi
  OBJS+=("$o")
done
for t in config state seccomp mountopts idmap; do
  objs=("${OBJS[@]}")
  # fuzz-idmap.c includes userns.c (for its static format_map)
  [ "$t" = idmap ] && objs=($(printf '%s\n' "${OBJS[@]}" | grep -v '/src_lib_userns\.o$'))
  $CC $CFLAGS -fsanitize=fuzzer "tests/fuzz/fuzz-$t.c" "${objs[@]}" $LIBS -o "$OUT/fuzz-$t"
done
echo "fuzz targets in $OUT"
