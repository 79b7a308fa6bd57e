/* regfitc: the command line (SPEC section 2).
 *
 *   regfitc [OPTIONS] MODEL.yaml          generate, build, train, evaluate, report
 *   regfitc --emit [-o DIR] MODEL.yaml    write NAME.c and NAME.h
 *   regfitc --emit-inference [--load F]   write NAME_infer.c and NAME_infer.h (SPEC 7)
 *   regfitc --check MODEL.yaml            validate and summarise
 *   regfitc --bench MODEL.yaml            specialised vs generic kernels
 *   regfitc --sweep K=V1,V2 MODEL.yaml    every combination of the values (sweep.h)
 *
 * Exit codes: 0 success, 1 a run failed, 2 bad model file or usage. */
#include "bench.h"
#include "build.h"
#include "dist.h"
#include "emit.h"
#include "emit_infer_files.h"
#include "frontend.h"
#include "model_id.h"
#include "sweep.h"
#include "train.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MODE_RUN, MODE_EMIT, MODE_EMIT_INFER, MODE_CHECK, MODE_BENCH, MODE_SWEEP };

static const char usage_text[] =
    "usage: regfitc [OPTIONS] MODEL.yaml\n"
    "\n"
    "Compiles a neural network described by a YAML model file into specialised C,\n"
    "then trains and evaluates it (by default), or only checks, emits or benchmarks it.\n"
    "\n"
    "commands:\n"
    "  (none)          generate the C code, build it, train and evaluate as the file says\n"
    "  --check         validate only; print layers, parameters, FLOPs per step, memory\n"
    "  --emit          only write NAME.c and NAME.h into the output folder\n"
    "  --emit-inference  write NAME_infer.c/.h with the trained parameters of --load FILE\n"
    "                  (default: RUNS/NAME/model.ckpt)\n"
    "  --bench         time the specialised training step against the generic kernels\n"
    "  --sweep KEY=V1,V2,...  train every combination of the values (repeatable; with\n"
    "                  --seeds N and --jobs J): RUNS/NAME-sweep/results.csv, curve.svg\n"
    "\n"
    "options (also as --option=value; -- ends the options):\n"
    "  -o DIR          output folder for --emit and --emit-inference (default: generated/)\n"
    "  --print-outputs with --emit/--emit-inference: print the two paths, write nothing\n"
    "  --data DIR      folder of the Fashion-MNIST/MNIST IDX files\n"
    "                  (default: $REGFIT_DATA, else /usr/share/datasets/fashion-mnist)\n"
    "  --epochs N      override train.epochs (0: evaluate only)\n"
    "  --seed S        override train.seed\n"
    "  --threads T     OpenMP threads (default: OMP_NUM_THREADS, else all cores)\n"
    "  --runs DIR      folder for run outputs (default: runs/); files go to DIR/NAME/\n"
    "  --save FILE     also write the final parameters to checkpoint FILE\n"
    "  --load FILE     start from the parameters (and optimizer state) in checkpoint FILE\n"
    "                  (--emit-inference: the checkpoint whose parameters it compiles in)\n"
    "  --resume        continue the run in RUNS/NAME/ from its checkpoint\n"
    "  --set KEY=VALUE override one value of the model file (repeatable), e.g.\n"
    "                  --set optimizer.sgd.lr=0.1 --set decay.0.l2=3 --set train.validation=0.1\n"
    "                  (--epochs and --seed win over --set train.epochs and train.seed)\n"
    "  --steps N       --bench: timed steps per kernel (default: 50)\n"
    "  --seeds N       --sweep: each point with seeds S, S+1, ... S+N-1 (default: 1)\n"
    "  --jobs J        --sweep: points run at once (default: one per core)\n"
    "  --quiet, -q     no progress bar and no notes on stderr\n"
    "  --version       print the version and exit\n"
    "  --help, -h      print this help and exit\n"
    "\n"
    "environment:\n"
    "  REGFIT_DATA     data folder when --data is not given\n"
    "  REGFIT_CACHE    cache of compiled models, and in data/ of decoded IDX images\n"
    "                  (default: $XDG_CACHE_HOME/regfitc, else ~/.cache/regfitc,\n"
    "                  else /tmp/regfitc-cache-UID)\n"
    "  REGFIT_DATA_CACHE  0: decode the IDX image files at every run rather than keep\n"
    "                  their floats in REGFIT_CACHE/data/ (about 220 MB for Fashion-MNIST)\n"
    "  CC              C compiler for the generated code (default: clang)\n"
    "  REGFIT_CFLAGS   its flags (default: -O3 -march=native -fopenmp)\n"
    "  REGFIT_HOME     folder whose runtime/ the generated code is built against\n"
    "                  (default: the installed or source tree regfitc came from)\n"
    "\n"
    "exit status: 0 success, 1 the run failed, 2 bad model file or usage\n"
    "manual: docs/README.md in the source; man regfitc when installed\n";

/* $REGFIT_CFLAGS, which replaces the default -O3 -march=native -fopenmp of the generated
 * code's build (e.g. -mavx2 for valgrind, which knows no AVX-512), or NULL when unset or empty */
static const char *env_cflags(void)
{
    const char *flags = getenv("REGFIT_CFLAGS");
    return flags && *flags ? flags : NULL;
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "regfitc: error: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'regfitc --help' for more information.\n");
    return 2;
}

/* Parses a whole non-negative decimal number no larger than max. */
static int parse_count(const char *s, unsigned long long max, unsigned long long *out)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

#define MAX_SETS 256
#define MAX_SETS_TEXT "256"

static int flag_takes_value(const char *a)
{
    static const char *const with_value[] = {"-o", "--data", "--runs", "--save", "--load", "--epochs",
                                             "--seed", "--threads", "--steps", "--set", "--sweep",
                                             "--seeds", "--jobs"};
    for (size_t i = 0; i < sizeof with_value / sizeof with_value[0]; i++)
        if (!strcmp(a, with_value[i]))
            return 1;
    return 0;
}

typedef struct {
    int mode;
    const char *model_path;
    const char *out_dir;
    rf_train_options train;
    int has_seed; /* --seed S: train.seed = S */
    uint64_t seed;
    int bench_steps;
    const char **sets; /* --set arguments, in order */
    int n_sets;
    const char **sweeps; /* --sweep arguments, in order */
    int n_sweeps;
    int seeds, jobs;     /* --seeds, --jobs (0: not given) */
    int print_outputs;   /* --print-outputs */
} cli;

/* Returns -1 to go on, else an exit code. */
static int parse_args(int argc, char **argv, cli *c, const char **sets, const char **sweeps)
{
    memset(c, 0, sizeof *c);
    c->sets = sets;
    c->sweeps = sweeps;
    c->mode = MODE_RUN;
    c->out_dir = "generated";
    c->train.epochs = -1;
    c->bench_steps = 50;
    int modes = 0;
    int options_done = 0;
    char split[256];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        const char *eq = strchr(a, '=');
        unsigned long long v;
        if (!options_done && !strcmp(a, "--")) {
            options_done = 1;
            continue;
        }
        if (options_done || a[0] != '-' || a[1] == '\0') {
            if (c->model_path)
                return usage_error("only one model file, please ('%s' is a second one)", a);
            c->model_path = a;
            continue;
        }
        /* --option=value is --option value */
        int glued = 0;
        if (a[1] == '-' && eq && (size_t)(eq - a) < sizeof split) {
            memcpy(split, a, (size_t)(eq - a));
            split[eq - a] = '\0';
            next = eq + 1;
            a = split;
            glued = 1;
        }
#define NEED_VALUE()                                                     \
    do {                                                                 \
        if (!next)                                                       \
            return usage_error("option '%s' needs a value", a);          \
        if (!glued)                                                      \
            i++;                                                         \
    } while (0)
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage_text, stdout);
            return 0;
        } else if (!strcmp(a, "--version")) {
            printf("regfitc %s\n", REGFIT_VERSION);
            return 0;
        } else if (!strcmp(a, "--emit")) {
            c->mode = MODE_EMIT, modes++;
        } else if (!strcmp(a, "--emit-inference")) {
            c->mode = MODE_EMIT_INFER, modes++;
        } else if (!strcmp(a, "--print-outputs")) {
            c->print_outputs = 1;
        } else if (!strcmp(a, "--check")) {
            c->mode = MODE_CHECK, modes++;
        } else if (!strcmp(a, "--bench")) {
            c->mode = MODE_BENCH, modes++;
        } else if (!strcmp(a, "--resume")) {
            c->train.resume = 1;
        } else if (!strcmp(a, "--set")) {
            NEED_VALUE();
            if (c->n_sets == MAX_SETS)
                return usage_error("at most %s --set options, please", MAX_SETS_TEXT);
            c->sets[c->n_sets++] = next;
        } else if (!strcmp(a, "--sweep")) {
            NEED_VALUE();
            if (c->n_sweeps == MAX_SETS)
                return usage_error("at most %s --sweep options, please", MAX_SETS_TEXT);
            c->sweeps[c->n_sweeps++] = next;
        } else if (!strcmp(a, "--seeds")) {
            NEED_VALUE();
            if (parse_count(next, 100000, &v) || v == 0)
                return usage_error("--seeds takes a whole number from 1 to 100000, not '%s'", next);
            c->seeds = (int)v;
        } else if (!strcmp(a, "--jobs")) {
            NEED_VALUE();
            if (parse_count(next, 1024, &v) || v == 0)
                return usage_error("--jobs takes a whole number from 1 to 1024, not '%s'", next);
            c->jobs = (int)v;
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            c->train.quiet = 1;
        } else if (!strcmp(a, "-o")) {
            NEED_VALUE();
            c->out_dir = next;
        } else if (!strcmp(a, "--data")) {
            NEED_VALUE();
            c->train.data_dir = next;
        } else if (!strcmp(a, "--runs")) {
            NEED_VALUE();
            c->train.runs_dir = next;
        } else if (!strcmp(a, "--save")) {
            NEED_VALUE();
            c->train.save_path = next;
        } else if (!strcmp(a, "--load")) {
            NEED_VALUE();
            c->train.load_path = next;
        } else if (!strcmp(a, "--epochs")) {
            NEED_VALUE();
            if (parse_count(next, 100000000, &v))
                return usage_error("--epochs takes a whole number from 0 to 100000000, not '%s'", next);
            c->train.epochs = (int)v;
        } else if (!strcmp(a, "--seed")) {
            NEED_VALUE();
            if (parse_count(next, ULLONG_MAX, &v))
                return usage_error("--seed takes a non-negative whole number, not '%s'", next);
            c->seed = v;
            c->has_seed = 1;
        } else if (!strcmp(a, "--threads")) {
            NEED_VALUE();
            if (parse_count(next, 1024, &v) || v == 0)
                return usage_error("--threads takes a whole number from 1 to 1024, not '%s'", next);
            c->train.threads = (int)v;
        } else if (!strcmp(a, "--steps")) {
            NEED_VALUE();
            if (parse_count(next, 1000000, &v) || v == 0)
                return usage_error("--steps takes a whole number from 1 to 1000000, not '%s'", next);
            c->bench_steps = (int)v;
        } else {
            return usage_error("unknown option '%s'", a);
        }
        if (glued && strncmp(argv[i], a, strlen(a)) == 0 && !flag_takes_value(a))
            return usage_error("option '%s' takes no value", a);
#undef NEED_VALUE
    }
    if (modes > 1)
        return usage_error("%s", "--emit, --emit-inference, --check and --bench exclude each other");
    if (c->print_outputs && c->mode != MODE_EMIT && c->mode != MODE_EMIT_INFER)
        return usage_error("%s", "--print-outputs goes with --emit or --emit-inference");
    if (c->n_sweeps > 0) {
        if (modes > 0)
            return usage_error("%s", "--sweep trains: it does not go with --emit, --emit-inference, --check or "
                                     "--bench");
        if (c->train.resume || c->train.load_path || c->train.save_path)
            return usage_error("%s", "--sweep keeps each point in its own folder and resumes them itself (run the "
                                     "same command again); it takes no --resume, --load or --save");
        c->mode = MODE_SWEEP;
    } else if (c->seeds || c->jobs) {
        return usage_error("%s", "--seeds and --jobs go with --sweep");
    }
    if (c->train.resume && c->train.load_path)
        return usage_error("%s", "--resume continues a run from its own checkpoint; it does not take --load");
    if (!c->model_path)
        return usage_error("%s", "no model file given");
    return -1;
}

/* The checks before any work (rf_train_preflight); prints what failed.
 * Returns -1 to go on, else an exit code. */
static int preflight(const rf_model *m, const rf_train_options *opt, rf_datasets *data)
{
    char err[2048] = "";
    int rc = rf_train_preflight(m, opt, data, err, sizeof err);
    if (rc == 0)
        return -1;
    if (rc == 2)
        fprintf(stderr, "%s\n", err);
    else
        fprintf(stderr, "regfitc: error: %s\n", err);
    return rc;
}

static int no_data(const rf_model *m)
{
    fprintf(stderr, "%s: error: the model file has no 'data' key, so there is nothing to train on "
                    "(add e.g. 'data: fashion-mnist')\n", m->path);
    return 2;
}

/* regfitc MODEL.yaml: check, load the data, compile (or take the cached
 * build), train. */
static int run_model(const rf_model *m, const cli *c)
{
    if (m->data.kind == RF_DATA_NONE)
        return no_data(m);
    rf_train_options opt = c->train;
    char *identity = rf_model_identity(m, RF_ID_BUT_EPOCHS);
    if (!identity) {
        fprintf(stderr, "regfitc: error: out of memory\n");
        return 1;
    }
    opt.identity = identity;
    rf_datasets data;
    memset(&data, 0, sizeof data);
    int rc = preflight(m, &opt, &data);
    if (rc >= 0) {
        free(identity);
        return rc;
    }
    char err[2048] = "";
    rf_built built;
    rf_build_options bo = {.cflags = env_cflags()};
    /* under mpirun rank 0 compiles first; the others then find the build in the cache */
    const rf_dist *d = rf_dist_self();
    if (d->rank != 0)
        rf_dist_barrier(d);
    int built_rc = rf_build(m, &bo, &built, err, sizeof err);
    if (d->rank == 0)
        rf_dist_barrier(d);
    if (built_rc != 0) {
        fprintf(stderr, "regfitc: error: %s\n", err);
        rf_datasets_free(&data);
        free(identity);
        return 1;
    }
    if (!c->train.quiet && !built.cached)
        fprintf(stderr, "regfitc: compiled %s into %s\n", m->name, built.so_path);
    rc = rf_train_run(m, built.model, &data, &opt);
    rf_build_close(&built);
    rf_datasets_free(&data);
    free(identity);
    return rc;
}

/* The two files --emit (suffix "") or --emit-inference ("_infer") writes: "NAME.h", "NAME.c". */
static void output_names(const rf_model *m, const char *suffix, char names[2][RF_NAME_MAX + 16])
{
    snprintf(names[0], RF_NAME_MAX + 16, "%s%s.h", m->name, suffix);
    snprintf(names[1], RF_NAME_MAX + 16, "%s%s.c", m->name, suffix);
}

/* --print-outputs: the absolute paths of the two files, one a line; nothing is read or written. */
static int print_outputs(const rf_model *m, const cli *c)
{
    char names[2][RF_NAME_MAX + 16], path[2][8192];
    output_names(m, c->mode == MODE_EMIT_INFER ? "_infer" : "", names);
    for (int i = 0; i < 2; i++)
        if (rf_output_path(c->out_dir, names[i], path[i], sizeof path[i]) != 0) {
            fprintf(stderr, "regfitc: error: cannot make an absolute path of %s/%s\n", c->out_dir, names[i]);
            return 1;
        }
    printf("%s\n%s\n", path[0], path[1]);
    return 0;
}

static int report_written(const rf_model *m, const cli *c, int written, const char *suffix)
{
    char names[2][RF_NAME_MAX + 16];
    output_names(m, suffix, names);
    printf("%s %s/%s and %s/%s\n", written ? "wrote" : "unchanged:", c->out_dir, names[0], c->out_dir, names[1]);
    return 0;
}

/* --emit: NAME.h and NAME.c */
static int emit(const rf_model *m, const cli *c)
{
    char err[2048] = "";
    int written;
    if (rf_emit_files(m, c->out_dir, &written, err, sizeof err) != 0) {
        fprintf(stderr, "regfitc: error: %s\n", err);
        return 1;
    }
    return report_written(m, c, written, "");
}

/* --emit-inference: NAME_infer.h and NAME_infer.c with the parameters of --load FILE,
 * by default those of the model's run folder, RUNS/NAME/model.ckpt */
static int emit_inference(const rf_model *m, const cli *c)
{
    char err[4096] = "", ckpt[4096];
    const char *path = c->train.load_path;
    if (!path) {
        snprintf(ckpt, sizeof ckpt, "%s/%s/model.ckpt", c->train.runs_dir ? c->train.runs_dir : "runs", m->name);
        path = ckpt;
    }
    int written;
    if (rf_emit_infer_files(m, path, c->out_dir, &written, err, sizeof err) != 0) {
        fprintf(stderr, "regfitc: error: %s\n", err);
        if (!c->train.load_path)
            fprintf(stderr, "regfitc: (the default checkpoint is the model's run's; train it first, or give "
                            "--load FILE)\n");
        return 1;
    }
    return report_written(m, c, written, "_infer");
}


static int run_command(const cli *c, const rf_dist *d);

/* Under mpirun (SPEC 9): refuses what cannot run on these ranks, before any file is
 * touched; else starts MPI for a training run (a sweep starts it after its points, as
 * they fork), and leaves only rank 0 a stdout. Returns -1 to go on, else an exit code. */
static int start_ranks(const cli *c, rf_dist *d)
{
    rf_dist_from_env(d);
    if (d->size == 1)
        return -1; /* not under mpirun (or one rank): no MPI start-up at all */
    if (!rf_dist_built_with_mpi()) {
        if (d->rank == 0) /* the launcher's rank: one message, not one per rank */
                fprintf(stderr, "regfitc: error: started by mpirun with %d ranks, but this regfitc was built "
                    "without MPI (configure with libopenmpi-dev installed and -DREGFIT_MPI=ON); refusing to "
                    "run %d copies that would overwrite each other's files\n", d->size, d->size);
        return 2;
    }
    if (c->mode == MODE_RUN && d->size > RF_DIST_MAX_RANKS) {
        if (d->rank == 0)
            fprintf(stderr, "regfitc: error: a data-parallel run takes at most %d ranks (each rank computes "
                    "whole row shards of a batch, and a batch has %d); mpirun -np %d is too many (a --sweep "
                    "may use any number)\n", RF_DIST_MAX_RANKS, RF_DIST_MAX_RANKS, d->size);
        return 2;
    }
    if (d->rank != 0 && !freopen("/dev/null", "w", stdout))
        return 1;
    if (c->mode == MODE_RUN) {
        char err[256];
        if (rf_dist_init(d, err, sizeof err) != 0) {
            fprintf(stderr, "regfitc: error: rank %d: %s\n", d->rank, err);
            return 1;
        }
        rf_dist_set_self(d);
    }
    return -1;
}

int main(int argc, char **argv)
{
    cli c;
    const char *sets[MAX_SETS], *sweeps[MAX_SETS];
    int rc = parse_args(argc, argv, &c, sets, sweeps);
    if (rc >= 0)
        return rc;
    rf_dist dist;
    if ((rc = start_ranks(&c, &dist)) >= 0)
        return rc;
    rc = dist.size > 1 && c.mode != MODE_RUN && c.mode != MODE_SWEEP && dist.rank != 0
             ? 0 /* --emit, --check, --bench: rank 0 does it */
             : run_command(&c, &dist);
    rf_dist_finalize(&dist);
    return rc;
}

/* The command of the line, after parse_args and start_ranks. */
static int run_command(const cli *cl, const rf_dist *d)
{
    const cli c = *cl;
    const rf_dist dist = *d;
    int rc;
    if (c.mode == MODE_SWEEP)
        return rf_sweep_run(&(rf_sweep_options){.model_path = c.model_path,
                                                .sets = c.sets,
                                                .n_sets = c.n_sets,
                                                .sweeps = c.sweeps,
                                                .n_sweeps = c.n_sweeps,
                                                .seeds = c.seeds ? c.seeds : 1,
                                                .jobs = c.jobs,
                                                .has_seed = c.has_seed,
                                                .seed = c.seed,
                                                .cflags = env_cflags(),
                                                .train = c.train,
                                                .rank = dist.rank,
                                                .ranks = dist.size,
                                                .local_ranks = dist.local_size});

    rf_model m;
    rc = rf_load_model_set(c.model_path, c.sets, c.n_sets, &m, stderr, NULL);
    if (rc != 0)
        return 2;
    if (c.has_seed)
        m.train.seed = c.seed; /* before the data: the seed also draws synthetic data */

    switch (c.mode) {
    case MODE_CHECK:
        rc = m.data.kind == RF_DATA_NONE ? -1 : preflight(&m, &c.train, NULL);
        if (rc < 0) {
            rf_print_summary(&m, stdout);
            rc = 0;
        }
        break;
    case MODE_EMIT:
    case MODE_EMIT_INFER:
        rc = c.print_outputs ? print_outputs(&m, &c) : c.mode == MODE_EMIT ? emit(&m, &c) : emit_inference(&m, &c);
        break;
    case MODE_BENCH:
        rc = rf_bench_run(&m, &(rf_bench_options){.steps = c.bench_steps,
                                                  .threads = c.train.threads,
                                                  .data_dir = c.train.data_dir,
                                                  .cflags = env_cflags(),
                                                  .quiet = c.train.quiet});
        break;
    case MODE_RUN:
    case MODE_SWEEP:
        rc = run_model(&m, &c);
        break;
    }
    rf_model_free(&m);
    return rc;
}
