/* rf_model_tensors (see model_tensors.h). */
#include "model_tensors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rf_model_tensors_make(const rf_model *m, int with_data, rf_model_tensors *t)
{
    int per = rf_model_state_per_param(m), n = m->n_params * (1 + per);
    memset(t, 0, sizeof *t);
    t->n_params = m->n_params;
    t->n_state = m->n_params * per;
    t->names = calloc((size_t)n + 1, sizeof *t->names);
    t->name_ptrs = calloc((size_t)n + 1, sizeof *t->name_ptrs);
    t->sizes = calloc((size_t)n + 1, sizeof *t->sizes);
    if (with_data)
        t->data = calloc((size_t)n + 1, sizeof *t->data);
    if (!t->names || !t->name_ptrs || !t->sizes || (with_data && !t->data))
        return -1;
    for (int i = 0; i < m->n_params; i++) {
        snprintf(t->names[i], sizeof t->names[i], "%s", m->params[i].name);
        t->sizes[i] = (int)m->params[i].size;
        for (int k = 0; k < per; k++) {
            int j = m->n_params + i * per + k;
            snprintf(t->names[j], sizeof t->names[j], "%s.%s", m->params[i].name, rf_model_state_suffix(m, k));
            t->sizes[j] = (int)m->params[i].size;
        }
    }
    for (int i = 0; i < n; i++) {
        t->name_ptrs[i] = t->names[i];
        if (with_data && !(t->data[i] = malloc(sizeof(float) * (size_t)(t->sizes[i] + 1))))
            return -1;
    }
    return 0;
}

void rf_model_tensors_free(rf_model_tensors *t)
{
    for (int i = 0; t->data && i < t->n_params + t->n_state; i++)
        free(t->data[i]);
    free(t->data);
    free(t->names);
    free(t->name_ptrs);
    free(t->sizes);
    memset(t, 0, sizeof *t);
}

rf_ckpt rf_model_tensors_ckpt(const rf_model_tensors *t)
{
    return (rf_ckpt){.n_params = t->n_params,
                     .n_state = t->n_state,
                     .names = t->name_ptrs,
                     .sizes = t->sizes,
                     .data = t->data};
}
