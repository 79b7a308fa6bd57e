#!/usr/bin/env bash
# precision bf16 against fp32 on the seed MLP (SPEC 1c): models/mlp_dropout.yaml and
# models/mlp_dropout_bf16.yaml (the same model with precision: bf16), 5 epochs on the real
# Fashion-MNIST for each of 3 seeds, the last epoch's test accuracy of each and the difference;
# then the training step of both in one process (bench/ab_step.sh: the steps interleaved, so a
# busy machine slows both alike), the bf16/fp32 step time ratio.
#   bench/bf16_accuracy.sh [SEEDS...]      (default: 1 2 3; REGFIT_DATA / --data as for regfitc)
# On a CPU with AVX512_BF16 the bf16 file's products of packed operands run on VDPBF16PS (pairs
# of bfloat16); on any other the same rounding and order in float32 arithmetic: expect the same
# accuracy there and about the fp32 step's time.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
regfitc=$root/build/regfitc
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(1 2 3)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# the test accuracy of the last epoch line of one run
test_acc() {
    "$regfitc" "$1" --seed "$2" --epochs 5 --runs "$work/runs" --quiet |
        sed -n 's/^epoch .*test acc \([0-9.]*\)$/\1/p' | tail -n 1
}

echo "seed  fp32 test acc  bf16 test acc  bf16 - fp32"
for s in "${seeds[@]}"; do
    a=$(test_acc "$root/models/mlp_dropout.yaml" "$s")
    b=$(test_acc "$root/models/mlp_dropout_bf16.yaml" "$s")
    printf "%-5s %-14s %-14s %+.3f\n" "$s" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN { print b - a }')"
done | tee "$work/acc.txt"
# the last epoch's accuracy moves by about 0.02 from seed to seed at either precision, so the
# mean over the seeds says more than the largest difference
awk '{ fp += $2; bf += $3; d = $4 < 0 ? -$4 : $4; if (d > worst) worst = d; n++ }
     END { printf "mean over %d seeds: fp32 %.4f, bf16 %.4f, bf16 - fp32 %+.4f; largest |bf16 - fp32| %.3f (target: within 0.01)\n",
                  n, fp / n, bf / n, (bf - fp) / n, worst }' "$work/acc.txt"

# the step: the bf16 file with its prefix renamed, so ab_step.sh links it as the seed MLP
# with its own header beside it (its struct has the rounded copies; ab_step.sh compiles each
# side with the header in its folder)
mkdir "$work/bf16"
for ext in c h; do
    sed 's/mlp_dropout_bf16/mlp_dropout/g; s/MLP_DROPOUT_BF16/MLP_DROPOUT/g' \
        "$root/generated/mlp_dropout_bf16.$ext" > "$work/bf16/mlp_dropout.$ext"
done
for t in 1 2; do
    echo "train_step at $t thread(s), A = fp32, B = bf16:"
    OMP_NUM_THREADS=$t "$root/bench/ab_step.sh" "$root/generated/mlp_dropout.c" "$work/bf16/mlp_dropout.c" native 200
done
