/* The generated update (every decay group, momentum), init against
 * rf_random.h, train_step = loss_grad + update, bit-identical training on 1
 * and 2 threads, and the speed of the seed MLP's training step. */
#include <time.h>

#include "test_codegen_support.h"

/* 10 -> a: dense 300 -> relu -> dropout 0.4 -> b: dense 6 -> tanh -> c: dense 3, batch 9,
 * one decay group per parameter kind, one init kind per tensor. */
static void decay_model(rf_model *m, const char *name, double momentum)
{
    tm_begin(m, name, 10, 9, RF_LOSS_SOFTMAX_CE, 0.25, momentum);
    rf_layer *a = tm_dense(m, 300, "a");
    a->weight_init = (rf_init){RF_INIT_NORMAL, 0.5, {0, 0}};
    a->bias_init = (rf_init){RF_INIT_UNIFORM, 0.3, {0, 0}};
    tm_layer(m, RF_LAYER_RELU);
    tm_dropout(m, 0.4);
    rf_layer *b = tm_dense(m, 6, "b");
    b->weight_init = (rf_init){RF_INIT_UNIFORM, 2.0, {0, 0}};
    b->bias_init = (rf_init){RF_INIT_CONSTANT, 0.7, {0, 0}};
    tm_layer(m, RF_LAYER_TANH);
    tm_dense(m, 3, "c");
    tm_group(m, "a.weight", 0.3, 0);   /* l2 only */
    tm_group(m, "a.bias", 0, 0.05);    /* l1 only */
    tm_group(m, "b.weight", 0.1, 0.02); /* both */
    tm_group(m, "c.*", 0, 0);          /* an explicit zero group */
    tm_finish(m);                      /* b.bias: no group */
}

static rf_model plain, heavy;
static rf_built plain_built, heavy_built;

static void build_models(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    decay_model(&plain, "decay", 0);
    decay_model(&heavy, "momentum", 0.9);
    CU_ASSERT_EQUAL_FATAL(tm_build(&plain, &plain_built), 0);
    CU_ASSERT_EQUAL_FATAL(tm_build(&heavy, &heavy_built), 0);
}

/* Snapshot of every parameter (or gradient) tensor. */
static float **snapshot(const rf_compiled *c, void *inst, int grads)
{
    float **s = calloc((size_t)c->num_params, sizeof *s);
    for (int t = 0; t < c->num_params; t++) {
        size_t bytes = (size_t)c->param_size(t) * sizeof(float);
        s[t] = malloc(bytes);
        memcpy(s[t], grads ? c->grad(inst, t) : c->param(inst, t), bytes);
    }
    return s;
}

static void snapshot_free(const rf_compiled *c, float **s)
{
    for (int t = 0; t < c->num_params; t++)
        free(s[t]);
    free(s);
}

static double sign(double w)
{
    return w > 0 ? 1 : w < 0 ? -1 : 0;
}

/* A batch and an instance with random parameters, some exactly zero (sign(0) = 0). */
static void *fresh(const rf_compiled *c, float **x, int32_t **y, const rf_model *m)
{
    void *inst = tm_new_instance(c);
    tm_init(m, c, inst, 5);
    tm_randomize_params(c, inst, 0.5);
    for (int t = 0; t < c->num_params; t++)
        c->param(inst, t)[1] = 0;
    *x = malloc((size_t)m->batch * m->input * sizeof(float));
    tm_fill(*x, (long)m->batch * m->input, 1);
    *y = tm_targets(m, m->batch);
    return inst;
}

static void test_update_groups(void)
{
    build_models();
    const rf_compiled *c = plain_built.model;
    float *x;
    int32_t *y;
    void *inst = fresh(c, &x, &y, &plain);
    c->loss_grad(inst, x, y, plain.batch, 1);
    float **w0 = snapshot(c, inst, 0), **g = snapshot(c, inst, 1);
    c->update(inst);
    for (int t = 0; t < c->num_params; t++) {
        const rf_param *p = &plain.params[t];
        const float *w = c->param(inst, t);
        double max_err = 0, moved = 0;
        for (int k = 0; k < c->param_size(t); k++) {
            double w_old = w0[t][k];
            double want = w_old - plain.lr * (g[t][k] + p->l2 * w_old + p->l1 * sign(w_old));
            max_err = fmax(max_err, fabs(w[k] - want) / (fabs(want) + 1e-3));
            moved = fmax(moved, fabs(w[k] - w_old));
        }
        CU_ASSERT(max_err < 1e-6);
        CU_ASSERT(moved > 0);
        if (max_err >= 1e-6)
            fprintf(stderr, "\n%s: update off by %g (relative)\n", p->name, max_err);
    }
    /* the gradients are not touched by the update */
    for (int t = 0; t < c->num_params; t++)
        CU_ASSERT(memcmp(g[t], c->grad(inst, t), (size_t)c->param_size(t) * sizeof(float)) == 0);
    snapshot_free(c, w0);
    snapshot_free(c, g);
    free(inst);
    free(x);
    free(y);
}

static void test_update_momentum_two_steps(void)
{
    build_models();
    const rf_compiled *c = heavy_built.model;
    float *x;
    int32_t *y;
    void *inst = fresh(c, &x, &y, &heavy);
    float **w0 = snapshot(c, inst, 0);
    c->loss_grad(inst, x, y, heavy.batch, 1);
    float **g1 = snapshot(c, inst, 1);
    c->update(inst);
    float **w1 = snapshot(c, inst, 0);
    c->loss_grad(inst, x, y, 4, 1); /* another batch: 4 rows */
    float **g2 = snapshot(c, inst, 1);
    c->update(inst);
    for (int t = 0; t < c->num_params; t++) {
        const rf_param *p = &heavy.params[t];
        const float *w = c->param(inst, t);
        double err1 = 0, err2 = 0;
        for (int k = 0; k < c->param_size(t); k++) {
            double v1 = g1[t][k] + p->l2 * w0[t][k] + p->l1 * sign(w0[t][k]);
            double want1 = w0[t][k] - heavy.lr * v1;
            err1 = fmax(err1, fabs(w1[t][k] - want1) / (fabs(want1) + 1e-3));
            double v2 = heavy.momentum * v1 + g2[t][k] + p->l2 * w1[t][k] + p->l1 * sign(w1[t][k]);
            double want2 = w1[t][k] - heavy.lr * v2;
            err2 = fmax(err2, fabs(w[k] - want2) / (fabs(want2) + 1e-3));
        }
        CU_ASSERT(err1 < 1e-6);
        CU_ASSERT(err2 < 1e-5);
        if (err1 >= 1e-6 || err2 >= 1e-5)
            fprintf(stderr, "\n%s: momentum update off by %g, %g\n", p->name, err1, err2);
    }
    snapshot_free(c, w0);
    snapshot_free(c, w1);
    snapshot_free(c, g1);
    snapshot_free(c, g2);
    free(inst);
    free(x);
    free(y);
}

/* train_step equals loss_grad(training = 1) + update, bit for bit, over several steps. */
static void test_train_step_is_loss_grad_plus_update(void)
{
    build_models();
    const rf_built *bs[2] = {&plain_built, &heavy_built};
    const rf_model *ms[2] = {&plain, &heavy};
    for (int which = 0; which < 2; which++) {
        const rf_compiled *c = bs[which]->model;
        float *x;
        int32_t *y;
        void *a = fresh(c, &x, &y, ms[which]);
        void *b = tm_new_instance(c);
        memcpy(b, a, c->model_size);
        for (int step = 0; step < 4; step++) {
            int n = step == 2 ? 5 : ms[which]->batch;
            float la = c->train_step(a, x, y, n);
            float lb = c->loss_grad(b, x, y, n, 1);
            c->update(b);
            CU_ASSERT(la == lb);
        }
        for (int t = 0; t < c->num_params; t++)
            CU_ASSERT(memcmp(c->param(a, t), c->param(b, t), (size_t)c->param_size(t) * sizeof(float)) == 0);
        free(a);
        free(b);
        free(x);
        free(y);
    }
}

static void test_init_values(void)
{
    build_models();
    const rf_compiled *c = plain_built.model;
    void *inst = tm_new_instance(c);
    memset(inst, 0xAB, c->model_size); /* init must not depend on what was there */
    const uint64_t seed = 1234;
    tm_init(&plain, c, inst, seed);
    /* a.weight: normal 0.5 (tensor 0) */
    const float *w = c->param(inst, 0);
    int size = c->param_size(0);
    for (int i = 0; i < size; i += 97)
        CU_ASSERT_EQUAL(w[i], (float)(0.5 * rf_normal(seed, RF_STREAM_INIT, 0, (uint64_t)i)));
    double sum = 0, sum2 = 0;
    for (int i = 0; i < size; i++) {
        sum += w[i];
        sum2 += (double)w[i] * w[i];
    }
    double mean = sum / size, std = sqrt(sum2 / size - mean * mean);
    CU_ASSERT(fabs(mean) < 5 * 0.5 / sqrt(size));
    CU_ASSERT(fabs(std - 0.5) < 0.5 * 0.05);
    /* a.bias: uniform 0.3 (tensor 1) */
    const float *ab = c->param(inst, 1);
    double lo = 1, hi = -1;
    for (int i = 0; i < c->param_size(1); i++) {
        CU_ASSERT_EQUAL(ab[i], (float)(0.3 * (2 * rf_uniform(seed, RF_STREAM_INIT, 1, (uint64_t)i) - 1)));
        lo = fmin(lo, ab[i]);
        hi = fmax(hi, ab[i]);
    }
    CU_ASSERT(lo >= -0.3 && hi <= 0.3 && lo < -0.2 && hi > 0.2);
    /* b.weight: uniform 2 (tensor 2); b.bias: constant 0.7; c.weight: the default normal 0.01 */
    const float *bw = c->param(inst, 2);
    for (int i = 0; i < c->param_size(2); i += 7)
        CU_ASSERT_EQUAL(bw[i], (float)(2.0 * (2 * rf_uniform(seed, RF_STREAM_INIT, 2, (uint64_t)i) - 1)));
    for (int i = 0; i < c->param_size(3); i++)
        CU_ASSERT_EQUAL(c->param(inst, 3)[i], 0.7f);
    CU_ASSERT_EQUAL(c->param(inst, 4)[5], (float)(0.01 * rf_normal(seed, RF_STREAM_INIT, 4, 5)));
    for (int i = 0; i < c->param_size(5); i++)
        CU_ASSERT_EQUAL(c->param(inst, 5)[i], 0.0f);
    /* gradients zeroed */
    int zero = 1;
    for (int t = 0; t < c->num_params; t++)
        for (int i = 0; i < c->param_size(t); i++)
            zero &= c->grad(inst, t)[i] == 0;
    CU_ASSERT(zero);
    /* another seed, other values; the same seed, the same values */
    void *again = tm_new_instance(c);
    tm_init(&plain, c, again, seed + 1);
    CU_ASSERT(memcmp(c->param(again, 0), w, (size_t)size * sizeof(float)) != 0);
    tm_init(&plain, c, again, seed);
    CU_ASSERT(memcmp(c->param(again, 0), w, (size_t)size * sizeof(float)) == 0);
    free(again);
    free(inst);
}

/* n training steps on threads threads; returns the final instance. */
static void *train_on(const rf_model *m, const rf_compiled *c, int threads, const float *x, const void *y, int steps, float *losses)
{
    c->set_threads(threads);
    void *inst = tm_new_instance(c);
    tm_init(m, c, inst, 99);
    for (int s = 0; s < steps; s++)
        losses[s] = c->train_step(inst, x, y, s == steps - 1 ? c->batch - 3 : c->batch);
    return inst;
}

static void check_threads_identical(const rf_model *m, const rf_built *b, int steps)
{
    const rf_compiled *c = b->model;
    float *x = malloc((size_t)m->batch * m->input * sizeof(float));
    tm_fill(x, (long)m->batch * m->input, 1);
    void *y = tm_targets(m, m->batch);
    float l1[16], l2[16];
    void *one = train_on(m, c, 1, x, y, steps, l1);
    void *two = train_on(m, c, 2, x, y, steps, l2);
    c->set_threads(2);
    CU_ASSERT(memcmp(l1, l2, (size_t)steps * sizeof(float)) == 0);
    for (int t = 0; t < c->num_params; t++) {
        size_t bytes = (size_t)c->param_size(t) * sizeof(float);
        CU_ASSERT(memcmp(c->param(one, t), c->param(two, t), bytes) == 0);
        CU_ASSERT(memcmp(c->grad(one, t), c->grad(two, t), bytes) == 0);
    }
    CU_ASSERT(l1[steps - 1] < l1[0]); /* it trains */
    free(one);
    free(two);
    free(x);
    free(y);
}

static void test_threads_bit_identical(void)
{
    build_models();
    check_threads_identical(&plain, &plain_built, 6);
    check_threads_identical(&heavy, &heavy_built, 6);
}

/* The seed MLP: 784 -> 256 -> relu -> dropout 0.2 -> 256 -> relu -> dropout 0.5 -> 10, batch 256. */
static void test_seed_mlp_threads_and_speed(void)
{
    rf_model m;
    tm_begin(&m, "mlp_dropout", 784, 256, RF_LOSS_SOFTMAX_CE, 0.5, 0);
    tm_dense(&m, 256, NULL);
    tm_layer(&m, RF_LAYER_RELU);
    tm_dropout(&m, 0.2);
    tm_dense(&m, 256, NULL);
    tm_layer(&m, RF_LAYER_RELU);
    tm_dropout(&m, 0.5);
    tm_dense(&m, 10, NULL);
    tm_finish(&m);
    rf_built b;
    CU_ASSERT_EQUAL_FATAL(tm_build(&m, &b), 0);
    check_threads_identical(&m, &b, 4);

    const rf_compiled *c = b.model;
    float *x = malloc((size_t)m.batch * m.input * sizeof(float));
    for (long i = 0; i < (long)m.batch * m.input; i++)
        x[i] = (float)tm_rand();
    void *y = tm_targets(&m, m.batch);
    void *inst = tm_new_instance(c);
    tm_init(&m, c, inst, 1);
    for (int threads = 1; threads <= 2; threads++) {
        c->set_threads(threads);
        for (int s = 0; s < 5; s++) /* warm up */
            c->train_step(inst, x, y, m.batch);
        double best = 1e9, total = 0;
        const int steps = 40;
        for (int s = 0; s < steps; s++) {
            struct timespec t0, t1;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            c->train_step(inst, x, y, m.batch);
            clock_gettime(CLOCK_MONOTONIC, &t1);
            double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-6;
            best = fmin(best, ms);
            total += ms;
        }
        double flops = rf_model_train_flops(&m);
        fprintf(stderr, "\n    seed MLP train_step, %d thread%s: %.2f ms mean, %.2f ms best (%.1f GFLOP/s) ",
                threads, threads > 1 ? "s" : "", total / steps, best, flops / best * 1e-6);
        /* generous bounds (a few ms is expected): two threads on a busy machine can wait
         * whole time slices at the barriers */
        CU_ASSERT(best < (threads == 1 ? 50 : 250));
    }
    c->set_threads(2);
    free(inst);
    free(x);
    free(y);
    rf_build_close(&b);
    rf_model_free(&m);
}

static void cleanup(void)
{
    rf_build_close(&plain_built);
    rf_build_close(&heavy_built);
    rf_model_free(&plain);
    rf_model_free(&heavy);
}

int main(int argc, char **argv)
{
    static const rf_test_case cases[] = {
        {"update: l2, l1, both, none", test_update_groups},
        {"update: momentum over two steps", test_update_momentum_two_steps},
        {"train_step = loss_grad(training 1) + update, bit for bit", test_train_step_is_loss_grad_plus_update},
        {"init: normal, uniform, constant as rf_random.h", test_init_values},
        {"training is bit-identical on 1 and 2 threads", test_threads_bit_identical},
        {"seed MLP: bit-identical on 1 and 2 threads, ms per step", test_seed_mlp_threads_and_speed},
        {NULL, NULL},
    };
    int rc = rf_test_main("codegen update, init, threads", cases, argc, argv);
    cleanup();
    return rc;
}
