/* Lowering: the checked model becomes a fixed-shape plan, the one structure
 * the emitters read. It names every buffer the generated model struct holds
 * (parameters, gradients, velocities, activations, dropout masks, gradients
 * of activations, scratch) with its shape as C constants, and lists the
 * layer operations in order with the buffers each reads and writes.
 *
 * Deciding here what exists keeps the emitters simple: a backward pass
 * runs only through layers after the first dense layer's input (nothing
 * before it has parameters), the first dense layer computes no input
 * gradient, a dropout fused into a product's epilogue has no mask, and an
 * optimizer without state (plain sgd) has no state buffers. Hyperparameter
 * values (lr, decay, dropout p, ...) are not in the plan: the generated code
 * reads them at run time. */
#ifndef RF_PLAN_H
#define RF_PLAN_H

#include "model.h"

#define RF_PLAN_IDENT 80 /* member, function and constant names */
#define RF_PLAN_INPUT (-2) /* buffer index of the caller's input rows x */
#define RF_PLAN_NONE (-1)

/* The generated calls share their work among OpenMP threads only when a
 * training step at a full batch takes this many FLOPs: below it, a parallel
 * region (fork, join, a barrier per layer: microseconds) costs more than the
 * arithmetic. A decision of generation time: the results stay the same for
 * any number of threads either way. */
#define RF_PARALLEL_MIN_FLOPS 2e6

/* Packed B operands (product.h): a product's B is copied into panels of NR columns when
 * it has at least RF_PLAN_PACK_MIN_COLS columns and C at least RF_PLAN_PACK_MIN_ROWS rows
 * (fewer rows read a panel too few times to pay for the copy); NR is 8, 16 or 32 floats
 * by target, and a packed buffer is sized for panels of RF_PLAN_PANEL_MAX. */
#define RF_PLAN_PACK_MIN_COLS 16
#define RF_PLAN_PACK_MIN_ROWS 32
#define RF_PLAN_PANEL_MAX 32

typedef enum {
    RF_BUF_PARAM,           /* a parameter tensor */
    RF_BUF_GRAD,            /* its gradient */
    RF_BUF_STATE,           /* its optimizer state (momentum buffer, exp_avg, exp_avg_sq) */
    RF_BUF_ACTIVATION,      /* a layer's output, one row per sample */
    RF_BUF_MASK,            /* a dropout layer's mask: 0 or 1/(1-p) per element */
    RF_BUF_ACTIVATION_GRAD, /* the loss gradient with respect to a layer's output */
    RF_BUF_SCRATCH,         /* working space: transposed weights, per-row losses */
    RF_BUF_ROLE_COUNT
} rf_buffer_role;

typedef struct {
    char name[RF_PLAN_IDENT];         /* struct member: "dense1_out" */
    rf_buffer_role role;
    int n_dims;                       /* 1 or 2 */
    char dims[2][RF_PLAN_IDENT];      /* the constant of each dimension: "MLP_BATCH", "MLP_DENSE1_OUT" */
    long extent[2];                   /* their values */
    char comment[160];                /* what it holds */
    int param;                        /* PARAM, GRAD, STATE: index into model->params; else -1 */
    int rounded_from;                 /* a bf16 copy (SCRATCH): the buffer it rounds, else RF_PLAN_NONE */
} rf_plan_buffer;

/* A parameter tensor and everything the code keeps of it: the buffers of its
 * values, gradient and optimizer state, and the names the API and the
 * update print. Init, update, the API and checkpoints iterate over these. */
#define RF_PLAN_MAX_STATE 2
typedef struct {
    char name[RF_PARAM_NAME_MAX + 1]; /* "dense1.weight" */
    rf_init init;
    double l2, l1, l1_prox;           /* the model file's decay (hparams' defaults) */
    int decay_group, decay_line;      /* its decay group (0-based) and the group's YAML line; -1, 0: none */
    int index;                        /* in model->params: the tensor index of the API */
    char macro[RF_PLAN_IDENT];        /* its index constant: "MLP_DENSE1_WEIGHT" */
    char size[2 * RF_PLAN_IDENT + 4]; /* its element count: "MLP_DENSE1_IN * MLP_DENSE1_OUT" */
    int value, grad;                  /* buffer indices */
    int state[RF_PLAN_MAX_STATE];     /* optimizer state buffers (p->n_state_per_param of them) */
} rf_plan_param;

typedef struct {
    rf_layer_kind kind;
    int line;                         /* of the layer in the model file (0 for the build's copy) */
    int units_in, units_out;          /* features per row entering and leaving */
    double alpha;                     /* leaky_relu: the slope below 0 (a constant of the code) */
    double p;                         /* dropout: the model file's p (hparams' default) */
    int dropout_k;                    /* dropout: its index in hparams.dropout; else -1 */
    int layer_index;                  /* in model->layers; also the dropout key's layer */
    char name[RF_PLAN_IDENT];         /* "dense1", "relu1": prefix of its functions and buffers */
    char macro[RF_PLAN_IDENT];        /* "MLP_DENSE1": prefix of its constants */
    char in_dim[RF_PLAN_IDENT];       /* features in and out: "MLP_DENSE1_IN", "MLP_DENSE1_OUT"; */
    char out_dim[RF_PLAN_IDENT];      /* both "MLP_RELU1_UNITS" for an elementwise layer */
    int backward;                     /* the backward pass goes through this layer */
    int input_grad;                   /* ... and computes the gradient of its input */
    /* buffer indices (RF_PLAN_INPUT: x, RF_PLAN_NONE: absent) */
    int in, out, in_grad, out_grad;
    int weight, bias, weight_grad, bias_grad, weight_t; /* dense: buffers */
    int weight_packed;                /* dense: weight in panels for the forward (NONE: narrow) */
    int pack_weight_t;                /* dense: weight_t holds weight^T in panels (else plain) */
    /* dense, precision bf16: copies rounded to bfloat16, so that a product reads every
     * operand rounded once (packed panels are rounded as they are packed): in_bf16, the
     * input (the forward's A, the weight gradient's A or B); out_grad_bf16, out_grad where
     * a product reads it unpacked (the input gradient's A, a weight gradient not packed);
     * weight_bf16, a weight the forward reads unpacked (too narrow for panels) */
    int in_bf16, out_grad_bf16, weight_bf16;
    int weight_param, bias_param;                       /* dense: indices into plan->params */
    int mask;                                           /* dropout not fused into a dense epilogue */
    char dropout_index[RF_PLAN_IDENT];  /* dropout: its index constant in hparams.dropout, "MLP_DROPOUT1_INDEX" */
    char dropout_layer[RF_PLAN_IDENT];  /* dropout: its layer-position constant keying the masks, "MLP_DROPOUT1_LAYER" */
    /* Fusion. A dense layer followed by an activation and/or a dropout, the whole chain
     * followed by another dense layer, computes the chain in its product's epilogue:
     * bias, activation and dropout on each tile while it is in registers. The chain
     * (dense, then an activation, then dropout; dropout only after an activation whose
     * derivative reads only the output's sign (relu, leaky_relu) or right after the
     * dense) writes one buffer, the chain's last output, and
     * its backward runs in the input-gradient epilogue of the dense layer above, which
     * writes the gradient of the chain's pre-activation (the dense's out_grad). The
     * fused layers emit nothing of their own; other orders keep their own passes. */
    int fused;                        /* an activation or dropout computed by the dense op 'chain' */
    int chain;                        /* fused: the dense op; dense: itself when it heads a chain */
    int chain_act, chain_drop;        /* dense heading a chain: its fused ops (RF_PLAN_NONE: none) */
} rf_plan_op;

/* The model file's optimizer values: the defaults of NAME_hparams. */
typedef struct {
    double lr, momentum, dampening, beta1, beta2, eps;
} rf_plan_hparams;

typedef struct {
    char name[RF_NAME_MAX + 1];       /* "mlp": prefix of every generated symbol */
    char macro[RF_NAME_MAX + 1];      /* "MLP": prefix of every generated constant */
    /* where it came from: the model file's name (comment-safe) and a hash of its bytes;
     * has_source = 0 for the build's shape-only copy (rf_model_for_build), whose code
     * names no file, line or value */
    int has_source;
    char source_name[300];
    uint64_t source_hash;
    int batch, input, outputs;
    rf_loss_kind loss;
    int loss_line;
    rf_optimizer_kind optimizer;
    int nesterov;
    rf_precision precision;           /* bf16: every product rounds its inputs (SPEC 1c) */
    rf_plan_hparams defaults;
    int n_dropout;                    /* dropout layers */
    double train_flops;               /* of one training step at a full batch */
    rf_plan_buffer *buffers;          /* in struct order: by role, then by layer */
    int n_buffers;
    rf_plan_op *ops;                  /* one per layer, in order */
    int n_ops;
    int output, output_grad;          /* the model's output rows (logits) and the loss gradient w.r.t. them */
    int row_loss;                     /* per-row losses (SCRATCH, [BATCH]) */
    int batch_packed;                 /* the weight gradients' B in panels (NONE: all narrow) */
    rf_plan_param *params;            /* one per model->params, in order */
    int n_params;
    int n_state_per_param;            /* optimizer state tensors per parameter (rf_model_state_per_param) */
    char state_suffix[RF_PLAN_MAX_STATE][16]; /* "momentum"; "exp_avg", "exp_avg_sq" */
    int has_backward;                 /* some layer has parameters */
    int has_dropout;                  /* some dropout layer (its p is a run-time value) */
    int parallel;                     /* the calls open a parallel region (else no OpenMP at all) */
} rf_plan;

/* Builds the plan of a finished model (rf_model_finish). Returns 0, or -1
 * when out of memory. The plan points into the model: keep it alive. */
int rf_plan_build(const rf_model *m, rf_plan *p);
void rf_plan_free(rf_plan *p);

/* 1 when the weight gradient of dense op may run transposed (weight_grad^T = out_grad^T in,
 * for a target whose vectors do not divide units_out; the emitter's choice at C compile
 * time), so that its B is in rather than out_grad. */
int rf_plan_wgrad_transposed_possible(const rf_plan_op *op);

/* 1 when that form of dense op's weight gradient (transposed: the one above) reads its B
 * from the plan's batch_packed. */
int rf_plan_wgrad_packs(const rf_plan_op *op, int transposed);

/* The C expression for a buffer in the drivers: "m->dense1_out", or "input"
 * for RF_PLAN_INPUT. Writes into buf and returns it. */
const char *rf_plan_ref(const rf_plan *p, int buffer, char *buf, size_t len);

#endif
