/* The generated files stand alone: they compile with clang and gcc under
 * -std=c11 -Wall -Wextra -Werror with and without -fopenmp, export only
 * NAME_ symbols, say where they come from, read layer by layer, and drop
 * into another program built with a plain cc command line. */
#include <ctype.h>
#include <sys/stat.h>

#include "emit.h"
#include "hash.h"
#include "test_codegen_support.h"

static char dir[4300];
static char log_path[4400];

/* Runs a shell command with its output in the log; prints the log when it fails. */
static int run(const char *cmd)
{
    char full[9000];
    snprintf(full, sizeof full, "%s >'%s' 2>&1", cmd, log_path);
    int rc = system(full);
    if (rc != 0) {
        char *log = rf_test_read_file(log_path, NULL);
        fprintf(stderr, "\n$ %s\n%s\n", cmd, log ? log : "");
        free(log);
    }
    return rc;
}

/* The seed MLP (models/mlp_dropout.yaml). */
static void seed_model(rf_model *m)
{
    tm_begin(m, "mlp_dropout", 784, 256, RF_LOSS_SOFTMAX_CE, 0.5, 0);
    tm_dense(m, 256, NULL);
    tm_layer(m, RF_LAYER_RELU);
    tm_dropout(m, 0.2);
    tm_dense(m, 256, "hidden2");
    tm_layer(m, RF_LAYER_RELU);
    tm_dropout(m, 0.5);
    tm_dense(m, 10, NULL);
    tm_group(m, "*.weight", 0.0001, 0);
    tm_finish(m);
}

/* Squared loss, momentum, l1 and l2, every init kind, dropout before the first
 * dense layer and with p = 0 and p = 1. */
static void squared_model(rf_model *m)
{
    tm_begin(m, "sq", 5, 12, RF_LOSS_SQUARED, 0.03, 0.9);
    tm_dropout(m, 0.3);
    rf_layer *d = tm_dense(m, 7, NULL);
    d->weight_init = (rf_init){RF_INIT_UNIFORM, 0.5, {0, 0}};
    d->bias_init = (rf_init){RF_INIT_CONSTANT, 0.1, {0, 0}};
    tm_layer(m, RF_LAYER_SIGMOID);
    tm_dropout(m, 0);
    tm_dense(m, 40, NULL);
    tm_layer(m, RF_LAYER_TANH);
    tm_dropout(m, 1);
    tm_dense(m, 3, NULL);
    tm_group(m, "dense1.*", 0.01, 0.001);
    tm_group(m, "dense2.weight", 0, 0.002);
    tm_finish(m);
}

/* No parameters at all: relu on the input. */
static void bare_model(rf_model *m)
{
    tm_begin(m, "bare", 4, 3, RF_LOSS_SQUARED, 0.1, 0);
    tm_layer(m, RF_LAYER_RELU);
    tm_finish(m);
}

/* A small classifier for the drop-in program. */
static void tiny_model(rf_model *m)
{
    tm_begin(m, "tiny", 2, 32, RF_LOSS_SOFTMAX_CE, 0.2, 0.5);
    rf_layer *d = tm_dense(m, 16, NULL);
    d->weight_init = (rf_init){RF_INIT_NORMAL, 0.5, {0, 0}};
    tm_layer(m, RF_LAYER_TANH);
    tm_dropout(m, 0.1);
    tm_dense(m, 2, "head");
    tm_group(m, "*.weight", 0.0001, 0);
    tm_finish(m);
}

static void setup(void)
{
    if (dir[0])
        return;
    snprintf(dir, sizeof dir, "%s/emitted", rf_test_tmpdir());
    snprintf(log_path, sizeof log_path, "%s/compile.log", rf_test_tmpdir());
}

static void emit(rf_model *m)
{
    char err[512];
    int written;
    CU_ASSERT_EQUAL_FATAL(rf_emit_files(m, dir, &written, err, sizeof err), 0);
}

static void compile_everywhere(const char *name)
{
    static const char *const compilers[] = {"clang", "gcc"};
    static const char *const openmp[] = {"", "-fopenmp"};
    /* -march=native selects the vector width and tile of the matrix products (AVX-512,
       AVX2 or baseline SSE here): every instruction-set branch must compile cleanly */
    static const char *const march[] = {"", "-march=native"};
    for (int c = 0; c < 2; c++)
        for (int o = 0; o < 2; o++)
            for (int a = 0; a < 2; a++) {
                char cmd[9000];
                snprintf(cmd, sizeof cmd,
                         "cd '%s' && %s -std=c11 -Wall -Wextra -Werror -O2 %s %s -c %s.c -o %s-%s%s%s.o", dir,
                         compilers[c], openmp[o], march[a], name, name, compilers[c], openmp[o], a ? "-native" : "");
                CU_ASSERT_EQUAL(run(cmd), 0);
            }
}

/* Every global symbol the object defines starts with NAME_. */
static void check_symbols(const char *name)
{
    char cmd[9000], path[4600];
    snprintf(path, sizeof path, "%s/%s-clang-fopenmp.o", dir, name);
    snprintf(cmd, sizeof cmd, "nm -g --defined-only '%s'", path);
    FILE *p = popen(cmd, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    char line[512], prefix[64];
    snprintf(prefix, sizeof prefix, "%s_", name);
    int count = 0, foreign = 0;
    while (fgets(line, sizeof line, p)) {
        char addr[64], type[8], sym[400];
        if (sscanf(line, "%63s %7s %399s", addr, type, sym) != 3)
            continue;
        count++;
        if (strncmp(sym, prefix, strlen(prefix)) != 0) {
            foreign++;
            fprintf(stderr, "\nnot %s-prefixed: %s", prefix, sym);
        }
    }
    CU_ASSERT_EQUAL(pclose(p), 0);
    CU_ASSERT(count >= 9); /* the API */
    CU_ASSERT_EQUAL(foreign, 0);
}

static void test_compiles_with_clang_and_gcc(void)
{
    setup();
    rf_model models[3];
    seed_model(&models[0]);
    squared_model(&models[1]);
    bare_model(&models[2]);
    for (int i = 0; i < 3; i++) {
        emit(&models[i]);
        compile_everywhere(models[i].name);
        check_symbols(models[i].name);
        rf_model_free(&models[i]);
    }
}

/* The glue compiles cleanly against rf_abi.h too. */
static void test_glue_compiles(void)
{
    setup();
    rf_model m;
    squared_model(&m);
    emit(&m);
    char *glue;
    CU_ASSERT_EQUAL_FATAL(rf_emit_glue(&m, &glue), 0);
    char path[4600];
    snprintf(path, sizeof path, "%s/sq_glue.c", dir);
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(glue, f);
    fclose(f);
    for (int omp = 0; omp < 2; omp++) {
        char cmd[9000];
        snprintf(cmd, sizeof cmd, "cd '%s' && clang -std=c11 -Wall -Wextra -Werror %s -I'%s/runtime' -c sq_glue.c -o glue.o",
                 dir, omp ? "-fopenmp" : "", rf_test_source_dir());
        CU_ASSERT_EQUAL(run(cmd), 0);
    }
    free(glue);
    rf_model_free(&m);
}

/* whether text holds what, reading a line break and its indentation as one space
 * (so wrapped declarations match) */
static int contains(const char *text, const char *what)
{
    char *flat = malloc(strlen(text) + 1);
    size_t o = 0;
    for (const char *s = text; *s; s++) {
        if (*s == '\n') {
            while (s[1] == ' ')
                s++;
            if (o && flat[o - 1] != ' ' && flat[o - 1] != '(')
                flat[o++] = ' ';
            continue;
        }
        flat[o++] = *s;
    }
    flat[o] = '\0';
    int found = strstr(flat, what) != NULL;
    free(flat);
    return found;
}

/* whether what occurs in text outside comments */
static int contains_code(const char *text, const char *what)
{
    char *code = malloc(strlen(text) + 1);
    size_t o = 0;
    for (const char *s = text; *s; s++) {
        if (s[0] == '/' && s[1] == '*') {
            const char *end = strstr(s + 2, "*/");
            if (!end)
                break;
            s = end + 1;
            code[o++] = ' ';
            continue;
        }
        code[o++] = *s;
    }
    code[o] = '\0';
    int found = strstr(code, what) != NULL;
    free(code);
    return found;
}

static void test_text(void)
{
    rf_model m;
    seed_model(&m);
    char *h, *c, *h2, *c2;
    CU_ASSERT_EQUAL_FATAL(rf_emit_source(&m, &h, &c), 0);
    CU_ASSERT_EQUAL_FATAL(rf_emit_source(&m, &h2, &c2), 0);
    CU_ASSERT_STRING_EQUAL(h, h2); /* deterministic */
    CU_ASSERT_STRING_EQUAL(c, c2);

    /* where it comes from: version, model file, its hash */
    char first[300], hash[64];
    snprintf(first, sizeof first, "/* mlp_dropout.c: generated by regfitc %s from mlp_dropout.yaml", REGFIT_VERSION);
    CU_ASSERT(strncmp(c, first, strlen(first)) == 0);
    first[15] = 'h';
    CU_ASSERT(strncmp(h, first, strlen(first)) == 0);
    snprintf(hash, sizeof hash, "%016llx",
             (unsigned long long)rf_fnv1a64(RF_FNV1A64_INIT, m.source, m.source_len));
    CU_ASSERT(contains(h, hash) && contains(c, hash));

    /* the API and shapes of SPEC section 3 */
    static const char *const api[] = {
        "#define MLP_DROPOUT_BATCH 256",
        "#define MLP_DROPOUT_INPUTS 784",
        "#define MLP_DROPOUT_OUTPUTS 10",
        "#define MLP_DROPOUT_NUM_PARAMS 6",
        "typedef struct mlp_dropout_model mlp_dropout_model;",
        "struct mlp_dropout_model {",
        "void mlp_dropout_init(mlp_dropout_model *m, uint64_t seed);",
        "float mlp_dropout_train_step(mlp_dropout_model *m, const float *x, const int32_t *y, int n);",
        "float mlp_dropout_loss_grad(mlp_dropout_model *m, const float *x, const int32_t *y, int n, int training);",
        "void mlp_dropout_update(mlp_dropout_model *m);",
        "void mlp_dropout_predict(mlp_dropout_model *m, const float *x, int n, float *out);",
        "const char *mlp_dropout_param_name(int i);",
        "int mlp_dropout_param_size(int i);",
        "float *mlp_dropout_param(mlp_dropout_model *m, int i);",
        "float *mlp_dropout_grad(mlp_dropout_model *m, int i);",
        "#define MLP_DROPOUT_DENSE1_IN 784",
        "#define MLP_DROPOUT_HIDDEN2_OUT 256",
        "float dense1_weight[MLP_DROPOUT_DENSE1_IN][MLP_DROPOUT_DENSE1_OUT];",
    };
    for (size_t i = 0; i < sizeof api / sizeof api[0]; i++) {
        CU_ASSERT(contains(h, api[i]));
        if (!contains(h, api[i]))
            fprintf(stderr, "\nmissing in the header: %s", api[i]);
    }
    /* every layer headed by a comment citing its YAML lines; a fused chain once, as one block */
    for (int i = 0; i < m.n_layers; i += 3) {
        char heading[300];
        const rf_layer *L = &m.layers[i];
        if (i == 6)
            snprintf(heading, sizeof heading, "/* %s: dense %d -> %d (mlp_dropout.yaml:%d) */", L->name, L->in,
                     L->out, L->pos.line);
        else
            snprintf(heading, sizeof heading,
                     "/* %s -> relu%d -> dropout%d (mlp_dropout.yaml:%d-%d), one fused block: * dense %d -> %d; "
                     "relu, %d units; dropout, %d units, p at run time */",
                     L->name, i / 3 + 1, i / 3 + 1, L->pos.line, L->pos.line + 2, L->in, L->out, L->out, L->out);
        CU_ASSERT(contains(c, heading));
        if (!contains(c, heading))
            fprintf(stderr, "\nmissing heading: %s", heading);
    }
    CU_ASSERT(!contains(c, "/* relu1: ")); /* headed with its chain */
    /* shapes are constants: the model dimensions appear only in the #defines */
    CU_ASSERT(!contains_code(c, "784"));
    /* no allocation, no stdio, omp.h only under _OPENMP (the file needs none) */
    CU_ASSERT(!contains(c, "malloc") && !contains(c, "stdio") && !contains(c, "printf"));
    CU_ASSERT(!contains(h, "malloc") && !contains(h, "stdio"));
    CU_ASSERT(!contains(c, "omp.h"));
    /* the update reads its values at run time (one compile serves any of them); plain sgd
     * keeps no state; the defaults hold the model file's values */
    CU_ASSERT(contains(c, "_shrink(w[i] - lr * d, shrink);"));
    CU_ASSERT(contains(c, "const float d = g[i] + l2 * w[i] + l1 * "));
    CU_ASSERT(!contains(c, "momentum[") && !contains(c, "exp_avg"));
    CU_ASSERT(contains(c, "h->lr = 0.5f;"));
    /* formatted: no tabs, no trailing spaces, lines of reasonable length, 4-space indentation */
    const char *texts[2] = {h, c};
    for (int t = 0; t < 2; t++) {
        int bad = 0, longest = 0;
        for (const char *line = texts[t]; *line;) {
            const char *end = strchr(line, '\n');
            int len = end ? (int)(end - line) : (int)strlen(line);
            longest = len > longest ? len : longest;
            int indent = 0;
            while (indent < len && line[indent] == ' ')
                indent++;
            int wrong = memchr(line, '\t', (size_t)len) || (len && line[len - 1] == ' ');
            /* 4-space steps, except comment continuations (" * ") and wrapped arguments */
            if (indent % 4 != 0 && line[indent] != '*' && !strchr(line, ','))
                wrong = 1;
            if (wrong && bad++ < 5)
                fprintf(stderr, "\nbadly formatted: [%.*s]", len, line);
            line = end ? end + 1 : line + len;
        }
        CU_ASSERT_EQUAL(bad, 0);
        CU_ASSERT(longest <= 100);
        if (longest > 100)
            fprintf(stderr, "\nlongest line: %d", longest);
    }
    free(h);
    free(c);
    free(h2);
    free(c2);
    rf_model_free(&m);
}

static const char drop_in_main[] =
    "/* A user's program: the generated files dropped in, the model in static storage. */\n"
    "#include \"tiny.h\"\n"
    "#include <math.h>\n"
    "#include <stdio.h>\n"
    "\n"
    "static tiny_model model;\n"
    "\n"
    "int main(void)\n"
    "{\n"
    "    static float x[TINY_BATCH * TINY_INPUTS], out[TINY_BATCH * TINY_OUTPUTS];\n"
    "    static int32_t y[TINY_BATCH];\n"
    "    unsigned s = 1;\n"
    "    double first = 0, last = 0;\n"
    "    tiny_init(&model, 42);\n"
    "    for (int step = 0; step < 300; step++) {\n"
    "        for (int r = 0; r < TINY_BATCH; r++) {\n"
    "            for (int k = 0; k < TINY_INPUTS; k++) {\n"
    "                s = s * 1664525u + 1013904223u;\n"
    "                x[r * TINY_INPUTS + k] = (float)(s >> 8) / 16777216.0f * 2 - 1;\n"
    "            }\n"
    "            y[r] = x[r * TINY_INPUTS] + x[r * TINY_INPUTS + 1] > 0;\n"
    "        }\n"
    "        float loss = tiny_train_step(&model, x, y, TINY_BATCH);\n"
    "        if (!isfinite(loss))\n"
    "            return 2;\n"
    "        if (step < 10)\n"
    "            first += loss / 10;\n"
    "        if (step >= 290)\n"
    "            last += loss / 10;\n"
    "    }\n"
    "    tiny_predict(&model, x, TINY_BATCH, out);\n"
    "    int correct = 0;\n"
    "    for (int r = 0; r < TINY_BATCH; r++)\n"
    "        correct += (out[r * 2 + 1] > out[r * 2]) == y[r];\n"
    "    printf(\"loss %.4f -> %.4f, accuracy %d/%d, %s = %g\\n\", first, last, correct, TINY_BATCH,\n"
    "           tiny_param_name(0), tiny_param(&model, 0)[0]);\n"
    "    return last < 0.5 * first && correct >= 0.9 * TINY_BATCH ? 0 : 1;\n"
    "}\n";

static void test_drop_in(void)
{
    setup();
    rf_model m;
    tiny_model(&m);
    emit(&m);
    char path[4600], cmd[9000];
    snprintf(path, sizeof path, "%s/main.c", dir);
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(drop_in_main, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "cd '%s' && cc -std=c11 -O2 main.c tiny.c -lm -o drop_in && ./drop_in", dir);
    CU_ASSERT_EQUAL(run(cmd), 0);
    char *out = rf_test_read_file(log_path, NULL);
    if (out)
        fprintf(stderr, "\n    %s", out);
    free(out);
    /* and with OpenMP, as a user building with -fopenmp would */
    snprintf(cmd, sizeof cmd, "cd '%s' && cc -std=c11 -O2 -fopenmp main.c tiny.c -lm -o drop_in_omp && ./drop_in_omp",
             dir);
    CU_ASSERT_EQUAL(run(cmd), 0);
    rf_model_free(&m);
}

int main(int argc, char **argv)
{
    static const rf_test_case cases[] = {
        {"generated files compile with clang and gcc, -Werror, with and without OpenMP", test_compiles_with_clang_and_gcc},
        {"the glue compiles", test_glue_compiles},
        {"text: provenance, API, layer headings, constants, no malloc/stdio, formatting", test_text},
        {"drop-in: a plain cc build of the generated files trains", test_drop_in},
        {NULL, NULL},
    };
    return rf_test_main("codegen compile", cases, argc, argv);
}
