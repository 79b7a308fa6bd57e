#!/usr/bin/env bash
# Builds bench/load_time.c against a checkout's runtime loaders and runs it:
#   bench/load_time.sh [SRCDIR] [REPEATS]     (SRCDIR: a checkout, default this one)
# e.g. the last commit against the working copy, alternating:
#   git worktree add /tmp/old HEAD~1; for i in 1 2 3; do bench/load_time.sh /tmp/old 5; bench/load_time.sh . 5; done
# Built like the runtime (clang -O2, $CC to change), with libdeflate when the checkout's data_idx.c uses it and libdeflate-dev is installed.
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
"${CC:-clang}" -std=c11 -O2 -fopenmp "${inc[@]}" "$here/load_time.c" "$src/runtime/data_idx.c" "$reader" \
    "${extra[@]}" -lz -o "$work/load_time"
"$work/load_time" "$repeats"
