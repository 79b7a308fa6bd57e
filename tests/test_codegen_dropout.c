/* Dropout in the generated code: the masks are rf_random.h's, the fraction
 * dropped matches p, survivors are scaled by 1/(1-p), every training
 * forward gets a fresh mask, the masks do not depend on the thread count,
 * p = 0 and p = 1 are exact, and evaluation turns dropout off.
 *
 * The masks are read through the gradients: the first layer is dense with
 * W = 0 and b = 1, so every unit entering dropout is 1 and the output is the
 * mask itself; with a squared loss against zero targets the gradient that
 * reaches the dense layer is mask^2 / n, and with one-hot input rows
 * (x = identity) dW[r][j] is exactly that value for row r, unit j. */
#include "plan.h"
#include "test_codegen_support.h"

enum { ROWS = 16, UNITS = 1000 };

/* input ROWS -> dense UNITS (W = 0, b = 1) -> the dropout layers -> squared loss, lr 0 */
static void mask_model(rf_model *m, const char *name, const double *ps, int n_ps)
{
    tm_begin(m, name, ROWS, ROWS, RF_LOSS_SQUARED, 0, 0);
    rf_layer *d = tm_dense(m, UNITS, NULL);
    d->weight_init = (rf_init){RF_INIT_CONSTANT, 0, {0, 0}};
    d->bias_init = (rf_init){RF_INIT_CONSTANT, 1, {0, 0}};
    for (int i = 0; i < n_ps; i++)
        tm_dropout(m, ps[i]);
    tm_finish(m);
}

static rf_model m02, m05, m1;   /* p = 0 then 0.2; p = 0.5; p = 1 with a dense layer after it */
static rf_built b02, b05, b1;
static float identity[ROWS * ROWS], zeros[ROWS * UNITS];

static void build_models(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    for (int r = 0; r < ROWS; r++)
        identity[r * ROWS + r] = 1;
    const double p02[] = {0, 0.2}, p05[] = {0.5}, p1[] = {1};
    mask_model(&m02, "drop02", p02, 2);
    mask_model(&m05, "drop05", p05, 1);
    mask_model(&m1, "drop1", p1, 1);
    tm_dense(&m1, 3, NULL);
    tm_finish(&m1);
    CU_ASSERT_EQUAL_FATAL(tm_build(&m02, &b02), 0);
    CU_ASSERT_EQUAL_FATAL(tm_build(&m05, &b05), 0);
    CU_ASSERT_EQUAL_FATAL(tm_build(&m1, &b1), 0);
}

/* The mask of the last training forward, as read from dW (see the top):
 * mask2[r * UNITS + j] = dW[r][j] * n = mask^2. */
static void read_mask2(const rf_compiled *c, void *inst, int n, float *mask2)
{
    const float *dw = c->grad(inst, 0);
    for (int k = 0; k < ROWS * UNITS; k++)
        mask2[k] = dw[k] * (float)n;
}

/* Checks a read mask against rf_random.h for (seed, step, layer); returns the count dropped. */
static int check_mask(const float *mask2, int n, uint64_t seed, uint64_t step, int layer, double p)
{
    const float scale = (float)(1.0 / (1.0 - p)), inv_n = 1.0f / (float)n;
    const float survivor = scale * inv_n * scale * (float)n;
    int dropped = 0, wrong = 0, wrong_scale = 0;
    for (int r = 0; r < n; r++)
        for (int j = 0; j < UNITS; j++) {
            float v = mask2[r * UNITS + j];
            int keep = tm_keep(seed, step, layer, (uint32_t)(r * UNITS + j), p);
            if (keep != (v != 0))
                wrong++;
            if (keep && fabsf(v - survivor) > 1e-6f * survivor)
                wrong_scale++;
            dropped += !keep;
        }
    CU_ASSERT_EQUAL(wrong, 0);
    CU_ASSERT_EQUAL(wrong_scale, 0);
    if (wrong || wrong_scale)
        fprintf(stderr, "\nstep %llu layer %d: %d elements differ from rf_random.h, %d wrongly scaled\n",
                (unsigned long long)step, layer, wrong, wrong_scale);
    return dropped;
}

/* The fraction dropped is p within 5 standard deviations, over several steps;
 * the masks are rf_random.h's and each step's differs. */
static void check_statistics(const rf_model *m, const rf_built *b, int layer, double p)
{
    const rf_compiled *c = b->model;
    void *inst = tm_new_instance(c);
    const uint64_t seed = 77;
    tm_init(m, c, inst, seed);
    float *mask2 = malloc(sizeof(float) * ROWS * UNITS), *previous = malloc(sizeof(float) * ROWS * UNITS);
    long dropped = 0, total = 0;
    for (uint64_t step = 0; step < 4; step++) {
        float loss = c->loss_grad(inst, identity, zeros, ROWS, 1);
        read_mask2(c, inst, ROWS, mask2);
        int d = check_mask(mask2, ROWS, seed, step, layer, p);
        dropped += d;
        total += ROWS * UNITS;
        /* loss = mean over rows of sum mask^2 / 2 */
        double want = (double)(ROWS * UNITS - d) * pow(1.0 / (1.0 - p), 2) / 2 / ROWS;
        CU_ASSERT(fabs(loss - want) < 1e-5 * want);
        if (step > 0) {
            int same = 0;
            for (int k = 0; k < ROWS * UNITS; k++)
                same += (mask2[k] != 0) == (previous[k] != 0);
            CU_ASSERT(same < ROWS * UNITS * 0.9); /* fresh: about p^2 + (1-p)^2 agree by chance */
        }
        memcpy(previous, mask2, sizeof(float) * ROWS * UNITS);
    }
    (void)m;
    double sigma = sqrt(total * p * (1 - p));
    CU_ASSERT(fabs(dropped - total * p) < 5 * sigma);
    fprintf(stderr, "\n    p = %g: dropped %.4f of %ld (5 sigma: %.4f) ", p, (double)dropped / total, total,
            5 * sigma / total);
    free(mask2);
    free(previous);
    free(inst);
}

static void test_masks_and_fraction(void)
{
    build_models();
    check_statistics(&m02, &b02, 2, 0.2); /* layer 2: after the dense and the p = 0 dropout */
    check_statistics(&m05, &b05, 1, 0.5);
}

/* The step counter: only training-mode forward passes advance it. */
static void test_step_counter(void)
{
    build_models();
    const rf_compiled *c = b05.model;
    void *inst = tm_new_instance(c);
    tm_init(&m05, c, inst, 3);
    float *mask2 = malloc(sizeof(float) * ROWS * UNITS), *out = malloc(sizeof(float) * ROWS * UNITS);
    c->loss_grad(inst, identity, zeros, ROWS, 1);             /* step 0 */
    c->loss_grad(inst, identity, zeros, ROWS, 0);             /* evaluation: no step */
    c->predict(inst, identity, ROWS, out);                    /* no step */
    c->train_step(inst, identity, zeros, ROWS);               /* step 1 (lr 0: nothing moves) */
    c->loss_grad(inst, identity, zeros, 7, 1);                /* step 2, a partial batch */
    read_mask2(c, inst, 7, mask2);
    check_mask(mask2, 7, 3, 2, 1, 0.5);
    /* re-init restarts the steps */
    tm_init(&m05, c, inst, 3);
    c->loss_grad(inst, identity, zeros, ROWS, 1);
    read_mask2(c, inst, ROWS, mask2);
    check_mask(mask2, ROWS, 3, 0, 1, 0.5);
    free(mask2);
    free(out);
    free(inst);
}

/* Evaluation (training = 0) and predict: dropout is the identity. */
static void test_evaluation_is_identity(void)
{
    build_models();
    const rf_built *bs[2] = {&b05, &b1};
    for (int which = 0; which < 2; which++) {
        const rf_compiled *c = bs[which]->model;
        void *inst = tm_new_instance(c);
        tm_init(which ? &m1 : &m05, c, inst, 8);
        float *out = malloc(sizeof(float) * ROWS * UNITS);
        float loss = c->loss_grad(inst, identity, zeros, ROWS, 0);
        const float *dw = c->grad(inst, 0);
        int all_one = 1;
        for (int k = 0; k < ROWS * UNITS; k++)
            all_one &= which == 1 || dw[k] == 1.0f / ROWS;
        CU_ASSERT(all_one);
        if (which == 0) {
            CU_ASSERT(fabsf(loss - UNITS / 2.0f) < 1e-3f);
            c->predict(inst, identity, ROWS, out);
            int ones = 1;
            for (int k = 0; k < ROWS * UNITS; k++)
                ones &= out[k] == 1.0f;
            CU_ASSERT(ones);
        } else {
            double nonzero = 0;
            for (int k = 0; k < ROWS * UNITS; k++)
                nonzero += dw[k] != 0;
            CU_ASSERT(nonzero > 0); /* the gradient reaches the first layer when dropout is off */
        }
        free(out);
        free(inst);
    }
}

/* p = 1: everything dropped in training, so the layers below get zero gradients. */
static void test_p1_zeroes(void)
{
    build_models();
    const rf_compiled *c = b1.model;
    void *inst = tm_new_instance(c);
    tm_init(&m1, c, inst, 8);
    float targets[ROWS * 3];
    tm_fill(targets, ROWS * 3, 1);
    c->loss_grad(inst, identity, targets, ROWS, 1);
    int zero = 1;
    for (int t = 0; t < 2; t++) /* dense1.weight, dense1.bias */
        for (int k = 0; k < c->param_size(t); k++)
            zero &= c->grad(inst, t)[k] == 0;
    CU_ASSERT(zero);
    /* the layer after it still learns its bias: dL/db = mean of (b - target) */
    const float *db = c->grad(inst, 3), *bias = c->param(inst, 3);
    for (int j = 0; j < 3; j++) {
        double want = 0;
        for (int r = 0; r < ROWS; r++)
            want += (bias[j] - targets[r * 3 + j]) / ROWS;
        CU_ASSERT(fabs(db[j] - want) < 1e-5);
    }
    free(inst);
}

/* The same seed gives the same masks (and gradients) on 1 and 2 threads. */
/* The masks on 1 and 2 threads, on a model large enough that its calls really run on the
 * threads (above RF_PARALLEL_MIN_FLOPS): dropout fused after a relu, fused right after a
 * dense, and unfused after a sigmoid. Every gradient is bit for bit the same. */
static void test_masks_thread_independent(void)
{
    rf_model m;
    tm_begin(&m, "dropthreads", 64, 128, RF_LOSS_SOFTMAX_CE, 0.1, 0);
    tm_dense(&m, 256, NULL);
    tm_layer(&m, RF_LAYER_RELU);
    tm_dropout(&m, 0.3);
    tm_dense(&m, 128, NULL);
    tm_dropout(&m, 0.5);
    tm_dense(&m, 64, NULL);
    tm_layer(&m, RF_LAYER_SIGMOID);
    tm_dropout(&m, 0.2);
    tm_dense(&m, 10, NULL);
    tm_finish(&m);
    rf_plan plan;
    CU_ASSERT_EQUAL_FATAL(rf_plan_build(&m, &plan), 0);
    CU_ASSERT(plan.parallel); /* else both runs would be serial */
    rf_plan_free(&plan);
    rf_built b;
    CU_ASSERT_EQUAL_FATAL(tm_build(&m, &b), 0);
    const rf_compiled *c = b.model;
    float *x = malloc(sizeof(float) * 128 * 64);
    int32_t y[128];
    tm_fill(x, 128 * 64, 1.0);
    for (int r = 0; r < 128; r++)
        y[r] = r % 10;
    float *g[2][8];
    for (int threads = 1; threads <= 2; threads++) {
        c->set_threads(threads);
        void *inst = tm_new_instance(c);
        tm_init(&m, c, inst, 21);
        c->loss_grad(inst, x, y, 128, 1);
        c->loss_grad(inst, x, y, 128 - 3, 1); /* the second step's masks, a partial batch */
        for (int i = 0; i < c->num_params; i++) {
            g[threads - 1][i] = malloc(sizeof(float) * (size_t)c->param_size(i));
            memcpy(g[threads - 1][i], c->grad(inst, i), sizeof(float) * (size_t)c->param_size(i));
        }
        free(inst);
    }
    for (int i = 0; i < c->num_params; i++) {
        CU_ASSERT(memcmp(g[0][i], g[1][i], sizeof(float) * (size_t)c->param_size(i)) == 0);
        free(g[0][i]);
        free(g[1][i]);
    }
    free(x);
    rf_build_close(&b);
    rf_model_free(&m);
}

static void cleanup(void)
{
    rf_build_close(&b02);
    rf_build_close(&b05);
    rf_build_close(&b1);
    rf_model_free(&m02);
    rf_model_free(&m05);
    rf_model_free(&m1);
}

int main(int argc, char **argv)
{
    static const rf_test_case cases[] = {
        {"masks are rf_random.h's, fraction dropped ~ p, scaled 1/(1-p), fresh each step", test_masks_and_fraction},
        {"only training forwards advance the step", test_step_counter},
        {"evaluation and predict: dropout off", test_evaluation_is_identity},
        {"p = 1: zeros, zero gradients below", test_p1_zeroes},
        {"masks do not depend on the thread count", test_masks_thread_independent},
        {NULL, NULL},
    };
    int rc = rf_test_main("codegen dropout", cases, argc, argv);
    cleanup();
    return rc;
}
