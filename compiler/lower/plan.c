/* Lowering a checked model to the fixed-shape plan (see plan.h). */
#include "plan.h"

#include "codebuf.h"
#include "hash.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void upper_copy(char *dst, size_t len, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < len; i++)
        dst[i] = (char)toupper((unsigned char)src[i]);
    dst[i] = '\0';
}

static int name_taken(const rf_model *m, const rf_plan *p, int upto, const char *name)
{
    for (int i = 0; i < m->n_layers; i++) {
        const rf_layer *L = &m->layers[i];
        if (L->kind == RF_LAYER_DENSE && strcmp(L->name, name) == 0)
            return 1;
    }
    for (int i = 0; i < upto; i++)
        if (strcmp(p->ops[i].name, name) == 0)
            return 1;
    return 0;
}

/* Dense layers keep their names; the others are named by kind and count
 * ("relu1", "dropout2"), with a suffix in the unlikely case a dense layer
 * already uses that name. */
static void name_op(const rf_model *m, rf_plan *p, int i, int kind_count)
{
    rf_plan_op *op = &p->ops[i];
    const rf_layer *L = &m->layers[i];
    if (L->kind == RF_LAYER_DENSE) {
        snprintf(op->name, sizeof op->name, "%s", L->name);
    } else {
        snprintf(op->name, sizeof op->name, "%s%d", rf_layer_kind_name(L->kind), kind_count);
        for (int k = 2; name_taken(m, p, i, op->name); k++)
            snprintf(op->name, sizeof op->name, "%s%d_%d", rf_layer_kind_name(L->kind), kind_count, k);
    }
    char upper[RF_PLAN_IDENT];
    upper_copy(upper, sizeof upper, op->name);
    snprintf(op->macro, sizeof op->macro, "%s_%s", p->macro, upper);
    if (L->kind == RF_LAYER_DENSE) {
        snprintf(op->in_dim, sizeof op->in_dim, "%s_IN", op->macro);
        snprintf(op->out_dim, sizeof op->out_dim, "%s_OUT", op->macro);
    } else {
        snprintf(op->in_dim, sizeof op->in_dim, "%s_UNITS", op->macro);
        snprintf(op->out_dim, sizeof op->out_dim, "%s_UNITS", op->macro);
    }
}

/* Appends a buffer; returns its index. */
static int add_buffer(rf_plan *p, rf_buffer_role role, const char *name, const char *suffix, int param,
                      const char *comment)
{
    rf_plan_buffer *b = &p->buffers[p->n_buffers];
    memset(b, 0, sizeof *b);
    snprintf(b->name, sizeof b->name, "%s%s", name, suffix);
    b->role = role;
    b->param = param;
    b->rounded_from = RF_PLAN_NONE;
    snprintf(b->comment, sizeof b->comment, "%s", comment);
    return p->n_buffers++;
}

static void set_dims(rf_plan_buffer *b, const char *d0, long e0, const char *d1, long e1)
{
    snprintf(b->dims[0], sizeof b->dims[0], "%s", d0);
    b->extent[0] = e0;
    b->n_dims = 1;
    if (d1) {
        snprintf(b->dims[1], sizeof b->dims[1], "%s", d1);
        b->extent[1] = e1;
        b->n_dims = 2;
    }
}

/* cols rounded up to whole panels of the widest target */
static long panel_cols(long cols)
{
    return (cols + RF_PLAN_PANEL_MAX - 1) / RF_PLAN_PANEL_MAX * RF_PLAN_PANEL_MAX;
}

/* A packed depth x cols operand: [depth][cols rounded up to whole panels], the width a
 * number (it names no constant of the header). */
static void set_panel_dims(rf_plan_buffer *b, const char *depth_dim, long depth, long cols)
{
    char width[24];
    snprintf(width, sizeof width, "%ld", panel_cols(cols));
    set_dims(b, depth_dim, depth, width, panel_cols(cols));
}

int rf_plan_wgrad_transposed_possible(const rf_plan_op *op)
{
    return op->units_out > 2 && op->units_out % 16 != 0;
}

/* B depth x cols packs for a C of rows rows (RF_PLAN_PACK_MIN_*) */
static int packs(long rows, long cols)
{
    return rows >= RF_PLAN_PACK_MIN_ROWS && cols >= RF_PLAN_PACK_MIN_COLS;
}

int rf_plan_wgrad_packs(const rf_plan_op *op, int transposed)
{
    /* C = weight_grad (in x out), B = out_grad; transposed: C = weight_grad^T, B = in */
    return transposed ? packs(op->units_out, op->units_in) : packs(op->units_in, op->units_out);
}

/* precision bf16: the rounded copies of the dense ops' operands that no pack rounds
 * (rf_plan_op: in_bf16, out_grad_bf16, weight_bf16), each of its source's shape. */
static int add_rounded(rf_plan *p, int from, const char *layer, const char *suffix, const char *d0, long e0,
                       const char *d1, long e1, const char *what)
{
    char comment[160];
    snprintf(comment, sizeof comment, "%s's %s rounded to bfloat16, its products' operand", layer, what);
    const int b = add_buffer(p, RF_BUF_SCRATCH, layer, suffix, -1, comment);
    set_dims(&p->buffers[b], d0, e0, d1, e1);
    p->buffers[b].rounded_from = from;
    return b;
}

static void add_bf16_copies(const rf_model *m, rf_plan *p)
{
    for (int i = 0; i < p->n_ops; i++) {
        rf_plan_op *op = &p->ops[i];
        if (op->kind != RF_LAYER_DENSE)
            continue;
        op->in_bf16 = add_rounded(p, op->in, op->name, "_in_bf16", "BATCH", m->batch, op->in_dim, op->units_in,
                                  "input");
        if (op->weight_packed == RF_PLAN_NONE)
            op->weight_bf16 = add_rounded(p, op->weight, op->name, "_weight_bf16", op->in_dim, op->units_in,
                                          op->out_dim, op->units_out, "weight");
        if (op->backward && (op->input_grad || !rf_plan_wgrad_packs(op, 0) || rf_plan_wgrad_transposed_possible(op)))
            op->out_grad_bf16 = add_rounded(p, op->out_grad, op->name, "_out_grad_bf16", "BATCH", m->batch,
                                            op->out_dim, op->units_out, "out_grad");
    }
}

/* The plan's parameters; their buffers come role by role (add_param_buffers). */
static void add_params(const rf_model *m, rf_plan *p)
{
    p->n_params = m->n_params;
    for (int i = 0; i < m->n_params; i++) {
        rf_plan_param *pp = &p->params[i];
        const rf_param *q = &m->params[i];
        snprintf(pp->name, sizeof pp->name, "%s", q->name);
        pp->init = q->init;
        pp->l2 = q->l2;
        pp->l1 = q->l1;
        pp->l1_prox = q->l1_prox;
        pp->decay_group = q->decay_group;
        pp->decay_line = q->decay_group >= 0 ? m->groups[q->decay_group].pos.line : 0;
        pp->index = i;
        pp->value = pp->grad = RF_PLAN_NONE;
        for (int k = 0; k < RF_PLAN_MAX_STATE; k++)
            pp->state[k] = RF_PLAN_NONE;
        char upper[RF_PLAN_IDENT];
        upper_copy(upper, sizeof upper, pp->name);
        for (char *c = upper; *c; c++)
            if (*c == '.')
                *c = '_';
        snprintf(pp->macro, sizeof pp->macro, "%s_%s", p->macro, upper);
    }
}

/* The buffers of one role for every parameter: PARAM, GRAD, or STATE number 'state'. */
static void add_param_buffers(const rf_model *m, rf_plan *p, rf_buffer_role role, int state)
{
    for (int i = 0; i < p->n_ops; i++) {
        rf_plan_op *op = &p->ops[i];
        const rf_layer *L = &m->layers[i];
        if (L->kind != RF_LAYER_DENSE)
            continue;
        for (int is_bias = 0; is_bias <= 1; is_bias++) {
            rf_plan_param *pp = &p->params[is_bias ? L->bias_param : L->weight_param];
            char suffix[48];
            snprintf(suffix, sizeof suffix, "%s%s%s", is_bias ? "_bias" : "_weight",
                     role == RF_BUF_GRAD ? "_grad" : role == RF_BUF_STATE ? "_" : "",
                     role == RF_BUF_STATE ? rf_model_state_suffix(m, state) : "");
            int b = add_buffer(p, role, op->name, suffix, pp->index,
                               role == RF_BUF_PARAM ? pp->name : "");
            if (is_bias)
                set_dims(&p->buffers[b], op->out_dim, L->out, NULL, 0);
            else
                set_dims(&p->buffers[b], op->in_dim, L->in, op->out_dim, L->out);
            if (role == RF_BUF_PARAM) {
                pp->value = b;
                *(is_bias ? &op->bias : &op->weight) = b;
                *(is_bias ? &op->bias_param : &op->weight_param) = pp->index;
                if (is_bias)
                    snprintf(pp->size, sizeof pp->size, "%s", op->out_dim);
                else
                    snprintf(pp->size, sizeof pp->size, "%s * %s", op->in_dim, op->out_dim);
            } else if (role == RF_BUF_GRAD) {
                pp->grad = b;
                *(is_bias ? &op->bias_grad : &op->weight_grad) = b;
            } else {
                pp->state[state] = b;
            }
        }
    }
}

/* An activation whose derivative reads only the sign of its output (relu,
 * leaky_relu): a dropout after it fuses, the scaled output keeping the sign. */
static int sign_only(rf_layer_kind k)
{
#define SIGN_ONLY(E, name, alpha, fwd, bwd, fwd_v, bwd_v, sign) (k == RF_LAYER_##E && sign) ||
    return RF_ACTIVATIONS(SIGN_ONLY) 0;
#undef SIGN_ONLY
}

/* Marks the chains dense -> [activation] -> [dropout] -> dense (see plan.h). */
static void mark_chains(rf_plan *p)
{
    for (int i = 0; i < p->n_ops; i++) {
        rf_plan_op *op = &p->ops[i];
        op->fused = 0;
        op->chain = op->chain_act = op->chain_drop = RF_PLAN_NONE;
    }
    for (int i = 0; i < p->n_ops; i++) {
        if (p->ops[i].kind != RF_LAYER_DENSE)
            continue;
        int j = i + 1, act = RF_PLAN_NONE, drop = RF_PLAN_NONE;
        if (j < p->n_ops && rf_layer_is_activation(p->ops[j].kind))
            act = j++;
        if (j < p->n_ops && p->ops[j].kind == RF_LAYER_DROPOUT &&
            (act == RF_PLAN_NONE || sign_only(p->ops[act].kind)))
            drop = j++;
        if (j == i + 1 || j >= p->n_ops || p->ops[j].kind != RF_LAYER_DENSE)
            continue;
        rf_plan_op *op = &p->ops[i];
        op->chain = i;
        op->chain_act = act;
        op->chain_drop = drop;
        for (int k = i + 1; k < j; k++) {
            p->ops[k].fused = 1;
            p->ops[k].chain = i;
        }
    }
}

/* The op whose output buffer op 'i' reads: the chain's dense op for a chain's end. */
static const rf_plan_op *producer(const rf_plan *p, int i)
{
    const rf_plan_op *prev = &p->ops[i - 1];
    return prev->fused ? &p->ops[prev->chain] : prev;
}

int rf_plan_build(const rf_model *m, rf_plan *p)
{
    memset(p, 0, sizeof *p);
    p->has_source = m->path != NULL;
    if (p->has_source) {
        const char *slash = strrchr(m->path, '/');
        rf_comment_safe(slash && slash[1] ? slash + 1 : m->path, p->source_name, sizeof p->source_name);
    } else {
        snprintf(p->source_name, sizeof p->source_name, "(no file)");
    }
    p->source_hash = rf_fnv1a64(RF_FNV1A64_INIT, m->source ? m->source : "", m->source ? m->source_len : 0);
    p->batch = m->batch;
    p->input = m->input;
    p->outputs = m->outputs;
    p->loss = m->loss;
    p->loss_line = m->loss_pos.line;
    p->precision = m->precision;
    p->optimizer = m->optimizer;
    p->nesterov = m->nesterov;
    p->defaults = (rf_plan_hparams){m->lr, m->momentum, m->dampening, m->beta1, m->beta2, m->eps};
    p->n_dropout = m->n_dropout;
    p->train_flops = rf_model_train_flops(m);
    snprintf(p->name, sizeof p->name, "%s", m->name);
    upper_copy(p->macro, sizeof p->macro, m->name);
    p->n_ops = m->n_layers;
    /* at most: value, grad and state per parameter, 5 per layer (output, mask, its gradient,
     * packed weight, transposed weight) + row losses, the packed batch operand */
    size_t max_buffers = (2 + RF_PLAN_MAX_STATE) * (size_t)m->n_params + 8 * (size_t)m->n_layers + 2;
    p->ops = calloc(m->n_layers ? (size_t)m->n_layers : 1, sizeof *p->ops);
    p->buffers = calloc(max_buffers, sizeof *p->buffers);
    p->params = calloc(m->n_params ? (size_t)m->n_params : 1, sizeof *p->params);
    if (!p->ops || !p->buffers || !p->params) {
        rf_plan_free(p);
        return -1;
    }

    int first_dense = -1, kind_count[RF_LAYER_KIND_COUNT] = {0};
    for (int i = 0; i < m->n_layers; i++) {
        rf_plan_op *op = &p->ops[i];
        const rf_layer *L = &m->layers[i];
        op->kind = L->kind;
        op->line = L->pos.line;
        op->units_in = L->in;
        op->units_out = L->out;
        op->alpha = L->alpha;
        op->p = L->p;
        op->dropout_k = L->dropout_index;
        op->layer_index = i;
        op->in = op->out = op->in_grad = op->out_grad = RF_PLAN_NONE;
        op->weight = op->bias = op->weight_grad = op->bias_grad = RF_PLAN_NONE;
        op->weight_param = op->bias_param = op->weight_t = op->mask = RF_PLAN_NONE;
        op->weight_packed = RF_PLAN_NONE;
        op->pack_weight_t = 0;
        op->in_bf16 = op->out_grad_bf16 = op->weight_bf16 = RF_PLAN_NONE;
        name_op(m, p, i, ++kind_count[op->kind]);
        if (op->kind == RF_LAYER_DROPOUT) {
            snprintf(op->dropout_index, sizeof op->dropout_index, "%s_INDEX", op->macro);
            snprintf(op->dropout_layer, sizeof op->dropout_layer, "%s_LAYER", op->macro);
            p->has_dropout = 1;
        }
        if (op->kind == RF_LAYER_DENSE && first_dense < 0)
            first_dense = i;
        op->backward = first_dense >= 0;
        op->input_grad = first_dense >= 0 && i > first_dense;
    }
    p->has_backward = first_dense >= 0;
    p->n_state_per_param = rf_model_state_per_param(m);
    for (int k = 0; k < p->n_state_per_param; k++)
        snprintf(p->state_suffix[k], sizeof p->state_suffix[k], "%s", rf_model_state_suffix(m, k));
    mark_chains(p);

    add_params(m, p);
    add_param_buffers(m, p, RF_BUF_PARAM, 0);
    add_param_buffers(m, p, RF_BUF_GRAD, 0);
    for (int k = 0; k < p->n_state_per_param; k++)
        add_param_buffers(m, p, RF_BUF_STATE, k);

    char comment[160];
    for (int i = 0; i < p->n_ops; i++) {
        rf_plan_op *op = &p->ops[i];
        const rf_layer *L = &m->layers[i];
        comment[0] = '\0';
        op->in = i == 0 ? RF_PLAN_INPUT : p->ops[i - 1].out;
        if (op->fused) {
            op->out = p->ops[op->chain].out; /* the chain's one buffer */
            continue;
        }
        if (op->chain == i) {
            /* a chain writes the output of its last op, under that op's name */
            const rf_plan_op *last = &p->ops[op->chain_drop != RF_PLAN_NONE ? op->chain_drop : op->chain_act];
            snprintf(comment, sizeof comment, "%s", op->chain_drop != RF_PLAN_NONE && op->chain_act != RF_PLAN_NONE
                                                         ? "dense, activation and dropout"
                                                         : "dense and its epilogue");
            op->out = add_buffer(p, RF_BUF_ACTIVATION, last->name, "_out", -1, comment);
        } else {
            op->out = add_buffer(p, RF_BUF_ACTIVATION, op->name, "_out", -1, comment);
        }
        set_dims(&p->buffers[op->out], "BATCH", m->batch, op->out_dim, L->out);
        if (L->kind == RF_LAYER_DROPOUT) {
            snprintf(comment, sizeof comment, "0 or 1/(1-p)");
            op->mask = add_buffer(p, RF_BUF_MASK, op->name, "_mask", -1, comment);
            set_dims(&p->buffers[op->mask], "BATCH", m->batch, op->out_dim, L->out);
        }
    }
    for (int i = 0; i < p->n_ops; i++) {
        rf_plan_op *op = &p->ops[i];
        if (!op->backward || op->fused)
            continue;
        snprintf(comment, sizeof comment, "%s", op->chain == i ? "before the activation/dropout" : "");
        op->out_grad = add_buffer(p, RF_BUF_ACTIVATION_GRAD, op->name, "_out_grad", -1, comment);
        set_dims(&p->buffers[op->out_grad], "BATCH", m->batch, op->out_dim, op->units_out);
        if (op->input_grad)
            op->in_grad = producer(p, i)->out_grad;
    }
    /* B operands packed in panels of NR columns (product.h, NAME_pack), sized for the widest
     * panel (RF_PLAN_PANEL_MAX) so the struct is the same for every target: a weight for
     * the forward, its transpose for the input gradient, and one buffer for the weight
     * gradients' B (out_grad, or in for a narrow layer), whose depth is the batch */
    long batch_cols = 0;
    for (int i = 0; i < p->n_ops; i++) {
        rf_plan_op *op = &p->ops[i];
        if (op->kind != RF_LAYER_DENSE)
            continue;
        if (packs(m->batch, op->units_out)) {
            snprintf(comment, sizeof comment, "%s.weight in panels", op->name);
            op->weight_packed = add_buffer(p, RF_BUF_SCRATCH, op->name, "_weight_packed", -1, comment);
            set_panel_dims(&p->buffers[op->weight_packed], op->in_dim, op->units_in, op->units_out);
        }
        if (op->input_grad) {
            op->pack_weight_t = packs(m->batch, op->units_in);
            snprintf(comment, sizeof comment, "%s.weight^T%s", op->name, op->pack_weight_t ? " in panels" : "");
            op->weight_t = add_buffer(p, RF_BUF_SCRATCH, op->name,
                                      op->pack_weight_t ? "_weight_t_packed" : "_weight_t", -1, comment);
            if (op->pack_weight_t)
                set_panel_dims(&p->buffers[op->weight_t], op->out_dim, op->units_out, op->units_in);
            else
                set_dims(&p->buffers[op->weight_t], op->out_dim, op->units_out, op->in_dim, op->units_in);
        }
        if (op->backward) {
            if (rf_plan_wgrad_packs(op, 0) && panel_cols(op->units_out) > batch_cols)
                batch_cols = panel_cols(op->units_out);
            if (rf_plan_wgrad_transposed_possible(op) && rf_plan_wgrad_packs(op, 1) &&
                panel_cols(op->units_in) > batch_cols)
                batch_cols = panel_cols(op->units_in);
        }
    }
    if (m->precision == RF_PRECISION_BF16)
        add_bf16_copies(m, p);
    p->batch_packed = RF_PLAN_NONE;
    if (batch_cols) {
        p->batch_packed = add_buffer(p, RF_BUF_SCRATCH, "batch_packed", "", -1,
                                     "a weight gradient's B in panels");
        char width[24];
        snprintf(width, sizeof width, "%ld", batch_cols);
        set_dims(&p->buffers[p->batch_packed], "BATCH", m->batch, width, batch_cols);
    }
    p->row_loss = add_buffer(p, RF_BUF_SCRATCH, "row_loss", "", -1, "per-row losses");
    set_dims(&p->buffers[p->row_loss], "BATCH", m->batch, NULL, 0);

    /* the batch dimension's constant carries the model's prefix */
    for (int b = 0; b < p->n_buffers; b++)
        for (int d = 0; d < p->buffers[b].n_dims; d++)
            if (strcmp(p->buffers[b].dims[d], "BATCH") == 0)
                snprintf(p->buffers[b].dims[d], sizeof p->buffers[b].dims[d], "%s_BATCH", p->macro);

    p->parallel = p->train_flops >= RF_PARALLEL_MIN_FLOPS;
    p->output = p->n_ops ? p->ops[p->n_ops - 1].out : RF_PLAN_INPUT;
    p->output_grad = p->n_ops ? p->ops[p->n_ops - 1].out_grad : RF_PLAN_NONE;
    return 0;
}

void rf_plan_free(rf_plan *p)
{
    free(p->ops);
    free(p->buffers);
    free(p->params);
    memset(p, 0, sizeof *p);
}

const char *rf_plan_ref(const rf_plan *p, int buffer, char *buf, size_t len)
{
    if (buffer == RF_PLAN_INPUT)
        snprintf(buf, len, "input");
    else if (buffer >= 0 && buffer < p->n_buffers)
        snprintf(buf, len, "m->%s", p->buffers[buffer].name);
    else
        snprintf(buf, len, "NULL");
    return buf;
}
