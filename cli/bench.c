/* `regfitc --bench` (see bench.h).
 *
 * Method: one shared object holds the generated code, the generic kernels
 * (runtime/generic*.c) and the FMA peak loop, all built by the same compiler
 * with the same flags. Both implementations start from the same parameters
 * (the same counter-based init), train on the same batches (the real data's
 * first batches when they load, else seeded random data), and are timed
 * interleaved step by step after a warm-up, so drift in the machine's speed
 * hits both alike. Reported: median, min and max per step. */
#include "bench.h"

#include "bench_export.h"
#include "build.h"
#include "clock.h"
#include "dataset.h"
#include "generic.h"
#include "hparams.h"
#include "home.h"
#include "rf_random.h"
#include "train.h"

#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WARMUP_STEPS 5
#define AGREE_STEPS 5
#define N_BATCHES 8 /* distinct batches cycled through while timing */

/* The generic kernels as found in the shared object (built with the
 * generated code's flags), not the copies linked into regfitc itself. */
typedef rf_bench_exports generic_api;

static int load_generic(void *handle, const generic_api **g, char *err, size_t errlen)
{
    *g = dlsym(handle, RF_BENCH_EXPORTS_SYMBOL);
    if (!*g) {
        snprintf(err, errlen, "the benchmark object lacks %s", RF_BENCH_EXPORTS_SYMBOL);
        return -1;
    }
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct {
    double median, min, max; /* seconds */
} timing;

static timing summarise(double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    timing s = {n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]), t[0], t[n - 1]};
    return s;
}

/* N_BATCHES full batches of inputs and targets. */
typedef struct {
    float *x, *y;
    int32_t *labels;
} batches;

static int make_batches(const rf_model *m, const rf_bench_options *opt, batches *b, const char **source)
{
    size_t B = (size_t)m->batch, rows = B * N_BATCHES;
    b->x = malloc(sizeof(float) * rows * m->input);
    b->y = malloc(sizeof(float) * rows * m->outputs);
    b->labels = malloc(sizeof(int32_t) * rows);
    if (!b->x || !b->y || !b->labels)
        return -1;
    rf_datasets d;
    char err[1024];
    memset(&d, 0, sizeof d);
    if (m->data.kind != RF_DATA_NONE && rf_data_load(m, opt->data_dir, &d, err, sizeof err) == 0 && d.train.n > 0) {
        int *order = malloc(sizeof(int) * rows);
        if (!order) {
            rf_datasets_free(&d);
            return -1;
        }
        for (size_t r = 0; r < rows; r++)
            order[r] = (int)(r % (size_t)d.train.n);
        rf_dataset_gather(&d.train, order, (int)rows, b->x, b->labels, b->y);
        free(order);
        *source = "the training data's first batches";
        rf_datasets_free(&d);
        return 0;
    }
    for (size_t i = 0; i < rows * m->input; i++)
        b->x[i] = (float)rf_uniform(1, RF_STREAM_DATA, 10, i);
    for (size_t i = 0; i < rows * m->outputs; i++)
        b->y[i] = (float)rf_normal(1, RF_STREAM_DATA, 11, i);
    for (size_t r = 0; r < rows; r++)
        b->labels[r] = (int32_t)(rf_key(1, RF_STREAM_DATA, 12, r) % (uint64_t)m->outputs);
    *source = m->data.kind == RF_DATA_NONE ? "random data (the model file names no data)"
                                           : "random data (the model's data could not be loaded)";
    return 0;
}

static const void *targets(const rf_model *m, const batches *b, int k)
{
    size_t r0 = (size_t)k * m->batch;
    if (m->loss == RF_LOSS_SOFTMAX_CE)
        return b->labels + r0;
    return b->y + r0 * m->outputs;
}

typedef struct {
    const rf_model *m;
    const rf_compiled *c;
    const generic_api *g;
    void *spec;
    rf_generic *gen;
    batches *b;
    float *out;
    rf_hparams_in hparams; /* the model file's, for the specialised code */
} bench_ctx;

/* The specialised model at its init, with the model file's hyperparameters
 * (its code was compiled for the shapes only). */
static void init_spec(bench_ctx *x)
{
    x->c->init(x->spec, x->m->train.seed);
    x->c->set_hparams(x->spec, &x->hparams);
}

/* Times train_step (predict = 0) or predict (predict = 1) of both
 * implementations, interleaved, `steps` times each after a warm-up. */
static void time_both(bench_ctx *x, int steps, int predict, timing *spec, timing *gen)
{
    const rf_model *m = x->m;
    double *ts = malloc(sizeof(double) * steps), *tg = malloc(sizeof(double) * steps);
    for (int s = -WARMUP_STEPS; s < steps; s++) {
        int k = (s + WARMUP_STEPS) % N_BATCHES;
        const float *xb = x->b->x + (size_t)k * m->batch * m->input;
        const void *yb = targets(m, x->b, k);
        double t0 = rf_now_seconds();
        if (predict)
            x->c->predict(x->spec, xb, m->batch, x->out);
        else
            x->c->train_step(x->spec, xb, yb, m->batch);
        double t1 = rf_now_seconds();
        if (predict)
            x->g->generic_predict(x->gen, xb, m->batch, x->out);
        else
            x->g->generic_train_step(x->gen, xb, yb, m->batch);
        double t2 = rf_now_seconds();
        if (s >= 0) {
            ts[s] = t1 - t0;
            tg[s] = t2 - t1;
        }
    }
    *spec = summarise(ts, steps);
    *gen = summarise(tg, steps);
    free(ts);
    free(tg);
}

/* Trains both from the same init on the same batches and reports the
 * largest differences of loss and parameters. */
static void agreement(bench_ctx *x, double *loss_diff, double *param_diff)
{
    const rf_model *m = x->m;
    init_spec(x);
    x->g->generic_init(x->gen, m->train.seed);
    *loss_diff = 0;
    for (int s = 0; s < AGREE_STEPS; s++) {
        int k = s % N_BATCHES;
        const float *xb = x->b->x + (size_t)k * m->batch * m->input;
        float a = x->c->train_step(x->spec, xb, targets(m, x->b, k), m->batch);
        float b = x->g->generic_train_step(x->gen, xb, targets(m, x->b, k), m->batch);
        double d = fabs((double)a - b);
        if (!(d <= *loss_diff))
            *loss_diff = d;
    }
    *param_diff = 0;
    for (int i = 0; i < x->c->num_params; i++) {
        const float *p = x->c->param(x->spec, i), *q = x->g->generic_param(x->gen, i);
        for (int k = 0; k < x->c->param_size(i); k++) {
            double d = fabs((double)p[k] - q[k]);
            if (!(d <= *param_diff))
                *param_diff = d;
        }
    }
}

static void print_row(const char *kernel, const char *impl, timing t, int batch, double flops, double peak)
{
    double gflops = flops / t.median * 1e-9;
    printf("%-11s %-12s %9.3f %9.3f %9.3f %11.0f %9.1f %7.1f%%\n", kernel, impl, t.median * 1e3, t.min * 1e3,
           t.max * 1e3, batch / t.median, gflops, 100.0 * gflops / peak);
}

static void describe(const rf_model *m, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%d", m->input);
    for (int i = 0; i < m->n_layers && n < (int)len; i++)
        if (m->layers[i].kind == RF_LAYER_DENSE)
            n += snprintf(buf + n, len - n, "-%d", m->layers[i].out);
}

/* Raises *peak1 (one thread) and *peak (threads at once) to the best of 3 measurements. */
static void measure_peak(const generic_api *g, int threads, double *peak1, double *peak)
{
    for (int r = 0; r < 3; r++) {
        double p = g->fma_peak_gflops(20000000);
        *peak1 = p > *peak1 ? p : *peak1;
        p = threads > 1 ? g->fma_peak_gflops_threads(20000000, threads) : p;
        *peak = p > *peak ? p : *peak;
    }
}

int rf_bench_run(const rf_model *m, const rf_bench_options *opt)
{
    char err[4096] = "";
    /* the generic kernels, the peak loop and the table they export, from regfitc's home */
    static const char *const extra_files[] = {
        "runtime/generic.c",       "runtime/generic_dense.c", "runtime/generic_layers.c",
        "runtime/generic_loss.c",  "runtime/generic_update.c", "compiler/front/model.c",
        "runtime/bench_peak.c",    "runtime/bench_export.c"};
    enum { N_EXTRA = sizeof extra_files / sizeof extra_files[0] };
    const char *home = rf_home();
    char extra_paths[N_EXTRA][4096];
    const char *extra[N_EXTRA + 1];
    for (int i = 0; i < N_EXTRA; i++) {
        snprintf(extra_paths[i], sizeof extra_paths[i], "%s/%s", home, extra_files[i]);
        extra[i] = extra_paths[i];
    }
    extra[N_EXTRA] = NULL;
    /* the default flags or $REGFIT_CFLAGS (e.g. -march=znver3 for the AVX2 code on an
     * AVX-512 machine), the same for all three, plus what the generic kernels' sources need */
    const char *flags = opt->cflags ? opt->cflags : RF_DEFAULT_CFLAGS;
    char cflags[1024];
    if (snprintf(cflags, sizeof cflags, "%s -D_POSIX_C_SOURCE=200809L -I%s/compiler/front", flags, home) >=
        (int)sizeof cflags) {
        fprintf(stderr, "regfitc: error: $REGFIT_CFLAGS is too long (%zu bytes)\n", strlen(flags));
        return 1;
    }
    rf_build_options bo = {.extra_sources = extra, .cflags = cflags};
    rf_built built;
    if (!opt->quiet)
        fprintf(stderr, "regfitc: building %s with the generic kernels\n", m->name);
    if (rf_build(m, &bo, &built, err, sizeof err) != 0) {
        fprintf(stderr, "regfitc: error: %s\n", err);
        return 1;
    }
    const generic_api *g = NULL;
    int rc = 1;
    bench_ctx x = {.m = m, .c = built.model};
    rf_hparams_buf hp = {0};
    batches b = {0};
    const char *source = "";
    if (load_generic(built.handle, &g, err, sizeof err) != 0 || make_batches(m, opt, &b, &source) != 0) {
        fprintf(stderr, "regfitc: error: %s\n", err[0] ? err : "out of memory");
        goto out;
    }
    x.g = g;
    x.b = &b;
    x.spec = rf_model_alloc(x.c);
    x.gen = g->generic_new(m);
    x.out = malloc(sizeof(float) * m->batch * m->outputs);
    if (!x.spec || !x.gen || !x.out || rf_hparams_from_model(m, &hp) != 0) {
        fprintf(stderr, "regfitc: error: out of memory\n");
        goto out;
    }

    int cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1)
        cores = 1;
    int threads = opt->threads > 0 ? opt->threads : cores;
    double flops_train = rf_model_train_flops(m), flops_pred = rf_model_predict_flops(m);
    x.hparams = hp.in;
    init_spec(&x);
    x.c->set_threads(1);
    /* the best of 3 now, on one thread and on all of them at once; measured again
     * after the timings, so a neighbour busy now cannot lower the peak below
     * what the steps later reach ("of peak" stays under 100% on a shared host) */
    double peak1 = 0, peak = 0;
    measure_peak(g, threads, &peak1, &peak);

    char shape[256];
    describe(m, shape, sizeof shape);
    printf("regfitc --bench %s: %s, batch %d, %.4g MFLOP per train_step\n", m->name, shape, m->batch,
           flops_train * 1e-6);
    printf("data: %s; %d timed steps per kernel after %d warm-up, interleaved\n", source, opt->steps,
           WARMUP_STEPS);
    if (opt->cflags)
        printf("built with $REGFIT_CFLAGS: %s\n", opt->cflags);
    if (threads == 1)
        printf("FMA peak (measured): %.1f GFLOP/s on 1 thread\n", peak1);
    else
        printf("FMA peak (measured): %.1f GFLOP/s on 1 thread, %.1f on %d at once\n", peak1, peak, threads);

    x.c->set_threads(threads);
    double loss_diff, param_diff;
    agreement(&x, &loss_diff, &param_diff);
    printf("agreement after %d steps: max |loss diff| %.3g, max |param diff| %.3g\n", AGREE_STEPS, loss_diff,
           param_diff);

    /* thread sweep (only without --threads) */
    timing ts, tg, ps, pg;
    if (opt->threads <= 0 && cores > 1) {
        printf("\nthread sweep, train_step median ms:\n%-8s %12s %12s %8s\n", "threads", "specialised", "generic",
               "speedup");
        for (int t = 1; t <= cores; t++) {
            x.c->set_threads(t);
            time_both(&x, opt->steps, 0, &ts, &tg);
            printf("%-8d %12.3f %12.3f %7.2fx\n", t, ts.median * 1e3, tg.median * 1e3, tg.median / ts.median);
        }
    }
    x.c->set_threads(threads);
    time_both(&x, opt->steps, 0, &ts, &tg);
    time_both(&x, opt->steps, 1, &ps, &pg);
    double peak1_after = peak1, peak_after = peak;
    measure_peak(g, threads, &peak1_after, &peak_after);
    if (peak_after > peak * 1.02)
        printf("\nFMA peak measured again after the timings: %.1f GFLOP/s on %d thread%s (used below)\n",
               peak_after, threads, threads == 1 ? "" : "s");
    peak = peak_after;
    printf("\n%d thread%s:\n%-11s %-12s %9s %9s %9s %11s %9s %8s\n", threads, threads == 1 ? "" : "s", "kernel",
           "impl", "median ms", "min ms", "max ms", "samples/s", "GFLOP/s", "of peak");
    print_row("train_step", "specialised", ts, m->batch, flops_train, peak);
    print_row("train_step", "generic", tg, m->batch, flops_train, peak);
    print_row("predict", "specialised", ps, m->batch, flops_pred, peak);
    print_row("predict", "generic", pg, m->batch, flops_pred, peak);
    printf("predict speedup: %.2fx\n", pg.median / ps.median);
    printf("specialised/generic speedup: %.2fx\n", tg.median / ts.median);
    rc = 0;
out:
    free(x.out);
    if (x.gen)
        g->generic_free(x.gen);
    rf_model_release(x.spec);
    rf_hparams_buf_free(&hp);
    free(b.x);
    free(b.y);
    free(b.labels);
    rf_build_close(&built);
    return rc;
}
