/* Time of loading Fashion-MNIST's four gzipped IDX files through the runtime's loaders
 * (rf_idx_load_pixels or, in older checkouts, rf_idx_load_images; rf_idx_load_labels; and where the checkout has it the data cache
 * (data_cache.h) as rf_data_load uses it, as `regfitc MODEL.yaml` does before training):
 * wall and CPU milliseconds of each repetition, then the medians. Built by bench/load_time.sh,
 * which can build it from another checkout's runtime/ to compare two versions. The first
 * load in a process, which is what a run does, is the one to compare (`load_time 1`).
 *   load_time [REPEATS]     (the data folder: $REGFIT_DATA, else /usr/share/datasets/fashion-mnist) */
#include "dataset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__has_include)
#if __has_include("data_cache.h")
#include "data_cache.h"
#include <sys/mman.h>
#define HAVE_DATA_CACHE 1
#endif
#endif

/* One image file, as rf_data_load reads it: from the data cache when it holds the file (a
 * mapping), else decoded (and stored for next time). A checkout whose cache keeps the pixels
 * (RF_DATA_CACHE_MIN_PIXELS) loads them as bytes; an older one, floats. *last: the file's
 * last value. Free with free_images. */
typedef struct {
    void *block, *map;
    size_t map_len;
} images;

static int load_images(const char *path, images *im, double *last, int *n, int *rows, int *cols, char *err,
                       size_t errlen)
{
    memset(im, 0, sizeof *im);
#if defined(HAVE_DATA_CACHE)
    static rf_data_cache cache;
    static rf_data_cache_key key;
    static int use = -1;
    if (use < 0)
        use = rf_data_cache_default(&cache) == 0;
#endif
#if defined(RF_DATA_CACHE_MIN_PIXELS)
    const uint8_t *x = NULL;
    int found = use ? rf_data_cache_lookup(&cache, path, &key, &x, &im->map, &im->map_len, n, rows, cols) : -1;
    int rc = found == 1 ? 0 : rf_idx_load_pixels(path, &im->block, &x, n, rows, cols, err, errlen);
    if (rc == 0 && found == 0)
        rf_data_cache_store(&cache, &key, x, *n, *rows, *cols);
#elif defined(HAVE_DATA_CACHE)
    float *x = NULL;
    int found = use ? rf_data_cache_lookup(&cache, path, &key, &x, &im->map, &im->map_len, n, rows, cols) : -1;
    int rc = found == 1 ? 0 : rf_idx_load_images(path, &x, n, rows, cols, err, errlen);
    if (rc == 0 && found == 0)
        rf_data_cache_store(&cache, &key, x, *n, *rows, *cols);
    if (rc == 0 && !im->map)
        im->block = x;
#else
    float *x = NULL;
    int rc = rf_idx_load_images(path, &x, n, rows, cols, err, errlen);
    im->block = x;
#endif
    if (rc == 0)
        *last = x[(size_t)*n * *rows * *cols - 1];
    return rc;
}

static void free_images(images *im)
{
#ifdef HAVE_DATA_CACHE
    if (im->map)
        munmap(im->map, im->map_len);
#endif
    free(im->block);
}

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
            images im = {0};
            double last = 0;
            int32_t *labels = NULL;
            if (f % 2 == 0)
                rc = load_images(path[f], &im, &last, &n, &rows, &cols, err, sizeof err);
            else
                rc = rf_idx_load_labels(path[f], &labels, &n, err, sizeof err);
            if (rc != 0) {
                fprintf(stderr, "load_time: %s\n", err);
                return 1;
            }
            check += labels ? labels[n - 1] : last;
            free_images(&im);
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
