/* The generic kernels, one per layer kind and loss, each with run-time
 * shapes (internal to generic*.c). All buffers are row-major [rows][width]
 * and must not overlap unless a comment says so.
 *
 * Determinism: every kernel gives the same bits whatever the number of
 * threads. Work is split over elements each thread owns alone; sums over
 * the batch run over rows in order 0..n-1. */
#ifndef RF_GENERIC_KERNELS_H
#define RF_GENERIC_KERNELS_H

#include <stdint.h>

#include "bf16.h"
#include "model.h"

/* Below this many multiply-adds a kernel runs on the calling thread: the
 * fork/join would cost more than the work (the result is the same). */
#define RF_GK_PARALLEL_MIN 32768L

/* --- dense (generic_dense.c) --- */

/* bf16 != 0 (precision: bf16, SPEC 1c): each product's two inputs are rounded
 * to bfloat16 as they are read (rf_round_bf16, compiler/front/bf16.h), the sums stay float32; the
 * bias and db are not products and stay exact. */

/* y[n][out] = x[n][in] W[in][out] + b[out] */
void rf_gk_dense_forward(const float *x, const float *W, const float *b, float *y,
                         int n, int in, int out, int bf16);

/* dW[in][out] = x^T dy, db[out] = sum over rows of dy (both overwritten) */
void rf_gk_dense_backward_params(const float *x, const float *dy, float *dW, float *db,
                                 int n, int in, int out, int bf16);

/* dx[n][in] = dy[n][out] W^T */
void rf_gk_dense_backward_input(const float *dy, const float *W, float *dx,
                                int n, int in, int out, int bf16);

/* --- elementwise layers (generic_layers.c) --- */

/* y = f(x) over count elements, f the activation of that kind: the
 * forward column of its RF_ACTIVATIONS row (layer_kinds.h), with alpha
 * the layer's slope where the row takes one (leaky_relu; ignored
 * otherwise). Other kinds do nothing. */
void rf_gk_activation_forward(rf_layer_kind kind, float alpha, const float *x, float *y,
                              long count);

/* dx = dy * f'(x), the backward column: written in terms of the forward
 * output y. */
void rf_gk_activation_backward(rf_layer_kind kind, float alpha, const float *y, const float *dy,
                               float *dx, long count);

/* Inverted dropout on 0 < p < 1: keep[r][u] = bits(key, r*units + u) >=
 * threshold; y = keep ? x * scale : 0. */
void rf_gk_dropout_forward(const float *x, float *y, uint8_t *keep, int n, int units,
                           uint64_t key, uint32_t threshold, float scale);

/* dx = keep ? dy * scale : 0 */
void rf_gk_dropout_backward(const float *dy, const uint8_t *keep, float *dx, long count,
                            float scale);

/* --- the optimizer update (generic_update.c) --- */

/* The optimizer of SPEC 1a and its hyperparameters (those its kind does
 * not use are ignored). */
typedef struct {
    rf_optimizer_kind kind;
    double lr, momentum, dampening, beta1, beta2, eps;
    int nesterov;
} rf_gk_optimizer;

/* One parameter tensor's decay, from its decay group. */
typedef struct {
    double l2, l1, l1_prox;
} rf_gk_decay;

/* One fused pass over one tensor of size elements, in float32 like the
 * generated code: per element d = g + l2*w + l1*sign(w) (adamw: first
 * w *= 1 - lr*l2, and no l2 in d), then the optimizer, then the l1_prox
 * shrink w = sign(w)*max(|w| - lr*l1_prox, 0). t is the update count
 * including this one (>= 1): sgd's momentum buffer starts as d at t = 1
 * (computed as 0*b + d: the buffer must hold finite values then, as init
 * leaves it), adam's bias corrections use it. state0 is sgd's momentum buffer (NULL:
 * plain sgd, no momentum) or adam's m; state1 is adam's v (NULL for sgd).
 * Scalars derived from the hyperparameters (1 - beta1, lr/(1 - beta1^t),
 * sqrt(1 - beta2^t), 1 - lr*l2, lr*l1_prox, ...) are computed in double
 * once per call and rounded to float. */
void rf_gk_update(const rf_gk_optimizer *o, const rf_gk_decay *d, uint64_t t, float *w,
                  const float *grad, float *state0, float *state1, long size);

/* --- losses (generic_loss.c) --- */

/* Both return the mean loss over the n rows and write dz, the gradient of
 * that mean with respect to the network's outputs z[n][outputs]. row_loss
 * is n floats of scratch (the per-row losses, summed in row order).
 * Labels / targets must already be checked. */
float rf_gk_softmax_ce(const float *z, const int32_t *labels, float *dz, float *row_loss,
                       int n, int outputs);
float rf_gk_squared(const float *z, const float *target, float *dz, float *row_loss,
                    int n, int outputs);

#endif
