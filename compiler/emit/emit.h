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
#include <stdint.h>

#include "model.h"

/* Generates NAME.h and NAME.c text (malloc'd, caller frees). Returns 0 or -1 (out of memory). */
int rf_emit_source(const rf_model *m, char **h_text, char **c_text);

/* How NAME.c of rf_emit_source compiles: 2 when it holds two parts (a model with a backward
   pass: -DNAME_PART=1 everything but the backward pass, -DNAME_PART=2 the backward pass, NAME
   in capitals; compiled without the macro it is whole), 1 when it is only whole. -1: out of
   memory. */
int rf_emit_source_parts(const rf_model *m);

/* Writes DIR/NAME.h and DIR/NAME.c (creating DIR if missing): both or neither, each whole
   (common/atomic_file.h: both go to temporary files, then are renamed into place; only a
   failing rename between the two could leave one new), and a file already holding its
   text is left as it is. *written: how many were written (0 to 2). Returns 0, or -1 with
   a message in err. */
int rf_emit_files(const rf_model *m, const char *dir, int *written, char *err, size_t errlen);

/* Writes DIR/names[0] and DIR/names[1] with texts[0] and texts[1] as rf_emit_files does:
   DIR made when missing, both or neither, a file already holding its text left alone. */
int rf_write_file_pair(const char *dir, const char *const names[2], const char *const texts[2], int *written,
                       char *err, size_t errlen);

/* The absolute path of DIR/FILE (DIR relative to the working folder unless absolute), without
   touching the file system beyond getcwd(): --print-outputs. Returns 0, or -1 (too long). */
int rf_output_path(const char *dir, const char *file, char *buf, size_t len);

/* ---- Inference export (SPEC 7, emit_infer.c): NAME_infer.h and NAME_infer.c ---- */

/* The trained parameters an inference file holds. */
typedef struct {
    const float *const *data; /* one tensor per model parameter, in order, sizes as the model's */
    const char *source;       /* the checkpoint file, named in the files' comment */
    uint64_t source_hash;     /* FNV-1a 64 of its bytes */
} rf_infer_params;

/* Generates NAME_infer.h and NAME_infer.c text (malloc'd, caller frees). Returns 0, or -1
   with a message in err (out of memory, a parameter that is NaN or infinite). */
int rf_emit_infer_source(const rf_model *m, const rf_infer_params *w, char **h_text, char **c_text, char *err,
                         size_t errlen);

/* The glue C file for the dlopen ABI: defines `const rf_compiled rf_compiled_model` (runtime/rf_abi.h) with
   wrappers over NAME_*; includes "NAME.h" and "rf_abi.h". Returns 0 or -1 (out of memory). */
int rf_emit_glue(const rf_model *m, char **text);

#endif
