/* The optimizers of SPEC section 1a, once more: an independent
 * double-precision reference (one tensor, one update), and a reader of
 * tests/optim/golden.txt, the PyTorch results of tests/optim/make_golden.py
 * (its docstring describes the format). tests/test_optim_ref.c holds the
 * reference to torch; tests/test_generic.c holds the generic kernels to the
 * reference. */
#ifndef RF_OPTIM_REF_H
#define RF_OPTIM_REF_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* The optimizer's hyperparameters (the fields its kind does not use are ignored). */
typedef struct {
    rf_optimizer_kind kind;
    double lr, momentum, dampening, beta1, beta2, eps;
    int nesterov;
} rf_ref_opt;

/* One tensor's decay (from its decay group). */
typedef struct {
    double l2, l1, l1_prox;
} rf_ref_decay;

/* One update of one tensor of n elements, every operation in double,
 * exactly as SPEC 1a writes it. t: updates including this one (>= 1).
 * state0: the momentum buffer (sgd with momentum != 0) or m (adam, adamw);
 * state1: v (adam, adamw). Unused state may be NULL. */
void rf_ref_update(const rf_ref_opt *o, const rf_ref_decay *d, uint64_t t, double *w,
                   const double *g, double *state0, double *state1, long n);

/* State tensors per parameter tensor: 0 (sgd, momentum 0), 1 (sgd with
 * momentum), 2 (adam, adamw); and the name suffix of state k. */
int rf_ref_state_count(const rf_ref_opt *o);
const char *rf_ref_state_suffix(const rf_ref_opt *o, int k);

/* The optimizer and decays of a checked model (its params' l2, l1, l1_prox). */
rf_ref_opt rf_ref_opt_of_model(const rf_model *m);
rf_ref_decay rf_ref_decay_of_param(const rf_param *p);

/* ---------- comparing ---------- */

/* An element of `got` passes when
 *     |got - expect| <= RF_REF_REL_TOL * max(|expect|, RF_REF_FLOOR * scale, abs_floor)
 * where scale is the largest |expect| of the tensor: relative 1e-5 for the
 * elements of the tensor's own size, an absolute 1e-5 * RF_REF_FLOOR *
 * scale (about 8 float32 ulps of its largest element) for the elements far
 * below it, where a relative bound would only measure cancellation (a
 * parameter that ends near 0 after moving by 0.5). abs_floor is the
 * magnitude a step subtracted where that is known to exceed the result:
 * lr*l1_prox for a tensor with l1_prox (the shrink computes |w| - lr*l1_prox,
 * and the result keeps only the rounding of the operands' size). float32
 * arithmetic against double, or against another float32 order of
 * operations, differs by rounding accumulated over the steps. */
#define RF_REF_REL_TOL 1e-5
#define RF_REF_FLOOR 0.1

/* The worst |got - expect| / max(|expect|, RF_REF_FLOOR * scale, abs_floor)
 * over n elements (NaN anywhere counts as infinitely bad). Unless quiet,
 * when it exceeds RF_REF_REL_TOL, prints to stderr what, the element and
 * both values. */
double rf_ref_compare(const char *what, const double *expect, const double *got, long n,
                      double abs_floor, int quiet);

/* lr*l1_prox of a tensor: the abs_floor for comparing it. */
double rf_ref_prox_floor(const rf_ref_opt *o, const rf_ref_decay *d);

/* ---------- golden.txt ---------- */

#define RF_GOLDEN_NAME_MAX 63

typedef struct {
    char name[RF_GOLDEN_NAME_MAX + 1]; /* "dense1.weight" */
    long size;
    rf_ref_decay decay;
    double *init;     /* [size] */
    double *grads;    /* [steps][size]: the data-loss gradient of each step */
    double *final;    /* [size]: torch's parameters after the last step */
    double *state[2]; /* [size] each, rf_ref_state_count of them (else NULL) */
} rf_golden_tensor;

typedef struct {
    char name[RF_GOLDEN_NAME_MAX + 1];
    rf_ref_opt opt;
    int steps;
    uint64_t updates; /* torch's step count at the end */
    int n_tensors;
    rf_golden_tensor *tensors;
} rf_golden_case;

typedef struct {
    char *header; /* the first comment line, without "# " */
    int n_cases;
    rf_golden_case *cases;
} rf_golden;

/* Parses the text (NUL-terminated) into *out. Returns 0, or -1 with a
 * message naming the line and the problem in err (and *out empty: nothing
 * to free, though rf_golden_free is harmless). */
int rf_golden_parse(const char *text, rf_golden *out, char *err, size_t errlen);
/* Reads and parses a file; messages start with its path. */
int rf_golden_load(const char *path, rf_golden *out, char *err, size_t errlen);
void rf_golden_free(rf_golden *g);

/* The tensor of a case by name, or NULL. */
const rf_golden_tensor *rf_golden_tensor_named(const rf_golden_case *c, const char *name);

/* The path of the shipped tests/optim/golden.txt (static storage). */
const char *rf_golden_path(void);

#endif
