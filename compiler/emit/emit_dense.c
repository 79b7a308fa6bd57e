/* The dense layer, y = x W + b with W [in][out], and the one place the
 * matrix-product tile is generated.
 *
 * Every product here is C = A B (+ bias) with C row-major, B row-major or
 * packed in panels of NR columns (NAME_pack: the forward weights and the
 * weights^T at the start of a pass, a weight gradient's B before its product,
 * where the plan says so: rf_plan_wgrad_packs, weight_packed, pack_weight_t),
 * and A read through two strides, A(i, p) = a[i * a_row + p * a_step]:
 *     forward       out     = in weight + bias      A = in       (n x IN)
 *     weight grad   w_grad  = in^T out_grad         A = in^T     (IN x n)
 *     input grad    in_grad = out_grad weight^T     A = out_grad (n x OUT), B = weight transposed
 * The generated file carries one register-blocked micro-kernel (MR rows x NV
 * vectors of accumulators, sized per instruction set when the C is
 * compiled) and one product driver cutting C into fixed work tiles; each
 * layer's functions call the driver with its constant shapes, so the code
 * grows with the number of layers, not with their width. A tile sums over
 * the depth in order in registers and belongs to one thread, so results do
 * not depend on the number of threads. Where the depth is the batch rows
 * (the weight gradient) a tile sums each of the 4 row shards in order and
 * adds them in a fixed tree (product.h), as does the bias gradient, so that
 * data-parallel ranks holding some shards each can add their partial sums
 * to the one-process result bit for bit (SPEC 9, NAME_loss_grad_shards).
 * Columns past the last whole vector (fewer than VL) take a scalar tile; rows
 * past the last whole block of MR take the MR-row tile that ends with them
 * (one tile shape; one-row tiles only for fewer than MR rows in all). The
 * kernels themselves are real C in
 * compiler/emit/templates/ (vector.h, product.h), copied section by section. */
#include "emit_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the fused chains of the model need of the epilogue. */
typedef struct {
    int gate;  /* some input gradient runs back through a chain */
    int drop;  /* some chain has a dropout */
    int alpha; /* some chain's activation takes alpha */
    int act[RF_LAYER_KIND_COUNT]; /* the activations of the chains */
} rf_epilogue_needs;

static rf_epilogue_needs epilogue_needs(const rf_plan *p)
{
    rf_epilogue_needs e;
    memset(&e, 0, sizeof e);
    for (int i = 0; i < p->n_ops; i++) {
        const rf_plan_op *op = &p->ops[i];
        if (!op->fused)
            continue;
        if (op->kind == RF_LAYER_DROPOUT)
            e.drop = 1;
        else {
            e.act[op->kind] = 1;
            e.alpha |= rf_activation_takes_alpha(op->kind);
        }
        const int after = op->layer_index + 1;
        if (after < p->n_ops && !p->ops[after].fused && p->ops[after].input_grad)
            e.gate = 1;
    }
    return e;
}

static const rf_plan_op *chain_below(const rf_plan *p, const rf_plan_op *op);

/* ---- precision bf16 where BF16_PAIRS is 1 (vector.h): the products that read pairs ----
 * The forward when its weight is packed; the weight gradient in its untransposed form with
 * its B packed (out_grad's rows whole vectors at every width: A = in as pairs of rows, made
 * again in the backward); the input gradient when, besides, weight^T is packed and out_grad
 * has its rounded copy (which then holds pairs: that weight gradient reads out_grad packed).
 * The others keep the float32 layout, and the backward rounds in once more for a weight
 * gradient whose forward left pairs there. */
static int forward_pairs(const rf_plan *p, const rf_plan_op *op)
{
    return p->precision == RF_PRECISION_BF16 && op->weight_packed != RF_PLAN_NONE;
}

int rf_dense_forward_pairs(const rf_plan *p, const rf_plan_op *op)
{
    return op->kind == RF_LAYER_DENSE && forward_pairs(p, op);
}

static int wgrad_pairs(const rf_plan *p, const rf_plan_op *op)
{
    return p->precision == RF_PRECISION_BF16 && op->backward && !rf_plan_wgrad_transposed_possible(op) &&
           rf_plan_wgrad_packs(op, 0);
}

static int input_grad_pairs(const rf_plan *p, const rf_plan_op *op)
{
    return wgrad_pairs(p, op) && op->input_grad && op->pack_weight_t && op->out_grad_bf16 != RF_PLAN_NONE;
}

/* The backward reads in only to make its pairs or its rounded copy again (not for a gate). */
static int backward_in_for_pairs(const rf_plan *p, const rf_plan_op *op)
{
    return (forward_pairs(p, op) || wgrad_pairs(p, op)) && op->backward &&
           !(op->input_grad && chain_below(p, op));
}

/* Some product of the model reads pairs. */
static int model_pairs(const rf_plan *p)
{
    for (int i = 0; i < p->n_ops; i++)
        if (p->ops[i].kind == RF_LAYER_DENSE && (forward_pairs(p, &p->ops[i]) || wgrad_pairs(p, &p->ops[i])))
            return 1;
    return 0;
}

/* Lines of a branch on the layout: "#if BF16_PAIRS", "#else", "#endif" at column 0. */
static void pairs_if(rf_codebuf *cb)
{
    rf_cb_raw(cb, "#if BF16_PAIRS\n");
}

static void pairs_else(rf_codebuf *cb)
{
    rf_cb_raw(cb, "#else\n");
}

static void pairs_endif(rf_codebuf *cb)
{
    rf_cb_raw(cb, "#endif\n");
}

/* "ACT_RELU" */
static void act_enum(rf_layer_kind kind, char *buf, size_t len)
{
    int o = snprintf(buf, len, "ACT_");
    for (const char *s = rf_layer_kind_name(kind); *s && (size_t)o + 1 < len; s++)
        buf[o++] = (char)(*s >= 'a' && *s <= 'z' ? *s - 'a' + 'A' : *s);
    buf[o] = '\0';
}

/* The activation step of an epilogue: "if (e.act == ACT_RELU) y = NAME_relu_v(y);" for each
 * activation of the chains; grad: the derivative from the gate instead. */
static void emit_act_steps(rf_codebuf *cb, const rf_plan *p, const rf_epilogue_needs *e, int vector, int grad,
                           const char *var)
{
    int first = 1;
    for (int k = 0; k < RF_LAYER_KIND_COUNT; k++) {
        if (!e->act[k])
            continue;
        char name[32];
        act_enum((rf_layer_kind)k, name, sizeof name);
        const char *alpha = rf_activation_takes_alpha((rf_layer_kind)k) ? ", e.alpha" : "";
        rf_cb_line(cb, "%sif (e.act == %s)", first ? "" : "else ", name);
        if (grad)
            rf_cb_line(cb, "    %s = %s_%s_grad%s(gate, %s%s);", var, p->name, rf_layer_kind_name((rf_layer_kind)k),
                       vector ? "_v" : "", var, alpha);
        else
            rf_cb_line(cb, "    %s = %s_%s%s(%s%s);", var, p->name, rf_layer_kind_name((rf_layer_kind)k),
                       vector ? "_v" : "", var, alpha);
        first = 0;
    }
}

/* NAME_epilogue (the struct), NAME_epilogue_v and NAME_epilogue_1. */
static void emit_epilogues(rf_codebuf *cb, const rf_plan *p)
{
    const char *n = p->name;
    const rf_epilogue_needs e = epilogue_needs(p);
    int any_act = 0;
    for (int k = 0; k < RF_LAYER_KIND_COUNT; k++)
        any_act |= e.act[k];
    rf_cb_line(cb, "/* ---- Epilogues: what a product does with a tile of C while it is in registers ----");
    rf_cb_line(cb, " * Forward (gate NULL): y = dropout(act(acc + bias)). Input gradient of a chain below (gate");
    rf_cb_line(cb, " * = the chain's output, laid out as C): dz = act'(acc scale) from the gate, zero where the");
    rf_cb_line(cb, " * dropout dropped the unit (scale = 1 / (1 - p) in training, else 1). A relu's gate alone");
    rf_cb_line(cb, " * says whether the unit was kept and positive (survivors are scaled by scale >= 1, never to");
    rf_cb_line(cb, " * 0); other chains recompute the mask bits. Element (r, j) of a [rows][units] C has the");
    rf_cb_line(cb, " * dropout index r * units + j, which is its offset 'at'. */");
    if (any_act) {
        rf_cb_raw(cb, "enum { ACT_NONE");
        for (int k = 0; k < RF_LAYER_KIND_COUNT; k++)
            if (e.act[k]) {
                char name[32];
                act_enum((rf_layer_kind)k, name, sizeof name);
                rf_cb_raw(cb, ", %s", name);
            }
        rf_cb_raw(cb, " };\n\n");
    }
    rf_cb_line(cb, "typedef struct {");
    rf_cb_line(cb, "    const float *bias; /* forward: + bias[column] (NULL: none) */");
    if (any_act)
        rf_cb_line(cb, "    int act;           /* ACT_*: forward: applied; input gradient: its derivative */");
    if (e.alpha)
        rf_cb_line(cb, "    float alpha;       /* the activation's slope below 0 */");
    if (e.gate)
        rf_cb_line(cb, "    const float *gate; /* input gradient: the output of the chain below (NULL: forward) */");
    if (e.drop) {
        rf_cb_line(cb, "    int drop;          /* dropout on (training): keep when bits >= threshold */");
        rf_cb_line(cb, "    uint64_t key;      /* the mask's %s_dropout_key */", n);
        rf_cb_line(cb, "    uint32_t threshold;");
        rf_cb_line(cb, "    uint32_t index0;   /* the mask index of C's row 0: its global batch row x units */");
        rf_cb_line(cb, "    float scale;       /* 1 / (1 - p) in training, else 1 */");
    }
    rf_cb_line(cb, "    int transposed;    /* store C^T: element (i, j) of C at c[j * c_row + i] (no bias, act, gate) */");
    rf_cb_line(cb, "} %s_epilogue;", n);
    rf_cb_line(cb, "");
    for (int vector = 1; vector >= 0; vector--) {
        const char *t = vector ? "vf" : "float";
        if (!vector) {
            rf_cb_line(cb, "/* The same for one float (the columns past the last whole vector). */");
        }
        rf_cb_line(cb, "ALWAYS_INLINE %s %s_epilogue_%s(", t, n, vector ? "v" : "1");
        rf_cb_line(cb, "        %s_epilogue e, %s acc, ptrdiff_t at, int col)", n, t);
        rf_cb_open(cb, "{");
        if (!e.drop)
            rf_cb_line(cb, "(void)at;");
        if (e.gate) {
            rf_cb_open(cb, "if (e.gate) {");
            rf_cb_line(cb, "const %s gate = %s;", t, vector ? "vload(e.gate + at)" : "e.gate[at]");
            if (!any_act)
                rf_cb_line(cb, "(void)gate;");
            if (e.drop)
                rf_cb_line(cb, "acc = acc * e.scale;");
            emit_act_steps(cb, p, &e, vector, 1, "acc");
            if (e.drop) {
                rf_cb_open(cb, "if (e.drop) {");
                if (vector) {
                    rf_cb_line(cb, "const vu bits = %s_dropout_bits_v(e.key, e.index0 + (uint32_t)at);", n);
                    rf_cb_line(cb, "acc = vand(acc, bits >= e.threshold);");
                } else {
                    rf_cb_line(cb, "const uint32_t bits = %s_dropout_bits(e.key, e.index0 + (uint32_t)at);", n);
                    rf_cb_line(cb, "acc = bits >= e.threshold ? acc : 0.0f;");
                }
                rf_cb_close(cb, "}");
            }
            rf_cb_line(cb, "return acc;");
            rf_cb_close(cb, "}");
        }
        if (vector)
            rf_cb_line(cb, "%s y = e.bias ? acc + vload(e.bias + col) : acc;", t);
        else
            rf_cb_line(cb, "%s y = e.bias ? acc + e.bias[col] : acc;", t);
        emit_act_steps(cb, p, &e, vector, 0, "y");
        if (e.drop) {
            rf_cb_open(cb, "if (e.drop) {");
            if (vector) {
                rf_cb_line(cb, "const vu bits = %s_dropout_bits_v(e.key, e.index0 + (uint32_t)at);", n);
                rf_cb_line(cb, "y = vand(y * e.scale, bits >= e.threshold);");
            } else {
                rf_cb_line(cb, "const uint32_t bits = %s_dropout_bits(e.key, e.index0 + (uint32_t)at);", n);
                rf_cb_line(cb, "y = bits >= e.threshold ? y * e.scale : 0.0f;");
            }
            rf_cb_close(cb, "}");
        }
        rf_cb_line(cb, "return y;");
        rf_cb_close(cb, "}");
        rf_cb_line(cb, "");
    }
}

/* Some product reads a packed B (NAME_pack is needed). */
static int model_packs(const rf_plan *p)
{
    if (p->batch_packed != RF_PLAN_NONE)
        return 1;
    for (int i = 0; i < p->n_ops; i++)
        if (p->ops[i].kind == RF_LAYER_DENSE && (p->ops[i].weight_packed != RF_PLAN_NONE || p->ops[i].pack_weight_t))
            return 1;
    return 0;
}

static void dense_helpers(rf_codebuf *cb, const rf_plan *p)
{
    const rf_epilogue_needs e = epilogue_needs(p);
    int fused = 0;
    for (int i = 0; i < p->n_ops; i++)
        fused |= p->ops[i].fused;
    rf_emit_template(cb, p, rf_template_vector, "isa");
    if (fused || p->precision == RF_PRECISION_BF16)
        rf_emit_template(cb, p, rf_template_vector, "lanes");
    if (p->precision == RF_PRECISION_BF16) { /* the products' rounding of their inputs */
        rf_cb_line(cb, "/* The layout of the products' operands (vector.h below): pairs of bfloat16 where the");
        rf_cb_line(cb, " * target has AVX512_BF16; -D%s_PAIRS=1 gives the same layout and sums on any", p->macro);
        rf_cb_line(cb, " * target (slowly: two FMAs a pair), -D%s_PAIRS=0 the float32 layout on any. */", p->macro);
        rf_cb_raw(cb, "#if defined(%s_PAIRS)\n#define BF16_PAIRS %s_PAIRS\n", p->macro, p->macro);
        rf_cb_raw(cb, "#elif defined(__AVX512BF16__) && VL == 16\n#define BF16_PAIRS 1\n");
        rf_cb_raw(cb, "#else\n#define BF16_PAIRS 0\n#endif\n\n");
        rf_emit_template(cb, p, rf_template_vector, "bf16");
    }
    if (e.drop) /* the mask bits on vectors (they use the rng's dropout functions) */
        rf_emit_template(cb, p, rf_template_vector, "dropout_bits");
    rf_emit_activation_vectors(cb, p);
    emit_epilogues(cb, p);
    rf_emit_template(cb, p, rf_template_product, "product");
    if (model_packs(p))
        rf_emit_template(cb, p, rf_template_product, "pack");
    if (p->precision == RF_PRECISION_BF16)
        rf_emit_template(cb, p, rf_template_product, "round_copy");
    if (model_pairs(p))
        rf_emit_template(cb, p, rf_template_product, "pairs");
}

static void dense_describe(const rf_plan_op *op, char *buf, size_t len)
{
    snprintf(buf, len, "dense %d -> %d", op->units_in, op->units_out);
}

static void dense_shapes(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op)
{
    (void)p;
    rf_cb_line(cb, "#define %s %d", op->in_dim, op->units_in);
    rf_cb_line(cb, "#define %s %d", op->out_dim, op->units_out);
}

/* The fused activation and dropout of the chain headed by dense op 'head' (NULL: none). */
static const rf_plan_op *chain_act(const rf_plan *p, const rf_plan_op *head)
{
    return head->chain_act != RF_PLAN_NONE ? &p->ops[head->chain_act] : NULL;
}

static const rf_plan_op *chain_drop(const rf_plan *p, const rf_plan_op *head)
{
    return head->chain_drop != RF_PLAN_NONE ? &p->ops[head->chain_drop] : NULL;
}

/* The dense op whose chain computes this dense layer's input, or NULL. */
static const rf_plan_op *chain_below(const rf_plan *p, const rf_plan_op *op)
{
    int i = op->layer_index;
    if (i == 0 || !p->ops[i - 1].fused)
        return NULL;
    return &p->ops[p->ops[i - 1].chain];
}

/* The dropout whose mask bits a dense function recomputes, or NULL: the forward of a
 * chain with a dropout; the input gradient through a chain below with a dropout, unless
 * its activation is a relu, whose gate alone says whether a unit was kept. */
static const rf_plan_op *forward_drop(const rf_plan *p, const rf_plan_op *op)
{
    return op->chain == op->layer_index ? chain_drop(p, op) : NULL;
}

static const rf_plan_op *backward_drop(const rf_plan *p, const rf_plan_op *op)
{
    const rf_plan_op *below = op->input_grad ? chain_below(p, op) : NULL;
    return below ? chain_drop(p, below) : NULL;
}

static int backward_needs_bits(const rf_plan *p, const rf_plan_op *op)
{
    const rf_plan_op *drop = backward_drop(p, op), *act = drop ? chain_act(p, chain_below(p, op)) : NULL;
    return drop && !(act && act->kind == RF_LAYER_RELU);
}

/* ".act = ACT_RELU|.alpha = MLP_LEAKY_RELU1_ALPHA" for an activation op */
static int act_items(const rf_plan_op *act, char *buf, size_t len)
{
    char name[32];
    act_enum(act->kind, name, sizeof name);
    int o = snprintf(buf, len, "|.act = %s", name);
    if (rf_activation_takes_alpha(act->kind))
        o += snprintf(buf + o, len - (size_t)o, "|.alpha = %s_ALPHA", act->macro);
    return o;
}

/* The epilogue of the forward product: ".bias = bias|..." ('|' separates initialisers) */
static void forward_epilogue(const rf_plan *p, const rf_plan_op *op, char *buf, size_t len)
{
    const rf_plan_op *act = op->chain == op->layer_index ? chain_act(p, op) : NULL;
    int o = snprintf(buf, len, ".bias = bias");
    if (act)
        o += act_items(act, buf + o, len - (size_t)o);
    if (forward_drop(p, op))
        snprintf(buf + o, len - (size_t)o, "|.drop = training|.key = key|.threshold = threshold|.index0 = index0|.scale = scale");
}

/* The epilogue of the input-gradient product: back through the chain below. */
static void input_grad_epilogue(const rf_plan *p, const rf_plan_op *op, char *buf, size_t len)
{
    const rf_plan_op *below = chain_below(p, op);
    if (!below) {
        snprintf(buf, len, "0");
        return;
    }
    const rf_plan_op *act = chain_act(p, below), *drop = chain_drop(p, below);
    int o = snprintf(buf, len, ".gate = in[0]");
    if (act)
        o += act_items(act, buf + o, len - (size_t)o);
    if (epilogue_needs(p).drop)
        o += snprintf(buf + o, len - (size_t)o, "|.scale = %s", drop ? "training ? scale : 1.0f" : "1.0f");
    if (backward_needs_bits(p, op))
        snprintf(buf + o, len - (size_t)o, "|.drop = training|.key = key|.threshold = threshold|.index0 = index0");
}

/* "const NAME_epilogue VAR = {...};" from the '|'-separated initialisers, one per line */
static void emit_epilogue_local(rf_codebuf *cb, const rf_plan *p, const char *var, const char *items)
{
    if (strchr(items, '|') == NULL && strlen(items) < 40) {
        rf_cb_line(cb, "const %s_epilogue %s = {%s};", p->name, var, items);
        return;
    }
    rf_cb_line(cb, "const %s_epilogue %s = {", p->name, var);
    for (const char *s = items; *s;) {
        const char *bar = strchr(s, '|');
        int len = bar ? (int)(bar - s) : (int)strlen(s);
        rf_cb_line(cb, "    %.*s,", len, s);
        s += len + (bar != NULL);
    }
    rf_cb_line(cb, "};");
}

/* The call of the product driver: c = epilogue(a b), then arguments as in the helper. */
static void emit_product_call(rf_codebuf *cb, const rf_plan *p, const char *c, const char *c_row,
                              const char *epilogue, const char *a, const char *a_row, const char *a_step,
                              const char *b, const char *b_row, const char *b_panel, const char *rows,
                              const char *cols, const char *depth, const char *shards, const char *tile_rows,
                              const char *panel_major, int pairs)
{
    char name[96];
    snprintf(name, sizeof name, "%s_product", p->name);
    const char *args[] = {c,    c_row, epilogue, a,     a_row,  a_step,    b,           b_row,
                          b_panel, rows, cols,     depth, shards, tile_rows, panel_major, pairs ? "1" : "0"};
    rf_emit_call(cb, name, args, p->precision == RF_PRECISION_BF16 ? 16 : 15);
}

/* "NAME_pack(dst, b, b_row, b_col, depth, cols);" */
static void emit_pack_call(rf_codebuf *cb, const rf_plan *p, const char *dst, const char *b, const char *b_row,
                           const char *b_col, const char *depth, const char *cols)
{
    char name[96];
    snprintf(name, sizeof name, "%s_pack", p->name);
    const char *args[] = {dst, b, b_row, b_col, depth, cols};
    rf_emit_call(cb, name, args, 6);
}

/* "NAME_pack_pairs(dst, b, b_row, b_col, depth, cols, shards);" */
static void emit_pack_pairs_call(rf_codebuf *cb, const rf_plan *p, const char *dst, const char *b,
                                 const char *b_row, const char *b_col, const char *depth, const char *cols,
                                 const char *shards)
{
    char name[96];
    snprintf(name, sizeof name, "%s_pack_pairs", p->name);
    const char *args[] = {dst, b, b_row, b_col, depth, cols, shards};
    rf_emit_call(cb, name, args, 7);
}

/* "NAME_round_copy(dst, src, count);" */
static void emit_round_copy(rf_codebuf *cb, const rf_plan *p, const char *dst, const char *src, const char *count)
{
    char name[96];
    snprintf(name, sizeof name, "%s_round_copy", p->name);
    const char *args[] = {dst, src, count};
    rf_emit_call(cb, name, args, 3);
}

/* Either form of op's weight gradient that the target may choose packs its B. */
static int wgrad_packs_either(const rf_plan_op *op)
{
    return rf_plan_wgrad_packs(op, 0) || (rf_plan_wgrad_transposed_possible(op) && rf_plan_wgrad_packs(op, 1));
}

static void forward_ports(const rf_plan *p, const rf_plan_op *op, rf_ports *ps)
{
    char decl[160];
    snprintf(decl, sizeof decl, "float (*restrict out)[%s]", op->out_dim);
    rf_ports_buffer(ps, p, decl, op->out);
    snprintf(decl, sizeof decl, "const float (*restrict in)[%s]", op->in_dim);
    rf_ports_buffer(ps, p, decl, op->in);
    if (op->in_bf16 != RF_PLAN_NONE) {
        snprintf(decl, sizeof decl, "float (*restrict in_bf16)[%s]", op->in_dim);
        rf_ports_buffer(ps, p, decl, op->in_bf16);
    }
    /* a narrow weight of precision bf16: its rounded copy (NAME_prepare_weights) */
    snprintf(decl, sizeof decl, "const float (*restrict weight)[%s]", op->out_dim);
    rf_ports_buffer(ps, p, decl, op->weight_bf16 != RF_PLAN_NONE ? op->weight_bf16 : op->weight);
    if (op->weight_packed != RF_PLAN_NONE) {
        char ref[RF_PLAN_IDENT + 8];
        rf_ports_add(ps, "const float *restrict weight_packed", "%s[0]",
                     rf_plan_ref(p, op->weight_packed, ref, sizeof ref));
    }
    rf_ports_buffer(ps, p, "const float *restrict bias", op->bias);
    rf_ports_add(ps, "int n", "n");
    const rf_plan_op *drop = forward_drop(p, op);
    if (drop) {
        rf_dropout_mask_ports(ps, p, drop);
        rf_ports_add(ps, "int training", "training");
    }
}

static void backward_ports(const rf_plan *p, const rf_plan_op *op, rf_ports *ps)
{
    char decl[160];
    if (op->input_grad) {
        snprintf(decl, sizeof decl, "float (*restrict in_grad)[%s]", op->in_dim);
        rf_ports_buffer(ps, p, decl, op->in_grad);
    }
    snprintf(decl, sizeof decl, "float (*restrict weight_grad)[%s]", op->out_dim);
    rf_ports_buffer(ps, p, decl, op->weight_grad);
    rf_ports_buffer(ps, p, "float *restrict bias_grad", op->bias_grad);
    char ref[RF_PLAN_IDENT + 8];
    if (op->input_grad && op->pack_weight_t)
        rf_ports_add(ps, "const float *restrict weight_t", "%s[0]", rf_plan_ref(p, op->weight_t, ref, sizeof ref));
    else if (op->input_grad) {
        snprintf(decl, sizeof decl, "const float (*restrict weight_t)[%s]", op->in_dim);
        rf_ports_buffer(ps, p, decl, op->weight_t);
    }
    snprintf(decl, sizeof decl, "const float (*restrict out_grad)[%s]", op->out_dim);
    rf_ports_buffer(ps, p, decl, op->out_grad);
    /* precision bf16: in only as the gate of the chain below; the products read the
     * forward's rounded copy */
    if (op->in_bf16 == RF_PLAN_NONE || (op->input_grad && chain_below(p, op)) || backward_in_for_pairs(p, op)) {
        snprintf(decl, sizeof decl, "const float (*restrict in)[%s]", op->in_dim);
        rf_ports_buffer(ps, p, decl, op->in);
    }
    if (op->in_bf16 != RF_PLAN_NONE) { /* written again where the products read pairs */
        snprintf(decl, sizeof decl, "%sfloat (*restrict in_bf16)[%s]",
                 forward_pairs(p, op) || wgrad_pairs(p, op) ? "" : "const ", op->in_dim);
        rf_ports_buffer(ps, p, decl, op->in_bf16);
    }
    if (op->out_grad_bf16 != RF_PLAN_NONE) {
        snprintf(decl, sizeof decl, "float (*restrict out_grad_bf16)[%s]", op->out_dim);
        rf_ports_buffer(ps, p, decl, op->out_grad_bf16);
    }
    if (wgrad_packs_either(op))
        rf_ports_add(ps, "float *restrict batch_packed", "%s[0]", rf_plan_ref(p, p->batch_packed, ref, sizeof ref));
    rf_ports_add(ps, "int n", "n");
    snprintf(decl, sizeof decl, "const %s_shards *shards", p->name);
    rf_ports_add(ps, decl, "&m->shards");
    const rf_plan_op *drop = backward_drop(p, op);
    if (drop && backward_needs_bits(p, op)) {
        rf_dropout_mask_ports(ps, p, drop);
    } else if (drop) {
        char arg[120];
        snprintf(arg, sizeof arg, "m->dropout_scale[%s]", drop->dropout_index);
        rf_ports_add(ps, "float scale", "%s", arg);
    }
    if (drop)
        rf_ports_add(ps, "int training", "training");
}

/* The forward's order of work tiles: column panel by column panel, so that a thread's
 * consecutive tiles reuse one panel of weight; a narrow weight (not packed) stays in cache
 * in any order, so row tile by row tile, and each thread gets some of the column tail's
 * slower tiles instead of one thread all of them. */
static void forward_order(rf_codebuf *cb, const rf_plan_op *op, const char *head)
{
    if (op->weight_packed != RF_PLAN_NONE) {
        rf_cb_line(cb, "%s work tiles of TILE_ROWS rows x NR columns, column panel by column panel", head);
        rf_cb_line(cb, " * (a thread's consecutive tiles reuse one panel of weight) */");
    } else {
        rf_cb_line(cb, "%s work tiles of TILE_ROWS rows x NR columns, row tile by row tile", head);
        rf_cb_line(cb, " * (the weight is small: each thread takes its share of the column tail) */");
    }
}

static void dense_forward(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op)
{
    char epilogue[400];
    const int chain = op->chain == op->layer_index;
    if (chain) {
        const rf_plan_op *act = chain_act(p, op), *drop = chain_drop(p, op);
        rf_cb_line(cb, "/* out = %s%s(in weight + bias)%s, in the product's epilogue (%s%s%s fused):",
                   drop ? "dropout(" : "", act ? rf_layer_kind_name(act->kind) : "", drop ? ")" : "",
                   act ? act->name : "", act && drop ? " and " : "", drop ? drop->name : "");
        if (drop)
            rf_cb_line(cb, " * dropout in training only, the mask bits of %s_dropout_bits(key, r * UNITS + j);", p->name);
        forward_order(cb, op, " *");
    } else {
        forward_order(cb, op, "/* out = in weight + bias:");
    }
    rf_emit_step_signature(cb, p, op, 0);
    const char *a = "in[0]";
    const int pairs = forward_pairs(p, op);
    char count[2 * RF_PLAN_IDENT + 24];
    if (op->in_bf16 != RF_PLAN_NONE) {
        snprintf(count, sizeof count, "(ptrdiff_t)n * %s", op->in_dim);
        if (pairs) {
            pairs_if(cb);
            rf_cb_line(cb, "/* precision bf16: in rounded once, as pairs along its rows, for this product */");
            rf_cb_line(cb, "%s_pair_copy(in_bf16[0], in[0], n, %s);", p->name, op->in_dim);
            pairs_else(cb);
        }
        rf_cb_line(cb, "/* precision bf16: in rounded once, for this product and the weight gradient */");
        emit_round_copy(cb, p, "in_bf16[0]", "in[0]", count);
        if (pairs)
            pairs_endif(cb);
        rf_cb_line(cb, "OMP_BARRIER");
        a = "in_bf16[0]";
    }
    forward_epilogue(p, op, epilogue, sizeof epilogue);
    emit_epilogue_local(cb, p, "epilogue", epilogue);
    if (pairs) {
        char depth[RF_PLAN_IDENT + 16], panel[RF_PLAN_IDENT + 40];
        snprintf(depth, sizeof depth, "PAIRS_OF(%s)", op->in_dim);
        snprintf(panel, sizeof panel, "(ptrdiff_t)PAIRS_OF(%s) * NR", op->in_dim);
        pairs_if(cb);
        rf_cb_line(cb, "/* A, B: pairs; B: weight in panels (%s_prepare_weights,", p->name);
        rf_cb_line(cb, " * or %s_infer_pack_weights in the inference file) */", p->name);
        rf_cb_line(cb, "(void)weight;");
        emit_product_call(cb, p, "out[0]", op->out_dim, "epilogue", a, depth, "1", "weight_packed", "NR", panel,
                          "n", op->out_dim, depth, "NULL", "TILE_ROWS", "1", 1);
        pairs_else(cb);
    }
    if (op->weight_packed != RF_PLAN_NONE) {
        char panel[RF_PLAN_IDENT + 40];
        snprintf(panel, sizeof panel, "weight_packed ? (ptrdiff_t)%s * NR : 0", op->in_dim);
        rf_cb_line(cb, "/* B: weight in panels (%s_prepare_weights), or as it is (NULL: the inference file) */",
                   p->name);
        emit_product_call(cb, p, "out[0]", op->out_dim, "epilogue", a, op->in_dim, "1",
                          "weight_packed ? weight_packed : weight[0]", op->out_dim, panel, "n", op->out_dim,
                          op->in_dim, "NULL", "TILE_ROWS", "1", 0);
    } else {
        emit_product_call(cb, p, "out[0]", op->out_dim, "epilogue", a, op->in_dim, "1", "weight[0]",
                          op->out_dim, "0", "n", op->out_dim, op->in_dim, "NULL", "TILE_ROWS", "0", 0);
    }
    if (pairs)
        pairs_endif(cb);
    rf_cb_line(cb, "OMP_BARRIER");
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
}

/* The weight gradient's B packed into batch_packed for one form of the product (transposed:
 * weight_grad^T = out_grad^T in, whose B is in), when that form packs. */
static void emit_wgrad_pack(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op, int transposed)
{
    if (!rf_plan_wgrad_packs(op, transposed))
        rf_cb_line(cb, "/* %s: read as it is (too narrow a B, or too few rows of C, to pay for a copy) */",
                   transposed ? "in" : "out_grad");
    else if (transposed)
        emit_pack_call(cb, p, "batch_packed", p->precision == RF_PRECISION_BF16 ? "in_bf16[0]" : "in[0]", op->in_dim,
                       "1", "n", op->in_dim);
    else
        emit_pack_call(cb, p, "batch_packed", "out_grad[0]", op->out_dim, "1", "n", op->out_dim);
}

/* The weight gradient's product in one form, B packed or as it is. */
static void emit_wgrad_product(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op, int transposed)
{
    const int packed = rf_plan_wgrad_packs(op, transposed);
    /* precision bf16: the rounded copies (the packs round what they copy) */
    const int bf16 = p->precision == RF_PRECISION_BF16;
    const char *in = bf16 ? "in_bf16[0]" : "in[0]", *out_grad = bf16 ? "out_grad_bf16[0]" : "out_grad[0]";
    const char *b = packed ? "batch_packed" : transposed ? in : out_grad;
    const char *b_row = packed ? "NR" : transposed ? op->in_dim : op->out_dim;
    const char *b_panel = packed ? "(ptrdiff_t)n * NR" : "0";
    if (transposed) {
        rf_cb_line(cb, "/* out_grad's rows are not whole vectors: computed as weight_grad^T = out_grad^T in,");
        rf_cb_line(cb, " * the vectors running along in's rows, each tile stored transposed */");
        emit_epilogue_local(cb, p, "store_t", ".transposed = 1");
        emit_product_call(cb, p, "weight_grad[0]", op->out_dim, "store_t", out_grad, "1", op->out_dim, b,
                          b_row, b_panel, op->out_dim, op->in_dim, "n", "shards", "MR", "0", 0);
    } else {
        emit_epilogue_local(cb, p, "store", "0");
        emit_product_call(cb, p, "weight_grad[0]", op->out_dim, "store", in, "1", op->in_dim, b, b_row,
                          b_panel, op->in_dim, op->out_dim, "n", "shards", "MR", "0", 0);
    }
}

/* The two forms of the weight gradient, chosen by the target's vector width when the C is
 * compiled (a width of whole 16-float vectors is whole vectors for every VL: 4, 8, 16). */
static void emit_wgrad_forms(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op,
                             void (*emit)(rf_codebuf *, const rf_plan *, const rf_plan_op *, int))
{
    if (!rf_plan_wgrad_transposed_possible(op)) {
        emit(cb, p, op, 0);
        return;
    }
    rf_cb_open(cb, "if (%s %% VL != 0) {", op->out_dim);
    emit(cb, p, op, 1);
    rf_cb_close(cb, "} else {");
    cb->indent++;
    emit(cb, p, op, 0);
    rf_cb_close(cb, "}");
}

static void dense_backward(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op)
{
    rf_cb_line(cb, "/* weight_grad = in^T out_grad, bias_grad = column sums of out_grad%s",
               op->input_grad ? "," : "");
    if (op->input_grad)
        rf_cb_line(cb, " * in_grad = out_grad weight^T (weight_t: made by %s_prepare_weights) */", p->name);
    else
        rf_cb_line(cb, " * (the first dense layer: its input needs no gradient) */");
    rf_emit_step_signature(cb, p, op, 1);
    const int packs = wgrad_packs_either(op), rounds = op->out_grad_bf16 != RF_PLAN_NONE;
    const int wpairs = wgrad_pairs(p, op), ipairs = input_grad_pairs(p, op), fpairs = forward_pairs(p, op);
    if (backward_in_for_pairs(p, op)) {
        rf_cb_raw(cb, "#if !BF16_PAIRS\n");
        rf_cb_line(cb, "(void)in; /* read where the products read pairs */");
        pairs_endif(cb);
    }
    if (rounds) {
        char count[2 * RF_PLAN_IDENT + 24];
        snprintf(count, sizeof count, "(ptrdiff_t)n * %s", op->out_dim);
        if (ipairs) {
            pairs_if(cb);
            rf_cb_line(cb, "/* precision bf16: out_grad rounded once, as pairs along its rows, for the input");
            rf_cb_line(cb, " * gradient */");
            rf_cb_line(cb, "%s_pair_copy(out_grad_bf16[0], out_grad[0], n, %s);", p->name, op->out_dim);
            pairs_else(cb);
        }
        rf_cb_line(cb, "/* precision bf16: out_grad rounded once, for the products that read it unpacked */");
        emit_round_copy(cb, p, "out_grad_bf16[0]", "out_grad[0]", count);
        if (ipairs)
            pairs_endif(cb);
        rf_cb_line(cb, "");
    }
    if (wpairs || fpairs) {
        char count[2 * RF_PLAN_IDENT + 24];
        snprintf(count, sizeof count, "(ptrdiff_t)n * %s", op->in_dim);
        pairs_if(cb);
        if (wpairs) {
            rf_cb_line(cb, "/* the weight gradient's A, in^T: in rounded once more, as pairs of rows, each");
            rf_cb_line(cb, " * shard's rows paired from its first (over the forward's pairs along the rows) */");
            rf_cb_line(cb, "%s_pair_rows(in_bf16[0], in[0], %s, shards);", p->name, op->in_dim);
        } else {
            rf_cb_line(cb, "/* the weight gradient reads in rounded, not as the forward's pairs: rounded again */");
            emit_round_copy(cb, p, "in_bf16[0]", "in[0]", count);
            if (!rounds && !packs)
                rf_cb_line(cb, "OMP_BARRIER");
        }
        pairs_endif(cb);
        rf_cb_line(cb, "");
    }
    if (packs) {
        const int input_grad_first = op->input_grad && !rounds; /* runs before the barrier */
        rf_cb_line(cb, "/* the weight gradient's B in panels, shared among the threads; the bias gradient%s",
                   input_grad_first ? " and" : "");
        rf_cb_line(cb, " * %sthe barrier */", input_grad_first ? "the input gradient run before " : "runs before ");
        if (wpairs) {
            pairs_if(cb);
            emit_pack_pairs_call(cb, p, "batch_packed", "out_grad[0]", op->out_dim, "1", "n", op->out_dim, "shards");
            pairs_else(cb);
        }
        emit_wgrad_forms(cb, p, op, emit_wgrad_pack);
        if (wpairs)
            pairs_endif(cb);
        rf_cb_line(cb, "");
    }
    rf_cb_line(cb, "/* bias_grad = column sums of out_grad in the shards' tree, SUM_COLS columns at a time */");
    rf_cb_line(cb, "enum { SUM_COLS = 32 };");
    const int whole = op->units_out % 32 == 0;
    rf_cb_line(cb, "OMP_FOR_NOWAIT");
    rf_cb_open(cb, "for (int c0 = 0; c0 < %s; c0 += SUM_COLS) {", op->out_dim);
    const char *cols = "SUM_COLS";
    if (!whole) {
        rf_cb_line(cb, "const int left = %s - c0;", op->out_dim);
        rf_cb_line(cb, "const int cols = left < SUM_COLS ? left : SUM_COLS;");
        cols = "cols";
    }
    rf_cb_line(cb, "float sum[SUM_COLS];");
    rf_cb_line(cb, "%s_column_sums(sum, &out_grad[0][c0], %s, %s, shards);", p->name, op->out_dim, cols);
    rf_cb_line(cb, "for (int j = 0; j < %s; j++)", cols);
    rf_cb_line(cb, "    bias_grad[c0 + j] = sum[j];");
    rf_cb_close(cb, "}");
    if (rounds) {
        rf_cb_line(cb, "");
        rf_cb_line(cb, "OMP_BARRIER /* out_grad_bf16%s whole */", packs ? " and batch_packed are" : " is");
    }
    if (op->input_grad) {
        char epilogue[400], panel[RF_PLAN_IDENT + 24];
        input_grad_epilogue(p, op, epilogue, sizeof epilogue);
        rf_cb_line(cb, "");
        if (chain_below(p, op))
            rf_cb_line(cb, "/* in_grad = out_grad weight^T, back through %s's fused chain (the forward's tiles) */",
                       chain_below(p, op)->name);
        else
            rf_cb_line(cb, "/* in_grad = out_grad weight^T, in the work tiles of the forward */");
        emit_epilogue_local(cb, p, "back", epilogue);
        if (ipairs) {
            char depth[RF_PLAN_IDENT + 16], ppanel[RF_PLAN_IDENT + 40];
            snprintf(depth, sizeof depth, "PAIRS_OF(%s)", op->out_dim);
            snprintf(ppanel, sizeof ppanel, "(ptrdiff_t)PAIRS_OF(%s) * NR", op->out_dim);
            pairs_if(cb);
            rf_cb_line(cb, "/* A, B: pairs */");
            emit_product_call(cb, p, "in_grad[0]", op->in_dim, "back", "out_grad_bf16[0]", depth, "1", "weight_t",
                              "NR", ppanel, "n", op->in_dim, depth, "NULL", "TILE_ROWS", "1", 1);
            pairs_else(cb);
        }
        snprintf(panel, sizeof panel, "(ptrdiff_t)%s * NR", op->out_dim);
        emit_product_call(cb, p, "in_grad[0]", op->in_dim, "back", rounds ? "out_grad_bf16[0]" : "out_grad[0]",
                          op->out_dim, "1",
                          op->pack_weight_t ? "weight_t" : "weight_t[0]", op->pack_weight_t ? "NR" : op->in_dim,
                          op->pack_weight_t ? panel : "0", "n", op->in_dim, op->out_dim, "NULL", "TILE_ROWS", "1", 0);
        if (ipairs)
            pairs_endif(cb);
    }
    rf_cb_line(cb, "");
    if (packs && !rounds)
        rf_cb_line(cb, "OMP_BARRIER /* batch_packed is whole */");
    rf_cb_line(cb, "/* weight_grad = in^T out_grad, summing the batch rows shard by shard, each in row order,");
    rf_cb_line(cb, " * the shards added in the fixed tree (%s_tile); work tiles of MR rows x NR columns,", p->name);
    rf_cb_line(cb, " * row block by row block (a thread keeps MR columns of in in cache) */");
    if (wpairs) {
        pairs_if(cb);
        emit_epilogue_local(cb, p, "store", "0");
        rf_cb_line(cb, "/* A, B: pairs, each shard's rows paired from its first */");
        char panel[RF_NAME_MAX + 64];
        snprintf(panel, sizeof panel, "(ptrdiff_t)%s_shard_pairs(shards, shards->hi) * NR", p->name);
        emit_product_call(cb, p, "weight_grad[0]", op->out_dim, "store", "in_bf16[0]", "1", op->in_dim,
                          "batch_packed", "NR", panel, op->in_dim, op->out_dim, "n", "shards", "MR", "0", 1);
        pairs_else(cb);
    }
    emit_wgrad_forms(cb, p, op, emit_wgrad_product);
    if (wpairs)
        pairs_endif(cb);
    rf_cb_line(cb, "OMP_BARRIER");
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
}

/* Some forward product reads its weight in panels, or (precision bf16) as a rounded copy. */
static int has_forward_packs(const rf_plan *p)
{
    for (int i = 0; i < p->n_ops; i++)
        if (p->ops[i].kind == RF_LAYER_DENSE &&
            (p->ops[i].weight_packed != RF_PLAN_NONE || p->ops[i].weight_bf16 != RF_PLAN_NONE))
            return 1;
    return 0;
}

/* Some input gradient reads a weight transposed. */
static int has_transposes(const rf_plan *p)
{
    for (int i = 0; i < p->n_ops; i++)
        if (p->ops[i].kind == RF_LAYER_DENSE && p->ops[i].backward && p->ops[i].input_grad)
            return 1;
    return 0;
}

int rf_dense_prepares_weights(const rf_plan *p)
{
    return has_forward_packs(p) || has_transposes(p);
}

void rf_emit_dense_prepare_weights(rf_codebuf *cb, const rf_plan *p)
{
    if (!rf_dense_prepares_weights(p))
        return;
    const int fwd = has_forward_packs(p);
    rf_cb_line(cb, "/* The weights as the products read them, copied at the start of every pass (only the");
    rf_cb_line(cb, " * update and the caller change the parameters): each forward weight in panels of NR");
    rf_cb_line(cb, " * columns (%s_pack), and with backward each weight^T an input gradient reads.", p->name);
    if (p->precision == RF_PRECISION_BF16)
        rf_cb_line(cb, " * Precision bf16: every copy is rounded to bfloat16, the products' operand.");
    if (fwd)
        rf_cb_line(cb, " * The threads share the copies; the barrier orders them before the forward. */");
    else
        rf_cb_line(cb, " * The threads share the copies; the forward's barriers order them before the backward. */");
    rf_cb_line(cb, "static void %s_prepare_weights(%s_model *m, int backward)", p->name, p->name);
    rf_cb_open(cb, "{");
    for (int i = 0; i < p->n_ops; i++) {
        const rf_plan_op *op = &p->ops[i];
        if (op->kind != RF_LAYER_DENSE || (op->weight_packed == RF_PLAN_NONE && op->weight_bf16 == RF_PLAN_NONE))
            continue;
        char dst[RF_PLAN_IDENT + 16], w[RF_PLAN_IDENT + 16];
        rf_plan_ref(p, op->weight_packed != RF_PLAN_NONE ? op->weight_packed : op->weight_bf16, dst, sizeof dst);
        rf_plan_ref(p, op->weight, w, sizeof w);
        strcat(dst, "[0]");
        strcat(w, "[0]");
        if (op->weight_packed == RF_PLAN_NONE) { /* too narrow for panels: rounded as it is */
            char count[2 * RF_PLAN_IDENT + 24];
            snprintf(count, sizeof count, "(ptrdiff_t)%s * %s", op->in_dim, op->out_dim);
            rf_cb_line(cb, "/* %s.weight (%d, %d) rounded */", op->name, op->units_in, op->units_out);
            emit_round_copy(cb, p, dst, w, count);
            continue;
        }
        rf_cb_line(cb, "/* %s.weight (%d, %d) in panels */", op->name, op->units_in, op->units_out);
        if (forward_pairs(p, op)) {
            pairs_if(cb);
            emit_pack_pairs_call(cb, p, dst, w, op->out_dim, "1", op->in_dim, op->out_dim, "NULL");
            pairs_else(cb);
        }
        emit_pack_call(cb, p, dst, w, op->out_dim, "1", op->in_dim, op->out_dim);
        if (forward_pairs(p, op))
            pairs_endif(cb);
    }
    if (!has_transposes(p)) {
        rf_cb_line(cb, "(void)backward; /* no input gradient reads a weight */");
    } else {
        rf_cb_open(cb, "if (backward) {");
        int blocks = 0;
        for (int i = 0; i < p->n_ops; i++) {
            const rf_plan_op *op = &p->ops[i];
            if (op->kind != RF_LAYER_DENSE || !op->backward || !op->input_grad)
                continue;
            char wt[RF_PLAN_IDENT + 16], w[RF_PLAN_IDENT + 16];
            rf_plan_ref(p, op->weight_t, wt, sizeof wt);
            rf_plan_ref(p, op->weight, w, sizeof w);
            if (op->pack_weight_t) {
                strcat(wt, "[0]");
                strcat(w, "[0]");
                rf_cb_line(cb, "/* %s.weight^T (%d, %d) in panels */", op->name, op->units_out, op->units_in);
                if (input_grad_pairs(p, op)) {
                    pairs_if(cb);
                    emit_pack_pairs_call(cb, p, wt, w, "1", op->out_dim, op->out_dim, op->in_dim, "NULL");
                    pairs_else(cb);
                }
                emit_pack_call(cb, p, wt, w, "1", op->out_dim, op->out_dim, op->in_dim);
                if (input_grad_pairs(p, op))
                    pairs_endif(cb);
                continue;
            }
            if (!blocks++)
                rf_cb_line(cb, "enum { BLOCK = 16 }; /* square blocks: a few cache lines read and written each */");
            rf_cb_line(cb, "/* %s.weight (%d, %d) -> (%d, %d) */", op->name, op->units_in, op->units_out,
                       op->units_out, op->units_in);
            rf_cb_line(cb, "OMP_FOR_NOWAIT");
            rf_cb_line(cb, "for (int k0 = 0; k0 < %s; k0 += BLOCK)", op->in_dim);
            rf_cb_line(cb, "    for (int j0 = 0; j0 < %s; j0 += BLOCK)", op->out_dim);
            rf_cb_line(cb, "        for (int j = j0; j < j0 + BLOCK && j < %s; j++)", op->out_dim);
            rf_cb_line(cb, "            for (int k = k0; k < k0 + BLOCK && k < %s; k++)", op->in_dim);
            if (p->precision == RF_PRECISION_BF16)
                rf_cb_line(cb, "                %s[j][k] = round_bf16(%s[k][j]);", wt, w);
            else
                rf_cb_line(cb, "                %s[j][k] = %s[k][j];", wt, w);
        }
        rf_cb_close(cb, "}");
    }
    if (fwd)
        rf_cb_line(cb, "OMP_BARRIER");
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
}

const rf_layer_emitter rf_dense_emitter = {
    .describe = dense_describe,
    .shapes = dense_shapes,
    .helpers = dense_helpers,
    .forward = dense_forward,
    .backward = dense_backward,
    .forward_ports = forward_ports,
    .backward_ports = backward_ports,
};
