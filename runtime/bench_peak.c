/* The machine's single-precision FMA peak, measured: a loop of independent
 * fused multiply-adds on as many vector registers as keep the FMA units
 * busy. Compiled into the benchmark's shared object with the same flags as
 * the generated code (-O3 -march=native), so it uses the widest FMA the
 * generated code can use. Returns GFLOP/s on the calling thread, or on
 * `threads` OpenMP threads at once. */
#include <stdint.h>
#include <time.h>

#if defined(__FMA__) && defined(__AVX__)
#include <immintrin.h>
#endif

double rf_bench_fma_peak_gflops(long iterations);
double rf_bench_fma_peak_gflops_threads(long iterations, int threads);

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

double rf_bench_fma_peak_gflops(long iterations)
{
    double t0 = seconds();
    float sink = 0;
#if defined(__FMA__) && defined(__AVX__)
    /* 12 independent accumulators: 2 FMA pipes x 4-5 cycles latency on Zen 3 */
    __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    __m256 c0 = _mm256_set1_ps(0.f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
    __m256 c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
    for (long i = 0; i < iterations; i++) {
        c0 = _mm256_fmadd_ps(c0, a, b); c1 = _mm256_fmadd_ps(c1, a, b);
        c2 = _mm256_fmadd_ps(c2, a, b); c3 = _mm256_fmadd_ps(c3, a, b);
        c4 = _mm256_fmadd_ps(c4, a, b); c5 = _mm256_fmadd_ps(c5, a, b);
        c6 = _mm256_fmadd_ps(c6, a, b); c7 = _mm256_fmadd_ps(c7, a, b);
        c8 = _mm256_fmadd_ps(c8, a, b); c9 = _mm256_fmadd_ps(c9, a, b);
        c10 = _mm256_fmadd_ps(c10, a, b); c11 = _mm256_fmadd_ps(c11, a, b);
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3)),
                             _mm256_add_ps(_mm256_add_ps(c4, c5), _mm256_add_ps(c6, c7)));
    s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(c8, c9), _mm256_add_ps(c10, c11)));
    float lanes[8];
    _mm256_storeu_ps(lanes, s);
    for (int i = 0; i < 8; i++)
        sink += lanes[i];
    double flops = 12.0 * 8 * 2 * iterations;
#else
    float c[16] = {0};
    for (long i = 0; i < iterations; i++)
        for (int k = 0; k < 16; k++)
            c[k] = c[k] * 0.999999f + 1e-7f;
    for (int k = 0; k < 16; k++)
        sink += c[k];
    double flops = 16.0 * 2 * iterations;
#endif
    double dt = seconds() - t0;
    /* keep the result alive so the loop is not removed */
    volatile float keep = sink;
    (void)keep;
    return dt > 0 ? flops / dt * 1e-9 : 0;
}

/* The loop on `threads` threads at once: the slowest thread's rate times the
 * number of threads, so a core shared with another thread or with the host's
 * other work shows as a lower peak, not as the sum of what each managed. */
double rf_bench_fma_peak_gflops_threads(long iterations, int threads)
{
    double slowest = 0;
#if defined(_OPENMP)
    slowest = 1e300;
#pragma omp parallel num_threads(threads) reduction(min : slowest)
    slowest = rf_bench_fma_peak_gflops(iterations);
#else
    slowest = rf_bench_fma_peak_gflops(iterations);
    threads = 1;
#endif
    return slowest * threads;
}
