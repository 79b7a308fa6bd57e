/* The descriptors of the layer kinds, activations and optimizers: one
 * X-macro table each, read by the checker (names), the model and plan
 * (enums), the emitters (the math, as C text), the runtime's generic
 * kernels and the tests' references (the same math, compiled). Adding an
 * activation is one RF_ACTIVATIONS row (plus its tests); the emitters,
 * generic kernels and references pick it up from here.
 *
 * Plain header, no other includes: the runtime and the tests include it
 * as well as the compiler. */
#ifndef RF_LAYER_KINDS_H
#define RF_LAYER_KINDS_H

/* X(ENUM, "yaml name") for every layer kind, in enum order. */
#define RF_LAYER_KINDS(X)                                                                          \
    X(DENSE, "dense")                                                                              \
    X(RELU, "relu")                                                                                \
    X(SIGMOID, "sigmoid")                                                                          \
    X(TANH, "tanh")                                                                                \
    X(DROPOUT, "dropout")                                                                          \
    X(LEAKY_RELU, "leaky_relu")

/* The elementwise activations:
 *   X(ENUM, name, takes_alpha, forward, backward, forward_v, backward_v, sign_only)
 * forward:  y of x (and a, the layer's alpha), floats;
 * backward: dx of y = f(x) and dy (and a): every derivative here is a
 *           function of the output, so the backward pass needs no copy of x;
 * forward_v, backward_v: the same on GNU vectors vf (a, scalars splat), or
 *           RF_LANEWISE: lane by lane with the scalar form;
 * sign_only: 1 when backward depends only on the sign of y (then a
 *           dropout after it fuses into the epilogue: the scaled output
 *           keeps the sign). */
#define RF_ACTIVATIONS(X)                                                                          \
    X(RELU, relu, 0, x > 0.0f ? x : 0.0f, y > 0.0f ? dy : 0.0f, vand(x, x > 0.0f),                 \
      vand(dy, y > 0.0f), 1)                                                                       \
    X(SIGMOID, sigmoid, 0, 1.0f / (1.0f + expf(-x)), dy * y * (1.0f - y), RF_LANEWISE,             \
      dy * y * (1.0f - y), 0)                                                                      \
    X(TANH, tanh, 0, tanhf(x), dy * (1.0f - y * y), RF_LANEWISE, dy * (1.0f - y * y), 0)          \
    X(LEAKY_RELU, leaky_relu, 1, x > 0.0f ? x : a * x, y > 0.0f ? dy : a * dy,                     \
      vselect(x > 0.0f, x, a * x), vselect(y > 0.0f, dy, a * dy), 1)

/* The optimizers: X(ENUM, "yaml name"). Their update bodies are in compiler/emit/emit_update.c
 * and runtime/generic_update.c; their state is rf_model_state_per_param (model.h). */
#define RF_OPTIMIZERS(X)                                                                           \
    X(SGD, "sgd")                                                                                  \
    X(ADAM, "adam")                                                                                \
    X(ADAMW, "adamw")

#endif
