/* The generic model: a layer list interpreted at run time over the kernels
 * of generic_kernels.h. It owns every buffer for one batch: parameters,
 * gradients and the optimizer's state tensors (one allocation each, a
 * tensor per 64-byte aligned slice), each layer's output, dropout masks,
 * and two ping-pong buffers for the gradient flowing backwards. */
#include "generic.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "generic_kernels.h"
#include "rf_random.h"

#define ALIGN_BYTES 64
#define ALIGN_FLOATS (ALIGN_BYTES / (long)sizeof(float))
/* Largest buffer in elements: dropout indexes [row][unit] with 32 bits. */
#define MAX_ELEMENTS 0x7fffffffL

/* How the last forward of a dropout layer treated its input. */
typedef enum {
    DROP_PASS, /* identity: p = 0 or not training; output aliases input */
    DROP_MASK, /* inverted dropout with the mask in keep[] */
    DROP_ZERO  /* p = 1: all zeros */
} drop_mode;

typedef struct {
    rf_layer_kind kind;
    int in, out;
    int weight, bias;    /* parameter indices (dense), else -1 */
    double p;            /* drop probability (dropout) */
    float alpha;         /* slope for x < 0 (leaky_relu) */
    float *buf;          /* [batch][out] owned output storage (NULL for dropout's pass) */
    const float *y;      /* [n][out] output of the last forward: buf or an alias */
    uint8_t *keep;       /* [batch][out] dropout mask of the last training forward */
    drop_mode mode;
} generic_layer;

typedef struct {
    long size, offset; /* elements; offset into values, grads and each state buffer */
    rf_gk_decay decay;
    rf_init init;
} generic_param;

struct rf_generic {
    int batch, inputs, outputs;
    rf_loss_kind loss;
    int bf16;            /* precision bf16: the products round their inputs */
    rf_gk_optimizer opt;
    uint64_t seed, step; /* step: training forwards since init */
    uint64_t updates;    /* updates since init: t of SPEC 1a is updates + 1 during one */
    int n_layers, n_params;
    int first_dense;     /* layers before it need no backward; n_layers if none */
    generic_layer *layers;
    generic_param *params;
    float *values, *grads; /* all tensors, each at params[i].offset */
    int state_per_param;   /* 0 (plain sgd), 1 (sgd momentum buffer), 2 (adam's m and v) */
    float *state[2];       /* same layout each; NULL beyond state_per_param */
    float *dbuf[2];        /* [batch][widest] gradients of activations, ping-pong */
    float *row_loss;       /* [batch] */
};

static void *alloc_aligned(long count, size_t elem)
{
    size_t bytes = (size_t)count * elem;
    bytes = (bytes + ALIGN_BYTES - 1) / ALIGN_BYTES * ALIGN_BYTES;
    return aligned_alloc(ALIGN_BYTES, bytes ? bytes : ALIGN_BYTES);
}

static long round_up(long count, long to)
{
    return (count + to - 1) / to * to;
}

/* Shapes an rf_generic can hold: positive, and every buffer addressable. */
static int model_usable(const rf_model *m)
{
    if (!m || m->batch < 1 || m->input < 1 || m->n_layers < 0 || m->n_params < 0)
        return 0;
    if ((m->n_layers > 0 && !m->layers) || (m->n_params > 0 && !m->params))
        return 0;
    if ((int)m->optimizer < 0 || m->optimizer >= RF_OPT_KIND_COUNT)
        return 0;
    if ((double)m->batch * m->input > MAX_ELEMENTS)
        return 0;
    for (int j = 0; j < m->n_params; j++)
        if (m->params[j].size < 1 || m->params[j].size > MAX_ELEMENTS)
            return 0;
    int width = m->input; /* each layer must take what the previous one gives */
    for (int i = 0; i < m->n_layers; i++) {
        const rf_layer *L = &m->layers[i];
        if (L->kind < 0 || L->kind >= RF_LAYER_KIND_COUNT || L->in != width || L->out < 1)
            return 0;
        if ((double)m->batch * L->out > MAX_ELEMENTS)
            return 0;
        if (L->kind == RF_LAYER_DENSE) {
            if (L->weight_param < 0 || L->weight_param >= m->n_params ||
                L->bias_param < 0 || L->bias_param >= m->n_params)
                return 0;
            const rf_param *W = &m->params[L->weight_param], *b = &m->params[L->bias_param];
            if (W->size != (long)L->in * L->out || b->size != L->out)
                return 0;
        } else if (L->out != L->in) {
            return 0;
        }
        if (L->kind == RF_LAYER_DROPOUT && !(L->p >= 0.0 && L->p <= 1.0))
            return 0;
        width = L->out;
    }
    return m->outputs == width;
}

void rf_generic_free(rf_generic *g)
{
    if (!g)
        return;
    if (g->layers)
        for (int i = 0; i < g->n_layers; i++) {
            free(g->layers[i].buf);
            free(g->layers[i].keep);
        }
    free(g->layers);
    free(g->params);
    free(g->values);
    free(g->grads);
    free(g->state[0]);
    free(g->state[1]);
    free(g->dbuf[0]);
    free(g->dbuf[1]);
    free(g->row_loss);
    free(g);
}

rf_generic *rf_generic_new(const rf_model *m)
{
    if (!model_usable(m))
        return NULL;
    rf_generic *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->batch = m->batch;
    g->inputs = m->input;
    g->outputs = m->outputs;
    g->loss = m->loss;
    g->bf16 = m->precision == RF_PRECISION_BF16;
    g->opt = (rf_gk_optimizer){.kind = m->optimizer, .lr = m->lr, .momentum = m->momentum,
                               .dampening = m->dampening, .beta1 = m->beta1,
                               .beta2 = m->beta2, .eps = m->eps, .nesterov = m->nesterov};
    g->state_per_param = rf_model_state_per_param(m);
    g->n_layers = m->n_layers;
    g->n_params = m->n_params;
    g->first_dense = m->n_layers;
    g->layers = calloc(m->n_layers > 0 ? (size_t)m->n_layers : 1, sizeof *g->layers);
    g->params = calloc(m->n_params > 0 ? (size_t)m->n_params : 1, sizeof *g->params);
    if (!g->layers || !g->params)
        goto oom;

    long total = 0;
    for (int j = 0; j < m->n_params; j++) {
        generic_param *P = &g->params[j];
        P->size = m->params[j].size;
        P->offset = total;
        P->decay = (rf_gk_decay){m->params[j].l2, m->params[j].l1, m->params[j].l1_prox};
        P->init = m->params[j].init;
        total += round_up(P->size, ALIGN_FLOATS);
    }
    g->values = alloc_aligned(total, sizeof(float));
    g->grads = alloc_aligned(total, sizeof(float));
    if (!g->values || !g->grads)
        goto oom;
    memset(g->values, 0, (size_t)total * sizeof(float));
    memset(g->grads, 0, (size_t)total * sizeof(float));
    for (int k = 0; k < g->state_per_param; k++) {
        if (!(g->state[k] = alloc_aligned(total, sizeof(float))))
            goto oom;
        memset(g->state[k], 0, (size_t)total * sizeof(float));
    }

    long widest = m->input;
    for (int i = 0; i < m->n_layers; i++) {
        const rf_layer *L = &m->layers[i];
        generic_layer *G = &g->layers[i];
        long count = (long)m->batch * L->out;
        G->kind = L->kind;
        G->in = L->in;
        G->out = L->out;
        G->weight = L->kind == RF_LAYER_DENSE ? L->weight_param : -1;
        G->bias = L->kind == RF_LAYER_DENSE ? L->bias_param : -1;
        G->p = (float)L->p; /* a float hyperparameter, as in the generated code: the same masks */
        G->alpha = (float)L->alpha;
        G->buf = alloc_aligned(count, sizeof(float));
        if (!G->buf)
            goto oom;
        if (L->kind == RF_LAYER_DROPOUT && !(G->keep = alloc_aligned(count, 1)))
            goto oom;
        if (L->kind == RF_LAYER_DENSE && g->first_dense == m->n_layers)
            g->first_dense = i;
        if (L->out > widest)
            widest = L->out;
    }
    for (int b = 0; b < 2; b++)
        if (!(g->dbuf[b] = alloc_aligned((long)m->batch * widest, sizeof(float))))
            goto oom;
    if (!(g->row_loss = alloc_aligned(m->batch, sizeof(float))))
        goto oom;
    return g;
oom:
    rf_generic_free(g);
    return NULL;
}

int rf_generic_num_params(const rf_generic *g)
{
    return g ? g->n_params : 0;
}

float *rf_generic_param(rf_generic *g, int i)
{
    return g && i >= 0 && i < g->n_params ? g->values + g->params[i].offset : NULL;
}

float *rf_generic_grad(rf_generic *g, int i)
{
    return g && i >= 0 && i < g->n_params ? g->grads + g->params[i].offset : NULL;
}

int rf_generic_num_state(const rf_generic *g)
{
    return g ? g->state_per_param * g->n_params : 0;
}

float *rf_generic_state(rf_generic *g, int i)
{
    if (!g || i < 0 || i >= rf_generic_num_state(g))
        return NULL;
    return g->state[i % g->state_per_param] + g->params[i / g->state_per_param].offset;
}

uint64_t rf_generic_updates(const rf_generic *g)
{
    return g ? g->updates : 0;
}

void rf_generic_init(rf_generic *g, uint64_t seed)
{
    if (!g)
        return;
    g->seed = seed;
    g->step = 0;
    g->updates = 0;
    for (int t = 0; t < g->n_params; t++) {
        const generic_param *P = &g->params[t];
        float *w = g->values + P->offset;
        const double v = P->init.value;
        /* Element i is a pure function of (seed, t, i): any split works. */
        switch (P->init.kind) {
        case RF_INIT_NORMAL:
#pragma omp parallel for schedule(static) if (P->size >= RF_GK_PARALLEL_MIN)
            for (long i = 0; i < P->size; i++)
                w[i] = (float)(v * rf_normal(seed, RF_STREAM_INIT, (uint64_t)t, (uint64_t)i));
            break;
        case RF_INIT_UNIFORM:
#pragma omp parallel for schedule(static) if (P->size >= RF_GK_PARALLEL_MIN)
            for (long i = 0; i < P->size; i++)
                w[i] = (float)(v * (2.0 * rf_uniform(seed, RF_STREAM_INIT, (uint64_t)t,
                                                     (uint64_t)i) - 1.0));
            break;
        case RF_INIT_CONSTANT:
            for (long i = 0; i < P->size; i++)
                w[i] = (float)v;
            break;
        }
        memset(g->grads + P->offset, 0, (size_t)P->size * sizeof(float));
        for (int k = 0; k < g->state_per_param; k++)
            memset(g->state[k] + P->offset, 0, (size_t)P->size * sizeof(float));
    }
}

/* n in [1, batch], x present, and (softmax CE) every label in [0, outputs). */
static int input_ok(const rf_generic *g, const float *x, const void *y, int n)
{
    if (!g || !x || !y || n < 1 || n > g->batch)
        return 0;
    if (g->loss == RF_LOSS_SOFTMAX_CE) {
        const int32_t *labels = y;
        for (int r = 0; r < n; r++)
            if (labels[r] < 0 || labels[r] >= g->outputs)
                return 0;
    }
    return 1;
}

static void dropout_forward(rf_generic *g, int index, const float *in, int n, int training)
{
    generic_layer *L = &g->layers[index];
    if (!training || L->p == 0.0) {
        L->mode = DROP_PASS;
        L->y = in;
    } else if (L->p == 1.0) {
        L->mode = DROP_ZERO;
        memset(L->buf, 0, (size_t)n * L->out * sizeof(float));
        L->y = L->buf;
    } else {
        L->mode = DROP_MASK;
        uint64_t key = rf_dropout_key(g->seed, g->step, (uint64_t)index);
        rf_gk_dropout_forward(in, L->buf, L->keep, n, L->out, key,
                              rf_dropout_threshold(L->p), (float)(1.0 / (1.0 - L->p)));
        L->y = L->buf;
    }
}

/* Runs every layer on n rows of x; returns the network's output [n][outputs]. */
static const float *forward(rf_generic *g, const float *x, int n, int training)
{
    const float *in = x;
    for (int i = 0; i < g->n_layers; i++) {
        generic_layer *L = &g->layers[i];
        switch (L->kind) {
        case RF_LAYER_DENSE:
            rf_gk_dense_forward(in, g->values + g->params[L->weight].offset,
                                g->values + g->params[L->bias].offset, L->buf, n, L->in, L->out, g->bf16);
            L->y = L->buf;
            break;
        case RF_LAYER_DROPOUT:
            dropout_forward(g, i, in, n, training);
            break;
        default:
            rf_gk_activation_forward(L->kind, L->alpha, in, L->buf, (long)n * L->out);
            L->y = L->buf;
            break;
        }
        in = L->y;
    }
    if (training)
        g->step++;
    return in;
}

/* dz [n][outputs] is the loss gradient, in dbuf[0]. Walks the layers back
 * to the first dense one, writing every parameter gradient. */
static void backward(rf_generic *g, const float *x, const float *dz, int n)
{
    const float *dy = dz;
    for (int i = g->n_layers - 1; i >= g->first_dense; i--) {
        generic_layer *L = &g->layers[i];
        const float *in = i > 0 ? g->layers[i - 1].y : x;
        float *dx = g->dbuf[dy == g->dbuf[0] ? 1 : 0];
        long count = (long)n * L->out;
        switch (L->kind) {
        case RF_LAYER_DENSE: {
            const generic_param *W = &g->params[L->weight], *b = &g->params[L->bias];
            rf_gk_dense_backward_params(in, dy, g->grads + W->offset, g->grads + b->offset,
                                        n, L->in, L->out, g->bf16);
            if (i > g->first_dense)
                rf_gk_dense_backward_input(dy, g->values + W->offset, dx, n, L->in, L->out, g->bf16);
            break;
        }
        case RF_LAYER_DROPOUT:
            if (L->mode == DROP_PASS)
                dx = (float *)dy; /* identity: pass the gradient through */
            else if (L->mode == DROP_ZERO)
                memset(dx, 0, (size_t)count * sizeof(float));
            else
                rf_gk_dropout_backward(dy, L->keep, dx, count, (float)(1.0 / (1.0 - L->p)));
            break;
        default:
            rf_gk_activation_backward(L->kind, L->alpha, L->y, dy, dx, count);
            break;
        }
        dy = dx;
    }
}

float rf_generic_loss_grad(rf_generic *g, const float *x, const void *y, int n, int training)
{
    if (!input_ok(g, x, y, n))
        return NAN;
    const float *z = forward(g, x, n, training);
    float *dz = g->dbuf[0];
    float loss = g->loss == RF_LOSS_SOFTMAX_CE
                     ? rf_gk_softmax_ce(z, y, dz, g->row_loss, n, g->outputs)
                     : rf_gk_squared(z, y, dz, g->row_loss, n, g->outputs);
    backward(g, x, dz, n);
    return loss;
}

float rf_generic_train_step(rf_generic *g, const float *x, const void *y, int n)
{
    if (!input_ok(g, x, y, n))
        return NAN;
    float loss = rf_generic_loss_grad(g, x, y, n, 1);
    rf_generic_update(g);
    return loss;
}

void rf_generic_update(rf_generic *g)
{
    if (!g)
        return;
    g->updates++;
    for (int t = 0; t < g->n_params; t++) {
        const generic_param *P = &g->params[t];
        float *s0 = g->state[0] ? g->state[0] + P->offset : NULL;
        float *s1 = g->state[1] ? g->state[1] + P->offset : NULL;
        rf_gk_update(&g->opt, &P->decay, g->updates, g->values + P->offset,
                     g->grads + P->offset, s0, s1, P->size);
    }
}

void rf_generic_predict(rf_generic *g, const float *x, int n, float *out)
{
    if (!g || !x || !out || n < 1 || n > g->batch)
        return;
    const float *z = forward(g, x, n, 0);
    memcpy(out, z, (size_t)n * g->outputs * sizeof(float));
}
