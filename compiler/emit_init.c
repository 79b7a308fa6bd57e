/* NAME_init: every parameter per its YAML init, from the counter-based
 * generator (rf_random.h): element i of parameter tensor t (0-based, in
 * layer order) is
 *     normal STD:   STD * rf_normal(seed, RF_STREAM_INIT, t, i)
 *     uniform A:    A * (2 * rf_uniform(seed, RF_STREAM_INIT, t, i) - 1)
 *     constant C:   C
 * computed in double and stored as float; everything else (gradients,
 * velocities, activations, the step counter) starts at zero. */
#include "emit_internal.h"

#include <stdio.h>

static int uses_init(const rf_plan *p, rf_init_kind kind)
{
    for (int i = 0; i < p->model->n_params; i++)
        if (p->model->params[i].init.kind == kind && (kind != RF_INIT_CONSTANT || p->model->params[i].init.value != 0))
            return 1;
    return 0;
}

static void emit_helpers(rf_codebuf *cb, const rf_plan *p)
{
    const char *n = p->name, *N = p->macro;
    if (uses_init(p, RF_INIT_NORMAL)) {
        rf_cb_line(cb, "/* p[i] = std * (normal number i of tensor t's init stream) */");
        rf_cb_line(cb, "static void %s_init_normal(float *p, int size, uint64_t seed, uint64_t tensor, double std)", n);
        rf_cb_open(cb, "{");
        rf_cb_line(cb, "%s_OMP_PARALLEL_FOR", N);
        rf_cb_line(cb, "for (int i = 0; i < size; i++)");
        rf_cb_line(cb, "    p[i] = (float)(std * %s_normal(seed, %s_STREAM_INIT, tensor, (uint64_t)i));", n, N);
        rf_cb_close(cb, "}");
        rf_cb_line(cb, "");
    }
    if (uses_init(p, RF_INIT_UNIFORM)) {
        rf_cb_line(cb, "/* p[i] = a * (2u - 1), u uniform number i of tensor t's init stream: U(-a, a) */");
        rf_cb_line(cb, "static void %s_init_uniform(float *p, int size, uint64_t seed, uint64_t tensor, double a)", n);
        rf_cb_open(cb, "{");
        rf_cb_line(cb, "%s_OMP_PARALLEL_FOR", N);
        rf_cb_line(cb, "for (int i = 0; i < size; i++)");
        rf_cb_line(cb, "    p[i] = (float)(a * (2.0 * %s_uniform(seed, %s_STREAM_INIT, tensor, (uint64_t)i) - 1.0));",
                   n, N);
        rf_cb_close(cb, "}");
        rf_cb_line(cb, "");
    }
    if (uses_init(p, RF_INIT_CONSTANT)) {
        rf_cb_line(cb, "static void %s_init_constant(float *p, int size, float c)", n);
        rf_cb_open(cb, "{");
        rf_cb_line(cb, "for (int i = 0; i < size; i++)");
        rf_cb_line(cb, "    p[i] = c;");
        rf_cb_close(cb, "}");
        rf_cb_line(cb, "");
    }
}

void rf_emit_init(rf_codebuf *cb, const rf_plan *p)
{
    rf_cb_line(cb, "/* ---- Init ---- */");
    rf_cb_line(cb, "");
    emit_helpers(cb, p);
    rf_cb_line(cb, "void %s_init(%s_model *m, uint64_t seed)", p->name, p->name);
    rf_cb_open(cb, "{");
    rf_cb_line(cb, "memset(m, 0, sizeof *m); /* gradients, velocities, activations, step counter */");
    rf_cb_line(cb, "m->seed = seed;");
    for (int b = 0; b < p->n_buffers; b++) {
        const rf_plan_buffer *buf = &p->buffers[b];
        if (buf->role != RF_BUF_PARAM)
            continue;
        const rf_param *param = &p->model->params[buf->param];
        char size[200], value[64];
        if (buf->n_dims == 2)
            snprintf(size, sizeof size, "%s * %s", buf->dims[0], buf->dims[1]);
        else
            snprintf(size, sizeof size, "%s", buf->dims[0]);
        const char *row = buf->n_dims == 2 ? "[0]" : "";
        switch (param->init.kind) {
        case RF_INIT_NORMAL:
            rf_double_literal(param->init.value, value, sizeof value);
            rf_cb_line(cb, "/* %s: N(0, %g^2) */", param->name, param->init.value);
            rf_cb_line(cb, "%s_init_normal(m->%s%s, %s, seed, %d, %s);", p->name, buf->name, row, size, buf->param,
                       value);
            break;
        case RF_INIT_UNIFORM:
            rf_double_literal(param->init.value, value, sizeof value);
            rf_cb_line(cb, "/* %s: U(-%g, %g) */", param->name, param->init.value, param->init.value);
            rf_cb_line(cb, "%s_init_uniform(m->%s%s, %s, seed, %d, %s);", p->name, buf->name, row, size, buf->param,
                       value);
            break;
        case RF_INIT_CONSTANT:
            if (param->init.value == 0) {
                rf_cb_line(cb, "/* %s: 0 (zeroed above) */", param->name);
            } else {
                rf_float_literal(param->init.value, value, sizeof value);
                rf_cb_line(cb, "/* %s: constant %g */", param->name, param->init.value);
                rf_cb_line(cb, "%s_init_constant(m->%s%s, %s, %s);", p->name, buf->name, row, size, value);
            }
            break;
        }
    }
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
}
