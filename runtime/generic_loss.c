/* Loss kernels with run-time shapes. Rows run in parallel, each writing its
 * own loss and gradient row; the mean is then summed over the per-row
 * losses in row order, so it does not depend on the thread count. */
#include "generic_kernels.h"

#include <math.h>

#define LOSS_PARALLEL_MIN 4096L /* output elements */

static float mean_in_row_order(const float *row_loss, int n)
{
    double sum = 0.0;
    for (int r = 0; r < n; r++)
        sum += row_loss[r];
    return (float)(sum / n);
}

/* Per row: loss = logsumexp(z) - z[label], computed stably around max(z);
 * d loss / dz = (softmax(z) - onehot(label)), divided by n for the mean. */
float rf_gk_softmax_ce(const float *restrict z, const int32_t *restrict labels,
                       float *restrict dz, float *restrict row_loss, int n, int outputs)
{
    const float inv_n = 1.0f / (float)n;
    long count = (long)n * outputs;
    (void)count;
#pragma omp parallel for schedule(static) if (count >= LOSS_PARALLEL_MIN)
    for (int r = 0; r < n; r++) {
        const float *restrict zr = z + (long)r * outputs;
        float *restrict dr = dz + (long)r * outputs;
        float max = zr[0];
        for (int j = 1; j < outputs; j++)
            max = zr[j] > max ? zr[j] : max;
        float sum = 0.0f;
        for (int j = 0; j < outputs; j++) {
            dr[j] = expf(zr[j] - max);
            sum += dr[j];
        }
        const int label = labels[r];
        row_loss[r] = max + logf(sum) - zr[label];
        const float scale = inv_n / sum;
        for (int j = 0; j < outputs; j++)
            dr[j] *= scale;
        dr[label] -= inv_n;
    }
    return mean_in_row_order(row_loss, n);
}

/* Per row: loss = sum_j (z_j - t_j)^2 / 2; d loss / dz = (z - t) / n. */
float rf_gk_squared(const float *restrict z, const float *restrict target,
                    float *restrict dz, float *restrict row_loss, int n, int outputs)
{
    const float inv_n = 1.0f / (float)n;
    long count = (long)n * outputs;
    (void)count;
#pragma omp parallel for schedule(static) if (count >= LOSS_PARALLEL_MIN)
    for (int r = 0; r < n; r++) {
        const float *restrict zr = z + (long)r * outputs;
        const float *restrict tr = target + (long)r * outputs;
        float *restrict dr = dz + (long)r * outputs;
        float sum = 0.0f;
        for (int j = 0; j < outputs; j++) {
            const float e = zr[j] - tr[j];
            sum += e * e;
            dr[j] = e * inv_n;
        }
        row_loss[r] = 0.5f * sum;
    }
    return mean_in_row_order(row_loss, n);
}
