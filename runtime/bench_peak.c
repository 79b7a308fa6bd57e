/* The machine's single-precision FMA peak, measured: a loop of independent
 * fused multiply-adds on as many vector registers as keep the FMA units
 * busy. Compiled into the benchmark's shared object with the same flags as
 * the generated code (-O3 -march=native), so it uses the widest FMA the
 * generated code can use. Returns GFLOP/s on the calling thread, or on
 * `threads` OpenMP threads at once. */
#include <stdint.h>
#include <time.h>

#if defined(__AVX512F__) || (defined(__FMA__) && defined(__AVX__))
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

/* The widest FMA the target has: 512-bit with AVX-512 (16 floats; Zen 4
 * splits it over its 256-bit units, Zen 5 has two full-width pipes), else
 * 256-bit. ACC independent accumulators cover 2 FMA pipes x 4-5 cycles of
 * latency with room to spare (32 zmm registers, 16 ymm). */
#if defined(__AVX512F__)
typedef __m512 peak_vec;
#define PEAK_LANES 16
#define PEAK_SET1 _mm512_set1_ps
#define PEAK_FMA _mm512_fmadd_ps
#define PEAK_ADD _mm512_add_ps
#define PEAK_STORE _mm512_storeu_ps
#define PEAK_ACC 16
#elif defined(__FMA__) && defined(__AVX__)
typedef __m256 peak_vec;
#define PEAK_LANES 8
#define PEAK_SET1 _mm256_set1_ps
#define PEAK_FMA _mm256_fmadd_ps
#define PEAK_ADD _mm256_add_ps
#define PEAK_STORE _mm256_storeu_ps
#define PEAK_ACC 12
#endif

double rf_bench_fma_peak_gflops(long iterations)
{
    double t0 = seconds();
    float sink = 0;
#ifdef PEAK_LANES
    peak_vec a = PEAK_SET1(0.999999f), b = PEAK_SET1(1e-7f), c[PEAK_ACC];
    for (int k = 0; k < PEAK_ACC; k++)
        c[k] = PEAK_SET1(0.f);
    for (long i = 0; i < iterations; i++) {
        /* a fixed count: the compiler unrolls it and keeps c in registers */
        for (int k = 0; k < PEAK_ACC; k++)
            c[k] = PEAK_FMA(c[k], a, b);
    }
    peak_vec sum = c[0];
    for (int k = 1; k < PEAK_ACC; k++)
        sum = PEAK_ADD(sum, c[k]);
    float lanes[PEAK_LANES];
    PEAK_STORE(lanes, sum);
    for (int i = 0; i < PEAK_LANES; i++)
        sink += lanes[i];
    double flops = (double)PEAK_ACC * PEAK_LANES * 2 * iterations;
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
