#!/usr/bin/env bash
# Builds bench/ab_step.c with two versions of generated/mlp_dropout.c and runs it:
#   bench/ab_step.sh A.c B.c [ARCH] [STEPS]     (ARCH: a -march value, default native)
# e.g. the committed file against a working copy, with AVX2 only:
#   mkdir /tmp/a; git show HEAD:generated/mlp_dropout.c > /tmp/a/mlp_dropout.c
#   git show HEAD:generated/mlp_dropout.h > /tmp/a/mlp_dropout.h
#   bench/ab_step.sh /tmp/a/mlp_dropout.c generated/mlp_dropout.c znver3
# Run it again with A and B swapped (see ab_step.c). OMP_NUM_THREADS sets the threads;
# A_FLAGS and B_FLAGS add compiler flags to one side (e.g. the same file, B_FLAGS=-fno-unroll-loops).
set -euo pipefail
[ $# -ge 2 ] || { sed -n 2,7p "$0"; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
a=$(realpath "$1") b=$(realpath "$2") arch=${3:-native} steps=${4:-400}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
api="init train_step loss_grad loss_grad_shards update predict param_name param_size param grad hparams_default set_hparams
     get_hparams state_name state_size state updates forward_steps set_counters"
for side in a b; do
    src=$a extra=${A_FLAGS:-}
    [ $side = b ] && src=$b extra=${B_FLAGS:-}
    defs=()
    for f in $api; do defs+=("-Dmlp_dropout_$f=${side}_$f"); done
    # shellcheck disable=SC2086 # the extra flags are words
    # a side's own header where it has one beside it (an older version's struct may differ)
    clang -std=c11 -O3 -march="$arch" -fopenmp $extra -I "$(dirname "$src")" -I "$here/../generated" "${defs[@]}" \
        -c "$src" -o "$work/$side.o"
done
clang -std=c11 -O3 -fopenmp -I "$here/../generated" "$here/ab_step.c" "$work/a.o" "$work/b.o" -lz -lm \
    -o "$work/ab_step"
"$work/ab_step" "$steps"
