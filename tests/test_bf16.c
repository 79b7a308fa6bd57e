/* precision: bf16 (SPEC 1c): the key (checked at its position, settable with --set, part of
 * the model's identity), and the generated code's loss, gradients and predictions against
 *   - a double-precision reference that rounds the same operands to bfloat16 (each product's
 *     inputs, as float32 values, rounded to bf16; the sums in double), and
 *   - the generic kernels in bf16 mode (the same rounding, other summation orders),
 * on small odd shapes (column tails, 1- and 2-unit layers, last rows) and the seed MLP's
 * shape, at each vector width the CPU has. Finite differences mean nothing for rounded
 * products, so the reference is what the rounding should give; the same reference without
 * the rounding is shown to be far off, so the check would see a product that forgot to round.
 * Agreement is measured per tensor by the median error (median_error says why not the norm). */
#include "test_codegen_support.h"
#include "test_frontend_util.h"

#include "generic.h"
#include "generic_kernels.h"
#include "model_id.h"

/* ---- the key ---- */

#define BF16_MODEL FE_HEAD "layers: [{dense: 3}]\n" FE_TAIL

static void test_precision_key(void)
{
    EXPECT_CLEAN(fe_check(BF16_MODEL));
    CU_ASSERT_EQUAL(fe_model.precision, RF_PRECISION_FP32); /* the default */
    char *fp32_id = rf_model_identity(&fe_model, RF_ID_ALL);
    CU_ASSERT_PTR_NULL(strstr(fp32_id, "precision")); /* fp32 identities read as before */

    EXPECT_CLEAN(fe_check(BF16_MODEL "precision: bf16\n"));
    CU_ASSERT_EQUAL(fe_model.precision, RF_PRECISION_BF16);
    CU_ASSERT_EQUAL(fe_model.precision_pos.line, 7);
    char *bf16_id = rf_model_identity(&fe_model, RF_ID_ALL);
    CU_ASSERT_STRING_NOT_EQUAL(fp32_id, bf16_id); /* --resume refuses a change of precision */
    CU_ASSERT_PTR_NOT_NULL(strstr(bf16_id, "precision: bf16"));

    EXPECT_CLEAN(fe_check(BF16_MODEL "precision: fp32\n"));
    CU_ASSERT_EQUAL(fe_model.precision, RF_PRECISION_FP32);
    char *explicit_id = rf_model_identity(&fe_model, RF_ID_ALL);
    CU_ASSERT_STRING_EQUAL(fp32_id, explicit_id);

    CU_ASSERT_EQUAL(fe_check(FE_HEAD "precision: fp16\nlayers: [{dense: 3}]\n" FE_TAIL), 2);
    EXPECT_ERROR(4, 12, "unknown precision 'fp16'");
    EXPECT_ERROR(4, 12, "(expected fp32 or bf16)");
    CU_ASSERT_EQUAL(fe_check(BF16_MODEL "precision: 16\n"), 2);
    EXPECT_ERROR(7, 12, "precision: expected a string");
    CU_ASSERT_EQUAL(fe_check(BF16_MODEL "precision: [bf16]\n"), 2);
    CU_ASSERT_EQUAL(fe_check(BF16_MODEL "precission: bf16\n"), 2);
    EXPECT_ERROR(7, 1, "did you mean 'precision'?");

    /* --set, on a file without the key and over one that has it */
    const char *set_bf16[] = {"precision=bf16"}, *set_fp32[] = {"precision=fp32"}, *set_bad[] = {"precision=bf8"};
    rf_diag_free(fe_diag);
    fe_diag = rf_diag_new();
    rf_model_free(&fe_model);
    const char *plain = BF16_MODEL, *with_key = BF16_MODEL "precision: bf16\n";
    CU_ASSERT_EQUAL(rf_check_model_text_set("m.yaml", plain, strlen(plain), set_bf16, 1, &fe_model, NULL, fe_diag), 0);
    CU_ASSERT_EQUAL(fe_model.precision, RF_PRECISION_BF16);
    rf_model_free(&fe_model);
    CU_ASSERT_EQUAL(
        rf_check_model_text_set("m.yaml", with_key, strlen(with_key), set_fp32, 1, &fe_model, NULL, fe_diag), 0);
    CU_ASSERT_EQUAL(fe_model.precision, RF_PRECISION_FP32);
    rf_model_free(&fe_model);
    CU_ASSERT_EQUAL(rf_check_model_text_set("m.yaml", plain, strlen(plain), set_bad, 1, &fe_model, NULL, fe_diag), 2);
    EXPECT_ERROR(0, 0, "unknown precision 'bf8'");
    fe_done();
    free(fp32_id);
    free(bf16_id);
    free(explicit_id);
}

/* --check names bf16, and says nothing new for fp32 */
static void test_precision_in_summary(void)
{
    char text[8192];
    for (int bf16 = 0; bf16 < 2; bf16++) {
        EXPECT_CLEAN(fe_check(bf16 ? BF16_MODEL "precision: bf16\n" : BF16_MODEL));
        FILE *f = tmpfile();
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        rf_print_summary(&fe_model, f);
        rewind(f);
        const size_t len = fread(text, 1, sizeof text - 1, f);
        text[len] = '\0';
        fclose(f);
        const char *named = strstr(text, bf16 ? "loss squared, precision bf16" : "precision");
        CU_ASSERT_EQUAL(named != NULL, bf16);
    }
    fe_done();
}

/* The build's shape-only copy keeps the precision: it is compiled in. */
static void test_precision_in_build_copy(void)
{
    EXPECT_CLEAN(fe_check(BF16_MODEL "precision: bf16\n"));
    rf_model copy;
    CU_ASSERT_EQUAL_FATAL(rf_model_for_build(&fe_model, &copy), 0);
    CU_ASSERT_EQUAL(copy.precision, RF_PRECISION_BF16);
    CU_ASSERT_EQUAL(copy.precision_pos.line, 0);
    rf_model_free_build_copy(&copy);
    fe_done();
}

/* ---- the double reference with bf16 inputs ---- */

/* A product's input as the generated code holds it (float32), rounded to bf16 when asked. */
static double operand(double v, int bf16)
{
    return bf16 ? rf_round_bf16((float)v) : (double)(float)v;
}

/* One training-mode (or not) forward and backward in double: each dense layer's products take
 * operand() of their inputs; everything else is exact. Returns the mean loss; the gradients of
 * every parameter tensor go to grads[t] (sizes as the model's params), the outputs to out. */
static double reference_loss_grad(const rf_model *m, const tm_params *P, const float *x, const void *y, int n,
                                  int training, uint64_t seed, uint64_t step, int bf16, double **grads, double *out)
{
    const int L = m->n_layers;
    double **act = calloc((size_t)L + 1, sizeof *act); /* act[0] = x, act[i + 1] = layer i's output */
    act[0] = malloc((size_t)n * m->input * sizeof(double));
    for (long k = 0; k < (long)n * m->input; k++)
        act[0][k] = x[k];
    for (int i = 0; i < L; i++) {
        const rf_layer *ly = &m->layers[i];
        const double *a = act[i];
        double *b = act[i + 1] = malloc((size_t)n * ly->out * sizeof(double));
        for (int r = 0; r < n; r++)
            for (int j = 0; j < ly->out; j++) {
                /* the input of an elementwise layer (in == out); a dense one reads a row */
                const double in = ly->kind == RF_LAYER_DENSE ? 0 : a[(size_t)r * ly->in + j];
                double v = 0;
                switch (ly->kind) {
                case RF_LAYER_DENSE: {
                    const double *W = P->p[ly->weight_param];
                    v = P->p[ly->bias_param][j];
                    for (int k = 0; k < ly->in; k++)
                        v += operand(a[(size_t)r * ly->in + k], bf16) * operand(W[(size_t)k * ly->out + j], bf16);
                    break;
                }
                case RF_LAYER_DROPOUT:
                    v = !training ? in
                        : tm_keep(seed, step, i, (uint32_t)(r * ly->out + j), ly->p)
                            ? in * (double)(float)(1.0 / (1.0 - ly->p))
                            : 0;
                    break;
#define expf(v) exp(v)
#define tanhf(v) tanh(v)
#define FORWARD(E, name, takes_alpha, fwd, bwd, fwd_v, bwd_v, sign)                                          \
    case RF_LAYER_##E: {                                                                                       \
        const double x = in, a = ly->alpha;                                                                    \
        (void)a;                                                                                               \
        v = (fwd);                                                                                             \
        break;                                                                                                 \
    }
                    RF_ACTIVATIONS(FORWARD)
#undef FORWARD
                default:
                    break;
                }
                b[(size_t)r * ly->out + j] = v;
            }
    }
    /* the loss and its gradient w.r.t. the outputs, as means over the n rows */
    const int O = m->outputs;
    const double *z = act[L];
    double *dy = malloc((size_t)n * O * sizeof(double)), total = 0;
    for (int r = 0; r < n; r++) {
        const double *zr = z + (size_t)r * O;
        if (m->loss == RF_LOSS_SQUARED) {
            const float *t = (const float *)y + (size_t)r * O;
            for (int j = 0; j < O; j++) {
                total += 0.5 * (zr[j] - t[j]) * (zr[j] - t[j]);
                dy[(size_t)r * O + j] = (zr[j] - t[j]) / n;
            }
        } else {
            const int label = ((const int32_t *)y)[r];
            double max = zr[0], sum = 0;
            for (int j = 1; j < O; j++)
                max = zr[j] > max ? zr[j] : max;
            for (int j = 0; j < O; j++)
                sum += exp(zr[j] - max);
            total += log(sum) + max - zr[label];
            for (int j = 0; j < O; j++)
                dy[(size_t)r * O + j] = (exp(zr[j] - max) / sum - (j == label)) / n;
        }
    }
    if (out)
        memcpy(out, z, (size_t)n * O * sizeof(double));
    /* backward, down to the first dense layer */
    int first_dense = L;
    for (int i = L - 1; i >= 0; i--)
        if (m->layers[i].kind == RF_LAYER_DENSE)
            first_dense = i;
    for (int i = L - 1; i >= first_dense; i--) {
        const rf_layer *ly = &m->layers[i];
        const double *in = act[i], *yv = act[i + 1];
        double *dx = calloc((size_t)n * ly->in, sizeof(double));
        if (ly->kind == RF_LAYER_DENSE) {
            const double *W = P->p[ly->weight_param];
            double *dW = grads[ly->weight_param], *db = grads[ly->bias_param];
            for (int k = 0; k < ly->in; k++)
                for (int j = 0; j < ly->out; j++) {
                    double s = 0;
                    for (int r = 0; r < n; r++)
                        s += operand(in[(size_t)r * ly->in + k], bf16) * operand(dy[(size_t)r * ly->out + j], bf16);
                    dW[(size_t)k * ly->out + j] = s;
                }
            for (int j = 0; j < ly->out; j++) {
                double s = 0;
                for (int r = 0; r < n; r++)
                    s += dy[(size_t)r * ly->out + j];
                db[j] = s;
            }
            for (int r = 0; r < n; r++)
                for (int k = 0; k < ly->in; k++) {
                    double s = 0;
                    for (int j = 0; j < ly->out; j++)
                        s += operand(dy[(size_t)r * ly->out + j], bf16) * operand(W[(size_t)k * ly->out + j], bf16);
                    dx[(size_t)r * ly->in + k] = s;
                }
        } else {
            for (int r = 0; r < n; r++)
                for (int j = 0; j < ly->out; j++) {
                    const size_t e = (size_t)r * ly->out + j;
                    double d = 0;
                    switch (ly->kind) {
                    case RF_LAYER_DROPOUT:
                        d = !training ? dy[e]
                            : tm_keep(seed, step, i, (uint32_t)e, ly->p) ? dy[e] * (double)(float)(1.0 / (1.0 - ly->p))
                                                                        : 0;
                        break;
#define BACKWARD(E, name, takes_alpha, fwd, bwd, fwd_v, bwd_v, sign)                                         \
    case RF_LAYER_##E: {                                                                                       \
        const double y = yv[e], dy = dy_e, a = ly->alpha;                                                      \
        (void)a;                                                                                               \
        d = (bwd);                                                                                             \
        break;                                                                                                 \
    }
                    default: {
                        const double dy_e = dy[e];
                        switch (ly->kind) {
                            RF_ACTIVATIONS(BACKWARD)
                        default:
                            break;
                        }
                        break;
                    }
#undef BACKWARD
#undef expf
#undef tanhf
                    }
                    dx[e] = d;
                }
        }
        free(dy);
        dy = dx;
    }
    free(dy);
    for (int i = 0; i <= L; i++)
        free(act[i]);
    free(act);
    return total / n;
}

static int by_value(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median over the elements of |got - want| / RMS(want), the elements where want is 0 (a
 * unit relu kept at 0 for every row) left out. Float sums of the same bf16 operands give about
 * 1e-7; a product whose inputs were not rounded moves nearly every element by about 1e-3 of
 * its size. The rounding is discontinuous: two right implementations whose float activations
 * differ by an ulp (sums in other orders) now and then round one operand to neighbouring bf16
 * values, which moves the rows and columns of a gradient that depend on it, seen here up to
 * 15% of the elements of a tensor: the median ignores those. */
static double median_error(const float *got, const double *want, long size)
{
    double sq = 0;
    for (long k = 0; k < size; k++)
        sq += want[k] * want[k];
    const double rms = sqrt(sq / (double)size);
    double *err = malloc((size_t)size * sizeof(double));
    long count = 0;
    for (long k = 0; k < size; k++)
        if (want[k] != 0)
            err[count++] = fabs(got[k] - want[k]) / rms;
    qsort(err, (size_t)count, sizeof *err, by_value);
    const double median = count ? err[count / 2] : 0;
    free(err);
    return median;
}

/* ||got - want|| / ||want|| over size elements */
static double relative_error(const float *got, const double *want, long size)
{
    double diff = 0, norm = 0;
    for (long k = 0; k < size; k++) {
        diff += (got[k] - want[k]) * (got[k] - want[k]);
        norm += want[k] * want[k];
    }
    return norm > 0 ? sqrt(diff / norm) : sqrt(diff);
}

/* The generated loss_grad (n rows, training or not) against the rounded double reference,
 * the unrounded one and the generic kernels in bf16 mode, every tensor. */
static void check_model(const rf_model *m, const rf_built *b, int n, int training, double scale)
{
    const rf_compiled *c = b->model;
    void *inst = tm_new_instance(c);
    const uint64_t seed = 5;
    tm_init(m, c, inst, seed);
    tm_randomize_params(c, inst, scale);
    float *x = malloc((size_t)m->batch * m->input * sizeof(float));
    tm_fill(x, (long)m->batch * m->input, 1.0);
    void *y = tm_targets(m, m->batch);

    rf_generic *g = rf_generic_new(m);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    rf_generic_init(g, seed);
    for (int t = 0; t < c->num_params; t++)
        memcpy(rf_generic_param(g, t), c->param(inst, t), (size_t)c->param_size(t) * sizeof(float));

    const float loss = c->loss_grad(inst, x, y, n, training); /* dropout step 0 */
    const float generic_loss = rf_generic_loss_grad(g, x, y, n, training);
    tm_params P = tm_params_of(c, inst);
    double **ref = calloc((size_t)c->num_params, sizeof *ref), **plain = calloc((size_t)c->num_params, sizeof *plain);
    for (int t = 0; t < c->num_params; t++) {
        ref[t] = calloc((size_t)c->param_size(t), sizeof(double));
        plain[t] = calloc((size_t)c->param_size(t), sizeof(double));
    }
    const double ref_loss = reference_loss_grad(m, &P, x, y, n, training, seed, 0, 1, ref, NULL);
    const double plain_loss = reference_loss_grad(m, &P, x, y, n, training, seed, 0, 0, plain, NULL);
    CU_ASSERT(fabs(loss - ref_loss) <= 1e-5 * fabs(ref_loss) + 1e-7);
    CU_ASSERT(fabs(generic_loss - ref_loss) <= 1e-5 * fabs(ref_loss) + 1e-7);
    CU_ASSERT(fabs(plain_loss - ref_loss) > 1e-6 * fabs(ref_loss)); /* the rounding shows in the loss */

    /* per tensor: the median error small against the rounded reference and the generic kernels,
     * large against the unrounded reference (a weight gradient: always one of the products) */
    double worst = 0, worst_generic = 0, plain_least = INFINITY, norm_worst = 0;
    for (int t = 0; t < c->num_params; t++) {
        const long size = c->param_size(t);
        const float *grad = c->grad(inst, t);
        double *generic = malloc((size_t)size * sizeof(double));
        for (long k = 0; k < size; k++)
            generic[k] = rf_generic_grad(g, t)[k];
        const double e = median_error(grad, ref[t], size), e_generic = median_error(grad, generic, size);
        if (e > 1e-5 || e_generic > 1e-5)
            fprintf(stderr, "\n  %s %s (n %d, training %d): median error %.3g from the bf16 reference, %.3g from the generic",
                    m->name, c->param_name(t), n, training, e, e_generic);
        worst = fmax(worst, e);
        worst_generic = fmax(worst_generic, e_generic);
        norm_worst = fmax(norm_worst, relative_error(grad, ref[t], size));
        if (!m->params[t].is_bias)
            plain_least = fmin(plain_least, median_error(grad, plain[t], size));
        free(generic);
    }
    fprintf(stderr,
            "\n    %s, n %d, training %d: median error %.2g (bf16 reference), %.2g (generic bf16), at least %.2g "
            "(a weight gradient against the unrounded reference) ",
            m->name, n, training, worst, worst_generic, plain_least);
    CU_ASSERT(worst <= 1e-5);
    CU_ASSERT(worst_generic <= 1e-5);
    CU_ASSERT(plain_least >= 1e-4); /* a missing rounding would show */
    CU_ASSERT(norm_worst <= 1e-3);  /* and flips stay few */

    /* predict: the outputs of the forward without dropout */
    float *out = malloc((size_t)n * m->outputs * sizeof(float));
    double *ref_out = malloc((size_t)n * m->outputs * sizeof(double));
    c->predict(inst, x, n, out);
    reference_loss_grad(m, &P, x, y, n, 0, seed, 0, 1, ref, ref_out);
    const double out_error = median_error(out, ref_out, (long)n * m->outputs);
    reference_loss_grad(m, &P, x, y, n, 0, seed, 0, 0, plain, ref_out);
    const double out_error_plain = median_error(out, ref_out, (long)n * m->outputs);
    fprintf(stderr, "predict: %.2g, unrounded %.2g ", out_error, out_error_plain);
    CU_ASSERT(out_error <= 1e-5);
    CU_ASSERT(out_error_plain >= 1e-4);

    for (int t = 0; t < c->num_params; t++) {
        free(ref[t]);
        free(plain[t]);
    }
    free(ref);
    free(plain);
    free(out);
    free(ref_out);
    tm_params_free(&P);
    rf_generic_free(g);
    free(x);
    free(y);
    free(inst);
}

/* 13 -> dense 7 -> relu -> dense 37 -> tanh -> dropout 0.3 -> dense 5 -> sigmoid -> dense 3,
 * batch 11, softmax CE: column tails and last rows everywhere */
static rf_model odd_model;
/* 6 -> dense 33 -> relu -> dropout 0.5 -> dense 2, batch 9, squared: the 1- and 2-column paths */
static rf_model narrow_model;
/* the seed MLP: 784 -> dense 256 -> relu -> dropout 0.2 -> dense 256 -> relu -> dropout 0.5
 * -> dense 10, batch 256, softmax CE */
static rf_model seed_model;

static void make_models(void)
{
    static int made;
    if (made)
        return;
    made = 1;
    rf_model *m = &odd_model;
    tm_begin(m, "bf16odd", 13, 11, RF_LOSS_SOFTMAX_CE, 0.1, 0);
    m->precision = RF_PRECISION_BF16;
    tm_dense(m, 7, NULL);
    tm_layer(m, RF_LAYER_RELU);
    tm_dense(m, 37, NULL);
    tm_layer(m, RF_LAYER_TANH);
    tm_dropout(m, 0.3);
    tm_dense(m, 5, NULL);
    tm_layer(m, RF_LAYER_SIGMOID);
    tm_dense(m, 3, NULL);
    tm_finish(m);

    m = &narrow_model;
    tm_begin(m, "bf16narrow", 6, 9, RF_LOSS_SQUARED, 0.1, 0);
    m->precision = RF_PRECISION_BF16;
    tm_dense(m, 33, NULL);
    tm_layer(m, RF_LAYER_RELU);
    tm_dropout(m, 0.5);
    tm_dense(m, 2, NULL);
    tm_finish(m);

    m = &seed_model;
    tm_begin(m, "bf16seed", 784, 256, RF_LOSS_SOFTMAX_CE, 0.5, 0);
    m->precision = RF_PRECISION_BF16;
    tm_dense(m, 256, NULL);
    tm_layer(m, RF_LAYER_RELU);
    tm_dropout(m, 0.2);
    tm_dense(m, 256, NULL);
    tm_layer(m, RF_LAYER_RELU);
    tm_dropout(m, 0.5);
    tm_dense(m, 10, NULL);
    tm_finish(m);
}

/* Flags that build the products of bf16 pairs with the dot products emulated, on any CPU
 * (vector.h: BF16_PAIRS; -mno-avx512bf16 keeps the instruction out on a CPU that has it). */
#define PAIRS_FLAGS(MACRO) "-O3 -march=native -mno-avx512bf16 -fopenmp -D" MACRO "_PAIRS=1"

/* The small models with the default target, and the one with vector tails also with AVX2,
 * the SSE2 baseline (the one- and two-column paths are scalar at every width) and the
 * products of bf16 pairs. */
static void test_small_models(void)
{
    make_models();
    static const char *const flags[] = {NULL, "-O3 -mavx2 -mfma -fopenmp", "-O3 -fopenmp", PAIRS_FLAGS("BF16ODD")};
    rf_built narrow;
    CU_ASSERT_EQUAL_FATAL(tm_build(&narrow_model, &narrow), 0);
    check_model(&narrow_model, &narrow, narrow_model.batch, 1, 0.6);
    check_model(&narrow_model, &narrow, 1, 0, 0.6);
    rf_build_close(&narrow);
    for (int k = 0; k < 4; k++) {
        if (k == 1 && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")))
            continue;
        fprintf(stderr, "\n    %s:", flags[k] ? flags[k] : "default flags");
        rf_built odd;
        CU_ASSERT_EQUAL_FATAL(tm_build_flags(&odd_model, &odd, flags[k]), 0);
        check_model(&odd_model, &odd, odd_model.batch, 1, 0.6);
        check_model(&odd_model, &odd, 4, 0, 0.6);
        rf_build_close(&odd);
    }
}

/* The pairs layout against the float32 layout (-DNAME_PAIRS=0), the seed MLP's shape: the same
 * loss, gradients and predictions bit for bit, for a whole batch and for 37 rows (the weight
 * gradient's shards of odd length), in training (dropout on) and not. Then the pairs against
 * the rounded double reference. */
static void test_seed_pairs_bits(void)
{
    make_models();
    const rf_model *m = &seed_model;
    rf_built plain, pairs;
    /* the float32 layout: the default build (test_seed_mlp_shape's, from the build cache) where
     * the CPU lacks AVX512_BF16 */
    const char *plain_flags =
        __builtin_cpu_supports("avx512bf16") ? "-O3 -march=native -fopenmp -DBF16SEED_PAIRS=0" : NULL;
    CU_ASSERT_EQUAL_FATAL(tm_build_flags(m, &plain, plain_flags), 0);
    CU_ASSERT_EQUAL_FATAL(tm_build_flags(m, &pairs, PAIRS_FLAGS("BF16SEED")), 0);
    const rf_compiled *cp = plain.model, *cq = pairs.model;
    void *ip = tm_new_instance(cp), *iq = tm_new_instance(cq);
    tm_init(m, cp, ip, 5);
    tm_init(m, cq, iq, 5);
    tm_randomize_params(cp, ip, 0.06);
    for (int t = 0; t < cp->num_params; t++)
        memcpy(cq->param(iq, t), cp->param(ip, t), (size_t)cp->param_size(t) * sizeof(float));
    float *x = malloc((size_t)m->batch * m->input * sizeof(float));
    tm_fill(x, (long)m->batch * m->input, 1.0);
    void *y = tm_targets(m, m->batch);
    float *out_p = malloc((size_t)m->batch * m->outputs * sizeof(float));
    float *out_q = malloc((size_t)m->batch * m->outputs * sizeof(float));
    static const int rows[] = {256, 37};
    int differ = 0;
    for (int k = 0; k < 2; k++)
        for (int training = 0; training < 2; training++) {
            const float lp = cp->loss_grad(ip, x, y, rows[k], training), lq = cq->loss_grad(iq, x, y, rows[k], training);
            differ += memcmp(&lp, &lq, sizeof lp) != 0;
            for (int t = 0; t < cp->num_params; t++)
                differ += memcmp(cp->grad(ip, t), cq->grad(iq, t), (size_t)cp->param_size(t) * sizeof(float)) != 0;
            cp->predict(ip, x, rows[k], out_p);
            cq->predict(iq, x, rows[k], out_q);
            differ += memcmp(out_p, out_q, (size_t)rows[k] * m->outputs * sizeof(float)) != 0;
        }
    if (differ)
        fprintf(stderr, "\n    %d of the losses, gradient tensors and predictions differ", differ);
    CU_ASSERT_EQUAL(differ, 0);
    check_model(m, &pairs, m->batch, 1, 0.06);
    free(x);
    free(y);
    free(out_p);
    free(out_q);
    free(ip);
    free(iq);
    rf_build_close(&plain);
    rf_build_close(&pairs);
}

static void test_seed_mlp_shape(void)
{
    make_models();
    rf_built seed;
    CU_ASSERT_EQUAL_FATAL(tm_build(&seed_model, &seed), 0);
    /* weights ~ 1/sqrt(fan-in): activations and gradients of ordinary size */
    check_model(&seed_model, &seed, seed_model.batch, 1, 0.06);
    check_model(&seed_model, &seed, 37, 0, 0.06);
    rf_build_close(&seed);
}

int main(int argc, char **argv)
{
    static const rf_test_case cases[] = {
        {"precision: the default, bf16, errors at their position, --set, the identity", test_precision_key},
        {"precision is kept in the build's shape-only copy", test_precision_in_build_copy},
        {"--check names the precision bf16", test_precision_in_summary},
        {"bf16 gradients and outputs vs the rounded double reference and the generic kernels, small shapes",
         test_small_models},
        {"bf16 gradients vs the rounded double reference and the generic kernels, the seed MLP's shape",
         test_seed_mlp_shape},
        {"bf16 pairs (the dot products emulated) vs the float32 layout, the seed MLP's shape: the same bits",
         test_seed_pairs_bits},
        {NULL, NULL},
    };
    int rc = rf_test_main("precision bf16", cases, argc, argv);
    rf_model_free(&odd_model);
    rf_model_free(&narrow_model);
    rf_model_free(&seed_model);
    return rc;
}
