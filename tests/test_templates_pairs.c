/* The code templates' products of bfloat16 pairs (precision bf16 where BF16_PAIRS is 1:
 * vector.h, product.h) compiled and tested on their own: the operands copied and packed as
 * pairs (NAME_pair_copy, NAME_pair_rows, NAME_pack_pairs), then NAME_product with pairs = 1,
 * against the float32 layout of the same rounded operands (NAME_round_copy, NAME_pack,
 * pairs = 0), whose kernels take the depth in the pairs' order; and both against a double
 * sum of the rounded operands. The shapes reach the three products of a dense layer: A along
 * the depth (the forward, the input gradient), B from its rows and from its transpose, and
 * the weight gradient, whose depth is the batch rows summed shard by shard (shards of odd
 * length, a pass holding some of them).
 *
 * Without AVX512_BF16 a pair's dot product is two FMAs, the instruction's definition, and
 * the two layouts must agree bit for bit, but for one or two columns past the last whole
 * vector (the float32 layout sums those in SPLIT parts; the pairs in whole vectors). Built
 * with AVX512_BF16 on a CPU that has it, the instruction runs (it flushes subnormals, and
 * AMD's may round otherwise in the last bit): the test then checks the error bound only
 * and says how many products agreed to the bit. Built four times (CMakeLists.txt): default,
 * AVX2, AVX-512 and AVX512_BF16; a build whose instructions the CPU lacks passes without
 * running. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rf_random.h"
#include "rftest.h"

#define BF16_INPUTS 1
#define BF16_PAIRS 1
#include "templates_compiled.h"

#if defined(__AVX512BF16__) && VL == 16
#define NATIVE 1
#else
#define NATIVE 0
#endif

static int cpu_ok(void)
{
#if NATIVE
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bf16");
#elif VL == 16
    return __builtin_cpu_supports("avx512f");
#elif VL == 8 && defined(__FMA__)
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 1;
#endif
}

/* U(-1, 1) values, some of them subnormal-free but of mixed size (a bf16 keeps 8 bits) */
static float frand(uint64_t i)
{
    return (float)(2.0 * rf_uniform(7, 11, 0, i) - 1.0);
}

/* What the comparisons found, over all cases. */
typedef struct {
    int cases, same, tail_cases; /* tail_cases: one or two columns past the vectors */
    double worst;                /* largest error against the double sum, of the sum of |terms| */
} tally;

/* c (float32 layout) and c_pairs against each other and c against the double sums of the
 * rounded operands: want[i * cols + j] and scale[...] (the sum of |terms|). */
static void compare(tally *t, const float *c, const float *c_pairs, const double *want, const double *scale,
                    int rows, int cols, const char *what)
{
    const int tail = cols % VL != 0 && cols % VL <= 2;
    const int same = memcmp(c, c_pairs, sizeof(float) * (size_t)rows * cols) == 0;
    for (int k = 0; k < rows * cols; k++) {
        const double e1 = fabs(c[k] - want[k]) / scale[k], e2 = fabs(c_pairs[k] - want[k]) / scale[k];
        t->worst = fmax(t->worst, fmax(e1, e2));
    }
    if (!same && !tail && !NATIVE && t->cases - t->same < 3)
        fprintf(stderr, "\n  %s, rows %d cols %d: the pairs differ from the float32 layout", what, rows, cols);
    t->cases++;
    t->same += same;
    t->tail_cases += tail && !same;
}

/* C = A B with A rows x depth read along the depth (a_row = depth), B depth x cols from its
 * rows or (transposed) from B^T: the forward and the input gradient. */
static void forward_case(tally *t, int rows, int cols, int depth, int transposed)
{
    const size_t na = (size_t)rows * depth, nb = (size_t)depth * cols, nc = (size_t)rows * cols;
    float *a = malloc(sizeof(float) * na), *b = malloc(sizeof(float) * nb), *bt = malloc(sizeof(float) * nb);
    float *bias = malloc(sizeof(float) * (size_t)cols), *a_round = malloc(sizeof(float) * na);
    const size_t panels = (size_t)(cols + NR - 1) / NR;
    float *packed = malloc(sizeof(float) * (size_t)depth * NR * panels);
    float *pairs_a = malloc(sizeof(float) * (size_t)rows * PAIRS_OF(depth));
    float *pairs_b = malloc(sizeof(float) * (size_t)PAIRS_OF(depth) * NR * panels);
    float *c = malloc(sizeof(float) * nc), *c_pairs = malloc(sizeof(float) * nc);
    double *want = malloc(sizeof(double) * nc), *scale = malloc(sizeof(double) * nc);
    for (size_t i = 0; i < na; i++)
        a[i] = frand(i);
    for (size_t i = 0; i < nb; i++)
        b[i] = frand(100000 + i);
    for (int k = 0; k < depth; k++)
        for (int j = 0; j < cols; j++)
            bt[(size_t)j * depth + k] = b[(size_t)k * cols + j];
    for (int j = 0; j < cols; j++)
        bias[j] = frand(200000 + (uint64_t)j);
    const float *src = transposed ? bt : b;
    const ptrdiff_t b_row = transposed ? 1 : cols, b_col = transposed ? depth : 1;
    NAME_epilogue e = {.bias = bias, .transposed = 0};

    NAME_round_copy(a_round, a, (ptrdiff_t)na);
    NAME_pack(packed, src, b_row, b_col, depth, cols);
    NAME_product(c, cols, e, a_round, depth, 1, packed, 0, (ptrdiff_t)depth * NR, rows, cols, depth, NULL,
                 TILE_ROWS, 1, 0);
    memset(pairs_b, 0xff, sizeof(float) * (size_t)PAIRS_OF(depth) * NR * panels); /* the padding is written */
    NAME_pair_copy(pairs_a, a, rows, depth);
    NAME_pack_pairs(pairs_b, src, b_row, b_col, depth, cols, NULL);
    NAME_product(c_pairs, cols, e, pairs_a, PAIRS_OF(depth), 1, pairs_b, NR, (ptrdiff_t)PAIRS_OF(depth) * NR, rows,
                 cols, PAIRS_OF(depth), NULL, TILE_ROWS, 1, 1);
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) {
            double s = bias[j], m = fabs(bias[j]) + 1e-30;
            for (int k = 0; k < depth; k++) {
                const double term = (double)round_bf16(a[(size_t)i * depth + k]) * round_bf16(b[(size_t)k * cols + j]);
                s += term;
                m += fabs(term);
            }
            want[(size_t)i * cols + j] = s;
            scale[(size_t)i * cols + j] = m;
        }
    compare(t, c, c_pairs, want, scale, rows, cols, transposed ? "B from B^T" : "B from its rows");
    free(a);
    free(b);
    free(bt);
    free(bias);
    free(a_round);
    free(packed);
    free(pairs_a);
    free(pairs_b);
    free(c);
    free(c_pairs);
    free(want);
    free(scale);
}

/* weight_grad = in^T out_grad over the pass's rows (shards [lo, hi) of a global batch of n):
 * in n_pass x rows, out_grad n_pass x cols, C rows x cols. */
static void wgrad_case(tally *t, int n, int lo, int hi, int rows, int cols)
{
    NAME_shards sh = {.n = n, .lo = lo, .hi = hi, .row0 = lo * n / 4};
    for (int k = lo; k <= hi; k++)
        sh.start[k - lo] = k * n / 4 - sh.row0;
    const int n_pass = sh.start[hi - lo];
    const size_t ni = (size_t)n_pass * rows, ng = (size_t)n_pass * cols, nc = (size_t)rows * cols;
    const size_t panels = (size_t)(cols + NR - 1) / NR;
    float *in = malloc(sizeof(float) * (ni + 1)), *grad = malloc(sizeof(float) * (ng + 1));
    float *in_round = malloc(sizeof(float) * (ni + 1)), *packed = malloc(sizeof(float) * ((size_t)n_pass * NR * panels + 1));
    /* the pairs fit in the float32 layout's room (the generated file reuses its buffers) */
    float *pairs_in = malloc(sizeof(float) * (ni + 1)), *pairs_b = malloc(sizeof(float) * ((size_t)n_pass * NR * panels + 1));
    float *c = malloc(sizeof(float) * nc), *c_pairs = malloc(sizeof(float) * nc);
    double *want = malloc(sizeof(double) * nc), *scale = malloc(sizeof(double) * nc);
    for (size_t i = 0; i < ni; i++)
        in[i] = frand(300000 + i);
    for (size_t i = 0; i < ng; i++)
        grad[i] = frand(400000 + i);
    const int pairs = NAME_shard_pairs(&sh, hi);
    CU_ASSERT((size_t)pairs * rows <= ni + (n_pass == 0));
    NAME_epilogue e = {.bias = NULL, .transposed = 0};

    NAME_round_copy(in_round, in, (ptrdiff_t)ni);
    NAME_pack(packed, grad, cols, 1, n_pass, cols);
    NAME_product(c, cols, e, in_round, 1, rows, packed, 0, (ptrdiff_t)n_pass * NR, rows, cols, n_pass, &sh, MR, 0,
                 0);
    NAME_pair_rows(pairs_in, in, rows, &sh);
    NAME_pack_pairs(pairs_b, grad, cols, 1, n_pass, cols, &sh);
    NAME_product(c_pairs, cols, e, pairs_in, 1, rows, pairs_b, NR, (ptrdiff_t)pairs * NR, rows, cols, n_pass, &sh,
                 MR, 0, 1);
    /* the double sum of the pass's rows, in any order */
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) {
            double s = 0, m = 1e-30;
            for (int r = 0; r < n_pass; r++) {
                const double term = (double)round_bf16(in[(size_t)r * rows + i]) * round_bf16(grad[(size_t)r * cols + j]);
                s += term;
                m += fabs(term);
            }
            want[(size_t)i * cols + j] = s;
            scale[(size_t)i * cols + j] = m;
        }
    compare(t, c, c_pairs, want, scale, rows, cols, "weight gradient");
    free(in);
    free(grad);
    free(in_round);
    free(packed);
    free(pairs_in);
    free(pairs_b);
    free(c);
    free(c_pairs);
    free(want);
    free(scale);
}

static void report(const char *what, const tally *t)
{
    fprintf(stderr, "\n    VL %d%s, %s: %d products, %d the same bits as the float32 layout (%d differ only in a "
            "one- or two-column tail), largest error %.2g of the sum of |terms| ",
            VL, NATIVE ? " (AVX512_BF16)" : "", what, t->cases, t->same, t->tail_cases, t->worst);
    CU_ASSERT(t->cases > 0);
    CU_ASSERT(t->worst <= 1e-6);
    if (!NATIVE)
        CU_ASSERT_EQUAL(t->same + t->tail_cases, t->cases);
}

static void test_forward_products(void)
{
    if (!cpu_ok())
        return;
    static const int rows_list[] = {1, 3, MR, MR + 1, 2 * MR + 3};
    static const int cols_list[] = {1, 2, 3, VL, VL + 1, VL + 2, VL + 5, NR, NR + 3, 2 * NR + VL + 2};
    static const int depth_list[] = {1, 2, 7, 33, 64};
    tally t = {0};
    for (size_t ri = 0; ri < sizeof rows_list / sizeof *rows_list; ri++)
        for (size_t ci = 0; ci < sizeof cols_list / sizeof *cols_list; ci++)
            for (size_t di = 0; di < sizeof depth_list / sizeof *depth_list; di++)
                for (int transposed = 0; transposed < 2; transposed++)
                    forward_case(&t, rows_list[ri], cols_list[ci], depth_list[di], transposed);
    report("A along the depth, B from its rows and from B^T", &t);
}

static void test_weight_gradients(void)
{
    if (!cpu_ok())
        return;
    static const int n_list[] = {1, 2, 3, 7, 37, 64};
    static const int range[][2] = {{0, 4}, {1, 3}, {2, 4}, {3, 4}};
    static const int rows_list[] = {1, MR, 2 * MR + 3};
    static const int cols_list[] = {VL, NR, NR + 3, 2 * NR + VL};
    tally t = {0};
    for (size_t ni = 0; ni < sizeof n_list / sizeof *n_list; ni++)
        for (size_t g = 0; g < sizeof range / sizeof *range; g++)
            for (size_t ri = 0; ri < sizeof rows_list / sizeof *rows_list; ri++)
                for (size_t ci = 0; ci < sizeof cols_list / sizeof *cols_list; ci++)
                    wgrad_case(&t, n_list[ni], range[g][0], range[g][1], rows_list[ri], cols_list[ci]);
    report("the weight gradient, shard by shard", &t);
}

/* The pair layout itself: the even element in the low half, each rounded; the padding 0. */
static void test_pair_layout(void)
{
    if (!cpu_ok())
        return;
    const float src[2][3] = {{1.0f, -2.0f, 3.0078125f}, {0.5f, 0.25f, -0.125f}}; /* 3.0078: a tie */
    uint32_t dst[2][2];
    NAME_pair_copy((float *)dst, src[0], 2, 3);
    CU_ASSERT_EQUAL(dst[0][0], 0xC0003F80u); /* (1, -2) */
    CU_ASSERT_EQUAL(dst[0][1], 0x00004040u); /* (3, 0): the tie rounds to even */
    CU_ASSERT_EQUAL(dst[1][0], 0x3E803F00u); /* (0.5, 0.25) */
    CU_ASSERT_EQUAL(dst[1][1], 0x0000BE00u); /* (-0.125, 0) */
    /* 2^24 + (1, 1) . (1, 1): two FMAs round 2^24 + 1 back to 2^24 twice; one rounding of the
     * whole sum would give 2^24 + 2. The instruction is only reported (AMD's may differ). */
    const vf acc = vdot_bf16((vf){0} + 16777216.0f, 0x3F803F80u, (vp){0} + 0x3F803F80u);
    if (NATIVE)
        fprintf(stderr, "\n    VDPBF16PS: 2^24 + (1, 1) . (1, 1) = 2^24 + %g ", (double)acc[0] - 16777216.0);
    else
        CU_ASSERT_EQUAL(acc[0], 16777216.0f);
}

int main(int argc, char **argv)
{
    static const rf_test_case cases[] = {
        {"bf16 pairs: the layout (even element low, rounded, padding 0) and a dot product's order",
         test_pair_layout},
        {"bf16 pairs: forward and input-gradient shapes against the float32 layout and double sums",
         test_forward_products},
        {"bf16 pairs: weight gradients over shards of odd length, against the float32 layout and double sums",
         test_weight_gradients},
        {NULL, NULL},
    };
    return rf_test_main("code templates, bf16 pairs", cases, argc, argv);
}
