#!/usr/bin/env bash
# Builds bench/onednn_peer.c with generated/mlp_dropout.c and its bf16 twin and runs it: the seed
# MLP's 8 matrix products in oneDNN against the whole generated step, at 1 and 2 threads (see
# onednn_peer.c; the bf16 row only on a CPU with AVX512_BF16).
#   bench/onednn_peer.sh [STEPS]          (default 200; $CC, default clang; $ARCH, default native)
# Optional: without Debian's libdnnl-dev it says so and exits 0.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cc=${CC:-clang} arch=${ARCH:-native}
if ! echo '#include <oneapi/dnnl/dnnl.h>' | "$cc" -E -x c - >/dev/null 2>&1; then
    echo "onednn_peer: oneDNN is not installed (apt-get install libdnnl-dev); skipping"
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The generated code as regfitc builds it; oneDNN (built with libgomp) then runs on the same
# OpenMP runtime, which clang's libomp provides under both names.
for model in mlp_dropout mlp_dropout_bf16; do
    "$cc" -std=c11 -O3 -march="$arch" -fopenmp -I "$here/../generated" -c "$here/../generated/$model.c" \
        -o "$work/$model.o"
done
"$cc" -std=c11 -O2 -Wall -Wextra -fopenmp -I "$here/../generated" "$here/onednn_peer.c" "$work/mlp_dropout.o" \
    "$work/mlp_dropout_bf16.o" -ldnnl -lz -lm -o "$work/onednn_peer"
"$work/onednn_peer" "$@"
