/* End to end: `regfitc MODEL.yaml` as a user runs it. Real Fashion-MNIST
 * slices through the seed MLP, the d2l weight-decay experiment with its
 * reference ranges, the run files, determinism across thread counts,
 * --save/--load, the failure exits, and the --bench table. */
#include "rfdata.h"
#include "rftest.h"

#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char slice_dir[4096];
static int have_real_data;

/* The seed MLP's shape on a 20000-image slice of the real data. */
static const char *mlp_yaml(const char *name, int batch, int epochs)
{
    static char text[2048];
    snprintf(text, sizeof text,
             "name: %s\n"
             "input: 784\n"
             "batch: %d\n"
             "layers:\n"
             "  - dense: 256\n"
             "  - relu\n"
             "  - dropout: 0.2\n"
             "  - dense: 256\n"
             "  - relu\n"
             "  - dropout: 0.5\n"
             "  - dense: 10\n"
             "loss: softmax_cross_entropy\n"
             "optimizer: {sgd: {lr: 0.5}}\n"
             "train: {epochs: %d, seed: 7}\n"
             "data:\n"
             "  idx:\n"
             "    train_images: slice/train-images-idx3-ubyte\n"
             "    train_labels: slice/train-labels-idx1-ubyte\n"
             "    test_images: slice/t10k-images-idx3-ubyte\n"
             "    test_labels: slice/t10k-labels-idx1-ubyte\n",
             name, batch, epochs);
    return text;
}

static int count_matches(const char *text, const char *pattern)
{
    regex_t re;
    if (regcomp(&re, pattern, REG_EXTENDED | REG_NEWLINE) != 0)
        return -1;
    int n = 0;
    regmatch_t m;
    const char *p = text;
    while (regexec(&re, p, 1, &m, 0) == 0) {
        n++;
        p += m.rm_eo > 0 ? m.rm_eo : 1;
        if (!*p)
            break;
    }
    regfree(&re);
    return n;
}

/* The value after the last occurrence of `key` in text. */
static double last_value(const char *text, const char *key)
{
    const char *p = NULL, *q = text;
    while ((q = strstr(q, key)))
        p = q++;
    return p ? strtod(p + strlen(key), NULL) : NAN;
}

static char *run_file(const char *runs, const char *name, const char *file, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/%s/%s", rf_test_tmpdir(), runs, name, file);
    return rf_test_read_file(path, len);
}

/* metrics.csv without its seconds column (the sixth). */
static void drop_seconds(char *csv)
{
    char *w = csv;
    int col = 0;
    for (char *p = csv; *p; p++) {
        if (*p == '\n')
            col = 0;
        else if (*p == ',' && ++col == 5)
            continue;
        else if (col == 5)
            continue;
        *w++ = *p;
    }
    *w = '\0';
}

static void test_real_slice_trains_and_writes_run_files(void)
{
    if (!have_real_data) {
        CU_FAIL("the real data set is not installed (apt-get install dataset-fashion-mnist)");
        return;
    }
    rf_test_write("e2e_mlp.yaml", mlp_yaml("e2e_mlp", 256, 3));
    char args[4096];
    snprintf(args, sizeof args, "%s/e2e_mlp.yaml --runs %s/runsA --threads 2 --save %s/saved.ckpt", rf_test_tmpdir(),
             rf_test_tmpdir(), rf_test_tmpdir());
    rf_run_result r = rf_test_regfitc(args);
    if (r.status != 0)
        fprintf(stderr, "\n%s\n", r.err);
    CU_ASSERT_EQUAL_FATAL(r.status, 0);
    CU_ASSERT_EQUAL(count_matches(r.out, "^epoch [0-9]+, loss [0-9]+\\.[0-9]{4}, train acc [01]\\.[0-9]{3}, "
                                         "test acc [01]\\.[0-9]{3}$"), 3);
    CU_ASSERT_EQUAL(count_matches(r.out, "^L2 norm of [a-z0-9_]+\\.(weight|bias): [0-9]+\\.[0-9]{6}$"), 6);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "L2 norm of dense1.weight: "));
    /* far above chance (0.1) after 3 epochs (237 steps) on 20000 real images */
    double acc = last_value(r.out, "test acc ");
    CU_ASSERT(acc > 0.6);
    double loss = last_value(r.out, ", loss ");
    CU_ASSERT(loss > 0.2 && loss < 2.3);

    size_t len;
    char *csv = run_file("runsA", "e2e_mlp", "metrics.csv", &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(csv);
    static const char header[] = "epoch,train_loss,test_loss,train_acc,test_acc,seconds,valid_loss,valid_acc,lr\n";
    CU_ASSERT_EQUAL(strncmp(csv, header, sizeof header - 1), 0);
    CU_ASSERT_EQUAL(count_matches(csv, "^[123],[0-9.e+-]+,[0-9.e+-]+,[0-9.]+,[0-9.]+,[0-9.]+,,,0.5$"), 3);
    free(csv);
    char *svg = run_file("runsA", "e2e_mlp", "loss.svg", &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(svg);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "<svg"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "</svg>"));
    /* classification: the loss panel and the accuracy panel; no validation here */
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">loss<"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">accuracy<"));
    CU_ASSERT_PTR_NULL(strstr(svg, ">validation<"));
    free(svg);
    unsigned char *ck = (unsigned char *)run_file("runsA", "e2e_mlp", "model.ckpt", &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ck);
    CU_ASSERT_TRUE(rf_test_ckpt_is_whole(ck, len));
    /* 784*256 + 256 + 256*256 + 256 + 256*10 + 10 floats, 6 names, header, CRC */
    size_t floats = 784 * 256 + 256 + 256 * 256 + 256 + 2560 + 10;
    CU_ASSERT(len > floats * 4 && len < floats * 4 + 200);
    size_t saved_len;
    char path[4096];
    snprintf(path, sizeof path, "%s/saved.ckpt", rf_test_tmpdir());
    unsigned char *saved = (unsigned char *)rf_test_read_file(path, &saved_len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(saved);
    CU_ASSERT(saved_len == len && memcmp(saved, ck, len) == 0);
    free(saved);
    free(ck);
}

static void test_bit_identical_on_one_and_two_threads(void)
{
    if (!have_real_data) {
        CU_FAIL("the real data set is not installed");
        return;
    }
    rf_test_write("e2e_det.yaml", mlp_yaml("e2e_det", 100, 1));
    char args[4096];
    char *csv[2], *ck[2];
    size_t ck_len[2];
    for (int t = 0; t < 2; t++) {
        snprintf(args, sizeof args, "%s/e2e_det.yaml --quiet --runs %s/det%d --threads %d", rf_test_tmpdir(),
                 rf_test_tmpdir(), t + 1, t + 1);
        rf_run_result r = rf_test_regfitc(args);
        CU_ASSERT_EQUAL_FATAL(r.status, 0);
        char runs[32];
        snprintf(runs, sizeof runs, "det%d", t + 1);
        csv[t] = run_file(runs, "e2e_det", "metrics.csv", NULL);
        ck[t] = run_file(runs, "e2e_det", "model.ckpt", &ck_len[t]);
        CU_ASSERT_PTR_NOT_NULL_FATAL(csv[t]);
        CU_ASSERT_PTR_NOT_NULL_FATAL(ck[t]);
        drop_seconds(csv[t]);
    }
    CU_ASSERT_STRING_EQUAL(csv[0], csv[1]);
    CU_ASSERT(ck_len[0] == ck_len[1] && memcmp(ck[0], ck[1], ck_len[0]) == 0);
    for (int t = 0; t < 2; t++) {
        free(csv[t]);
        free(ck[t]);
    }
}

static void test_load_and_evaluate_only(void)
{
    if (!have_real_data) {
        CU_FAIL("the real data set is not installed");
        return;
    }
    /* evaluates the checkpoint saved by the first case: the same test acc */
    char args[4096];
    snprintf(args, sizeof args, "%s/e2e_mlp.yaml --runs %s/runsB --epochs 0 --load %s/saved.ckpt", rf_test_tmpdir(),
             rf_test_tmpdir(), rf_test_tmpdir());
    rf_run_result r = rf_test_regfitc(args);
    CU_ASSERT_EQUAL_FATAL(r.status, 0);
    char *csv_a = run_file("runsA", "e2e_mlp", "metrics.csv", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(csv_a);
    /* the last row of runsA (epoch 3); field 4 is test_acc */
    char *last = strrchr(csv_a, '\n');
    *last = '\0';
    last = strrchr(csv_a, '\n') + 1;
    double f[6];
    CU_ASSERT_EQUAL_FATAL(sscanf(last, "%lf,%lf,%lf,%lf,%lf,%lf", &f[0], &f[1], &f[2], &f[3], &f[4], &f[5]), 6);
    double acc = last_value(r.out, "test acc ");
    CU_ASSERT_DOUBLE_EQUAL(acc, f[4], 0.0015);
    free(csv_a);

    /* a checkpoint of another model is refused, exit 1 */
    rf_test_write("other.yaml", "name: other\ninput: 784\nbatch: 8\nlayers: [{dense: 10}]\n"
                                "loss: softmax_cross_entropy\noptimizer: {sgd: {lr: 0.1}}\ndata: fashion-mnist\n");
    snprintf(args, sizeof args, "%s/other.yaml --runs %s/runsC --epochs 0 --load %s/saved.ckpt", rf_test_tmpdir(),
             rf_test_tmpdir(), rf_test_tmpdir());
    r = rf_test_regfitc(args);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "saved.ckpt"));
}

/* The d2l weight-decay experiment. Reference (PyTorch 1.13, 20 seeds):
 * without decay ||w|| 11.7..14.6, train loss ~1e-13, test loss 67..124;
 * with l2 3, ||w|| 0.023..0.053, test loss 0.007..0.02. */
static void weight_decay_run(const char *model, const char *seed, double *norm, double *train, double *test)
{
    char args[4096];
    snprintf(args, sizeof args, "%s/models/%s --quiet --runs %s/wd %s%s", rf_test_source_dir(), model,
             rf_test_tmpdir(), seed ? "--seed " : "", seed ? seed : "");
    rf_run_result r = rf_test_regfitc(args);
    if (r.status != 0)
        fprintf(stderr, "\n%s\n", r.err);
    CU_ASSERT_EQUAL_FATAL(r.status, 0);
    CU_ASSERT_EQUAL(count_matches(r.out, "^epoch [0-9]+, train loss [0-9.]+, test loss [0-9.]+$"), 100);
    *norm = last_value(r.out, "L2 norm of dense1.weight: ");
    /* the printed losses have 6 decimals; take the precise ones from metrics.csv */
    char *csv = run_file("wd", model[14] == '_' ? "highdim_linreg_wd" : "highdim_linreg", "metrics.csv", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(csv);
    char *last = strrchr(csv, '\n');
    *last = '\0';
    last = strrchr(csv, '\n') + 1;
    int epoch = 0;
    CU_ASSERT_EQUAL(sscanf(last, "%d,%lf,%lf", &epoch, train, test), 3);
    CU_ASSERT_EQUAL(epoch, 100);
    free(csv);
}

static void test_weight_decay_reference_ranges(void)
{
    const char *seeds[] = {NULL, "1", "2"};
    for (int s = 0; s < 3; s++) {
        double norm, train, test;
        weight_decay_run("highdim_linreg.yaml", seeds[s], &norm, &train, &test);
        fprintf(stderr, "\n  no decay, seed %s: |w| %.3f, train %.3g, test %.3g", seeds[s] ? seeds[s] : "file",
                norm, train, test);
        CU_ASSERT(norm >= 11.7 * 0.9 && norm <= 14.6 * 1.1);
        CU_ASSERT(train < 1e-6);
        CU_ASSERT(test > 30 && test < 250);
        weight_decay_run("highdim_linreg_wd.yaml", seeds[s], &norm, &train, &test);
        fprintf(stderr, "\n  l2 3,     seed %s: |w| %.4f, train %.3g, test %.3g", seeds[s] ? seeds[s] : "file",
                norm, train, test);
        CU_ASSERT(norm >= 0.015 && norm <= 0.08);
        CU_ASSERT(test >= 0.003 && test <= 0.04);
    }
    fprintf(stderr, "\n");
}

static const char diverge_yaml[] =
    "name: diverge\ninput: 50\nbatch: 4\nlayers: [{dense: {units: 1, init: {normal: 1}}}]\n"
    "loss: squared\noptimizer: {sgd: {lr: %s}}\ntrain: {epochs: %d}\n"
    "data: {synthetic_linear: {n_train: 40, n_test: 10, w: 0.01, b: 0.05, noise: 0.01}}\n";

static void test_divergence_stops_with_exit_1(void)
{
    /* a good run first: its checkpoint is the last good one */
    char text[1024], args[4096], path[4096];
    snprintf(text, sizeof text, diverge_yaml, "0.001", 2);
    rf_test_write("diverge.yaml", text);
    snprintf(args, sizeof args, "%s/diverge.yaml --quiet --runs %s/div", rf_test_tmpdir(), rf_test_tmpdir());
    rf_run_result r = rf_test_regfitc(args);
    CU_ASSERT_EQUAL_FATAL(r.status, 0);
    snprintf(path, sizeof path, "%s/div/diverge/model.ckpt", rf_test_tmpdir());
    size_t good_len;
    char *good = rf_test_read_file(path, &good_len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(good);

    /* the same model with a learning rate that blows up in the first epoch */
    snprintf(text, sizeof text, diverge_yaml, "1000", 50);
    rf_test_write("diverge.yaml", text);
    r = rf_test_regfitc(args);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "diverged"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "epoch 1"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "step"));
    size_t len;
    char *after = rf_test_read_file(path, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(after);
    CU_ASSERT(len == good_len && memcmp(after, good, len) == 0);
    free(good);
    free(after);
}

/* Two model files of the same shapes that differ in hyperparameters, optimizer values,
 * decay, dropout p, seed, epochs and comments: the second run needs no compile, and runs
 * with its own values (its losses differ from the first's). */
static void test_compile_once_per_shape(void)
{
    static const char *const texts[2] = {
        "name: once\ninput: 20\nbatch: 4\nlayers: [dense: 8, relu, dropout: 0.2, dense: 1]\n"
        "loss: squared\noptimizer: {sgd: {lr: 0.01, momentum: 0.5}}\ntrain: {epochs: 2, seed: 1}\n"
        "data: {synthetic_linear: {n_train: 40, n_test: 10, w: 0.01, b: 0.05, noise: 0.01}}\n",
        "# the same shapes, other values\n"
        "name: once\ninput: 20\nbatch: 4\nlayers: [dense: 8, relu, dropout: 0.5, dense: 1]\n"
        "loss: squared\noptimizer: {sgd: {lr: 0.05, momentum: 0.9, dampening: 0.1}}\n"
        "decay: [{params: \"*.weight\", l2: 0.1, l1_prox: 0.01}]\ntrain: {epochs: 3, seed: 2}\n"
        "data: {synthetic_linear: {n_train: 40, n_test: 10, w: 0.01, b: 0.05, noise: 0.01}}\n"};
    char args[4096], *first_out = NULL;
    for (int k = 0; k < 2; k++) {
        rf_test_write("once.yaml", texts[k]);
        snprintf(args, sizeof args, "%s/once.yaml --runs %s/once", rf_test_tmpdir(), rf_test_tmpdir());
        rf_run_result r = rf_test_regfitc(args);
        CU_ASSERT_EQUAL_FATAL(r.status, 0);
        if (k == 0) {
            first_out = strdup(r.out);
            continue;
        }
        CU_ASSERT_PTR_NULL(strstr(r.err, "compiled"));
        CU_ASSERT_EQUAL(count_matches(r.out, "epoch "), 3);
        CU_ASSERT(strcmp(first_out, r.out) != 0);
    }
    free(first_out);
}

static void test_missing_data_says_how_to_install(void)
{
    char args[4096];
    snprintf(args, sizeof args, "%s/models/mlp_dropout.yaml --quiet --runs %s/nodata --data %s/no-such-folder",
             rf_test_source_dir(), rf_test_tmpdir(), rf_test_tmpdir());
    rf_run_result r = rf_test_regfitc(args);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "no-such-folder"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "dataset-fashion-mnist"));
}

static void test_usage_errors_exit_2(void)
{
    rf_run_result r = rf_test_regfitc("--frobnicate models/mlp.yaml");
    CU_ASSERT_EQUAL(r.status, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "--frobnicate"));
    r = rf_test_regfitc("");
    CU_ASSERT_EQUAL(r.status, 2);
    r = rf_test_regfitc("--epochs -3 x.yaml");
    CU_ASSERT_EQUAL(r.status, 2);
    r = rf_test_regfitc("--version");
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT_EQUAL(strncmp(r.out, "regfitc ", 8), 0);
    r = rf_test_regfitc("--help");
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "--emit"));
    r = rf_test_regfitc("/no/such/model.yaml");
    CU_ASSERT_EQUAL(r.status, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "/no/such/model.yaml"));
}

/* --bench: the table SPEC section 5 asks for, and the two implementations agree after the
 * same steps (what it prints of that is checked; its times are not). */
static void test_bench_table_and_agreement(void)
{
    char args[4096];
    snprintf(args, sizeof args, "--bench %s/models/mlp_dropout.yaml --steps 3 --quiet%s%s",
             rf_test_source_dir(), have_real_data ? " --data " : "", have_real_data ? slice_dir : "");
    rf_run_result r = rf_test_regfitc(args);
    if (r.status != 0)
        fprintf(stderr, "\n%s\n", r.err);
    CU_ASSERT_EQUAL_FATAL(r.status, 0);
    RF_ASSERT_CONTAINS(r.out, have_real_data ? "data: the training data's first batches" : "data: random");
    CU_ASSERT_EQUAL(count_matches(r.out, "^FMA peak \\(measured\\): [0-9.]+ GFLOP/s on 1 thread"), 1);
    if (sysconf(_SC_NPROCESSORS_ONLN) > 1) { /* without --threads: a sweep over 1 .. cores */
        CU_ASSERT_EQUAL(count_matches(r.out, "^1 +[0-9.]+ +[0-9.]+ +[0-9.]+x$"), 1);
        CU_ASSERT_EQUAL(count_matches(r.out, "^2 +[0-9.]+ +[0-9.]+ +[0-9.]+x$"), 1);
    }
    const char *row = "^%s +%s +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9]+ +[0-9.]+ +[0-9.]+%%$";
    char pattern[256];
    const char *kernels[] = {"train_step", "predict"}, *impls[] = {"specialised", "generic"};
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < 2; i++) {
            snprintf(pattern, sizeof pattern, row, kernels[k], impls[i]);
            CU_ASSERT_EQUAL(count_matches(r.out, pattern), 1);
        }
    CU_ASSERT_EQUAL(count_matches(r.out, "^predict speedup: [0-9]+\\.[0-9]{2}x$"), 1);
    /* the last line */
    const char *last = strstr(r.out, "specialised/generic speedup: ");
    CU_ASSERT_PTR_NOT_NULL_FATAL(last);
    CU_ASSERT_EQUAL(count_matches(last, "^specialised/generic speedup: [0-9]+\\.[0-9]{2}x$"), 1);
    const char *end = strchr(last, '\n');
    CU_ASSERT(end && end[1] == '\0');
    /* agreement after the same 5 steps: they differ only in the order of float sums */
    const char *agree = strstr(r.out, "max |loss diff| ");
    CU_ASSERT_PTR_NOT_NULL_FATAL(agree);
    double loss_diff = -1, param_diff = -1;
    CU_ASSERT_EQUAL(sscanf(agree, "max |loss diff| %lf, max |param diff| %lf", &loss_diff, &param_diff), 2);
    CU_ASSERT(loss_diff >= 0 && loss_diff < 1e-4);
    CU_ASSERT(param_diff >= 0 && param_diff < 1e-5);

    /* $REGFIT_CFLAGS builds all three (specialised, generic, peak loop) and is said */
    setenv("REGFIT_CFLAGS", "-O2 -fopenmp", 1);
    snprintf(args, sizeof args, "--bench %s/models/highdim_linreg.yaml --steps 3 --threads 1 --quiet",
             rf_test_source_dir());
    r = rf_test_regfitc(args);
    unsetenv("REGFIT_CFLAGS");
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT_EQUAL(count_matches(r.out, "^built with \\$REGFIT_CFLAGS: -O2 -fopenmp$"), 1);
    CU_ASSERT_EQUAL(count_matches(r.out, "^specialised/generic speedup: [0-9]+\\.[0-9]{2}x$"), 1);
}

int main(int argc, char **argv)
{
    snprintf(slice_dir, sizeof slice_dir, "%s/slice", rf_test_tmpdir());
    have_real_data = rf_test_write_fashion_slice(slice_dir, 20000, 2000) == 0;
    static const rf_test_case cases[] = {
        {"real data slice: trains, reports, writes run files", test_real_slice_trains_and_writes_run_files},
        {"bit-identical metrics and checkpoint on 1 and 2 threads", test_bit_identical_on_one_and_two_threads},
        {"--load with --epochs 0 evaluates; another model's checkpoint is refused", test_load_and_evaluate_only},
        {"weight decay: the d2l reference ranges", test_weight_decay_reference_ranges},
        {"divergence stops with exit 1 naming epoch and step", test_divergence_stops_with_exit_1},
        {"missing data says how to install it", test_missing_data_says_how_to_install},
        {"compile once per shape: other hyperparameters reuse the code", test_compile_once_per_shape},
        {"usage errors exit 2", test_usage_errors_exit_2},
        {"--bench: the table, the implementations agree, $REGFIT_CFLAGS", test_bench_table_and_agreement},
        {NULL, NULL},
    };
    return rf_test_main("run_e2e", cases, argc, argv);
}
