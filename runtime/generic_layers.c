/* Elementwise layer kernels with run-time shapes: relu, sigmoid, tanh and
 * inverted dropout, forward and backward. Each element is independent, so
 * the loops split over threads freely and vectorise (relu, dropout; the
 * sigmoid and tanh call libm per element). */
#include "generic_kernels.h"

#include <math.h>

#include "rf_random.h"

#define ELEMENTWISE_PARALLEL_MIN (4 * RF_GK_PARALLEL_MIN)

void rf_gk_activation_forward(rf_layer_kind kind, const float *restrict x, float *restrict y,
                              long count)
{
    switch (kind) {
    case RF_LAYER_RELU:
#pragma omp parallel for schedule(static) if (count >= ELEMENTWISE_PARALLEL_MIN)
        for (long i = 0; i < count; i++)
            y[i] = x[i] > 0.0f ? x[i] : 0.0f;
        break;
    case RF_LAYER_SIGMOID:
#pragma omp parallel for schedule(static) if (count >= RF_GK_PARALLEL_MIN)
        for (long i = 0; i < count; i++)
            y[i] = 1.0f / (1.0f + expf(-x[i]));
        break;
    case RF_LAYER_TANH:
#pragma omp parallel for schedule(static) if (count >= RF_GK_PARALLEL_MIN)
        for (long i = 0; i < count; i++)
            y[i] = tanhf(x[i]);
        break;
    default:
        break;
    }
}

void rf_gk_activation_backward(rf_layer_kind kind, const float *restrict y,
                               const float *restrict dy, float *restrict dx, long count)
{
    switch (kind) {
    case RF_LAYER_RELU: /* relu'(x) = [x > 0] = [y > 0] */
#pragma omp parallel for schedule(static) if (count >= ELEMENTWISE_PARALLEL_MIN)
        for (long i = 0; i < count; i++)
            dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
        break;
    case RF_LAYER_SIGMOID: /* sigmoid' = y (1 - y) */
#pragma omp parallel for schedule(static) if (count >= ELEMENTWISE_PARALLEL_MIN)
        for (long i = 0; i < count; i++)
            dx[i] = dy[i] * y[i] * (1.0f - y[i]);
        break;
    case RF_LAYER_TANH: /* tanh' = 1 - y^2 */
#pragma omp parallel for schedule(static) if (count >= ELEMENTWISE_PARALLEL_MIN)
        for (long i = 0; i < count; i++)
            dx[i] = dy[i] * (1.0f - y[i] * y[i]);
        break;
    default:
        break;
    }
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
