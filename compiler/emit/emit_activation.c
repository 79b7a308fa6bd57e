/* Elementwise activations, all from the RF_ACTIVATIONS table of
 * layer_kinds.h: the math is printed as C text straight from the table (the
 * runtime's generic kernels and the tests compile the same rows), once per
 * activation present as small inline functions
 *     float NAME_relu(float x), float NAME_relu_grad(float y, float dy)
 * (with a float a, the layer's alpha, where the row takes one), and their
 * vector forms NAME_relu_v / NAME_relu_grad_v for the products' epilogues.
 * An unfused activation is a row-parallel loop over them; its backward
 * reads the layer's output (every derivative is a function of it). Adding
 * an activation is one row of the table. */
#include "emit_internal.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    rf_layer_kind kind;
    const char *name;
    int takes_alpha;
    const char *forward, *backward, *forward_v, *backward_v;
} rf_activation_text;

#define TEXT(E, name, alpha, fwd, bwd, fwd_v, bwd_v, sign) {RF_LAYER_##E, #name, alpha, #fwd, #bwd, #fwd_v, #bwd_v},
static const rf_activation_text activations[] = {RF_ACTIVATIONS(TEXT)};
#undef TEXT

static const rf_activation_text *text_of(rf_layer_kind kind)
{
    for (size_t i = 0; i < sizeof activations / sizeof activations[0]; i++)
        if (activations[i].kind == kind)
            return &activations[i];
    return &activations[0];
}

int rf_activation_takes_alpha(rf_layer_kind kind)
{
    return text_of(kind)->takes_alpha;
}

static int present(const rf_plan *p, rf_layer_kind kind, int fused_only)
{
    for (int i = 0; i < p->n_ops; i++)
        if (p->ops[i].kind == kind && (!fused_only || p->ops[i].fused))
            return 1;
    return 0;
}

/* Some layer of this kind is on the backward pass (so its derivative is needed). */
static int in_backward(const rf_plan *p, rf_layer_kind kind)
{
    for (int i = 0; i < p->n_ops; i++)
        if (p->ops[i].kind == kind && p->ops[i].backward)
            return 1;
    return 0;
}

/* The scalar functions of every activation in the model. */
static void activation_helpers(rf_codebuf *cb, const rf_plan *p)
{
    const char *n = p->name;
    for (size_t i = 0; i < sizeof activations / sizeof activations[0]; i++) {
        const rf_activation_text *a = &activations[i];
        if (!present(p, a->kind, 0))
            continue;
        const char *alpha = a->takes_alpha ? ", float a" : "";
        rf_cb_line(cb, "/* %s: y = f(x), and dx = f'(x) dy from the output y */", a->name);
        rf_cb_line(cb, "static inline float %s_%s(float x%s)", n, a->name, alpha);
        rf_cb_open(cb, "{");
        rf_cb_line(cb, "return %s;", a->forward);
        rf_cb_close(cb, "}");
        rf_cb_line(cb, "");
        if (!in_backward(p, a->kind))
            continue;
        rf_cb_line(cb, "static inline float %s_%s_grad(float y, float dy%s)", n, a->name, alpha);
        rf_cb_open(cb, "{");
        rf_cb_line(cb, "return %s;", a->backward);
        rf_cb_close(cb, "}");
        rf_cb_line(cb, "");
    }
}

void rf_emit_activation_vectors(rf_codebuf *cb, const rf_plan *p)
{
    const char *n = p->name;
    int select = 0;
    for (size_t i = 0; i < sizeof activations / sizeof activations[0]; i++)
        select |= present(p, activations[i].kind, 1) && (strstr(activations[i].forward_v, "vselect(") ||
                                                         strstr(activations[i].backward_v, "vselect("));
    if (select) {
        rf_cb_line(cb, "/* a where the lane's mask is all ones, else b */");
        rf_cb_line(cb, "ALWAYS_INLINE vf vselect(vi mask, vf a, vf b)");
        rf_cb_open(cb, "{");
        rf_cb_line(cb, "return (vf)(((vi)a & mask) | ((vi)b & ~mask));");
        rf_cb_close(cb, "}");
        rf_cb_line(cb, "");
    }
    for (size_t i = 0; i < sizeof activations / sizeof activations[0]; i++) {
        const rf_activation_text *a = &activations[i];
        if (!present(p, a->kind, 1))
            continue;
        const char *alpha = a->takes_alpha ? ", float a" : "";
        rf_cb_line(cb, "/* %s on VL lanes */", a->name);
        rf_cb_line(cb, "ALWAYS_INLINE vf %s_%s_v(vf x%s)", n, a->name, alpha);
        rf_cb_open(cb, "{");
        if (strcmp(a->forward_v, "RF_LANEWISE") == 0) {
            rf_cb_line(cb, "for (int lane = 0; lane < VL; lane++)");
            rf_cb_line(cb, "    x[lane] = %s_%s(x[lane]%s);", n, a->name, a->takes_alpha ? ", a" : "");
            rf_cb_line(cb, "return x;");
        } else {
            rf_cb_line(cb, "return %s;", a->forward_v);
        }
        rf_cb_close(cb, "}");
        rf_cb_line(cb, "");
        rf_cb_line(cb, "ALWAYS_INLINE vf %s_%s_grad_v(vf y, vf dy%s)", n, a->name, alpha);
        rf_cb_open(cb, "{");
        if (strcmp(a->backward_v, "RF_LANEWISE") == 0) {
            rf_cb_line(cb, "for (int lane = 0; lane < VL; lane++)");
            rf_cb_line(cb, "    dy[lane] = %s_%s_grad(y[lane], dy[lane]%s);", n, a->name, a->takes_alpha ? ", a" : "");
            rf_cb_line(cb, "return dy;");
        } else {
            rf_cb_line(cb, "return %s;", a->backward_v);
        }
        rf_cb_close(cb, "}");
        rf_cb_line(cb, "");
    }
}

static void activation_describe(const rf_plan_op *op, char *buf, size_t len)
{
    if (rf_activation_takes_alpha(op->kind))
        snprintf(buf, len, "%s alpha %g, %d units", rf_layer_kind_name(op->kind), op->alpha,
                 op->units_out);
    else
        snprintf(buf, len, "%s, %d units", rf_layer_kind_name(op->kind), op->units_out);
}

static void activation_shapes(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op)
{
    (void)p;
    rf_cb_line(cb, "#define %s %d", op->out_dim, op->units_out);
    if (rf_activation_takes_alpha(op->kind)) {
        char alpha[48];
        rf_float_literal(op->alpha, alpha, sizeof alpha);
        rf_cb_line(cb, "#define %s_ALPHA %s /* its slope below 0 */", op->macro, alpha);
    }
}

/* "NAME_relu(in[r][j])" or "NAME_leaky_relu(in[r][j], NAME_LAYER_ALPHA)" */
static void call_text(const rf_plan *p, const rf_plan_op *op, const char *suffix, const char *args, char *buf,
                      size_t len)
{
    const rf_activation_text *a = text_of(op->kind);
    if (a->takes_alpha)
        snprintf(buf, len, "%s_%s%s(%s, %s_ALPHA)", p->name, a->name, suffix, args, op->macro);
    else
        snprintf(buf, len, "%s_%s%s(%s)", p->name, a->name, suffix, args);
}

/* for each row (shared among threads) and unit: target = expression */
static void emit_elementwise(rf_codebuf *cb, const char *dim, const char *target, const char *expr)
{
    rf_cb_line(cb, "OMP_FOR");
    rf_cb_line(cb, "for (int r = 0; r < n; r++)");
    rf_cb_line(cb, "    for (int j = 0; j < %s; j++)", dim);
    rf_cb_line(cb, "        %s[r][j] = %s;", target, expr);
}

static void forward_ports(const rf_plan *p, const rf_plan_op *op, rf_ports *ps)
{
    char decl[160];
    snprintf(decl, sizeof decl, "float (*restrict out)[%s]", op->out_dim);
    rf_ports_buffer(ps, p, decl, op->out);
    snprintf(decl, sizeof decl, "const float (*restrict in)[%s]", op->in_dim);
    rf_ports_buffer(ps, p, decl, op->in);
    rf_ports_add(ps, "int n", "n");
}

static void backward_ports(const rf_plan *p, const rf_plan_op *op, rf_ports *ps)
{
    char decl[160];
    snprintf(decl, sizeof decl, "float (*restrict in_grad)[%s]", op->in_dim);
    rf_ports_buffer(ps, p, decl, op->in_grad);
    snprintf(decl, sizeof decl, "const float (*restrict out_grad)[%s]", op->out_dim);
    rf_ports_buffer(ps, p, decl, op->out_grad);
    snprintf(decl, sizeof decl, "const float (*restrict out)[%s]", op->out_dim);
    rf_ports_buffer(ps, p, decl, op->out);
    rf_ports_add(ps, "int n", "n");
}

static void activation_forward(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op)
{
    char expr[200];
    rf_cb_line(cb, "/* out = %s(in) */", text_of(op->kind)->name);
    rf_emit_step_signature(cb, p, op, 0);
    call_text(p, op, "", "in[r][j]", expr, sizeof expr);
    emit_elementwise(cb, op->out_dim, "out", expr);
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
}

static void activation_backward(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op)
{
    char expr[200];
    rf_cb_line(cb, "/* in_grad = %s'(in) out_grad, from the output */", text_of(op->kind)->name);
    rf_emit_step_signature(cb, p, op, 1);
    call_text(p, op, "_grad", "out[r][j], out_grad[r][j]", expr, sizeof expr);
    emit_elementwise(cb, op->in_dim, "in_grad", expr);
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
}

/* every RF_ACTIVATIONS kind */
const rf_layer_emitter rf_activation_emitter = {
    .describe = activation_describe,
    .shapes = activation_shapes,
    .helpers = activation_helpers,
    .forward = activation_forward,
    .backward = activation_backward,
    .forward_ports = forward_ports,
    .backward_ports = backward_ports,
};
