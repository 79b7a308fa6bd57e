/* regfitc --emit-inference (SPEC 7) and the file rules of --emit (SPEC 3):
 * NAME_infer.c built with gcc and clang, with and without OpenMP, under
 * -Wall -Wextra -Wpedantic -Werror, gives the same bits as NAME_predict of
 * the training code (same parameters, same compiler and flags) for n = 0, 1,
 * BATCH and 2 BATCH + 3, also from two threads at once; its object names no
 * allocation, stdio or random-number function; a C++ file includes both
 * headers. Errors: no checkpoint, another model's, a NaN parameter. --emit:
 * a second run writes nothing, both files or neither, --print-outputs. */
#include <float.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "emit.h"
#include "frontend.h"
#include "model_tensors.h"
#include "test_codegen_support.h"

/* ---- helpers ---- */

static char *tmp_path(const char *fmt, const char *a)
{
    static char path[4][4600];
    static int next;
    char *p = path[next++ % 4];
    char tail[400];
    snprintf(tail, sizeof tail, fmt, a);
    snprintf(p, sizeof path[0], "%s/%s", rf_test_tmpdir(), tail);
    return p;
}

static void load_model(const char *file, rf_model *m)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/models/%s", rf_test_source_dir(), file);
    CU_ASSERT_EQUAL_FATAL(rf_load_model(path, m, stderr, NULL), 0);
}

/* Writes a checkpoint of m with parameters U(-a, a) (and a few special values: -0, the
 * smallest subnormal, FLT_MIN) to ckpt, and the same floats, tensor after tensor, to raw. */
static void write_params(const rf_model *m, double a, const char *ckpt, const char *raw)
{
    rf_model_tensors t;
    CU_ASSERT_EQUAL_FATAL(rf_model_tensors_make(m, 1, &t), 0);
    FILE *f = raw ? fopen(raw, "wb") : NULL;
    for (int i = 0; i < t.n_params + t.n_state; i++) {
        tm_fill(t.data[i], t.sizes[i], a);
        if (i == 0 && t.sizes[i] >= 3) {
            t.data[i][0] = -0.0f;
            t.data[i][1] = 0x1p-149f;
            t.data[i][2] = FLT_MIN;
        }
        if (f && i < t.n_params)
            CU_ASSERT_EQUAL(fwrite(t.data[i], sizeof(float), (size_t)t.sizes[i], f), (size_t)t.sizes[i]);
    }
    if (f)
        fclose(f);
    rf_ckpt ck = rf_model_tensors_ckpt(&t);
    char err[1024];
    CU_ASSERT_EQUAL_FATAL(rf_ckpt_save(ckpt, &ck, err, sizeof err), 0);
    rf_model_tensors_free(&t);
}

/* Runs a shell command, its output into log; returns its exit status and prints the log
 * when it is not 0. */
static int run(const char *cmd, const char *log)
{
    char full[16384];
    snprintf(full, sizeof full, "%s >'%s' 2>&1", cmd, log);
    int rc = system(full);
    rc = rc != -1 && WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    if (rc != 0) {
        char *text = rf_test_read_file(log, NULL);
        fprintf(stderr, "\n$ %s\n%s\n", cmd, text ? text : "(no output)");
        free(text);
    }
    return rc;
}

/* text with "{n}" replaced by name and "{N}" by its capitals */
static char *with_name(const char *text, const char *name)
{
    char upper[64];
    size_t k = 0;
    for (; name[k] && k + 1 < sizeof upper; k++)
        upper[k] = (char)(name[k] >= 'a' && name[k] <= 'z' ? name[k] - 'a' + 'A' : name[k]);
    upper[k] = '\0';
    char *out = malloc(strlen(text) * 2 + 1024), *o = out;
    for (const char *s = text; *s; s++) {
        if (s[0] == '{' && (s[1] == 'n' || s[1] == 'N') && s[2] == '}') {
            o += sprintf(o, "%s", s[1] == 'n' ? name : upper);
            s += 2;
        } else {
            *o++ = *s;
        }
    }
    *o = '\0';
    return out;
}

/* The driver: for n = 0, 1, BATCH, 2 BATCH + 3 rows, NAME_predict on the same chunks of
 * at most BATCH rows is the reference (a row's bits may depend on the rows beside it in a
 * call: tails of fewer rows take other tiles); NAME_infer must give its bits and leave
 * the rows past n alone, classify its argmax; two threads at once the same bits. */
static const char driver_text[] =
    "#include \"{n}.h\"\n"
    "#include \"{n}_infer.h\"\n"
    "#include <pthread.h>\n"
    "#include <stdio.h>\n"
    "#include <stdlib.h>\n"
    "#include <string.h>\n"
    "enum { ROWS = 2 * {N}_BATCH + 3, IN = {N}_INFER_INPUTS, OUT = {N}_INFER_OUTPUTS };\n"
    "static {n}_model model;\n"
    "static float x[ROWS * IN], ref[ROWS * OUT];\n"
    "static int failures;\n"
    "static void check(int ok, const char *what, int n) { if (!ok) { printf(\"FAIL %s n=%d\\n\", what, n); "
    "failures++; } }\n"
    "typedef struct { float out[ROWS * OUT], ws[{N}_INFER_WORKSPACE]; int same; } job;\n"
    "static void *thread_main(void *arg)\n"
    "{\n"
    "    job *j = arg;\n"
    "    j->same = 1;\n"
    "    for (int k = 0; k < 4; k++) {\n"
    "        memset(j->out, 0, sizeof j->out);\n"
    "        {n}_infer(x, ROWS, j->out, j->ws);\n"
    "        j->same &= memcmp(j->out, ref, sizeof ref) == 0;\n"
    "    }\n"
    "    return NULL;\n"
    "}\n"
    "static void predict(int n)\n"
    "{\n"
    "    for (int r0 = 0; r0 < n; r0 += {N}_BATCH) {\n"
    "        int rows = n - r0 < {N}_BATCH ? n - r0 : {N}_BATCH;\n"
    "        {n}_predict(&model, x + r0 * IN, rows, ref + r0 * OUT);\n"
    "    }\n"
    "}\n"
    "int main(int argc, char **argv)\n"
    "{\n"
    "    if (argc != 2) return 2;\n"
    "    {n}_init(&model, 1);\n"
    "    FILE *f = fopen(argv[1], \"rb\");\n"
    "    if (!f) return 2;\n"
    "    for (int i = 0; i < {N}_NUM_PARAMS; i++)\n"
    "        if (fread({n}_param(&model, i), sizeof(float), (size_t){n}_param_size(i), f) != "
    "(size_t){n}_param_size(i)) return 2;\n"
    "    fclose(f);\n"
    "    unsigned s = 12345;\n"
    "    for (int i = 0; i < ROWS * IN; i++) { s = s * 1103515245u + 12345u; x[i] = (float)(s >> 8) / 16777216.0f; }\n"
    "    static float out[ROWS * OUT + 1], ws[{N}_INFER_WORKSPACE];\n"
    "    const int ns[] = {0, 1, {N}_BATCH, ROWS};\n"
    "    for (int k = 0; k < 4; k++) {\n"
    "        int n = ns[k];\n"
    "        predict(n);\n"
    "        memset(out, 0x7f, sizeof out);\n"
    "        {n}_infer(x, n, out, ws);\n"
    "        check(memcmp(out, ref, (size_t)n * OUT * sizeof(float)) == 0, \"bits as predict\", n);\n"
    "        unsigned char rest = 0x7f;\n"
    "        for (size_t b = (size_t)n * OUT * sizeof(float); b < sizeof out; b++)\n"
    "            rest &= ((unsigned char *)out)[b] == 0x7f ? 0x7f : 0;\n"
    "        check(rest == 0x7f, \"rows past n untouched\", n);\n"
    "#ifdef CLASSIFY\n"
    "        static int32_t label[ROWS + 1];\n"
    "        label[n] = -7;\n"
    "        {n}_infer_classify(x, n, label, ws);\n"
    "        int ok = label[n] == -7;\n"
    "        for (int r = 0; r < n; r++) {\n"
    "            int best = 0;\n"
    "            for (int j = 1; j < OUT; j++) if (ref[r * OUT + j] > ref[r * OUT + best]) best = j;\n"
    "            ok &= label[r] == best;\n"
    "        }\n"
    "        check(ok, \"classify is the argmax\", n);\n"
    "#endif\n"
    "    }\n"
    "    predict(ROWS);\n"
    "    static job jobs[2];\n"
    "    pthread_t t[2];\n"
    "    for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, thread_main, &jobs[i]);\n"
    "    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);\n"
    "    check(jobs[0].same && jobs[1].same, \"two threads at once\", ROWS);\n"
    "    int differ = 0;\n"
    "    for (int i = 0; i < OUT; i++) differ |= ref[i] != ref[OUT + i];\n"
    "    check(differ, \"the rows differ (a meaningful test)\", ROWS);\n"
    "    printf(\"%s\\n\", failures ? \"failed\" : \"ok\");\n"
    "    return failures != 0;\n"
    "}\n";

/* A C++ translation unit including both headers, calling both APIs. */
static const char cxx_text[] =
    "#include \"{n}.h\"\n"
    "#include \"{n}_infer.h\"\n"
    "static float x[{N}_INFER_INPUTS * 3], out[{N}_INFER_OUTPUTS * 3], ws[{N}_INFER_WORKSPACE];\n"
    "int main()\n"
    "{\n"
    "    {n}_infer(x, 3, out, ws);\n"
    "    {n}_model *m = new {n}_model();\n"
    "    {n}_init(m, 1);\n"
    "    {n}_predict(m, x, 1, out);\n"
    "    delete m;\n"
    "    return {n}_param_size(0) > 0 ? 0 : 1;\n"
    "}\n";

static const char *const forbidden[] = {"malloc", "calloc", "realloc", "free", "printf", "fprintf", "puts",
                                        "fopen", "fwrite", "fputs", "rand", "srand", "random", "drand48", NULL};

/* 0 when the object's undefined symbols name none of the forbidden functions. */
static int object_is_clean(const char *obj, const char *log)
{
    char cmd[5000];
    snprintf(cmd, sizeof cmd, "nm -u '%s'", obj);
    if (run(cmd, log) != 0)
        return -1;
    char *syms = rf_test_read_file(log, NULL);
    int bad = 0;
    for (char *line = strtok(syms, "\n"); line; line = strtok(NULL, "\n")) {
        const char *name = strrchr(line, ' ') ? strrchr(line, ' ') + 1 : line;
        for (int k = 0; forbidden[k]; k++)
            if (!strcmp(name, forbidden[k])) {
                fprintf(stderr, "\n%s calls %s\n", obj, name);
                bad = 1;
            }
    }
    free(syms);
    return bad;
}

/* Builds NAME.c, NAME_infer.c (in dir) and the driver with each compiler, with and without
 * OpenMP (all = 0: gcc with, clang without), and runs the driver on the parameters in raw;
 * with all, the C++ unit too. extra: more flags for every C compile ("" for none). */
static void build_and_compare(const char *dir, const char *name, const char *raw, int classify, int all,
                              const char *extra)
{
    char log[4700], cmd[16000];
    snprintf(log, sizeof log, "%s/%s.log", rf_test_tmpdir(), name);
    char *driver = with_name(driver_text, name), *cxx = with_name(cxx_text, name);
    char driver_path[4700], cxx_path[4700];
    snprintf(driver_path, sizeof driver_path, "%s/driver.c", dir);
    snprintf(cxx_path, sizeof cxx_path, "%s/cxx.cpp", dir);
    FILE *f = fopen(driver_path, "w");
    fputs(driver, f);
    fclose(f);
    f = fopen(cxx_path, "w");
    fputs(cxx, f);
    fclose(f);
    free(driver);
    free(cxx);

    static const char *const compilers[] = {"gcc", "clang"};
    static const char *const openmp[] = {"", "-fopenmp"};
    for (int c = 0; c < 2; c++)
        for (int o = 0; o < 2; o++) {
            if (!all && o == c)
                continue;
            const char *cc = compilers[c];
            char flags[200], tag[64];
            snprintf(flags, sizeof flags, "-std=c11 -O2 -march=native %s %s", openmp[o], extra);
            snprintf(tag, sizeof tag, "%s%s", cc, openmp[o]);
            /* the inference file under the strictest flags; the training code (not under test
             * here) without -Werror */
            snprintf(cmd, sizeof cmd, "cd '%s' && %s %s -Wall -Wextra -Wpedantic -Werror -c %s_infer.c -o infer-%s.o",
                     dir, cc, flags, name, tag);
            CU_ASSERT_EQUAL(run(cmd, log), 0);
            snprintf(cmd, sizeof cmd, "cd '%s' && %s %s -w -c %s.c -o train-%s.o", dir, cc, flags,
                     name, tag);
            CU_ASSERT_EQUAL(run(cmd, log), 0);
            snprintf(cmd, sizeof cmd,
                     "cd '%s' && %s %s %s -c driver.c -o driver-%s.o && "
                     "%s %s driver-%s.o train-%s.o infer-%s.o -o driver-%s -lm -pthread",
                     dir, cc, flags, classify ? "-DCLASSIFY" : "", tag, cc, flags, tag, tag, tag, tag);
            CU_ASSERT_EQUAL(run(cmd, log), 0);
            snprintf(cmd, sizeof cmd, "cd '%s' && OMP_NUM_THREADS=2 ./driver-%s '%s'", dir, tag, raw);
            if (run(cmd, log) != 0)
                CU_FAIL("the inference file's outputs differ from predict's");
            snprintf(cmd, sizeof cmd, "%s/infer-%s.o", dir, tag);
            CU_ASSERT_EQUAL(object_is_clean(cmd, log), 0);
        }
    /* an AVX-512 target (16-float vectors) compiles clean too: this CPU may not run it */
    snprintf(cmd, sizeof cmd,
             "cd '%s' && gcc -std=c11 -O2 -march=x86-64-v4 -fopenmp -Wall -Wextra -Wpedantic -Werror -c %s_infer.c "
             "-o infer-avx512.o",
             dir, name);
    if (all)
        CU_ASSERT_EQUAL(run(cmd, log), 0);
    /* C++: both headers in one translation unit, linked against the C objects */
    static const char *const cxx_compilers[] = {"g++", "clang++"};
    for (int c = 0; c < 2 && all; c++) {
        snprintf(cmd, sizeof cmd,
                 "cd '%s' && %s -std=c++11 -Wall -Wextra -Wpedantic -Werror -c cxx.cpp -o cxx.o && "
                 "%s cxx.o train-gcc.o infer-gcc.o -o cxx -lm && ./cxx",
                 dir, cxx_compilers[c], cxx_compilers[c]);
        CU_ASSERT_EQUAL(run(cmd, log), 0);
    }
}

/* Emits both files of models/FILE (its name NAME) with regfitc, the inference file with
 * a checkpoint of U(-a, a) parameters, and builds and compares them. */
static void check_model(const char *file, const char *name, double a, int classify, int all)
{
    rf_model m;
    load_model(file, &m);
    char dir[4600], ckpt[4700], raw[4700], args[16000];
    snprintf(dir, sizeof dir, "%s", tmp_path("gen-%s", name));
    snprintf(ckpt, sizeof ckpt, "%s/%s.ckpt", rf_test_tmpdir(), name);
    snprintf(raw, sizeof raw, "%s/%s.params", rf_test_tmpdir(), name);
    write_params(&m, a, ckpt, raw);
    snprintf(args, sizeof args, "--emit -o '%s' '%s/models/%s'", dir, rf_test_source_dir(), file);
    CU_ASSERT_EQUAL_FATAL(rf_test_regfitc(args).status, 0);
    snprintf(args, sizeof args, "--emit-inference --load '%s' -o '%s' '%s/models/%s'", ckpt, dir,
             rf_test_source_dir(), file);
    rf_run_result r = rf_test_regfitc(args);
    if (r.status != 0)
        fprintf(stderr, "\n%s\n", r.err);
    CU_ASSERT_EQUAL_FATAL(r.status, 0);
    RF_ASSERT_CONTAINS(r.out, "_infer.h");
    build_and_compare(dir, name, raw, classify, all, "");
    rf_model_free(&m);
}

/* ---- the tests ---- */

static void test_mlp_bits(void)
{
    check_model("mlp.yaml", "mlp", 0.1, 1, 1);
}

static void test_linreg_bits(void)
{
    check_model("highdim_linreg.yaml", "highdim_linreg", 1.0, 0, 1);
}

/* Layers the seed models do not have: a dropout reading the input, a sigmoid and a
 * dropout that are not fused, a leaky_relu (its alpha constant), an output width that is
 * no whole vector and a tanh writing the output itself; written through the API. With
 * precision bf16 (name "oddbf16", batch 40: the 24-unit layer's weight in panels in
 * predict, where the others are rounded copies): predict's products read rounded copies
 * and panels, the inference file's its rounded literals and a rounding region. */
static void odd_layers_bits(const char *name, int bf16, const char *extra)
{
    rf_model m;
    tm_begin(&m, name, 13, bf16 ? 40 : 7, RF_LOSS_SOFTMAX_CE, 0.1, 0.9);
    if (bf16)
        m.precision = RF_PRECISION_BF16;
    tm_dropout(&m, 0.3);
    tm_dense(&m, 24, NULL);
    tm_layer(&m, RF_LAYER_SIGMOID);
    tm_dropout(&m, 0.5);
    tm_dense(&m, 19, NULL);
    tm_layer(&m, RF_LAYER_LEAKY_RELU)->alpha = 0.125;
    tm_dense(&m, 3, NULL);
    tm_layer(&m, RF_LAYER_TANH);
    tm_finish(&m);
    char dir[4600], raw[4700], err[1024];
    snprintf(dir, sizeof dir, "%s", tmp_path("gen-%s", name));
    snprintf(raw, sizeof raw, "%s/%s.params", rf_test_tmpdir(), name);
    mkdir(dir, 0755);
    /* parameters U(-1, 1), to the raw file and to the emitter */
    float **data = calloc((size_t)m.n_params, sizeof *data);
    FILE *f = fopen(raw, "wb");
    for (int i = 0; i < m.n_params; i++) {
        data[i] = malloc(sizeof(float) * (size_t)m.params[i].size);
        tm_fill(data[i], (long)m.params[i].size, 1.0);
        fwrite(data[i], sizeof(float), (size_t)m.params[i].size, f);
    }
    fclose(f);
    const rf_infer_params w = {.data = (const float *const *)data, .source = "odd.ckpt", .source_hash = 1};
    char *h, *c, path[4800];
    CU_ASSERT_EQUAL_FATAL(rf_emit_infer_source(&m, &w, &h, &c, err, sizeof err), 0);
    snprintf(path, sizeof path, "gen-%s/%s_infer.h", name, name);
    rf_test_write(path, h);
    snprintf(path, sizeof path, "gen-%s/%s_infer.c", name, name);
    rf_test_write(path, c);
    free(h);
    free(c);
    CU_ASSERT_EQUAL_FATAL(rf_emit_source(&m, &h, &c), 0);
    snprintf(path, sizeof path, "gen-%s/%s.h", name, name);
    rf_test_write(path, h);
    snprintf(path, sizeof path, "gen-%s/%s.c", name, name);
    rf_test_write(path, c);
    free(h);
    free(c);
    build_and_compare(dir, name, raw, 1, 0, extra);
    for (int i = 0; i < m.n_params; i++)
        free(data[i]);
    free(data);
    rf_model_free(&m);
}

static void test_odd_layers_bits(void)
{
    odd_layers_bits("odd", 0, "");
}

static void test_bf16_bits(void)
{
    odd_layers_bits("oddbf16", 1, "");
}

/* The same with the products of bf16 pairs (vector.h, BF16_PAIRS; the dot products emulated
 * where the CPU lacks AVX512_BF16): the 24-unit layer's forward reads pairs, its weight packed
 * as pairs by prepare_weights for predict, by NAME_infer_pack_weights in the workspace for
 * the inference file. */
static void test_bf16_pairs_bits(void)
{
    odd_layers_bits("pairsbf16", 1, "-DPAIRSBF16_PAIRS=1");
}

/* The checkpoint: RUNS/NAME/model.ckpt by default (with --runs), refused when missing, of
 * another model, or holding a NaN; nothing is written then. */
static void test_checkpoint_errors(void)
{
    rf_model mlp, lin;
    load_model("mlp.yaml", &mlp);
    load_model("highdim_linreg.yaml", &lin);
    char runs[4700], out[4700], lin_ckpt[4700], nan_ckpt[4700], args[16000];
    snprintf(runs, sizeof runs, "%s", tmp_path("%s", "runs"));
    snprintf(out, sizeof out, "%s", tmp_path("%s", "err-out"));
    const char *src = rf_test_source_dir();

    /* no checkpoint in RUNS/NAME/: exit 1 naming the path it looked for */
    snprintf(args, sizeof args, "--emit-inference --runs '%s' -o '%s' '%s/models/mlp.yaml'", runs, out, src);
    rf_run_result r = rf_test_regfitc(args);
    CU_ASSERT_EQUAL(r.status, 1);
    RF_ASSERT_CONTAINS(r.err, "runs/mlp/model.ckpt");
    RF_ASSERT_CONTAINS(r.err, "--load");
    CU_ASSERT_NOT_EQUAL(access(out, F_OK), 0);

    /* the default path honours --runs */
    char dir[4800];
    snprintf(dir, sizeof dir, "%s/highdim_linreg", runs);
    mkdir(runs, 0755);
    mkdir(dir, 0755);
    snprintf(lin_ckpt, sizeof lin_ckpt, "%s/model.ckpt", dir);
    write_params(&lin, 1.0, lin_ckpt, NULL);
    snprintf(args, sizeof args, "--emit-inference --runs '%s' -o '%s' '%s/models/highdim_linreg.yaml'", runs, out,
             src);
    CU_ASSERT_EQUAL(rf_test_regfitc(args).status, 0);
    snprintf(dir, sizeof dir, "%s/highdim_linreg_infer.c", out);
    char *text = rf_test_read_file(dir, NULL);
    CU_ASSERT_PTR_NOT_NULL(text);
    if (text)
        RF_ASSERT_CONTAINS(text, "runs/highdim_linreg/model.ckpt");
    free(text);

    /* another model's checkpoint */
    snprintf(args, sizeof args, "--emit-inference --load '%s' -o '%s' '%s/models/mlp.yaml'", lin_ckpt, out, src);
    r = rf_test_regfitc(args);
    CU_ASSERT_EQUAL(r.status, 1);
    RF_ASSERT_CONTAINS(r.err, lin_ckpt);
    RF_ASSERT_CONTAINS(r.err, "another model");
    snprintf(dir, sizeof dir, "%s/mlp_infer.c", out);
    CU_ASSERT_NOT_EQUAL(access(dir, F_OK), 0);

    /* a NaN parameter: a diverged run is not exported */
    rf_model_tensors t;
    CU_ASSERT_EQUAL_FATAL(rf_model_tensors_make(&lin, 1, &t), 0);
    for (int i = 0; i < t.n_params + t.n_state; i++)
        tm_fill(t.data[i], t.sizes[i], 1.0);
    t.data[1][0] = NAN;
    rf_ckpt ck = rf_model_tensors_ckpt(&t);
    char err[1024];
    snprintf(nan_ckpt, sizeof nan_ckpt, "%s/nan.ckpt", rf_test_tmpdir());
    CU_ASSERT_EQUAL_FATAL(rf_ckpt_save(nan_ckpt, &ck, err, sizeof err), 0);
    rf_model_tensors_free(&t);
    snprintf(args, sizeof args, "--emit-inference --load '%s' -o '%s/nan' '%s/models/highdim_linreg.yaml'", nan_ckpt,
             out, src);
    r = rf_test_regfitc(args);
    CU_ASSERT_EQUAL(r.status, 1);
    RF_ASSERT_CONTAINS(r.err, "dense1.bias[0] is NaN");
    snprintf(dir, sizeof dir, "%s/nan", out);
    CU_ASSERT_NOT_EQUAL(access(dir, F_OK), 0);
    rf_model_free(&mlp);
    rf_model_free(&lin);
}

static int same_file(const struct stat *a, const struct stat *b)
{
    return a->st_ino == b->st_ino && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
           a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* --emit and --emit-inference: a second run writes nothing; NAME.c replaced by a folder
 * gives exit 1 and leaves NAME.h as it was (both or neither). */
static void test_emit_rules(void)
{
    rf_model lin;
    load_model("highdim_linreg.yaml", &lin);
    char ckpt[4700], args[16000], h[4800], c[4800];
    snprintf(ckpt, sizeof ckpt, "%s/rules.ckpt", rf_test_tmpdir());
    write_params(&lin, 1.0, ckpt, NULL);
    for (int infer = 0; infer < 2; infer++) {
        const char *dir = tmp_path("rules-%s", infer ? "infer" : "emit"), *suffix = infer ? "_infer" : "";
        char load[4800] = "";
        if (infer)
            snprintf(load, sizeof load, "--emit-inference --load '%s'", ckpt);
        snprintf(args, sizeof args, "%s -o '%s' '%s/models/highdim_linreg.yaml'", infer ? load : "--emit", dir,
                 rf_test_source_dir());
        snprintf(h, sizeof h, "%s/highdim_linreg%s.h", dir, suffix);
        snprintf(c, sizeof c, "%s/highdim_linreg%s.c", dir, suffix);
        rf_run_result r = rf_test_regfitc(args);
        CU_ASSERT_EQUAL_FATAL(r.status, 0);
        RF_ASSERT_CONTAINS(r.out, "wrote");
        struct stat h1, c1, h2, c2;
        CU_ASSERT_EQUAL_FATAL(stat(h, &h1), 0);
        CU_ASSERT_EQUAL_FATAL(stat(c, &c1), 0);
        r = rf_test_regfitc(args);
        CU_ASSERT_EQUAL(r.status, 0);
        RF_ASSERT_CONTAINS(r.out, "unchanged:");
        CU_ASSERT_EQUAL_FATAL(stat(h, &h2), 0);
        CU_ASSERT_EQUAL_FATAL(stat(c, &c2), 0);
        CU_ASSERT(same_file(&h1, &h2) && same_file(&c1, &c2));

        /* NAME.h edited (so it would be rewritten), NAME.c replaced by a folder */
        FILE *f = fopen(h, "a");
        CU_ASSERT_FATAL(f != NULL);
        fputs("/* edited */\n", f);
        fclose(f);
        char *edited = rf_test_read_file(h, NULL);
        CU_ASSERT_EQUAL(unlink(c), 0);
        CU_ASSERT_EQUAL(mkdir(c, 0755), 0);
        r = rf_test_regfitc(args);
        CU_ASSERT_EQUAL(r.status, 1);
        RF_ASSERT_CONTAINS(r.err, c);
        char *now = rf_test_read_file(h, NULL);
        CU_ASSERT(edited && now && strcmp(edited, now) == 0);
        free(edited);
        free(now);
    }
    rf_model_free(&lin);
}

/* --print-outputs: the absolute paths, named after the model's name: key, nothing written
 * and nothing read but the model file. */
static void test_print_outputs(void)
{
    char src[4200], copy[4700], args[16000], cwd[4096], want[16000];
    snprintf(src, sizeof src, "%s/models/mlp.yaml", rf_test_source_dir());
    char *text = rf_test_read_file(src, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    snprintf(copy, sizeof copy, "%s", rf_test_write("another_file_name.yaml", text));
    free(text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(getcwd(cwd, sizeof cwd));

    snprintf(args, sizeof args, "--emit --print-outputs -o print/rel '%s'", copy);
    rf_run_result r = rf_test_regfitc(args);
    CU_ASSERT_EQUAL(r.status, 0);
    snprintf(want, sizeof want, "%s/print/rel/mlp.h\n%s/print/rel/mlp.c\n", cwd, cwd);
    CU_ASSERT_STRING_EQUAL(r.out, want);
    CU_ASSERT_NOT_EQUAL(access("print", F_OK), 0);

    const char *abs = tmp_path("%s", "print-abs/");
    snprintf(args, sizeof args, "--emit-inference --print-outputs -o '%s' '%s'", abs, copy);
    r = rf_test_regfitc(args);
    CU_ASSERT_EQUAL(r.status, 0); /* no checkpoint needed */
    snprintf(want, sizeof want, "%s/print-abs/mlp_infer.h\n%s/print-abs/mlp_infer.c\n", rf_test_tmpdir(),
             rf_test_tmpdir());
    CU_ASSERT_STRING_EQUAL(r.out, want);
    CU_ASSERT_NOT_EQUAL(access(abs, F_OK), 0);

    snprintf(args, sizeof args, "--print-outputs '%s'", copy);
    CU_ASSERT_EQUAL(rf_test_regfitc(args).status, 2);
}

int main(int argc, char **argv)
{
    static const rf_test_case cases[] = {
        {"mlp: gcc and clang, OpenMP or not, the bits of predict, two threads, no libc calls, C++",
         test_mlp_bits},
        {"highdim_linreg (batch 1, squared loss): the same", test_linreg_bits},
        {"unfused dropout, sigmoid, leaky_relu, tanh output: the same", test_odd_layers_bits},
        {"precision bf16 (those layers): rounded literals and a rounding region, the bits of predict",
         test_bf16_bits},
        {"precision bf16 with the products of pairs: the weights packed as pairs, the bits of predict",
         test_bf16_pairs_bits},
        {"checkpoint errors: missing, another model's, a NaN; the default honours --runs",
         test_checkpoint_errors},
        {"--emit and --emit-inference: a second run writes nothing; both files or neither",
         test_emit_rules},
        {"--print-outputs: absolute paths named by the model's name, nothing written", test_print_outputs},
        {NULL, NULL},
    };
    return rf_test_main("inference export", cases, argc, argv);
}
