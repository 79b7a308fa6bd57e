/* The update: the optimizers of SPEC 1a, each exactly the torch.optim
 * optimizer of its name, with one fused pass per parameter tensor. Per
 * element, with d the gradient of the mean data loss plus the coupled decay
 * terms:
 *     sgd       d = g + l2 w + l1 sign(w); with momentum, b = d at the first
 *               update, else b = momentum b + (1 - dampening) d, and
 *               d = nesterov ? d + momentum b : b;  w -= lr d
 *     adam      d = g + l2 w + l1 sign(w); m = beta1 m + (1 - beta1) d;
 *               v = beta2 v + (1 - beta2) d^2;
 *               w -= lr / (1 - beta1^t) m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 *     adamw     first w *= 1 - lr l2 (decoupled), then adam with d = g + l1 sign(w)
 * and last, for all three, the proximal step of lr l1_prox ||w||_1.
 *
 * The optimizer kind and nesterov are compile-time; every value (lr,
 * momentum, betas, per-tensor decay) is read from the model's hparams at
 * run time, so one compiled model serves any of them. The optimizer
 * interface: a state count (rf_model_state_per_param) and one tensor
 * function per optimizer, called once per parameter tensor. */
#include "emit_internal.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *fn;      /* the tensor function's name after NAME_: "sgd" */
    const char *summary; /* the section heading */
    void (*body)(rf_codebuf *cb, const rf_plan *p);
} rf_optimizer_emitter;

/* The element loop of sgd, with the l1 and l1_prox terms or without them. */
static void emit_sgd_loop(rf_codebuf *cb, const rf_plan *p, int with_l1)
{
    const char *n = p->name;
    const int momentum = p->n_state_per_param == 1, nesterov = p->nesterov;
    rf_cb_line(cb, "OMP_FOR_NOWAIT");
    rf_cb_open(cb, "for (int i = 0; i < size; i++) {");
    if (with_l1)
        rf_cb_line(cb, "const float d = g[i] + l2 * w[i] + l1 * %s_sign(w[i]);", n);
    else
        rf_cb_line(cb, "const float d = g[i] + l2 * w[i];");
    const char *step = momentum ? nesterov ? "(d + momentum * b[i])" : "b[i]" : "d";
    if (momentum)
        rf_cb_line(cb, "b[i] = keep * b[i] + take * d;");
    if (with_l1)
        rf_cb_line(cb, "w[i] = %s_shrink(w[i] - lr * %s, shrink);", n, step);
    else
        rf_cb_line(cb, "w[i] -= lr * %s;", step);
    rf_cb_close(cb, "}");
}

static void sgd_body(rf_codebuf *cb, const rf_plan *p)
{
    const char *n = p->name;
    const int momentum = p->n_state_per_param == 1, nesterov = p->nesterov;
    if (momentum) {
        rf_cb_line(cb, "/* One tensor: d = g + l2 w + l1 sign(w); b = d at the first update (and while");
        rf_cb_line(cb, " * momentum is 0), else b = momentum b + (1 - dampening) d; %s;",
                   nesterov ? "w -= lr (d + momentum b) (nesterov)" : "w -= lr b");
        rf_cb_line(cb, " * then the l1_prox step. */");
    } else {
        rf_cb_line(cb, "/* One tensor: d = g + l2 w + l1 sign(w); w -= lr d; then the l1_prox step. */");
    }
    char head[96];
    snprintf(head, sizeof head, "static void %s_sgd(", n);
    char hp[96];
    snprintf(hp, sizeof hp, "const %s_hparams *h", n);
    const char *plain[] = {"float *restrict w", "const float *restrict g", "int size", hp, "int tensor"};
    const char *with_b[] = {"float *restrict w", "const float *restrict g", "float *restrict b", "int size", hp,
                            "int tensor", "uint64_t t"};
    if (momentum)
        rf_emit_signature(cb, head, with_b, 7);
    else
        rf_emit_signature(cb, head, plain, 5);
    rf_cb_line(cb, "const float lr = h->lr, l2 = h->l2[tensor], l1 = h->l1[tensor];");
    rf_cb_line(cb, "const float shrink = lr * h->l1_prox[tensor];");
    if (momentum) {
        rf_cb_line(cb, "const int first = t == 1 || h->momentum == 0.0f; /* torch: b = d */");
        rf_cb_line(cb, "const float keep = first ? 0.0f : h->momentum, take = first ? 1.0f : 1.0f - h->dampening;");
        if (nesterov)
            rf_cb_line(cb, "const float momentum = h->momentum;");
    }
    /* the usual case, no l1 terms, has a loop of its own: computed as zeros they cost about
     * 15% of the seed MLP's update (measured with bench/phases.c) */
    rf_cb_open(cb, "if (l1 == 0.0f && shrink == 0.0f) {");
    emit_sgd_loop(cb, p, 0);
    rf_cb_line(cb, "return;");
    rf_cb_close(cb, "}");
    emit_sgd_loop(cb, p, 1);
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
}

static void adam_body(rf_codebuf *cb, const rf_plan *p)
{
    const char *n = p->name;
    const int decoupled = p->optimizer == RF_OPT_ADAMW;
    const char *fn = decoupled ? "adamw" : "adam";
    if (decoupled) {
        rf_cb_line(cb, "/* One tensor: w *= 1 - lr l2 (decoupled decay); d = g + l1 sign(w);");
        rf_cb_line(cb, " * exp_avg = beta1 exp_avg + (1 - beta1) d; exp_avg_sq = beta2 exp_avg_sq + (1 - beta2) d^2;");
    } else {
        rf_cb_line(cb, "/* One tensor: d = g + l2 w + l1 sign(w) (coupled decay);");
        rf_cb_line(cb, " * exp_avg = beta1 exp_avg + (1 - beta1) d; exp_avg_sq = beta2 exp_avg_sq + (1 - beta2) d^2;");
    }
    rf_cb_line(cb, " * w -= lr / (1 - beta1^t) exp_avg / (sqrt(exp_avg_sq) / sqrt(1 - beta2^t) + eps);");
    rf_cb_line(cb, " * then the l1_prox step. The bias corrections are computed in double, as torch does. */");
    char head[96], hp[96];
    snprintf(head, sizeof head, "static void %s_%s(", n, fn);
    snprintf(hp, sizeof hp, "const %s_hparams *h", n);
    const char *params[] = {"float *restrict w", "const float *restrict g", "float *restrict exp_avg",
                            "float *restrict exp_avg_sq", "int size", hp, "int tensor", "uint64_t t"};
    rf_emit_signature(cb, head, params, 8);
    rf_cb_line(cb, "const float step_size = (float)(h->lr / (1.0 - pow(h->beta1, (double)t)));");
    rf_cb_line(cb, "const float bc2_sqrt = (float)sqrt(1.0 - pow(h->beta2, (double)t));");
    rf_cb_line(cb, "const float beta1 = h->beta1, beta2 = h->beta2, eps = h->eps;");
    if (decoupled)
        rf_cb_line(cb, "const float decay = (float)(1.0 - (double)h->lr * h->l2[tensor]);");
    else
        rf_cb_line(cb, "const float l2 = h->l2[tensor];");
    rf_cb_line(cb, "const float l1 = h->l1[tensor], shrink = h->lr * h->l1_prox[tensor];");
    rf_cb_line(cb, "OMP_FOR_NOWAIT");
    rf_cb_open(cb, "for (int i = 0; i < size; i++) {");
    if (decoupled) {
        rf_cb_line(cb, "const float wi = w[i] * decay;");
        rf_cb_line(cb, "const float d = g[i] + l1 * %s_sign(wi);", n);
    } else {
        rf_cb_line(cb, "const float wi = w[i];");
        rf_cb_line(cb, "const float d = g[i] + l2 * wi + l1 * %s_sign(wi);", n);
    }
    rf_cb_line(cb, "exp_avg[i] = beta1 * exp_avg[i] + (1.0f - beta1) * d;");
    rf_cb_line(cb, "exp_avg_sq[i] = beta2 * exp_avg_sq[i] + (1.0f - beta2) * d * d;");
    rf_cb_line(cb, "const float denom = sqrtf(exp_avg_sq[i]) / bc2_sqrt + eps;");
    rf_cb_line(cb, "w[i] = %s_shrink(wi - step_size * exp_avg[i] / denom, shrink);", n);
    rf_cb_close(cb, "}");
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
}

static const rf_optimizer_emitter optimizers[RF_OPT_KIND_COUNT] = {
    [RF_OPT_SGD] = {"sgd", "sgd (torch.optim.SGD), l2 coupled", sgd_body},
    [RF_OPT_ADAM] = {"adam", "adam (torch.optim.Adam), l2 coupled", adam_body},
    [RF_OPT_ADAMW] = {"adamw", "adamw (torch.optim.AdamW), l2 decoupled", adam_body},
};

/* "decay group 2 (mlp.yaml:19)" or "no decay group" */
static void describe_decay(const rf_plan *p, const rf_plan_param *pp, char *buf, size_t len)
{
    if (pp->decay_group < 0) {
        snprintf(buf, len, "no decay group: l2, l1, l1_prox default to 0");
        return;
    }
    snprintf(buf, len, "decay group %d (%s:%d)", pp->decay_group + 1, p->source_name, pp->decay_line);
}

static void emit_helpers(rf_codebuf *cb, const rf_plan *p)
{
    const char *n = p->name;
    rf_cb_line(cb, "/* sign(w) with sign(0) = 0: the direction of the l1 term */");
    rf_cb_line(cb, "static inline float %s_sign(float w)", n);
    rf_cb_open(cb, "{");
    rf_cb_line(cb, "return w > 0.0f ? 1.0f : w < 0.0f ? -1.0f : 0.0f;");
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
    rf_cb_line(cb, "/* The proximal step of shrink ||w||_1: sign(w) max(|w| - shrink, 0), exact zeros");
    rf_cb_line(cb, " * included; shrink = 0 leaves w as it is, and a NaN stays NaN (a diverged run shows). */");
    rf_cb_line(cb, "static inline float %s_shrink(float w, float shrink)", n);
    rf_cb_open(cb, "{");
    rf_cb_line(cb, "const float a = fabsf(w) - shrink;");
    rf_cb_line(cb, "return a < 0.0f ? 0.0f : copysignf(a, w);");
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
}

void rf_emit_update(rf_codebuf *cb, const rf_plan *p)
{
    const rf_optimizer_emitter *o = &optimizers[p->optimizer];
    const char *n = p->name;
    rf_cb_line(cb, "/* ---- Update: %s, one fused pass per parameter tensor ----", o->summary);
    rf_cb_line(cb, " * Every value is a run-time hyperparameter (m->hp, %s_set_hparams). */", n);
    rf_cb_line(cb, "");
    if (p->n_params)
        emit_helpers(cb, p);
    if (p->n_params)
        o->body(cb, p);
    rf_cb_line(cb, "/* Every parameter tensor, on every thread of the caller's parallel region as its last");
    rf_cb_line(cb, " * step (no barrier); t counts the updates including this one. */");
    rf_cb_line(cb, "static void %s_update_params(%s_model *m)", n, n);
    rf_cb_open(cb, "{");
    if (!p->n_params) {
        rf_cb_line(cb, "(void)m; /* no parameters */");
        rf_cb_close(cb, "}");
        rf_cb_line(cb, "");
        return;
    }
    const int with_t = p->n_state_per_param > 0;
    rf_cb_line(cb, "const %s_hparams *h = &m->hp;", n);
    if (with_t)
        rf_cb_line(cb, "const uint64_t t = m->updates + 1;");
    for (int i = 0; i < p->n_params; i++) {
        const rf_plan_param *pp = &p->params[i];
        char decay[400], name[96], bufs[2 + RF_PLAN_MAX_STATE][RF_PLAN_IDENT + 8];
        describe_decay(p, pp, decay, sizeof decay);
        rf_cb_line(cb, "/* %s: %s */", pp->name, decay);
        const char *args[6 + RF_PLAN_MAX_STATE];
        int k = 0;
        const rf_plan_buffer *w = &p->buffers[pp->value], *g = &p->buffers[pp->grad];
        snprintf(bufs[0], sizeof bufs[0], "m->%s%s", w->name, w->n_dims == 2 ? "[0]" : "");
        snprintf(bufs[1], sizeof bufs[1], "m->%s%s", g->name, g->n_dims == 2 ? "[0]" : "");
        args[k++] = bufs[0];
        args[k++] = bufs[1];
        for (int s = 0; s < p->n_state_per_param; s++) {
            const rf_plan_buffer *b = &p->buffers[pp->state[s]];
            snprintf(bufs[2 + s], sizeof bufs[2 + s], "m->%s%s", b->name, b->n_dims == 2 ? "[0]" : "");
            args[k++] = bufs[2 + s];
        }
        args[k++] = pp->size;
        args[k++] = "h";
        args[k++] = pp->macro;
        if (with_t)
            args[k++] = "t";
        snprintf(name, sizeof name, "%s_%s", n, o->fn);
        rf_emit_call(cb, name, args, k);
    }
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
}
