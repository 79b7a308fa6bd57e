/* The table through which `regfitc --bench` reaches the generic kernels
 * and the FMA peak loop compiled into the benchmark's shared object (built
 * with -fvisibility=hidden, so this table is the one symbol they export).
 * Linked into regfitc as well, where nothing uses it. */
#include "bench_export.h"

double rf_bench_fma_peak_gflops(long iterations);
double rf_bench_fma_peak_gflops_threads(long iterations, int threads);

#if defined(__GNUC__)
__attribute__((visibility("default")))
#endif
const rf_bench_exports rf_bench_exports_table = {
    .generic_new = rf_generic_new,
    .generic_free = rf_generic_free,
    .generic_init = rf_generic_init,
    .generic_train_step = rf_generic_train_step,
    .generic_predict = rf_generic_predict,
    .generic_num_params = rf_generic_num_params,
    .generic_param = rf_generic_param,
    .fma_peak_gflops = rf_bench_fma_peak_gflops,
    .fma_peak_gflops_threads = rf_bench_fma_peak_gflops_threads,
};
