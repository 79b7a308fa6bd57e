/* Sweeps end to end (SPEC 6), through the regfitc program: the grid and
 * its seeds, results.csv's header and rows, each point bit-identical to the
 * single run with the same --set and --seed, one compile for the whole
 * sweep (one per shape when a shape is swept), identical results whatever
 * --jobs is, a rerun that trains nothing, a sweep killed at random moments
 * and rerun ending as one never interrupted, the plots, and every bad
 * input refused before anything trains. */
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

/* The d2l weight-decay experiment, shrunk to run in milliseconds. */
static const char wd_yaml[] =
    "name: wd\n"
    "input: 50\n"
    "batch: 1\n"
    "layers: [dense: 1]\n"
    "loss: squared\n"
    "optimizer: {sgd: {lr: 0.003}}\n"
    "decay: [{params: dense1.weight, l2: 0}]\n"
    "train: {epochs: 20, seed: 5}\n"
    "data: {synthetic_linear: {n_train: 20, n_test: 50, w: 0.01, b: 0.05, noise: 0.01}}\n";

static char model[4096];

static const char *tmp_path(const char *name)
{
    static char path[4][4096];
    static int k;
    k = (k + 1) % 4;
    snprintf(path[k], sizeof path[k], "%s/%s", rf_test_tmpdir(), name);
    return path[k];
}

static char *read_text(const char *fmt, const char *a, const char *b)
{
    char path[8192];
    snprintf(path, sizeof path, fmt, a, b);
    return rf_test_read_file(path, NULL);
}

static rf_run_result sweep(const char *runs, const char *extra)
{
    char args[8192];
    snprintf(args, sizeof args, "%s --quiet --runs %s %s", model, tmp_path(runs), extra);
    return rf_test_regfitc(args);
}

static int count_lines(const char *text, const char *prefix)
{
    int n = 0;
    size_t len = strlen(prefix);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        n += strncmp(p, prefix, len) == 0;
    return n;
}

/* results.csv with the seconds column (the one before dir, the last but one) emptied. */
static char *results_without_seconds(const char *runs)
{
    char *csv = read_text("%s/%s/wd-sweep/results.csv", rf_test_tmpdir(), runs);
    if (!csv)
        return NULL;
    char *w = csv;
    for (char *line = csv; *line;) {
        char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        char *last = NULL, *before = NULL;
        for (size_t i = 0; i < n; i++)
            if (line[i] == ',') {
                before = last;
                last = line + i;
            }
        size_t keep = before ? (size_t)(before - line) + 1 : n;
        memmove(w, line, keep);
        w += keep;
        if (last) {
            memmove(w, last, (size_t)(line + n - last));
            w += line + n - last;
        }
        *w++ = '\n';
        line += n + (end ? 1 : 0);
    }
    *w = '\0';
    return csv;
}

static void test_grid_seeds_and_results(void)
{
    snprintf(model, sizeof model, "%s", rf_test_write("wd.yaml", wd_yaml));
    rf_run_result r = sweep("grid", "--sweep decay.0.l2=0,3 --sweep optimizer.sgd.lr=0.003,0.001 --seeds 2");
    CU_ASSERT_EQUAL_FATAL(r.status, 0);
    /* 2 x 2 x 2 points, one line each, then the table */
    CU_ASSERT_EQUAL(count_lines(r.out, "point "), 8);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "point 1/8: decay.0.l2=0, optimizer.sgd.lr=0.003, seed 5: test loss "));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, ": decay.0.l2=3, optimizer.sgd.lr=0.001, seed 6: test loss "));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "\ndecay.0.l2  optimizer.sgd.lr  seed  epochs  train_loss"));
    char *csv = read_text("%s/%s/wd-sweep/results.csv", rf_test_tmpdir(), "grid");
    CU_ASSERT_PTR_NOT_NULL_FATAL(csv);
    static const char header[] = "decay.0.l2,optimizer.sgd.lr,seed,epochs,train_loss,test_loss,train_acc,test_acc,"
                                 "valid_loss,valid_acc,norm:dense1.weight,norm:dense1.bias,seconds,dir\n";
    CU_ASSERT_EQUAL(strncmp(csv, header, sizeof header - 1), 0);
    CU_ASSERT_EQUAL(count_lines(csv, ""), 9);
    /* the grid's order: the first key slowest, the seeds fastest */
    const char *rows[8] = {"0,0.003,5,20,", "0,0.003,6,20,", "0,0.001,5,20,", "0,0.001,6,20,",
                           "3,0.003,5,20,", "3,0.003,6,20,", "3,0.001,5,20,", "3,0.001,6,20,"};
    const char *line = strchr(csv, '\n') + 1;
    for (int i = 0; i < 8; i++) {
        CU_ASSERT_EQUAL(strncmp(line, rows[i], strlen(rows[i])), 0);
        line = strchr(line, '\n') + 1;
    }
    /* decay shrinks the weights: every l2 = 3 norm is below every l2 = 0 norm */
    double n0 = INFINITY, n3 = 0;
    line = strchr(csv, '\n') + 1;
    for (int i = 0; i < 8; i++) {
        double f[12];
        char *p = (char *)line;
        for (int k = 0; k < 12; k++) {
            f[k] = strtod(p, &p);
            p++; /* the comma (empty cells read as 0: not used here) */
        }
        if (i < 4)
            n0 = f[10] < n0 ? f[10] : n0;
        else
            n3 = f[10] > n3 ? f[10] : n3;
        line = strchr(line, '\n') + 1;
    }
    CU_ASSERT(n3 < n0);
    /* the point folders are normal run folders */
    char *ckpt = read_text("%s/%s/wd-sweep/decay.0.l2=3_optimizer.sgd.lr=0.001_seed=6/model.ckpt", rf_test_tmpdir(),
                           "grid");
    CU_ASSERT_PTR_NOT_NULL(ckpt);
    free(ckpt);
    char *svg = read_text("%s/%s/wd-sweep/curve.svg", rf_test_tmpdir(), "grid");
    CU_ASSERT_PTR_NOT_NULL_FATAL(svg);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "<svg"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "decay.0.l2"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "</svg>"));
    free(svg);
    svg = read_text("%s/%s/wd-sweep/curves.svg", rf_test_tmpdir(), "grid");
    CU_ASSERT_PTR_NOT_NULL_FATAL(svg);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "</svg>"));
    free(svg);
    free(csv);
}

static int same_bytes(const char *a, const char *b)
{
    size_t la, lb;
    char *x = rf_test_read_file(a, &la), *y = rf_test_read_file(b, &lb);
    int same = x && y && la == lb && memcmp(x, y, la) == 0;
    if (!same)
        fprintf(stderr, "\n  %s and %s differ\n", a, b);
    free(x);
    free(y);
    return same;
}

static void test_point_equals_single_run(void)
{
    char args[8192], a[4096], b[4096];
    snprintf(args, sizeof args, "%s --quiet --runs %s --set decay.0.l2=3 --set optimizer.sgd.lr=0.001 --seed 6",
             model, tmp_path("single"));
    rf_run_result r = rf_test_regfitc(args);
    CU_ASSERT_EQUAL_FATAL(r.status, 0);
    snprintf(a, sizeof a, "%s/single/wd/model.ckpt", rf_test_tmpdir());
    snprintf(b, sizeof b, "%s/grid/wd-sweep/decay.0.l2=3_optimizer.sgd.lr=0.001_seed=6/model.ckpt", rf_test_tmpdir());
    CU_ASSERT_TRUE(same_bytes(a, b));
    snprintf(a, sizeof a, "%s/single/wd/model.id", rf_test_tmpdir());
    snprintf(b, sizeof b, "%s/grid/wd-sweep/decay.0.l2=3_optimizer.sgd.lr=0.001_seed=6/model.id", rf_test_tmpdir());
    CU_ASSERT_TRUE(same_bytes(a, b));
}

static void test_compiles_once(void)
{
    char args[8192];
    setenv("REGFIT_CACHE", tmp_path("cache"), 1);
    snprintf(args, sizeof args, "%s --runs %s --sweep decay.0.l2=0,0.1,1 --seeds 2 --jobs 2", model,
             tmp_path("once"));
    rf_run_result r = rf_test_regfitc(args);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT_EQUAL(count_lines(r.err, "regfitc: compiled wd into "), 1);
    /* a swept shape: once per distinct shape */
    snprintf(args, sizeof args, "%s --runs %s --sweep 'layers.0.dense={units: 1}' --sweep train.epochs=2,3 "
             "--set 'layers=[{dense: 4}, tanh, {dense: 1}]' --sweep layers.0.dense=4,8", model, tmp_path("shape"));
    r = rf_test_regfitc(args);
    CU_ASSERT_EQUAL(r.status, 2); /* layers.0.dense swept twice */
    snprintf(args, sizeof args, "%s --runs %s --set 'layers=[{dense: 4}, tanh, {dense: 1}]' "
             "--set decay.0.params=dense2.weight --sweep layers.0.dense=4,8,16 --sweep train.epochs=2,3",
             model, tmp_path("shape"));
    r = rf_test_regfitc(args);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT_EQUAL(count_lines(r.out, "point "), 6);
    CU_ASSERT_EQUAL(count_lines(r.err, "regfitc: compiled wd into "), 3);
    unsetenv("REGFIT_CACHE");
}

static void test_jobs_do_not_change_results(void)
{
    rf_run_result r = sweep("jobs1", "--sweep decay.0.l2=0,0.1,1,3 --seeds 3 --jobs 1");
    CU_ASSERT_EQUAL_FATAL(r.status, 0);
    r = sweep("jobs2", "--sweep decay.0.l2=0,0.1,1,3 --seeds 3 --jobs 2");
    CU_ASSERT_EQUAL_FATAL(r.status, 0);
    r = sweep("jobs4", "--sweep decay.0.l2=0,0.1,1,3 --seeds 3 --jobs 4 --threads 1");
    CU_ASSERT_EQUAL_FATAL(r.status, 0);
    char *a = results_without_seconds("jobs1"), *b = results_without_seconds("jobs2"),
         *c = results_without_seconds("jobs4");
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_STRING_EQUAL(a, b);
    CU_ASSERT_STRING_EQUAL(a, c);
    free(a);
    free(b);
    free(c);
}

static void test_rerun_skips_finished_points(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/jobs2/wd-sweep/decay.0.l2=1_seed=6/model.ckpt", rf_test_tmpdir());
    struct stat st0, st1;
    CU_ASSERT_EQUAL_FATAL(stat(path, &st0), 0);
    char *before = read_text("%s/%s/wd-sweep/results.csv", rf_test_tmpdir(), "jobs2");
    rf_run_result r = sweep("jobs2", "--sweep decay.0.l2=0,0.1,1,3 --seeds 3 --jobs 2");
    CU_ASSERT_EQUAL_FATAL(r.status, 0);
    CU_ASSERT_EQUAL(count_lines(r.out, "point "), 12);
    CU_ASSERT_EQUAL(count_lines(r.out, "point ") - (int)0, 12);
    const char *p = r.out;
    int done_before = 0;
    while ((p = strstr(p, " (done before)\n")))
        done_before++, p++;
    CU_ASSERT_EQUAL(done_before, 12);
    char *after = read_text("%s/%s/wd-sweep/results.csv", rf_test_tmpdir(), "jobs2");
    CU_ASSERT_PTR_NOT_NULL_FATAL(after);
    CU_ASSERT_STRING_EQUAL(before, after);
    CU_ASSERT_EQUAL(stat(path, &st1), 0);
    CU_ASSERT_TRUE(st0.st_mtim.tv_sec == st1.st_mtim.tv_sec && st0.st_mtim.tv_nsec == st1.st_mtim.tv_nsec);
    /* more epochs: the points continue from their checkpoints */
    r = sweep("jobs2", "--sweep decay.0.l2=0,0.1,1,3 --seeds 3 --jobs 2 --set train.epochs=25");
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT_PTR_NULL(strstr(r.out, "(done before)"));
    char *log = read_text("%s/%s/wd-sweep/decay.0.l2=1_seed=6/log.txt", rf_test_tmpdir(), "jobs2");
    CU_ASSERT_PTR_NOT_NULL_FATAL(log);
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "epoch 21, "));
    CU_ASSERT_PTR_NULL(strstr(log, "epoch 20, "));
    free(log);
    free(before);
    free(after);
}

static void test_killed_and_rerun_ends_the_same(void)
{
    /* longer runs, so that kills land in the middle of points: the sweep must take well
     * over the kills' 120 ms (with 400 epochs a warm sweep could finish between two kills) */
    char text[sizeof wd_yaml + 64];
    snprintf(text, sizeof text, "%s", wd_yaml);
    char *e = strstr(text, "epochs: 20");
    memmove(e + 12, e + 10, strlen(e + 10) + 1);
    memcpy(e, "epochs: 2000", 12);
    char killme[4096];
    snprintf(killme, sizeof killme, "%s", rf_test_write("killsweep.yaml", text));
    snprintf(model, sizeof model, "%s", killme);
    const char *grid = "--sweep decay.0.l2=0,0.01,0.1,1 --seeds 2 --jobs 2";
    rf_run_result r = sweep("kref", grid);
    CU_ASSERT_EQUAL_FATAL(r.status, 0);
    char *ref = results_without_seconds("kref");
    srand(99);
    int kills = 0;
    for (int round = 0; round < 30; round++) {
        pid_t pid = fork();
        if (pid == 0) {
            if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
                _exit(127);
            execl(rf_test_regfitc_exe(), "regfitc", killme, "--quiet", "--runs", tmp_path("killed"), "--sweep",
                  "decay.0.l2=0,0.01,0.1,1", "--seeds", "2", "--jobs", "2", (char *)NULL);
            _exit(127);
        }
        long ns = (rand() % 120) * 1000000L;
        struct timespec ts = {0, ns};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        kills += WIFSIGNALED(status);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
            break;
    }
    fprintf(stderr, "\n    %d kills before a round finished ", kills);
    CU_ASSERT(kills >= 3);
    r = sweep("killed", grid);
    CU_ASSERT_EQUAL_FATAL(r.status, 0);
    char *got = results_without_seconds("killed");
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    CU_ASSERT_STRING_EQUAL(ref, got);
    free(ref);
    free(got);
    snprintf(model, sizeof model, "%s", tmp_path("wd.yaml"));
}

static void test_a_failed_point(void)
{
    /* lr 1000 diverges: that point fails, the others finish and are in results.csv, exit 1 */
    rf_run_result r = sweep("failing", "--sweep optimizer.sgd.lr=0.003,1000,0.001");
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "regfitc: error: point 2/3 (optimizer.sgd.lr=1000, seed 5) failed (exit 1); "
                                         "its report is in "));
    CU_ASSERT_EQUAL(count_lines(r.out, "point "), 2);
    char *csv = read_text("%s/%s/wd-sweep/results.csv", rf_test_tmpdir(), "failing");
    CU_ASSERT_PTR_NOT_NULL_FATAL(csv);
    CU_ASSERT_EQUAL(count_lines(csv, ""), 3);
    CU_ASSERT_PTR_NULL(strstr(csv, "\n1000,"));
    free(csv);
    char *log = read_text("%s/%s/wd-sweep/optimizer.sgd.lr=1000_seed=5/log.txt", rf_test_tmpdir(), "failing");
    CU_ASSERT_PTR_NOT_NULL_FATAL(log);
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "training diverged"));
    free(log);
}

/* A bad sweep: exit 2, the message, and nothing trained or created. */
static void expect_refusal(const char *extra, const char *says)
{
    char args[8192];
    snprintf(args, sizeof args, "%s --quiet --runs %s %s", model, tmp_path("bad"), extra);
    rf_run_result r = rf_test_regfitc(args);
    if (r.status != 2 || !strstr(r.err, says))
        fprintf(stderr, "\n  regfitc ... %s: exit %d, stderr: %s(wanted '%s')\n", extra, r.status, r.err, says);
    CU_ASSERT_EQUAL(r.status, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, says));
    CU_ASSERT_PTR_NULL(strstr(r.out, "point "));
    CU_ASSERT_NOT_EQUAL(access(tmp_path("bad"), F_OK), 0);
}

static void test_bad_sweeps(void)
{
    expect_refusal("--sweep decay.0.l2", "expected KEY=V1,V2,... (no '=')");
    expect_refusal("--sweep =1,2", "the key before '=' is empty");
    expect_refusal("--sweep decay.0.l2=", "(no values after '=')");
    expect_refusal("--sweep decay.0.l2=1,,2", "value 2 of decay.0.l2 is empty");
    expect_refusal("--sweep decay.0.l2=1,2,1", "the value 1 is given twice");
    expect_refusal("--sweep decay.0.l2=1 --sweep decay.0.l2=2", "the key is swept twice");
    expect_refusal("--sweep decay.0.l3=1,2", "unknown key 'l3' in decay group; did you mean 'l2'?");
    expect_refusal("--sweep decay.0.l2=1,-2", "l2 must be at least 0, got -2 (from --set decay.0.l2=-2)");
    expect_refusal("--sweep decay.0.l2=1,-2", "point 2/2 of the sweep (decay.0.l2=-2, seed 5) is not a valid model");
    expect_refusal("--sweep decay.3.l2=1,2", "index 3 is out of range");
    expect_refusal("--sweep optimizer.sgd.lr=0.1,0.10", "the values 0.1 and 0.10 give the same model");
    expect_refusal("--sweep name=a,b", "it cannot be swept");
    expect_refusal("--sweep train.seed=1,2 --seeds 2", "both choose the seeds");
    expect_refusal("--sweep decay.0.l2=1,2 --set decay.0.l2=3", "a key is either swept or set");
    expect_refusal("--sweep decay.0.l2=1,2 --seeds 0", "--seeds takes a whole number from 1");
    expect_refusal("--seeds 3", "--seeds and --jobs go with --sweep");
    expect_refusal("--sweep decay.0.l2=1,2 --resume", "it takes no --resume, --load or --save");
    expect_refusal("--sweep decay.0.l2=1,2 --check", "it does not go with --emit, --emit-inference, --check or --bench");
    expect_refusal("--sweep decay.0.l2=1,2 --epochs 0", "--epochs 0 is for evaluating one checkpoint");
    /* flow values with commas stay whole */
    expect_refusal("--sweep 'decay.0.params=[dense1.weight, dense1.bias],dense1.nothing'", "matches no parameter");
}

int main(int argc, char **argv)
{
    static const rf_test_case cases[] = {
        {"the grid, its seeds, results.csv, the table, the plots", test_grid_seeds_and_results},
        {"a point is bit-identical to the single run", test_point_equals_single_run},
        {"compiled once, or once per swept shape", test_compiles_once},
        {"--jobs 1, 2 and 4 give the same results.csv", test_jobs_do_not_change_results},
        {"a rerun trains nothing; more epochs continue the points", test_rerun_skips_finished_points},
        {"killed at random moments and rerun, the same results", test_killed_and_rerun_ends_the_same},
        {"a failed point: the others finish, exit 1", test_a_failed_point},
        {"bad sweeps are refused before anything trains", test_bad_sweeps},
        {NULL, NULL},
    };
    return rf_test_main("sweep", cases, argc, argv);
}
