/* NAME.h and NAME.c: the file layout, the model struct, the drivers of the
 * forward and backward passes and the public API of SPEC section 3. The
 * layers, the loss, the update, init and the random numbers come from their
 * own emitters (emit_internal.h). */
#include "emit.h"
#include "emit_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef REGFIT_VERSION
#define REGFIT_VERSION "unknown"
#endif

/* ---- the API's signatures ---- */

typedef enum { API_INIT, API_TRAIN_STEP, API_LOSS_GRAD, API_LOSS_GRAD_SHARDS, API_UPDATE, API_PREDICT } rf_api_fn;

/* "float mlp_train_step(mlp_model *m, ...)" + tail: ");" declares, ")" begins a definition. */
static void emit_api_signature(rf_codebuf *cb, const rf_plan *p, rf_api_fn fn, const char *tail)
{
    char model[RF_NAME_MAX + 16], y[64], head[128];
    snprintf(model, sizeof model, "%s_model *m", p->name);
    snprintf(y, sizeof y, "const %s *y", rf_loss_target_type(p->loss));
    const char *ret = fn == API_TRAIN_STEP || fn == API_LOSS_GRAD ? "float" : fn == API_LOSS_GRAD_SHARDS ? "double" : "void";
    static const char *const names[] = {"init", "train_step", "loss_grad", "loss_grad_shards", "update", "predict"};
    const char *params[7] = {model};
    int n = 1;
    switch (fn) {
    case API_INIT:
        params[n++] = "uint64_t seed";
        break;
    case API_TRAIN_STEP:
    case API_LOSS_GRAD:
    case API_LOSS_GRAD_SHARDS:
        params[n++] = "const float *x";
        params[n++] = y;
        params[n++] = "int n";
        if (fn == API_LOSS_GRAD_SHARDS) {
            params[n++] = "int shard_lo";
            params[n++] = "int shard_hi";
        }
        if (fn != API_TRAIN_STEP)
            params[n++] = "int training";
        break;
    case API_UPDATE:
        break;
    case API_PREDICT:
        params[n++] = "const float *x";
        params[n++] = "int n";
        params[n++] = "float *out";
        break;
    }
    snprintf(head, sizeof head, "%s %s_%s(", ret, p->name, names[fn]);
    rf_cb_call(cb, head, params, n, tail);
}

/* "static void mlp_forward(mlp_model *m, const float (*input)[MLP_INPUTS], int n, int training)"
 * with link in place of "static" + tail: ");" declares, ")" begins a definition. */
static void emit_pass_signature(rf_codebuf *cb, const rf_plan *p, const char *link, const char *pass,
                                const char *tail)
{
    char head[160], model[RF_NAME_MAX + 16], input[RF_NAME_MAX + 48];
    snprintf(head, sizeof head, "%s void %s_%s(", link, p->name, pass);
    snprintf(model, sizeof model, "%s_model *m", p->name);
    snprintf(input, sizeof input, "const float (*input)[%s_INPUTS]", p->macro);
    const char *params[] = {model, input, "int n", "int training"};
    rf_cb_call(cb, head, params, 4, tail);
    if (strcmp(tail, ")") == 0)
        rf_cb_open(cb, "{");
}

/* ---- the two parts ---- */

/* NAME.c compiles whole, or (with a backward pass) as two parts: NAME_PART=1 everything but
 * the backward pass, NAME_PART=2 the backward pass (rf_emit_source_parts). */
static int split_in_parts(const rf_plan *p)
{
    return p->has_backward;
}

/* The linkage of NAME_backward, defined in part 2 and called from part 1: "static", or the
 * macro that is static in the whole file and external (hidden) in the parts. */
static void backward_link(const rf_plan *p, char *buf, size_t len)
{
    if (split_in_parts(p))
        snprintf(buf, len, "%s_SPLIT_LINK", p->macro);
    else
        snprintf(buf, len, "static");
}

/* The file's opening paragraph on the parts. */
static void emit_parts_comment(rf_codebuf *cb, const rf_plan *p)
{
    const char *n = p->name, *N = p->macro;
    rf_cb_line(cb, "");
    rf_cb_line(cb, "/* Whole, this file is one translation unit (cc -c %s.c). Compiled with", n);
    rf_cb_line(cb, " * -D%s_PART=1 it is everything but the backward pass, with", N);
    rf_cb_line(cb, " * -D%s_PART=2 the backward pass: two parts for a build on two cores, whose", N);
    rf_cb_line(cb, " * objects linked together hold the whole file's code (regfitc's build compiles it so). */");
    rf_cb_line(cb, "");
}

/* After the prelude, before the helpers: the linkage macro and NAME_backward's prototype; in a
 * part, the helpers' unused-function warnings off (emit_helpers_end turns them on again). */
static void emit_parts_boundary(rf_codebuf *cb, const rf_plan *p)
{
    const char *n = p->name, *N = p->macro;
    char link[RF_NAME_MAX + 16];
    backward_link(p, link, sizeof link);
    rf_cb_line(cb, "/* ---- The parts (%s_PART, see the top of the file) ----", N);
    rf_cb_line(cb, " * The macros, types and static inline helpers up to part 1 are in both parts; each part");
    rf_cb_line(cb, " * compiles only the helpers it calls, and in a part the others do not warn.");
    rf_cb_line(cb, " * %s_backward, in part 2 and called from part 1, is static in the whole file,", n);
    rf_cb_line(cb, " * and external but hidden (never exported from a shared object) in the parts. */");
    rf_cb_line(cb, "#if defined(%s_PART) && %s_PART != 1 && %s_PART != 2", N, N, N);
    rf_cb_line(cb, "#error \"%s_PART is 1 or 2 (a part), or not defined (the whole file)\"", N);
    rf_cb_line(cb, "#endif");
    rf_cb_line(cb, "#ifdef %s_PART", N);
    rf_cb_line(cb, "#define %s __attribute__((visibility(\"hidden\")))", link);
    rf_cb_line(cb, "#pragma GCC diagnostic push");
    rf_cb_line(cb, "#pragma GCC diagnostic ignored \"-Wunused-function\"");
    rf_cb_line(cb, "#else");
    rf_cb_line(cb, "#define %s static", link);
    rf_cb_line(cb, "#endif");
    emit_pass_signature(cb, p, link, "backward", ");");
    rf_cb_line(cb, "");
}

/* After the shared helpers: a part's own functions warn when unused again. */
static void emit_helpers_end(rf_codebuf *cb, const rf_plan *p)
{
    rf_cb_line(cb, "#ifdef %s_PART", p->macro);
    rf_cb_line(cb, "#pragma GCC diagnostic pop /* a part's own functions are all called */");
    rf_cb_line(cb, "#endif");
    rf_cb_line(cb, "");
}

/* "#if" part k (or the whole file) and the part's heading; emit_part_end closes it. */
static void emit_part_begin(rf_codebuf *cb, const rf_plan *p, int part, const char *what)
{
    rf_cb_line(cb, "#if !defined(%s_PART) || %s_PART == %d", p->macro, p->macro, part);
    rf_cb_line(cb, "");
    rf_cb_line(cb, "/* ==== Part %d: %s ==== */", part, what);
    rf_cb_line(cb, "");
}

static void emit_part_end(rf_codebuf *cb, int part)
{
    rf_cb_line(cb, "#endif /* part %d */", part);
}

/* ---- the file comment ---- */

/* " * 784 inputs -> dense1 256 -> relu -> dropout 0.2 -> ...": the layers, wrapped, in a comment. */
void rf_emit_layer_list(rf_codebuf *cb, const rf_plan *p)
{
    char line[200];
    int len = snprintf(line, sizeof line, " * %d inputs", p->input);
    for (int i = 0; i < p->n_ops; i++) {
        char item[160];
        if (p->ops[i].kind == RF_LAYER_DENSE)
            snprintf(item, sizeof item, " -> %s %d", p->ops[i].name, p->ops[i].units_out);
        else if (p->ops[i].kind == RF_LAYER_DROPOUT && !p->has_source) /* the build's copy: no values */
            snprintf(item, sizeof item, " -> dropout");
        else if (p->ops[i].kind == RF_LAYER_DROPOUT)
            snprintf(item, sizeof item, " -> dropout %g", p->ops[i].p);
        else
            snprintf(item, sizeof item, " -> %s", rf_layer_kind_name(p->ops[i].kind));
        if (len + (int)strlen(item) > 96) {
            rf_cb_line(cb, "%s", line);
            len = snprintf(line, sizeof line, " *   ");
        }
        len += snprintf(line + len, sizeof line - (size_t)len, "%s", item);
    }
    rf_cb_line(cb, "%s", line);
}

static void emit_file_comment(rf_codebuf *cb, const rf_plan *p, const char *suffix)
{
    /* the file's name, not the path it was given by: the same model file
     * gives the same code (and the same build cache entry) from any folder */
    if (p->has_source) {
        rf_cb_line(cb, "/* %s.%s: generated by regfitc %s from %s", p->name, suffix, REGFIT_VERSION, p->source_name);
        rf_cb_line(cb, " * (FNV-1a 64 of the model file: %016llx). Regenerate it rather than edit it.",
                   (unsigned long long)p->source_hash);
    } else {
        /* the build's copy (rf_model_for_build): the same text for every model file of these shapes */
        rf_cb_line(cb, "/* %s.%s: generated by regfitc %s for a training run: the shapes of the model", p->name,
                   suffix, REGFIT_VERSION);
        rf_cb_line(cb, " * only; the run sets its model file's hyperparameters with %s_set_hparams.", p->name);
    }
    rf_cb_line(cb, " *");
    rf_emit_layer_list(cb, p);
    rf_cb_line(cb, " * %s loss, batch %d, optimizer %s%s%s; hyperparameters at run time.", rf_loss_name(p->loss),
               p->batch, rf_optimizer_name(p->optimizer), p->optimizer == RF_OPT_SGD && p->n_state_per_param ?
               " with momentum" : "", p->nesterov ? " (nesterov)" : "");
    rf_cb_line(cb, " */");
}

/* ---- NAME.h ---- */

void rf_emit_flags_comment(rf_codebuf *cb)
{
    /* measured on Zen 3 (one core, gcc 12, the seed MLP's training step): -O3 -march=native
     * 6.5 ms, -O2 alone 22.6 ms, no flags at all 845 ms */
    rf_cb_line(cb, "/* Compile it with -O3 -march=native -fopenmp (or -O2 -march=native -fopenmp), gcc or");
    rf_cb_line(cb, " * clang: the code is written for the optimiser and the target's vectors. Without -march");
    rf_cb_line(cb, " * the vectors are SSE's (the seed MLP's step 3.5x slower on one Zen 3 core), without -O2");
    rf_cb_line(cb, " * (CMake's default build type adds none) about 100x slower; without -fopenmp it runs on");
    rf_cb_line(cb, " * one thread, with the same results. */");
    rf_cb_line(cb, "");
}

static void shape_comment(const rf_plan_buffer *b, char *buf, size_t len)
{
    int o = snprintf(buf, len, "(");
    for (int d = 0; d < b->n_dims; d++) {
        size_t n = strlen(b->dims[d]);
        int batch = n >= 6 && strcmp(b->dims[d] + n - 6, "_BATCH") == 0;
        if (batch)
            o += snprintf(buf + o, len - (size_t)o, "%sBATCH", d ? ", " : "");
        else
            o += snprintf(buf + o, len - (size_t)o, "%s%ld", d ? ", " : "", b->extent[d]);
    }
    snprintf(buf + o, len - (size_t)o, ")%s%s", b->comment[0] ? " " : "", b->comment);
}

static const char *const role_titles[RF_BUF_ROLE_COUNT] = {
    [RF_BUF_PARAM] = "Parameters: weights [in][out] row-major (y = x W + b), biases [out]",
    [RF_BUF_GRAD] = "Gradients of the mean data loss (no decay term), overwritten by each backward pass",
    [RF_BUF_STATE] = "Optimizer state (SPEC 1a), zero until the first update",
    [RF_BUF_ACTIVATION] = "The last forward pass, one row per sample (the first n rows hold data)",
    [RF_BUF_MASK] = NULL, /* listed with the activations */
    [RF_BUF_ACTIVATION_GRAD] = "Gradients of the loss with respect to the layers' outputs",
    [RF_BUF_SCRATCH] = "Working space",
};

static void emit_struct(rf_codebuf *cb, const rf_plan *p)
{
    double bytes = 16;
    for (int b = 0; b < p->n_buffers; b++)
        bytes += 4.0 * (double)p->buffers[b].extent[0] * (p->buffers[b].n_dims == 2 ? (double)p->buffers[b].extent[1] : 1);
    rf_cb_line(cb, "/* Everything the model needs, in one block (the code never allocates): about %.1f MB,", bytes / 1e6);
    rf_cb_line(cb, " * so give it static storage or put it on the heap rather than on a thread's stack. */");
    rf_cb_line(cb, "struct %s_model {", p->name);
    cb->indent++;
    for (int role = 0; role < RF_BUF_ROLE_COUNT; role++) {
        if (!role_titles[role])
            continue;
        /* the members of this section (masks go with the activations), aligned comments */
        size_t width = 0;
        int count = 0;
        for (int b = 0; b < p->n_buffers; b++) {
            const rf_plan_buffer *buf = &p->buffers[b];
            int in_section = (int)buf->role == role || (role == RF_BUF_ACTIVATION && buf->role == RF_BUF_MASK);
            if (!in_section)
                continue;
            size_t w = strlen(buf->name) + 8 + 2 * 2;
            for (int d = 0; d < buf->n_dims; d++)
                w += strlen(buf->dims[d]);
            width = w > width ? w : width;
            count++;
        }
        if (!count)
            continue;
        if (role != RF_BUF_PARAM)
            rf_cb_line(cb, "");
        rf_cb_line(cb, "/* %s */", role_titles[role]);
        for (int b = 0; b < p->n_buffers; b++) {
            const rf_plan_buffer *buf = &p->buffers[b];
            int in_section = (int)buf->role == role || (role == RF_BUF_ACTIVATION && buf->role == RF_BUF_MASK);
            if (!in_section)
                continue;
            char decl[300], shape[300];
            int o = snprintf(decl, sizeof decl, "float %s", buf->name);
            for (int d = 0; d < buf->n_dims; d++)
                o += snprintf(decl + o, sizeof decl - (size_t)o, "[%s]", buf->dims[d]);
            snprintf(decl + o, sizeof decl - (size_t)o, ";");
            shape_comment(buf, shape, sizeof shape);
            if (4 * cb->indent + (int)width + (int)strlen(shape) + 7 <= 100) {
                rf_cb_line(cb, "%-*s /* %s */", (int)width, decl, shape);
            } else {
                rf_cb_line(cb, "/* %s */", shape);
                rf_cb_line(cb, "%s", decl);
            }
        }
    }
    rf_cb_line(cb, "");
    rf_cb_line(cb, "/* Hyperparameters (%s_set_hparams) and what the code derives from them */", p->name);
    rf_cb_line(cb, "%s_hparams hp;", p->name);
    if (p->has_dropout) {
        rf_cb_line(cb, "uint32_t dropout_threshold[%s_NUM_DROPOUT]; /* floor(p 2^32): keep when bits >= it */",
                   p->macro);
        rf_cb_line(cb, "float dropout_scale[%s_NUM_DROPOUT];        /* 1 / (1 - p); 0 for p = 1 */", p->macro);
    }
    rf_cb_line(cb, "");
    rf_cb_line(cb, "%s_shards shards;       /* the rows of the pass running: set by each call */", p->name);
    rf_cb_line(cb, "uint64_t seed;          /* of %s_init: also drives the dropout masks */", p->name);
    rf_cb_line(cb, "uint64_t forward_steps; /* training-mode forward passes: the dropout masks' step */");
    rf_cb_line(cb, "uint64_t updates;       /* updates applied: t of the optimizer */");
    cb->indent--;
    rf_cb_line(cb, "};");
}

/* NAME_GRAD_SHARDS and the NAME_shards type the product template reads (NAME.h; the
 * inference file has its own copy, as it includes no NAME.h). */
void rf_emit_shards_type(rf_codebuf *cb, const rf_plan *p)
{
    const char *n = p->name, *N = p->macro;
    rf_cb_line(cb, "/* The row shards of a batch: every sum over a batch's rows (the weight and bias gradients,");
    rf_cb_line(cb, " * the loss) sums each shard k = rows [k n / 4, (k + 1) n / 4) of the n rows in row order,");
    rf_cb_line(cb, " * then adds the 4 (GRAD_SHARDS) shards in a fixed tree, ((s0 + s1) + (s2 + s3)), so that");
    rf_cb_line(cb, " * processes holding some shards each (%s_loss_grad_shards) can add their partial", n);
    rf_cb_line(cb, " * sums in the same tree and get the one-process result bit for bit. */");
    rf_cb_line(cb, "#define %s_GRAD_SHARDS 4", N);
    rf_cb_line(cb, "typedef struct %s_shards {", n);
    rf_cb_line(cb, "    int n;      /* rows of the global batch */");
    rf_cb_line(cb, "    int lo, hi; /* the pass holds shards [lo, hi) */");
    rf_cb_line(cb, "    int row0;   /* the global index of the pass's first row (it keys the dropout masks) */");
    rf_cb_line(cb, "    int start[%s_GRAD_SHARDS + 1]; /* shard lo + k: the pass's rows start[k] .. */", N);
    rf_cb_line(cb, "} %s_shards;", n);
    rf_cb_line(cb, "");
}

static void emit_header(rf_codebuf *cb, const rf_plan *p)
{
    const char *n = p->name, *N = p->macro;
    int ce = p->loss == RF_LOSS_SOFTMAX_CE;
    emit_file_comment(cb, p, "h");
    rf_cb_line(cb, "#ifndef %s_H", N);
    rf_cb_line(cb, "#define %s_H", N);
    rf_cb_line(cb, "");
    rf_cb_line(cb, "#include <stdint.h>");
    rf_cb_line(cb, "");
    rf_emit_flags_comment(cb);
    rf_cb_line(cb, "#ifdef __cplusplus");
    rf_cb_line(cb, "extern \"C\" {");
    rf_cb_line(cb, "#endif");
    rf_cb_line(cb, "");
    rf_cb_line(cb, "#define %s_BATCH %d /* rows per call, at most */", N, p->batch);
    rf_cb_line(cb, "#define %s_INPUTS %d /* features per row */", N, p->input);
    rf_cb_line(cb, "#define %s_OUTPUTS %d /* %s per row */", N, p->outputs, ce ? "logits" : "outputs");
    rf_cb_line(cb, "#define %s_NUM_PARAMS %d /* parameter tensors: weight, bias, weight, bias, ... */",
               N, p->n_params);
    rf_cb_line(cb, "#define %s_NUM_DROPOUT %d /* dropout layers */", N, p->n_dropout);
    rf_cb_line(cb, "#define %s_NUM_STATE %d /* optimizer state tensors: %d per parameter tensor */", N,
               p->n_state_per_param * p->n_params, p->n_state_per_param);
    if (p->n_ops) {
        rf_cb_line(cb, "");
        rf_cb_line(cb, "/* Layer shapes: features per row into and out of each layer */");
        for (int i = 0; i < p->n_ops; i++)
            rf_layer_emitter_of(p->ops[i].kind)->shapes(cb, p, &p->ops[i]);
    }
    if (p->n_params) {
        rf_cb_line(cb, "");
        rf_cb_line(cb, "/* Parameter tensors: i of %s_param(m, i) and of hparams.l2[i], l1[i], l1_prox[i] */", n);
        for (int i = 0; i < p->n_params; i++)
            rf_cb_line(cb, "#define %s %d /* %s */", p->params[i].macro, i, p->params[i].name);
    }
    if (p->has_dropout) {
        rf_cb_line(cb, "");
        rf_cb_line(cb, "/* Dropout layers: the index k of hparams.dropout[k] */");
        for (int i = 0; i < p->n_ops; i++)
            if (p->ops[i].kind == RF_LAYER_DROPOUT)
                rf_cb_line(cb, "#define %s %d", p->ops[i].dropout_index, p->ops[i].dropout_k);
    }
    rf_cb_line(cb, "");
    rf_cb_line(cb, "/* The run-time hyperparameters (SPEC 1a): every field is always present; those the");
    rf_cb_line(cb, " * optimizer (%s) does not use are ignored. */", rf_optimizer_name(p->optimizer));
    rf_cb_line(cb, "typedef struct %s_hparams {", n);
    rf_cb_line(cb, "    float lr, momentum, dampening, beta1, beta2, eps;");
    rf_cb_line(cb, "    /* per parameter tensor, from its decay group */");
    rf_cb_line(cb, "    float l2[%s_NUM_PARAMS > 0 ? %s_NUM_PARAMS : 1];", N, N);
    rf_cb_line(cb, "    float l1[%s_NUM_PARAMS > 0 ? %s_NUM_PARAMS : 1];", N, N);
    rf_cb_line(cb, "    float l1_prox[%s_NUM_PARAMS > 0 ? %s_NUM_PARAMS : 1];", N, N);
    rf_cb_line(cb, "    /* p of each dropout layer */");
    rf_cb_line(cb, "    float dropout[%s_NUM_DROPOUT > 0 ? %s_NUM_DROPOUT : 1];", N, N);
    rf_cb_line(cb, "} %s_hparams;", n);
    rf_cb_line(cb, "");
    rf_emit_shards_type(cb, p);
    rf_cb_line(cb, "typedef struct %s_model %s_model;", n, n);
    rf_cb_line(cb, "");
    emit_struct(cb, p);
    rf_cb_line(cb, "");
    rf_cb_line(cb, "/* With -fopenmp the calls below run on OpenMP's threads (omp_set_num_threads); the");
    rf_cb_line(cb, " * results are bit-identical for any number of threads. Without it they run serially. */");
    rf_cb_line(cb, "");
    rf_cb_line(cb, "/* Sets every parameter as the model file says from seed, zeroes the gradients, the");
    rf_cb_line(cb, " * optimizer state and the counters, and sets the hyperparameters to %s_hparams_default.", n);
    rf_cb_line(cb, " * The seed also drives the dropout masks. */");
    emit_api_signature(cb, p, API_INIT, ");");
    rf_cb_line(cb, "");
    rf_cb_line(cb, "/* One SGD step on the first n rows of x (n x %s_INPUTS, row-major) and their", N);
    if (ce)
        rf_cb_line(cb, " * labels y (class indices in [0, %s_OUTPUTS)): forward with dropout, backward, the", N);
    else
        rf_cb_line(cb, " * targets y (n x %s_OUTPUTS): forward with dropout, backward, the", N);
    rf_cb_line(cb, " * fused decay update. Returns the mean loss of the n rows (before the update).");
    if (ce) {
        rf_cb_line(cb, " * Returns NaN and changes nothing when n is outside [1, %s_BATCH] or a label is", N);
        rf_cb_line(cb, " * outside [0, %s_OUTPUTS). */", N);
    } else {
        rf_cb_line(cb, " * Returns NaN and changes nothing when n is outside [1, %s_BATCH]. */", N);
    }
    emit_api_signature(cb, p, API_TRAIN_STEP, ");");
    rf_cb_line(cb, "");
    rf_cb_line(cb, "/* Forward and backward only: the gradients of the mean data loss (no decay term)");
    rf_cb_line(cb, " * overwrite the gradient buffers; returns the mean loss. training = 0 turns dropout");
    rf_cb_line(cb, " * off and leaves the step counter alone. NaN for a bad n%s, as above. */", ce ? " or label" : "");
    emit_api_signature(cb, p, API_LOSS_GRAD, ");");
    rf_cb_line(cb, "");
    rf_cb_line(cb, "/* Data parallelism: %s_loss_grad on the rows of shards [shard_lo, shard_hi) of a", n);
    rf_cb_line(cb, " * global batch of n rows (0 <= shard_lo < shard_hi <= GRAD_SHARDS = 4, 1 <= n <= BATCH);");
    rf_cb_line(cb, " * x and y hold only those rows, rows [lo n / 4, hi n / 4) of the batch (may be none).");
    rf_cb_line(cb, " * The dropout masks are those of the global rows; the");
    rf_cb_line(cb, " * gradients are of the mean over all n rows and hold the shards' sums added in the");
    rf_cb_line(cb, " * tree, the shards outside the range left out. Returns the sum (not the mean) of the");
    rf_cb_line(cb, " * range's row losses, added the same way. For ranges that are nodes of the tree ([0, 4),");
    rf_cb_line(cb, " * [0, 2), [2, 4) or one shard), adding the partial gradients and sums of ranges that");
    rf_cb_line(cb, " * cover [0, 4) in the tree's order (float and double adds) gives the");
    rf_cb_line(cb, " * gradients of %s_loss_grad(n rows) bit for bit, and its loss as (float)(sum / n).", n);
    rf_cb_line(cb, " * Returns NaN and changes nothing for a bad range, n%s. */", ce ? " or label" : "");
    emit_api_signature(cb, p, API_LOSS_GRAD_SHARDS, ");");
    rf_cb_line(cb, "");
    rf_cb_line(cb, "/* The fused decay and %s update from the current gradients (counts one update). */",
               rf_optimizer_name(p->optimizer));
    emit_api_signature(cb, p, API_UPDATE, ");");
    rf_cb_line(cb, "");
    rf_cb_line(cb, "/* The %s of the first n rows of x into out (n x %s_OUTPUTS), dropout off.",
               ce ? "logits" : "outputs", N);
    rf_cb_line(cb, " * Does nothing when n is outside [1, %s_BATCH]. */", N);
    emit_api_signature(cb, p, API_PREDICT, ");");
    rf_cb_line(cb, "");
    rf_cb_line(cb, "/* Parameter tensor i, 0 <= i < %s_NUM_PARAMS: its name (\"%s\"), element count,", N,
               p->n_params ? p->params[0].name : "dense1.weight");
    rf_cb_line(cb, " * values and gradient (weights [in][out] row-major). NULL or 0 when i is out of range. */");
    rf_cb_line(cb, "const char *%s_param_name(int i);", n);
    rf_cb_line(cb, "int %s_param_size(int i);", n);
    rf_cb_line(cb, "float *%s_param(%s_model *m, int i);", n, n);
    rf_cb_line(cb, "float *%s_grad(%s_model *m, int i);", n, n);
    rf_cb_line(cb, "");
    rf_cb_line(cb, "/* The hyperparameters: the model file's values, and those of a model (set at once;");
    rf_cb_line(cb, " * they take effect from the next step). */");
    rf_cb_line(cb, "void %s_hparams_default(%s_hparams *h);", n, n);
    rf_cb_line(cb, "void %s_set_hparams(%s_model *m, const %s_hparams *h);", n, n, n);
    rf_cb_line(cb, "void %s_get_hparams(const %s_model *m, %s_hparams *h);", n, n, n);
    rf_cb_line(cb, "");
    rf_cb_line(cb, "/* Optimizer state tensor i, 0 <= i < %s_NUM_STATE: for each parameter tensor in order,", N);
    rf_cb_line(cb, " * its state tensors (\"dense1.weight.momentum\", \".exp_avg\", \".exp_avg_sq\"), laid out");
    rf_cb_line(cb, " * as the parameter. NULL or 0 when i is out of range. */");
    rf_cb_line(cb, "const char *%s_state_name(int i);", n);
    rf_cb_line(cb, "int %s_state_size(int i);", n);
    rf_cb_line(cb, "float *%s_state(%s_model *m, int i);", n, n);
    rf_cb_line(cb, "");
    rf_cb_line(cb, "/* The counters: updates applied (t of the optimizer) and training-mode forward passes");
    rf_cb_line(cb, " * (the dropout masks' step); set both to resume a run. */");
    rf_cb_line(cb, "uint64_t %s_updates(const %s_model *m);", n, n);
    rf_cb_line(cb, "uint64_t %s_forward_steps(const %s_model *m);", n, n);
    rf_cb_line(cb, "void %s_set_counters(%s_model *m, uint64_t updates, uint64_t forward_steps);", n, n);
    rf_cb_line(cb, "");
    rf_cb_line(cb, "#ifdef __cplusplus");
    rf_cb_line(cb, "}");
    rf_cb_line(cb, "#endif");
    rf_cb_line(cb, "");
    rf_cb_line(cb, "#endif");
}

/* ---- NAME.c ---- */

/* The OMP_* macros every generated pass uses: OpenMP's pragmas under -fopenmp when the
 * model is worth a parallel region (p->parallel), else nothing. */
void rf_emit_openmp_macros(rf_codebuf *cb, const rf_plan *p)
{
    if (p->parallel) {
        rf_cb_line(cb, "/* OpenMP: one parallel region per call, loops shared among its threads (each thread");
        rf_cb_line(cb, " * owns what it writes). Without -fopenmp these are empty and everything runs serially. */");
        rf_cb_line(cb, "#ifdef _OPENMP");
        rf_cb_line(cb, "#define OMP_PARALLEL _Pragma(\"omp parallel\")");
        rf_cb_line(cb, "#define OMP_PARALLEL_FOR _Pragma(\"omp parallel for schedule(static)\")");
        rf_cb_line(cb, "#define OMP_FOR _Pragma(\"omp for schedule(static)\")");
        rf_cb_line(cb, "#define OMP_FOR_NOWAIT _Pragma(\"omp for schedule(static) nowait\")");
        rf_cb_line(cb, "#define OMP_BARRIER _Pragma(\"omp barrier\")");
        rf_cb_line(cb, "#else");
    } else {
        rf_cb_line(cb, "/* OpenMP: not used. A training step of this model (%.0f FLOP at a full batch) costs",
                   p->train_flops);
        rf_cb_line(cb, " * less than opening a parallel region, so every call runs on the calling thread. */");
    }
    rf_cb_line(cb, "#define OMP_PARALLEL");
    rf_cb_line(cb, "#define OMP_PARALLEL_FOR");
    rf_cb_line(cb, "#define OMP_FOR");
    rf_cb_line(cb, "#define OMP_FOR_NOWAIT");
    rf_cb_line(cb, "#define OMP_BARRIER");
    if (p->parallel)
        rf_cb_line(cb, "#endif");
    rf_cb_line(cb, "");
}

static void emit_prelude(rf_codebuf *cb, const rf_plan *p)
{
    emit_file_comment(cb, p, "c");
    if (split_in_parts(p))
        emit_parts_comment(cb, p);
    rf_cb_line(cb, "#include \"%s.h\"", p->name);
    rf_cb_line(cb, "");
    rf_cb_line(cb, "#include <math.h>");
    rf_cb_line(cb, "#include <stddef.h>");
    rf_cb_line(cb, "#include <stdint.h>");
    rf_cb_line(cb, "#include <string.h>");
    rf_cb_line(cb, "");
    rf_emit_openmp_macros(cb, p);
    if (p->has_dropout) {
        rf_cb_line(cb, "/* Dropout layers: their position in the layer list keys their masks */");
        for (int i = 0; i < p->n_ops; i++)
            if (p->ops[i].kind == RF_LAYER_DROPOUT)
                rf_cb_line(cb, "#define %s %d", p->ops[i].dropout_layer, p->ops[i].layer_index);
        rf_cb_line(cb, "");
    }
}

void rf_emit_layer_helpers(rf_codebuf *cb, const rf_plan *p)
{
    /* helpers once per emitter present: the activations' functions first (the dense
     * layer's epilogues call them), then the others in table order */
    const rf_layer_emitter *done[RF_LAYER_KIND_COUNT];
    int n_done = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int k = 0; k < RF_LAYER_KIND_COUNT; k++) {
            const rf_layer_emitter *e = rf_layer_emitter_of((rf_layer_kind)k);
            int present = 0, seen = 0;
            for (int i = 0; i < p->n_ops; i++)
                present |= p->ops[i].kind == (rf_layer_kind)k;
            for (int d = 0; d < n_done; d++)
                seen |= done[d] == e;
            if (!present || seen || !e->helpers || (pass == 0) != (e == &rf_activation_emitter))
                continue;
            e->helpers(cb, p);
            done[n_done++] = e;
        }
}

void rf_emit_layer_steps(rf_codebuf *cb, const rf_plan *p, int backward)
{
    for (int i = 0; i < p->n_ops; i++) {
        const rf_plan_op *op = &p->ops[i];
        const rf_layer_emitter *e = rf_layer_emitter_of(op->kind);
        if (op->fused) /* headed with its chain's dense layer */
            continue;
        if (backward && !op->backward) /* before the first dense layer: no gradient needed */
            continue;
        rf_emit_layer_heading(cb, p, op);
        (backward ? e->backward : e->forward)(cb, p, op);
    }
}

static int forward_uses_training(const rf_plan *p)
{
    return p->has_dropout;
}

static int backward_uses(const rf_plan *p, int *input, int *training)
{
    *input = *training = 0;
    for (int i = 0; i < p->n_ops; i++) {
        const rf_plan_op *op = &p->ops[i];
        if (!op->backward)
            continue;
        *input |= op->in == RF_PLAN_INPUT && op->in_bf16 == RF_PLAN_NONE; /* bf16: the rounded copy */
        *training |= op->kind == RF_LAYER_DROPOUT;
    }
    return p->has_backward;
}

/* The passes' drivers, NAME_prepare_weights and NAME_forward (part 1). */
static void emit_forward_driver(rf_codebuf *cb, const rf_plan *p)
{
    rf_cb_line(cb, "/* ---- The passes: the layers in order, on every thread of the caller's parallel region */");
    rf_cb_line(cb, "");
    rf_emit_dense_prepare_weights(cb, p);
    rf_cb_line(cb, "/* Forward over n rows; training = 1 applies dropout with the masks of step m->forward_steps. */");
    emit_pass_signature(cb, p, "static", "forward", ")");
    if (!forward_uses_training(p))
        rf_cb_line(cb, "(void)training; /* no dropout: training and evaluation passes are the same */");
    if (!p->n_ops)
        rf_cb_line(cb, "(void)m, (void)input, (void)n; /* no layers: the output is the input */");
    for (int i = 0; i < p->n_ops; i++)
        if (!p->ops[i].fused)
            rf_emit_step_call(cb, p, &p->ops[i], 0);
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
}

/* NAME_backward, the driver of the layers' backward functions (part 2). */
static void emit_backward_driver(rf_codebuf *cb, const rf_plan *p)
{
    int input, training;
    if (!backward_uses(p, &input, &training))
        return;
    char link[RF_NAME_MAX + 16];
    backward_link(p, link, sizeof link);
    rf_cb_line(cb, "/* Backward over n rows, from the loss gradient of the output to every parameter's");
    rf_cb_line(cb, " * gradient; reads the activations (and masks) of the forward pass just run. */");
    emit_pass_signature(cb, p, link, "backward", ")");
    if (!input && p->precision == RF_PRECISION_BF16)
        rf_cb_line(cb, "(void)input; /* the products read the forward's rounded copy of it */");
    else if (!input)
        rf_cb_line(cb, "(void)input; /* the first dense layer needs no input gradient */");
    if (!training)
        rf_cb_line(cb, "(void)training;");
    for (int i = p->n_ops - 1; i >= 0; i--)
        if (p->ops[i].backward && !p->ops[i].fused)
            rf_emit_step_call(cb, p, &p->ops[i], 1);
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
}

static void emit_batch_checks(rf_codebuf *cb, const rf_plan *p)
{
    const char *n = p->name, *N = p->macro;
    char row_loss[96];
    rf_plan_ref(p, p->row_loss, row_loss, sizeof row_loss);
    if (p->loss == RF_LOSS_SOFTMAX_CE) {
        rf_cb_line(cb, "/* 1 when n is in [1, BATCH] and each of the n labels is a class index. */");
        rf_cb_line(cb, "static int %s_batch_ok(const int32_t *labels, int n)", n);
        rf_cb_open(cb, "{");
        rf_cb_line(cb, "if (n < 1 || n > %s_BATCH)", N);
        rf_cb_line(cb, "    return 0;");
        rf_cb_line(cb, "for (int r = 0; r < n; r++)");
        rf_cb_line(cb, "    if (labels[r] < 0 || labels[r] >= %s_OUTPUTS)", N);
        rf_cb_line(cb, "        return 0;");
        rf_cb_line(cb, "return 1;");
        rf_cb_close(cb, "}");
    } else {
        rf_cb_line(cb, "/* 1 when n is in [1, BATCH]. */");
        rf_cb_line(cb, "static int %s_batch_ok(int n)", n);
        rf_cb_open(cb, "{");
        rf_cb_line(cb, "return n >= 1 && n <= %s_BATCH;", N);
        rf_cb_close(cb, "}");
    }
    rf_cb_line(cb, "");
    rf_cb_line(cb, "/* m->shards for shards [lo, hi) of a global batch of n rows. Returns the pass's row count. */");
    rf_cb_line(cb, "static int %s_set_shards(%s_model *m, int n, int lo, int hi)", n, n);
    rf_cb_open(cb, "{");
    rf_cb_line(cb, "m->shards.n = n;");
    rf_cb_line(cb, "m->shards.lo = lo;");
    rf_cb_line(cb, "m->shards.hi = hi;");
    rf_cb_line(cb, "m->shards.row0 = lo * n / %s_GRAD_SHARDS;", N);
    rf_cb_line(cb, "for (int k = 0; k <= hi - lo; k++)");
    rf_cb_line(cb, "    m->shards.start[k] = (lo + k) * n / %s_GRAD_SHARDS - m->shards.row0;", N);
    rf_cb_line(cb, "return m->shards.start[hi - lo];");
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
    rf_cb_line(cb, "/* The sum of the pass's row losses: each shard's rows in order, the shards added in the");
    rf_cb_line(cb, " * tree ((s0 + s1) + (s2 + s3)) without those outside the pass, in double. */");
    rf_cb_line(cb, "static double %s_loss_sum(const %s_model *m)", n, n);
    rf_cb_open(cb, "{");
    rf_cb_line(cb, "const %s_shards *sh = &m->shards;", n);
    rf_cb_line(cb, "double sum = 0.0;");
    rf_cb_line(cb, "int have = 0;");
    rf_cb_open(cb, "for (int h = 0; h < %s_GRAD_SHARDS; h += 2) {", N);
    rf_cb_line(cb, "double pair = 0.0;");
    rf_cb_line(cb, "int in_pair = 0;");
    rf_cb_open(cb, "for (int k = h; k < h + 2; k++) {");
    rf_cb_line(cb, "if (k < sh->lo || k >= sh->hi)");
    rf_cb_line(cb, "    continue;");
    rf_cb_line(cb, "double part = 0.0;");
    rf_cb_line(cb, "for (int r = sh->start[k - sh->lo]; r < sh->start[k - sh->lo + 1]; r++)");
    rf_cb_line(cb, "    part += %s[r];", row_loss);
    rf_cb_line(cb, "pair = in_pair ? pair + part : part;");
    rf_cb_line(cb, "in_pair = 1;");
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "if (in_pair)");
    rf_cb_line(cb, "    sum = have ? sum + pair : pair;");
    rf_cb_line(cb, "have |= in_pair;");
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "return sum;");
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
}

/* The statements of a pass inside the parallel region. */
static void emit_pass(rf_codebuf *cb, const rf_plan *p, const char *training, int with_update)
{
    rf_cb_line(cb, "OMP_PARALLEL");
    rf_cb_open(cb, "{");
    if (rf_dense_prepares_weights(p))
        rf_cb_line(cb, "%s_prepare_weights(m, %d);", p->name, p->has_backward);
    rf_cb_line(cb, "%s_forward(m, input, n, %s);", p->name, training);
    rf_emit_loss_call(cb, p);
    if (p->has_backward)
        rf_cb_line(cb, "%s_backward(m, input, n, %s);", p->name, training);
    if (with_update)
        rf_cb_line(cb, "%s_update_params(m);", p->name);
    rf_cb_close(cb, "}");
}

/* NAME_state_name, _size and NAME_state: state tensor i is state k of parameter i / per. */
static void emit_state_api(rf_codebuf *cb, const rf_plan *p)
{
    const char *n = p->name, *N = p->macro;
    const int per = p->n_state_per_param;
    rf_cb_line(cb, "const char *%s_state_name(int i)", n);
    rf_cb_open(cb, "{");
    if (per) {
        rf_cb_line(cb, "static const char *const names[%s_NUM_STATE] = {", N);
        for (int i = 0; i < p->n_params; i++)
            for (int k = 0; k < per; k++)
                rf_cb_line(cb, "    \"%s.%s\",", p->params[i].name, p->state_suffix[k]);
        rf_cb_line(cb, "};");
        rf_cb_line(cb, "return i >= 0 && i < %s_NUM_STATE ? names[i] : NULL;", N);
    } else {
        rf_cb_line(cb, "(void)i;");
        rf_cb_line(cb, "return NULL; /* %s without momentum keeps no state */", rf_optimizer_name(p->optimizer));
    }
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
    rf_cb_line(cb, "int %s_state_size(int i)", n);
    rf_cb_open(cb, "{");
    if (per) {
        rf_cb_line(cb, "return i >= 0 && i < %s_NUM_STATE ? %s_param_size(i / %d) : 0;", N, n, per);
    } else {
        rf_cb_line(cb, "(void)i;");
        rf_cb_line(cb, "return 0;");
    }
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
    rf_cb_line(cb, "float *%s_state(%s_model *m, int i)", n, n);
    rf_cb_open(cb, "{");
    if (!per)
        rf_cb_line(cb, "(void)m;");
    rf_cb_line(cb, "switch (i) {");
    for (int i = 0; i < p->n_params; i++)
        for (int k = 0; k < per; k++) {
            const rf_plan_buffer *buf = &p->buffers[p->params[i].state[k]];
            rf_cb_line(cb, "case %d: return m->%s%s;", i * per + k, buf->name, buf->n_dims == 2 ? "[0]" : "");
        }
    rf_cb_line(cb, "default: return NULL;");
    rf_cb_line(cb, "}");
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
}

/* NAME_hparams_default (the model file's values), NAME_set_hparams, NAME_get_hparams. */
static void emit_hparams_api(rf_codebuf *cb, const rf_plan *p)
{
    const char *n = p->name;
    char lit[6][48];
    const rf_plan_hparams *d = &p->defaults;
    const double values[6] = {d->lr, d->momentum, d->dampening, d->beta1, d->beta2, d->eps};
    for (int i = 0; i < 6; i++)
        rf_float_literal(values[i], lit[i], sizeof lit[i]);
    rf_cb_line(cb, "void %s_hparams_default(%s_hparams *h)", n, n);
    rf_cb_open(cb, "{");
    rf_cb_line(cb, "memset(h, 0, sizeof *h);");
    rf_cb_line(cb, "h->lr = %s;", lit[0]);
    if (p->optimizer == RF_OPT_SGD) {
        rf_cb_line(cb, "h->momentum = %s;", lit[1]);
        rf_cb_line(cb, "h->dampening = %s;", lit[2]);
    } else {
        rf_cb_line(cb, "h->beta1 = %s;", lit[3]);
        rf_cb_line(cb, "h->beta2 = %s;", lit[4]);
        rf_cb_line(cb, "h->eps = %s;", lit[5]);
    }
    for (int i = 0; i < p->n_params; i++) {
        const rf_plan_param *q = &p->params[i];
        const double decay[3] = {q->l2, q->l1, q->l1_prox};
        static const char *const field[3] = {"l2", "l1", "l1_prox"};
        for (int k = 0; k < 3; k++)
            if (decay[k] != 0) {
                char v[48];
                rf_float_literal(decay[k], v, sizeof v);
                rf_cb_line(cb, "h->%s[%s] = %s;", field[k], p->params[i].macro, v);
            }
    }
    for (int i = 0; i < p->n_ops; i++)
        if (p->ops[i].kind == RF_LAYER_DROPOUT && p->ops[i].p != 0) {
            char v[48];
            rf_float_literal(p->ops[i].p, v, sizeof v);
            rf_cb_line(cb, "h->dropout[%s] = %s;", p->ops[i].dropout_index, v);
        }
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
    rf_cb_line(cb, "void %s_set_hparams(%s_model *m, const %s_hparams *h)", n, n, n);
    rf_cb_open(cb, "{");
    rf_cb_line(cb, "m->hp = *h;");
    if (p->has_dropout) {
        rf_cb_line(cb, "/* a unit survives when its bits >= floor(p 2^32), scaled by 1 / (1 - p); p = 1 keeps");
        rf_cb_line(cb, " * (almost) none and scales them by 0: exact zeros */");
        rf_cb_open(cb, "for (int k = 0; k < %s_NUM_DROPOUT; k++) {", p->macro);
        rf_cb_line(cb, "const float p = h->dropout[k];");
        rf_cb_line(cb, "const double prob = p > 0.0f ? (p < 1.0f ? p : 1.0) : 0.0; /* NaN: 0 */");
        rf_cb_line(cb, "m->dropout_threshold[k] = prob < 1.0 ? (uint32_t)(prob * 4294967296.0) : UINT32_MAX;");
        rf_cb_line(cb, "m->dropout_scale[k] = prob < 1.0 ? (float)(1.0 / (1.0 - prob)) : 0.0f;");
        rf_cb_close(cb, "}");
    }
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
    rf_cb_line(cb, "void %s_get_hparams(const %s_model *m, %s_hparams *h)", n, n, n);
    rf_cb_open(cb, "{");
    rf_cb_line(cb, "*h = m->hp;");
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
}

static void emit_counters_api(rf_codebuf *cb, const rf_plan *p)
{
    const char *n = p->name;
    rf_cb_line(cb, "uint64_t %s_updates(const %s_model *m)", n, n);
    rf_cb_open(cb, "{");
    rf_cb_line(cb, "return m->updates;");
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
    rf_cb_line(cb, "uint64_t %s_forward_steps(const %s_model *m)", n, n);
    rf_cb_open(cb, "{");
    rf_cb_line(cb, "return m->forward_steps;");
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
    rf_cb_line(cb, "void %s_set_counters(%s_model *m, uint64_t updates, uint64_t forward_steps)", n, n);
    rf_cb_open(cb, "{");
    rf_cb_line(cb, "m->updates = updates;");
    rf_cb_line(cb, "m->forward_steps = forward_steps;");
    rf_cb_close(cb, "}");
}

static void emit_api(rf_codebuf *cb, const rf_plan *p)
{
    const char *n = p->name, *N = p->macro;
    const char *ok = p->loss == RF_LOSS_SOFTMAX_CE ? "y, n" : "n";
    rf_cb_line(cb, "/* ---- The API (%s.h) ---- */", n);
    rf_cb_line(cb, "");
    emit_api_signature(cb, p, API_TRAIN_STEP, ")");
    rf_cb_open(cb, "{");
    rf_cb_line(cb, "if (!%s_batch_ok(%s))", n, ok);
    rf_cb_line(cb, "    return NAN;");
    rf_cb_line(cb, "const float (*input)[%s_INPUTS] = (const float (*)[%s_INPUTS])x;", N, N);
    rf_cb_line(cb, "%s_set_shards(m, n, 0, %s_GRAD_SHARDS);", n, N);
    emit_pass(cb, p, "1", 1);
    rf_cb_line(cb, "m->forward_steps++;");
    rf_cb_line(cb, "m->updates++;");
    rf_cb_line(cb, "return (float)(%s_loss_sum(m) / n);", n);
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");

    emit_api_signature(cb, p, API_LOSS_GRAD, ")");
    rf_cb_open(cb, "{");
    rf_cb_line(cb, "if (!%s_batch_ok(%s))", n, ok);
    rf_cb_line(cb, "    return NAN;");
    rf_cb_line(cb, "const float (*input)[%s_INPUTS] = (const float (*)[%s_INPUTS])x;", N, N);
    rf_cb_line(cb, "%s_set_shards(m, n, 0, %s_GRAD_SHARDS);", n, N);
    emit_pass(cb, p, "training", 0);
    rf_cb_line(cb, "if (training)");
    rf_cb_line(cb, "    m->forward_steps++;");
    rf_cb_line(cb, "return (float)(%s_loss_sum(m) / n);", n);
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");

    emit_api_signature(cb, p, API_LOSS_GRAD_SHARDS, ")");
    rf_cb_open(cb, "{");
    rf_cb_line(cb, "if (n < 1 || n > %s_BATCH || shard_lo < 0 || shard_lo >= shard_hi ||", N);
    rf_cb_line(cb, "    shard_hi > %s_GRAD_SHARDS)", N);
    rf_cb_line(cb, "    return NAN;");
    rf_cb_line(cb, "const int row0 = shard_lo * n / %s_GRAD_SHARDS;", N);
    rf_cb_line(cb, "const int rows = shard_hi * n / %s_GRAD_SHARDS - row0; /* the range's rows */", N);
    if (p->loss == RF_LOSS_SOFTMAX_CE) {
        rf_cb_line(cb, "for (int r = 0; r < rows; r++)");
        rf_cb_line(cb, "    if (y[r] < 0 || y[r] >= %s_OUTPUTS)", N);
        rf_cb_line(cb, "        return NAN;");
    }
    rf_cb_line(cb, "const float (*input)[%s_INPUTS] = (const float (*)[%s_INPUTS])x;", N, N);
    rf_cb_line(cb, "%s_set_shards(m, n, shard_lo, shard_hi);", n);
    rf_cb_line(cb, "n = rows; /* the pass runs on the range's rows */");
    emit_pass(cb, p, "training", 0);
    rf_cb_line(cb, "if (training)");
    rf_cb_line(cb, "    m->forward_steps++;");
    rf_cb_line(cb, "return %s_loss_sum(m);", n);
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");

    emit_api_signature(cb, p, API_UPDATE, ")");
    rf_cb_open(cb, "{");
    rf_cb_line(cb, "OMP_PARALLEL");
    rf_cb_line(cb, "%s_update_params(m);", n);
    rf_cb_line(cb, "m->updates++;");
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");

    char output[96];
    rf_plan_ref(p, p->output, output, sizeof output);
    emit_api_signature(cb, p, API_PREDICT, ")");
    rf_cb_open(cb, "{");
    rf_cb_line(cb, "if (n < 1 || n > %s_BATCH)", N);
    rf_cb_line(cb, "    return;");
    rf_cb_line(cb, "const float (*input)[%s_INPUTS] = (const float (*)[%s_INPUTS])x;", N, N);
    rf_cb_line(cb, "%s_set_shards(m, n, 0, %s_GRAD_SHARDS);", n, N);
    rf_cb_line(cb, "OMP_PARALLEL");
    rf_cb_open(cb, "{");
    if (rf_dense_prepares_weights(p))
        rf_cb_line(cb, "%s_prepare_weights(m, 0);", n);
    rf_cb_line(cb, "%s_forward(m, input, n, 0);", n);
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "memcpy(out, %s, (size_t)n * sizeof %s[0]);", output, output);
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");

    /* parameter access */
    rf_cb_line(cb, "const char *%s_param_name(int i)", n);
    rf_cb_open(cb, "{");
    if (p->n_params) {
        rf_cb_line(cb, "static const char *const names[%s_NUM_PARAMS] = {", N);
        for (int i = 0; i < p->n_params; i++)
            rf_cb_line(cb, "    \"%s\",", p->params[i].name);
        rf_cb_line(cb, "};");
        rf_cb_line(cb, "return i >= 0 && i < %s_NUM_PARAMS ? names[i] : NULL;", N);
    } else {
        rf_cb_line(cb, "(void)i;");
        rf_cb_line(cb, "return NULL;");
    }
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
    rf_cb_line(cb, "int %s_param_size(int i)", n);
    rf_cb_open(cb, "{");
    if (p->n_params) {
        rf_cb_line(cb, "static const int sizes[%s_NUM_PARAMS] = {", N);
        for (int i = 0; i < p->n_params; i++)
            rf_cb_line(cb, "    %s,", p->params[i].size);
        rf_cb_line(cb, "};");
        rf_cb_line(cb, "return i >= 0 && i < %s_NUM_PARAMS ? sizes[i] : 0;", N);
    } else {
        rf_cb_line(cb, "(void)i;");
        rf_cb_line(cb, "return 0;");
    }
    rf_cb_close(cb, "}");
    rf_cb_line(cb, "");
    for (int grad = 0; grad <= 1; grad++) {
        rf_cb_line(cb, "float *%s_%s(%s_model *m, int i)", n, grad ? "grad" : "param", n);
        rf_cb_open(cb, "{");
        if (!p->n_params)
            rf_cb_line(cb, "(void)m;");
        rf_cb_line(cb, "switch (i) {");
        for (int i = 0; i < p->n_params; i++) {
            const rf_plan_buffer *buf = &p->buffers[grad ? p->params[i].grad : p->params[i].value];
            rf_cb_line(cb, "case %s: return m->%s%s;", p->params[i].macro, buf->name, buf->n_dims == 2 ? "[0]" : "");
        }
        rf_cb_line(cb, "default: return NULL;");
        rf_cb_line(cb, "}");
        rf_cb_close(cb, "}");
        rf_cb_line(cb, "");
    }
    emit_state_api(cb, p);
    emit_hparams_api(cb, p);
    emit_counters_api(cb, p);
}

/* The file: the shared helpers, then (split_in_parts) part 1, everything but the backward
 * pass, and part 2, the backward pass, each under its #if (emit_parts_comment). */
static void emit_source(rf_codebuf *cb, const rf_plan *p)
{
    const int split = split_in_parts(p);
    emit_prelude(cb, p);
    if (split)
        emit_parts_boundary(cb, p);
    rf_emit_rng(cb, p);
    rf_emit_layer_helpers(cb, p);
    if (split) {
        emit_helpers_end(cb, p);
        emit_part_begin(cb, p, 1, "everything but the backward pass");
    }
    rf_emit_layer_steps(cb, p, 0);
    rf_emit_loss(cb, p);
    emit_forward_driver(cb, p);
    rf_emit_update(cb, p);
    emit_batch_checks(cb, p);
    rf_emit_init(cb, p);
    emit_api(cb, p);
    if (split) {
        rf_cb_line(cb, "");
        emit_part_end(cb, 1);
        rf_cb_line(cb, "");
        emit_part_begin(cb, p, 2, "the backward pass, the layers' functions and their driver");
        rf_emit_layer_steps(cb, p, 1);
        emit_backward_driver(cb, p);
        emit_part_end(cb, 2);
    }
}

int rf_emit_source_parts(const rf_model *m)
{
    rf_plan p;
    if (rf_plan_build(m, &p) != 0)
        return -1;
    const int parts = split_in_parts(&p) ? 2 : 1;
    rf_plan_free(&p);
    return parts;
}

int rf_emit_source(const rf_model *m, char **h_text, char **c_text)
{
    *h_text = *c_text = NULL;
    rf_plan p;
    if (rf_plan_build(m, &p) != 0)
        return -1;
    rf_codebuf h, c;
    rf_cb_init(&h);
    rf_cb_init(&c);
    emit_header(&h, &p);
    emit_source(&c, &p);
    rf_plan_free(&p);
    *h_text = rf_cb_take(&h);
    *c_text = rf_cb_take(&c);
    if (!*h_text || !*c_text) {
        free(*h_text);
        free(*c_text);
        *h_text = *c_text = NULL;
        return -1;
    }
    return 0;
}
