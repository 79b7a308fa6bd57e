/* regfitc --emit-inference: the checkpoint read, checked and handed to the
 * inference emitter (compiler/emit/emit.h), the two files written. */
#ifndef RF_EMIT_INFER_FILES_H
#define RF_EMIT_INFER_FILES_H

#include <stddef.h>

#include "model.h"

/* Reads checkpoint ckpt_path (checked against the model's parameter names and sizes) and
   writes DIR/NAME_infer.h and DIR/NAME_infer.c as rf_write_file_pair does. Returns 0, or -1
   with a message naming the file in err. */
int rf_emit_infer_files(const rf_model *m, const char *ckpt_path, const char *dir, int *written, char *err,
                        size_t errlen);

#endif
