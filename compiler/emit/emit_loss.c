/* The losses: per-row losses and the gradient of the mean loss with respect
 * to the model's output. Rows are independent (shared among threads); the
 * mean over rows is taken afterwards in the row shards' tree (emit_model.c),
 * so the loss does not depend on the number of threads either. A pass may
 * hold only some shards of a global batch (NAME_loss_grad_shards): the
 * gradient is then still that of the mean over the global batch's rows. */
#include "emit_internal.h"

#include <stdio.h>

const char *rf_loss_target_type(rf_loss_kind loss)
{
    return loss == RF_LOSS_SQUARED ? "float" : "int32_t";
}

static void emit_softmax_cross_entropy(rf_codebuf *cb, const rf_plan *p, int with_grad)
{
    const char *O = NULL;
    char outputs[64];
    snprintf(outputs, sizeof outputs, "%s_OUTPUTS", p->macro);
    O = outputs;
    rf_cb_line(cb, "/* row_loss[r] = logsumexp(logits[r]) - logits[r][label], with the row's maximum");
    rf_cb_line(cb, " * subtracted before exp so it cannot overflow%s */",
               with_grad ? ";\n * logits_grad[r][j] = (softmax(logits[r])[j] - [j == label]) / n_global" : "");
    char head[128], grad[128], logits[128];
    snprintf(head, sizeof head, "static void %s_loss(", p->name);
    snprintf(grad, sizeof grad, "float (*restrict logits_grad)[%s]", O);
    snprintf(logits, sizeof logits, "const float (*restrict logits)[%s]", O);
    const char *params[6];
    int n = 0;
    params[n++] = "float *restrict row_loss";
    if (with_grad)
        params[n++] = grad;
    params[n++] = logits;
    params[n++] = "const int32_t *restrict labels";
    params[n++] = "int n";
    if (with_grad)
        params[n++] = "int n_global";
    rf_emit_signature(cb, head, params, n);
    if (with_grad)
        rf_cb_line(cb, "const float inv_n = 1.0f / (float)n_global; /* the mean is over the global batch */");
    rf_cb_line(cb, "OMP_FOR");
    rf_cb_open(cb, "for (int r = 0; r < n; r++) {");
    rf_cb_line(cb, "float max = logits[r][0];");
    rf_cb_line(cb, "for (int j = 1; j < %s; j++)", O);
    rf_cb_line(cb, "    max = logits[r][j] > max ? logits[r][j] : max;");
    rf_cb_line(cb, "float sum = 0.0f;");
    if (with_grad) {
        rf_cb_open(cb, "for (int j = 0; j < %s; j++) {", O);
        rf_cb_line(cb, "logits_grad[r][j] = expf(logits[r][j] - max); /* softmax numerator */");
        rf_cb_line(cb, "sum += logits_grad[r][j];");
        rf_cb_close(cb, "}");
    } else {
        rf_cb_line(cb, "for (int j = 0; j < %s; j++)", O);
        rf_cb_line(cb, "    sum += expf(logits[r][j] - max);");
    }
    rf_cb_line(cb, "row_loss[r] = logf(sum) + max - logits[r][labels[r]];");
    if (with_grad) {
        rf_cb_line(cb, "const float scale = inv_n / sum;");
        rf_cb_line(cb, "for (int j = 0; j < %s; j++)", O);
        rf_cb_line(cb, "    logits_grad[r][j] *= scale;");
        rf_cb_line(cb, "logits_grad[r][labels[r]] -= inv_n;");
    }
    rf_cb_close(cb, "}");
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
}

static void emit_squared(rf_codebuf *cb, const rf_plan *p, int with_grad)
{
    char O[64];
    snprintf(O, sizeof O, "%s_OUTPUTS", p->macro);
    rf_cb_line(cb, "/* row_loss[r] = sum over outputs of (yhat - y)^2 / 2%s */",
               with_grad ? ";\n * yhat_grad[r][j] = (yhat[r][j] - y[r][j]) / n_global" : "");
    char head[128], grad[128], yhat[128], y[128];
    snprintf(head, sizeof head, "static void %s_loss(", p->name);
    snprintf(grad, sizeof grad, "float (*restrict yhat_grad)[%s]", O);
    snprintf(yhat, sizeof yhat, "const float (*restrict yhat)[%s]", O);
    snprintf(y, sizeof y, "const float (*restrict y)[%s]", O);
    const char *params[6];
    int n = 0;
    params[n++] = "float *restrict row_loss";
    if (with_grad)
        params[n++] = grad;
    params[n++] = yhat;
    params[n++] = y;
    params[n++] = "int n";
    if (with_grad)
        params[n++] = "int n_global";
    rf_emit_signature(cb, head, params, n);
    if (with_grad)
        rf_cb_line(cb, "const float inv_n = 1.0f / (float)n_global; /* the mean is over the global batch */");
    rf_cb_line(cb, "OMP_FOR");
    rf_cb_open(cb, "for (int r = 0; r < n; r++) {");
    rf_cb_line(cb, "float sum = 0.0f;");
    rf_cb_open(cb, "for (int j = 0; j < %s; j++) {", O);
    rf_cb_line(cb, "const float diff = yhat[r][j] - y[r][j];");
    rf_cb_line(cb, "sum += 0.5f * diff * diff;");
    if (with_grad)
        rf_cb_line(cb, "yhat_grad[r][j] = diff * inv_n;");
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "row_loss[r] = sum;");
    rf_cb_close(cb, "}");
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
}

void rf_emit_loss(rf_codebuf *cb, const rf_plan *p)
{
    char pos[320];
    rf_emit_position(p, p->loss_line, pos, sizeof pos);
    rf_cb_line(cb, "/* ---- Loss: %s%s, the mean over the n rows ---- */", rf_loss_name(p->loss), pos);
    rf_cb_line(cb, "");
    if (p->loss == RF_LOSS_SQUARED)
        emit_squared(cb, p, p->has_backward);
    else
        emit_softmax_cross_entropy(cb, p, p->has_backward);
}

void rf_emit_loss_call(rf_codebuf *cb, const rf_plan *p)
{
    char name[96], row_loss[96], grad[96], out[160], y[128];
    snprintf(name, sizeof name, "%s_loss", p->name);
    rf_plan_ref(p, p->row_loss, row_loss, sizeof row_loss);
    rf_plan_ref(p, p->output, out, sizeof out);
    if (p->output != RF_PLAN_INPUT) { /* rows to const rows: a cast before C2X (rf_ports_call) */
        char ref[96];
        snprintf(ref, sizeof ref, "%s", out);
        snprintf(out, sizeof out, "(const float (*)[%s_OUTPUTS])%s", p->macro, ref);
    }
    if (p->loss == RF_LOSS_SQUARED)
        snprintf(y, sizeof y, "(const float (*)[%s_OUTPUTS])y", p->macro);
    else
        snprintf(y, sizeof y, "y");
    const char *args[6];
    int n = 0;
    args[n++] = row_loss;
    if (p->has_backward)
        args[n++] = rf_plan_ref(p, p->output_grad, grad, sizeof grad);
    args[n++] = out;
    args[n++] = y;
    args[n++] = "n";
    if (p->has_backward)
        args[n++] = "m->shards.n";
    rf_emit_call(cb, name, args, n);
}
