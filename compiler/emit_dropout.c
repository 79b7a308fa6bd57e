/* Dropout with drop probability p, inverted scaling.
 *
 * In training, element (r, j) of a batch survives when
 * rf_dropout_bits(key, r * UNITS + j) >= floor(p * 2^32), with key =
 * rf_dropout_key(seed, step, layer) (runtime/rf_random.h): the mask is a
 * pure function of (seed, step, layer, row, unit), whatever thread computes
 * it, and the loop over a row is plain 32-bit integer arithmetic the
 * compiler vectorises. Survivors are scaled by 1/(1-p); the mask keeps that
 * factor (or 0) per element for the backward pass. p = 0 is the identity
 * and p = 1 zeroes everything, exactly, without random bits; in evaluation
 * (training = 0) every dropout layer is the identity. */
#include "emit_internal.h"

#include <stdio.h>

static int has_mask(const rf_plan_op *op)
{
    return op->layer->p > 0 && op->layer->p < 1;
}

static void dropout_describe(const rf_plan_op *op, char *buf, size_t len)
{
    snprintf(buf, len, "dropout p = %g, %d units", op->layer->p, op->layer->out);
}

static void dropout_shapes(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op)
{
    (void)p;
    rf_cb_line(cb, "#define %s %d", op->out_dim, op->layer->out);
}

/* for each row (shared among threads) and unit: target = expr */
static void emit_rows(rf_codebuf *cb, const char *dim, const char *target, const char *expr)
{
    rf_cb_line(cb, "OMP_FOR");
    rf_cb_line(cb, "for (int r = 0; r < n; r++)");
    rf_cb_line(cb, "    for (int j = 0; j < %s; j++)", dim);
    rf_cb_line(cb, "        %s[r][j] = %s;", target, expr);
}

void rf_emit_dropout_constants(rf_codebuf *cb, const rf_plan_op *op)
{
    char scale[48];
    rf_float_literal(1.0 / (1.0 - op->layer->p), scale, sizeof scale);
    rf_cb_line(cb, "/* %s: a unit survives when its random bits are >= THRESHOLD = floor(p * 2^32);",
               op->name);
    rf_cb_line(cb, " * survivors are scaled by SCALE = 1 / (1 - p). */");
    rf_cb_line(cb, "#define %s_THRESHOLD %uu", op->macro, (unsigned)(uint32_t)(op->layer->p * 4294967296.0));
    rf_cb_line(cb, "#define %s_SCALE %s", op->macro, scale);
    rf_cb_line(cb, "");
}

static void dropout_forward(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op)
{
    const double prob = op->layer->p;
    char head[160], out[128], mask[128], in[128];
    snprintf(head, sizeof head, "static void %s_%s_forward(", p->name, op->name);
    snprintf(out, sizeof out, "float (*restrict out)[%s]", op->out_dim);
    snprintf(mask, sizeof mask, "float (*restrict mask)[%s]", op->out_dim);
    snprintf(in, sizeof in, "const float (*restrict in)[%s]", op->in_dim);
    if (prob == 0) {
        rf_cb_line(cb, "/* p = 0: out = in */");
        const char *params[] = {out, in, "int n"};
        rf_emit_signature(cb, head, params, 3);
        emit_rows(cb, op->out_dim, "out", "in[r][j]");
        rf_cb_close(cb, "}");
        rf_cb_line(cb, "");
        return;
    }
    if (!has_mask(op)) {
        rf_cb_line(cb, "/* p = 1: out = 0 in training, out = in in evaluation */");
        const char *params[] = {out, in, "int n", "int training"};
        rf_emit_signature(cb, head, params, 4);
        emit_rows(cb, op->out_dim, "out", "training ? 0.0f : in[r][j]");
        rf_cb_close(cb, "}");
        rf_cb_line(cb, "");
        return;
    }
    rf_emit_dropout_constants(cb, op);
    rf_cb_line(cb, "/* Training: mask = this step's mask (0 or SCALE), out = in * mask. Evaluation: out = in. */");
    const char *params[] = {out, mask, in, "int n", "uint64_t key", "int training"};
    rf_emit_signature(cb, head, params, 6);
    rf_cb_open(cb, "if (!training) {");
    emit_rows(cb, op->out_dim, "out", "in[r][j]");
    rf_cb_line(cb, "return;");
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "/* element (r, j) has index r * UNITS + j */");
    rf_cb_line(cb, "OMP_FOR");
    rf_cb_open(cb, "for (int r = 0; r < n; r++) {");
    rf_cb_line(cb, "const uint32_t row_start = (uint32_t)r * %s;", op->out_dim);
    rf_cb_open(cb, "for (int j = 0; j < %s; j++) {", op->out_dim);
    rf_cb_line(cb, "const uint32_t bits = %s_dropout_bits(key, row_start + (uint32_t)j);", p->name);
    rf_cb_line(cb, "mask[r][j] = bits >= %s_THRESHOLD ? %s_SCALE : 0.0f;", op->macro, op->macro);
    rf_cb_line(cb, "out[r][j] = in[r][j] * mask[r][j];");
    rf_cb_close(cb, "}");
    rf_cb_close(cb, "}");
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
}

static void dropout_backward(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op)
{
    const double prob = op->layer->p;
    char head[160], in_grad[128], out_grad[128], mask[128];
    snprintf(head, sizeof head, "static void %s_%s_backward(", p->name, op->name);
    snprintf(in_grad, sizeof in_grad, "float (*restrict in_grad)[%s]", op->in_dim);
    snprintf(out_grad, sizeof out_grad, "const float (*restrict out_grad)[%s]", op->out_dim);
    snprintf(mask, sizeof mask, "const float (*restrict mask)[%s]", op->out_dim);
    if (prob == 0) {
        rf_cb_line(cb, "/* in_grad = out_grad */");
        const char *params[] = {in_grad, out_grad, "int n"};
        rf_emit_signature(cb, head, params, 3);
        emit_rows(cb, op->in_dim, "in_grad", "out_grad[r][j]");
    } else if (!has_mask(op)) {
        rf_cb_line(cb, "/* in_grad = 0 in training, out_grad in evaluation */");
        const char *params[] = {in_grad, out_grad, "int n", "int training"};
        rf_emit_signature(cb, head, params, 4);
        emit_rows(cb, op->in_dim, "in_grad", "training ? 0.0f : out_grad[r][j]");
    } else {
        rf_cb_line(cb, "/* in_grad = out_grad * mask in training, out_grad in evaluation */");
        const char *params[] = {in_grad, out_grad, mask, "int n", "int training"};
        rf_emit_signature(cb, head, params, 5);
        emit_rows(cb, op->in_dim, "in_grad", "training ? out_grad[r][j] * mask[r][j] : out_grad[r][j]");
    }
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
}

static void dropout_forward_call(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op)
{
    char name[128], out[96], mask[96], in[96], key[160];
    snprintf(name, sizeof name, "%s_%s_forward", p->name, op->name);
    rf_plan_ref(p, op->out, out, sizeof out);
    rf_plan_ref(p, op->in, in, sizeof in);
    if (op->layer->p == 0) {
        const char *args[] = {out, in, "n"};
        rf_emit_call(cb, name, args, 3);
    } else if (!has_mask(op)) {
        const char *args[] = {out, in, "n", "training"};
        rf_emit_call(cb, name, args, 4);
    } else {
        snprintf(key, sizeof key, "%s_dropout_key(m->seed, m->step, %d)", p->name, op->layer_index);
        const char *args[] = {out, rf_plan_ref(p, op->mask, mask, sizeof mask), in, "n", key, "training"};
        rf_emit_call(cb, name, args, 6);
    }
}

static void dropout_backward_call(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op)
{
    char name[128], in_grad[96], out_grad[96], mask[96];
    snprintf(name, sizeof name, "%s_%s_backward", p->name, op->name);
    rf_plan_ref(p, op->in_grad, in_grad, sizeof in_grad);
    rf_plan_ref(p, op->out_grad, out_grad, sizeof out_grad);
    if (op->layer->p == 0) {
        const char *args[] = {in_grad, out_grad, "n"};
        rf_emit_call(cb, name, args, 3);
    } else if (!has_mask(op)) {
        const char *args[] = {in_grad, out_grad, "n", "training"};
        rf_emit_call(cb, name, args, 4);
    } else {
        const char *args[] = {in_grad, out_grad, rf_plan_ref(p, op->mask, mask, sizeof mask), "n", "training"};
        rf_emit_call(cb, name, args, 5);
    }
}

const rf_layer_emitter rf_dropout_emitter = {
    .kind = RF_LAYER_DROPOUT,
    .describe = dropout_describe,
    .shapes = dropout_shapes,
    .helpers = NULL,
    .forward = dropout_forward,
    .backward = dropout_backward,
    .forward_call = dropout_forward_call,
    .backward_call = dropout_backward_call,
};
