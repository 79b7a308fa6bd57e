/* Dropout with drop probability p, inverted scaling; p is a run-time
 * hyperparameter (hparams.dropout[k]).
 *
 * In training, element (r, j) of a batch survives when
 * rf_dropout_bits(key, r * UNITS + j) >= threshold = floor(p * 2^32) (r the
 * row's index in the global batch: a pass over some row shards of it starts
 * at row0 = m->shards.row0), with
 * key = rf_dropout_key(seed, step, layer) (runtime/rf_random.h): the mask
 * is a pure function of (seed, step, layer, row, unit), whatever thread
 * computes it, and the loop over a row is plain 32-bit integer arithmetic
 * the compiler vectorises. Survivors are scaled by 1/(1-p); the mask keeps
 * that factor (or 0) per element for the backward pass. NAME_set_hparams
 * derives threshold and scale once: p = 0 gives threshold 0 and scale 1
 * (the identity, exactly), p = 1 scale 0 (all zeros). In evaluation
 * (training = 0) every dropout layer is the identity. */
#include "emit_internal.h"

#include <stdio.h>

static void dropout_describe(const rf_plan_op *op, char *buf, size_t len)
{
    snprintf(buf, len, "dropout, %d units, p at run time", op->units_out);
}

static void dropout_shapes(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op)
{
    (void)p;
    rf_cb_line(cb, "#define %s %d", op->out_dim, op->units_out);
}

/* for each row (shared among threads) and unit: target = expr */
static void emit_rows(rf_codebuf *cb, const char *dim, const char *target, const char *expr)
{
    rf_cb_line(cb, "OMP_FOR");
    rf_cb_line(cb, "for (int r = 0; r < n; r++)");
    rf_cb_line(cb, "    for (int j = 0; j < %s; j++)", dim);
    rf_cb_line(cb, "        %s[r][j] = %s;", target, expr);
}

void rf_dropout_mask_ports(rf_ports *ps, const rf_plan *p, const rf_plan_op *drop)
{
    rf_ports_add(ps, "uint64_t key", "%s_dropout_key(m->seed, m->forward_steps, %s)", p->name, drop->dropout_layer);
    rf_ports_add(ps, "uint32_t threshold", "m->dropout_threshold[%s]", drop->dropout_index);
    rf_ports_add(ps, "uint32_t index0", "(uint32_t)m->shards.row0 * %s", drop->out_dim);
    rf_ports_add(ps, "float scale", "m->dropout_scale[%s]", drop->dropout_index);
}

static void forward_ports(const rf_plan *p, const rf_plan_op *op, rf_ports *ps)
{
    char decl[160];
    snprintf(decl, sizeof decl, "float (*restrict out)[%s]", op->out_dim);
    rf_ports_buffer(ps, p, decl, op->out);
    snprintf(decl, sizeof decl, "float (*restrict mask)[%s]", op->out_dim);
    rf_ports_buffer(ps, p, decl, op->mask);
    snprintf(decl, sizeof decl, "const float (*restrict in)[%s]", op->in_dim);
    rf_ports_buffer(ps, p, decl, op->in);
    rf_ports_add(ps, "int n", "n");
    rf_dropout_mask_ports(ps, p, op);
    rf_ports_add(ps, "int training", "training");
}

static void backward_ports(const rf_plan *p, const rf_plan_op *op, rf_ports *ps)
{
    char decl[160];
    snprintf(decl, sizeof decl, "float (*restrict in_grad)[%s]", op->in_dim);
    rf_ports_buffer(ps, p, decl, op->in_grad);
    snprintf(decl, sizeof decl, "const float (*restrict out_grad)[%s]", op->out_dim);
    rf_ports_buffer(ps, p, decl, op->out_grad);
    snprintf(decl, sizeof decl, "const float (*restrict mask)[%s]", op->out_dim);
    rf_ports_buffer(ps, p, decl, op->mask);
    rf_ports_add(ps, "int n", "n");
    rf_ports_add(ps, "int training", "training");
}

static void dropout_forward(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op)
{
    rf_cb_line(cb, "/* Training: mask = this step's mask (0 or scale), out = in * mask. Evaluation: out = in. */");
    rf_emit_step_signature(cb, p, op, 0);
    rf_cb_open(cb, "if (!training) {");
    emit_rows(cb, op->out_dim, "out", "in[r][j]");
    rf_cb_line(cb, "return;");
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "/* element (r, j) has index (row0 + r) * UNITS + j, row0 the pass's first global row */");
    rf_cb_line(cb, "OMP_FOR");
    rf_cb_open(cb, "for (int r = 0; r < n; r++) {");
    rf_cb_line(cb, "const uint32_t row_start = index0 + (uint32_t)r * %s;", op->out_dim);
    rf_cb_open(cb, "for (int j = 0; j < %s; j++) {", op->out_dim);
    rf_cb_line(cb, "const uint32_t bits = %s_dropout_bits(key, row_start + (uint32_t)j);", p->name);
    rf_cb_line(cb, "mask[r][j] = bits >= threshold ? scale : 0.0f;");
    rf_cb_line(cb, "out[r][j] = in[r][j] * mask[r][j];");
    rf_cb_close(cb, "}");
    rf_cb_close(cb, "}");
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
}

static void dropout_backward(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op)
{
    rf_cb_line(cb, "/* in_grad = out_grad * mask in training, out_grad in evaluation */");
    rf_emit_step_signature(cb, p, op, 1);
    emit_rows(cb, op->in_dim, "in_grad", "training ? out_grad[r][j] * mask[r][j] : out_grad[r][j]");
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
}

const rf_layer_emitter rf_dropout_emitter = {
    .describe = dropout_describe,
    .shapes = dropout_shapes,
    .helpers = NULL,
    .forward = dropout_forward,
    .backward = dropout_backward,
    .forward_ports = forward_ports,
    .backward_ports = backward_ports,
};
