/* NAME_init: every parameter per its YAML init, from the counter-based
 * generator (rf_random.h): element i of parameter tensor t (0-based, in
 * layer order) is
 *     normal STD:   STD * rf_normal(seed, RF_STREAM_INIT, t, i)
 *     uniform A:    A * (2 * rf_uniform(seed, RF_STREAM_INIT, t, i) - 1)
 *     constant C:   C
 * computed in double and stored as float; everything else (gradients,
 * optimizer state, activations, the counters) starts at zero, and the
 * hyperparameters at the model file's values (NAME_hparams_default). */
#include "emit_internal.h"

#include <stdio.h>
#include <string.h>

static int uses_init(const rf_plan *p, rf_init_kind kind)
{
    for (int i = 0; i < p->n_params; i++) {
        const rf_init *init = &p->params[i].init;
        if (init->kind == kind && (kind != RF_INIT_CONSTANT || init->value != 0))
            return 1;
    }
    return 0;
}

static void emit_helper_head(rf_codebuf *cb, const rf_plan *p, const char *kind, const char *last)
{
    char head[96];
    snprintf(head, sizeof head, "static void %s_init_%s(", p->name, kind);
    const char *with_seed[] = {"float *p", "int size", "uint64_t seed", "uint64_t tensor", last};
    const char *constant[] = {"float *p", "int size", last};
    if (strcmp(kind, "constant") == 0)
        rf_emit_signature(cb, head, constant, 3);
    else
        rf_emit_signature(cb, head, with_seed, 5);
}

static void emit_helpers(rf_codebuf *cb, const rf_plan *p)
{
    const char *n = p->name, *N = p->macro;
    if (uses_init(p, RF_INIT_NORMAL)) {
        rf_cb_line(cb, "/* p[i] = std * (normal number i of tensor t's init stream) */");
        emit_helper_head(cb, p, "normal", "double std");
        rf_cb_line(cb, "OMP_PARALLEL_FOR");
        rf_cb_open(cb, "for (int i = 0; i < size; i++) {");
        rf_cb_line(cb, "const double z = %s_normal(seed, %s_STREAM_INIT, tensor, (uint64_t)i);", n, N);
        rf_cb_line(cb, "p[i] = (float)(std * z);");
        rf_cb_close(cb, "}");
        rf_cb_close(cb, "}");
        rf_cb_line(cb, "");
    }
    if (uses_init(p, RF_INIT_UNIFORM)) {
        rf_cb_line(cb, "/* p[i] = a * (2u - 1), u uniform number i of tensor t's init stream: U(-a, a) */");
        emit_helper_head(cb, p, "uniform", "double a");
        rf_cb_line(cb, "OMP_PARALLEL_FOR");
        rf_cb_open(cb, "for (int i = 0; i < size; i++) {");
        rf_cb_line(cb, "const double u = %s_uniform(seed, %s_STREAM_INIT, tensor, (uint64_t)i);", n, N);
        rf_cb_line(cb, "p[i] = (float)(a * (2.0 * u - 1.0));");
        rf_cb_close(cb, "}");
        rf_cb_close(cb, "}");
        rf_cb_line(cb, "");
    }
    if (uses_init(p, RF_INIT_CONSTANT)) {
        emit_helper_head(cb, p, "constant", "float c");
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
    rf_cb_line(cb, "memset(m, 0, sizeof *m); /* gradients, optimizer state, activations, counters */");
    rf_cb_line(cb, "m->seed = seed;");
    rf_cb_line(cb, "%s_hparams h;", p->name);
    rf_cb_line(cb, "%s_hparams_default(&h);", p->name);
    rf_cb_line(cb, "%s_set_hparams(m, &h);", p->name);
    for (int i = 0; i < p->n_params; i++) {
        const rf_plan_buffer *buf = &p->buffers[p->params[i].value];
        const rf_plan_param *param = &p->params[i];
        const rf_init *init = &param->init;
        char name[96], target[RF_PLAN_IDENT + 8], size[2 * RF_PLAN_IDENT + 4], tensor[RF_PLAN_IDENT], value[64];
        snprintf(target, sizeof target, "m->%s%s", buf->name, buf->n_dims == 2 ? "[0]" : "");
        if (buf->n_dims == 2)
            snprintf(size, sizeof size, "%s * %s", buf->dims[0], buf->dims[1]);
        else
            snprintf(size, sizeof size, "%s", buf->dims[0]);
        snprintf(tensor, sizeof tensor, "%s", p->params[i].macro);
        if (init->kind == RF_INIT_CONSTANT && init->value == 0) {
            rf_cb_line(cb, "/* %s: 0 (zeroed above) */", param->name);
            continue;
        }
        if (init->kind == RF_INIT_NORMAL)
            rf_cb_line(cb, "/* %s: N(0, %g^2) */", param->name, init->value);
        else if (init->kind == RF_INIT_UNIFORM)
            rf_cb_line(cb, "/* %s: U(-%g, %g) */", param->name, init->value, init->value);
        else
            rf_cb_line(cb, "/* %s: constant %g */", param->name, init->value);
        if (init->kind == RF_INIT_CONSTANT) {
            rf_float_literal(init->value, value, sizeof value);
            snprintf(name, sizeof name, "%s_init_constant", p->name);
            const char *args[] = {target, size, value};
            rf_emit_call(cb, name, args, 3);
        } else {
            rf_double_literal(init->value, value, sizeof value);
            snprintf(name, sizeof name, "%s_init_%s", p->name, init->kind == RF_INIT_NORMAL ? "normal" : "uniform");
            const char *args[] = {target, size, "seed", tensor, value};
            rf_emit_call(cb, name, args, 5);
        }
    }
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
}
