/* What the parts of the code generator share: the per-layer-kind emitter
 * interface and table, and the helpers every emitter uses. Adding a layer
 * kind means one emit_KIND.c defining an rf_layer_emitter, plus its entry
 * in the table of emit_model.c. */
#ifndef RF_EMIT_INTERNAL_H
#define RF_EMIT_INTERNAL_H

#include <stddef.h>

#include "codebuf.h"
#include "plan.h"

/* Ports (emit_ports.c): a static function's parameters and its call's arguments, one
 * list for both. */
#define RF_MAX_PORTS 20
typedef struct {
    char decl[160]; /* "float (*restrict out)[MLP_DENSE1_OUT]" */
    char arg[200];  /* "m->dense1_out" */
} rf_port;
typedef struct {
    rf_port port[RF_MAX_PORTS];
    int n;
} rf_ports;
void rf_ports_add(rf_ports *ps, const char *decl, const char *arg_fmt, ...) __attribute__((format(printf, 3, 4)));
/* a buffer of the plan (or RF_PLAN_INPUT) as the argument */
void rf_ports_buffer(rf_ports *ps, const rf_plan *p, const char *decl, int buffer);
void rf_ports_signature(rf_codebuf *cb, const char *head, const rf_ports *ps);
void rf_ports_call(rf_codebuf *cb, const char *name, const rf_ports *ps);
/* The signature and the call of a layer's NAME_LAYER_forward or _backward, from its ports. */
void rf_emit_step_signature(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op, int backward);
void rf_emit_step_call(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op, int backward);

typedef struct {
    /* the layer heading after its name: "dense 784 -> 256" */
    void (*describe)(const rf_plan_op *op, char *buf, size_t len);
    /* the #defines of the layer's shapes (NAME.h) */
    void (*shapes)(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op);
    /* static helpers shared by all layers of this kind, once per file; may be NULL */
    void (*helpers)(rf_codebuf *cb, const rf_plan *p);
    /* the static functions NAME_LAYER_forward and (when op->backward) NAME_LAYER_backward */
    void (*forward)(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op);
    void (*backward)(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op);
    /* their parameters and the arguments of their calls in NAME_forward and NAME_backward */
    void (*forward_ports)(const rf_plan *p, const rf_plan_op *op, rf_ports *ps);
    void (*backward_ports)(const rf_plan *p, const rf_plan_op *op, rf_ports *ps);
} rf_layer_emitter;

extern const rf_layer_emitter rf_dense_emitter;
extern const rf_layer_emitter rf_activation_emitter; /* every RF_ACTIVATIONS kind */
extern const rf_layer_emitter rf_dropout_emitter;


/* emit_activation.c: the vector forms NAME_ACT_v / NAME_ACT_grad_v of the activations
 * fused into a product's epilogue (after the vector types exist). */
void rf_emit_activation_vectors(rf_codebuf *cb, const rf_plan *p);
/* "relu" -> its row of RF_ACTIVATIONS: takes alpha, lanewise forward */
int rf_activation_takes_alpha(rf_layer_kind kind);

/* emit_dense.c: NAME_prepare_weights(m, backward), the weight copies the products read
 * (forward weights in panels; with backward, the weights^T of the input gradients),
 * called at the start of every pass when there are any (rf_dense_prepares_weights). */
int rf_dense_prepares_weights(const rf_plan *p);
/* Precision bf16: op's forward reads pairs where the target has them (BF16_PAIRS, vector.h);
 * the inference file then packs its weight as pairs, into the workspace. */
int rf_dense_forward_pairs(const rf_plan *p, const rf_plan_op *op);
void rf_emit_dense_prepare_weights(rf_codebuf *cb, const rf_plan *p);

/* emit_dropout.c: the ports of a dropout's mask in a training pass: key, threshold, scale. */
void rf_dropout_mask_ports(rf_ports *ps, const rf_plan *p, const rf_plan_op *drop);

/* emit_model.c, shared with the inference file (emit_infer.c): */
/* the OMP_* macros (OpenMP pragmas when p->parallel and compiled with -fopenmp, else empty) */
void rf_emit_openmp_macros(rf_codebuf *cb, const rf_plan *p);
/* the layers' helpers (static inline, once per layer kind present), then their functions:
 * each layer's NAME_LAYER_forward, or (backward) its NAME_LAYER_backward, under its heading */
void rf_emit_layer_helpers(rf_codebuf *cb, const rf_plan *p);
void rf_emit_layer_steps(rf_codebuf *cb, const rf_plan *p, int backward);
/* " * 784 inputs -> dense1 256 -> relu -> ...", wrapped comment lines */
void rf_emit_layer_list(rf_codebuf *cb, const rf_plan *p);
/* the headers' comment on the compiler flags that make the code fast */
void rf_emit_flags_comment(rf_codebuf *cb);

/* The table (emit_common.c): the emitter of a layer kind. */
const rf_layer_emitter *rf_layer_emitter_of(rf_layer_kind kind);

/* emit_loss.c: the static NAME_loss() computing per-row losses and the
 * gradient of the mean loss w.r.t. the output, and its call. */
const char *rf_loss_target_type(rf_loss_kind loss); /* "int32_t" or "float" */
void rf_emit_loss(rf_codebuf *cb, const rf_plan *p);
void rf_emit_loss_call(rf_codebuf *cb, const rf_plan *p);

/* emit_update.c: the static NAME_update_params(), the fused decay + SGD step. */
void rf_emit_update(rf_codebuf *cb, const rf_plan *p);

/* NAME_GRAD_SHARDS and the NAME_shards type (emit_model.c): the rows of a pass. */
void rf_emit_shards_type(rf_codebuf *cb, const rf_plan *p);

/* emit_init.c: the init helpers and the public NAME_init(). */
void rf_emit_init(rf_codebuf *cb, const rf_plan *p);

/* emit_rng.c: the copy of rf_random.h functions this model needs
 * (NAME_-prefixed and static). */
void rf_emit_rng(rf_codebuf *cb, const rf_plan *p);
/* Only the mask bits (NAME_hash32, NAME_dropout_bits) the kernels name, for the inference
 * file, which never draws a mask; nothing without dropout. */
void rf_emit_rng_dropout_bits(rf_codebuf *cb, const rf_plan *p);

/* The code templates (compiler/emit/templates/vector.h, product.h), embedded at build time,
 * and one section of one copied with NAME_ renamed, followed by an empty line
 * (emit_template.c). */
extern const char rf_template_vector[], rf_template_product[];
void rf_emit_template(rf_codebuf *cb, const rf_plan *p, const char *tmpl, const char *section);

/* Lines of C as they are, followed by an empty line, with "{n}" standing for
 * the model's name and "{N}" for its capitalised prefix (emit_rng.c). */
void rf_emit_lines(rf_codebuf *cb, const rf_plan *p, const char *const *lines);

/* emit_common.c: helpers every emitter uses */

/* "static void NAME_LAYER_SUFFIX(" + wrapped parameters + ")" and the "{" line */
void rf_emit_signature(rf_codebuf *cb, const char *head, const char *const *params, int n_params);
/* A call statement: name(args...); wrapped to the width */
void rf_emit_call(rf_codebuf *cb, const char *name, const char *const *args, int n_args);
/* " (mlp.yaml:5)", or "" for the build's shape-only copy of a model (no file) */
void rf_emit_position(const rf_plan *p, int line, char *buf, size_t len);
/* The heading comment of a layer: "dense1: dense 784 -> 256 (mlp.yaml:5)" */
void rf_emit_layer_heading(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op);
/* The model file's name for comments: its last path component, comment-safe. */

#endif
