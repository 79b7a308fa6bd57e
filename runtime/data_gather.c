/* rf_dataset_gather: a batch of samples by index, copied (floats) or converted
 * (pixels) into the batch buffers the generated code reads. */
#include "dataset.h"

#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* A row's pixels as floats. The loop is compiled twice on x86-64: for AVX2, where 8 bytes
 * become 8 floats in a few instructions, the batch copy on 2 threads takes about 0.6x the
 * time of the baseline build's (bench/gather.c), and for the baseline the runtime is built
 * for; rf_dataset_gather picks one by the CPU. The same floats either way. */
static void convert_row(float *restrict out, const uint8_t *restrict in, size_t n)
{
    for (size_t j = 0; j < n; j++)
        out[j] = rf_pixel_value(in[j]);
}

#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_AVX2_CLONE 1
__attribute__((target("avx2"))) static void convert_row_avx2(float *restrict out, const uint8_t *restrict in,
                                                             size_t n)
{
    for (size_t j = 0; j < n; j++)
        out[j] = rf_pixel_value(in[j]);
}
#endif

typedef void convert_fn(float *restrict, const uint8_t *restrict, size_t);

/* Rows [r0, r1) of the batch. The rows are shuffled, so each starts with a miss in a set
 * larger than the caches and the copy waits on memory: the row four ahead is requested
 * while this one is copied (up to 64 lines of it), which makes the copy of a Fashion-MNIST
 * batch of floats about 1.2x faster on Zen 3 (bench/gather.c). */
static void gather_rows(const rf_dataset *d, const int *rows, int r0, int r1, float *x, int32_t *labels, float *y,
                        convert_fn *convert)
{
    enum { AHEAD = 4, LINES = 64, LINE = 64 };
    const size_t features = (size_t)d->features;
    const size_t row_bytes = d->pixels ? features : sizeof(float) * features;
    const size_t ahead_bytes = row_bytes < (size_t)LINES * LINE ? row_bytes : (size_t)LINES * LINE;
    for (int r = r0; r < r1; r++) {
        const size_t s = (size_t)rows[r];
        if (r + AHEAD < r1) {
            const size_t next = (size_t)rows[r + AHEAD];
            const char *at = d->pixels ? (const char *)(d->pixels + next * features)
                                       : (const char *)(d->x + next * features);
            for (size_t k = 0; k < ahead_bytes; k += LINE)
                __builtin_prefetch(at + k);
        }
        float *restrict out = x + (size_t)r * features;
        if (d->pixels) {
            convert(out, d->pixels + s * features, features);
        } else {
            memcpy(out, d->x + s * features, sizeof(float) * features);
        }
        if (d->labels)
            labels[r] = d->labels[s];
        else
            memcpy(y + (size_t)r * d->targets, d->y + s * d->targets, sizeof(float) * d->targets);
    }
}

void rf_dataset_gather(const rf_dataset *d, const int *rows, int n, float *x, int32_t *labels, float *y)
{
    convert_fn *convert = convert_row;
#ifdef HAVE_AVX2_CLONE
    if (__builtin_cpu_supports("avx2"))
        convert = convert_row_avx2;
#endif
#ifdef _OPENMP
    /* a small batch (the linear model's 20 rows of 200) on the calling thread: waking the
     * team would cost more than the copy */
    const int share = (long)n * d->features >= 16384L;
#pragma omp parallel if (share)
    {
        const long t = omp_get_thread_num(), k = omp_get_num_threads();
        gather_rows(d, rows, (int)(n * t / k), (int)(n * (t + 1) / k), x, labels, y, convert);
    }
#else
    gather_rows(d, rows, 0, n, x, labels, y, convert);
#endif
}
