/* The front end's public entry: a model file in, a checked rf_model out,
 * or diagnostics `FILE:LINE:COL: error: MESSAGE` saying what is wrong.
 *
 * Return values: 0 the model is good (warnings allowed); 2 the file has
 * errors (reported; *out left zeroed, nothing to free); 1 the file could
 * not be read at all (a message `FILE: error: cannot read ...` is
 * reported). The CLI exits 2 for both 1 and 2: an unreadable model file
 * is a usage problem (SPEC section 2), not a failed run. */
#ifndef RF_FRONTEND_H
#define RF_FRONTEND_H

#include "diag.h"
#include "model.h"

#include <stddef.h>
#include <stdio.h>

#define RF_MAX_MODEL_FILE (1 << 20) /* bytes; larger files are refused before parsing */

/* Reads and checks a model file. Diagnostics go to `diag_out` (stderr in
 * the CLI; may be NULL) and are appended to `d` when not NULL. On success
 * *out holds the model (free with rf_model_free), with out->path a copy
 * of `path` and out->source the file's bytes. */
int rf_load_model(const char *path, rf_model *out, FILE *diag_out, rf_diag *d);

/* The same on text in memory; `path` names the file in messages and is
 * the base for relative data paths. Never returns 1. */
int rf_check_model_text(const char *path, const char *text, size_t len, rf_model *out,
                        FILE *diag_out, rf_diag *d);

/* The same with --set overrides (SPEC section 2; yaml_set.h): sets[0..n_sets)
 * are the raw "KEY=VALUE" arguments, applied in order to the parsed file
 * before it is checked. A path that cannot be followed, a malformed
 * argument, or more than RF_SET_MAX_ARGS of them make the model bad
 * (return 2, reported like the file's own errors). out->source is then
 * the file's bytes followed by one comment line "# --set ARG" per
 * argument (after a newline if the file lacks a final one), so that the
 * hash in the generated header tells runs with different overrides
 * apart; with n_sets 0 it is the file's bytes exactly. The strings of
 * `sets` are only read during the call. */
int rf_load_model_set(const char *path, const char *const *sets, int n_sets, rf_model *out,
                      FILE *diag_out, rf_diag *d);
int rf_check_model_text_set(const char *path, const char *text, size_t len,
                            const char *const *sets, int n_sets, rf_model *out, FILE *diag_out,
                            rf_diag *d);

/* The --check summary: each layer with its output shape, each parameter
 * tensor with its element count and decay (l2, l1, group), the total
 * parameter count, FLOPs per training step and the memory the compiled
 * model needs. */
void rf_print_summary(const rf_model *m, FILE *out);

#endif
