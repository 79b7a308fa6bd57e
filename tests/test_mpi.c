/* regfitc under Open MPI's mpirun (SPEC 9), on this machine's loopback: a
 * data-parallel run on 2 and 4 ranks against one process (model.ckpt byte
 * for byte, metrics.csv apart from the seconds column, the same stdout,
 * once), --resume under mpirun, a sweep over 2 ranks against one process
 * (results.csv apart from seconds, curve.svg), and the refusals: more ranks
 * than row shards, and a regfitc built without MPI. Each case skips with a
 * message when mpirun is not installed. */
#include "rfdata.h"
#include "rftest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int have_mpirun(void)
{
    static int known = -1;
    if (known < 0) {
        known = system("command -v mpirun >/dev/null 2>&1") == 0;
        if (!known)
            fprintf(stderr, "\n    skipped: mpirun not found (apt-get install openmpi-bin libopenmpi-dev) ");
    }
    return known;
}

/* Runs `[mpirun -np R] EXE ARGS` (R 0: no mpirun) in the temp dir; stdout and
 * stderr captured as rf_test_regfitc does. */
static rf_run_result run_ranks(int ranks, const char *exe, const char *args)
{
    static rf_run_result last;
    free(last.out);
    free(last.err);
    memset(&last, 0, sizeof last);
    char out_path[4200], err_path[4200], launcher[256] = "";
    snprintf(out_path, sizeof out_path, "%s/.mpi_stdout", rf_test_tmpdir());
    snprintf(err_path, sizeof err_path, "%s/.mpi_stderr", rf_test_tmpdir());
    /* shared memory between the ranks, the launcher's own wiring on loopback; in a sanitizer
     * build no leak report at exit (Open MPI keeps allocations past MPI_Finalize) */
    if (ranks > 0)
        snprintf(launcher, sizeof launcher, "ASAN_OPTIONS=detect_leaks=0 mpirun %s--oversubscribe "
                 "--mca btl self,vader --mca oob_tcp_if_include lo -np %d ",
                 geteuid() == 0 ? "--allow-run-as-root " : "", ranks);
    size_t need = strlen(args) + 3 * 4200 + 512;
    char *cmd = malloc(need);
    snprintf(cmd, need, "cd '%s' && %s'%s' %s >'%s' 2>'%s' </dev/null", rf_test_tmpdir(), launcher, exe, args,
             out_path, err_path);
    int rc = system(cmd);
    free(cmd);
    last.status = rc != -1 && WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    last.out = rf_test_read_file(out_path, NULL);
    last.err = rf_test_read_file(err_path, NULL);
    if (!last.out)
        last.out = calloc(1, 1);
    if (!last.err)
        last.err = calloc(1, 1);
    if (last.status != 0)
        fprintf(stderr, "\n    [%d ranks: %s] exit %d: %s", ranks, args, last.status, last.err);
    return last;
}

static char *file_of(const char *runs, const char *name, const char *file)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%s/%s/%s", rf_test_tmpdir(), runs, name, file);
    return rf_test_read_file(path, NULL);
}

/* A CSV text without field `drop` (0-based) of every line. */
static char *without_column(const char *csv, int drop)
{
    char *out = calloc(strlen(csv) + 1, 1);
    size_t o = 0;
    while (*csv) {
        size_t len = strcspn(csv, "\n");
        int field = 0, kept = 0;
        for (size_t i = 0; i <= len; field++) {
            size_t flen = strcspn(csv + i, ",\n");
            if (flen > len - i)
                flen = len - i;
            if (field != drop) {
                if (kept++)
                    out[o++] = ',';
                memcpy(out + o, csv + i, flen);
                o += flen;
            }
            i += flen + 1;
        }
        out[o++] = '\n';
        csv += len + (csv[len] == '\n');
    }
    return out;
}

/* Column of `name` in a CSV header, or -1. */
static int column_of(const char *csv, const char *name)
{
    int col = 0;
    size_t len = strlen(name);
    for (const char *c = csv; *c && *c != '\n'; c++) {
        if ((c == csv || c[-1] == ',') && !strncmp(c, name, len) && (c[len] == ',' || c[len] == '\n'))
            return col;
        col += *c == ',';
    }
    return -1;
}

static int same_file(const char *a, const char *b, const char *what)
{
    int same = a && b && !strcmp(a, b);
    if (!same)
        fprintf(stderr, "\n    %s differs", what);
    return same;
}

/* metrics.csv of two runs, apart from the seconds column. */
static int same_metrics(const char *runs_a, const char *runs_b, const char *name)
{
    char *a = file_of(runs_a, name, "metrics.csv"), *b = file_of(runs_b, name, "metrics.csv");
    int same = 0;
    if (a && b) {
        int col = column_of(a, "seconds");
        char *ca = without_column(a, col), *cb = without_column(b, col);
        same = col > 0 && same_file(ca, cb, "metrics.csv");
        free(ca);
        free(cb);
    }
    free(a);
    free(b);
    return same;
}

static int same_run_file(const char *runs_a, const char *runs_b, const char *name, const char *file)
{
    size_t la = 0, lb = 0;
    char path[4400];
    snprintf(path, sizeof path, "%s/%s/%s/%s", rf_test_tmpdir(), runs_a, name, file);
    char *a = rf_test_read_file(path, &la);
    snprintf(path, sizeof path, "%s/%s/%s/%s", rf_test_tmpdir(), runs_b, name, file);
    char *b = rf_test_read_file(path, &lb);
    int same = a && b && la == lb && memcmp(a, b, la) == 0;
    if (!same)
        fprintf(stderr, "\n    %s of %s and %s differ", file, runs_a, runs_b);
    free(a);
    free(b);
    return same;
}

/* ---- the models ---- */

static int have_real_data;

/* A small MLP with dropout after a relu and after a sigmoid, momentum, a validation split,
 * a schedule and early stopping; on a slice of Fashion-MNIST (or synthetic data without it).
 * 500 training rows in batches of 64: the last one partial. */
static void write_models(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    char slice[4200];
    snprintf(slice, sizeof slice, "%s/slice", rf_test_tmpdir());
    mkdir(slice, 0777);
    have_real_data = rf_test_write_fashion_slice(slice, 556, 100) == 0;
    char text[4096];
    snprintf(text, sizeof text,
             "name: mpi_mlp\ninput: %d\nbatch: 64\nlayers:\n"
             "  - dense: 32\n  - relu\n  - dropout: 0.2\n"
             "  - dense: 16\n  - sigmoid\n  - dropout: 0.3\n  - dense: %d\n"
             "loss: %s\noptimizer: {sgd: {lr: 0.1, momentum: 0.9}}\n"
             "train: {epochs: 4, seed: 5, validation: 0.1, schedule: {cosine: {min_lr: 0.01}},\n"
             "        early_stopping: {patience: 2, monitor: valid_loss}}\n"
             "%s",
             have_real_data ? 784 : 20, have_real_data ? 10 : 1,
             have_real_data ? "softmax_cross_entropy" : "squared",
             have_real_data ? "data:\n  idx:\n"
                              "    train_images: slice/train-images-idx3-ubyte\n"
                              "    train_labels: slice/train-labels-idx1-ubyte\n"
                              "    test_images: slice/t10k-images-idx3-ubyte\n"
                              "    test_labels: slice/t10k-labels-idx1-ubyte\n"
                            : "data: {synthetic_linear: {n_train: 556, n_test: 100, w: 0.1, b: 0.5, noise: 0.1}}\n");
    rf_test_write("mpi_mlp.yaml", text);
    /* d2l's regression: batch 1, so three of every four shards are empty */
    rf_test_write("mpi_lin.yaml", "name: mpi_lin\ninput: 200\nbatch: 1\n"
                                  "layers: [{dense: {units: 1, init: {normal: 1}}}]\n"
                                  "loss: squared\noptimizer: {sgd: {lr: 0.003}}\ntrain: {epochs: 6, seed: 7}\n"
                                  "data: {synthetic_linear: {n_train: 20, n_test: 100, w: 0.01, b: 0.05, "
                                  "noise: 0.01}}\n");
}

/* One process, then 2 and 4 ranks: the same files and the same lines. */
static void test_ranks_match_one_process(void)
{
    if (!have_mpirun())
        return;
    write_models();
    const char *exe = rf_test_regfitc_exe();
    const char *names[2] = {"mpi_mlp", "mpi_lin"};
    for (int k = 0; k < 2; k++) {
        char args[512];
        snprintf(args, sizeof args, "%s.yaml --runs one", names[k]);
        rf_run_result r = run_ranks(0, exe, args);
        CU_ASSERT_EQUAL_FATAL(r.status, 0);
        char *one_out = strdup(r.out);
        for (int ranks = 2; ranks <= 4; ranks += 2) {
            char runs[32];
            snprintf(runs, sizeof runs, "ranks%d", ranks);
            snprintf(args, sizeof args, "%s.yaml --runs %s", names[k], runs);
            r = run_ranks(ranks, exe, args);
            CU_ASSERT_EQUAL(r.status, 0);
            CU_ASSERT(same_file(one_out, r.out, "stdout")); /* once, not once per rank */
            CU_ASSERT(same_run_file("one", runs, names[k], "model.ckpt"));
            CU_ASSERT(same_metrics("one", runs, names[k]));
            CU_ASSERT(same_run_file("one", runs, names[k], "model.id"));
        }
        free(one_out);
    }
}

/* Two epochs on 2 ranks, then --resume on 2 ranks to the end: the one-process run's files. */
static void test_resume_under_mpirun(void)
{
    if (!have_mpirun())
        return;
    write_models();
    const char *exe = rf_test_regfitc_exe();
    rf_run_result r = run_ranks(0, exe, "mpi_mlp.yaml --runs whole --epochs 4");
    CU_ASSERT_EQUAL_FATAL(r.status, 0);
    r = run_ranks(2, exe, "mpi_mlp.yaml --runs part --epochs 2");
    CU_ASSERT_EQUAL_FATAL(r.status, 0);
    r = run_ranks(2, exe, "mpi_mlp.yaml --runs part --epochs 4 --resume");
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(same_run_file("whole", "part", "mpi_mlp", "model.ckpt"));
    CU_ASSERT(same_metrics("whole", "part", "mpi_mlp"));
}

/* A sweep of 3 points on 2 ranks against one process. */
static void test_sweep_over_ranks(void)
{
    if (!have_mpirun())
        return;
    write_models();
    const char *exe = rf_test_regfitc_exe();
    const char *args_one = "mpi_lin.yaml --runs sw1 --epochs 3 --sweep optimizer.sgd.lr=0.001,0.002,0.003";
    const char *args_two = "mpi_lin.yaml --runs sw2 --epochs 3 --sweep optimizer.sgd.lr=0.001,0.002,0.003";
    rf_run_result r = run_ranks(0, exe, args_one);
    CU_ASSERT_EQUAL_FATAL(r.status, 0);
    char *one_out = strdup(r.out);
    r = run_ranks(2, exe, args_two);
    CU_ASSERT_EQUAL(r.status, 0);
    /* the same table at the end, and each point's line once */
    const char *table_one = strstr(one_out, "\n"), *lines = r.out;
    (void)table_one;
    int point_lines = 0;
    for (const char *s = lines; (s = strstr(s, "point ")) != NULL; s++)
        point_lines += s == lines || s[-1] == '\n';
    CU_ASSERT_EQUAL(point_lines, 3);
    char *a = file_of("sw1", "mpi_lin-sweep", "results.csv"), *b = file_of("sw2", "mpi_lin-sweep", "results.csv");
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    int col = column_of(a, "seconds");
    CU_ASSERT(col > 0);
    char *ca = without_column(a, col), *cb = without_column(b, col);
    CU_ASSERT(same_file(ca, cb, "results.csv"));
    CU_ASSERT(same_run_file("sw1", "sw2", "mpi_lin-sweep", "curve.svg"));
    free(ca);
    free(cb);
    free(a);
    free(b);
    free(one_out);
}

/* More ranks than row shards, and no MPI in this regfitc: refused before any file. */
static void test_refusals(void)
{
    if (!have_mpirun())
        return;
    write_models();
    struct stat st;
    char path[4400];
    rf_run_result r = run_ranks(5, rf_test_regfitc_exe(), "mpi_lin.yaml --runs five");
    CU_ASSERT_EQUAL(r.status, 2);
    RF_ASSERT_CONTAINS(r.err, "at most 4 ranks");
    snprintf(path, sizeof path, "%s/five", rf_test_tmpdir());
    CU_ASSERT(stat(path, &st) != 0);
    r = run_ranks(2, RF_REGFITC_NOMPI_EXE, "mpi_lin.yaml --runs nompi");
    CU_ASSERT_EQUAL(r.status, 2);
    RF_ASSERT_CONTAINS(r.err, "built without MPI");
    snprintf(path, sizeof path, "%s/nompi", rf_test_tmpdir());
    CU_ASSERT(stat(path, &st) != 0);
    /* without mpirun the build without MPI runs as always */
    r = run_ranks(0, RF_REGFITC_NOMPI_EXE, "mpi_lin.yaml --runs nompi --epochs 1 --quiet");
    CU_ASSERT_EQUAL(r.status, 0);
    RF_ASSERT_CONTAINS(r.out, "epoch 1, train loss");
}

int main(int argc, char **argv)
{
    static const rf_test_case cases[] = {
        {"mpirun -np 2 and -np 4 against one process: model.ckpt, metrics.csv, stdout once",
         test_ranks_match_one_process},
        {"--resume under mpirun ends where one process does", test_resume_under_mpirun},
        {"a sweep over 2 ranks: results.csv and curve.svg of one process", test_sweep_over_ranks},
        {"refused: 5 ranks for a run, and mpirun without MPI support", test_refusals},
        {NULL, NULL},
    };
    return rf_test_main("mpi", cases, argc, argv);
}
