/* The generated forward pass, losses and gradients against a double-precision
 * reference and central finite differences, on odd shapes (no size a
 * multiple of 8; widths above and below the 32-column tile), full and
 * partial batches, every layer kind and both losses, and on each vector width. */
#include "test_codegen_support.h"

/* softmax cross-entropy through every layer kind:
 * 13 -> dense 7 -> relu -> dense 37 -> tanh -> dropout 0.3 -> dense 5 -> sigmoid -> head 3, batch 11 */
static rf_model ce_model;
/* squared loss, a dropout before the first dense layer (no backward through it):
 * 6 -> dropout 0.5 -> dense 33 -> relu -> dense 4, batch 8 */
static rf_model sq_model;
/* wide enough for several column tiles and tails: 70 -> dense 100 -> relu -> dense 50 -> sigmoid
 * -> dense 10, batch 23 (gradients checked on a sample of the elements). 50 columns are a whole
 * panel, a panel of fewer vectors and a scalar tail with AVX-512; 10 are a vector and a tail with
 * AVX2. */
static rf_model wide_model;
/* the fused chains the seed MLP does not cover (dense -> dropout -> dense recomputes the mask
 * in the input gradient's epilogue), and relu -> dropout with a tail of columns:
 * 9 -> dense 12 -> relu -> dropout 0.4 -> dense 19 -> dropout 0.25 -> dense 6 -> tanh -> dense 3,
 * batch 10 */
static rf_model chain_model;
/* leaky_relu in every form: fused with a dropout after it (the mask bits recomputed in the
 * backward), fused alone, unfused after an unfused dropout, and last before the loss:
 * 9 -> dense 12 -> leaky 0.1 -> dropout 0.4 -> dense 19 -> leaky 0.2 -> dense 7 -> dropout 0.3
 *   -> leaky 0.05 -> dense 3 -> leaky 0.3, batch 10 */
static rf_model leaky_model;
static rf_built ce_built, sq_built, wide_built, chain_built, leaky_built;
static int built;

static void build_models(void)
{
    if (built)
        return;
    built = 1;
    rf_model *m = &ce_model;
    tm_begin(m, "gradce", 13, 11, RF_LOSS_SOFTMAX_CE, 0.1, 0);
    tm_dense(m, 7, NULL);
    tm_layer(m, RF_LAYER_RELU);
    tm_dense(m, 37, NULL);
    tm_layer(m, RF_LAYER_TANH);
    tm_dropout(m, 0.3);
    tm_dense(m, 5, NULL);
    tm_layer(m, RF_LAYER_SIGMOID);
    tm_dense(m, 3, "head");
    tm_finish(m);
    CU_ASSERT_EQUAL_FATAL(tm_build(m, &ce_built), 0);

    m = &sq_model;
    tm_begin(m, "gradsq", 6, 8, RF_LOSS_SQUARED, 0.1, 0);
    tm_dropout(m, 0.5);
    tm_dense(m, 33, NULL);
    tm_layer(m, RF_LAYER_RELU);
    tm_dense(m, 4, NULL);
    tm_finish(m);
    CU_ASSERT_EQUAL_FATAL(tm_build(m, &sq_built), 0);

    m = &wide_model;
    tm_begin(m, "gradwide", 70, 23, RF_LOSS_SOFTMAX_CE, 0.1, 0);
    tm_dense(m, 100, NULL);
    tm_layer(m, RF_LAYER_RELU);
    tm_dense(m, 50, NULL);
    tm_layer(m, RF_LAYER_SIGMOID);
    tm_dense(m, 10, NULL);
    tm_finish(m);
    CU_ASSERT_EQUAL_FATAL(tm_build(m, &wide_built), 0);

    m = &chain_model;
    tm_begin(m, "gradchain", 9, 10, RF_LOSS_SOFTMAX_CE, 0.1, 0);
    tm_dense(m, 12, NULL);
    tm_layer(m, RF_LAYER_RELU);
    tm_dropout(m, 0.4);
    tm_dense(m, 19, NULL);
    tm_dropout(m, 0.25);
    tm_dense(m, 6, NULL);
    tm_layer(m, RF_LAYER_TANH);
    tm_dense(m, 3, NULL);
    tm_finish(m);
    CU_ASSERT_EQUAL_FATAL(tm_build(m, &chain_built), 0);

    m = &leaky_model;
    tm_begin(m, "gradleaky", 9, 10, RF_LOSS_SOFTMAX_CE, 0.1, 0);
    tm_dense(m, 12, NULL);
    tm_layer(m, RF_LAYER_LEAKY_RELU)->alpha = 0.1;
    tm_dropout(m, 0.4);
    tm_dense(m, 19, NULL);
    tm_layer(m, RF_LAYER_LEAKY_RELU)->alpha = 0.2;
    tm_dense(m, 7, NULL);
    tm_dropout(m, 0.3);
    tm_layer(m, RF_LAYER_LEAKY_RELU)->alpha = 0.05;
    tm_dense(m, 3, NULL);
    tm_layer(m, RF_LAYER_LEAKY_RELU)->alpha = 0.3;
    tm_finish(m);
    CU_ASSERT_EQUAL_FATAL(tm_build(m, &leaky_built), 0);
}

/* One model under test: its instance, a batch and its targets. */
typedef struct {
    const rf_model *m;
    const rf_compiled *c;
    void *inst;
    float *x;
    void *y;
    uint64_t seed;
    uint64_t step; /* the model's step counter, tracked here */
} fixture;

static fixture fixture_new_scaled(const rf_model *m, const rf_built *b, uint64_t seed, double scale)
{
    fixture f;
    f.m = m;
    f.c = b->model;
    f.inst = tm_new_instance(f.c);
    f.seed = seed;
    f.step = 0;
    tm_init(m, f.c, f.inst, seed);
    tm_randomize_params(f.c, f.inst, scale);
    f.x = malloc((size_t)m->batch * m->input * sizeof(float));
    tm_fill(f.x, (long)m->batch * m->input, 1.0);
    f.y = tm_targets(m, m->batch);
    return f;
}

static fixture fixture_new(const rf_model *m, const rf_built *b, uint64_t seed)
{
    return fixture_new_scaled(m, b, seed, 0.6);
}

static void fixture_free(fixture *f)
{
    free(f->inst);
    free(f->x);
    free(f->y);
}

/* loss_grad on n rows against the reference loss and finite differences of
 * it, for every stride-th element of each tensor (and its last). */
static void check_gradients_sampled(fixture *f, int n, int training, int stride)
{
    const rf_model *m = f->m;
    const rf_compiled *c = f->c;
    float loss = c->loss_grad(f->inst, f->x, f->y, n, training);
    uint64_t step = f->step;
    if (training)
        f->step++;
    tm_params P = tm_params_of(c, f->inst);
    double ref = tm_ref_loss(m, &P, f->x, f->y, n, training, f->seed, step, NULL);
    CU_ASSERT(fabs(loss - ref) <= 1e-5 * fabs(ref) + 1e-7);

    const double h = 1e-5;
    double worst = 0;
    for (int t = 0; t < P.n; t++) {
        int size = c->param_size(t);
        const float *g = c->grad(f->inst, t);
        double *fd = calloc((size_t)size, sizeof(double)), max_fd = 0;
        for (int k = 0; k < size; k = k + stride < size || k == size - 1 ? k + stride : size - 1) {
            double keep = P.p[t][k];
            P.p[t][k] = keep + h;
            double up = tm_ref_loss(m, &P, f->x, f->y, n, training, f->seed, step, NULL);
            P.p[t][k] = keep - h;
            double down = tm_ref_loss(m, &P, f->x, f->y, n, training, f->seed, step, NULL);
            P.p[t][k] = keep;
            fd[k] = (up - down) / (2 * h);
            max_fd = fabs(fd[k]) > max_fd ? fabs(fd[k]) : max_fd;
        }
        int bad = 0;
        for (int k = 0; k < size; k = k + stride < size || k == size - 1 ? k + stride : size - 1) {
            double err = fabs(g[k] - fd[k]);
            double tol = 1e-3 * fabs(fd[k]) + 1e-5 * max_fd + 1e-8;
            if (err > tol) {
                if (bad++ < 3)
                    fprintf(stderr, "\n%s %s[%d] (n %d, training %d): grad %.9g, finite difference %.9g\n", m->name,
                            c->param_name(t), k, n, training, g[k], fd[k]);
            }
            double rel = err / (fabs(fd[k]) + 1e-5 * max_fd + 1e-12);
            worst = rel > worst ? rel : worst;
        }
        CU_ASSERT_EQUAL(bad, 0);
        CU_ASSERT(max_fd > 0); /* the check is not vacuous */
        free(fd);
    }
    tm_params_free(&P);
    CU_ASSERT(worst < 1e-3);
    fprintf(stderr, "\n    %s, n %d, training %d: largest relative error %.2g ", m->name, n, training, worst);
}

static void check_gradients(fixture *f, int n, int training)
{
    check_gradients_sampled(f, n, training, 1);
}

static void test_gradients_ce(void)
{
    build_models();
    fixture f = fixture_new(&ce_model, &ce_built, 7);
    check_gradients(&f, ce_model.batch, 1);
    check_gradients(&f, 5, 1);
    check_gradients(&f, 1, 1);
    check_gradients(&f, ce_model.batch, 0);
    check_gradients(&f, 5, 0);
    fixture_free(&f);
}

static void test_gradients_wide(void)
{
    build_models();
    /* parameters ~ 1/sqrt(fan-in), so the sigmoid does not saturate (where its float derivative
     * out * (1 - out) loses all precision, in any float implementation) */
    fixture f = fixture_new_scaled(&wide_model, &wide_built, 8, 0.15);
    check_gradients_sampled(&f, wide_model.batch, 1, 29);
    check_gradients_sampled(&f, 6, 0, 29);
    fixture_free(&f);
}

static void test_gradients_chains(void)
{
    build_models();
    fixture f = fixture_new(&chain_model, &chain_built, 11);
    check_gradients(&f, chain_model.batch, 1);
    check_gradients(&f, 3, 1);
    check_gradients(&f, chain_model.batch, 0);
    check_gradients(&f, 4, 0);
    fixture_free(&f);
}

static void test_gradients_leaky_relu(void)
{
    build_models();
    fixture f = fixture_new(&leaky_model, &leaky_built, 13);
    check_gradients(&f, leaky_model.batch, 1);
    check_gradients(&f, 3, 1);
    check_gradients(&f, leaky_model.batch, 0);
    fixture_free(&f);
}

static void test_gradients_squared(void)
{
    build_models();
    fixture f = fixture_new(&sq_model, &sq_built, 3);
    check_gradients(&f, sq_model.batch, 1);
    check_gradients(&f, 5, 1);
    check_gradients(&f, 1, 0);
    check_gradients(&f, 5, 0);
    fixture_free(&f);
}

/* predict and the loss against the reference forward pass. */
static void check_forward(fixture *f)
{
    const rf_model *m = f->m;
    const rf_compiled *c = f->c;
    int B = m->batch, O = m->outputs;
    float *out = malloc((size_t)B * O * sizeof(float));
    double *ref = malloc((size_t)B * O * sizeof(double));
    tm_params P = tm_params_of(c, f->inst);
    for (int n = 1; n <= B; n += B - 1 > 3 ? 3 : 1) {
        c->predict(f->inst, f->x, n, out);
        double ref_loss = tm_ref_loss(m, &P, f->x, f->y, n, 0, f->seed, 0, ref);
        double max_err = 0, max_val = 0;
        for (int k = 0; k < n * O; k++) {
            max_err = fmax(max_err, fabs(out[k] - ref[k]));
            max_val = fmax(max_val, fabs(ref[k]));
        }
        CU_ASSERT(max_err <= 1e-5 * max_val + 1e-6);
        float loss = c->loss_grad(f->inst, f->x, f->y, n, 0);
        CU_ASSERT(fabs(loss - ref_loss) <= 1e-5 * fabs(ref_loss) + 1e-7);
    }
    tm_params_free(&P);
    free(out);
    free(ref);
}

static void test_forward_matches_reference(void)
{
    build_models();
    fixture f = fixture_new(&ce_model, &ce_built, 11);
    check_forward(&f);
    fixture_free(&f);
    f = fixture_new(&sq_model, &sq_built, 12);
    check_forward(&f);
    fixture_free(&f);
    f = fixture_new_scaled(&wide_model, &wide_built, 13, 0.15);
    check_forward(&f);
    fixture_free(&f);
}

/* A partial batch is the mean over its n rows: the same rows twice in a
 * batch of 2n give the same loss and gradients. */
static void test_partial_batch_is_mean(void)
{
    build_models();
    const rf_built *bs[2] = {&ce_built, &sq_built};
    const rf_model *ms[2] = {&ce_model, &sq_model};
    for (int which = 0; which < 2; which++) {
        const rf_model *m = ms[which];
        fixture f = fixture_new(m, bs[which], 5);
        const rf_compiled *c = f.c;
        int n = m->batch / 2;
        size_t ysize = m->loss == RF_LOSS_SQUARED ? m->outputs * sizeof(float) : sizeof(int32_t);
        float *x2 = malloc((size_t)2 * n * m->input * sizeof(float));
        char *y2 = malloc((size_t)2 * n * ysize);
        memcpy(x2, f.x, (size_t)n * m->input * sizeof(float));
        memcpy(x2 + (size_t)n * m->input, f.x, (size_t)n * m->input * sizeof(float));
        memcpy(y2, f.y, n * ysize);
        memcpy(y2 + n * ysize, f.y, n * ysize);

        float half = c->loss_grad(f.inst, f.x, f.y, n, 0);
        float **g_half = calloc((size_t)c->num_params, sizeof *g_half);
        for (int t = 0; t < c->num_params; t++) {
            g_half[t] = malloc((size_t)c->param_size(t) * sizeof(float));
            memcpy(g_half[t], c->grad(f.inst, t), (size_t)c->param_size(t) * sizeof(float));
        }
        float twice = c->loss_grad(f.inst, x2, y2, 2 * n, 0);
        CU_ASSERT(fabsf(half - twice) <= 1e-6f * fabsf(half));
        for (int t = 0; t < c->num_params; t++) {
            const float *g = c->grad(f.inst, t);
            float max = 0, err = 0;
            for (int k = 0; k < c->param_size(t); k++) {
                max = fmaxf(max, fabsf(g_half[t][k]));
                err = fmaxf(err, fabsf(g[k] - g_half[t][k]));
            }
            CU_ASSERT(err <= 1e-5f * max + 1e-9f);
            CU_ASSERT(max > 0);
            free(g_half[t]);
        }
        free(g_half);
        free(x2);
        free(y2);
        fixture_free(&f);
    }
}

/* Bad n or labels: NaN, and neither parameters nor gradients change. */
static void test_bad_batch_is_nan(void)
{
    build_models();
    fixture f = fixture_new(&ce_model, &ce_built, 9);
    const rf_compiled *c = f.c;
    c->loss_grad(f.inst, f.x, f.y, 4, 1); /* some gradients to keep */
    unsigned char *before = malloc(c->model_size), *after = malloc(c->model_size);
    memcpy(before, f.inst, c->model_size);
    int B = ce_model.batch;
    CU_ASSERT(isnan(c->loss_grad(f.inst, f.x, f.y, 0, 1)));
    CU_ASSERT(isnan(c->loss_grad(f.inst, f.x, f.y, -3, 1)));
    CU_ASSERT(isnan(c->train_step(f.inst, f.x, f.y, 0)));
    CU_ASSERT(isnan(c->train_step(f.inst, f.x, f.y, B + 1)));
    int32_t *labels = f.y;
    int32_t keep = labels[2];
    labels[2] = -1;
    CU_ASSERT(isnan(c->train_step(f.inst, f.x, labels, B)));
    labels[2] = ce_model.outputs;
    CU_ASSERT(isnan(c->loss_grad(f.inst, f.x, labels, B, 0)));
    /* a bad label past n is not looked at */
    labels[2] = keep;
    labels[B - 1] = 99;
    memcpy(after, f.inst, c->model_size);
    CU_ASSERT(memcmp(before, after, c->model_size) == 0);
    float *out = malloc((size_t)B * ce_model.outputs * sizeof(float));
    for (int k = 0; k < B * ce_model.outputs; k++)
        out[k] = 42;
    c->predict(f.inst, f.x, 0, out);
    c->predict(f.inst, f.x, B + 1, out);
    int untouched = 1;
    for (int k = 0; k < B * ce_model.outputs; k++)
        untouched &= out[k] == 42;
    CU_ASSERT(untouched);
    CU_ASSERT(!isnan(c->loss_grad(f.inst, f.x, labels, B - 1, 0)));

    /* squared loss: only n is checked */
    fixture s = fixture_new(&sq_model, &sq_built, 9);
    CU_ASSERT(isnan(s.c->loss_grad(s.inst, s.x, s.y, 0, 0)));
    CU_ASSERT(isnan(s.c->loss_grad(s.inst, s.x, s.y, sq_model.batch + 1, 0)));
    CU_ASSERT(!isnan(s.c->loss_grad(s.inst, s.x, s.y, sq_model.batch, 0)));
    fixture_free(&s);
    free(out);
    free(before);
    free(after);
    fixture_free(&f);
}

/* softmax cross-entropy stays finite for huge logits (max subtracted). */
static void test_softmax_stable(void)
{
    build_models();
    fixture f = fixture_new(&ce_model, &ce_built, 4);
    const rf_compiled *c = f.c;
    /* head.bias huge: logits about 1e4 apart */
    float *bias = c->param(f.inst, c->num_params - 1);
    bias[0] = 10000;
    bias[1] = -10000;
    bias[2] = 0;
    int32_t *labels = f.y;
    for (int r = 0; r < ce_model.batch; r++)
        labels[r] = 1;
    float loss = c->loss_grad(f.inst, f.x, labels, ce_model.batch, 0);
    CU_ASSERT(isfinite(loss));
    CU_ASSERT(fabsf(loss - 20000) < 2);
    const float *g = c->grad(f.inst, c->num_params - 1);
    CU_ASSERT(fabsf(g[0] - 1) < 1e-5f && fabsf(g[1] + 1) < 1e-5f && fabsf(g[2]) < 1e-5f);
    fixture_free(&f);
}

/* The vector widths -march=native does not pick here: AVX2 (8 floats, tiles of 6 rows), where
 * the CPU has it, and the x86-64 baseline (SSE2: 4 floats, no FMA). Their column tails and
 * last rows (4, 2, 1 at a time) fall elsewhere in the same shapes. */
static void test_gradients_other_vector_widths(void)
{
    build_models();
    static const char *const flags[] = {"-O3 -mavx2 -mfma -fopenmp", "-O3 -fopenmp"};
    int tested = 0;
    for (int k = 0; k < 2; k++) {
        if (k == 0 && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")))
            continue;
        rf_built wide, chain, leaky;
        CU_ASSERT_EQUAL_FATAL(tm_build_flags(&wide_model, &wide, flags[k]), 0);
        CU_ASSERT_EQUAL_FATAL(tm_build_flags(&chain_model, &chain, flags[k]), 0);
        CU_ASSERT_EQUAL_FATAL(tm_build_flags(&leaky_model, &leaky, flags[k]), 0);
        fprintf(stderr, "\n    %s:", flags[k]);
        fixture f = fixture_new_scaled(&wide_model, &wide, 8, 0.15);
        check_gradients_sampled(&f, wide_model.batch, 1, 29);
        check_gradients_sampled(&f, 5, 0, 29);
        fixture_free(&f);
        f = fixture_new(&chain_model, &chain, 11);
        check_gradients(&f, chain_model.batch, 1);
        check_gradients(&f, 3, 0);
        fixture_free(&f);
        f = fixture_new(&leaky_model, &leaky, 13);
        check_gradients(&f, leaky_model.batch, 1);
        fixture_free(&f);
        rf_build_close(&wide);
        rf_build_close(&chain);
        rf_build_close(&leaky);
        tested++;
    }
    CU_ASSERT(tested >= 1);
}

static void cleanup(void)
{
    rf_build_close(&ce_built);
    rf_build_close(&sq_built);
    rf_build_close(&wide_built);
    rf_build_close(&chain_built);
    rf_build_close(&leaky_built);
    rf_model_free(&chain_model);
    rf_model_free(&leaky_model);
    rf_model_free(&wide_model);
    rf_model_free(&ce_model);
    rf_model_free(&sq_model);
}

int main(int argc, char **argv)
{
    static const rf_test_case cases[] = {
        {"gradients vs finite differences: softmax CE, every layer kind", test_gradients_ce},
        {"gradients vs finite differences: squared loss, dropout before the first dense", test_gradients_squared},
        {"gradients vs finite differences: several column tiles, sampled", test_gradients_wide},
        {"gradients vs finite differences: fused relu+dropout, dropout and tanh chains", test_gradients_chains},
        {"gradients vs finite differences: leaky_relu fused with dropout, fused, unfused, last",
         test_gradients_leaky_relu},
        {"forward and loss vs the double reference", test_forward_matches_reference},
        {"a partial batch is the mean over its rows", test_partial_batch_is_mean},
        {"bad n or label: NaN, nothing written", test_bad_batch_is_nan},
        {"softmax cross-entropy is numerically stable", test_softmax_stable},
        {"gradients vs finite differences: AVX2 and SSE2 builds", test_gradients_other_vector_widths},
        {NULL, NULL},
    };
    int rc = rf_test_main("codegen gradients", cases, argc, argv);
    cleanup();
    return rc;
}
