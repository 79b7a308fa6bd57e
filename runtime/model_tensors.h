/* A model's checkpoint tensors as its compiled code names them, known from
 * the model file alone (before anything is compiled): the parameters, then
 * state k of parameter i as "NAME.SUFFIX" at n_params + i * per + k (the
 * order of NAME_state_name, emit_model.c). */
#ifndef RF_MODEL_TENSORS_H
#define RF_MODEL_TENSORS_H

#include "checkpoint.h"
#include "model.h"

typedef struct {
    int n_params, n_state;
    char (*names)[RF_PARAM_NAME_MAX + 16];
    const char **name_ptrs;
    int *sizes;
    float **data; /* with_data: a buffer per tensor, else NULL */
} rf_model_tensors;

/* Returns 0, or -1 when out of memory (free it either way). */
int rf_model_tensors_make(const rf_model *m, int with_data, rf_model_tensors *t);
void rf_model_tensors_free(rf_model_tensors *t);

/* A checkpoint description of the tensors (data NULL without buffers: a load only checks). */
rf_ckpt rf_model_tensors_ckpt(const rf_model_tensors *t);

#endif
