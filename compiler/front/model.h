/* The checked model: the one data structure the front end hands to every
 * later stage (summary, lowering, emitters, build driver, runtime).
 *
 * Pipeline: yaml_doc (libyaml -> node tree with positions) -> check (node
 * tree -> rf_model, diagnostics) -> lower/emit (rf_model -> C) -> build
 * (compile + dlopen) -> runtime (train, evaluate, report).
 *
 * Everything here is plain data, owned by the rf_model and released by
 * rf_model_free(). Positions are 1-based line and column of the YAML node
 * the value came from, so every later stage can still point at the file. */
#ifndef RF_MODEL_H
#define RF_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "layer_kinds.h"

#define RF_NAME_MAX 32      /* model and layer names: [a-z][a-z0-9_]*, <= 32 chars */
#define RF_PARAM_NAME_MAX 48 /* "LAYER.weight" */

typedef struct {
    int line, col; /* 1-based; 0 = unknown */
} rf_pos;

typedef enum { RF_INIT_NORMAL, RF_INIT_UNIFORM, RF_INIT_CONSTANT } rf_init_kind;

typedef struct {
    rf_init_kind kind;
    double value; /* std, half-width A, or the constant */
    rf_pos pos;
} rf_init;

#define RF_LAYER_ENUM(E, name) RF_LAYER_##E,
typedef enum { RF_LAYER_KINDS(RF_LAYER_ENUM) RF_LAYER_KIND_COUNT } rf_layer_kind;
#undef RF_LAYER_ENUM

#define RF_OPT_ENUM(E, name) RF_OPT_##E,
typedef enum { RF_OPTIMIZERS(RF_OPT_ENUM) RF_OPT_KIND_COUNT } rf_optimizer_kind;
#undef RF_OPT_ENUM

typedef struct {
    rf_layer_kind kind;
    rf_pos pos;        /* the list item's position (its YAML line is cited in generated code) */
    int in, out;       /* features per row entering and leaving the layer */
    /* dense only */
    char name[RF_NAME_MAX + 1]; /* explicit name, else "denseK" */
    int dense_index;            /* K: 1-based among dense layers; 0 for other kinds */
    int units;
    rf_init weight_init, bias_init;
    int weight_param, bias_param; /* indices into rf_model.params; -1 for other kinds */
    /* dropout only: p (the model file's; a run-time value of the generated code) */
    double p;
    int dropout_index;          /* 0-based among dropout layers; -1 for other kinds */
    /* leaky_relu only: the slope for x < 0 (a constant of the generated code) */
    double alpha;
} rf_layer;

typedef enum { RF_LOSS_SQUARED, RF_LOSS_SOFTMAX_CE } rf_loss_kind;

/* precision (SPEC 1c): bf16 rounds the two inputs of every matrix product to bfloat16
 * (round to nearest even) and accumulates in float32; everything else stays float32. */
typedef enum { RF_PRECISION_FP32, RF_PRECISION_BF16 } rf_precision;

/* One weight-decay group: params is a list of globs (*, ?) over parameter
 * names; the first group a parameter matches decides its decay. */
typedef struct {
    char **patterns;
    int n_patterns;
    double l2, l1, l1_prox;
    rf_pos pos;
    int matches; /* how many parameters this group decided */
} rf_decay_group;

typedef struct {
    char name[RF_PARAM_NAME_MAX + 1]; /* "dense1.weight" */
    int layer;                        /* index into rf_model.layers */
    int is_bias;
    int rows, cols;                   /* weight: [in][out]; bias: rows = 1, cols = out */
    long size;                        /* rows * cols */
    int decay_group;                  /* index into rf_model.groups, -1: not decayed */
    double l2, l1, l1_prox;           /* copied from the group (0 when none) */
    rf_init init;
} rf_param;

typedef enum {
    RF_DATA_NONE,
    RF_DATA_FASHION_MNIST,
    RF_DATA_MNIST,
    RF_DATA_IDX,
    RF_DATA_CSV,
    RF_DATA_SYNTHETIC_LINEAR
} rf_data_kind;

typedef struct {
    rf_data_kind kind;
    rf_pos pos;
    /* RF_DATA_IDX: paths already resolved against the model file's folder */
    char *train_images, *train_labels, *test_images, *test_labels;
    /* RF_DATA_CSV: likewise resolved */
    char *csv_train, *csv_test;
    /* RF_DATA_SYNTHETIC_LINEAR */
    int n_train, n_test;
    double w, b, noise;
} rf_data;

/* The learning-rate schedule after the warm-up (SPEC 1b). */
typedef enum { RF_SCHED_CONSTANT, RF_SCHED_STEP, RF_SCHED_EXPONENTIAL, RF_SCHED_COSINE } rf_schedule_kind;

typedef enum { RF_MONITOR_VALID_LOSS, RF_MONITOR_VALID_ACC } rf_monitor_kind;

/* train: the protocol of a run (SPEC 1 and 1b); none of it is compiled in. */
typedef struct {
    int epochs;
    uint64_t seed;
    double validation;       /* fraction of the training set held out, [0, 1) */
    rf_pos validation_pos;
    rf_schedule_kind schedule;
    int step_every;          /* step: K */
    double gamma;            /* step, exponential: G */
    double min_lr;           /* cosine: M */
    int cosine_epochs;       /* cosine: T, 0 = epochs - warmup_epochs */
    rf_pos schedule_pos;
    int warmup_epochs;       /* W */
    int early_stopping;      /* 1 when the key is present */
    int patience;
    double min_delta;
    rf_monitor_kind monitor;
    rf_pos early_stopping_pos;
} rf_train;

typedef struct {
    char *path;          /* the model file as given on the command line */
    char *source;        /* its bytes (hashed into the generated header) */
    size_t source_len;
    char name[RF_NAME_MAX + 1];
    int input, batch, outputs;
    rf_layer *layers;
    int n_layers;
    rf_loss_kind loss;
    rf_pos loss_pos;
    /* the optimizer (SPEC 1a): kind and nesterov are compile-time, the
     * values are run-time hyperparameters of the generated code */
    rf_optimizer_kind optimizer;
    double lr, momentum, dampening, beta1, beta2, eps;
    int nesterov;
    rf_pos optimizer_pos;
    rf_precision precision; /* compiled in: the products' input rounding */
    rf_pos precision_pos;
    rf_decay_group *groups;
    int n_groups;
    rf_param *params; /* in layer order: weight, bias, weight, bias, ... */
    int n_params;
    int n_dropout;    /* dropout layers */
    rf_train train;
    rf_data data;
} rf_model;

/* Derived quantities every stage agrees on (model.c). */

/* Fill in, from layers[] (kind, units, p, names, inits) and input:
 * each layer's in/out, dense_index, automatic names, outputs, params[]
 * (with their decay group by first match) and group match counts.
 * Returns 0, or -1 when out of memory. Safe to call again. */
int rf_model_finish(rf_model *m);

/* Total parameter elements. */
long rf_model_param_count(const rf_model *m);

/* FLOPs of one full training step at the compiled batch size
 * (forward + backward + update; a multiply-add counts 2). */
double rf_model_train_flops(const rf_model *m);

/* FLOPs of predict on a full batch. */
double rf_model_predict_flops(const rf_model *m);

/* Bytes of the generated model struct: parameters, gradients, momentum
 * (when used), activations and their gradients for one batch, masks. */
double rf_model_bytes(const rf_model *m);

/* glob over parameter names: '*' any run, '?' one character. */
int rf_glob_match(const char *pattern, const char *name);

const char *rf_layer_kind_name(rf_layer_kind k);
const char *rf_optimizer_name(rf_optimizer_kind k);

/* Optimizer state tensors per parameter tensor: 0 for plain sgd, 1 for sgd
 * with momentum (the model file's momentum != 0), 2 for adam and adamw. */
int rf_model_state_per_param(const rf_model *m);
/* The suffix of state tensor k of a parameter: "momentum", "exp_avg", "exp_avg_sq". */
const char *rf_model_state_suffix(const rf_model *m, int k);

/* 1 when the kind is an elementwise activation (RF_ACTIVATIONS). */
int rf_layer_is_activation(rf_layer_kind k);
const char *rf_loss_name(rf_loss_kind k);
const char *rf_precision_name(rf_precision k); /* "fp32", "bf16" */

/* The shape-only copy of a model that a training run compiles: the same
 * layers, shapes, inits, loss, optimizer kind and nesterov, with every
 * run-time value (lr, momentum, betas, decay, dropout p), the file's
 * name, bytes and positions, epochs, seed and data cleared. Model files
 * that differ only in those give the same code, so the build cache
 * serves them all; the run then sets its own values (NAME_set_hparams).
 * Returns 0, or -1 when out of memory. Free with rf_model_free_build_copy. */
int rf_model_for_build(const rf_model *m, rf_model *out);
void rf_model_free_build_copy(rf_model *m);

void rf_model_free(rf_model *m);

#endif
