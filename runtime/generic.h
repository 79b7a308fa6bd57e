/* Generic kernels: the same network, losses and update as the generated
 * code (SPEC sections 1 and 3), but with every shape a run-time value read
 * from an rf_model. They are the benchmark's baseline and a second,
 * independent implementation of the math the bench checks the generated
 * code against.
 *
 * The API mirrors the generated NAME_* functions. y is `const int32_t *`
 * (n class labels) for softmax_cross_entropy and `const float *`
 * (n x outputs targets) for squared. x is n x inputs, row-major.
 *
 * An rf_generic copies what it needs from the model (shapes, inits, the
 * optimizer and its hyperparameters, each tensor's decay, dropout p,
 * leaky_relu's alpha): the rf_model may be freed after rf_generic_new(). */
#ifndef RF_GENERIC_H
#define RF_GENERIC_H

#include <stdint.h>

#include "model.h"

typedef struct rf_generic rf_generic;

/* Allocates every buffer (64-byte aligned) for m->batch rows. NULL when out
 * of memory or when the model's shapes are unusable (batch < 1, a width
 * < 1, no outputs, sizes that overflow). The parameters are zero until
 * rf_generic_init(). */
rf_generic *rf_generic_new(const rf_model *m);
void rf_generic_free(rf_generic *g);

/* Parameters per each tensor's init (the bits of rf_random.h); gradients,
 * optimizer state, the update count and the dropout step counter zeroed. */
void rf_generic_init(rf_generic *g, uint64_t seed);

/* loss_grad(training = 1) then update. Returns the mean loss of the n rows,
 * or NaN (and changes nothing) when n is outside [1, batch] or a label is
 * outside [0, outputs). */
float rf_generic_train_step(rf_generic *g, const float *x, const void *y, int n);

/* Forward and backward: the gradients of the mean data loss (no decay)
 * overwrite the grad buffers. training = 0 turns dropout off. A training
 * forward advances the dropout step counter. NaN on bad input, as above. */
float rf_generic_loss_grad(rf_generic *g, const float *x, const void *y, int n, int training);

/* The optimizer and decay update of SPEC 1a from the current gradients,
 * one fused pass per parameter tensor (rf_gk_update, generic_kernels.h):
 * sgd (momentum, dampening, nesterov), adam or adamw with the model's
 * hyperparameters, each tensor's l2, l1 and l1_prox. Counts one update
 * (the t of the bias corrections and of momentum's first step). */
void rf_generic_update(rf_generic *g);

/* Forward with dropout off; out gets n x outputs (logits for softmax CE).
 * Does nothing when n is outside [1, batch]. */
void rf_generic_predict(rf_generic *g, const float *x, int n, float *out);

int rf_generic_num_params(const rf_generic *g);
/* Tensor i (0-based, layer order: weight, bias, ...), layout as in the
 * model (weight [in][out] row-major). NULL when i is out of range. */
float *rf_generic_param(rf_generic *g, int i);
float *rf_generic_grad(rf_generic *g, int i);

/* Optimizer state tensors: rf_model_state_per_param of the model per
 * parameter tensor (0 for plain sgd, 1 with momentum, 2 for adam and
 * adamw), allocated only when used. Tensor i is, for each parameter in
 * order, its state tensors in order (momentum | exp_avg, exp_avg_sq), the
 * parameter's size and layout. NULL when i is out of range. */
int rf_generic_num_state(const rf_generic *g);
float *rf_generic_state(rf_generic *g, int i);

/* Updates applied since rf_generic_init (the t of SPEC 1a). */
uint64_t rf_generic_updates(const rf_generic *g);

#endif
