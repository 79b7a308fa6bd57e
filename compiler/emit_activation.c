/* Elementwise activations: relu, sigmoid, tanh. Each is a row-parallel
 * loop with one expression forward and one backward; the backward reads the
 * layer's output (all three derivatives are functions of it). Adding an
 * activation is one line in the table below and an emitter entry. */
#include "emit_internal.h"

#include <stdio.h>

typedef struct {
    rf_layer_kind kind;
    const char *forward, *forward_doc;   /* of in[r][j] */
    const char *backward, *backward_doc; /* of out[r][j] and out_grad[r][j] */
} rf_activation;

static const rf_activation activations[] = {
    {RF_LAYER_RELU, "in[r][j] > 0.0f ? in[r][j] : 0.0f", "out = max(in, 0)",
     "out[r][j] > 0.0f ? out_grad[r][j] : 0.0f", "in_grad = out_grad where the unit was positive, else 0"},
    {RF_LAYER_SIGMOID, "1.0f / (1.0f + expf(-in[r][j]))", "out = 1 / (1 + exp(-in))",
     "out_grad[r][j] * out[r][j] * (1.0f - out[r][j])", "in_grad = out_grad * out * (1 - out)"},
    {RF_LAYER_TANH, "tanhf(in[r][j])", "out = tanh(in)",
     "out_grad[r][j] * (1.0f - out[r][j] * out[r][j])", "in_grad = out_grad * (1 - out^2)"},
};

static const rf_activation *activation_of(const rf_plan_op *op)
{
    for (size_t i = 0; i < sizeof activations / sizeof activations[0]; i++)
        if (activations[i].kind == op->layer->kind)
            return &activations[i];
    return &activations[0];
}

static void activation_describe(const rf_plan_op *op, char *buf, size_t len)
{
    snprintf(buf, len, "%s, %d units", rf_layer_kind_name(op->layer->kind), op->layer->out);
}

static void activation_shapes(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op)
{
    (void)p;
    rf_cb_line(cb, "#define %s %d", op->out_dim, op->layer->out);
}

/* for each row (shared among threads) and unit: target = expression */
static void emit_elementwise(rf_codebuf *cb, const char *dim, const char *target,
                             const char *expr)
{
    rf_cb_line(cb, "OMP_FOR");
    rf_cb_line(cb, "for (int r = 0; r < n; r++)");
    rf_cb_line(cb, "    for (int j = 0; j < %s; j++)", dim);
    rf_cb_line(cb, "        %s[r][j] = %s;", target, expr);
}

static void activation_forward(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op)
{
    const rf_activation *a = activation_of(op);
    char head[160], out[128], in[128];
    rf_cb_line(cb, "/* %s */", a->forward_doc);
    snprintf(head, sizeof head, "static void %s_%s_forward(", p->name, op->name);
    snprintf(out, sizeof out, "float (*restrict out)[%s]", op->out_dim);
    snprintf(in, sizeof in, "const float (*restrict in)[%s]", op->in_dim);
    const char *params[] = {out, in, "int n"};
    rf_emit_signature(cb, head, params, 3);
    emit_elementwise(cb, op->out_dim, "out", a->forward);
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
}

static void activation_backward(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op)
{
    const rf_activation *a = activation_of(op);
    char head[160], in_grad[128], out_grad[128], out[128];
    rf_cb_line(cb, "/* %s */", a->backward_doc);
    snprintf(head, sizeof head, "static void %s_%s_backward(", p->name, op->name);
    snprintf(in_grad, sizeof in_grad, "float (*restrict in_grad)[%s]", op->in_dim);
    snprintf(out_grad, sizeof out_grad, "const float (*restrict out_grad)[%s]", op->out_dim);
    snprintf(out, sizeof out, "const float (*restrict out)[%s]", op->out_dim);
    const char *params[] = {in_grad, out_grad, out, "int n"};
    rf_emit_signature(cb, head, params, 4);
    emit_elementwise(cb, op->in_dim, "in_grad", a->backward);
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
}

static void activation_forward_call(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op)
{
    char name[128], out[96], in[96];
    snprintf(name, sizeof name, "%s_%s_forward", p->name, op->name);
    const char *args[] = {rf_plan_ref(p, op->out, out, sizeof out), rf_plan_ref(p, op->in, in, sizeof in), "n"};
    rf_emit_call(cb, name, args, 3);
}

static void activation_backward_call(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op)
{
    char name[128], in_grad[96], out_grad[96], out[96];
    snprintf(name, sizeof name, "%s_%s_backward", p->name, op->name);
    const char *args[] = {rf_plan_ref(p, op->in_grad, in_grad, sizeof in_grad),
                          rf_plan_ref(p, op->out_grad, out_grad, sizeof out_grad),
                          rf_plan_ref(p, op->out, out, sizeof out), "n"};
    rf_emit_call(cb, name, args, 4);
}

#define RF_ACTIVATION_EMITTER(KIND)                                                                        \
    {                                                                                                      \
        .kind = KIND, .describe = activation_describe, .shapes = activation_shapes, .helpers = NULL,       \
        .forward = activation_forward, .backward = activation_backward,                                    \
        .forward_call = activation_forward_call, .backward_call = activation_backward_call,                \
    }

const rf_layer_emitter rf_relu_emitter = RF_ACTIVATION_EMITTER(RF_LAYER_RELU);
const rf_layer_emitter rf_sigmoid_emitter = RF_ACTIVATION_EMITTER(RF_LAYER_SIGMOID);
const rf_layer_emitter rf_tanh_emitter = RF_ACTIVATION_EMITTER(RF_LAYER_TANH);
