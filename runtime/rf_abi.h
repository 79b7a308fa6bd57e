/* The boundary between regfitc (and its runtime) and one compiled model.
 *
 * The build driver compiles NAME.c together with a small glue file that
 * defines `rf_compiled_model` (below) over NAME's API, links them into a
 * shared object and dlopen()s it. The runtime then trains, evaluates, saves
 * and benchmarks through these pointers, never through model-specific
 * names. The glue file is emitted by the compiler (emit_glue.c); the
 * generated NAME.c/NAME.h themselves do not depend on this header. */
#ifndef RF_ABI_H
#define RF_ABI_H

#include <stddef.h>
#include <stdint.h>

#define RF_ABI_VERSION 3
#define RF_ABI_SYMBOL "rf_compiled_model"

/* The run-time hyperparameters as the runtime hands them to a compiled model
 * (the glue copies them into NAME_hparams): SPEC 3's fields, the arrays of
 * num_params (decay) and num_dropout (p) values. */
typedef struct {
    float lr, momentum, dampening, beta1, beta2, eps;
    const float *l2, *l1, *l1_prox;
    const float *dropout;
} rf_hparams_in;

typedef struct rf_compiled {
    int abi_version;            /* RF_ABI_VERSION */
    const char *name;           /* the model's name */
    int batch, inputs, outputs; /* NAME_BATCH, NAME_INPUTS, NAME_OUTPUTS */
    int num_params;             /* NAME_NUM_PARAMS */
    int num_dropout;            /* NAME_NUM_DROPOUT */
    int num_state;              /* NAME_NUM_STATE */
    int loss;                   /* rf_loss_kind: y is int32_t* (softmax CE) or float* (squared) */
    size_t model_size;          /* sizeof(NAME_model) */
    size_t model_align;         /* _Alignof(NAME_model) */

    void (*init)(void *m, uint64_t seed);
    float (*train_step)(void *m, const float *x, const void *y, int n);
    float (*loss_grad)(void *m, const float *x, const void *y, int n, int training);
    /* NAME_loss_grad_shards: the rows of shards [lo, hi) of a global batch of n rows;
     * gradients of the global mean in the shards' tree, returns the range's loss sum */
    double (*loss_grad_shards)(void *m, const float *x, const void *y, int n, int lo, int hi, int training);
    int grad_shards;            /* NAME_GRAD_SHARDS */
    void (*update)(void *m);
    void (*predict)(void *m, const float *x, int n, float *out);
    const char *(*param_name)(int i);
    int (*param_size)(int i);
    float *(*param)(void *m, int i);
    float *(*grad)(void *m, int i);
    void (*set_hparams)(void *m, const rf_hparams_in *h);
    const char *(*state_name)(int i);
    int (*state_size)(int i);
    float *(*state)(void *m, int i);
    uint64_t (*updates)(const void *m);
    uint64_t (*forward_steps)(const void *m);
    void (*set_counters)(void *m, uint64_t updates, uint64_t forward_steps);
    /* omp_set_num_threads() in the OpenMP runtime the model was built
     * against (it may not be the caller's); a no-op without OpenMP. */
    void (*set_threads)(int n);
    /* The output layer's values (logits for softmax CE) of the last
     * forward pass, n x outputs, row-major: training accuracy is measured
     * on the batches as trained, without a second forward pass. */
    const float *(*last_output)(void *m);
} rf_compiled;

#endif
