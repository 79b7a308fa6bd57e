/* `regfitc --sweep KEY=V1,V2,... [--sweep ...] [--seeds N] [--jobs J] MODEL.yaml`
 * (SPEC 6): every combination of the swept values times N seeds, each a
 * normal run in its own folder RUNS/NAME-sweep/POINT/, compiled once per
 * distinct shape, data loaded once per distinct data set, the points run
 * J at a time in child processes; then results.csv, curve.svg, curves.svg
 * and the table on stdout.
 *
 * The grid's order: the first key varies slowest, the seeds fastest. A
 * point whose folder holds a finished run of the same model (model.id) is
 * not trained again; one that holds an unfinished one is resumed (SPEC 4),
 * so a sweep interrupted at any moment and run again ends as one that
 * never was. */
#ifndef RF_SWEEP_H
#define RF_SWEEP_H

#include "train.h"

#include <stdint.h>

typedef struct {
    const char *model_path;
    const char *const *sets;   /* --set, applied to every point before its swept values */
    int n_sets;
    const char *const *sweeps; /* the --sweep arguments, KEY=V1,V2,... */
    int n_sweeps;
    int seeds;                 /* --seeds, >= 1 */
    int jobs;                  /* --jobs, 0: as many points at once as there are cores */
    int has_seed;              /* --seed S: the first seed */
    uint64_t seed;
    const char *cflags;        /* $REGFIT_CFLAGS or NULL */
    rf_train_options train;    /* --data, --epochs, --threads, --runs, --quiet */
    int rank, ranks;           /* under mpirun: this rank of `ranks` runs points rank, rank + ranks, ...;
                                  MPI starts only after its points, for the barrier before rank 0
                                  gathers the results (no fork after MPI_Init) */
    int local_ranks;           /* ranks on this machine: they share its cores */
} rf_sweep_options;

/* Runs the sweep. Returns the exit code: 0; 1 when a point failed (the
 * others still run, and results.csv holds those that finished); 2 for a
 * bad --sweep, a point that is not a valid model, or a key that changes
 * nothing, all found before anything trains. */
int rf_sweep_run(const rf_sweep_options *o);

/* Splits the values of one --sweep at its top-level commas (commas inside
 * [], {} or quotes belong to a value) and trims blanks. *values and each
 * value are malloc'ed (free with rf_sweep_values_free). Returns the count
 * (>= 1), or -1 with a message (no '=', an empty key, an empty value). */
int rf_sweep_split(const char *arg, char **key, char ***values, char *err, size_t errlen);
void rf_sweep_values_free(char *key, char **values, int n);

#endif
