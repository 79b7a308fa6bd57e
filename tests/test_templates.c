/* The code templates of compiler/emit/templates/ compiled and tested on their own, as
 * real C: the product driver (micro-kernel, column tails, last rows, the
 * transposed store) against a double-precision product over shapes that reach
 * every path, the vector dropout bits against runtime/rf_random.h, and the
 * bfloat16 rounding (scalar and vector) against a reference by nearest value. This
 * file is built three times (CMakeLists.txt): for the build's default target
 * (4-float vectors) and, where the CPU has them, with AVX2 + FMA (8) and with
 * AVX-512 (16); a build whose instructions the CPU lacks passes without running. */
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rf_random.h"
#include "rftest.h"

#include "templates_compiled.h"

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
    int cases = 0, reported = 0, packed_cases = 0, packed_same = 0;
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
                    NAME_product(c, form == 2 ? rows : cols, e, a, a_row, a_step, b, cols, 0, rows, cols, depth,
                                 NULL, form == 1 ? MR : TILE_ROWS, form != 1);
                    /* B packed in panels, from its rows and from its transpose: a copy, so the
                     * same sums bit for bit */
                    const size_t packed_floats = (size_t)depth * NR * ((cols + NR - 1) / NR);
                    float *bt = malloc(sizeof(float) * (size_t)depth * cols);
                    float *packed = malloc(sizeof(float) * packed_floats);
                    float *c2 = malloc(sizeof(float) * (size_t)rows * cols);
                    for (int k = 0; k < depth; k++)
                        for (int j = 0; j < cols; j++)
                            bt[j * depth + k] = b[k * cols + j];
                    for (int source = 0; source < 2; source++) {
                        memset(packed, 0xff, sizeof(float) * packed_floats); /* NaNs: the padding is written */
                        if (source == 0)
                            NAME_pack(packed, b, cols, 1, depth, cols);
                        else
                            NAME_pack(packed, bt, 1, depth, depth, cols);
                        int pad_ok = 1;
                        for (size_t f = 0; f < packed_floats; f++)
                            pad_ok &= !isnan(packed[f]);
                        CU_ASSERT(pad_ok);
                        NAME_product(c2, form == 2 ? rows : cols, e, a, a_row, a_step, packed, 0,
                                     (ptrdiff_t)depth * NR, rows, cols, depth, NULL, form == 1 ? MR : TILE_ROWS,
                                     form != 1);
                        if (memcmp(c, c2, sizeof(float) * (size_t)rows * cols) != 0 && !reported) {
                            fprintf(stderr, "\n  rows %d cols %d depth %d form %d: packed B (from %s) differs",
                                    rows, cols, depth, form, source ? "B^T" : "B");
                            reported = 1;
                        }
                        packed_same += memcmp(c, c2, sizeof(float) * (size_t)rows * cols) == 0;
                        packed_cases++;
                    }
                    free(bt);
                    free(packed);
                    free(c2);
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
    CU_ASSERT(packed_same == packed_cases && packed_cases == 2 * cases);
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

static float from_bits(uint32_t bits)
{
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static uint32_t to_bits(float f)
{
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    return bits;
}

/* The bfloat16 nearest to x, by value rather than by bit trick: the two bf16 neighbours of x
 * (its top 16 bits, and one bf16 step away from zero; past the largest bf16 that step is
 * 2^128, which rounds to infinity), the nearer one, on a tie the one with an even last bit. */
static uint32_t reference_bf16(float x)
{
    if (isnan(x) || isinf(x) || x == 0)
        return isnan(x) ? 0x7FC00000u : to_bits(x);
    const uint32_t low = to_bits(x) & 0xFFFF0000u, high = low + 0x10000u;
    const double lo = from_bits(low), x_d = x;
    const double hi = (high & 0x7FFFFFFFu) == 0x7F800000u ? copysign(ldexp(1.0, 128), x_d) : from_bits(high);
    const double below = fabs(x_d - lo), above = fabs(hi - x_d);
    if (below < above || (below == above && (low & 0x10000u) == 0))
        return low;
    return high;
}

/* round_bf16 and vround_bf16 against the reference, NaN as any NaN: hand-picked values (ties
 * to even both ways, just off a tie, the largest floats, NaNs, infinities, zeros, denormals)
 * and random bit patterns, each in every lane. */
static void test_round_bf16(void)
{
    if (!cpu_ok())
        return;
    static const uint32_t picked[] = {
        0x3F800000u, 0x3F808000u, 0x3F818000u, 0x3F808001u, 0x3F807FFFu, /* 1, ties down/up, off a tie */
        0xBF808000u, 0xBF818000u, 0xBF80FFFFu, 0x40490FDBu,              /* negative ties, pi */
        0x7F7FFFFFu, 0x7F7F7FFFu, 0x7F7F8000u, 0x7F7E8000u, 0xFF7FFFFFu, /* the largest floats */
        0x7F800000u, 0xFF800000u,                                        /* infinities */
        0x7FC00000u, 0x7F800001u, 0x7FFFFFFFu, 0xFFFFFFFFu, 0xFF80FFFFu, /* NaNs (quiet, signalling) */
        0x00000000u, 0x80000000u,                                        /* zeros */
        0x00000001u, 0x00008000u, 0x00018000u, 0x007FFFFFu, 0x807FFFFFu, /* denormals */
        0x00800000u, 0x0080FFFFu,                                        /* the smallest normals */
    };
    enum { PICKED = sizeof picked / sizeof *picked, RANDOM = 100000 };
    int wrong = 0, checked = 0;
    uint64_t state = 99;
    for (int k = 0; k < PICKED + RANDOM; k++) {
        uint32_t bits;
        if (k < PICKED)
            bits = picked[k];
        else {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            bits = (uint32_t)(state >> 32);
            if (k % 4 == 0) /* a tie */
                bits = (bits & 0xFFFF0000u) | 0x8000u;
        }
        const float x = from_bits(bits);
        const uint32_t want = reference_bf16(x);
        vf lanes;
        for (int lane = 0; lane < VL; lane++)
            lanes[lane] = lane == k % VL ? x : from_bits(0x3F808000u); /* x among others */
        const vf v = vround_bf16(lanes);
        const float got[2] = {round_bf16(x), v[k % VL]};
        for (int form = 0; form < 2; form++) {
            const int ok = isnan(x) ? isnan(got[form]) && (to_bits(got[form]) & 0xFFFFu) == 0
                                    : to_bits(got[form]) == want;
            if (!ok && wrong++ < 5)
                fprintf(stderr, "\n  %s of 0x%08X: 0x%08X, want 0x%08X", form ? "vround_bf16" : "round_bf16",
                        (unsigned)bits, (unsigned)to_bits(got[form]), (unsigned)want);
            checked++;
        }
        for (int lane = 0; lane < VL; lane++)
            if (lane != k % VL)
                wrong += to_bits(v[lane]) != 0x3F800000u; /* the others' tie, down to even */
    }
    /* the hand-picked values' expected bits, spelled out where the rule is easy to get wrong */
    CU_ASSERT_EQUAL(to_bits(round_bf16(from_bits(0x3F808000u))), 0x3F800000u); /* tie, even below */
    CU_ASSERT_EQUAL(to_bits(round_bf16(from_bits(0x3F818000u))), 0x3F820000u); /* tie, even above */
    CU_ASSERT_EQUAL(to_bits(round_bf16(FLT_MAX)), 0x7F800000u);                /* to infinity */
    CU_ASSERT(isnan(round_bf16(from_bits(0x7F800001u))));                      /* not to infinity */
    CU_ASSERT(isnan(round_bf16(from_bits(0x7FFFFFFFu))));                      /* not to -0 */
    CU_ASSERT_EQUAL(to_bits(round_bf16(-0.0f)), 0x80000000u);
    CU_ASSERT_EQUAL(to_bits(round_bf16(from_bits(0x007FFFFFu))), 0x00800000u); /* up to FLT_MIN */
    fprintf(stderr, "\n    VL %d: %d roundings ", VL, checked);
    CU_ASSERT_EQUAL(wrong, 0);
}

int main(int argc, char **argv)
{
    static const rf_test_case cases[] = {
        {"the product driver against double sums: tiles, tails, transposed A and C, packed B", test_product_shapes},
        {"the vector dropout bits are rf_random.h's", test_dropout_bits},
        {"round_bf16 and vround_bf16: nearest bfloat16, ties to even, NaN kept", test_round_bf16},
        {NULL, NULL},
    };
    if (!cpu_ok())
        fprintf(stderr, "this CPU lacks the instructions of this build (VL %d): nothing to run\n", VL);
    return rf_test_main("code templates", cases, argc, argv);
}
