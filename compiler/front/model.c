/* Derived facts of a checked model: shapes, parameter list, decay
 * assignment, counts of parameters, FLOPs and bytes. */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *rf_layer_kind_name(rf_layer_kind k)
{
#define NAME(E, name) name,
    static const char *const names[] = {RF_LAYER_KINDS(NAME)};
#undef NAME
    return k >= 0 && k < RF_LAYER_KIND_COUNT ? names[k] : "?";
}

const char *rf_optimizer_name(rf_optimizer_kind k)
{
#define NAME(E, name) name,
    static const char *const names[] = {RF_OPTIMIZERS(NAME)};
#undef NAME
    return k >= 0 && k < RF_OPT_KIND_COUNT ? names[k] : "?";
}

int rf_layer_is_activation(rf_layer_kind k)
{
#define IS(E, ...) k == RF_LAYER_##E ||
    return RF_ACTIVATIONS(IS) 0;
#undef IS
}

int rf_model_state_per_param(const rf_model *m)
{
    if (m->optimizer == RF_OPT_ADAM || m->optimizer == RF_OPT_ADAMW)
        return 2;
    return m->momentum != 0 ? 1 : 0;
}

const char *rf_model_state_suffix(const rf_model *m, int k)
{
    if (m->optimizer == RF_OPT_SGD)
        return k == 0 ? "momentum" : "?";
    return k == 0 ? "exp_avg" : k == 1 ? "exp_avg_sq" : "?";
}

const char *rf_loss_name(rf_loss_kind k)
{
    return k == RF_LOSS_SQUARED ? "squared" : "softmax_cross_entropy";
}

const char *rf_precision_name(rf_precision k)
{
    return k == RF_PRECISION_BF16 ? "bf16" : "fp32";
}

int rf_glob_match(const char *pattern, const char *name)
{
    /* Iterative matcher with one backtrack point: linear in practice and
     * never exponential, whatever the pattern. */
    const char *star = NULL, *resume = NULL;
    while (*name) {
        if (*pattern == '*') {
            star = pattern++;
            resume = name;
        } else if (*pattern == '?' || *pattern == *name) {
            pattern++;
            name++;
        } else if (star) {
            pattern = star + 1;
            name = ++resume;
        } else {
            return 0;
        }
    }
    while (*pattern == '*')
        pattern++;
    return *pattern == '\0';
}

static int find_group(const rf_model *m, const char *param_name)
{
    for (int g = 0; g < m->n_groups; g++)
        for (int k = 0; k < m->groups[g].n_patterns; k++)
            if (rf_glob_match(m->groups[g].patterns[k], param_name))
                return g;
    return -1;
}

static void add_param(rf_model *m, int layer, int is_bias, int rows, int cols)
{
    rf_layer *L = &m->layers[layer];
    rf_param *p = &m->params[m->n_params];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s.%s", L->name, is_bias ? "bias" : "weight");
    p->layer = layer;
    p->is_bias = is_bias;
    p->rows = rows;
    p->cols = cols;
    p->size = (long)rows * cols;
    p->init = is_bias ? L->bias_init : L->weight_init;
    p->decay_group = find_group(m, p->name);
    if (p->decay_group >= 0) {
        p->l2 = m->groups[p->decay_group].l2;
        p->l1 = m->groups[p->decay_group].l1;
        p->l1_prox = m->groups[p->decay_group].l1_prox;
        m->groups[p->decay_group].matches++;
    }
    if (is_bias)
        L->bias_param = m->n_params;
    else
        L->weight_param = m->n_params;
    m->n_params++;
}

int rf_model_finish(rf_model *m)
{
    int n_dense = 0;
    for (int i = 0; i < m->n_layers; i++)
        n_dense += m->layers[i].kind == RF_LAYER_DENSE;
    free(m->params);
    m->params = calloc(n_dense > 0 ? 2 * (size_t)n_dense : 1, sizeof *m->params);
    if (!m->params)
        return -1;
    m->n_params = 0;
    for (int g = 0; g < m->n_groups; g++)
        m->groups[g].matches = 0;

    int width = m->input, k = 0;
    m->n_dropout = 0;
    for (int i = 0; i < m->n_layers; i++) {
        rf_layer *L = &m->layers[i];
        L->in = width;
        L->weight_param = L->bias_param = -1;
        L->dense_index = 0;
        L->dropout_index = L->kind == RF_LAYER_DROPOUT ? m->n_dropout++ : -1;
        if (L->kind == RF_LAYER_DENSE) {
            L->dense_index = ++k;
            if (L->name[0] == '\0')
                snprintf(L->name, sizeof L->name, "dense%d", k);
            L->out = L->units;
            add_param(m, i, 0, L->in, L->out);
            add_param(m, i, 1, 1, L->out);
        } else {
            L->out = width;
        }
        width = L->out;
    }
    m->outputs = width;
    return 0;
}

long rf_model_param_count(const rf_model *m)
{
    long n = 0;
    for (int i = 0; i < m->n_params; i++)
        n += m->params[i].size;
    return n;
}

/* Per layer, per full batch: dense forward 2*B*in*out (+B*out bias);
 * backward 2*B*in*out for dW, 2*B*in*out for dX (skipped for the first
 * layer, whose input needs no gradient), B*out for db. Elementwise layers
 * count one FLOP per element each way; the loss ~4 per output element. */
double rf_model_predict_flops(const rf_model *m)
{
    double B = m->batch, f = 0;
    for (int i = 0; i < m->n_layers; i++) {
        const rf_layer *L = &m->layers[i];
        if (L->kind == RF_LAYER_DENSE)
            f += 2.0 * B * L->in * L->out + B * L->out;
        else if (L->kind != RF_LAYER_DROPOUT)
            f += B * L->out;
    }
    return f;
}

double rf_model_train_flops(const rf_model *m)
{
    double B = m->batch, f = 0;
    int first_dense = 1;
    for (int i = 0; i < m->n_layers; i++) {
        const rf_layer *L = &m->layers[i];
        if (L->kind == RF_LAYER_DENSE) {
            f += 2.0 * B * L->in * L->out + B * L->out;      /* forward */
            f += 2.0 * B * L->in * L->out + B * L->out;      /* dW, db */
            if (!first_dense)
                f += 2.0 * B * L->in * L->out;               /* dX */
            first_dense = 0;
        } else {
            f += 2.0 * B * L->out;
        }
    }
    f += 4.0 * B * m->outputs;                               /* loss */
    for (int p = 0; p < m->n_params; p++)
        f += 3.0 * m->params[p].size;                        /* fused update */
    return f;
}

double rf_model_bytes(const rf_model *m)
{
    double B = m->batch, floats = 0;
    double per_param = 2 + rf_model_state_per_param(m); /* value, grad, optimizer state */
    floats += per_param * (double)rf_model_param_count(m);
    floats += 2.0 * B * m->input; /* input staging + its slack */
    for (int i = 0; i < m->n_layers; i++)
        floats += 2.0 * B * m->layers[i].out; /* activation and its gradient */
    return 4.0 * floats;
}

int rf_model_for_build(const rf_model *m, rf_model *out)
{
    *out = *m;
    out->path = out->source = NULL;
    out->source_len = 0;
    out->groups = NULL;
    out->n_groups = 0;
    memset(&out->data, 0, sizeof out->data);
    out->layers = malloc((m->n_layers ? (size_t)m->n_layers : 1) * sizeof *out->layers);
    out->params = malloc((m->n_params ? (size_t)m->n_params : 1) * sizeof *out->params);
    if (!out->layers || !out->params) {
        rf_model_free_build_copy(out);
        return -1;
    }
    memcpy(out->layers, m->layers, (size_t)m->n_layers * sizeof *out->layers);
    memcpy(out->params, m->params, (size_t)m->n_params * sizeof *out->params);
    static const rf_pos nowhere;
    for (int i = 0; i < m->n_layers; i++) {
        rf_layer *L = &out->layers[i];
        L->pos = L->weight_init.pos = L->bias_init.pos = nowhere;
        L->p = 0;
    }
    for (int i = 0; i < m->n_params; i++) {
        rf_param *q = &out->params[i];
        q->decay_group = -1;
        q->l2 = q->l1 = q->l1_prox = 0;
        q->init.pos = nowhere;
    }
    /* the values are set at run time; a state tensor stays where momentum is used */
    out->lr = 0;
    out->momentum = m->momentum != 0 ? 0.9 : 0;
    out->dampening = 0;
    out->beta1 = 0.9;
    out->beta2 = 0.999;
    out->eps = 1e-8;
    out->train = (rf_train){0};
    out->loss_pos = out->optimizer_pos = out->precision_pos = nowhere;
    return 0;
}

void rf_model_free_build_copy(rf_model *m)
{
    free(m->layers);
    free(m->params);
    memset(m, 0, sizeof *m);
}

void rf_model_free(rf_model *m)
{
    if (!m)
        return;
    free(m->path);
    free(m->source);
    free(m->layers);
    for (int g = 0; g < m->n_groups; g++) {
        for (int k = 0; k < m->groups[g].n_patterns; k++)
            free(m->groups[g].patterns[k]);
        free(m->groups[g].patterns);
    }
    free(m->groups);
    free(m->params);
    free(m->data.train_images);
    free(m->data.train_labels);
    free(m->data.test_images);
    free(m->data.test_labels);
    free(m->data.csv_train);
    free(m->data.csv_test);
    memset(m, 0, sizeof *m);
}
