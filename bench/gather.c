/* The training loop's batch copy (runtime/train.c gather): 256 shuffled rows of the
 * Fashion-MNIST training images copied into a batch buffer, plainly and with the row four
 * ahead prefetched as train.c does, alternating in one process; medians over the epoch's
 * batches. Reads the images through the runtime's loader.
 *   clang -std=c11 -O2 -fopenmp -I runtime -I compiler/front -I common bench/gather.c \
 *       runtime/data_idx.c common/file_read.c -ldeflate -lz -DRF_HAVE_LIBDEFLATE -o /tmp/gather
 *   /tmp/gather [ROUNDS] */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "dataset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { BATCH = 256, AHEAD = 4, LINES = 64, LINE = 64 };

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

static void copy_plain(const float *x, int features, const int *rows, float *out)
{
    for (int r = 0; r < BATCH; r++)
        memcpy(out + (size_t)r * features, x + (size_t)rows[r] * features, sizeof(float) * features);
}

static void copy_prefetch(const float *x, int features, const int *rows, float *out)
{
    const size_t row_bytes = sizeof(float) * (size_t)features;
    const size_t ahead = row_bytes < (size_t)LINES * LINE ? row_bytes : (size_t)LINES * LINE;
    for (int r = 0; r < BATCH; r++) {
        if (r + AHEAD < BATCH) {
            const char *next = (const char *)(x + (size_t)rows[r + AHEAD] * features);
            for (size_t at = 0; at < ahead; at += LINE)
                __builtin_prefetch(next + at);
        }
        memcpy(out + (size_t)r * features, x + (size_t)rows[r] * features, sizeof(float) * features);
    }
}

int main(int argc, char **argv)
{
    const int rounds = argc > 1 ? atoi(argv[1]) : 3;
    float *x = NULL;
    int n, rows, cols;
    char err[512];
    if (rf_idx_load_images("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz", &x, &n, &rows, &cols,
                           err, sizeof err) != 0) {
        fprintf(stderr, "gather: %s\n", err);
        return 1;
    }
    const int features = rows * cols, batches = n / BATCH;
    int *perm = malloc(sizeof(int) * n);
    float *out = malloc(sizeof(float) * BATCH * features);
    double *t[2] = {malloc(sizeof(double) * batches), malloc(sizeof(double) * batches)};
    if (!perm || !out || !t[0] || !t[1])
        return 1;
    srand(1);
    for (int i = 0; i < n; i++)
        perm[i] = i;
    double sink = 0;
    for (int round = 0; round < rounds; round++) {
        for (int i = n - 1; i > 0; i--) { /* a new epoch's order */
            const int j = rand() % (i + 1), k = perm[i];
            perm[i] = perm[j];
            perm[j] = k;
        }
        for (int b = 0; b < batches; b++)
            for (int v = 0; v < 2; v++) { /* each copies every batch once a round, half an epoch
                                             * apart: neither finds the other's rows in cache */
                const int *batch = perm + (size_t)((b + v * batches / 2) % batches) * BATCH;
                const double t0 = now();
                (v ? copy_prefetch : copy_plain)(x, features, batch, out);
                t[v][(b + v * batches / 2) % batches] = now() - t0;
                sink += out[(size_t)b % BATCH * features + b % features]; /* the copy is used */
            }
        qsort(t[0], batches, sizeof(double), cmp_double);
        qsort(t[1], batches, sizeof(double), cmp_double);
        printf("round %d: plain %.1f us, prefetch %.1f us a batch (medians of %d), prefetch/plain %.3f\n", round + 1,
               t[0][batches / 2] * 1e6, t[1][batches / 2] * 1e6, batches, t[1][batches / 2] / t[0][batches / 2]);
    }
    printf("(checksum %g)\n", sink);
    free(x);
    return 0;
}
