/* The training loop's batch copy (rf_dataset_gather, runtime/data_gather.c): 256 shuffled
 * rows of the Fashion-MNIST training images into a batch buffer of floats, from the decoded
 * floats (as the runtime kept the images before) and from the pixel bytes (as it keeps them
 * now, converted as they are copied), on 1 and on 2 OpenMP threads. The four alternate in
 * one process, each batch after 4 MB of other writes (as a training step leaves the caches);
 * medians over the epoch's batches.
 *   clang -std=c11 -O2 -fopenmp -I runtime -I compiler/front -I common bench/gather.c \
 *       runtime/data_gather.c runtime/data_idx.c common/file_read.c -ldeflate -lz \
 *       -DRF_HAVE_LIBDEFLATE -o /tmp/gather
 *   /tmp/gather [ROUNDS] */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "dataset.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { BATCH = 256, WAYS = 4, EVICT = 4 << 20 };

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

int main(int argc, char **argv)
{
    const int rounds = argc > 1 ? atoi(argv[1]) : 3;
    const char *path = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";
    rf_dataset floats = {0}, pixels = {0};
    int rows, cols;
    char err[512];
    if (rf_idx_load_images(path, &floats.x, &floats.n, &rows, &cols, err, sizeof err) != 0 ||
        rf_idx_load_pixels(path, &pixels.pixels_block, &pixels.pixels, &pixels.n, &rows, &cols, err,
                           sizeof err) != 0) {
        fprintf(stderr, "gather: %s\n", err);
        return 1;
    }
    floats.features = pixels.features = rows * cols;
    const int n = floats.n, features = rows * cols, batches = n / BATCH;
    static const char *const names[WAYS] = {"floats, 1 thread", "floats, 2 threads", "pixels, 1 thread",
                                            "pixels, 2 threads"};
    int *perm = malloc(sizeof(int) * n);
    int32_t *labels = malloc(sizeof(int32_t) * BATCH);
    float *out = malloc(sizeof(float) * BATCH * features), *y = malloc(sizeof(float) * BATCH);
    char *evict = malloc(EVICT);
    double *t[WAYS];
    for (int v = 0; v < WAYS; v++)
        t[v] = malloc(sizeof(double) * batches);
    if (!perm || !labels || !out || !y || !evict || !t[WAYS - 1])
        return 1;
    float *check = malloc(sizeof(float) * BATCH * features);
    srand(1);
    for (int i = 0; i < n; i++)
        perm[i] = i;
    /* no labels: the targets' copy of zero floats a row stands in for them */
    floats.targets = pixels.targets = 0;
    floats.y = pixels.y = y;
    /* the two forms give the same floats */
    rf_dataset_gather(&floats, perm, BATCH, check, labels, y);
    rf_dataset_gather(&pixels, perm, BATCH, out, labels, y);
    if (memcmp(check, out, sizeof(float) * BATCH * features) != 0) {
        fprintf(stderr, "gather: the pixels' floats differ from the decoded floats\n");
        return 1;
    }
    for (int round = 0; round < rounds; round++) {
        for (int i = n - 1; i > 0; i--) { /* a new epoch's order */
            const int j = rand() % (i + 1), k = perm[i];
            perm[i] = perm[j];
            perm[j] = k;
        }
        for (int b = 0; b < batches; b++)
            for (int v = 0; v < WAYS; v++) { /* each copies every batch once a round, a quarter
                                               * of an epoch apart: none finds another's rows in cache */
                const int at = (b + v * batches / WAYS) % batches;
                memset(evict, b + v, EVICT);
                omp_set_num_threads(v % 2 + 1);
                const double t0 = now();
                rf_dataset_gather(v < 2 ? &floats : &pixels, perm + (size_t)at * BATCH, BATCH, out, labels, y);
                t[v][at] = now() - t0;
            }
        printf("round %d, medians of %d batches:", round + 1, batches);
        double floats1 = 0;
        for (int v = 0; v < WAYS; v++) {
            qsort(t[v], batches, sizeof(double), cmp_double);
            if (v == 0)
                floats1 = t[v][batches / 2];
            printf("%s %s %.1f us (%.2f)", v ? "," : "", names[v], t[v][batches / 2] * 1e6,
                   t[v][batches / 2] / floats1);
        }
        printf("\n");
    }
    printf("(checksum %g)\n", (double)out[(size_t)(BATCH - 1) * features + 400] + evict[EVICT - 1]);
    free(floats.x);
    free(pixels.pixels_block);
    return 0;
}
