/* The training run behind `regfitc MODEL.yaml`: data, epochs through a
 * compiled model's ABI, evaluation, the report lines, and the run files
 * (metrics.csv, loss.svg, model.ckpt) of SPEC section 2. */
#ifndef RF_TRAIN_H
#define RF_TRAIN_H

#include "model.h"
#include "rf_abi.h"

#include <stdint.h>

typedef struct {
    const char *data_dir;  /* --data, or NULL */
    int epochs;            /* --epochs, or -1: the model file's */
    int has_seed;          /* --seed given */
    uint64_t seed;
    int threads;           /* --threads, or 0: OpenMP's default */
    const char *runs_dir;  /* --runs, or NULL: "runs" */
    const char *save_path; /* --save, or NULL */
    const char *load_path; /* --load, or NULL */
    int quiet;             /* no progress bar, no notes on stderr */
} rf_train_options;

/* Runs the whole job. Results go to stdout, diagnostics to stderr.
 * Returns the process exit code: 0, or 1 when the run failed (data
 * unreadable, diverged, a file could not be written). */
int rf_train_run(const rf_model *m, const rf_compiled *c, const rf_train_options *opt);

/* A model instance in memory suitably aligned for the compiled struct. */
void *rf_model_alloc(const rf_compiled *c);
void rf_model_release(void *p);

#endif
