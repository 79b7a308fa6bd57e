/* The training run behind `regfitc MODEL.yaml`: epochs through a compiled
 * model's ABI, the protocol of SPEC 1b (validation split, schedule, early
 * stopping with the best epoch restored), evaluation, the report lines,
 * the run files of SPEC section 2 and the checkpoints of section 4, and
 * --resume.
 *
 * The run folder RUNS/NAME/ holds metrics.csv, loss.svg and model.ckpt
 * (SPEC), and with early stopping two more checkpoints that --resume needs:
 *   best.ckpt  the best epoch so far (written when an epoch improves);
 *   last.ckpt  the last epoch, written at the end when model.ckpt gets the
 *              best epoch's parameters instead.
 * Each file is written whole or not at all, in an order that leaves a
 * resumable folder whenever the process dies (see RELIABILITY.md). */
#ifndef RF_TRAIN_H
#define RF_TRAIN_H

#include "dataset.h"
#include "model.h"
#include "rf_abi.h"

#include <stdint.h>

typedef struct {
    const char *data_dir;  /* --data, or NULL */
    int epochs;            /* --epochs, or -1: the model file's */
    int threads;           /* --threads, or 0: OpenMP's default */
    const char *runs_dir;  /* --runs, or NULL: "runs" */
    const char *save_path; /* --save, or NULL */
    const char *load_path; /* --load, or NULL */
    int resume;            /* --resume: continue RUNS/NAME/ */
    int quiet;             /* no progress bar, no notes on stderr */
    const char *run_dir;   /* the run folder itself, or NULL: RUNS/NAME (a sweep's points) */
    const char *identity;  /* the model's identity (model_id.h), or NULL: kept in the run folder
                              as model.id; --resume refuses a folder whose model.id differs */
    const volatile int *threads_live; /* or NULL: a thread count another process may raise while
                              the run trains (a sweep gives a point the cores the finished points
                              left); read before every step. The results do not depend on it. */
} rf_train_options;

/* The run folder of a run: opt->run_dir, else RUNS/NAME. Returns 0, or -1
 * when the path does not fit. */
int rf_train_dir(const rf_model *m, const rf_train_options *opt, char *dir, size_t size);

/* How far the run in a folder got, read from its files without training:
 * *epochs the epochs model.ckpt holds (0 when there is none), *finished 1
 * when nothing is left to train (its epochs reached `epochs`, or early
 * stopping stopped it), *same 1 when its model.id is opt->identity.
 * Returns 0, or -1 with a message when the files cannot be read. */
int rf_train_status(const rf_model *m, const rf_train_options *opt, int epochs, int *done, int *finished,
                    int *same, char *err, size_t errlen);

/* The epochs a run trains to: --epochs, else train.epochs. */
int rf_train_epochs(const rf_model *m, const rf_train_options *opt);

/* Everything that can be checked before the code is compiled (SPEC 2):
 * loads the data into *data (the run then trains on it; pass NULL to only
 * check, as --check does), checks the validation split against the real
 * set size, the --load file, the --resume folder and checkpoints, and that
 * the --save and run folders can be written. Returns 0; 2 when the model
 * file and the data disagree (err then starts "FILE:LINE:COL: error: ");
 * 1 for anything else (a usage or file problem; err is the message).
 * When *data already holds data (loaded for another run of the same data
 * and seed, as a sweep's points share it), it is checked, not loaded again. */
int rf_train_preflight(const rf_model *m, const rf_train_options *opt, rf_datasets *data, char *err,
                       size_t errlen);

/* Runs the whole job on data that rf_train_preflight loaded. Results go to
 * stdout, diagnostics to stderr. Returns the process exit code: 0, or 1
 * when the run failed (diverged, a file could not be written). */
int rf_train_run(const rf_model *m, const rf_compiled *c, const rf_datasets *data, const rf_train_options *opt);

/* A model instance in memory suitably aligned for the compiled struct. */
void *rf_model_alloc(const rf_compiled *c);
void rf_model_release(void *p);

#endif
