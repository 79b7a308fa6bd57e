/* What the code generator's tests share: models built by hand, building
 * them through rf_build into the test's temporary cache, a double-precision
 * reference of the forward pass and the loss, and small random numbers.
 * Header-only (static functions): each test program includes it once. */
#ifndef TEST_CODEGEN_SUPPORT_H
#define TEST_CODEGEN_SUPPORT_H

#include "hparams.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "model.h"
#include "rf_abi.h"
#include "rf_random.h"
#include "rftest.h"

/* ---- models by hand ---- */

static inline void tm_begin(rf_model *m, const char *name, int input, int batch, rf_loss_kind loss, double lr,
                     double momentum)
{
    memset(m, 0, sizeof *m);
    snprintf(m->name, sizeof m->name, "%s", name);
    char path[128];
    snprintf(path, sizeof path, "models/%s.yaml", name);
    m->path = strdup(path);
    m->source = strdup(path); /* any bytes: hashed into the header comment */
    m->source_len = strlen(path);
    m->input = input;
    m->batch = batch;
    m->loss = loss;
    m->loss_pos.line = 30;
    m->lr = lr;
    m->momentum = momentum;
    m->train.seed = 1;
}

static inline rf_layer *tm_layer(rf_model *m, rf_layer_kind kind)
{
    m->layers = realloc(m->layers, (size_t)(m->n_layers + 1) * sizeof *m->layers);
    rf_layer *L = &m->layers[m->n_layers++];
    memset(L, 0, sizeof *L);
    L->kind = kind;
    L->pos.line = 5 + m->n_layers;
    L->weight_init = (rf_init){RF_INIT_NORMAL, 0.01, {0, 0}};
    L->bias_init = (rf_init){RF_INIT_CONSTANT, 0, {0, 0}};
    return L;
}

static inline rf_layer *tm_dense(rf_model *m, int units, const char *name)
{
    rf_layer *L = tm_layer(m, RF_LAYER_DENSE);
    L->units = units;
    if (name)
        snprintf(L->name, sizeof L->name, "%s", name);
    return L;
}

static inline void tm_dropout(rf_model *m, double p)
{
    tm_layer(m, RF_LAYER_DROPOUT)->p = p;
}

static inline void tm_group(rf_model *m, const char *pattern, double l2, double l1)
{
    m->groups = realloc(m->groups, (size_t)(m->n_groups + 1) * sizeof *m->groups);
    rf_decay_group *g = &m->groups[m->n_groups++];
    memset(g, 0, sizeof *g);
    g->patterns = calloc(1, sizeof *g->patterns);
    g->patterns[0] = strdup(pattern);
    g->n_patterns = 1;
    g->l2 = l2;
    g->l1 = l1;
    g->pos.line = 20 + m->n_groups;
}

static inline void tm_finish(rf_model *m)
{
    CU_ASSERT_EQUAL_FATAL(rf_model_finish(m), 0);
}

/* ---- building ---- */

static char tm_cache[4200];

/* The build cache of the test's models: the one all test programs and both passes of
 * `./dev test` share ($REGFIT_CACHE: the plain pass compiles, the sanitizer pass loads the
 * same objects), or, where a test counts compiles (test_build: TM_PRIVATE_CACHE), one of
 * the test's own. */
static inline const char *tm_cache_dir(void)
{
#ifndef TM_PRIVATE_CACHE
    const char *shared = getenv("REGFIT_CACHE");
    if (shared && *shared)
        return shared;
#endif
    if (!tm_cache[0])
        snprintf(tm_cache, sizeof tm_cache, "%s/cache", rf_test_tmpdir());
    return tm_cache;
}

/* Builds m with clang and the given flags (NULL: the default, -O3 -march=native -fopenmp) into
 * the test's cache; prints the compiler's message on error. */
static inline int tm_build_flags(const rf_model *m, rf_built *b, const char *cflags)
{
    rf_build_options opt;
    memset(&opt, 0, sizeof opt);
    opt.cc = "clang";
    opt.cflags = cflags;
    opt.cache_dir = tm_cache_dir();
    char err[8192];
    int rc = rf_build(m, &opt, b, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "\nbuild of %s failed: %s\n", m->name, err);
    return rc;
}

/* The same with the default flags. */
static inline int tm_build(const rf_model *m, rf_built *b)
{
    return tm_build_flags(m, b, NULL);
}

/* An instance of the compiled model, aligned as it asks. */
/* init as a training run does it: the model's init, then the model file's
 * hyperparameters (the code rf_build compiles holds the shapes only) */
static inline void tm_init(const rf_model *m, const rf_compiled *c, void *inst, uint64_t seed)
{
    rf_hparams_buf hp;
    c->init(inst, seed);
    if (rf_hparams_from_model(m, &hp) != 0)
        abort();
    c->set_hparams(inst, &hp.in);
    rf_hparams_buf_free(&hp);
}

static inline void *tm_new_instance(const rf_compiled *c)
{
    size_t align = c->model_align < sizeof(void *) ? sizeof(void *) : c->model_align;
    size_t size = (c->model_size + align - 1) / align * align;
    void *p = aligned_alloc(align, size);
    if (p)
        memset(p, 0, size);
    return p;
}

/* ---- random numbers for test data (not the generator under test) ---- */

static uint64_t tm_state = 0x12345678u;

static inline double tm_rand(void) /* uniform in [0, 1) */
{
    tm_state = tm_state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(tm_state >> 11) * (1.0 / 9007199254740992.0);
}

static inline float tm_uniform(double a) /* U(-a, a) */
{
    return (float)(a * (2 * tm_rand() - 1));
}

static inline void tm_fill(float *v, long n, double a)
{
    for (long i = 0; i < n; i++)
        v[i] = tm_uniform(a);
}

/* Sets every parameter to U(-a, a) (more signal than the 0.01-std init). */
static inline void tm_randomize_params(const rf_compiled *c, void *inst, double a)
{
    for (int i = 0; i < c->num_params; i++)
        tm_fill(c->param(inst, i), c->param_size(i), a);
}

/* ---- the double-precision reference ---- */

/* Parameters as doubles, per tensor. */
typedef struct {
    double **p;
    int n;
} tm_params;

static inline tm_params tm_params_of(const rf_compiled *c, void *inst)
{
    tm_params P;
    P.n = c->num_params;
    P.p = calloc((size_t)P.n + 1, sizeof *P.p);
    for (int i = 0; i < P.n; i++) {
        int size = c->param_size(i);
        P.p[i] = malloc((size_t)size * sizeof(double));
        const float *v = c->param(inst, i);
        for (int k = 0; k < size; k++)
            P.p[i][k] = v[k];
    }
    return P;
}

static inline void tm_params_free(tm_params *P)
{
    for (int i = 0; i < P->n; i++)
        free(P->p[i]);
    free(P->p);
}

/* The rf_random.h keep rule of one dropout element. */
static inline int tm_keep(uint64_t seed, uint64_t step, int layer, uint32_t index, double p)
{
    if (p <= 0)
        return 1;
    if (p >= 1)
        return 0;
    return rf_dropout_bits(rf_dropout_key(seed, step, (uint64_t)layer), index) >= rf_dropout_threshold(p);
}

/* The mean loss of n rows in double, with dropout (training) using the masks
 * of (seed, step); the outputs of each row go to out (n x outputs) when not NULL. */
static inline double tm_ref_loss(const rf_model *m, const tm_params *P, const float *x, const void *y, int n,
                          int training, uint64_t seed, uint64_t step, double *out)
{
    int width = m->input;
    for (int i = 0; i < m->n_layers; i++)
        width = m->layers[i].out > width ? m->layers[i].out : width;
    double *a = malloc((size_t)width * sizeof(double)), *b = malloc((size_t)width * sizeof(double));
    double total = 0;
    for (int r = 0; r < n; r++) {
        for (int k = 0; k < m->input; k++)
            a[k] = x[(size_t)r * m->input + k];
        for (int i = 0; i < m->n_layers; i++) {
            const rf_layer *L = &m->layers[i];
            switch (L->kind) {
            case RF_LAYER_DENSE: {
                const double *W = P->p[L->weight_param], *bias = P->p[L->bias_param];
                for (int j = 0; j < L->out; j++) {
                    double s = bias[j];
                    for (int k = 0; k < L->in; k++)
                        s += a[k] * W[(size_t)k * L->out + j];
                    b[j] = s;
                }
                break;
            }
/* every activation from the RF_ACTIVATIONS table, in double: x its input, a its alpha, and
 * the table's float libm calls made in double (finite differences need the precision) */
#define expf(v) exp(v)
#define tanhf(v) tanh(v)
#define TM_REF_ACTIVATION(E, name, takes_alpha, fwd, bwd, fwd_v, bwd_v, sign)                              \
    case RF_LAYER_##E: {                                                                                   \
        const double *in = a;                                                                              \
        for (int j = 0; j < L->out; j++) {                                                                 \
            const double x = in[j], a = L->alpha;                                                          \
            (void)a;                                                                                       \
            b[j] = (fwd);                                                                                  \
        }                                                                                                  \
        break;                                                                                             \
    }
                RF_ACTIVATIONS(TM_REF_ACTIVATION)
#undef TM_REF_ACTIVATION
#undef expf
#undef tanhf
            case RF_LAYER_DROPOUT:
                for (int j = 0; j < L->out; j++) {
                    if (!training || L->p == 0)
                        b[j] = a[j];
                    else if (L->p >= 1)
                        b[j] = 0;
                    else
                        b[j] = tm_keep(seed, step, i, (uint32_t)(r * L->out + j), L->p)
                                   ? a[j] * (double)(float)(1.0 / (1.0 - L->p))
                                   : 0;
                }
                break;
            default:
                break;
            }
            double *t = a;
            a = b;
            b = t;
        }
        if (out)
            for (int j = 0; j < m->outputs; j++)
                out[(size_t)r * m->outputs + j] = a[j];
        if (m->loss == RF_LOSS_SQUARED) {
            const float *t = (const float *)y + (size_t)r * m->outputs;
            for (int j = 0; j < m->outputs; j++)
                total += 0.5 * (a[j] - t[j]) * (a[j] - t[j]);
        } else {
            int label = ((const int32_t *)y)[r];
            double max = a[0], sum = 0;
            for (int j = 1; j < m->outputs; j++)
                max = a[j] > max ? a[j] : max;
            for (int j = 0; j < m->outputs; j++)
                sum += exp(a[j] - max);
            total += log(sum) + max - a[label];
        }
    }
    free(a);
    free(b);
    return total / n;
}

/* Targets for n rows: class labels or float targets. */
static inline void *tm_targets(const rf_model *m, int n)
{
    if (m->loss == RF_LOSS_SQUARED) {
        float *t = malloc((size_t)n * m->outputs * sizeof(float));
        tm_fill(t, (long)n * m->outputs, 1.0);
        return t;
    }
    int32_t *labels = malloc((size_t)n * sizeof(int32_t));
    for (int r = 0; r < n; r++)
        labels[r] = (int32_t)(tm_rand() * m->outputs) % m->outputs;
    return labels;
}

#endif
