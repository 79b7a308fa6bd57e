/* Time of loading Fashion-MNIST's four gzipped IDX files through the runtime's loaders
 * (rf_idx_load_images / rf_idx_load_labels, as `regfitc MODEL.yaml` does before training):
 * wall and CPU milliseconds of each repetition, then the medians. Built by bench/load_time.sh,
 * which can build it from another checkout's runtime/ to compare two versions.
 *   load_time [REPEATS]     (the data folder: $REGFIT_DATA, else /usr/share/datasets/fashion-mnist) */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "dataset.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double seconds(clockid_t clock)
{
    struct timespec t;
    clock_gettime(clock, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    const int repeats = argc > 1 ? atoi(argv[1]) : 5;
    const char *dir = getenv("REGFIT_DATA") ? getenv("REGFIT_DATA") : "/usr/share/datasets/fashion-mnist";
    if (repeats < 1 || repeats > 1000) {
        fprintf(stderr, "usage: load_time [REPEATS]  (1 to 1000)\n");
        return 2;
    }
    double wall[1000], cpu[1000], check = 0;
    char path[4][4096], err[1024];
    const char *names[4] = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                            "t10k-labels-idx1-ubyte.gz"};
    for (int f = 0; f < 4; f++)
        snprintf(path[f], sizeof path[f], "%s/%s", dir, names[f]);
    for (int r = 0; r < repeats; r++) {
        const double w0 = seconds(CLOCK_MONOTONIC), c0 = seconds(CLOCK_PROCESS_CPUTIME_ID);
        for (int f = 0; f < 4; f++) {
            int n, rows, cols, rc;
            float *x = NULL;
            int32_t *labels = NULL;
            if (f % 2 == 0)
                rc = rf_idx_load_images(path[f], &x, &n, &rows, &cols, err, sizeof err);
            else
                rc = rf_idx_load_labels(path[f], &labels, &n, err, sizeof err);
            if (rc != 0) {
                fprintf(stderr, "load_time: %s\n", err);
                return 1;
            }
            check += x ? x[(size_t)n * rows * cols - 1] : labels[n - 1];
            free(x);
            free(labels);
        }
        wall[r] = seconds(CLOCK_MONOTONIC) - w0;
        cpu[r] = seconds(CLOCK_PROCESS_CPUTIME_ID) - c0;
        printf("repeat %d: wall %.1f ms, cpu %.1f ms\n", r + 1, wall[r] * 1e3, cpu[r] * 1e3);
    }
    qsort(wall, repeats, sizeof *wall, cmp_double);
    qsort(cpu, repeats, sizeof *cpu, cmp_double);
    printf("median of %d: wall %.1f ms, cpu %.1f ms (check %g)\n", repeats, wall[repeats / 2] * 1e3,
           cpu[repeats / 2] * 1e3, check);
    return 0;
}
