/* Two versions of the generated seed MLP (generated/mlp_dropout.c), A and B, in one process:
 * train_step on the real Fashion-MNIST's first batches, alternating A and B step by step
 * and which of them goes first, and prints the medians and B/A. Built by bench/ab_step.sh,
 * which compiles each version with its API renamed (a_... and b_...).
 *
 * Where the two sit in memory still matters by a few percent: run it again with A and B
 * swapped and take the geometric mean of B/A and 1 / (the swapped B/A). */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "mlp_dropout.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <zlib.h>

float a_train_step(mlp_dropout_model *m, const float *x, const int32_t *y, int n);
float b_train_step(mlp_dropout_model *m, const float *x, const int32_t *y, int n);
void a_init(mlp_dropout_model *m, uint64_t seed);
void b_init(mlp_dropout_model *m, uint64_t seed);

enum { BATCHES = 8, WARMUP = 20 };

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

static int read_gz(const char *path, long skip, void *buf, unsigned len)
{
    gzFile f = gzopen(path, "rb");
    int ok = f && gzseek(f, skip, SEEK_SET) == skip && gzread(f, buf, len) == (int)len;
    if (f)
        gzclose(f);
    return ok;
}

int main(int argc, char **argv)
{
    const int steps = argc > 1 ? atoi(argv[1]) : 400;
    const char *dir = getenv("REGFIT_DATA") ? getenv("REGFIT_DATA") : "/usr/share/datasets/fashion-mnist";
    static unsigned char pixels[BATCHES * MLP_DROPOUT_BATCH * 784], labels[BATCHES * MLP_DROPOUT_BATCH];
    char path[512];
    snprintf(path, sizeof path, "%s/train-images-idx3-ubyte.gz", dir);
    int ok = read_gz(path, 16, pixels, sizeof pixels);
    snprintf(path, sizeof path, "%s/train-labels-idx1-ubyte.gz", dir);
    ok = ok && read_gz(path, 8, labels, sizeof labels);
    if (!ok || steps < 1 || steps > 100000) {
        fprintf(stderr, "ab_step: needs Fashion-MNIST in %s and 1 <= steps <= 100000\n", dir);
        return 1;
    }
    float *x = malloc(sizeof(float) * sizeof pixels);
    int32_t *y = malloc(sizeof(int32_t) * sizeof labels);
    double *ta = malloc(sizeof(double) * steps), *tb = malloc(sizeof(double) * steps);
    /* each side's model in a block of its own: the two versions' structs may differ in size
     * (each side is compiled with its own header); 64 MiB holds either */
    enum { MODEL_BYTES = 64 << 20 };
    mlp_dropout_model *const ma = aligned_alloc(64, MODEL_BYTES), *const mb = aligned_alloc(64, MODEL_BYTES);
    if (!x || !y || !ta || !tb || !ma || !mb || sizeof(mlp_dropout_model) > MODEL_BYTES)
        return 1;
    for (size_t i = 0; i < sizeof pixels; i++)
        x[i] = pixels[i] / 255.0f;
    for (size_t i = 0; i < sizeof labels; i++)
        y[i] = labels[i];
    a_init(ma, 1);
    b_init(mb, 1);
    float loss_a = 0, loss_b = 0;
    for (int s = -WARMUP; s < steps; s++) {
        const int k = (s + WARMUP) % BATCHES;
        const float *xb = x + (size_t)k * MLP_DROPOUT_BATCH * 784;
        const int32_t *yb = y + (size_t)k * MLP_DROPOUT_BATCH;
        double da, db;
        for (int turn = 0; turn < 2; turn++) {
            const int run_a = (turn == 0) == (s % 2 == 0); /* A first on even steps */
            const double t0 = now();
            if (run_a)
                loss_a = a_train_step(ma, xb, yb, MLP_DROPOUT_BATCH);
            else
                loss_b = b_train_step(mb, xb, yb, MLP_DROPOUT_BATCH);
            *(run_a ? &da : &db) = now() - t0;
        }
        if (s >= 0) {
            ta[s] = da;
            tb[s] = db;
        }
    }
    qsort(ta, steps, sizeof *ta, cmp_double);
    qsort(tb, steps, sizeof *tb, cmp_double);
    printf("%d threads, %d steps: A median %.3f ms (min %.3f), B median %.3f ms (min %.3f), B/A %.3f;"
           " last loss A %.6f B %.6f\n",
           omp_get_max_threads(), steps, ta[steps / 2] * 1e3, ta[0] * 1e3, tb[steps / 2] * 1e3, tb[0] * 1e3,
           tb[steps / 2] / ta[steps / 2], loss_a, loss_b);
    free(x);
    free(y);
    free(ta);
    free(tb);
    return 0;
}
