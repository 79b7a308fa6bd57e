/* `regfitc --bench` (SPEC section 5): the specialised code against the
 * runtime's generic kernels, built with the same compiler and flags into
 * the same shared object, timed interleaved on the same data. */
#ifndef RF_BENCH_H
#define RF_BENCH_H

#include "model.h"

typedef struct {
    int steps;            /* timed steps per kernel and thread count */
    int threads;          /* 0: sweep 1..cores and report the largest */
    const char *data_dir; /* --data, or NULL */
    const char *cflags;   /* $REGFIT_CFLAGS, or NULL: -O3 -march=native -fopenmp */
    int quiet;
} rf_bench_options;

/* Returns the process exit code (0, or 1 when building or running failed). */
int rf_bench_run(const rf_model *m, const rf_bench_options *opt);

#endif
