/* The training protocol end to end (SPEC 1b, 2 and 4), through the regfitc
 * program: the validation columns and lines, the schedule's lr in them,
 * early stopping on a model built to overfit with the best epoch's
 * parameters restored (checked by evaluating the checkpoint again),
 * --resume bit-identical after --epochs and after SIGKILL at many moments,
 * --load of version 2 checkpoints, an evaluation-only run leaving the run
 * folder alone, and every error that must come before the compile. */
#include "protocol.h"
#include "rftest.h"

#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The d2l weight-decay setting, shrunk: 200 features and 20 training
 * samples overfit within a few epochs, so the validation loss turns up. */
static const char overfit_yaml[] =
    "name: overfit\n"
    "input: 200\n"
    "batch: 1\n"
    "layers: [dense: 1]\n"
    "loss: squared\n"
    "optimizer: {sgd: {lr: 0.003}}\n"
    "train:\n"
    "  epochs: 100\n"
    "  seed: 2\n"
    "  validation: 0.25\n"
    "  early_stopping: {patience: 4}\n"
    "data: {synthetic_linear: {n_train: 40, n_test: 100, w: 0.01, b: 0.05, noise: 0.01}}\n";

/* Everything a resumed run must recover at once: Adam's state and bias
 * correction (updates), dropout masks (forward steps), the split, a warm-up
 * and a cosine schedule, and early stopping with its best epoch. */
static const char resume_yaml[] =
    "name: resumed\n"
    "input: 20\n"
    "batch: 8\n"
    "layers: [{dense: 64}, relu, {dropout: 0.3}, {dense: 64}, tanh, {dense: 1}]\n"
    "loss: squared\n"
    "optimizer: {adam: {lr: 0.01}}\n"
    "decay: [{params: \"*.weight\", l2: 0.0001}]\n"
    "train:\n"
    "  epochs: 40\n"
    "  seed: 3\n"
    "  validation: 0.2\n"
    "  schedule: {cosine: {min_lr: 0.0005}}\n"
    "  warmup_epochs: 2\n"
    "  early_stopping: {patience: 10, min_delta: 0.00001}\n"
    "data: {synthetic_linear: {n_train: 2000, n_test: 200, w: 0.05, b: 0.05, noise: 0.3}}\n";

static const char *tmp_path(const char *name)
{
    static char path[4][4096];
    static int k;
    k = (k + 1) % 4;
    snprintf(path[k], sizeof path[k], "%s/%s", rf_test_tmpdir(), name);
    return path[k];
}

static char *read_in(const char *runs, const char *name, const char *file, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/%s/%s", rf_test_tmpdir(), runs, name, file);
    return rf_test_read_file(path, len);
}

/* Column k (0-based) of every line emptied: metrics.csv without its seconds. */
static void blank_column(char *csv, int k)
{
    char *w = csv;
    int col = 0;
    for (char *p = csv; *p; p++) {
        if (*p == '\n')
            col = 0;
        else if (*p == ',')
            col++;
        else if (col == k)
            continue;
        *w++ = *p;
    }
    *w = '\0';
}

static char *metrics_without_seconds(const char *runs, const char *name)
{
    char *csv = read_in(runs, name, "metrics.csv", NULL);
    if (csv)
        blank_column(csv, 5);
    return csv;
}

/* The row of metrics.csv for epoch e, as numbers (NaN for empty cells). */
static int metrics_row(const char *csv, int e, double v[9])
{
    const char *line = strchr(csv, '\n');
    for (int i = 1; line && i < e; i++)
        line = strchr(line + 1, '\n');
    if (!line || !line[1])
        return -1;
    line++;
    for (int k = 0; k < 9; k++) {
        char *end;
        v[k] = strtod(line, &end);
        if (end == line)
            v[k] = NAN;
        line = strchr(end, ',');
        if (!line && k < 8)
            return -1;
        if (line)
            line++;
    }
    return 0;
}

static int count_lines(const char *text, const char *prefix)
{
    int n = 0;
    size_t len = strlen(prefix);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        n += strncmp(p, prefix, len) == 0;
    return n;
}

static int same_file(const char *runs_a, const char *runs_b, const char *name, const char *file)
{
    size_t la, lb;
    char *a = read_in(runs_a, name, file, &la), *b = read_in(runs_b, name, file, &lb);
    int same = a && b && la == lb && memcmp(a, b, la) == 0;
    if (!same)
        fprintf(stderr, "\n  %s/%s/%s and %s/%s/%s differ\n", runs_a, name, file, runs_b, name, file);
    free(a);
    free(b);
    return same;
}

static rf_run_result run(const char *fmt, const char *a, const char *b)
{
    char args[8192];
    snprintf(args, sizeof args, fmt, a, b);
    return rf_test_regfitc(args);
}

/* ---- validation, schedule, early stopping ---- */

static void test_early_stopping_restores_the_best_epoch(void)
{
    const char *model = rf_test_write("overfit.yaml", overfit_yaml);
    rf_run_result r = run("%s --quiet --runs %s", model, tmp_path("es"));
    CU_ASSERT_EQUAL_FATAL(r.status, 0);
    /* the epoch lines carry the validation loss; no lr (constant schedule) */
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "epoch 1, train loss "));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, ", valid loss "));
    CU_ASSERT_PTR_NULL(strstr(r.out, ", lr "));
    int stop = 0, best = 0;
    const char *line = strstr(r.out, "early stopping at epoch ");
    CU_ASSERT_PTR_NOT_NULL_FATAL(line);
    CU_ASSERT_EQUAL_FATAL(sscanf(line, "early stopping at epoch %d, best epoch %d", &stop, &best), 2);
    CU_ASSERT_EQUAL(stop - best, 4); /* patience */
    CU_ASSERT(stop < 100);
    CU_ASSERT_EQUAL(count_lines(r.out, "epoch "), stop);
    char *csv = read_in("es", "overfit", "metrics.csv", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(csv);
    static const char header[] = "epoch,train_loss,test_loss,train_acc,test_acc,seconds,valid_loss,valid_acc,lr\n";
    CU_ASSERT_EQUAL(strncmp(csv, header, sizeof header - 1), 0);
    /* the best epoch has the least validation loss of all; the later ones
     * are no better; lr filled, valid_acc empty (squared loss) */
    double v[9], b[9];
    CU_ASSERT_EQUAL_FATAL(metrics_row(csv, best, b), 0);
    for (int e = 1; e <= stop; e++) {
        CU_ASSERT_EQUAL_FATAL(metrics_row(csv, e, v), 0);
        CU_ASSERT(v[6] >= b[6]);
        CU_ASSERT(isnan(v[7]));
        CU_ASSERT_EQUAL(v[8], 0.003);
    }
    CU_ASSERT_NOT_EQUAL(metrics_row(csv, stop + 1, v), 0);
    /* model.ckpt holds the best epoch: evaluated again, its losses are that row's */
    char ckpt[4096];
    snprintf(ckpt, sizeof ckpt, "%s/overfit/model.ckpt", tmp_path("es"));
    r = run("%s --quiet --epochs 0 --load %s", model, ckpt);
    CU_ASSERT_EQUAL_FATAL(r.status, 0);
    double train, test, valid;
    CU_ASSERT_EQUAL_FATAL(sscanf(r.out, "evaluation, train loss %lf, test loss %lf, valid loss %lf", &train, &test,
                                 &valid), 3);
    CU_ASSERT_DOUBLE_EQUAL(train, b[1], 1e-6 + 1e-6 * b[1]);
    CU_ASSERT_DOUBLE_EQUAL(test, b[2], 1e-6 + 1e-6 * b[2]);
    CU_ASSERT_DOUBLE_EQUAL(valid, b[6], 1e-6 + 1e-6 * b[6]);
    /* loss.svg shows the validation curve, and no accuracy panel (squared loss) */
    char *svg = read_in("es", "overfit", "loss.svg", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(svg);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">validation<"));
    CU_ASSERT_PTR_NULL(strstr(svg, ">accuracy<"));
    free(svg);
    free(csv);
}

/* Writes a CSV regression set of n samples (3 features, 1 target); the
 * rows listed in `spoil` get absurd values. */
static const char *write_csv(const char *name, int n, const int *spoil, int n_spoil)
{
    char *text = malloc((size_t)n * 80 + 1), *p = text;
    for (int i = 0; i < n; i++) {
        int bad = 0;
        for (int k = 0; k < n_spoil; k++)
            bad |= spoil[k] == i;
        double x0 = sin(i), x1 = cos(3.0 * i), x2 = (i % 7) / 7.0;
        double y = bad ? 1e4 : 0.5 * x0 - 0.25 * x1 + x2;
        p += sprintf(p, "%.6f,%.6f,%.6f,%.6f\n", bad ? 1e3 : x0, x1, x2, y);
    }
    const char *path = rf_test_write(name, text);
    free(text);
    return path;
}

static void test_validation_samples_never_train(void)
{
    enum { N = 40 };
    int train[N], valid[N], n_train, n_valid;
    rf_split(N, 0.25, 9, train, &n_train, valid, &n_valid);
    CU_ASSERT_EQUAL_FATAL(n_valid, 10);
    write_csv("clean.csv", N, NULL, 0);
    write_csv("spoilt.csv", N, valid, n_valid);
    write_csv("test.csv", 20, NULL, 0);
    const char *head = "input: 3\nbatch: 4\nlayers: [{dense: 8}, tanh, {dense: 1}]\nloss: squared\n"
                       "optimizer: {sgd: {lr: 0.05, momentum: 0.9}}\n"
                       "train: {epochs: 6, seed: 9, validation: 0.25}\n";
    char text[1024];
    snprintf(text, sizeof text, "name: clean\n%sdata: {csv: {train: clean.csv, test: test.csv}}\n", head);
    char clean[4096], spoilt[4096];
    snprintf(clean, sizeof clean, "%s", rf_test_write("clean.yaml", text));
    snprintf(text, sizeof text, "name: clean\n%sdata: {csv: {train: spoilt.csv, test: test.csv}}\n", head);
    snprintf(spoilt, sizeof spoilt, "%s", rf_test_write("spoilt.yaml", text));
    rf_run_result r = run("%s --quiet --runs %s", clean, tmp_path("clean"));
    CU_ASSERT_EQUAL_FATAL(r.status, 0);
    char *clean_out = strdup(r.out);
    r = run("%s --quiet --runs %s", spoilt, tmp_path("spoilt"));
    CU_ASSERT_EQUAL_FATAL(r.status, 0);
    /* the held-out rows changed only the validation loss: the same norms,
     * train and test losses; a far larger validation loss */
    CU_ASSERT_STRING_EQUAL(strstr(r.out, "L2 norm of"), strstr(clean_out, "L2 norm of"));
    double v_clean[9], v_spoilt[9];
    char *a = read_in("clean", "clean", "metrics.csv", NULL), *b = read_in("spoilt", "clean", "metrics.csv", NULL);
    for (int e = 1; e <= 6; e++) {
        CU_ASSERT_EQUAL_FATAL(metrics_row(a, e, v_clean), 0);
        CU_ASSERT_EQUAL_FATAL(metrics_row(b, e, v_spoilt), 0);
        CU_ASSERT_EQUAL(v_clean[1], v_spoilt[1]);
        CU_ASSERT_EQUAL(v_clean[2], v_spoilt[2]);
        CU_ASSERT(v_spoilt[6] > 1000 * v_clean[6]);
    }
    /* and a spoilt row that is not held out does train */
    int one = train[0];
    write_csv("spoilt.csv", N, &one, 1);
    r = run("%s --quiet --runs %s", spoilt, tmp_path("spoilt"));
    CU_ASSERT_NOT_EQUAL(r.status == 0 ? strcmp(strstr(r.out, "L2 norm of"), strstr(clean_out, "L2 norm of")) : 1, 0);
    free(a);
    free(b);
    free(clean_out);
}

static void test_schedule_in_lines_and_metrics(void)
{
    char text[sizeof resume_yaml + 256];
    snprintf(text, sizeof text, "%s", resume_yaml);
    char *es = strstr(text, "  early_stopping:");
    char *nl = strchr(es, '\n');
    memmove(es, nl + 1, strlen(nl + 1) + 1);
    const char *model = rf_test_write("sched.yaml", text);
    rf_run_result r = run("%s --quiet --epochs 5 --runs %s", model, tmp_path("sched"));
    CU_ASSERT_EQUAL_FATAL(r.status, 0);
    /* warm-up 2 then cosine over 38 epochs: lr 0.005, 0.01, 0.01, then down */
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "epoch 1, train loss "));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, ", lr 0.005\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "epoch 2, "));
    CU_ASSERT_EQUAL(count_lines(r.out, "epoch "), 5);
    CU_ASSERT_PTR_NULL(strstr(r.out, "early stopping"));
    char *csv = read_in("sched", "resumed", "metrics.csv", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(csv);
    double v[9];
    const double pi = 3.14159265358979323846;
    for (int e = 1; e <= 5; e++) {
        CU_ASSERT_EQUAL_FATAL(metrics_row(csv, e, v), 0);
        double want = e <= 2 ? 0.01 * e / 2 : 0.0005 + (0.01 - 0.0005) * (1 + cos(pi * (e - 3) / 38.0)) / 2;
        CU_ASSERT_DOUBLE_EQUAL(v[8], want, 1e-9 * want);
        CU_ASSERT(isfinite(v[6]));
    }
    free(csv);
}

/* ---- --resume ---- */

static void test_resume_after_epochs_is_bit_identical(void)
{
    const char *model = rf_test_write("resumed.yaml", resume_yaml);
    rf_run_result r = run("%s --quiet --threads 1 --runs %s", model, tmp_path("ref"));
    CU_ASSERT_EQUAL_FATAL(r.status, 0);
    char *ref_out = strdup(r.out);
    /* stopped by --epochs at 3, resumed to 7, resumed to the end */
    r = run("%s --quiet --epochs 3 --runs %s", model, tmp_path("cut"));
    CU_ASSERT_EQUAL_FATAL(r.status, 0);
    /* another model may not continue it: model.id names the difference */
    char args[8400];
    snprintf(args, sizeof args, "%s --quiet --resume --runs %s --set optimizer.adam.lr=0.02", model, tmp_path("cut"));
    r = rf_test_regfitc(args);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "was trained with another model ('optimizer: adam lr 0.02 "));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "' was 'optimizer: adam lr 0.01 "));
    /* nor a schedule that derives from train.epochs (cosine's T) */
    snprintf(args, sizeof args, "%s --quiet --resume --runs %s --set train.epochs=60", model, tmp_path("cut"));
    r = rf_test_regfitc(args);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "over 58 epochs"));
    r = run("%s --quiet --resume --epochs 7 --runs %s", model, tmp_path("cut"));
    CU_ASSERT_EQUAL_FATAL(r.status, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "epoch 4, "));
    CU_ASSERT_PTR_NULL(strstr(r.out, "epoch 3, "));
    r = run("%s --quiet --resume --runs %s", model, tmp_path("cut"));
    CU_ASSERT_EQUAL_FATAL(r.status, 0);
    CU_ASSERT_TRUE(same_file("ref", "cut", "resumed", "model.ckpt"));
    char *a = metrics_without_seconds("ref", "resumed"), *b = metrics_without_seconds("cut", "resumed");
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_STRING_EQUAL(a, b);
    /* the report ends the same: the stop line (if any) and the norms */
    const char *tail_ref = strstr(ref_out, "L2 norm of"), *tail = strstr(r.out, "L2 norm of");
    CU_ASSERT_PTR_NOT_NULL_FATAL(tail);
    CU_ASSERT_STRING_EQUAL(tail, tail_ref);
    /* a finished run resumed again trains nothing and changes nothing */
    r = run("%s --resume --runs %s", model, tmp_path("cut"));
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "nothing left to train"));
    CU_ASSERT_PTR_NULL(strstr(r.out, "epoch "));
    CU_ASSERT_TRUE(same_file("ref", "cut", "resumed", "model.ckpt"));
    free(a);
    free(b);
    free(ref_out);
}

static pid_t start(const char *model, const char *runs, int resume)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
            _exit(127);
        execl(rf_test_regfitc_exe(), "regfitc", model, "--quiet", "--threads", "1", "--runs", runs,
              resume ? "--resume" : "--quiet", (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* Epochs in a run folder's metrics.csv so far. */
static int epochs_done(const char *runs_name)
{
    char *csv = read_in(runs_name, "resumed", "metrics.csv", NULL);
    int n = csv ? count_lines(csv, "") - 1 : 0;
    free(csv);
    return n < 0 ? 0 : n;
}

/* Mean seconds of an epoch of the reference run (metrics.csv's column). */
static double epoch_seconds(void)
{
    char *csv = read_in("ref", "resumed", "metrics.csv", NULL);
    double v[9], sum = 0;
    int n = 0;
    while (csv && metrics_row(csv, n + 1, v) == 0) {
        sum += v[5];
        n++;
    }
    free(csv);
    return n ? sum / n : 0.01;
}

static void test_resume_after_sigkill_is_bit_identical(void)
{
    /* needs the reference run of the case before */
    const char *model = tmp_path("resumed.yaml");
    const char *runs = tmp_path("killed");
    char ckpt[4200];
    snprintf(ckpt, sizeof ckpt, "%s/resumed/model.ckpt", runs);
    /* Each round starts the run (resuming once there is a checkpoint), waits
     * until one more epoch is in metrics.csv, then kills it at a
     * random moment of the next epoch: mid-batch, mid-evaluation, or while
     * the files are written. */
    double epoch_s = epoch_seconds();
    srand(4242);
    int kills = 0, resumes = 0, finished_alone = 0;
    for (int round = 0; round < 60 && !finished_alone; round++) {
        int resume = access(ckpt, F_OK) == 0;
        int target = epochs_done("killed") + 1;
        pid_t pid = start(model, runs, resume);
        int status = 0, exited = 0;
        struct timespec ms = {0, 1000000L};
        for (int wait_ms = 0; wait_ms < 20000 && !exited && epochs_done("killed") < target; wait_ms++) {
            nanosleep(&ms, NULL);
            exited = waitpid(pid, &status, WNOHANG) == pid;
        }
        if (!exited) {
            long ns = (long)(epoch_s * 1e9 * (rand() / (RAND_MAX + 1.0)));
            struct timespec ts = {ns / 1000000000L, ns % 1000000000L};
            nanosleep(&ts, NULL);
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
        }
        kills += WIFSIGNALED(status);
        resumes += resume;
        finished_alone = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    CU_ASSERT(kills >= 5);
    CU_ASSERT(resumes >= 5);
    /* then to the end without interruption (nothing left, if the last round finished) */
    rf_run_result r = run("%s --quiet --resume --runs %s", model, runs);
    if (r.status != 0)
        fprintf(stderr, "\nthe last --resume: exit %d, stderr: %s\n", r.status, r.err);
    CU_ASSERT_EQUAL_FATAL(r.status, 0);
    CU_ASSERT_TRUE(same_file("ref", "killed", "resumed", "model.ckpt"));
    char *a = metrics_without_seconds("ref", "resumed"), *b = metrics_without_seconds("killed", "resumed");
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_STRING_EQUAL(a, b);
    free(a);
    free(b);
}

static void test_load_takes_state_and_epochs_restart(void)
{
    /* --load of a version 2 checkpoint starts at epoch 1 from its
     * parameters (and Adam state): the run is not the uninterrupted one */
    const char *model = tmp_path("resumed.yaml");
    char ckpt[4200];
    snprintf(ckpt, sizeof ckpt, "%s/resumed/model.ckpt", tmp_path("ref"));
    rf_run_result r = run("%s --quiet --epochs 2 --load %s --runs /dev/null/x", model, ckpt);
    CU_ASSERT_EQUAL(r.status, 1); /* the runs folder cannot be made: found before training */
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "/dev/null"));
    CU_ASSERT_PTR_NULL(strstr(r.out, "epoch 1"));
    char args[8400];
    snprintf(args, sizeof args, "%s --quiet --epochs 2 --load %s --runs %s", model, ckpt, tmp_path("loaded"));
    r = rf_test_regfitc(args);
    CU_ASSERT_EQUAL_FATAL(r.status, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "epoch 1, "));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "epoch 2, "));
}

/* ---- the run folder of an evaluation ---- */

static void test_evaluation_leaves_the_run_folder(void)
{
    const char *model = tmp_path("resumed.yaml");
    const char *runs = tmp_path("ref");
    char ckpt[4200];
    snprintf(ckpt, sizeof ckpt, "%s/resumed/model.ckpt", runs);
    size_t before_len;
    char *before = read_in("ref", "resumed", "metrics.csv", &before_len);
    char *svg = read_in("ref", "resumed", "loss.svg", NULL);
    struct stat st0, st1;
    CU_ASSERT_EQUAL_FATAL(stat(ckpt, &st0), 0);
    char args[8400];
    snprintf(args, sizeof args, "%s --quiet --epochs 0 --load %s --runs %s", model, ckpt, runs);
    rf_run_result r = rf_test_regfitc(args);
    CU_ASSERT_EQUAL_FATAL(r.status, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "evaluation, train loss "));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, ", valid loss "));
    size_t after_len;
    char *after = read_in("ref", "resumed", "metrics.csv", &after_len);
    char *svg_after = read_in("ref", "resumed", "loss.svg", NULL);
    CU_ASSERT_TRUE(after_len == before_len && memcmp(before, after, before_len) == 0);
    CU_ASSERT_STRING_EQUAL(svg, svg_after);
    CU_ASSERT_EQUAL(stat(ckpt, &st1), 0);
    CU_ASSERT_TRUE(st0.st_mtim.tv_sec == st1.st_mtim.tv_sec && st0.st_mtim.tv_nsec == st1.st_mtim.tv_nsec);
    /* and an evaluation of a model never trained creates no folder */
    snprintf(args, sizeof args, "%s --quiet --epochs 0 --runs %s", model, tmp_path("never"));
    r = rf_test_regfitc(args);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT_NOT_EQUAL(access(tmp_path("never"), F_OK), 0);
    free(before);
    free(after);
    free(svg);
    free(svg_after);
}

/* ---- errors before work ---- */

/* Runs regfitc with REGFIT_CACHE at an empty folder, then puts the
 * variable back as it was. */
static rf_run_result run_uncached(const char *args)
{
    const char *old = getenv("REGFIT_CACHE");
    char *saved = old ? strdup(old) : NULL;
    setenv("REGFIT_CACHE", tmp_path("empty-cache"), 1);
    rf_run_result r = rf_test_regfitc(args);
    if (saved)
        setenv("REGFIT_CACHE", saved, 1);
    else
        unsetenv("REGFIT_CACHE");
    free(saved);
    return r;
}

/* An error found before the compile: the exit code, the message, no
 * "compiled" note (REGFIT_CACHE points at an empty cache), no run folder.
 * The cache stays empty of data cache entries too (REGFIT_CACHE/data/):
 * they are written only after all four IDX files have loaded and fit the
 * model, and every case here fails before that or reads CSV, which is
 * never cached. */
static void expect_early(const char *args, int status, const char *says)
{
    char full[8400];
    snprintf(full, sizeof full, "%s --runs %s", args, tmp_path("early-runs"));
    char cache[4200];
    snprintf(cache, sizeof cache, "%s", tmp_path("empty-cache"));
    rf_run_result r = run_uncached(full);
    if (r.status != status || !strstr(r.err, says))
        fprintf(stderr, "\n  regfitc %s: exit %d, stderr: %s(wanted exit %d and '%s')\n", args, r.status, r.err,
                status, says);
    CU_ASSERT_EQUAL(r.status, status);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, says));
    CU_ASSERT_PTR_NULL(strstr(r.err, "compiled"));
    CU_ASSERT_PTR_NULL(strstr(r.out, "epoch"));
    DIR *d = opendir(cache);
    int entries = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        entries += e->d_name[0] != '.';
    if (d)
        closedir(d);
    CU_ASSERT_EQUAL(entries, 0);
    CU_ASSERT_NOT_EQUAL(access(tmp_path("early-runs"), F_OK), 0);
}

static void test_errors_before_the_compile(void)
{
    char args[8400], model[4096], model3[4096], model4[4096];
    snprintf(model, sizeof model, "%s", rf_test_write("early.yaml", "name: early\ninput: 784\nbatch: 8\nlayers: [dense: 10]\n"
                                                    "loss: softmax_cross_entropy\noptimizer: {sgd: {lr: 0.1}}\n"
                                                    "data: fashion-mnist\n"));
    /* a data folder that does not exist */
    snprintf(args, sizeof args, "%s --data %s", model, tmp_path("no-such-data"));
    expect_early(args, 1, "fashion-mnist data not found");
    /* a --load file that is missing, or another model's */
    snprintf(args, sizeof args, "%s --load %s", model, tmp_path("missing.ckpt"));
    expect_early(args, 1, "missing.ckpt: cannot open");
    snprintf(args, sizeof args, "%s --load %s/resumed/model.ckpt", model, tmp_path("ref"));
    expect_early(args, 1, "checkpoint is for another model");
    /* a --save path in a folder that does not exist, or that is a folder */
    snprintf(args, sizeof args, "%s --save %s/no/such/dir/x.ckpt", model, rf_test_tmpdir());
    expect_early(args, 1, "the folder");
    snprintf(args, sizeof args, "%s --save %s", model, rf_test_tmpdir());
    expect_early(args, 1, "it is a folder");
    /* a runs folder that cannot be made */
    rf_test_write("a-file", "x");
    char full[8400];
    snprintf(full, sizeof full, "%s --runs %s/sub", model, tmp_path("a-file"));
    rf_run_result r = run_uncached(full);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "is not a folder"));
    CU_ASSERT_PTR_NULL(strstr(r.err, "compiled"));
    /* --resume of a folder with no run */
    snprintf(args, sizeof args, "%s --resume", model);
    expect_early(args, 1, "nothing to resume");
    /* class labels outside the model's classes: a model-file error at the data key */
    const char *csv = rf_test_write("labels.csv", "1,2,0\n3,4,1\n5,6,2\n");
    (void)csv;
    snprintf(model3, sizeof model3, "%s", rf_test_write("labels.yaml", "name: labels\ninput: 2\nbatch: 2\nlayers: [dense: 2]\n"
                                                      "loss: softmax_cross_entropy\noptimizer: {sgd: {lr: 0.1}}\n"
                                                      "data: {csv: {train: labels.csv, test: labels.csv}}\n"));
    expect_early(model3, 2, "labels.yaml:7:7: error: ");
    expect_early(model3, 2, "class label 2 is out of range (2 classes: 0 to 1)");
    snprintf(args, sizeof args, "--check %s", model3);
    expect_early(args, 2, "class label 2 is out of range");
    /* a validation split that leaves nothing, known only from the data */
    snprintf(model4, sizeof model4, "%s", rf_test_write("split.yaml", "name: split\ninput: 2\nbatch: 2\nlayers: [dense: 3]\n"
                                                     "loss: softmax_cross_entropy\noptimizer: {sgd: {lr: 0.1}}\n"
                                                     "train: {validation: 0.1}\n"
                                                     "data: {csv: {train: labels.csv, test: labels.csv}}\n"));
    expect_early(model4, 2, "split.yaml:7:21: error: validation 0.1 of 3 training samples holds out none");
    /* --check finds the same without being asked to train */
    snprintf(args, sizeof args, "--check %s --data %s", model, tmp_path("no-such-data"));
    expect_early(args, 1, "fashion-mnist data not found");
    snprintf(args, sizeof args, "--check %s --load %s", model, tmp_path("missing.ckpt"));
    expect_early(args, 1, "missing.ckpt");
}

/* ---- --set ---- */

static void test_set_on_the_command_line(void)
{
    char model[4096], args[8400];
    snprintf(model, sizeof model, "%s", rf_test_write("setme.yaml", overfit_yaml));
    /* values of every kind a run reads: counts, fractions, mappings */
    snprintf(args, sizeof args, "%s --quiet --runs %s --set train.epochs=3 --set train.validation=0.5 "
             "--set 'train.early_stopping={patience: 50}' --set 'train.schedule={exponential: {gamma: 0.5}}' "
             "--set optimizer.sgd.lr=0.002", model, tmp_path("set"));
    rf_run_result r = rf_test_regfitc(args);
    CU_ASSERT_EQUAL_FATAL(r.status, 0);
    CU_ASSERT_EQUAL(count_lines(r.out, "epoch "), 3);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, ", valid loss "));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "epoch 1, "));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, ", lr 0.002\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, ", lr 0.0005\n")); /* epoch 3: 0.002 * 0.5^2 */
    /* --epochs wins over --set train.epochs */
    snprintf(args, sizeof args, "%s --quiet --runs %s --set train.epochs=3 --epochs 1", model, tmp_path("set"));
    r = rf_test_regfitc(args);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT_EQUAL(count_lines(r.out, "epoch "), 1);
    /* a bad path: a model-file error with a position and a did-you-mean, before any work */
    snprintf(args, sizeof args, "%s --set optimizer.sgd.lrr=0.1", model);
    expect_early(args, 2, "setme.yaml:6:18: error: unknown key 'lrr' in sgd; did you mean 'lr'?");
    snprintf(args, sizeof args, "%s --set trian.epochs=2", model);
    expect_early(args, 2, "did you mean 'train'?");
    snprintf(args, sizeof args, "%s --set layers.3.dense=2", model);
    expect_early(args, 2, "index 3 is out of range");
    /* a bad value: checked like the file, at the key's position */
    snprintf(args, sizeof args, "%s --set train.validation=1.5", model);
    expect_early(args, 2, "setme.yaml:10:15: error: validation must be in [0, 1), got 1.5 (from --set "
                          "train.validation=1.5)");
    snprintf(args, sizeof args, "%s --set optimizer.sgd.lr", model);
    expect_early(args, 2, "--set optimizer.sgd.lr");
}

int main(int argc, char **argv)
{
    static const rf_test_case cases[] = {
        {"early stopping restores the best epoch", test_early_stopping_restores_the_best_epoch},
        {"validation samples never train", test_validation_samples_never_train},
        {"warm-up and cosine lr in the lines and metrics.csv", test_schedule_in_lines_and_metrics},
        {"--resume after --epochs is bit-identical", test_resume_after_epochs_is_bit_identical},
        {"--resume after SIGKILL at many moments is bit-identical", test_resume_after_sigkill_is_bit_identical},
        {"--load of a version 2 checkpoint restarts the epochs", test_load_takes_state_and_epochs_restart},
        {"--epochs 0 leaves the run folder as it was", test_evaluation_leaves_the_run_folder},
        {"errors found before the compile", test_errors_before_the_compile},
        {"--set on the command line", test_set_on_the_command_line},
        {NULL, NULL},
    };
    return rf_test_main("run protocol", cases, argc, argv);
}
