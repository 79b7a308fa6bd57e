/* The run-time hyperparameters of a model file, in the form a compiled
 * model takes them (rf_abi.h's rf_hparams_in): the optimizer's values, each
 * parameter tensor's l2 / l1 / l1_prox from its decay group, each dropout
 * layer's p. A training run sets them right after init, so code compiled
 * for another model file of the same shapes runs with this file's values. */
#ifndef RF_HPARAMS_H
#define RF_HPARAMS_H

#include "model.h"
#include "rf_abi.h"

typedef struct {
    rf_hparams_in in; /* points into values */
    float *values;    /* l2, l1, l1_prox (n_params each), dropout (n_dropout) */
} rf_hparams_buf;

/* Returns 0, or -1 when out of memory. */
int rf_hparams_from_model(const rf_model *m, rf_hparams_buf *b);
void rf_hparams_buf_free(rf_hparams_buf *b);

#endif
