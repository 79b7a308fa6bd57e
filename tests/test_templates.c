/* The code templates of compiler/templates/ compiled and tested on their own, as
 * real C: the product driver (micro-kernel, column tails, last rows, the
 * transposed store) against a double-precision product over shapes that reach
 * every path, and the vector dropout bits against runtime/rf_random.h. This
 * file is built three times (CMakeLists.txt): for the build's default target
 * (4-float vectors) and, where the CPU has them, with AVX2 + FMA (8) and with
 * AVX-512 (16); a build whose instructions the CPU lacks passes without running. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rf_random.h"
#include "rftest.h"

#define OMP_FOR_NOWAIT /* serial here: the tiles' order does not change their sums */

#include "templates/vector.h"

/* the epilogue the emitter would generate, reduced to bias and the transposed store */
typedef struct {
    const float *bias;
    int transposed;
} NAME_epilogue;

/* the row shards of a weight gradient (the header's type; NULL here: one chain over the depth) */
typedef struct {
    int n, lo, hi, row0;
    int start[5];
} NAME_shards;

ALWAYS_INLINE vf NAME_epilogue_v(NAME_epilogue e, vf acc, ptrdiff_t at, int col)
{
    (void)at;
    return e.bias ? acc + vload(e.bias + col) : acc;
}

ALWAYS_INLINE float NAME_epilogue_1(NAME_epilogue e, float acc, ptrdiff_t at, int col)
{
    (void)at;
    return e.bias ? acc + e.bias[col] : acc;
}

#include "templates/product.h"

static int cpu_ok(void)
{
#if VL == 16
    return __builtin_cpu_supports("avx512f");
#elif VL == 8 && defined(__FMA__)
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 1;
#endif
}

static float frand(uint64_t i)
{
    return (float)(2.0 * rf_uniform(5, 9, 0, i) - 1.0);
}

/* C = A B (+ bias) for rows x cols, depth, A read with (a_row, a_step) as the dense layer's three
 * products read it, against double sums; every tile shape and tail of the driver. */
static void test_product_shapes(void)
{
    if (!cpu_ok())
        return;
    static const int rows_list[] = {1, 2, 3, 5, MR, MR + 1, 2 * MR + 3, 8 * MR + 5};
    static const int cols_list[] = {1, 2, 3, VL - 1, VL, VL + 1, NR, NR + 3, 2 * NR + VL + 2};
    static const int depth_list[] = {1, 7, 33};
    double worst = 0;
    int cases = 0, reported = 0;
    for (size_t ri = 0; ri < sizeof rows_list / sizeof *rows_list; ri++)
        for (size_t ci = 0; ci < sizeof cols_list / sizeof *cols_list; ci++)
            for (size_t di = 0; di < sizeof depth_list / sizeof *depth_list; di++)
                for (int form = 0; form < 3; form++) {
                    const int rows = rows_list[ri], cols = cols_list[ci], depth = depth_list[di];
                    /* form 0: A row-major (forward), 1: A transposed (weight grad), 2: stored C^T */
                    float *a = malloc(sizeof(float) * (size_t)rows * depth);
                    float *b = malloc(sizeof(float) * (size_t)depth * cols);
                    float *c = malloc(sizeof(float) * (size_t)rows * cols), *bias = malloc(sizeof(float) * cols);
                    for (int i = 0; i < rows * depth; i++)
                        a[i] = frand((uint64_t)i);
                    for (int i = 0; i < depth * cols; i++)
                        b[i] = frand(100000 + (uint64_t)i);
                    for (int j = 0; j < cols; j++)
                        bias[j] = frand(200000 + (uint64_t)j);
                    const ptrdiff_t a_row = form == 1 ? 1 : depth, a_step = form == 1 ? rows : 1;
                    NAME_epilogue e = {.bias = form == 0 ? bias : NULL, .transposed = form == 2};
                    NAME_product(c, form == 2 ? rows : cols, e, a, a_row, a_step, b, cols, rows, cols, depth,
                                 NULL, form == 1 ? MR : TILE_ROWS, form != 1);
                    for (int i = 0; i < rows; i++)
                        for (int j = 0; j < cols; j++) {
                            double want = form == 0 ? bias[j] : 0, scale = fabs(want) + 1e-30;
                            for (int k = 0; k < depth; k++) {
                                want += (double)a[i * a_row + k * a_step] * b[k * cols + j];
                                scale += fabs((double)a[i * a_row + k * a_step] * b[k * cols + j]);
                            }
                            const float got = form == 2 ? c[j * rows + i] : c[i * cols + j];
                            const double err = fabs(got - want) / scale;
                            worst = err > worst ? err : worst;
                            if (err > 1e-6 && !reported) {
                                fprintf(stderr, "\n  rows %d cols %d depth %d form %d: C[%d][%d] %g, want %g", rows,
                                        cols, depth, form, i, j, got, want);
                                reported = 1; /* one is enough */
                            }
                        }
                    cases++;
                    free(a);
                    free(b);
                    free(c);
                    free(bias);
                }
    fprintf(stderr, "\n    VL %d: %d products, largest error %.2g of the sum of |terms| ", VL, cases, worst);
    /* float sums of up to 33 terms: a few float roundings of the sum of |terms| */
    CU_ASSERT(worst <= 1e-6);
    CU_ASSERT(cases > 0);
}

/* NAME_dropout_bits_v: VL consecutive indices, each rf_dropout_bits of its own. */
static void test_dropout_bits(void)
{
    if (!cpu_ok())
        return;
    int wrong = 0;
    for (uint64_t step = 0; step < 50; step++) {
        const uint64_t key = rf_dropout_key(3, step, 2);
        for (uint32_t index = 0; index < 4096; index += VL) {
            const vu bits = NAME_dropout_bits_v(key, index + (uint32_t)step);
            for (int lane = 0; lane < VL; lane++)
                wrong += bits[lane] != rf_dropout_bits(key, index + (uint32_t)step + (uint32_t)lane);
        }
    }
    CU_ASSERT_EQUAL(wrong, 0);
}

int main(int argc, char **argv)
{
    static const rf_test_case cases[] = {
        {"the product driver against double sums: tiles, tails, transposed A and C", test_product_shapes},
        {"the vector dropout bits are rf_random.h's", test_dropout_bits},
        {NULL, NULL},
    };
    if (!cpu_ok())
        fprintf(stderr, "this CPU lacks the instructions of this build (VL %d): nothing to run\n", VL);
    return rf_test_main("code templates", cases, argc, argv);
}
