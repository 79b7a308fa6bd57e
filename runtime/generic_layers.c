/* Elementwise layer kernels with run-time shapes: the activations of
 * RF_ACTIVATIONS and inverted dropout, forward and backward. Each element
 * is independent, so the loops split over threads freely and vectorise
 * (relu, leaky_relu, dropout; sigmoid and tanh call libm per element). */
#include "generic_kernels.h"

#include <math.h>

#include "layer_kinds.h"
#include "rf_random.h"

#define ELEMENTWISE_PARALLEL_MIN (4 * RF_GK_PARALLEL_MIN)

/* One forward and one backward loop per RF_ACTIVATIONS row, the math its
 * scalar columns: forward in x (and a), backward in y, dy (and a). The
 * sign-only rows are a compare and a select per element, cheap enough to
 * stay on one thread up to ELEMENTWISE_PARALLEL_MIN; the others call libm
 * and fork from RF_GK_PARALLEL_MIN. The slope is copied to a local inside
 * the loop's thread (firstprivate): a shared one is passed by reference,
 * and the stores could alias it for all the vectoriser knows. */
#define ACTIVATION_LOOPS(E, name, takes_alpha, forward, backward, forward_v, backward_v,        \
                         sign_only)                                                             \
    static void forward_##name(const float *restrict xs, float *restrict ys, long count,       \
                               float a)                                                         \
    {                                                                                           \
        const long parallel_min = (sign_only) ? ELEMENTWISE_PARALLEL_MIN : RF_GK_PARALLEL_MIN;  \
        (void)a;                                                                                \
        (void)parallel_min;                                                                     \
        _Pragma("omp parallel for schedule(static) firstprivate(a) if (count >= parallel_min)") \
        for (long i = 0; i < count; i++) {                                                      \
            const float x = xs[i];                                                              \
            ys[i] = (forward);                                                                  \
        }                                                                                       \
    }                                                                                           \
    static void backward_##name(const float *restrict ys, const float *restrict dys,           \
                                float *restrict dxs, long count, float a)                       \
    {                                                                                           \
        const long parallel_min = ELEMENTWISE_PARALLEL_MIN;                                     \
        (void)a;                                                                                \
        (void)parallel_min;                                                                     \
        _Pragma("omp parallel for schedule(static) firstprivate(a) if (count >= parallel_min)") \
        for (long i = 0; i < count; i++) {                                                      \
            const float y = ys[i], dy = dys[i];                                                 \
            dxs[i] = (backward);                                                                \
        }                                                                                       \
    }
RF_ACTIVATIONS(ACTIVATION_LOOPS)
#undef ACTIVATION_LOOPS

void rf_gk_activation_forward(rf_layer_kind kind, float alpha, const float *restrict x,
                              float *restrict y, long count)
{
#define FORWARD_CASE(E, name, ...)                                                              \
    case RF_LAYER_##E:                                                                          \
        forward_##name(x, y, count, alpha);                                                     \
        break;
    switch (kind) {
        RF_ACTIVATIONS(FORWARD_CASE)
    default:
        break;
    }
#undef FORWARD_CASE
}

void rf_gk_activation_backward(rf_layer_kind kind, float alpha, const float *restrict y,
                               const float *restrict dy, float *restrict dx, long count)
{
#define BACKWARD_CASE(E, name, ...)                                                             \
    case RF_LAYER_##E:                                                                          \
        backward_##name(y, dy, dx, count, alpha);                                               \
        break;
    switch (kind) {
        RF_ACTIVATIONS(BACKWARD_CASE)
    default:
        break;
    }
#undef BACKWARD_CASE
}

void rf_gk_dropout_forward(const float *restrict x, float *restrict y, uint8_t *restrict keep,
                           int n, int units, uint64_t key, uint32_t threshold, float scale)
{
    long count = (long)n * units;
    (void)count;
    /* Per row, so the element index is row * units + unit with a 32-bit
     * add in the inner loop (AVX2 hashes 8 lanes at a time). The loop
     * invariants are copied to locals: the byte stores to keep[] could
     * otherwise alias the shared variables OpenMP passes by reference,
     * which stops the vectoriser. */
#pragma omp parallel for schedule(static) if (count >= ELEMENTWISE_PARALLEL_MIN)
    for (int r = 0; r < n; r++) {
        const int width = units;
        const uint64_t k = key;
        const uint32_t cut = threshold;
        const float s = scale;
        const uint32_t base = (uint32_t)r * (uint32_t)width;
        const float *restrict xr = x + (long)r * width;
        float *restrict yr = y + (long)r * width;
        uint8_t *restrict kr = keep + (long)r * width;
        for (int u = 0; u < width; u++) {
            const int kept = rf_dropout_bits(k, base + (uint32_t)u) >= cut;
            kr[u] = (uint8_t)kept;
            yr[u] = kept ? xr[u] * s : 0.0f;
        }
    }
}

void rf_gk_dropout_backward(const float *restrict dy, const uint8_t *restrict keep,
                            float *restrict dx, long count, float scale)
{
#pragma omp parallel for schedule(static) if (count >= ELEMENTWISE_PARALLEL_MIN)
    for (long i = 0; i < count; i++)
        dx[i] = keep[i] ? dy[i] * scale : 0.0f;
}
