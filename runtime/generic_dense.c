/* Dense layer kernels with run-time shapes: the three matrix products of a
 * training step, written as a careful engineer would without BLAS.
 *
 *   forward  y  = x W + b      i-k-j order, 4 rows at a time
 *   weights  dW = x^T dy       k-r-j order, 4 weight rows at a time
 *   input    dx = dy W^T       dot products over out, 4 rows at a time
 *
 * Every inner loop runs over contiguous memory with a run-time trip count,
 * so the compiler vectorises it (with -O3 -march=native, 8 or 16 floats
 * per register). Each thread owns the outputs it writes, and every sum over
 * the batch runs over rows in order, so the bits do not depend on the
 * number of threads.
 *
 * With bf16 every element of x, W and dy is rounded to bfloat16 where a
 * product reads it (IN below). The kernels are inlined into each entry point
 * twice, with bf16 a constant 0 or 1, so the fp32 loops are the plain ones. */
#include "generic_kernels.h"

#define ROW_BLOCK 4 /* rows sharing one pass over a weight row */
#define INLINE static inline __attribute__((always_inline))

/* A product's input: as it is, or rounded to bf16 */
#define IN(v) (bf16 ? rf_round_bf16(v) : (v))

/* Instrumented builds (ASan) cannot vectorise the `omp simd` loop below;
 * there the pragma is only a hint, so clang's "not vectorized" warning is
 * noise. */
#if defined(__clang__)
#pragma clang diagnostic ignored "-Wpass-failed"
#endif

/* Rows [r, r + 4) of y = x W + b: each weight row is loaded once for four
 * rows of x, and the four output rows (a few KB) stay in L1. */
INLINE void dense_forward_block(const float *restrict x, const float *restrict W,
                                const float *restrict b, float *restrict y,
                                int r, int in, int out, const int bf16)
{
    const float *x0 = x + (long)r * in, *x1 = x0 + in, *x2 = x1 + in, *x3 = x2 + in;
    float *restrict y0 = y + (long)r * out;
    float *restrict y1 = y0 + out;
    float *restrict y2 = y1 + out;
    float *restrict y3 = y2 + out;
    for (int j = 0; j < out; j++)
        y0[j] = y1[j] = y2[j] = y3[j] = b[j];
    for (int k = 0; k < in; k++) {
        const float a0 = IN(x0[k]), a1 = IN(x1[k]), a2 = IN(x2[k]), a3 = IN(x3[k]);
        const float *restrict wk = W + (long)k * out;
        for (int j = 0; j < out; j++) {
            const float w = IN(wk[j]);
            y0[j] += a0 * w;
            y1[j] += a1 * w;
            y2[j] += a2 * w;
            y3[j] += a3 * w;
        }
    }
}

/* One row r of y = x W + b (the tail when n is not a multiple of 4). */
INLINE void dense_forward_row(const float *restrict x, const float *restrict W,
                              const float *restrict b, float *restrict y,
                              int r, int in, int out, const int bf16)
{
    const float *xr = x + (long)r * in;
    float *restrict yr = y + (long)r * out;
    for (int j = 0; j < out; j++)
        yr[j] = b[j];
    for (int k = 0; k < in; k++) {
        const float a = IN(xr[k]);
        const float *restrict wk = W + (long)k * out;
        for (int j = 0; j < out; j++)
            yr[j] += a * IN(wk[j]);
    }
}

INLINE void dense_forward(const float *x, const float *W, const float *b, float *y,
                          int n, int in, int out, const int bf16)
{
    long work = (long)n * in * out;
    (void)work;
    int blocked = n - n % ROW_BLOCK;
#pragma omp parallel if (work >= RF_GK_PARALLEL_MIN)
    {
#pragma omp for schedule(static) nowait
        for (int r = 0; r < blocked; r += ROW_BLOCK)
            dense_forward_block(x, W, b, y, r, in, out, bf16);
#pragma omp for schedule(static) nowait
        for (int r = blocked; r < n; r++)
            dense_forward_row(x, W, b, y, r, in, out, bf16);
    }
}

void rf_gk_dense_forward(const float *x, const float *W, const float *b, float *y,
                         int n, int in, int out, int bf16)
{
    if (bf16)
        dense_forward(x, W, b, y, n, in, out, 1);
    else
        dense_forward(x, W, b, y, n, in, out, 0);
}

/* Weight rows [k, k + ROW_BLOCK) of dW = x^T dy: each row of dy is read
 * once per block of four weight rows, and each dW row sums over the batch
 * rows in order. */
INLINE void dense_weight_grad_block(const float *restrict x, const float *restrict dy,
                                    float *restrict dW, int k, int n, int in, int out,
                                    const int bf16)
{
    float *restrict g0 = dW + (long)k * out;
    float *restrict g1 = g0 + out;
    float *restrict g2 = g1 + out;
    float *restrict g3 = g2 + out;
    for (int j = 0; j < out; j++)
        g0[j] = g1[j] = g2[j] = g3[j] = 0.0f;
    for (int r = 0; r < n; r++) {
        const float *xr = x + (long)r * in + k;
        const float a0 = IN(xr[0]), a1 = IN(xr[1]), a2 = IN(xr[2]), a3 = IN(xr[3]);
        const float *restrict d = dy + (long)r * out;
        for (int j = 0; j < out; j++) {
            const float v = IN(d[j]);
            g0[j] += a0 * v;
            g1[j] += a1 * v;
            g2[j] += a2 * v;
            g3[j] += a3 * v;
        }
    }
}

/* One weight row k of dW (the tail when in is not a multiple of 4). */
INLINE void dense_weight_grad_row(const float *restrict x, const float *restrict dy,
                                  float *restrict dW, int k, int n, int in, int out,
                                  const int bf16)
{
    float *restrict g = dW + (long)k * out;
    for (int j = 0; j < out; j++)
        g[j] = 0.0f;
    for (int r = 0; r < n; r++) {
        const float a = IN(x[(long)r * in + k]);
        const float *restrict d = dy + (long)r * out;
        for (int j = 0; j < out; j++)
            g[j] += a * IN(d[j]);
    }
}

INLINE void dense_backward_params(const float *x, const float *dy, float *dW, float *db,
                                  int n, int in, int out, const int bf16)
{
    long work = (long)n * in * out;
    (void)work;
    int blocked = in - in % ROW_BLOCK;
#pragma omp parallel if (work >= RF_GK_PARALLEL_MIN)
    {
#pragma omp for schedule(static) nowait
        for (int k = 0; k < blocked; k += ROW_BLOCK)
            dense_weight_grad_block(x, dy, dW, k, n, in, out, bf16);
#pragma omp for schedule(static) nowait
        for (int k = blocked; k < in; k++)
            dense_weight_grad_row(x, dy, dW, k, n, in, out, bf16);
        /* db: n * out adds, too few to split; one thread, rows in order. */
#pragma omp single nowait
        {
            for (int j = 0; j < out; j++)
                db[j] = 0.0f;
            for (int r = 0; r < n; r++) {
                const float *restrict d = dy + (long)r * out;
                for (int j = 0; j < out; j++)
                    db[j] += d[j];
            }
        }
    }
}

void rf_gk_dense_backward_params(const float *x, const float *dy, float *dW, float *db,
                                 int n, int in, int out, int bf16)
{
    if (bf16)
        dense_backward_params(x, dy, dW, db, n, in, out, 1);
    else
        dense_backward_params(x, dy, dW, db, n, in, out, 0);
}

/* dot(a_i, b) over len floats for four a's against one b. A float sum
 * only vectorises when the compiler may reorder it: `omp simd reduction`
 * grants that for this loop alone (keeping partial sums in vector lanes).
 * The order is then fixed by the compiled code and len, never by the
 * number of threads. (Without -fopenmp the pragma is ignored: scalar.) */
INLINE void dot4(const float *restrict a0, const float *restrict a1,
                 const float *restrict a2, const float *restrict a3,
                 const float *restrict b, int len, float out[4], const int bf16)
{
    float t0 = 0.0f, t1 = 0.0f, t2 = 0.0f, t3 = 0.0f;
#pragma omp simd reduction(+ : t0, t1, t2, t3)
    for (int j = 0; j < len; j++) {
        const float w = IN(b[j]);
        t0 += IN(a0[j]) * w;
        t1 += IN(a1[j]) * w;
        t2 += IN(a2[j]) * w;
        t3 += IN(a3[j]) * w;
    }
    out[0] = t0;
    out[1] = t1;
    out[2] = t2;
    out[3] = t3;
}

/* Rows [r, r + rows) of dx = dy W^T, rows <= ROW_BLOCK: dx[r][k] is the dot
 * product of dy's row r with W's row k, both contiguous. A short block
 * repeats its last row and keeps only the first `rows` results. */
INLINE void dense_input_grad_rows(const float *restrict dy, const float *restrict W,
                                  float *restrict dx, int r, int rows, int in, int out,
                                  const int bf16)
{
    const float *d[ROW_BLOCK];
    for (int i = 0; i < ROW_BLOCK; i++)
        d[i] = dy + (long)(r + (i < rows ? i : rows - 1)) * out;
    for (int k = 0; k < in; k++) {
        float t[ROW_BLOCK];
        dot4(d[0], d[1], d[2], d[3], W + (long)k * out, out, t, bf16);
        for (int i = 0; i < rows; i++)
            dx[(long)(r + i) * in + k] = t[i];
    }
}

INLINE void dense_backward_input(const float *dy, const float *W, float *dx,
                                 int n, int in, int out, const int bf16)
{
    long work = (long)n * in * out;
    (void)work;
#pragma omp parallel for schedule(static) if (work >= RF_GK_PARALLEL_MIN)
    for (int r = 0; r < n; r += ROW_BLOCK)
        dense_input_grad_rows(dy, W, dx, r, n - r < ROW_BLOCK ? n - r : ROW_BLOCK, in, out,
                              bf16);
}

void rf_gk_dense_backward_input(const float *dy, const float *W, float *dx,
                                int n, int in, int out, int bf16)
{
    if (bf16)
        dense_backward_input(dy, W, dx, n, in, out, 1);
    else
        dense_backward_input(dy, W, dx, n, in, out, 0);
}
