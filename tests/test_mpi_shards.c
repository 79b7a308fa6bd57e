/* The generated code's row shards (NAME_loss_grad_shards), without MPI: the
 * partial gradients and loss sums of the ranks of a data-parallel run, added
 * in the shard tree as the runtime adds them (dist_tree.c), equal
 * NAME_loss_grad over the whole batch bit for bit, dropout on, for R = 1 to 4
 * ranks, full, partial and tiny batches (n < 4 leaves shards empty), also at precision
 * bf16 with the products of bf16 pairs (each shard's rows paired on their own); and
 * loss_grad_shards + update equals train_step. */
#include "dist.h"
#include "test_codegen_support.h"

enum { SEED = 9, STEP = 7 };

static rf_model ce_model, sq_model, bf16_model;
static rf_built ce_built, sq_built, bf16_built, pairs_built;

static void build_models(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    /* sigmoid + dropout: its input gradient recomputes the mask bits; the 10 outputs
     * take the transposed weight gradient */
    tm_begin(&ce_model, "shardce", 37, 64, RF_LOSS_SOFTMAX_CE, 0.1, 0);
    tm_dense(&ce_model, 40, NULL);
    tm_layer(&ce_model, RF_LAYER_SIGMOID);
    tm_dropout(&ce_model, 0.3);
    tm_dense(&ce_model, 33, NULL);
    tm_layer(&ce_model, RF_LAYER_RELU);
    tm_dropout(&ce_model, 0.5);
    tm_dense(&ce_model, 10, NULL);
    tm_finish(&ce_model);
    /* a dropout layer of its own on the input, then one unit: the scalar column tiles */
    tm_begin(&sq_model, "shardsq", 50, 16, RF_LOSS_SQUARED, 0.01, 0.9);
    tm_dropout(&sq_model, 0.25);
    tm_dense(&sq_model, 1, NULL);
    tm_finish(&sq_model);
    /* precision bf16, the products of pairs in both layers of 32 and 48 outputs (the first's
     * depth of 37 odd), each shard's rows paired on their own: built for this CPU (the
     * instruction where it has it) and with the pairs emulated (vector.h, BF16_PAIRS) */
    tm_begin(&bf16_model, "shardbf", 37, 64, RF_LOSS_SOFTMAX_CE, 0.1, 0);
    bf16_model.precision = RF_PRECISION_BF16;
    tm_dense(&bf16_model, 32, NULL);
    tm_layer(&bf16_model, RF_LAYER_RELU);
    tm_dropout(&bf16_model, 0.3);
    tm_dense(&bf16_model, 48, NULL);
    tm_layer(&bf16_model, RF_LAYER_RELU);
    tm_dense(&bf16_model, 10, NULL);
    tm_finish(&bf16_model);
    CU_ASSERT_EQUAL_FATAL(tm_build(&ce_model, &ce_built), 0);
    CU_ASSERT_EQUAL_FATAL(tm_build(&sq_model, &sq_built), 0);
    CU_ASSERT_EQUAL_FATAL(tm_build(&bf16_model, &bf16_built), 0);
    CU_ASSERT_EQUAL_FATAL(
        tm_build_flags(&bf16_model, &pairs_built, "-O3 -march=native -mno-avx512bf16 -fopenmp -DSHARDBF_PAIRS=1"), 0);
}

static size_t y_bytes(const rf_model *m) { return m->loss == RF_LOSS_SQUARED ? m->outputs * sizeof(float) : 4; }

static void *fresh(const rf_model *m, const rf_compiled *c)
{
    void *inst = tm_new_instance(c);
    tm_init(m, c, inst, SEED);
    c->set_counters(inst, 0, STEP);
    return inst;
}

static size_t grad_floats(const rf_compiled *c)
{
    size_t n = 0;
    for (int i = 0; i < c->num_params; i++)
        n += (size_t)c->param_size(i);
    return n;
}

/* One model, one batch size, R ranks: the tree of the ranks' partials against loss_grad. */
static int check_ranks(const rf_model *m, const rf_compiled *c, const float *x, const char *y, int n, int R)
{
    void *whole = fresh(m, c);
    const float loss = c->loss_grad(whole, x, y, n, 1);
    const size_t G = grad_floats(c), stride = G * sizeof(float) + sizeof(double);
    char *parts = malloc(stride * (size_t)R);
    for (int r = 0; r < R; r++) {
        int lo, hi;
        rf_dist_shard_range(r, R, c->grad_shards, &lo, &hi);
        const int row0 = lo * n / c->grad_shards;
        void *inst = fresh(m, c);
        double sum = c->loss_grad_shards(inst, x + (size_t)row0 * m->input, y + (size_t)row0 * y_bytes(m), n, lo,
                                         hi, 1);
        CU_ASSERT_EQUAL(c->forward_steps(inst), STEP + 1);
        char *at = parts + (size_t)r * stride;
        for (int i = 0; i < c->num_params; i++) {
            memcpy(at, c->grad(inst, i), sizeof(float) * (size_t)c->param_size(i));
            at += sizeof(float) * (size_t)c->param_size(i);
        }
        memcpy(at, &sum, sizeof sum);
        free(inst);
    }
    float *got = malloc(sizeof(float) * G);
    double sum;
    rf_dist_tree_add_f(got, parts, stride, G, R, c->grad_shards);
    rf_dist_tree_add_d(&sum, parts + G * sizeof(float), stride, 1, R, c->grad_shards);
    int same = (float)(sum / n) == loss;
    if (!same)
        fprintf(stderr, "\n  loss %.9g vs %.9g", (float)(sum / n), loss);
    size_t off = 0;
    for (int i = 0; i < c->num_params; i++) {
        int eq = memcmp(got + off, c->grad(whole, i), sizeof(float) * (size_t)c->param_size(i)) == 0;
        if (!eq) {
            int bad = 0;
            for (int k = 0; k < c->param_size(i); k++)
                bad += got[off + k] != c->grad(whole, i)[k];
            fprintf(stderr, "\n  %s: %d of %d differ", c->param_name(i), bad, c->param_size(i));
        }
        same &= eq;
        off += (size_t)c->param_size(i);
    }
    if (!same)
        fprintf(stderr, "\n  %s, n %d, R %d: the shards' tree differs from loss_grad", m->name, n, R);
    free(got);
    free(parts);
    free(whole);
    return same;
}

static void test_ranks_equal_one_pass(void)
{
    build_models();
    const rf_model *ms[4] = {&ce_model, &sq_model, &bf16_model, &bf16_model};
    const rf_built *bs[4] = {&ce_built, &sq_built, &bf16_built, &pairs_built};
    for (int which = 0; which < 4; which++) {
        const rf_model *m = ms[which];
        const rf_compiled *c = bs[which]->model;
        CU_ASSERT_EQUAL(c->grad_shards, 4);
        float *x = malloc(sizeof(float) * (size_t)m->batch * m->input);
        tm_fill(x, (long)m->batch * m->input, 1.0);
        char *y = tm_targets(m, m->batch);
        const int sizes[] = {m->batch, m->batch - 5, 3, 1};
        int cases = 0, same = 0;
        for (int k = 0; k < 4; k++)
            for (int R = 1; R <= 4; R++, cases++)
                same += check_ranks(m, c, x, y, sizes[k], R);
        CU_ASSERT_EQUAL(same, cases);
        free(x);
        free(y);
    }
}

/* loss_grad_shards over [0, 4) and update: train_step's parameters, bit for bit. */
static void test_shards_then_update_is_train_step(void)
{
    build_models();
    const rf_model *m = &ce_model;
    const rf_compiled *c = ce_built.model;
    float *x = malloc(sizeof(float) * (size_t)m->batch * m->input);
    tm_fill(x, (long)m->batch * m->input, 1.0);
    char *y = tm_targets(m, m->batch);
    void *a = fresh(m, c), *b = fresh(m, c);
    for (int step = 0; step < 3; step++) {
        float la = c->train_step(a, x, y, m->batch - step);
        double sum = c->loss_grad_shards(b, x, y, m->batch - step, 0, 4, 1);
        c->update(b);
        CU_ASSERT((float)(sum / (m->batch - step)) == la);
    }
    for (int i = 0; i < c->num_params; i++)
        CU_ASSERT(memcmp(c->param(a, i), c->param(b, i), sizeof(float) * (size_t)c->param_size(i)) == 0);
    CU_ASSERT_EQUAL(c->updates(a), c->updates(b));
    CU_ASSERT_EQUAL(c->forward_steps(a), c->forward_steps(b));
    /* a bad range or batch: NaN, nothing counted */
    CU_ASSERT(isnan(c->loss_grad_shards(b, x, y, m->batch, 2, 2, 1)));
    CU_ASSERT(isnan(c->loss_grad_shards(b, x, y, m->batch, 0, 5, 1)));
    CU_ASSERT(isnan(c->loss_grad_shards(b, x, y, m->batch, -1, 2, 1)));
    CU_ASSERT(isnan(c->loss_grad_shards(b, x, y, 0, 0, 4, 1)));
    CU_ASSERT(isnan(c->loss_grad_shards(b, x, y, m->batch + 1, 0, 4, 1)));
    ((int32_t *)y)[0] = 10; /* a label out of range in the range's rows */
    CU_ASSERT(isnan(c->loss_grad_shards(b, x, y, m->batch, 0, 1, 1)));
    CU_ASSERT_EQUAL(c->forward_steps(a), c->forward_steps(b));
    free(a);
    free(b);
    free(x);
    free(y);
}

/* The tree itself: which rank counts are nodes, and the order of the additions. */
static void test_tree_order(void)
{
    for (int R = 1; R <= 4; R++)
        CU_ASSERT(rf_dist_ranges_are_nodes(R, 4));
    CU_ASSERT(!rf_dist_ranges_are_nodes(5, 4));
    /* values whose sum depends on the order: ((a + b) + (c + d)) */
    const float v[4] = {1e8f, 1.0f, -1e8f, 1.0f};
    float out;
    rf_dist_tree_add_f(&out, v, sizeof(float), 1, 4, 4);
    CU_ASSERT(out == (v[0] + v[1]) + (v[2] + v[3]));
    const float w[3] = {1e8f, 1.0f, -1e8f}; /* R = 3: [0,1) [1,2) [2,4) */
    rf_dist_tree_add_f(&out, w, sizeof(float), 1, 3, 4);
    CU_ASSERT(out == (w[0] + w[1]) + w[2]);
}

static void cleanup(void)
{
    rf_build_close(&ce_built);
    rf_build_close(&sq_built);
    rf_build_close(&bf16_built);
    rf_build_close(&pairs_built);
    rf_model_free(&ce_model);
    rf_model_free(&sq_model);
    rf_model_free(&bf16_model);
}

int main(int argc, char **argv)
{
    static const rf_test_case cases[] = {
        {"the ranks' partials in the shard tree equal loss_grad bit for bit (R 1-4, dropout)",
         test_ranks_equal_one_pass},
        {"loss_grad_shards over [0, 4) then update equals train_step; bad ranges are NaN",
         test_shards_then_update_is_train_step},
        {"the shard tree: rank counts and the order of additions", test_tree_order},
        {NULL, NULL},
    };
    int rc = rf_test_main("mpi_shards", cases, argc, argv);
    cleanup();
    return rc;
}
