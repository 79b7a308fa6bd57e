/* What the benchmark's shared object exports besides the compiled model:
 * the generic kernels and the FMA peak loop, built with the same compiler
 * and flags as the generated code (see bench.c). */
#ifndef RF_BENCH_EXPORT_H
#define RF_BENCH_EXPORT_H

#include "generic.h"

#define RF_BENCH_EXPORTS_SYMBOL "rf_bench_exports_table"

typedef struct {
    rf_generic *(*generic_new)(const rf_model *m);
    void (*generic_free)(rf_generic *g);
    void (*generic_init)(rf_generic *g, uint64_t seed);
    float (*generic_train_step)(rf_generic *g, const float *x, const void *y, int n);
    void (*generic_predict)(rf_generic *g, const float *x, int n, float *out);
    int (*generic_num_params)(const rf_generic *g);
    float *(*generic_param)(rf_generic *g, int i);
    double (*fma_peak_gflops)(long iterations);
    double (*fma_peak_gflops_threads)(long iterations, int threads);
} rf_bench_exports;

#endif
