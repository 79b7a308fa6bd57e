/* A model file's run-time hyperparameters (see hparams.h). */
#include "hparams.h"

#include <stdlib.h>
#include <string.h>

int rf_hparams_from_model(const rf_model *m, rf_hparams_buf *b)
{
    memset(b, 0, sizeof *b);
    size_t np = (size_t)m->n_params, nd = (size_t)m->n_dropout;
    b->values = calloc(3 * np + nd + 1, sizeof *b->values);
    if (!b->values)
        return -1;
    float *l2 = b->values, *l1 = l2 + np, *prox = l1 + np, *dropout = prox + np;
    for (size_t i = 0; i < np; i++) {
        l2[i] = (float)m->params[i].l2;
        l1[i] = (float)m->params[i].l1;
        prox[i] = (float)m->params[i].l1_prox;
    }
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i].kind == RF_LAYER_DROPOUT)
            dropout[m->layers[i].dropout_index] = (float)m->layers[i].p;
    b->in = (rf_hparams_in){
        .lr = (float)m->lr,
        .momentum = (float)m->momentum,
        .dampening = (float)m->dampening,
        .beta1 = (float)m->beta1,
        .beta2 = (float)m->beta2,
        .eps = (float)m->eps,
        .l2 = l2,
        .l1 = l1,
        .l1_prox = prox,
        .dropout = dropout,
    };
    return 0;
}

void rf_hparams_buf_free(rf_hparams_buf *b)
{
    free(b->values);
    memset(b, 0, sizeof *b);
}
