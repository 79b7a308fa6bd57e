/* Shared between the sweep_*.c files (see sweep.h); not a public interface.
 *
 *   sweep_grid.c     the --sweep arguments, the grid's points and their checks
 *   sweep_prepare.c  before training: data, builds, folders, what each point needs
 *   sweep_run.c      the points forked J at a time
 *   sweep_results.c  a point's results from its folder, results.csv, the plots, the table
 *   sweep.c          rf_sweep_run: the order of all that */
#ifndef RF_SWEEP_INTERNAL_H
#define RF_SWEEP_INTERNAL_H

#include "build.h"
#include "metrics_csv.h"
#include "run_dir.h"
#include "sweep.h"

#include <stdint.h>

#define MAX_POINTS 10000
#define ERRLEN 2048

typedef struct {
    char *key;
    char **values;
    int n;
} swept_key;

/* One point of the grid, checked and ready to run. */
typedef struct {
    int *value;          /* per swept key: the index of its value */
    uint64_t seed;
    rf_model m;
    int loaded;          /* m holds a model */
    char *identity;
    char name[256];      /* the folder under RUNS/NAME-sweep/ */
    char dir[RF_PATH_MAX];
    char label[512];     /* "decay.0.l2=3, seed 1" */
    int data;            /* index into the sweep's data sets */
    int build;           /* index into the sweep's builds, -1: none needed */
    int status;          /* 0 to run, 1 done before, 2 ran now, -1 failed, 3 another rank's (mpirun) */
    int resume;
    /* results */
    rf_metrics_row *rows;
    int n_rows;
    rf_metrics_row result; /* the row of the epoch whose parameters the run kept */
    double *norms;
    double seconds;
} point;

typedef struct {
    const rf_sweep_options *o;
    swept_key *keys;
    int n_keys;
    point *points;
    int n_points;
    rf_datasets *data;
    char **data_keys;
    int n_data;
    rf_built *builds;    /* one per distinct shape */
    char **build_keys;
    int n_builds;
    char sweep_dir[RF_PATH_MAX];
    int epochs;
} sweep;

void sw_free(sweep *s);
/* The --sweep arguments into s->keys, checked; the point count. 0, or -1 with a message. */
int sw_parse_keys(sweep *s, char *err, size_t errlen);
/* The model file with the --set list and extra overrides, checked (frontend.h's codes). */
int sw_load_with(const sweep *s, const char *const *extra, int n_extra, rf_model *m);
/* Every point's model (exit code 2 on the first that is not valid), folder and label. */
int sw_make_points(sweep *s, uint64_t first_seed);
/* 2 when a key's values give the same model (it changes nothing), else 0. */
int sw_check_keys_matter(sweep *s);
/* Data, builds and folders; which points are done and which resume. An exit code. */
int sw_prepare(sweep *s, rf_train_options *base);
/* The points still to run, J at a time. 0, or 1 when one failed. */
int sw_run_points(sweep *s, const rf_train_options *base);
/* The point's results from its folder (metrics.csv, model.ckpt). 0, or -1 with a message. */
int sw_read_result(point *p, char *err, size_t errlen);
void sw_print_point_line(const sweep *s, const point *p, int index, const char *note);
int sw_write_results(const sweep *s, char *err, size_t errlen);
int sw_write_plots(const sweep *s, char *err, size_t errlen);
void sw_print_table(const sweep *s);

#endif
