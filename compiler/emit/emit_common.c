/* What every emitter shares, kept apart from the file driver (emit_model.c) so that
 * no emitter depends on it: the table of layer emitters, signatures and calls,
 * positions in the model file and layer headings. */
#include "emit_internal.h"

#include <stdio.h>
#include <string.h>

/* One emitter per layer kind; every activation shares one (emit_activation.c). */
static const rf_layer_emitter *const emitters[RF_LAYER_KIND_COUNT] = {
    [RF_LAYER_DENSE] = &rf_dense_emitter,
#define ACTIVATION(E, ...) [RF_LAYER_##E] = &rf_activation_emitter,
    RF_ACTIVATIONS(ACTIVATION)
#undef ACTIVATION
    [RF_LAYER_DROPOUT] = &rf_dropout_emitter,
};

const rf_layer_emitter *rf_layer_emitter_of(rf_layer_kind kind)
{
    return kind >= 0 && kind < RF_LAYER_KIND_COUNT ? emitters[kind] : NULL;
}

void rf_emit_signature(rf_codebuf *cb, const char *head, const char *const *params, int n_params)
{
    rf_cb_call(cb, head, params, n_params, ")");
    rf_cb_open(cb, "{");
}

void rf_emit_call(rf_codebuf *cb, const char *name, const char *const *args, int n_args)
{
    char head[160];
    snprintf(head, sizeof head, "%s(", name);
    rf_cb_call(cb, head, args, n_args, ");");
}

void rf_emit_position(const rf_plan *p, int line, char *buf, size_t len)
{
    if (!p->has_source)
        snprintf(buf, len, "%s", "");
    else
        snprintf(buf, len, " (%s:%d)", p->source_name, line);
}

void rf_emit_layer_heading(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op)
{
    char what[160], pos[320];
    rf_layer_emitter_of(op->kind)->describe(op, what, sizeof what);
    if (op->chain != op->layer_index) {
        rf_emit_position(p, op->line, pos, sizeof pos);
        rf_cb_line(cb, "/* %s: %s%s */", op->name, what, pos);
        rf_cb_line(cb, "");
        return;
    }
    /* a fused chain, headed once: "dense1 -> relu1 -> dropout1 (m.yaml:9-11): ..." */
    const int last = op->chain_drop != RF_PLAN_NONE ? op->chain_drop : op->chain_act;
    char names[200], kinds[400];
    int o = snprintf(names, sizeof names, "%s", op->name), k = snprintf(kinds, sizeof kinds, "%s", what);
    for (int i = op->layer_index + 1; i <= last; i++) {
        rf_layer_emitter_of(p->ops[i].kind)->describe(&p->ops[i], what, sizeof what);
        o += snprintf(names + o, sizeof names - (size_t)o, " -> %s", p->ops[i].name);
        k += snprintf(kinds + k, sizeof kinds - (size_t)k, "; %s", what);
    }
    if (p->has_source)
        snprintf(pos, sizeof pos, " (%s:%d-%d)", p->source_name, op->line, p->ops[last].line);
    else
        pos[0] = '\0';
    rf_cb_line(cb, "/* %s%s, one fused block:", names, pos);
    rf_cb_line(cb, " * %s */", kinds);
    rf_cb_line(cb, "");
}
