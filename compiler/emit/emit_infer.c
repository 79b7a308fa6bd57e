/* NAME_infer.h and NAME_infer.c (SPEC 7): the forward pass with the trained
 * parameters compiled in, for shipping inside another program.
 *
 * The layers are THE SAME code as NAME_predict's: the layer emitters' helpers
 * and NAME_LAYER_forward functions (rf_emit_layer_helpers, rf_emit_layer_steps), called
 * with the same port lists; only the arguments differ. Where the training code
 * passes its struct's buffers (m->dense1_out), the inference driver passes
 * the parameters as static const arrays and the layers' outputs as regions of
 * the caller's workspace; dropout gets training = 0 (the identity, as in
 * predict) and so never draws a mask. With the same compiler and flags the
 * outputs are the same bits as NAME_predict's.
 *
 * The workspace holds the hidden layers' outputs for BATCH rows in two slots
 * used in turn (layer k reads slot k % 2 and writes the other); the last layer
 * writes the caller's out directly (predict copies the same rows out of its
 * struct). NAME_infer_classify also keeps a chunk's logits there. Calls of
 * any n run BATCH rows at a time inside one parallel region.
 *
 * Parameters are hex-float literals ("-0x1.47ae14p-7f"), exact by the C
 * standard (no decimal rounding involved), about 16 bytes of source each. */
#include "bf16.h"
#include "emit.h"
#include "emit_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef REGFIT_VERSION
#define REGFIT_VERSION "unknown"
#endif

/* Where the forward pass keeps each buffer: LOC_BF16, the region where every dense layer
 * rounds its input (precision bf16; the layers run one after the other, so one will do). */
enum { LOC_NONE = -1, LOC_SLOT0 = 0, LOC_SLOT1 = 1, LOC_OUT = 2, LOC_BF16 = 3 };

typedef struct {
    int *loc;          /* per plan buffer: LOC_* */
    long slot_at[2];   /* offsets of the slots in the workspace, in floats */
    long slot_size[2]; /* BATCH x the widest buffer in it */
    long logits_at;    /* classify: BATCH x OUTPUTS logits (softmax models), else -1 */
    long bf16_at;      /* precision bf16: BATCH x the widest dense input, rounded; else -1 */
    long *pairs_at;    /* per plan buffer: where a weight's pairs go (a forward of pairs), else -1 */
    long pairs;        /* floats of all the weights' pairs */
    long workspace;    /* floats one call needs */
} infer_layout;

/* Gives every layer's output its place: the model's output goes to out, the others
 * to the slot their input is not in. Returns 0, or -1 (out of memory, or a plan that
 * is not a chain). */
static int layout_build(const rf_plan *p, infer_layout *L)
{
    memset(L, 0, sizeof *L);
    L->loc = malloc(((size_t)p->n_buffers + 1) * sizeof *L->loc);
    L->pairs_at = malloc(((size_t)p->n_buffers + 1) * sizeof *L->pairs_at);
    if (!L->loc || !L->pairs_at)
        return -1;
    for (int b = 0; b < p->n_buffers; b++) {
        L->loc[b] = LOC_NONE;
        L->pairs_at[b] = -1;
    }
    for (int i = 0; i < p->n_ops; i++) {
        const rf_plan_op *op = &p->ops[i];
        if (op->fused)
            continue;
        /* x counts as slot 1, so that the first layer writes slot 0 */
        int in = op->in == RF_PLAN_INPUT ? LOC_SLOT1 : op->in >= 0 ? L->loc[op->in] : LOC_NONE;
        if (in != LOC_SLOT0 && in != LOC_SLOT1)
            return -1; /* each layer reads the input or the layer before */
        if (op->out == p->output) {
            L->loc[op->out] = LOC_OUT;
            continue;
        }
        const int slot = in == LOC_SLOT0 ? LOC_SLOT1 : LOC_SLOT0;
        L->loc[op->out] = slot;
        const long size = (long)p->batch * p->buffers[op->out].extent[1];
        if (size > L->slot_size[slot])
            L->slot_size[slot] = size;
    }
    L->slot_at[1] = L->slot_size[0];
    L->workspace = L->slot_size[0] + L->slot_size[1];
    L->logits_at = -1;
    if (p->loss == RF_LOSS_SOFTMAX_CE) {
        L->logits_at = L->workspace;
        L->workspace += (long)p->batch * p->outputs;
    }
    L->bf16_at = -1;
    long widest = 0;
    for (int i = 0; i < p->n_ops; i++) {
        const rf_plan_op *op = &p->ops[i];
        if (op->in_bf16 == RF_PLAN_NONE)
            continue;
        L->loc[op->in_bf16] = LOC_BF16;
        if (p->buffers[op->in_bf16].extent[1] > widest)
            widest = p->buffers[op->in_bf16].extent[1];
    }
    if (widest) {
        L->bf16_at = L->workspace;
        L->workspace += (long)p->batch * widest;
    }
    /* each forward of pairs: its weight's pairs, packed once a call (at most its panels' size) */
    for (int i = 0; i < p->n_ops; i++) {
        const rf_plan_op *op = &p->ops[i];
        if (!rf_dense_forward_pairs(p, op))
            continue;
        const rf_plan_buffer *b = &p->buffers[op->weight_packed];
        L->pairs_at[op->weight_packed] = L->workspace;
        L->workspace += b->extent[0] * b->extent[1];
        L->pairs += b->extent[0] * b->extent[1];
    }
    return 0;
}

/* The last identifier of a port's declaration: "uint64_t key" -> "key". */
static const char *decl_name(const char *decl)
{
    const char *end = decl + strlen(decl), *s = end;
    while (s > decl && (s[-1] == '_' || (s[-1] >= 'a' && s[-1] <= 'z') || (s[-1] >= '0' && s[-1] <= '9')))
        s--;
    return s;
}

/* The inference driver's argument for a port of the training driver's call. Returns 0,
 * or -1 for an argument it does not know (a generator bug: the caller reports it). */
static int infer_arg(const rf_plan *p, const infer_layout *L, const rf_port *pt, char *buf, size_t len)
{
    if (!strcmp(pt->arg, "input") || !strcmp(pt->arg, "n")) {
        snprintf(buf, len, "%s", pt->arg);
        return 0;
    }
    if (!strncmp(pt->arg, "m->", 3)) {
        for (int b = 0; b < p->n_buffers; b++) {
            const rf_plan_buffer *buf_b = &p->buffers[b];
            if (strcmp(pt->arg + 3, buf_b->name) != 0)
                continue;
            if (buf_b->role == RF_BUF_PARAM)
                snprintf(buf, len, "%s_%s", p->name, buf_b->name);
            else if (buf_b->rounded_from >= 0 && p->buffers[buf_b->rounded_from].role == RF_BUF_PARAM)
                snprintf(buf, len, "%s_%s", p->name, p->buffers[buf_b->rounded_from].name); /* rounded */
            else if (buf_b->role == RF_BUF_MASK)
                snprintf(buf, len, "NULL"); /* written in training only */
            else if (L->loc[b] == LOC_OUT)
                snprintf(buf, len, "out");
            else if (L->loc[b] != LOC_NONE && !strncmp(pt->decl, "const ", 6)) /* ISO C before C2X: */
                snprintf(buf, len, "(const float (*)[%s])%s", buf_b->dims[1], buf_b->name); /* no implicit const */
            else if (L->loc[b] != LOC_NONE)
                snprintf(buf, len, "%s", buf_b->name);
            else
                return -1;
            return 0;
        }
    }
    /* a forward of pairs: its weight's pairs (NULL where the target reads no pairs) */
    if (!strcmp(decl_name(pt->decl), "weight_packed"))
        for (int b = 0; b < p->n_buffers; b++)
            if (L->pairs_at[b] >= 0 && !strncmp(pt->arg, "m->", 3) &&
                !strncmp(pt->arg + 3, p->buffers[b].name, strlen(p->buffers[b].name)) &&
                !strcmp(pt->arg + 3 + strlen(p->buffers[b].name), "[0]")) {
                snprintf(buf, len, "%s", p->buffers[b].name);
                return 0;
            }
    /* a dropout's mask: unused when training = 0; weights are read as they are, not packed */
    static const char *const mask[][2] = {{"key", "0"},   {"threshold", "0"}, {"scale", "1.0f"},
                                          {"training", "0"}, {"index0", "0"}, {"weight_packed", "NULL"}};
    for (size_t k = 0; k < sizeof mask / sizeof mask[0]; k++)
        if (!strcmp(decl_name(pt->decl), mask[k][0])) {
            snprintf(buf, len, "%s", mask[k][1]);
            return 0;
        }
    return -1;
}

/* ---- the files' comment ---- */

static void emit_file_comment(rf_codebuf *cb, const rf_plan *p, const rf_infer_params *w, const char *suffix)
{
    char ckpt[600];
    rf_comment_safe(w->source, ckpt, sizeof ckpt);
    rf_cb_line(cb, "/* %s_infer.%s: generated by regfitc %s from %s", p->name, suffix, REGFIT_VERSION,
               p->source_name);
    rf_cb_line(cb, " * (FNV-1a 64 of the model file: %016llx)", (unsigned long long)p->source_hash);
    rf_cb_line(cb, " * and the parameters of %s", ckpt);
    rf_cb_line(cb, " * (FNV-1a 64 of its bytes: %016llx). Regenerate it rather than edit it.",
               (unsigned long long)w->source_hash);
    rf_cb_line(cb, " *");
    rf_cb_line(cb, " * Inference only: %s_predict's forward pass (dropout off) with these parameters", p->name);
    rf_cb_line(cb, " * compiled in; the same kernels, so the same bits with the same compiler and flags.");
    rf_cb_line(cb, " * No allocation, no stdio, no random numbers, no mutable state: threads may call it");
    rf_cb_line(cb, " * at once, each with its own workspace.");
    rf_cb_line(cb, " *");
    rf_emit_layer_list(cb, p);
    rf_cb_line(cb, " * %s loss: out holds %s.", rf_loss_name(p->loss),
               p->loss == RF_LOSS_SOFTMAX_CE ? "logits (softmax them for probabilities)" : "the predictions");
    rf_cb_line(cb, " */");
}

/* ---- NAME_infer.h ---- */

static void emit_header(rf_codebuf *cb, const rf_plan *p, const rf_infer_params *w, const infer_layout *L)
{
    const char *n = p->name, *N = p->macro;
    const int ce = p->loss == RF_LOSS_SOFTMAX_CE;
    emit_file_comment(cb, p, w, "h");
    rf_cb_line(cb, "#ifndef %s_INFER_H", N);
    rf_cb_line(cb, "#define %s_INFER_H", N);
    rf_cb_line(cb, "");
    rf_cb_line(cb, "#include <stdint.h>");
    rf_cb_line(cb, "");
    rf_emit_flags_comment(cb);
    rf_cb_line(cb, "#ifdef __cplusplus");
    rf_cb_line(cb, "extern \"C\" {");
    rf_cb_line(cb, "#endif");
    rf_cb_line(cb, "");
    rf_cb_line(cb, "#define %s_INFER_INPUTS %d /* features per row */", N, p->input);
    rf_cb_line(cb, "#define %s_INFER_OUTPUTS %d /* %s per row */", N, p->outputs, ce ? "logits" : "outputs");
    rf_cb_line(cb, "#define %s_INFER_BATCH %d /* rows per pass inside a call */", N, p->batch);
    if (L->workspace > 0) {
        rf_cb_line(cb, "/* floats of scratch one call needs: %s_INFER_BATCH rows of the hidden layers' outputs,",
                   N);
        rf_cb_line(cb, " * two slots used in turn%s%s%s (%.1f KB) */", ce ? ", and of the logits for classify" : "",
                   L->bf16_at >= 0 ? ", and of a layer's input rounded to bfloat16" : "",
                   L->pairs ? ";\n * and the weights as bfloat16 pairs, for a target with AVX512_BF16" : "",
                   4.0 * (double)L->workspace / 1e3);
        rf_cb_line(cb, "#define %s_INFER_WORKSPACE %ld", N, L->workspace);
    } else {
        rf_cb_line(cb, "/* floats of scratch one call needs: none for this model (NULL is fine); 1 so that");
        rf_cb_line(cb, " * float ws[%s_INFER_WORKSPACE] stays valid C */", N);
        rf_cb_line(cb, "#define %s_INFER_WORKSPACE 1", N);
    }
    rf_cb_line(cb, "");
    rf_cb_line(cb, "/* The %s of the n rows of x (n x %s_INFER_INPUTS, row-major) into out", ce ? "logits" : "outputs",
               N);
    rf_cb_line(cb, " * (n x %s_INFER_OUTPUTS). Any n >= 0 (n <= 0 does nothing); workspace: at least", N);
    rf_cb_line(cb, " * %s_INFER_WORKSPACE floats of the caller's, not shared with another call running", N);
    rf_cb_line(cb, " * at the same time. With -fopenmp the rows are shared among OpenMP's threads. */");
    rf_cb_line(cb, "void %s_infer(const float *x, int n, float *out, float *workspace);", n);
    if (ce) {
        rf_cb_line(cb, "");
        rf_cb_line(cb, "/* The class of each of the n rows of x into label[0 .. n-1]: the index of its largest");
        rf_cb_line(cb, " * logit, the first of equal ones (a NaN is never larger, nor is anything larger than");
        rf_cb_line(cb, " * a NaN in first place). n and workspace as for %s_infer. */", n);
        rf_cb_line(cb, "void %s_infer_classify(const float *x, int n, int32_t *label, float *workspace);", n);
    } else {
        rf_cb_line(cb, "");
        rf_cb_line(cb, "/* (No %s_infer_classify: with %s loss the model predicts values, not classes.) */", n,
                   rf_loss_name(p->loss));
    }
    rf_cb_line(cb, "");
    rf_cb_line(cb, "#ifdef __cplusplus");
    rf_cb_line(cb, "}");
    rf_cb_line(cb, "#endif");
    rf_cb_line(cb, "");
    rf_cb_line(cb, "#endif");
}

/* ---- NAME_infer.c ---- */

/* 1 when q is a dense layer's weight (not a bias). */
static int is_weight(const rf_plan *p, const rf_plan_param *q)
{
    for (int i = 0; i < p->n_ops; i++)
        if (p->ops[i].kind == RF_LAYER_DENSE && p->ops[i].weight == q->value)
            return 1;
    return 0;
}

/* One parameter tensor as a static const array of hex-float literals, a row of a
 * weight matrix in braces; with precision bf16 a weight is written rounded to bfloat16
 * (products are all that read it, and they read it rounded: the same bits as predict's).
 * Returns 0, or -1 with err set for a NaN or infinity. */
static int emit_tensor(rf_codebuf *cb, const rf_plan *p, const rf_plan_param *q, const float *v, char *err,
                       size_t errlen)
{
    const rf_plan_buffer *b = &p->buffers[q->value];
    const long rows = b->n_dims == 2 ? b->extent[0] : 1, cols = b->n_dims == 2 ? b->extent[1] : b->extent[0];
    for (long k = 0; k < rows * cols; k++)
        if (!isfinite(v[k])) {
            snprintf(err, errlen, "parameter %s[%ld] is %s: a diverged run's parameters cannot be exported",
                     q->name, k, isnan(v[k]) ? "NaN" : "infinite");
            return -1;
        }
    char decl[300];
    int o = snprintf(decl, sizeof decl, "static const float %s_%s", p->name, b->name);
    /* a vector (at most 16 floats) is never loaded past a bias's end: the last, partial one
     * is taken lane by lane, but gcc -O2 -Warray-bounds sees the dead vector path when the
     * array's size is known, so a bias is padded with zeros to whole 16-float vectors */
    const int pad = b->n_dims == 1 && cols % 16 ? (int)(16 - cols % 16) : 0;
    for (int d = 0; d < b->n_dims; d++)
        o += snprintf(decl + o, sizeof decl - (size_t)o, "[%s]", b->dims[d]);
    if (pad)
        snprintf(decl + o - 1, sizeof decl - (size_t)o + 1, " + %d]", pad);
    const int rounded = p->precision == RF_PRECISION_BF16 && is_weight(p, q);
    if (b->n_dims == 2)
        rf_cb_line(cb, "/* %s (%ld, %ld): a row per input feature%s */", q->name, rows, cols,
                   rounded ? ", rounded to bfloat16 (the products' operand)" : "");
    else if (pad)
        rf_cb_line(cb, "/* %s (%ld), then %d zeros: whole 16-float vectors (no -Warray-bounds on dead code) */",
                   q->name, cols, pad);
    else
        rf_cb_line(cb, "/* %s (%ld) */", q->name, cols);
    rf_cb_line(cb, "%s = {", decl);
    const char *lead = b->n_dims == 2 ? "    {" : "    ", *cont = b->n_dims == 2 ? "     " : "    ";
    for (long r = 0; r < rows; r++) {
        char line[128];
        int len = snprintf(line, sizeof line, "%s", lead);
        for (long j = 0; j < cols; j++) {
            char lit[40];
            const int last = j + 1 == cols;
            const float x = rounded ? rf_round_bf16(v[r * cols + j]) : v[r * cols + j];
            int l = snprintf(lit, sizeof lit, "%af%s", (double)x,
                             last ? (b->n_dims == 2 ? "}," : ",") : ",");
            if (len + 1 + l > 100) {
                rf_cb_line(cb, "%s", line);
                len = snprintf(line, sizeof line, "%s", cont);
            } else if (j > 0) {
                line[len++] = ' ';
            }
            memcpy(line + len, lit, (size_t)l + 1);
            len += l;
        }
        rf_cb_line(cb, "%s", line);
    }
    rf_cb_line(cb, "};");
    rf_cb_line(cb, "");
    return 0;
}

/* NAME_infer_rows: the forward pass over n <= BATCH rows, each layer's call as in
 * NAME_forward with the inference arguments. Returns 0 or -1 (err set). */
static int emit_rows_pass(rf_codebuf *cb, const rf_plan *p, const infer_layout *L, char *err, size_t errlen)
{
    const char *n = p->name, *N = p->macro;
    rf_cb_line(cb, "/* ---- The forward pass over n <= %s_BATCH rows, on every thread of the caller's", N);
    rf_cb_line(cb, " * parallel region: the calls of %s_forward with training = 0 (dropout is the", n);
    rf_cb_line(cb, " * identity, and draws no mask), the parameters above and the workspace's slots ---- */");
    char head[RF_PLAN_IDENT + 48], input[RF_PLAN_IDENT + 48], out[RF_PLAN_IDENT + 48];
    snprintf(head, sizeof head, "static void %s_infer_rows(", n);
    snprintf(input, sizeof input, "const float (*input)[%s_INPUTS]", N);
    snprintf(out, sizeof out, "float (*out)[%s_OUTPUTS]", N);
    const char *params[] = {input, "int n", out, "float *workspace"};
    rf_emit_signature(cb, head, params, 4);
    int slots = 0;
    for (int b = 0; b < p->n_buffers; b++) {
        const rf_plan_buffer *buf = &p->buffers[b];
        if (L->loc[b] != LOC_SLOT0 && L->loc[b] != LOC_SLOT1 && L->loc[b] != LOC_BF16)
            continue;
        if (L->loc[b] == LOC_BF16)
            rf_cb_line(cb, "/* %s: the rounding region */", buf->name);
        else
            rf_cb_line(cb, "/* %s: slot %d */", buf->name, L->loc[b]);
        rf_cb_line(cb, "float (*const %s)[%s] = (float (*)[%s])(workspace + %ld);", buf->name, buf->dims[1],
                   buf->dims[1], L->loc[b] == LOC_BF16 ? L->bf16_at : L->slot_at[L->loc[b]]);
        slots++;
    }
    for (int b = 0; b < p->n_buffers; b++) {
        if (L->pairs_at[b] < 0)
            continue;
        rf_cb_raw(cb, "#if BF16_PAIRS\n");
        rf_cb_line(cb, "/* %s: the weight's pairs (%s_infer_pack_weights) */", p->buffers[b].name, n);
        rf_cb_line(cb, "const float *const %s = workspace + %ld;", p->buffers[b].name, L->pairs_at[b]);
        rf_cb_raw(cb, "#else\n");
        rf_cb_line(cb, "const float *const %s = NULL; /* the weight as it is */", p->buffers[b].name);
        rf_cb_raw(cb, "#endif\n");
        slots++;
    }
    if (!slots)
        rf_cb_line(cb, "(void)workspace; /* one layer: it writes out */");
    if (!p->n_ops) {
        rf_cb_line(cb, "/* no layers: the output is the input */");
        rf_cb_line(cb, "OMP_FOR");
        rf_cb_line(cb, "for (int r = 0; r < n; r++)");
        rf_cb_line(cb, "    memcpy(out[r], input[r], sizeof out[r]);");
    }
    for (int i = 0; i < p->n_ops; i++) {
        const rf_plan_op *op = &p->ops[i];
        if (op->fused)
            continue;
        rf_ports ps;
        ps.n = 0;
        rf_layer_emitter_of(op->kind)->forward_ports(p, op, &ps);
        const char *args[RF_MAX_PORTS];
        char text[RF_MAX_PORTS][200];
        for (int k = 0; k < ps.n; k++) {
            if (infer_arg(p, L, &ps.port[k], text[k], sizeof text[k]) != 0) {
                snprintf(err, errlen, "internal error: no inference argument for '%s' of %s_forward",
                         ps.port[k].decl, op->name);
                return -1;
            }
            args[k] = text[k];
        }
        char name[RF_PLAN_IDENT + 48];
        snprintf(name, sizeof name, "%s_%s_forward", n, op->name);
        rf_emit_call(cb, name, args, ps.n);
    }
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
    return 0;
}

/* The chunk loop of a public function: BATCH rows at a time, all in one parallel region
 * (every thread runs the loop; the layers share out each chunk's work). */
static void emit_chunks(rf_codebuf *cb, const rf_plan *p, const infer_layout *L, const char *out,
                        const char *after)
{
    const char *n = p->name, *N = p->macro;
    rf_cb_line(cb, "OMP_PARALLEL");
    if (L->pairs) {
        rf_cb_open(cb, "{");
        rf_cb_raw(cb, "#if BF16_PAIRS\n");
        rf_cb_line(cb, "%s_infer_pack_weights(workspace);", n);
        rf_cb_line(cb, "OMP_BARRIER");
        rf_cb_raw(cb, "#endif\n");
    }
    rf_cb_open(cb, "for (ptrdiff_t r0 = 0; r0 < n; r0 += %s_BATCH) {", N);
    rf_cb_line(cb, "const int rows = n - r0 < %s_BATCH ? (int)(n - r0) : %s_BATCH;", N, N);
    char name[RF_PLAN_IDENT + 16], x[RF_PLAN_IDENT + 64];
    snprintf(name, sizeof name, "%s_infer_rows", n);
    snprintf(x, sizeof x, "(const float (*)[%s_INPUTS])(x + r0 * %s_INPUTS)", N, N);
    const char *args[] = {x, "rows", out, "workspace"};
    rf_emit_call(cb, name, args, 4);
    if (after)
        rf_cb_raw(cb, "%s", after);
    rf_cb_close(cb, "}");
    if (L->pairs)
        rf_cb_close(cb, "}");
}

/* NAME_infer_pack_weights: each forward of pairs' weight as pairs, into the workspace,
 * shared among the threads (the caller's barrier follows), as NAME_prepare_weights packs
 * them for predict: the same pairs, the same sums. */
static void emit_pack_weights(rf_codebuf *cb, const rf_plan *p, const infer_layout *L)
{
    if (!L->pairs)
        return;
    rf_cb_raw(cb, "#if BF16_PAIRS\n");
    rf_cb_line(cb, "/* The weights as bfloat16 pairs for the forwards that read them, once a call */");
    rf_cb_line(cb, "static void %s_infer_pack_weights(float *workspace)", p->name);
    rf_cb_open(cb, "{");
    for (int i = 0; i < p->n_ops; i++) {
        const rf_plan_op *op = &p->ops[i];
        if (!rf_dense_forward_pairs(p, op))
            continue;
        char name[RF_PLAN_IDENT + 16], dst[64], w[2 * RF_PLAN_IDENT + 8];
        snprintf(name, sizeof name, "%s_pack_pairs", p->name);
        snprintf(dst, sizeof dst, "workspace + %ld", L->pairs_at[op->weight_packed]);
        snprintf(w, sizeof w, "%s_%s[0]", p->name, p->buffers[op->weight].name);
        const char *args[] = {dst, w, op->out_dim, "1", op->in_dim, op->out_dim, "NULL"};
        rf_emit_call(cb, name, args, 7);
    }
    rf_cb_close(cb, "}");
    rf_cb_raw(cb, "#endif\n");
    rf_cb_line(cb, "");
}

static void emit_api(rf_codebuf *cb, const rf_plan *p, const infer_layout *L)
{
    const char *n = p->name, *N = p->macro;
    rf_cb_line(cb, "/* ---- The API (%s_infer.h) ---- */", n);
    rf_cb_line(cb, "");
    rf_cb_line(cb, "void %s_infer(const float *x, int n, float *out, float *workspace)", n);
    rf_cb_open(cb, "{");
    rf_cb_line(cb, "if (n <= 0)");
    rf_cb_line(cb, "    return;");
    char out[160];
    snprintf(out, sizeof out, "(float (*)[%s_OUTPUTS])(out + r0 * %s_OUTPUTS)", N, N);
    emit_chunks(cb, p, L, out, NULL);
    rf_cb_close(cb, "}");
    if (L->logits_at < 0)
        return;
    rf_cb_line(cb, "");
    rf_cb_line(cb, "void %s_infer_classify(const float *x, int n, int32_t *label, float *workspace)", n);
    rf_cb_open(cb, "{");
    rf_cb_line(cb, "if (n <= 0)");
    rf_cb_line(cb, "    return;");
    rf_cb_line(cb, "/* each chunk's logits, after the slots */");
    rf_cb_line(cb, "float (*const logits)[%s_OUTPUTS] = (float (*)[%s_OUTPUTS])(workspace + %ld);", N, N,
               L->logits_at);
    char after[1024];
    snprintf(after, sizeof after,
             "%*s/* the first largest logit of each row; the loop's barrier keeps the logits until read */\n"
             "%*sOMP_FOR\n"
             "%*sfor (int r = 0; r < rows; r++) {\n"
             "%*s    int best = 0;\n"
             "%*s    for (int j = 1; j < %s_OUTPUTS; j++)\n"
             "%*s        best = logits[r][j] > logits[r][best] ? j : best;\n"
             "%*s    label[r0 + r] = best;\n"
             "%*s}\n",
             8, "", 8, "", 8, "", 8, "", 8, "", N, 8, "", 8, "", 8, "");
    emit_chunks(cb, p, L, "logits", after);
    rf_cb_close(cb, "}");
}

static int emit_source(rf_codebuf *cb, const rf_plan *p, const rf_infer_params *w, const infer_layout *L,
                       char *err, size_t errlen)
{
    const char *n = p->name, *N = p->macro;
    emit_file_comment(cb, p, w, "c");
    rf_cb_line(cb, "#include \"%s_infer.h\"", n);
    rf_cb_line(cb, "");
    rf_cb_line(cb, "#include <math.h>");
    rf_cb_line(cb, "#include <stddef.h>");
    rf_cb_line(cb, "#include <stdint.h>");
    rf_cb_line(cb, "#include <string.h>");
    rf_cb_line(cb, "");
    rf_cb_line(cb, "/* The shapes, as in %s.h */", n);
    rf_cb_line(cb, "#define %s_BATCH %d", N, p->batch);
    rf_cb_line(cb, "#define %s_INPUTS %d", N, p->input);
    rf_cb_line(cb, "#define %s_OUTPUTS %d", N, p->outputs);
    for (int i = 0; i < p->n_ops; i++)
        rf_layer_emitter_of(p->ops[i].kind)->shapes(cb, p, &p->ops[i]);
    rf_cb_line(cb, "");
    rf_emit_shards_type(cb, p); /* the product template names it (the forward passes NULL) */
    rf_emit_openmp_macros(cb, p);
    rf_cb_line(cb, "/* The layers' code below is the training code's, forward only: the helpers come whole,");
    rf_cb_line(cb, " * so some (gradients, mask bits: dropout is off here) are never called. */");
    rf_cb_line(cb, "#pragma GCC diagnostic push");
    rf_cb_line(cb, "#pragma GCC diagnostic ignored \"-Wunused-function\"");
    rf_cb_line(cb, "");
    rf_emit_rng_dropout_bits(cb, p);
    rf_emit_layer_helpers(cb, p);
    rf_emit_layer_steps(cb, p, 0);
    rf_cb_line(cb, "#pragma GCC diagnostic pop");
    rf_cb_line(cb, "");
    /* the parameters, headed by what they cost in source */
    rf_codebuf params;
    rf_cb_init(&params);
    long count = 0;
    for (int i = 0; i < p->n_params; i++) {
        count += p->buffers[p->params[i].value].extent[0] *
                 (p->buffers[p->params[i].value].n_dims == 2 ? p->buffers[p->params[i].value].extent[1] : 1);
        if (emit_tensor(&params, p, &p->params[i], w->data[i], err, errlen) != 0) {
            rf_cb_free(&params);
            return -1;
        }
    }
    char *text = rf_cb_take(&params);
    if (!text) {
        snprintf(err, errlen, "out of memory while generating %s_infer", n);
        return -1;
    }
    rf_cb_line(cb, "/* ---- The parameters of the checkpoint, exact to the bit: hex-float literals, %ld", count);
    rf_cb_line(cb, " * floats in %zu bytes of source (%.1f a parameter; 4 in the object) ---- */", strlen(text),
               count ? (double)strlen(text) / (double)count : 0.0);
    rf_cb_line(cb, "");
    rf_cb_raw(cb, "%s", text);
    free(text);
    emit_pack_weights(cb, p, L);
    if (emit_rows_pass(cb, p, L, err, errlen) != 0)
        return -1;
    emit_api(cb, p, L);
    return 0;
}

int rf_emit_infer_source(const rf_model *m, const rf_infer_params *w, char **h_text, char **c_text, char *err,
                         size_t errlen)
{
    *h_text = *c_text = NULL;
    rf_plan p;
    if (rf_plan_build(m, &p) != 0) {
        snprintf(err, errlen, "out of memory while generating %s_infer", m->name);
        return -1;
    }
    infer_layout L;
    int rc = layout_build(&p, &L);
    if (rc != 0)
        snprintf(err, errlen, "out of memory while generating %s_infer", m->name);
    rf_codebuf h, c;
    rf_cb_init(&h);
    rf_cb_init(&c);
    if (rc == 0) {
        emit_header(&h, &p, w, &L);
        rc = emit_source(&c, &p, w, &L, err, errlen);
    }
    free(L.loc);
    free(L.pairs_at);
    rf_plan_free(&p);
    if (rc == 0) {
        *h_text = rf_cb_take(&h);
        *c_text = rf_cb_take(&c);
        if (!*h_text || !*c_text) {
            snprintf(err, errlen, "out of memory while generating %s_infer", m->name);
            rc = -1;
        }
    }
    if (rc != 0) {
        free(*h_text);
        free(*c_text);
        *h_text = *c_text = NULL;
    }
    rf_cb_free(&h);
    rf_cb_free(&c);
    return rc;
}
