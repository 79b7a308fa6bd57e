/* generic*.c: the runtime-shape kernels against independent references —
 * gradients against central differences of a double-precision forward
 * (the activations' math from the RF_ACTIVATIONS table, in double), the
 * activation kernels against the table, the optimizers against the
 * double reference of SPEC 1a (tests/support/optim_ref.c) and against
 * PyTorch (tests/optim/golden.txt), dropout masks against rf_random.h,
 * init bits, thread-count determinism, and bad input. */
#include "generic.h"
#include "generic_kernels.h"
#include "layer_kinds.h"
#include "optim_ref.h"
#include "rf_random.h"
#include "rftest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* ---------- building models by hand ---------- */

typedef struct {
    rf_layer_kind kind;
    int units;    /* dense */
    double p;     /* dropout */
    double alpha; /* leaky_relu */
} layer_spec;

#define DENSE(u) {RF_LAYER_DENSE, (u), 0, 0}
#define RELU {RF_LAYER_RELU, 0, 0, 0}
#define SIGMOID {RF_LAYER_SIGMOID, 0, 0, 0}
#define TANH {RF_LAYER_TANH, 0, 0, 0}
#define LEAKY_RELU(a) {RF_LAYER_LEAKY_RELU, 0, 0, (a)}
#define DROPOUT(p) {RF_LAYER_DROPOUT, 0, (p), 0}
#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* A model with weight init normal(weight_std) and bias init uniform(bias_a)
 * (so biases are not all zero and their gradients matter). */
static void build(rf_model *m, int input, int batch, const layer_spec *spec, int n_layers,
                  rf_loss_kind loss, double lr, double momentum, double weight_std,
                  double bias_a)
{
    memset(m, 0, sizeof *m);
    strcpy(m->name, "t");
    m->input = input;
    m->batch = batch;
    m->loss = loss;
    m->lr = lr;
    m->momentum = momentum;
    m->n_layers = n_layers;
    m->layers = calloc((size_t)n_layers, sizeof *m->layers);
    for (int i = 0; i < n_layers; i++) {
        rf_layer *L = &m->layers[i];
        L->kind = spec[i].kind;
        L->units = spec[i].units;
        L->p = spec[i].p;
        L->alpha = spec[i].alpha;
        L->weight_init = (rf_init){RF_INIT_NORMAL, weight_std, {0, 0}};
        L->bias_init = (rf_init){RF_INIT_UNIFORM, bias_a, {0, 0}};
    }
    CU_ASSERT_EQUAL_FATAL(rf_model_finish(m), 0);
}

/* Adds one decay group (then rf_model_finish again to assign it). */
static void add_group3(rf_model *m, const char *pattern, double l2, double l1, double l1_prox)
{
    m->groups = realloc(m->groups, (size_t)(m->n_groups + 1) * sizeof *m->groups);
    rf_decay_group *G = &m->groups[m->n_groups++];
    memset(G, 0, sizeof *G);
    G->patterns = calloc(1, sizeof(char *));
    G->patterns[0] = strdup(pattern);
    G->n_patterns = 1;
    G->l2 = l2;
    G->l1 = l1;
    G->l1_prox = l1_prox;
}

static void add_group(rf_model *m, const char *pattern, double l2, double l1)
{
    add_group3(m, pattern, l2, l1, 0);
}

static float uniform_float(uint64_t i, double lo, double hi)
{
    return (float)(lo + (hi - lo) * rf_uniform(99, RF_STREAM_DATA, 7, i));
}

static float *random_x(int rows, int cols, uint64_t salt)
{
    float *x = malloc((size_t)rows * cols * sizeof *x);
    for (long i = 0; i < (long)rows * cols; i++)
        x[i] = uniform_float(salt * 100000 + (uint64_t)i, -1.0, 1.0);
    return x;
}

/* Targets for either loss: labels in [0, outputs) or floats in [-1, 1]. */
static void *random_y(const rf_model *m, int rows, uint64_t salt)
{
    if (m->loss == RF_LOSS_SOFTMAX_CE) {
        int32_t *y = malloc((size_t)rows * sizeof *y);
        for (int r = 0; r < rows; r++)
            y[r] = (int32_t)(rf_uniform(5, RF_STREAM_DATA, salt, (uint64_t)r) * m->outputs);
        return y;
    }
    return random_x(rows, m->outputs, salt + 17);
}

/* ---------- the double-precision reference forward ---------- */

/* The activations' scalar math, the RF_ACTIVATIONS columns, evaluated in
 * double: the float literals promote, and the float libm calls are mapped
 * to their double versions while the table expands. */
#define expf(v) exp(v)
#define tanhf(v) tanh(v)
#define REF_FORWARD(E, name, takes_alpha, forward, ...)                                            \
    case RF_LAYER_##E:                                                                             \
        return (forward);
#define REF_BACKWARD(E, name, takes_alpha, forward, backward, ...)                                 \
    case RF_LAYER_##E:                                                                             \
        return (backward);
static double ref_activation(rf_layer_kind kind, double x, double a)
{
    (void)a;
    switch (kind) {
        RF_ACTIVATIONS(REF_FORWARD)
    default:
        return NAN;
    }
}
/* dx of the output y and dy */
static double ref_activation_backward(rf_layer_kind kind, double y, double dy, double a)
{
    (void)a;
    switch (kind) {
        RF_ACTIVATIONS(REF_BACKWARD)
    default:
        return NAN;
    }
}
#undef REF_FORWARD
#undef REF_BACKWARD
#undef expf
#undef tanhf

/* The same columns in float, as the kernels compute them. */
#define FLOAT_FORWARD(E, name, takes_alpha, forward, ...)                                          \
    case RF_LAYER_##E:                                                                             \
        return (forward);
#define FLOAT_BACKWARD(E, name, takes_alpha, forward, backward, ...)                               \
    case RF_LAYER_##E:                                                                             \
        return (backward);
static float float_activation(rf_layer_kind kind, float x, float a)
{
    (void)a;
    switch (kind) {
        RF_ACTIVATIONS(FLOAT_FORWARD)
    default:
        return NAN;
    }
}
static float float_activation_backward(rf_layer_kind kind, float y, float dy, float a)
{
    (void)a;
    switch (kind) {
        RF_ACTIVATIONS(FLOAT_BACKWARD)
    default:
        return NAN;
    }
}
#undef FLOAT_FORWARD
#undef FLOAT_BACKWARD

static int widest(const rf_model *m)
{
    int w = m->input;
    for (int i = 0; i < m->n_layers; i++)
        w = m->layers[i].out > w ? m->layers[i].out : w;
    return w;
}

/* Mean loss of n rows, every operation in double, with dropout's mask
 * reproduced from rf_random.h for (seed, step) when training. */
static double ref_loss(const rf_model *m, double *const *p, const float *x, const void *y,
                       int n, uint64_t seed, uint64_t step, int training)
{
    int w = widest(m);
    double *a = malloc((size_t)n * w * sizeof *a), *b = malloc((size_t)n * w * sizeof *b);
    for (long i = 0; i < (long)n * m->input; i++)
        a[i] = x[i];
    for (int li = 0; li < m->n_layers; li++) {
        const rf_layer *L = &m->layers[li];
        for (int r = 0; r < n; r++) {
            const double *ar = a + (long)r * L->in;
            double *br = b + (long)r * L->out;
            for (int j = 0; j < L->out; j++) {
                double v = ar[j < L->in ? j : 0];
                switch (L->kind) {
                case RF_LAYER_DENSE:
                    v = p[L->bias_param][j];
                    for (int k = 0; k < L->in; k++)
                        v += ar[k] * p[L->weight_param][(long)k * L->out + j];
                    break;
                case RF_LAYER_DROPOUT:
                    if (training && L->p == 1)
                        v = 0;
                    else if (training && L->p > 0) {
                        uint32_t bits = rf_dropout_bits(rf_dropout_key(seed, step, (uint64_t)li),
                                                        (uint32_t)(r * L->out + j));
                        v = bits >= rf_dropout_threshold(L->p) ? v / (1 - L->p) : 0;
                    }
                    break;
                default: v = ref_activation(L->kind, v, L->alpha); break;
                }
                br[j] = v;
            }
        }
        double *t = a;
        a = b;
        b = t;
    }
    double total = 0;
    for (int r = 0; r < n; r++) {
        const double *z = a + (long)r * m->outputs;
        if (m->loss == RF_LOSS_SOFTMAX_CE) {
            double max = z[0], s = 0;
            for (int j = 1; j < m->outputs; j++)
                max = z[j] > max ? z[j] : max;
            for (int j = 0; j < m->outputs; j++)
                s += exp(z[j] - max);
            total += max + log(s) - z[((const int32_t *)y)[r]];
        } else {
            const float *t = (const float *)y + (long)r * m->outputs;
            for (int j = 0; j < m->outputs; j++)
                total += 0.5 * (z[j] - t[j]) * (z[j] - t[j]);
        }
    }
    free(a);
    free(b);
    return total / n;
}

/* Double copies of the generic's current parameters. */
static double **params_as_double(rf_generic *g, const rf_model *m)
{
    double **p = calloc((size_t)m->n_params, sizeof *p);
    for (int t = 0; t < m->n_params; t++) {
        const float *v = rf_generic_param(g, t);
        p[t] = malloc((size_t)m->params[t].size * sizeof **p);
        for (long i = 0; i < m->params[t].size; i++)
            p[t][i] = v[i];
    }
    return p;
}

static void free_params(double **p, int n)
{
    for (int t = 0; t < n; t++)
        free(p[t]);
    free(p);
}

/* Runs loss_grad(training) on n rows at dropout step `step` and checks the
 * loss and every parameter gradient against central differences of the
 * double reference (h = 1e-6, perturbing the double copy). */
static void check_gradients(rf_generic *g, const rf_model *m, uint64_t seed, uint64_t step,
                            int n, int training, uint64_t salt)
{
    float *x = random_x(n, m->input, salt);
    void *y = random_y(m, n, salt);
    float loss = rf_generic_loss_grad(g, x, y, n, training);
    double **p = params_as_double(g, m);
    double ref = ref_loss(m, p, x, y, n, seed, step, training);
    CU_ASSERT(fabs(loss - ref) <= 1e-5 * (1 + fabs(ref)));

    const double h = 1e-6;
    double worst = 0;
    int bad = 0;
    for (int t = 0; t < m->n_params; t++) {
        const float *grad = rf_generic_grad(g, t);
        for (long i = 0; i < m->params[t].size; i++) {
            double keep = p[t][i];
            p[t][i] = keep + h;
            double up = ref_loss(m, p, x, y, n, seed, step, training);
            p[t][i] = keep - h;
            double down = ref_loss(m, p, x, y, n, seed, step, training);
            p[t][i] = keep;
            double fd = (up - down) / (2 * h);
            double err = fabs(grad[i] - fd) / (1e-3 + fabs(fd)); /* relative, floor 1e-3 */
            worst = err > worst ? err : worst;
            if (err > 2e-4 && bad++ < 5)
                fprintf(stderr, "\n  %s[%ld]: grad %.8g, finite difference %.8g (n %d)",
                        m->params[t].name, i, grad[i], fd, n);
        }
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT(worst < 2e-4);
    free_params(p, m->n_params);
    free(x);
    free(y);
}

/* Every layer kind on odd widths, dropout with its mask, full and partial
 * batches, training on and off. */
static void gradients_for_loss(rf_loss_kind loss)
{
    const layer_spec spec[] = {DENSE(7), RELU, DROPOUT(0.3), DENSE(5), SIGMOID, DENSE(6),
                               TANH, DROPOUT(0.5), DENSE(4), LEAKY_RELU(0.1), DENSE(3)};
    rf_model m;
    build(&m, 13, 9, spec, COUNT(spec), loss, 0.1, 0, 0.5, 0.3);
    rf_generic *g = rf_generic_new(&m);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    const uint64_t seed = 11;
    rf_generic_init(g, seed);
    check_gradients(g, &m, seed, 0, 9, 1, 1); /* step 0 */
    check_gradients(g, &m, seed, 1, 1, 1, 2); /* step 1 */
    check_gradients(g, &m, seed, 2, 5, 1, 3);
    check_gradients(g, &m, seed, 3, 5, 0, 4); /* dropout off: no step used */
    check_gradients(g, &m, seed, 3, 9, 1, 5); /* ...nor consumed */
    rf_generic_free(g);
    rf_model_free(&m);
}

static void test_gradients_softmax_ce(void)
{
    gradients_for_loss(RF_LOSS_SOFTMAX_CE);
}

static void test_gradients_squared(void)
{
    gradients_for_loss(RF_LOSS_SQUARED);
}

/* A network with no dense layer first: dropout and relu ahead of it take
 * no backward; one dense layer alone (no input gradient at all). */
static void test_gradients_leading_elementwise(void)
{
    const layer_spec spec[] = {DROPOUT(0.25), TANH, LEAKY_RELU(0.3), DENSE(3)};
    rf_model m;
    build(&m, 11, 6, spec, COUNT(spec), RF_LOSS_SOFTMAX_CE, 0.1, 0, 0.7, 0.2);
    rf_generic *g = rf_generic_new(&m);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    rf_generic_init(g, 3);
    check_gradients(g, &m, 3, 0, 6, 1, 9);
    check_gradients(g, &m, 3, 1, 4, 0, 10);
    rf_generic_free(g);
    rf_model_free(&m);
}

/* ---------- update ---------- */

static float sign_of(float w)
{
    return w > 0 ? 1.0f : w < 0 ? -1.0f : 0.0f;
}

/* Two updates with hand-set weights (one exactly 0) and gradients,
 * against w -= lr*(g + l2 w + l1 sign w), with momentum or without. */
static void update_case(double momentum)
{
    const layer_spec spec[] = {DENSE(2)};
    rf_model m;
    build(&m, 3, 4, spec, 1, RF_LOSS_SQUARED, 0.1, momentum, 0.1, 0.1);
    add_group(&m, "*.weight", 0.2, 0.05);
    add_group(&m, "*.bias", 0, 0.3);
    CU_ASSERT_EQUAL_FATAL(rf_model_finish(&m), 0);
    rf_generic *g = rf_generic_new(&m);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    rf_generic_init(g, 1);

    float w[2][6], v[2][6] = {{0}};
    const float w0[2][6] = {{0.5f, -0.25f, 0.0f, 1.5f, -2.0f, 0.125f}, {0.0f, -0.75f}};
    const float grads[2][2][6] = {
        {{0.1f, 0.2f, -0.3f, 0.0f, 0.5f, -0.6f}, {0.25f, -0.5f}},
        {{-0.2f, 0.4f, 0.1f, 0.3f, -0.1f, 0.05f}, {0.0f, 1.0f}}};
    const float l2[2] = {0.2f, 0.0f}, l1[2] = {0.05f, 0.3f};
    const float lr = 0.1f, mom = (float)momentum;
    for (int t = 0; t < 2; t++) {
        memcpy(w[t], w0[t], sizeof w[t]);
        memcpy(rf_generic_param(g, t), w0[t], (size_t)m.params[t].size * sizeof(float));
    }
    for (int s = 0; s < 2; s++) {
        for (int t = 0; t < 2; t++) {
            memcpy(rf_generic_grad(g, t), grads[s][t], (size_t)m.params[t].size * sizeof(float));
            for (long i = 0; i < m.params[t].size; i++) {
                float d = grads[s][t][i] + l2[t] * w[t][i] + l1[t] * sign_of(w[t][i]);
                if (momentum != 0) {
                    v[t][i] = mom * v[t][i] + d;
                    w[t][i] -= lr * v[t][i];
                } else {
                    w[t][i] -= lr * d;
                }
            }
        }
        rf_generic_update(g);
        for (int t = 0; t < 2; t++)
            for (long i = 0; i < m.params[t].size; i++)
                CU_ASSERT(fabsf(rf_generic_param(g, t)[i] - w[t][i]) <= 1e-6f);
    }
    /* The zero weight with l1 and a zero gradient stays put (sign(0) = 0). */
    if (momentum == 0)
        CU_ASSERT_EQUAL(rf_generic_param(g, 1)[0], w[1][0]);
    rf_generic_free(g);
    rf_model_free(&m);
}

static void test_update_decay(void)
{
    update_case(0);
}

static void test_update_momentum(void)
{
    update_case(0.9);
}

/* ---------- the optimizers against the reference ---------- */

/* An optimizer setting (SPEC 1a), all options exercised across the list. */
typedef struct {
    const char *name;
    rf_optimizer_kind kind;
    double lr, momentum, dampening, beta1, beta2, eps;
    int nesterov;
} opt_config;

static const opt_config opt_configs[] = {
    {"sgd", RF_OPT_SGD, 0.1, 0, 0, 0, 0, 0, 0},
    {"sgd momentum", RF_OPT_SGD, 0.1, 0.9, 0, 0, 0, 0, 0},
    {"sgd momentum dampening", RF_OPT_SGD, 0.1, 0.9, 0.5, 0, 0, 0, 0},
    {"sgd nesterov", RF_OPT_SGD, 0.05, 0.9, 0, 0, 0, 0, 1},
    {"adam", RF_OPT_ADAM, 0.01, 0, 0, 0.9, 0.999, 1e-8, 0},
    {"adam betas eps", RF_OPT_ADAM, 0.01, 0, 0, 0.8, 0.99, 0.05, 0},
    {"adamw", RF_OPT_ADAMW, 0.01, 0, 0, 0.9, 0.999, 1e-8, 0},
};

static void set_optimizer(rf_model *m, const opt_config *c)
{
    m->optimizer = c->kind;
    m->lr = c->lr;
    m->momentum = c->momentum;
    m->dampening = c->dampening;
    m->beta1 = c->beta1;
    m->beta2 = c->beta2;
    m->eps = c->eps;
    m->nesterov = c->nesterov;
}

/* A 7-6-3 network (four tensors: 42, 6, 18 and 3 elements) with the
 * optimizer c. mixed = 0: each option on its own tensors (dense1.weight
 * l2 + l1_prox, dense1.bias l1, dense2.weight l2 + l1, dense2.bias none);
 * mixed = 1: l2, l1 and l1_prox together on every tensor. */
static rf_generic *optimizer_model(rf_model *m, const opt_config *c, int mixed)
{
    const layer_spec spec[] = {DENSE(6), TANH, DENSE(3)};
    build(m, 7, 4, spec, COUNT(spec), RF_LOSS_SQUARED, c->lr, c->momentum, 0.5, 0.3);
    set_optimizer(m, c);
    /* thresholds lr*l1_prox near one step's size, so some elements hit 0 */
    const double prox = c->kind == RF_OPT_SGD ? 0.03 / c->lr : 0.5;
    if (mixed) {
        add_group3(m, "*", 0.05, 0.03, prox);
    } else {
        add_group3(m, "dense1.weight", 0.1, 0, prox);
        add_group3(m, "dense1.bias", 0, 0.05, 0);
        add_group3(m, "dense2.weight", 0.05, 0.02, 0);
    }
    CU_ASSERT_EQUAL_FATAL(rf_model_finish(m), 0);
    rf_generic *g = rf_generic_new(m);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    rf_generic_init(g, 77);
    return g;
}

/* Gradients of update s: uniform in [-0.5, 0.5], a few exact zeros. */
static void set_grads(rf_generic *g, const rf_model *m, int s)
{
    for (int t = 0; t < m->n_params; t++) {
        float *grad = rf_generic_grad(g, t);
        for (long i = 0; i < m->params[t].size; i++) {
            uint64_t k = (uint64_t)s * 1000003u + (uint64_t)t * 1009u + (uint64_t)i;
            grad[i] = k % 17 == 3 ? 0.0f : uniform_float(k, -0.5, 0.5);
        }
    }
}

typedef struct {
    int n;
    long *size;
    double **w, **s[2];
} ref_state;

static void ref_open(ref_state *r, const rf_model *m)
{
    r->n = m->n_params;
    r->size = calloc((size_t)r->n, sizeof *r->size);
    r->w = calloc((size_t)r->n, sizeof *r->w);
    r->s[0] = calloc((size_t)r->n, sizeof *r->s[0]);
    r->s[1] = calloc((size_t)r->n, sizeof *r->s[1]);
    for (int t = 0; t < r->n; t++) {
        r->size[t] = m->params[t].size;
        r->w[t] = calloc((size_t)r->size[t], sizeof(double));
        r->s[0][t] = calloc((size_t)r->size[t], sizeof(double));
        r->s[1][t] = calloc((size_t)r->size[t], sizeof(double));
    }
}

/* The reference takes the generic's current parameters and state. */
static void ref_copy_from(ref_state *r, rf_generic *g)
{
    int per = rf_generic_num_state(g) / r->n;
    for (int t = 0; t < r->n; t++) {
        for (long i = 0; i < r->size[t]; i++)
            r->w[t][i] = rf_generic_param(g, t)[i];
        for (int k = 0; k < per; k++)
            for (long i = 0; i < r->size[t]; i++)
                r->s[k][t][i] = rf_generic_state(g, t * per + k)[i];
    }
}

static void ref_close(ref_state *r)
{
    for (int t = 0; t < r->n; t++) {
        free(r->w[t]);
        free(r->s[0][t]);
        free(r->s[1][t]);
    }
    free(r->w);
    free(r->s[0]);
    free(r->s[1]);
    free(r->size);
}

/* One reference update with the generic's current gradients. */
static void ref_step(ref_state *r, rf_generic *g, const rf_model *m, uint64_t t_update)
{
    rf_ref_opt o = rf_ref_opt_of_model(m);
    for (int t = 0; t < r->n; t++) {
        double *grad = malloc((size_t)r->size[t] * sizeof *grad);
        for (long i = 0; i < r->size[t]; i++)
            grad[i] = rf_generic_grad(g, t)[i];
        rf_ref_decay d = rf_ref_decay_of_param(&m->params[t]);
        rf_ref_update(&o, &d, t_update, r->w[t], grad, r->s[0][t], r->s[1][t], r->size[t]);
        free(grad);
    }
}

/* The worst error of the generic's parameters and state against the
 * reference's (printing what fails under `label`). */
static double ref_compare_generic(ref_state *r, rf_generic *g, const rf_model *m,
                                  const char *label, int update)
{
    double worst = 0;
    int per = rf_generic_num_state(g) / r->n;
    for (int t = 0; t < r->n; t++) {
        double *got = malloc((size_t)r->size[t] * sizeof *got);
        char what[160];
        for (long i = 0; i < r->size[t]; i++)
            got[i] = rf_generic_param(g, t)[i];
        snprintf(what, sizeof what, "%s, update %d, %s", label, update, m->params[t].name);
        rf_ref_opt o = rf_ref_opt_of_model(m);
        rf_ref_decay d = rf_ref_decay_of_param(&m->params[t]);
        worst = fmax(worst, rf_ref_compare(what, r->w[t], got, r->size[t],
                                           rf_ref_prox_floor(&o, &d), 0));
        for (int k = 0; k < per; k++) {
            for (long i = 0; i < r->size[t]; i++)
                got[i] = rf_generic_state(g, t * per + k)[i];
            snprintf(what, sizeof what, "%s, update %d, %s.%s", label, update,
                     m->params[t].name, rf_model_state_suffix(m, k));
            worst = fmax(worst, rf_ref_compare(what, r->s[k][t], got, r->size[t], 0, 0));
        }
        free(got);
    }
    return worst;
}

/* 20 updates of every optimizer setting, the generic (float) and the
 * reference (double) each on its own from the same init and gradients;
 * parameters and state compared after every update. Each decay option
 * sits on its own tensors: l1 and l1_prox together make the result
 * discontinuous where an element lands on 0 (sign(0) = 0), so one
 * rounding apart there could decide a later step; the per-update test
 * below covers them together. */
static void test_optimizers_match_reference_20_updates(void)
{
    for (int c = 0; c < COUNT(opt_configs); c++) {
        rf_model m;
        rf_generic *g = optimizer_model(&m, &opt_configs[c], 0);
        ref_state r;
        ref_open(&r, &m);
        ref_copy_from(&r, g);
        double worst = 0;
        long zeros = 0;
        for (int s = 1; s <= 20; s++) {
            set_grads(g, &m, s);
            ref_step(&r, g, &m, (uint64_t)s);
            rf_generic_update(g);
            CU_ASSERT_EQUAL(rf_generic_updates(g), (uint64_t)s);
            worst = fmax(worst, ref_compare_generic(&r, g, &m, opt_configs[c].name, s));
        }
        for (long i = 0; i < m.params[0].size; i++)
            zeros += rf_generic_param(g, 0)[i] == 0.0f;
        CU_ASSERT(worst <= RF_REF_REL_TOL);
        if (getenv("RF_VERBOSE"))
            fprintf(stderr, "\n  %s: worst %.3g of the bound, %ld zeros", opt_configs[c].name,
                    worst, zeros);
        /* l1_prox made exact zeros in dense1.weight, but not of everything */
        if (zeros == 0 || zeros == m.params[0].size)
            fprintf(stderr, "\n  %s: %ld zeros of %ld", opt_configs[c].name, zeros,
                    m.params[0].size);
        CU_ASSERT(zeros > 0 && zeros < m.params[0].size);
        ref_close(&r);
        rf_generic_free(g);
        rf_model_free(&m);
    }
}

/* Every setting with l2, l1 and l1_prox on every tensor, 20 updates,
 * each one checked from the same starting point: before each update the
 * reference takes the generic's parameters and state. */
static void test_optimizers_match_reference_each_update(void)
{
    for (int c = 0; c < COUNT(opt_configs); c++) {
        rf_model m;
        rf_generic *g = optimizer_model(&m, &opt_configs[c], 1);
        ref_state r;
        ref_open(&r, &m);
        double worst = 0;
        long zeros = 0;
        for (int s = 1; s <= 20; s++) {
            set_grads(g, &m, s);
            ref_copy_from(&r, g);
            ref_step(&r, g, &m, rf_generic_updates(g) + 1);
            rf_generic_update(g);
            worst = fmax(worst, ref_compare_generic(&r, g, &m, opt_configs[c].name, s));
        }
        for (int t = 0; t < m.n_params; t++)
            for (long i = 0; i < m.params[t].size; i++)
                zeros += rf_generic_param(g, t)[i] == 0.0f;
        CU_ASSERT(worst <= RF_REF_REL_TOL);
        CU_ASSERT(zeros > 0);
        if (getenv("RF_VERBOSE"))
            fprintf(stderr, "\n  %s: worst %.3g of the bound, %ld zeros", opt_configs[c].name,
                    worst, zeros);
        ref_close(&r);
        rf_generic_free(g);
        rf_model_free(&m);
    }
}

/* The generic replays PyTorch's runs (tests/optim/golden.txt, dense1 of a
 * 4-3 network) and ends where torch ended, parameters and state. */
static void test_optimizers_match_torch(void)
{
    rf_golden gold;
    char err[512];
    if (rf_golden_load(rf_golden_path(), &gold, err, sizeof err) != 0)
        fprintf(stderr, "\n  %s", err);
    CU_ASSERT_FATAL(gold.n_cases > 0);
    for (int ci = 0; ci < gold.n_cases; ci++) {
        const rf_golden_case *c = &gold.cases[ci];
        const layer_spec spec[] = {DENSE(3)};
        rf_model m;
        build(&m, 4, 2, spec, 1, RF_LOSS_SQUARED, c->opt.lr, c->opt.momentum, 0.1, 0.1);
        opt_config oc = {c->name, c->opt.kind, c->opt.lr, c->opt.momentum, c->opt.dampening,
                         c->opt.beta1, c->opt.beta2, c->opt.eps, c->opt.nesterov};
        set_optimizer(&m, &oc);
        CU_ASSERT_EQUAL_FATAL(c->n_tensors, 2);
        for (int t = 0; t < 2; t++) {
            const rf_golden_tensor *T = &c->tensors[t];
            add_group3(&m, T->name, T->decay.l2, T->decay.l1, T->decay.l1_prox);
        }
        CU_ASSERT_EQUAL_FATAL(rf_model_finish(&m), 0);
        rf_generic *g = rf_generic_new(&m);
        CU_ASSERT_PTR_NOT_NULL_FATAL(g);
        rf_generic_init(g, 1);
        CU_ASSERT_EQUAL_FATAL(rf_generic_num_state(g), 2 * rf_model_state_per_param(&m));
        for (int t = 0; t < 2; t++) {
            CU_ASSERT_STRING_EQUAL_FATAL(m.params[t].name, c->tensors[t].name);
            CU_ASSERT_EQUAL_FATAL(m.params[t].size, c->tensors[t].size);
            for (long i = 0; i < c->tensors[t].size; i++)
                rf_generic_param(g, t)[i] = (float)c->tensors[t].init[i];
        }
        for (int s = 0; s < c->steps; s++) {
            for (int t = 0; t < 2; t++)
                for (long i = 0; i < c->tensors[t].size; i++)
                    rf_generic_grad(g, t)[i] =
                        (float)c->tensors[t].grads[(long)s * c->tensors[t].size + i];
            rf_generic_update(g);
        }
        CU_ASSERT_EQUAL(rf_generic_updates(g), c->updates);
        int per = rf_model_state_per_param(&m);
        double worst = 0;
        for (int t = 0; t < 2; t++) {
            const rf_golden_tensor *T = &c->tensors[t];
            double got[16];
            char what[160];
            for (long i = 0; i < T->size; i++)
                got[i] = rf_generic_param(g, t)[i];
            snprintf(what, sizeof what, "%s, %s", c->name, T->name);
            worst = fmax(worst, rf_ref_compare(what, T->final, got, T->size,
                                               rf_ref_prox_floor(&c->opt, &T->decay), 0));
            for (int k = 0; k < per; k++) {
                for (long i = 0; i < T->size; i++)
                    got[i] = rf_generic_state(g, t * per + k)[i];
                snprintf(what, sizeof what, "%s, %s.%s", c->name, T->name,
                         rf_model_state_suffix(&m, k));
                worst = fmax(worst, rf_ref_compare(what, T->state[k], got, T->size, 0, 0));
            }
        }
        CU_ASSERT(worst <= RF_REF_REL_TOL);
        if (getenv("RF_VERBOSE"))
            fprintf(stderr, "\n  %s: worst %.3g of the bound", c->name, worst);
        rf_generic_free(g);
        rf_model_free(&m);
    }
    rf_golden_free(&gold);
}

/* The state tensors: how many, where, zeroed by init with the counter. */
static void test_optimizer_state_accessors(void)
{
    const int want[] = {0, 1, 1, 1, 2, 2, 2}; /* per parameter, opt_configs order */
    for (int c = 0; c < COUNT(opt_configs); c++) {
        rf_model m;
        rf_generic *g = optimizer_model(&m, &opt_configs[c], 0);
        const int n = rf_generic_num_state(g);
        CU_ASSERT_EQUAL(n, want[c] * m.n_params);
        CU_ASSERT_PTR_NULL(rf_generic_state(g, -1));
        CU_ASSERT_PTR_NULL(rf_generic_state(g, n));
        for (int i = 0; i < n; i++) {
            float *st = rf_generic_state(g, i);
            CU_ASSERT_PTR_NOT_NULL_FATAL(st);
            /* distinct from each other, from the parameters and gradients */
            for (int j = 0; j < i; j++)
                CU_ASSERT_PTR_NOT_EQUAL(st, rf_generic_state(g, j));
            for (int t = 0; t < m.n_params; t++) {
                CU_ASSERT_PTR_NOT_EQUAL(st, rf_generic_param(g, t));
                CU_ASSERT_PTR_NOT_EQUAL(st, rf_generic_grad(g, t));
            }
            for (long e = 0; e < m.params[i / want[c]].size; e++)
                CU_ASSERT_EQUAL(st[e], 0.0f);
        }
        CU_ASSERT_EQUAL(rf_generic_updates(g), 0);
        set_grads(g, &m, 1);
        rf_generic_update(g);
        set_grads(g, &m, 2);
        rf_generic_update(g);
        CU_ASSERT_EQUAL(rf_generic_updates(g), 2);
        /* the state moved; init zeroes it and the count again */
        long nonzero = 0;
        for (int i = 0; i < n; i++)
            for (long e = 0; e < m.params[i / want[c]].size; e++)
                nonzero += rf_generic_state(g, i)[e] != 0.0f;
        CU_ASSERT(n == 0 || nonzero > 0);
        rf_generic_init(g, 77);
        CU_ASSERT_EQUAL(rf_generic_updates(g), 0);
        for (int i = 0; i < n; i++)
            for (long e = 0; e < m.params[i / want[c]].size; e++)
                CU_ASSERT_EQUAL(rf_generic_state(g, i)[e], 0.0f);
        rf_generic_free(g);
        rf_model_free(&m);
    }
    CU_ASSERT_EQUAL(rf_generic_num_state(NULL), 0);
    CU_ASSERT_PTR_NULL(rf_generic_state(NULL, 0));
    CU_ASSERT_EQUAL(rf_generic_updates(NULL), 0);
}

/* ---------- the activation kernels against the table ---------- */

/* The kernels compute each RF_ACTIVATIONS row's scalar columns exactly
 * (the same float expressions), with the layer's alpha; and each row's
 * backward is the derivative of its forward (central differences in
 * double, away from the kinks). */
static void test_activations_match_table(void)
{
    enum { N = 1001 };
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y), *dy = malloc(N * sizeof *dy),
          *dx = malloc(N * sizeof *dx);
    for (int i = 0; i < N; i++) {
        x[i] = (float)(i - N / 2) / 50.0f; /* -10 .. 10 in steps of 0.02, 0 included */
        dy[i] = uniform_float((uint64_t)i + 5000, -2, 2);
    }
    const rf_layer_kind kinds[] = {
#define KIND(E, ...) RF_LAYER_##E,
        RF_ACTIVATIONS(KIND)
#undef KIND
    };
    const float alphas[] = {0.0f, 0.01f, 0.2f, 1.5f}; /* alpha >= 0, as the checker requires */
    int bad = 0, rows = 0;
    for (int k = 0; k < COUNT(kinds); k++) {
        rows++;
        for (int ai = 0; ai < COUNT(alphas); ai++) {
            const float a = alphas[ai];
            rf_gk_activation_forward(kinds[k], a, x, y, N);
            rf_gk_activation_backward(kinds[k], a, y, dy, dx, N);
            for (int i = 0; i < N; i++) {
                float want_y = float_activation(kinds[k], x[i], a);
                float want_dx = float_activation_backward(kinds[k], want_y, dy[i], a);
                if (memcmp(&y[i], &want_y, sizeof y[i]) || memcmp(&dx[i], &want_dx, sizeof dx[i]))
                    if (bad++ < 5)
                        fprintf(stderr, "\n  %s(%g), alpha %g: y %g (want %g), dx %g (want %g)",
                                rf_layer_kind_name(kinds[k]), x[i], a, y[i], want_y, dx[i],
                                want_dx);
                /* backward = d forward / dx, in double */
                if (fabsf(x[i]) > 0.01f) {
                    const double h = 1e-6, xd = x[i];
                    double fd = (ref_activation(kinds[k], xd + h, a) -
                                 ref_activation(kinds[k], xd - h, a)) / (2 * h);
                    double an = ref_activation_backward(kinds[k], ref_activation(kinds[k], xd, a),
                                                        1.0, a);
                    if (fabs(fd - an) > 1e-6 * (1 + fabs(an)) && bad++ < 5)
                        fprintf(stderr, "\n  %s'(%g), alpha %g: table %.9g, difference %.9g",
                                rf_layer_kind_name(kinds[k]), x[i], a, an, fd);
                }
            }
        }
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(rows, 4); /* relu, sigmoid, tanh, leaky_relu at least */
    /* leaky_relu by hand, alpha 0.1: f(-2) = -0.2, f(3) = 3, f(0) = 0;
     * backward from y: dy*0.1 where y < 0 (and at y = 0), dy where y > 0 */
    const float xs[] = {-2.0f, 3.0f, 0.0f}, dys[] = {1.0f, 1.0f, 1.0f};
    float ys[3], dxs[3];
    rf_gk_activation_forward(RF_LAYER_LEAKY_RELU, 0.1f, xs, ys, 3);
    rf_gk_activation_backward(RF_LAYER_LEAKY_RELU, 0.1f, ys, dys, dxs, 3);
    CU_ASSERT_EQUAL(ys[0], -2.0f * 0.1f);
    CU_ASSERT_EQUAL(ys[1], 3.0f);
    CU_ASSERT_EQUAL(ys[2], 0.0f);
    CU_ASSERT_EQUAL(dxs[0], 0.1f);
    CU_ASSERT_EQUAL(dxs[1], 1.0f);
    CU_ASSERT_EQUAL(dxs[2], 0.1f);
    /* a kind that is not an activation writes nothing */
    y[0] = 7.0f;
    rf_gk_activation_forward(RF_LAYER_DROPOUT, 0.1f, x, y, 1);
    CU_ASSERT_EQUAL(y[0], 7.0f);
    free(x);
    free(y);
    free(dy);
    free(dx);
}

/* leaky_relu's alpha reaches the layer: a 1-input network whose dense
 * layer gives -x, then leaky_relu(0.25), predicts -0.25*x for x > 0. */
static void test_leaky_relu_alpha_in_network(void)
{
    const layer_spec spec[] = {DENSE(1), LEAKY_RELU(0.25)};
    rf_model m;
    build(&m, 1, 3, spec, COUNT(spec), RF_LOSS_SQUARED, 0.1, 0, 0.1, 0.1);
    rf_generic *g = rf_generic_new(&m);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    rf_generic_init(g, 1);
    rf_generic_param(g, 0)[0] = -1.0f;
    rf_generic_param(g, 1)[0] = 0.0f;
    const float x[3] = {1.0f, 2.0f, -4.0f};
    float out[3];
    rf_generic_predict(g, x, 3, out);
    CU_ASSERT_EQUAL(out[0], -0.25f);
    CU_ASSERT_EQUAL(out[1], -0.5f);
    CU_ASSERT_EQUAL(out[2], 4.0f);
    rf_generic_free(g);
    rf_model_free(&m);
}

/* ---------- dropout ---------- */

/* A probe that exposes one dropout mask through the public API: x is the
 * B x B identity, the dense layer has W = 1, b = 0, so its output is all
 * ones; dropout (layer 1) follows; squared loss against 0. Then
 * dW[k][u] = keep[k][u] * scale^2 / B and loss = kept * scale^2 / (2B). */
enum { PROBE_B = 64, PROBE_U = 96 };

typedef struct {
    rf_model m;
    rf_generic *g;
    float *x, *y;
} probe;

static void probe_open(probe *pr, double p, uint64_t seed)
{
    const layer_spec spec[] = {DENSE(PROBE_U), DROPOUT(p)};
    build(&pr->m, PROBE_B, PROBE_B, spec, 2, RF_LOSS_SQUARED, 0.1, 0, 0.1, 0.1);
    pr->g = rf_generic_new(&pr->m);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pr->g);
    rf_generic_init(pr->g, seed);
    pr->x = calloc(PROBE_B * PROBE_B, sizeof(float));
    pr->y = calloc(PROBE_B * PROBE_U, sizeof(float));
    for (int r = 0; r < PROBE_B; r++)
        pr->x[r * PROBE_B + r] = 1.0f;
}

static void probe_reset_params(probe *pr)
{
    for (int i = 0; i < PROBE_B * PROBE_U; i++)
        rf_generic_param(pr->g, 0)[i] = 1.0f;
    memset(rf_generic_param(pr->g, 1), 0, PROBE_U * sizeof(float));
}

/* loss_grad on the probe; returns the loss, dW in *dW. */
static float probe_run(probe *pr, int training, const float **dW)
{
    probe_reset_params(pr);
    float loss = rf_generic_loss_grad(pr->g, pr->x, pr->y, PROBE_B, training);
    *dW = rf_generic_grad(pr->g, 0);
    return loss;
}

static void probe_close(probe *pr)
{
    rf_generic_free(pr->g);
    rf_model_free(&pr->m);
    free(pr->x);
    free(pr->y);
}

/* Checks dW against the mask rf_random.h gives for (seed, step); returns
 * the number of dropped units. */
static int check_mask(const float *dW, double p, uint64_t seed, uint64_t step)
{
    const double scale = 1 / (1 - p);
    const uint64_t key = rf_dropout_key(seed, step, 1);
    int dropped = 0, wrong = 0;
    for (int k = 0; k < PROBE_B; k++)
        for (int u = 0; u < PROBE_U; u++) {
            int keep = rf_dropout_bits(key, (uint32_t)(k * PROBE_U + u)) >= rf_dropout_threshold(p);
            double want = keep ? scale * scale / PROBE_B : 0.0;
            float got = dW[k * PROBE_U + u];
            dropped += !keep;
            if (keep ? fabs(got - want) > 1e-6 * want : got != 0.0f)
                wrong++;
        }
    CU_ASSERT_EQUAL(wrong, 0);
    return dropped;
}

static void test_dropout_mask_fraction_scaling(void)
{
    const double ps[] = {0.1, 0.3, 0.5, 0.8};
    for (int c = 0; c < COUNT(ps); c++) {
        double p = ps[c], N = PROBE_B * PROBE_U, scale = 1 / (1 - p);
        probe pr;
        probe_open(&pr, p, 42 + (uint64_t)c);
        const float *dW;
        float loss = probe_run(&pr, 1, &dW);
        int dropped = check_mask(dW, p, 42 + (uint64_t)c, 0);
        /* the fraction dropped is p within 5 standard deviations */
        CU_ASSERT(fabs(dropped / N - p) < 5 * sqrt(p * (1 - p) / N));
        CU_ASSERT(fabs(loss - (N - dropped) * scale * scale / (2 * PROBE_B)) <= 1e-5 * loss);
        probe_close(&pr);
    }
}

static void test_dropout_fresh_mask_per_training_forward(void)
{
    const double p = 0.4;
    probe pr;
    probe_open(&pr, p, 7);
    const float *dW;
    float *first = malloc(PROBE_B * PROBE_U * sizeof(float));
    probe_run(&pr, 1, &dW); /* step 0 */
    check_mask(dW, p, 7, 0);
    memcpy(first, dW, PROBE_B * PROBE_U * sizeof(float));
    probe_run(&pr, 0, &dW); /* off: all kept, unscaled; no step taken */
    for (int i = 0; i < PROBE_B * PROBE_U; i++)
        CU_ASSERT_EQUAL(dW[i], 1.0f / PROBE_B);
    probe_run(&pr, 1, &dW); /* step 1: a different mask */
    check_mask(dW, p, 7, 1);
    int differ = 0;
    for (int i = 0; i < PROBE_B * PROBE_U; i++)
        differ += (dW[i] == 0) != (first[i] == 0);
    CU_ASSERT(differ > PROBE_B * PROBE_U / 4); /* expected 2p(1-p) = 48% */
    /* train_step is a training forward (step 2); the next one uses step 3 */
    probe_reset_params(&pr);
    CU_ASSERT(isfinite(rf_generic_train_step(pr.g, pr.x, pr.y, PROBE_B)));
    probe_run(&pr, 1, &dW);
    check_mask(dW, p, 7, 3);
    /* init restarts the counter */
    rf_generic_init(pr.g, 7);
    probe_run(&pr, 1, &dW);
    check_mask(dW, p, 7, 0);
    /* predict: dropout off, the dense output (all ones) passes unchanged */
    float *out = malloc(PROBE_B * PROBE_U * sizeof(float));
    probe_reset_params(&pr);
    rf_generic_predict(pr.g, pr.x, PROBE_B, out);
    for (int i = 0; i < PROBE_B * PROBE_U; i++)
        CU_ASSERT_EQUAL(out[i], 1.0f);
    free(out);
    free(first);
    probe_close(&pr);
}

static void test_dropout_p0_p1_exact(void)
{
    probe pr;
    const float *dW;
    probe_open(&pr, 0.0, 3);
    float loss = probe_run(&pr, 1, &dW);
    CU_ASSERT_EQUAL(loss, (float)PROBE_U / 2);
    for (int i = 0; i < PROBE_B * PROBE_U; i++)
        CU_ASSERT_EQUAL(dW[i], 1.0f / PROBE_B);
    probe_close(&pr);

    probe_open(&pr, 1.0, 3);
    loss = probe_run(&pr, 1, &dW);
    CU_ASSERT_EQUAL(loss, 0.0f);
    for (int i = 0; i < PROBE_B * PROBE_U; i++)
        CU_ASSERT_EQUAL(dW[i], 0.0f);
    for (int i = 0; i < PROBE_U; i++)
        CU_ASSERT_EQUAL(rf_generic_grad(pr.g, 1)[i], 0.0f);
    /* off in predict and with training = 0 even at p = 1 */
    loss = probe_run(&pr, 0, &dW);
    CU_ASSERT_EQUAL(loss, (float)PROBE_U / 2);
    probe_close(&pr);
}

/* ---------- init ---------- */

static void test_init_matches_rf_random(void)
{
    const layer_spec spec[] = {DENSE(37), RELU, DENSE(5)};
    rf_model m;
    build(&m, 29, 4, spec, COUNT(spec), RF_LOSS_SOFTMAX_CE, 0.1, 0.9, 0.7, 0.2);
    m.layers[2].weight_init = (rf_init){RF_INIT_UNIFORM, 0.05, {0, 0}};
    m.layers[2].bias_init = (rf_init){RF_INIT_CONSTANT, 0.25, {0, 0}};
    CU_ASSERT_EQUAL_FATAL(rf_model_finish(&m), 0);
    rf_generic *g = rf_generic_new(&m);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT_EQUAL(rf_generic_num_params(g), 4);
    for (int t = 0; t < 4; t++) /* dirty grads: init must zero them */
        for (long i = 0; i < m.params[t].size; i++)
            rf_generic_grad(g, t)[i] = 1.0f;
    const uint64_t seed = 1234567;
    rf_generic_init(g, seed);
    for (int t = 0; t < 4; t++) {
        long size = m.params[t].size;
        const long idx[] = {0, 1, size / 2, size - 1};
        for (int s = 0; s < 4; s++) {
            uint64_t i = (uint64_t)idx[s];
            double want;
            switch (t) {
            case 0: want = 0.7 * rf_normal(seed, RF_STREAM_INIT, 0, i); break;
            case 1: want = 0.2 * (2 * rf_uniform(seed, RF_STREAM_INIT, 1, i) - 1); break;
            case 2: want = 0.05 * (2 * rf_uniform(seed, RF_STREAM_INIT, 2, i) - 1); break;
            default: want = 0.25; break;
            }
            CU_ASSERT_EQUAL(rf_generic_param(g, t)[idx[s]], (float)want);
        }
        for (long i = 0; i < size; i++)
            CU_ASSERT_EQUAL(rf_generic_grad(g, t)[i], 0.0f);
    }
    CU_ASSERT_PTR_NULL(rf_generic_param(g, 4));
    CU_ASSERT_PTR_NULL(rf_generic_param(g, -1));
    CU_ASSERT_PTR_NULL(rf_generic_grad(g, 4));
    /* momentum zeroed: with zero gradients and no decay, update moves nothing */
    float before = rf_generic_param(g, 0)[3];
    rf_generic_update(g);
    CU_ASSERT_EQUAL(rf_generic_param(g, 0)[3], before);
    rf_generic_free(g);
    rf_model_free(&m);
}

/* ---------- determinism ---------- */

/* Parameters and then optimizer state after several train steps (full
 * and partial batches) on `threads` threads, plus the sum of the returned
 * losses; *count gets the number of floats. */
static float *train_on_threads(const rf_model *m, int threads, double *loss_sum, long *count)
{
#ifdef _OPENMP
    omp_set_num_threads(threads);
#else
    (void)threads;
#endif
    rf_generic *g = rf_generic_new(m);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    rf_generic_init(g, 2024);
    *loss_sum = 0;
    for (int s = 0; s < 6; s++) {
        int n = s == 4 ? 37 : m->batch;
        float *x = random_x(n, m->input, 50 + (uint64_t)s);
        void *y = random_y(m, n, 50 + (uint64_t)s);
        *loss_sum += rf_generic_train_step(g, x, y, n);
        free(x);
        free(y);
    }
    const int per = rf_model_state_per_param(m);
    CU_ASSERT_EQUAL(rf_generic_num_state(g), per * m->n_params);
    long total = (1 + per) * rf_model_param_count(m), at = 0;
    float *all = malloc((size_t)total * sizeof *all);
    for (int t = 0; t < m->n_params; t++) {
        memcpy(all + at, rf_generic_param(g, t), (size_t)m->params[t].size * sizeof(float));
        at += m->params[t].size;
    }
    for (int i = 0; i < per * m->n_params; i++) {
        long size = m->params[i / per].size;
        memcpy(all + at, rf_generic_state(g, i), (size_t)size * sizeof(float));
        at += size;
    }
    CU_ASSERT_EQUAL(at, total);
    *count = total;
    rf_generic_free(g);
    return all;
}

static void test_bit_identical_on_1_and_2_threads(void)
{
    const layer_spec spec[] = {DENSE(96), RELU, DROPOUT(0.2), DENSE(83), TANH, DROPOUT(0.5),
                               DENSE(10)};
    rf_model m;
    build(&m, 101, 128, spec, COUNT(spec), RF_LOSS_SOFTMAX_CE, 0.2, 0.9, 0.05, 0.05);
    add_group(&m, "*.weight", 1e-3, 1e-4);
    CU_ASSERT_EQUAL_FATAL(rf_model_finish(&m), 0);
    double loss1, loss2;
    long n1, n2;
    float *one = train_on_threads(&m, 1, &loss1, &n1);
    float *two = train_on_threads(&m, 2, &loss2, &n2);
    CU_ASSERT(isfinite(loss1));
    CU_ASSERT_EQUAL(loss1, loss2);
    CU_ASSERT_EQUAL_FATAL(n1, n2);
    CU_ASSERT_EQUAL(memcmp(one, two, (size_t)n1 * sizeof(float)), 0);
    /* and the steps did move the parameters */
    rf_generic *g = rf_generic_new(&m);
    rf_generic_init(g, 2024);
    CU_ASSERT_NOT_EQUAL(memcmp(one, rf_generic_param(g, 0), 64 * sizeof(float)), 0);
    rf_generic_free(g);
    free(one);
    free(two);
    rf_model_free(&m);
}

/* Each optimizer with every decay option, on shapes where the update
 * (101 x 520 = 52520 elements) and the leaky_relu (256 x 520) run on
 * several threads: parameters and state bit-identical on 1 and 2 threads. */
static void test_optimizers_bit_identical_on_1_and_2_threads(void)
{
    const layer_spec spec[] = {DENSE(520), LEAKY_RELU(0.05), DROPOUT(0.3), DENSE(10)};
    for (int c = 0; c < COUNT(opt_configs); c++) {
        if (c == 0 || c == 2) /* plain sgd is the test above; dampening is like momentum */
            continue;
        rf_model m;
        build(&m, 101, 256, spec, COUNT(spec), RF_LOSS_SOFTMAX_CE, opt_configs[c].lr,
              opt_configs[c].momentum, 0.05, 0.05);
        set_optimizer(&m, &opt_configs[c]);
        add_group3(&m, "*.weight", 1e-3, 1e-4, 1e-2);
        add_group3(&m, "*.bias", 0, 1e-3, 0);
        CU_ASSERT_EQUAL_FATAL(rf_model_finish(&m), 0);
        double loss1, loss2;
        long n1, n2;
        float *one = train_on_threads(&m, 1, &loss1, &n1);
        float *two = train_on_threads(&m, 2, &loss2, &n2);
        CU_ASSERT(isfinite(loss1));
        CU_ASSERT_EQUAL(loss1, loss2);
        CU_ASSERT_EQUAL_FATAL(n1, n2);
        CU_ASSERT(n1 > rf_model_param_count(&m)); /* the state is there too */
        if (memcmp(one, two, (size_t)n1 * sizeof(float)) != 0)
            fprintf(stderr, "\n  %s differs on 1 and 2 threads", opt_configs[c].name);
        CU_ASSERT_EQUAL(memcmp(one, two, (size_t)n1 * sizeof(float)), 0);
        free(one);
        free(two);
        rf_model_free(&m);
    }
#ifdef _OPENMP
    omp_set_num_threads(omp_get_num_procs());
#endif
}

/* ---------- bad input ---------- */

static void test_bad_input_nan_and_untouched(void)
{
    const layer_spec spec[] = {DENSE(5), RELU, DENSE(3)};
    rf_model m;
    build(&m, 7, 4, spec, COUNT(spec), RF_LOSS_SOFTMAX_CE, 0.1, 0, 0.3, 0.1);
    rf_generic *g = rf_generic_new(&m);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    rf_generic_init(g, 5);
    /* buffers sized exactly for batch rows: ASan flags any read past them */
    float *x = random_x(4, 7, 1);
    int32_t *y = malloc(4 * sizeof *y);
    for (int r = 0; r < 4; r++)
        y[r] = r % 3;
    float w0 = rf_generic_param(g, 0)[0];

    CU_ASSERT(isnan(rf_generic_loss_grad(g, x, y, 0, 1)));
    CU_ASSERT(isnan(rf_generic_loss_grad(g, x, y, -3, 1)));
    CU_ASSERT(isnan(rf_generic_train_step(g, x, y, 5)));
    CU_ASSERT(isnan(rf_generic_train_step(g, x, y, 0)));
    CU_ASSERT(isnan(rf_generic_loss_grad(g, NULL, y, 2, 1)));
    CU_ASSERT(isnan(rf_generic_loss_grad(g, x, NULL, 2, 1)));
    const int32_t bad[] = {-1, 3, INT32_MAX, INT32_MIN};
    for (int b = 0; b < 4; b++) {
        y[2] = bad[b];
        CU_ASSERT(isnan(rf_generic_train_step(g, x, y, 4)));
        CU_ASSERT(isnan(rf_generic_loss_grad(g, x, y, 3, 0)));
    }
    /* a bad label beyond n is never read */
    CU_ASSERT(isfinite(rf_generic_loss_grad(g, x, y, 2, 0)));
    CU_ASSERT_EQUAL(rf_generic_param(g, 0)[0], w0);

    float out[12];
    for (int i = 0; i < 12; i++)
        out[i] = 77.0f;
    rf_generic_predict(g, x, 0, out);
    rf_generic_predict(g, x, 5, out);
    for (int i = 0; i < 12; i++)
        CU_ASSERT_EQUAL(out[i], 77.0f);
    rf_generic_predict(g, x, 4, out);
    CU_ASSERT_NOT_EQUAL(out[0], 77.0f);
    rf_generic_free(g);

    /* unusable models are refused */
    m.batch = 0;
    CU_ASSERT_PTR_NULL(rf_generic_new(&m));
    m.batch = 4;
    m.layers[2].in = 6; /* inconsistent with the previous layer */
    CU_ASSERT_PTR_NULL(rf_generic_new(&m));
    CU_ASSERT_PTR_NULL(rf_generic_new(NULL));
    rf_generic_free(NULL);
    free(x);
    free(y);
    rf_model_free(&m);
}

int main(int argc, char **argv)
{
    static const rf_test_case cases[] = {
        {"gradients, softmax CE, every layer kind", test_gradients_softmax_ce},
        {"gradients, squared, every layer kind", test_gradients_squared},
        {"gradients with elementwise layers first", test_gradients_leading_elementwise},
        {"update with l2 and l1", test_update_decay},
        {"update with momentum", test_update_momentum},
        {"optimizers match the reference, 20 updates", test_optimizers_match_reference_20_updates},
        {"optimizers match the reference, each update, all decays together",
         test_optimizers_match_reference_each_update},
        {"optimizers match torch (golden.txt)", test_optimizers_match_torch},
        {"optimizer state accessors", test_optimizer_state_accessors},
        {"activation kernels match the RF_ACTIVATIONS table", test_activations_match_table},
        {"leaky_relu alpha in a network", test_leaky_relu_alpha_in_network},
        {"dropout mask, fraction, scaling", test_dropout_mask_fraction_scaling},
        {"dropout fresh mask per training forward", test_dropout_fresh_mask_per_training_forward},
        {"dropout p = 0 and p = 1 exact", test_dropout_p0_p1_exact},
        {"init matches rf_random.h", test_init_matches_rf_random},
        {"bit-identical on 1 and 2 threads", test_bit_identical_on_1_and_2_threads},
        {"optimizers bit-identical on 1 and 2 threads",
         test_optimizers_bit_identical_on_1_and_2_threads},
        {"bad input: NaN, nothing touched", test_bad_input_nan_and_untouched},
        {NULL, NULL},
    };
    return rf_test_main("generic", cases, argc, argv);
}
