/* Where a training step of the seed MLP goes, phase by phase: includes the generated
 * file itself (its static layer functions) and times each layer's forward and backward
 * and the weight copies (prepare) and the update inside one parallel region, as train_step runs them, on the
 * real Fashion-MNIST's first batch (random data without it). Medians and minima over the steps
 * (the minimum: the phase when nothing else took the core).
 *
 *   clang -std=c11 -O3 -march=native -fopenmp -I generated bench/phases.c -lm -o /tmp/phases
 *   OMP_NUM_THREADS=1 /tmp/phases; OMP_NUM_THREADS=2 /tmp/phases
 *
 * The calls follow generated/mlp_dropout.c's internal functions: when the emitter changes
 * their parameters, this file changes with them. A phase's time on the master thread
 * includes the barrier at its end, so the wait for the slower thread. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "mlp_dropout.c"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <zlib.h>

enum { STEPS = 400, PHASES = 9 };

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static mlp_dropout_model m;
static float x[MLP_DROPOUT_BATCH][MLP_DROPOUT_INPUTS];
static int32_t y[MLP_DROPOUT_BATCH];
static double t[PHASES][STEPS];

int main(void)
{
    static const char *const names[PHASES] = {"prepare", "dense1 fwd", "dense2 fwd", "dense3 fwd",
                                              "loss",      "dense3 bwd", "dense2 bwd", "dense1 bwd", "update"};
    enum { IN = MLP_DROPOUT_INPUTS, H1 = MLP_DROPOUT_DENSE1_OUT, H2 = MLP_DROPOUT_DENSE2_OUT,
           OUT = MLP_DROPOUT_OUTPUTS };
    static unsigned char pixels[MLP_DROPOUT_BATCH * IN], labels[MLP_DROPOUT_BATCH];
    gzFile f = gzopen("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz", "rb");
    gzFile g = gzopen("/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz", "rb");
    const int real = f && g && gzseek(f, 16, SEEK_SET) == 16 && gzread(f, pixels, sizeof pixels) == sizeof pixels &&
                     gzseek(g, 8, SEEK_SET) == 8 && gzread(g, labels, sizeof labels) == sizeof labels;
    if (f)
        gzclose(f);
    if (g)
        gzclose(g);
    for (int r = 0; r < MLP_DROPOUT_BATCH; r++) {
        for (int i = 0; i < IN; i++)
            x[r][i] = real ? pixels[r * IN + i] / 255.0f
                           : (float)((r * IN + i) * 2654435761u >> 8) / 16777216.0f; /* in [0, 1) */
        y[r] = real ? labels[r] : r % OUT;
    }
    mlp_dropout_init(&m, 1);
    const int n = mlp_dropout_set_shards(&m, MLP_DROPOUT_BATCH, 0, MLP_DROPOUT_GRAD_SHARDS);
    for (int s = -20; s < STEPS; s++) {
        double at[PHASES + 1];
        const uint64_t key1 = mlp_dropout_dropout_key(m.seed, m.forward_steps, MLP_DROPOUT_DROPOUT1_LAYER);
        const uint64_t key2 = mlp_dropout_dropout_key(m.seed, m.forward_steps, MLP_DROPOUT_DROPOUT2_LAYER);
        const uint32_t thr1 = m.dropout_threshold[MLP_DROPOUT_DROPOUT1_INDEX];
        const uint32_t thr2 = m.dropout_threshold[MLP_DROPOUT_DROPOUT2_INDEX];
        const float scale1 = m.dropout_scale[MLP_DROPOUT_DROPOUT1_INDEX];
        const float scale2 = m.dropout_scale[MLP_DROPOUT_DROPOUT2_INDEX];
#pragma omp parallel
        {
#pragma omp master
            at[0] = now();
            mlp_dropout_prepare_weights(&m, 1);
#pragma omp master
            at[1] = now();
            mlp_dropout_dense1_forward(m.dropout1_out, x, m.dense1_weight, m.dense1_weight_packed[0], m.dense1_bias, n, key1, thr1, 0,
                                       scale1, 1);
#pragma omp master
            at[2] = now();
            mlp_dropout_dense2_forward(m.dropout2_out, m.dropout1_out, m.dense2_weight, m.dense2_weight_packed[0], m.dense2_bias, n, key2,
                                       thr2, 0, scale2, 1);
#pragma omp master
            at[3] = now();
            mlp_dropout_dense3_forward(m.dense3_out, m.dropout2_out, m.dense3_weight, m.dense3_bias, n);
#pragma omp master
            at[4] = now();
            mlp_dropout_loss(m.row_loss, m.dense3_out_grad, m.dense3_out, y, n, n);
#pragma omp barrier
#pragma omp master
            at[5] = now();
            mlp_dropout_dense3_backward(m.dense2_out_grad, m.dense3_weight_grad, m.dense3_bias_grad,
                                        m.dense3_weight_t_packed[0], m.dense3_out_grad, m.dropout2_out, n,
                                        &m.shards, scale2, 1);
#pragma omp master
            at[6] = now();
            mlp_dropout_dense2_backward(m.dense1_out_grad, m.dense2_weight_grad, m.dense2_bias_grad,
                                        m.dense2_weight_t_packed[0], m.dense2_out_grad, m.dropout1_out, m.batch_packed[0], n,
                                        &m.shards, scale1, 1);
#pragma omp master
            at[7] = now();
            mlp_dropout_dense1_backward(m.dense1_weight_grad, m.dense1_bias_grad, m.dense1_out_grad, x, m.batch_packed[0], n,
                                        &m.shards);
#pragma omp master
            at[8] = now();
            mlp_dropout_update_params(&m);
#pragma omp barrier
#pragma omp master
            at[9] = now();
        }
        m.forward_steps++;
        m.updates++;
        for (int p = 0; s >= 0 && p < PHASES; p++)
            t[p][s] = at[p + 1] - at[p];
    }
    /* the products' floating-point operations, 2 per multiply-add */
    const double mflop[PHASES] = {0,
                                  2e-6 * n * IN * H1,
                                  2e-6 * n * H1 * H2,
                                  2e-6 * n * H2 * OUT,
                                  0,
                                  2 * 2e-6 * n * H2 * OUT,
                                  2 * 2e-6 * n * H1 * H2,
                                  2e-6 * n * IN * H1,
                                  0};
    double total = 0, total_min = 0;
    printf("%d threads, %s data, median and minimum of %d steps\n", omp_get_max_threads(),
           real ? "real" : "random", STEPS);
    printf("phase      median ms  GFLOP/s   min ms  GFLOP/s\n");
    for (int p = 0; p < PHASES; p++) {
        qsort(t[p], STEPS, sizeof(double), cmp_double);
        const double ms = t[p][STEPS / 2] * 1e3, min = t[p][0] * 1e3;
        total += ms;
        total_min += min;
        if (mflop[p] > 0)
            printf("%-10s %9.4f %8.1f %8.4f %8.1f\n", names[p], ms, mflop[p] / ms, min, mflop[p] / min);
        else
            printf("%-10s %9.4f %8s %8.4f\n", names[p], ms, "", min);
    }
    /* 311.7 MFLOP: the products and the elementwise work, as --bench counts a step */
    printf("sum        %9.4f %8.1f %8.4f %8.1f\n", total, 311.7 / total, total_min, 311.7 / total_min);
    return 0;
}
