/* The --check summary: what the model is, at a glance. */
#include "summary.h"

#include "frontend.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void rf_format_count(double x, char *buf, size_t size)
{
    char digits[64];
    snprintf(digits, sizeof digits, "%.0f", fabs(x));
    size_t n = strlen(digits), o = 0;
    char tmp[96];
    if (x < 0)
        tmp[o++] = '-';
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            tmp[o++] = ',';
        tmp[o++] = digits[i];
    }
    tmp[o] = '\0';
    snprintf(buf, size, "%s", tmp);
}

void rf_format_bytes(double bytes, char *buf, size_t size)
{
    static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (bytes >= 1024 && u < 4) {
        bytes /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, size, "%.0f bytes", bytes);
    else
        snprintf(buf, size, "%.1f %s", bytes, units[u]);
}

static const char *data_name(const rf_data *d)
{
    switch (d->kind) {
    case RF_DATA_FASHION_MNIST: return "fashion-mnist";
    case RF_DATA_MNIST: return "mnist";
    case RF_DATA_IDX: return "idx files";
    case RF_DATA_CSV: return "csv files";
    case RF_DATA_SYNTHETIC_LINEAR: return "synthetic_linear";
    default: return "none";
    }
}

static void print_layers(const rf_model *m, FILE *out)
{
    fprintf(out, "\n  %-4s %-5s %-16s %-10s %-14s %s\n", "#", "line", "layer", "kind",
            "output", "notes");
    fprintf(out, "  %-4s %-5s %-16s %-10s [%d, %d]\n", "", "", "(input)", "", m->batch, m->input);
    for (int i = 0; i < m->n_layers; i++) {
        const rf_layer *L = &m->layers[i];
        char shape[40], notes[96] = "";
        snprintf(shape, sizeof shape, "[%d, %d]", m->batch, L->out);
        /* (shape padded only when notes follow, so lines carry no trailing blanks) */
        if (L->kind == RF_LAYER_DROPOUT)
            snprintf(notes, sizeof notes, "p = %g", L->p);
        else if (L->kind == RF_LAYER_LEAKY_RELU)
            snprintf(notes, sizeof notes, "alpha = %g", L->alpha);
        fprintf(out, notes[0] ? "  %-4d %-5d %-16s %-10s %-14s" : "  %-4d %-5d %-16s %-10s %s", i + 1, L->pos.line,
                L->kind == RF_LAYER_DENSE ? L->name : "-", rf_layer_kind_name(L->kind), shape);
        if (notes[0])
            fprintf(out, " %s", notes);
        fprintf(out, "\n");
    }
}

static void describe_init(const rf_init *in, char *buf, size_t size)
{
    switch (in->kind) {
    case RF_INIT_NORMAL: snprintf(buf, size, "normal(%g)", in->value); break;
    case RF_INIT_UNIFORM: snprintf(buf, size, "uniform(%g)", in->value); break;
    default: snprintf(buf, size, "constant(%g)", in->value); break;
    }
}

static void print_params(const rf_model *m, FILE *out)
{
    /* l2 is added to the gradient (coupled) for sgd and adam, applied to the weights
     * (decoupled) for adamw */
    const char *how = m->optimizer == RF_OPT_ADAMW ? " decoupled" : " coupled";
    fprintf(out, "\n  %-24s %-14s %12s  %-20s %-10s %-10s %-16s %s\n", "parameter", "shape", "elements",
            "l2", "l1", "l1_prox", "decay group", "init");
    for (int i = 0; i < m->n_params; i++) {
        const rf_param *p = &m->params[i];
        char shape[40], count[40], l2[40] = "-", l1[24] = "-", prox[24] = "-", group[40] = "none", init[48];
        if (p->is_bias)
            snprintf(shape, sizeof shape, "[%d]", p->cols);
        else
            snprintf(shape, sizeof shape, "[%d, %d]", p->rows, p->cols);
        rf_format_count((double)p->size, count, sizeof count);
        if (p->decay_group >= 0) {
            snprintf(l2, sizeof l2, "%g%s", p->l2, p->l2 != 0 ? how : "");
            snprintf(l1, sizeof l1, "%g", p->l1);
            snprintf(prox, sizeof prox, "%g", p->l1_prox);
            snprintf(group, sizeof group, "%d (line %d)", p->decay_group + 1,
                     m->groups[p->decay_group].pos.line);
        }
        describe_init(&p->init, init, sizeof init);
        fprintf(out, "  %-24s %-14s %12s  %-20s %-10s %-10s %-16s %s\n", p->name, shape, count, l2, l1, prox,
                group, init);
    }
}

/* The protocol line (SPEC 1b), when the file asks for more than epochs. */
static void print_protocol(const rf_train *t, FILE *out)
{
    if (t->validation == 0 && t->schedule == RF_SCHED_CONSTANT && t->warmup_epochs == 0 && !t->early_stopping)
        return;
    fprintf(out, "  validation %g", t->validation);
    switch (t->schedule) {
    case RF_SCHED_CONSTANT:
        fprintf(out, ", constant lr");
        break;
    case RF_SCHED_STEP:
        fprintf(out, ", lr x %g every %d epochs", t->gamma, t->step_every);
        break;
    case RF_SCHED_EXPONENTIAL:
        fprintf(out, ", lr x %g every epoch", t->gamma);
        break;
    case RF_SCHED_COSINE:
        fprintf(out, ", cosine lr down to %g over %d epochs", t->min_lr,
                t->cosine_epochs > 0 ? t->cosine_epochs : t->epochs - t->warmup_epochs);
        break;
    }
    if (t->warmup_epochs > 0)
        fprintf(out, " after %d warm-up epochs", t->warmup_epochs);
    if (t->early_stopping)
        fprintf(out, "; early stopping on %s, patience %d, min_delta %g",
                t->monitor == RF_MONITOR_VALID_ACC ? "valid_acc" : "valid_loss", t->patience, t->min_delta);
    fprintf(out, "\n");
}

void rf_print_summary(const rf_model *m, FILE *out)
{
    char a[64], b[64];
    fprintf(out, "model %s (%s): ok\n", m->name, m->path ? m->path : "?");
    fprintf(out, "  input %d, batch %d, outputs %d, loss %s", m->input, m->batch, m->outputs,
            rf_loss_name(m->loss));
    /* the default (fp32) is not named, so fp32 summaries read as before SPEC 1c */
    if (m->precision != RF_PRECISION_FP32)
        fprintf(out, ", precision %s (products of bf16-rounded inputs, fp32 sums)",
                rf_precision_name(m->precision));
    fprintf(out, "\n");
    if (m->optimizer == RF_OPT_SGD)
        fprintf(out, "  sgd lr %g, momentum %g, dampening %g%s", m->lr, m->momentum, m->dampening,
                m->nesterov ? ", nesterov" : "");
    else
        fprintf(out, "  %s lr %g, betas [%g, %g], eps %g", rf_optimizer_name(m->optimizer), m->lr, m->beta1,
                m->beta2, m->eps);
    fprintf(out, "; %d epochs, seed %llu; data %s\n", m->train.epochs, (unsigned long long)m->train.seed,
            data_name(&m->data));
    print_protocol(&m->train, out);
    print_layers(m, out);
    print_params(m, out);
    rf_format_count((double)rf_model_param_count(m), a, sizeof a);
    fprintf(out, "\ntotal parameters:        %s\n", a);
    double flops = rf_model_train_flops(m);
    rf_format_count(flops, a, sizeof a);
    fprintf(out, "FLOPs per training step: %s (%.3g GFLOP)\n", a, flops / 1e9);
    double bytes = rf_model_bytes(m);
    rf_format_count(bytes, a, sizeof a);
    rf_format_bytes(bytes, b, sizeof b);
    fprintf(out, "memory of the model:     %s bytes (%s)\n", a, b);
}
