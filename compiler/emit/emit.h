/* The code generator: a checked model becomes NAME.h and NAME.c, the
 * specialised fixed-shape C of SPEC section 3, and the glue file through
 * which the runtime drives a compiled model (runtime/rf_abi.h).
 *
 * Stages: plan.c lowers the model to buffers and operations; emit_model.c
 * writes the files, asking one emitter per layer kind (emit_dense.c,
 * emit_activation.c, emit_dropout.c), the loss (emit_loss.c), the update
 * (emit_update.c), init (emit_init.c) and the random numbers (emit_rng.c)
 * for their parts. */
#ifndef RF_EMIT_H
#define RF_EMIT_H

#include <stddef.h>

#include "model.h"

/* Generates NAME.h and NAME.c text (malloc'd, caller frees). Returns 0 or -1 (out of memory). */
int rf_emit_source(const rf_model *m, char **h_text, char **c_text);

/* Writes DIR/NAME.h and DIR/NAME.c (creating DIR if missing): both or neither, each whole
   (common/atomic_file.h: both go to temporary files, then are renamed into place; only a
   failing rename between the two could leave one new), and a file already holding its
   text is left as it is. *written: how many were written (0 to 2). Returns 0, or -1 with
   a message in err. */
int rf_emit_files(const rf_model *m, const char *dir, int *written, char *err, size_t errlen);

/* The glue C file for the dlopen ABI: defines `const rf_compiled rf_compiled_model` (runtime/rf_abi.h) with
   wrappers over NAME_*; includes "NAME.h" and "rf_abi.h". Returns 0 or -1 (out of memory). */
int rf_emit_glue(const rf_model *m, char **text);

#endif
