#!/usr/bin/env bash
# Builds bench/load_time.c against a checkout's runtime loaders and runs it:
#   bench/load_time.sh [SRCDIR] [REPEATS]     (SRCDIR: a checkout, default this one)
# e.g. the last commit against the working copy, alternating:
#   git worktree add /tmp/old HEAD~1; for i in 1 2 3; do bench/load_time.sh /tmp/old 5; bench/load_time.sh . 5; done
# Built like the runtime (clang -O2, $CC to change), with libdeflate when the checkout's data_idx.c uses it and libdeflate-dev is installed.
# With a checkout that has the data cache (runtime/data_cache.c) the image files go through it, in
# $REGFIT_CACHE/data (else the default cache): the first repetition of a cold cache decodes and writes
# the entries, every later load maps them (REGFIT_DATA_CACHE=0: decode every time, as before).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(realpath "${1:-$here/..}") repeats=${2:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
extra=()
if grep -q RF_HAVE_LIBDEFLATE "$src/runtime/data_idx.c" && [ -e /usr/include/libdeflate.h ]; then
    extra=(-DRF_HAVE_LIBDEFLATE -ldeflate)
fi
inc=("-I$src/runtime" "-I$src/compiler")
[ -d "$src/compiler/front" ] && inc+=("-I$src/compiler/front")
reader="$src/runtime/file_read.c"
if [ -d "$src/common" ]; then inc+=("-I$src/common"); reader="$src/common/file_read.c"; fi
srcs=("$src/runtime/data_idx.c" "$reader")
# a checkout with the data cache: load_time goes through it as rf_data_load does
if [ -e "$src/runtime/data_cache.c" ]; then
    srcs+=("$src/runtime/data_cache.c" "$src/common/cache_dir.c" "$src/common/hash.c" "$src/common/atomic_file.c"
           "$src/common/run_dir.c")
fi
"${CC:-clang}" -std=c11 -O2 -fopenmp -D_POSIX_C_SOURCE=200809L "${inc[@]}" "$here/load_time.c" "${srcs[@]}" \
    "${extra[@]}" -lz -o "$work/load_time"
"$work/load_time" "$repeats"
