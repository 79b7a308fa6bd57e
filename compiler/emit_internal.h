/* What the parts of the code generator share: the per-layer-kind emitter
 * interface and table, and the helpers every emitter uses. Adding a layer
 * kind means one emit_KIND.c defining an rf_layer_emitter, plus its entry
 * in the table of emit_model.c. */
#ifndef RF_EMIT_INTERNAL_H
#define RF_EMIT_INTERNAL_H

#include <stddef.h>

#include "codebuf.h"
#include "plan.h"

typedef struct {
    rf_layer_kind kind;
    /* the layer heading after its name: "dense 784 -> 256" */
    void (*describe)(const rf_plan_op *op, char *buf, size_t len);
    /* the #defines of the layer's shapes (NAME.h) */
    void (*shapes)(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op);
    /* static helpers shared by all layers of this kind, once per file; may be NULL */
    void (*helpers)(rf_codebuf *cb, const rf_plan *p);
    /* the static functions NAME_LAYER_forward and (when op->backward) NAME_LAYER_backward */
    void (*forward)(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op);
    void (*backward)(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op);
    /* their calls in NAME_forward and NAME_backward */
    void (*forward_call)(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op);
    void (*backward_call)(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op);
} rf_layer_emitter;

extern const rf_layer_emitter rf_dense_emitter;
extern const rf_layer_emitter rf_relu_emitter;
extern const rf_layer_emitter rf_sigmoid_emitter;
extern const rf_layer_emitter rf_tanh_emitter;
extern const rf_layer_emitter rf_dropout_emitter;

/* emit_dense.c: NAME_transpose_weights(m), the weight copies the input gradients
 * read, called at the start of every pass with a backward (when any dense layer has
 * an input gradient: rf_dense_has_transposes). */
int rf_dense_has_transposes(const rf_plan *p);
void rf_emit_dense_transposes(rf_codebuf *cb, const rf_plan *p);

/* emit_dropout.c: the #defines NAME_DROPOUTk_THRESHOLD and _SCALE of a dropout
 * layer with 0 < p < 1 (printed by whoever applies its mask). */
void rf_emit_dropout_constants(rf_codebuf *cb, const rf_plan_op *op);

/* The table (emit_model.c): the emitter of a layer kind. */
const rf_layer_emitter *rf_layer_emitter_of(rf_layer_kind kind);

/* emit_loss.c: the static NAME_loss() computing per-row losses and the
 * gradient of the mean loss w.r.t. the output, and its call. */
const char *rf_loss_target_type(const rf_model *m); /* "int32_t" or "float" */
void rf_emit_loss(rf_codebuf *cb, const rf_plan *p);
void rf_emit_loss_call(rf_codebuf *cb, const rf_plan *p);

/* emit_update.c: the static NAME_update_params(), the fused decay + SGD step. */
void rf_emit_update(rf_codebuf *cb, const rf_plan *p);

/* emit_init.c: the init helpers and the public NAME_init(). */
void rf_emit_init(rf_codebuf *cb, const rf_plan *p);

/* emit_rng.c: the copy of rf_random.h functions this model needs
 * (NAME_-prefixed and static). */
void rf_emit_rng(rf_codebuf *cb, const rf_plan *p);

/* Lines of C as they are, followed by an empty line, with "{n}" standing for
 * the model's name and "{N}" for its capitalised prefix (emit_rng.c). */
void rf_emit_lines(rf_codebuf *cb, const rf_plan *p, const char *const *lines);

/* emit_model.c helpers */

/* "static void NAME_LAYER_SUFFIX(" + wrapped parameters + ")" and the "{" line */
void rf_emit_signature(rf_codebuf *cb, const char *head, const char *const *params, int n_params);
/* A call statement: name(args...); wrapped to the width */
void rf_emit_call(rf_codebuf *cb, const char *name, const char *const *args, int n_args);
/* The heading comment of a layer: "dense1: dense 784 -> 256 (mlp.yaml:5)" */
void rf_emit_layer_heading(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op);
/* The model file's name for comments: its last path component, comment-safe. */
void rf_emit_source_name(const rf_plan *p, char *buf, size_t len);

#endif
