#!/usr/bin/env bash
# Every table of BENCHMARKS.md in one run, one after the other, each output kept:
#   bench/all.sh [OUT]      (OUT: a folder for the outputs, default /tmp/regfitc-bench-DATE)
# Needs a built tree (build/regfitc: ./dev build). The optional peers (oneDNN, PyTorch with
# OpenBLAS) say so and are skipped when their packages are missing. Quick runs, for trying
# the script: STEPS_SCALE=0.1 bench/all.sh. About 15 minutes on 2 cores at the full counts.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
out=${1:-/tmp/regfitc-bench-$(date -u +%Y%m%dT%H%M%SZ)}
scale=${STEPS_SCALE:-1}
mkdir -p "$out"
regfitc=$root/build/regfitc
[ -x "$regfitc" ] || { echo "bench/all.sh: $regfitc is not built (./dev build)" >&2; exit 1; }
steps() { python3 -c "import sys; print(max(5, int($1 * $scale)))"; }

n=0
run() { # run NAME COMMAND...: the command's output into OUT/NN-NAME.txt and on the terminal
    local name=$1
    shift
    n=$((n + 1))
    local file
    file=$(printf '%s/%02d-%s.txt' "$out" "$n" "$name")
    {
        echo "\$ $*"
        echo "# started $(date -u +%H:%M:%S) UTC, load $(cut -d' ' -f1-3 /proc/loadavg)"
    } | tee "$file"
    (cd "$root" && "$@") 2>&1 | tee -a "$file"
    echo "# ended $(date -u +%H:%M:%S) UTC" | tee -a "$file"
}

machine() {
    lscpu | grep -E '^(Model name|CPU family|Model|Stepping|CPU\(s\)|Thread|L1d|L2|L3)' || true
    printf 'vector flags: '
    grep -o -w -E 'avx2|fma|avx512f|avx512bw|avx512vl|avx512_bf16|avx512bf16' /proc/cpuinfo | sort -u | tr '\n' ' '
    echo
    clang --version | head -1
    git -C "$root" log --oneline -1
}

run machine machine
run bench "$regfitc" --bench models/mlp_dropout.yaml --steps "$(steps 200)"
run onednn bench/onednn_peer.sh "$(steps 200)"
run openblas /usr/bin/python3 bench/openblas_gemms.py --steps "$(steps 100)"
run torch /usr/bin/python3 bench/torch_peer.py --steps "$(steps 50)"
run batches bench/batch_sweep.sh --steps "$(steps 50)" --threads 2
phases=$(mktemp -d)
trap 'rm -rf "$phases"' EXIT
clang -std=c11 -O3 -march=native -fopenmp -I "$root/generated" "$here/phases.c" -lm -lz -o "$phases/phases"
clang -std=c11 -O3 -march=native -I "$root/generated" "$here/kernel.c" -lm -o "$phases/kernel"
run kernel "$phases/kernel"
run phases-1 env OMP_NUM_THREADS=1 "$phases/phases"
run phases-2 env OMP_NUM_THREADS=2 "$phases/phases"
clang -std=c11 -O2 -fopenmp -I "$root/runtime" -I "$root/compiler/front" -I "$root/common" "$here/gather.c" \
    "$root/runtime/data_gather.c" "$root/runtime/data_idx.c" "$root/common/file_read.c" -ldeflate -lz \
    -DRF_HAVE_LIBDEFLATE -o "$phases/gather"
run gather "$phases/gather" 3
run load bench/load_time.sh . 3
run e2e /usr/bin/python3 bench/e2e_time.py --repeats 3 --torch
echo "bench/all.sh: the outputs are in $out"
