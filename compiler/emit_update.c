/* The update: per parameter tensor one fused pass
 *     w -= lr * (g + l2 * w + l1 * sign(w))
 * or with momentum
 *     v = momentum * v + (g + l2 * w + l1 * sign(w)),  w -= lr * v
 * with the coefficients written into the code as constants and no term at
 * all for a zero coefficient. Elements are independent: the loops are
 * shared among threads without any reduction. */
#include "emit_internal.h"

#include <stdio.h>
#include <string.h>

static int any_l1(const rf_plan *p)
{
    for (int i = 0; i < p->model->n_params; i++)
        if (p->model->params[i].l1 != 0)
            return 1;
    return 0;
}

/* "g[i] + 0.0001f * w[i] + 0.001f * mlp_sign(w[i])"; *compound when it has a '+'. */
static void direction(const rf_plan *p, const rf_param *param, char *buf, size_t len, int *compound)
{
    char lit[48];
    size_t o = (size_t)snprintf(buf, len, "g[i]");
    *compound = 0;
    if (param->l2 != 0 && o < len) {
        rf_float_literal(param->l2, lit, sizeof lit);
        o += (size_t)snprintf(buf + o, len - o, " + %s * w[i]", lit);
        *compound = 1;
    }
    if (param->l1 != 0 && o < len) {
        rf_float_literal(param->l1, lit, sizeof lit);
        snprintf(buf + o, len - o, " + %s * %s_sign(w[i])", lit, p->name);
        *compound = 1;
    }
}

static void describe_decay(const rf_plan *p, const rf_param *param, char *buf, size_t len)
{
    if (param->decay_group < 0) {
        snprintf(buf, len, "no decay");
        return;
    }
    char src[300];
    rf_emit_source_name(p, src, sizeof src);
    const rf_decay_group *g = &p->model->groups[param->decay_group];
    char l2[64] = "", l1[64] = "";
    if (param->l2 != 0)
        snprintf(l2, sizeof l2, "l2 %g", param->l2);
    if (param->l1 != 0)
        snprintf(l1, sizeof l1, "%sl1 %g", param->l2 != 0 ? ", " : "", param->l1);
    snprintf(buf, len, "%s%s%s (decay group %d, %s:%d)", l2, l1, param->l2 == 0 && param->l1 == 0 ? "no decay" : "",
             param->decay_group + 1, src, g->pos.line);
}

static void emit_param_update(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op, int is_bias)
{
    const rf_model *m = p->model;
    const rf_param *param = &m->params[is_bias ? op->layer->bias_param : op->layer->weight_param];
    const rf_plan_buffer *w = &p->buffers[is_bias ? op->bias : op->weight];
    const rf_plan_buffer *g = &p->buffers[is_bias ? op->bias_grad : op->weight_grad];
    const rf_plan_buffer *v = p->has_momentum ? &p->buffers[is_bias ? op->bias_velocity : op->weight_velocity] : NULL;
    char decay[400], dir[200], lr[48], momentum[48], size[200];
    int compound;
    describe_decay(p, param, decay, sizeof decay);
    direction(p, param, dir, sizeof dir, &compound);
    rf_float_literal(m->lr, lr, sizeof lr);
    rf_float_literal(m->momentum, momentum, sizeof momentum);
    if (w->n_dims == 2)
        snprintf(size, sizeof size, "%s * %s", w->dims[0], w->dims[1]);
    else
        snprintf(size, sizeof size, "%s", w->dims[0]);
    const char *row = w->n_dims == 2 ? "[0]" : "";

    rf_cb_line(cb, "/* %s: %s */", param->name, decay);
    if (!v && m->lr == 0) {
        rf_cb_line(cb, "/* lr = 0: unchanged */");
        return;
    }
    rf_cb_open(cb, "{");
    rf_cb_line(cb, "float *w = m->%s%s;", w->name, row);
    rf_cb_line(cb, "const float *g = m->%s%s;", g->name, row);
    if (v)
        rf_cb_line(cb, "float *v = m->%s%s;", v->name, row);
    rf_cb_line(cb, "OMP_FOR_NOWAIT");
    if (v) {
        rf_cb_open(cb, "for (int i = 0; i < %s; i++) {", size);
        rf_cb_line(cb, "v[i] = %s * v[i] + %s%s%s;", momentum, compound ? "(" : "", dir, compound ? ")" : "");
        if (m->lr == 1)
            rf_cb_line(cb, "w[i] -= v[i];");
        else if (m->lr != 0)
            rf_cb_line(cb, "w[i] -= %s * v[i];", lr);
        rf_cb_close(cb, "}");
    } else {
        rf_cb_line(cb, "for (int i = 0; i < %s; i++)", size);
        if (m->lr == 1)
            rf_cb_line(cb, "    w[i] -= %s;", dir);
        else
            rf_cb_line(cb, "    w[i] -= %s * %s%s%s;", lr, compound ? "(" : "", dir, compound ? ")" : "");
    }
    rf_cb_close(cb, "}");
}

void rf_emit_update(rf_codebuf *cb, const rf_plan *p)
{
    const rf_model *m = p->model;
    char lr[48], momentum[48];
    snprintf(lr, sizeof lr, "%g", m->lr);
    snprintf(momentum, sizeof momentum, "%g", m->momentum);
    rf_cb_line(cb, "/* ---- Update: SGD, lr %s%s%s, one fused pass per parameter ---- */", lr,
               p->has_momentum ? ", momentum " : "", p->has_momentum ? momentum : "");
    rf_cb_line(cb, "");
    if (any_l1(p)) {
        rf_cb_line(cb, "/* sign(w) with sign(0) = 0: the L1 term's direction */");
        rf_cb_line(cb, "static inline float %s_sign(float w)", p->name);
        rf_cb_open(cb, "{");
        rf_cb_line(cb, "return w > 0.0f ? 1.0f : w < 0.0f ? -1.0f : 0.0f;");
        rf_cb_close(cb, "}");
        rf_cb_line(cb, "");
    }
    if (p->has_momentum)
        rf_cb_line(cb, "/* v = momentum * v + (g + l2 * w + l1 * sign(w)), w -= lr * v, per element.");
    else
        rf_cb_line(cb, "/* w -= lr * (g + l2 * w + l1 * sign(w)), per element.");
    rf_cb_line(cb, " * Runs on every thread of the caller's parallel region, as its last step (no barrier). */");
    rf_cb_line(cb, "static void %s_update_params(%s_model *m)", p->name, p->name);
    rf_cb_open(cb, "{");
    int any = 0;
    for (int i = 0; i < p->n_ops; i++) {
        const rf_plan_op *op = &p->ops[i];
        if (op->layer->kind != RF_LAYER_DENSE)
            continue;
        emit_param_update(cb, p, op, 0);
        emit_param_update(cb, p, op, 1);
        any = 1;
    }
    if (!any)
        rf_cb_line(cb, "(void)m; /* no parameters */");
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
}
