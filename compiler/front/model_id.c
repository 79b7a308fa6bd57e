/* rf_model_identity (see model_id.h). */
#include "model_id.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *text;
    size_t len, cap;
    int failed;
} idbuf;

__attribute__((format(printf, 2, 3))) static void line(idbuf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->len;
        int n = b->text ? vsnprintf(b->text + b->len, room, fmt, ap) : -1;
        va_end(ap);
        if (n >= 0 && (size_t)n + 1 < room) {
            b->len += (size_t)n;
            b->text[b->len++] = '\n';
            b->text[b->len] = '\0';
            return;
        }
        size_t cap = b->cap ? 2 * b->cap : 1024;
        char *t = realloc(b->text, cap);
        if (!t) {
            b->failed = 1;
            return;
        }
        b->text = t;
        b->cap = cap;
    }
}

static const char *init_name(rf_init_kind k)
{
    return k == RF_INIT_NORMAL ? "normal" : k == RF_INIT_UNIFORM ? "uniform" : "constant";
}

static void layers(idbuf *b, const rf_model *m)
{
    for (int i = 0; i < m->n_layers; i++) {
        const rf_layer *L = &m->layers[i];
        switch (L->kind) {
        case RF_LAYER_DENSE:
            line(b, "layer %d: dense %s %d, weight %s %.17g, bias %s %.17g", i, L->name, L->units,
                 init_name(L->weight_init.kind), L->weight_init.value, init_name(L->bias_init.kind),
                 L->bias_init.value);
            break;
        case RF_LAYER_DROPOUT:
            line(b, "layer %d: dropout %.17g", i, L->p);
            break;
        case RF_LAYER_LEAKY_RELU:
            line(b, "layer %d: leaky_relu %.17g", i, L->alpha);
            break;
        default:
            line(b, "layer %d: %s", i, rf_layer_kind_name(L->kind));
            break;
        }
    }
}

static void protocol(idbuf *b, const rf_train *t, rf_id_scope scope)
{
    if (scope == RF_ID_ALL)
        line(b, "epochs: %d", t->epochs);
    line(b, "seed: %llu", (unsigned long long)t->seed);
    line(b, "validation: %.17g", t->validation);
    switch (t->schedule) {
    case RF_SCHED_CONSTANT:
        line(b, "schedule: constant");
        break;
    case RF_SCHED_STEP:
        line(b, "schedule: step every %d gamma %.17g", t->step_every, t->gamma);
        break;
    case RF_SCHED_EXPONENTIAL:
        line(b, "schedule: exponential gamma %.17g", t->gamma);
        break;
    case RF_SCHED_COSINE:
        line(b, "schedule: cosine min_lr %.17g over %d epochs", t->min_lr,
             t->cosine_epochs > 0 ? t->cosine_epochs : t->epochs - t->warmup_epochs);
        break;
    }
    line(b, "warmup_epochs: %d", t->warmup_epochs);
    if (t->early_stopping)
        line(b, "early_stopping: patience %d min_delta %.17g monitor %s", t->patience, t->min_delta,
             t->monitor == RF_MONITOR_VALID_ACC ? "valid_acc" : "valid_loss");
}

static void data(idbuf *b, const rf_data *d)
{
    switch (d->kind) {
    case RF_DATA_NONE:
        line(b, "data: none");
        break;
    case RF_DATA_FASHION_MNIST:
        line(b, "data: fashion-mnist");
        break;
    case RF_DATA_MNIST:
        line(b, "data: mnist");
        break;
    case RF_DATA_IDX:
        line(b, "data: idx %s %s %s %s", d->train_images, d->train_labels, d->test_images, d->test_labels);
        break;
    case RF_DATA_CSV:
        line(b, "data: csv %s %s", d->csv_train, d->csv_test);
        break;
    case RF_DATA_SYNTHETIC_LINEAR:
        line(b, "data: synthetic_linear n_train %d n_test %d w %.17g b %.17g noise %.17g", d->n_train, d->n_test, d->w,
             d->b, d->noise);
        break;
    }
}

char *rf_model_identity(const rf_model *m, rf_id_scope scope)
{
    idbuf b = {0};
    line(&b, "regfitc model identity 1");
    line(&b, "name: %s", m->name);
    line(&b, "input: %d", m->input);
    line(&b, "batch: %d", m->batch);
    layers(&b, m);
    line(&b, "loss: %s", rf_loss_name(m->loss));
    line(&b, "optimizer: %s lr %.17g momentum %.17g dampening %.17g nesterov %d betas %.17g %.17g eps %.17g",
         rf_optimizer_name(m->optimizer), m->lr, m->momentum, m->dampening, m->nesterov, m->beta1, m->beta2,
         m->eps);
    if (m->precision != RF_PRECISION_FP32) /* absent for fp32: older runs keep their identity */
        line(&b, "precision: %s", rf_precision_name(m->precision));
    for (int i = 0; i < m->n_params; i++) {
        const rf_param *p = &m->params[i];
        line(&b, "param %s: l2 %.17g l1 %.17g l1_prox %.17g", p->name, p->l2, p->l1, p->l1_prox);
    }
    protocol(&b, &m->train, scope);
    data(&b, &m->data);
    if (b.failed) {
        free(b.text);
        return NULL;
    }
    return b.text;
}
