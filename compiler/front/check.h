/* The checker: YAML node tree -> rf_model, with a diagnostic for every
 * problem at the position of the node it is about (SPEC section 1).
 *
 * check.c         top level, layers, loss, optimizer, decay, train
 * check_data.c    the data forms
 * check_cross.c   checks across sections once shapes are known: names,
 *                 loss vs outputs, data vs model, size limits, decay warnings
 * check_values.c  typed readers for scalars and keys, "did you mean" */
#ifndef RF_CHECK_H
#define RF_CHECK_H

#include "diag.h"
#include "model.h"
#include "yaml_doc.h"

/* Fills *m (which must be zeroed) from the tree. Problems are reported to
 * the sink; the caller frees *m when the sink counted errors. `path` is
 * the model file as named by the user: data paths resolve against its
 * folder. */
void rf_check_tree(const rf_ynode *root, const char *path, rf_model *m, rf_diag_sink *s);

/* The largest model the checker accepts, in bytes: the machine's physical
 * memory (sysconf), or 16 GiB when that is unknown. */
double rf_memory_limit(void);

#endif
