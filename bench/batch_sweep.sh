#!/usr/bin/env bash
# The seed MLP at batch 64, 256 and 1024: `regfitc --bench` on each, the
# table rows and the speedup line of each. Usage: bench/batch_sweep.sh [--steps N] [--threads T]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for b in 64 256 1024; do
    sed "s/^batch: 256$/batch: $b/; s/^name: mlp_dropout$/name: mlp_dropout_b$b/" \
        "$root/models/mlp_dropout.yaml" > "$work/mlp_dropout_b$b.yaml"
    echo "== batch $b"
    "$root/build/regfitc" --bench "$work/mlp_dropout_b$b.yaml" --quiet "$@" |
        grep -E "^(train_step|predict) |speedup"
done
