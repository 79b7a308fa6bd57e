/* The generated files stand alone: they compile with clang and gcc under
 * -std=c11 -Wall -Wextra -Wpedantic -Werror with and without -fopenmp, whole and as
 * the two parts of NAME_PART, export only NAME_ symbols, say where they come
 * from, read layer by layer, and drop into another program built with a plain
 * cc command line; the two parts linked together train as the whole file,
 * bit for bit. */
#include <ctype.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* NAME in capitals, the prefix of the file's macros */
static void upper(const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s", name);
    for (char *c = buf; *c; c++)
        *c = (char)toupper((unsigned char)*c);
}

/* Compiles NAME.c with clang and gcc, with and without OpenMP and -march=native; whole,
 * and (parts = 2) each of its parts alone (-DNAME_PART=1, 2), those with -march=native only
 * (the instruction-set branches are the shared helpers', compiled whole already):
 * NAME[-partK]-CC[-fopenmp][-native].o */
static void compile_everywhere(const char *name, int parts)
{
    static const char *const compilers[] = {"clang", "gcc"};
    static const char *const openmp[] = {"", "-fopenmp"};
    /* -march=native selects the vector width and tile of the matrix products (AVX-512,
       AVX2 or baseline SSE here): every instruction-set branch must compile cleanly */
    static const char *const march[] = {"", "-march=native"};
    char macro[64];
    upper(name, macro, sizeof macro);
    for (int part = 0; part <= (parts == 2 ? 2 : 0); part++)
        for (int c = 0; c < 2; c++)
            for (int o = 0; o < 2; o++)
                for (int a = part ? 1 : 0; a < 2; a++) {
                    char cmd[9000], define[96] = "", suffix[16] = "";
                    if (part) {
                        snprintf(define, sizeof define, "-D%s_PART=%d", macro, part);
                        snprintf(suffix, sizeof suffix, "-part%d", part);
                    }
                    snprintf(cmd, sizeof cmd,
                             "cd '%s' && %s -std=c11 -Wall -Wextra -Wpedantic -Werror -O2 %s %s %s -c %s.c -o %s%s-%s%s%s.o",
                             dir, compilers[c], openmp[o], march[a], define, name, name, suffix, compilers[c],
                             openmp[o], a ? "-native" : "");
                    CU_ASSERT_EQUAL(run(cmd), 0);
                }
}

/* The symbol's type letter in the object's nm listing ('T', 'U', 't'...), or 0 when absent. */
static char symbol_type(const char *object, const char *symbol)
{
    char cmd[9000], line[512];
    snprintf(cmd, sizeof cmd, "nm '%s/%s'", dir, object);
    FILE *p = popen(cmd, "r");
    if (!p)
        return 0;
    char type = 0;
    while (fgets(line, sizeof line, p)) {
        char a[64], b[64], c[400];
        int n = sscanf(line, "%63s %63s %399s", a, b, c);
        if (n == 3 && strcmp(c, symbol) == 0)
            type = b[0];
        else if (n == 2 && strcmp(b, symbol) == 0) /* undefined: no address */
            type = a[0];
    }
    pclose(p);
    return type;
}

/* How the parts meet: NAME_backward is defined in part 2 (global, hidden), only called from
 * part 1, and static in the whole file; any other NAME_PART is refused. */
static void check_parts(const char *name)
{
    char object[300], symbol[96], macro[64], cmd[9000];
    snprintf(symbol, sizeof symbol, "%s_backward", name);
    snprintf(object, sizeof object, "%s-clang-fopenmp.o", name);
    const char whole = symbol_type(object, symbol);
    CU_ASSERT(whole == 't' || whole == 0); /* static (or inlined into its callers) */
    snprintf(object, sizeof object, "%s-part1-clang-fopenmp-native.o", name);
    CU_ASSERT_EQUAL(symbol_type(object, symbol), 'U');
    snprintf(object, sizeof object, "%s-part2-gcc-fopenmp-native.o", name);
    CU_ASSERT_EQUAL(symbol_type(object, symbol), 'T');
    /* part 2 is only the backward pass, part 1 all the rest */
    snprintf(symbol, sizeof symbol, "%s_train_step", name);
    CU_ASSERT_EQUAL(symbol_type(object, symbol), 0);
    snprintf(object, sizeof object, "%s-part1-clang-fopenmp-native.o", name);
    CU_ASSERT_EQUAL(symbol_type(object, symbol), 'T');
    upper(name, macro, sizeof macro);
    snprintf(cmd, sizeof cmd,
             "cd '%s' && clang -std=c11 -D%s_PART=3 -c %s.c -o part3.o 2>&1 | grep -q '%s_PART is 1 or 2'", dir,
             macro, name, macro);
    CU_ASSERT_EQUAL(system(cmd), 0);
}

/* Every global symbol the object (NAME-VARIANT.o) defines starts with NAME_. */
static void check_symbols(const char *name, const char *variant)
{
    char cmd[9000], path[4600];
    snprintf(path, sizeof path, "%s/%s-%s.o", dir, name, variant);
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
    CU_ASSERT(count >= (strncmp(variant, "part2", 5) == 0 ? 1 : 9)); /* the API, or NAME_backward */
    CU_ASSERT_EQUAL(foreign, 0);
}

static void test_compiles_with_clang_and_gcc(void)
{
    setup();
    rf_model models[3];
    seed_model(&models[0]);
    squared_model(&models[1]);
    bare_model(&models[2]);
    const int parts[3] = {2, 2, 1}; /* the bare model has no backward pass: whole only */
    for (int i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(rf_emit_source_parts(&models[i]), parts[i]);
        emit(&models[i]);
        compile_everywhere(models[i].name, parts[i]);
        check_symbols(models[i].name, "clang-fopenmp");
        if (parts[i] == 2) {
            check_symbols(models[i].name, "part1-clang-fopenmp-native");
            check_symbols(models[i].name, "part2-clang-fopenmp-native");
            check_parts(models[i].name);
        }
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
    /* the two parts: said at the top; the backward functions after part 2's #if, the forward
     * ones and the API before part 1's #endif, the helpers before both */
    const char *top = strstr(c, "/* Whole, this file is one translation unit (cc -c mlp_dropout.c)");
    const char *part1 = strstr(c, "\n#if !defined(MLP_DROPOUT_PART) || MLP_DROPOUT_PART == 1\n");
    const char *end1 = strstr(c, "\n#endif /* part 1 */\n");
    const char *part2 = strstr(c, "\n#if !defined(MLP_DROPOUT_PART) || MLP_DROPOUT_PART == 2\n");
    CU_ASSERT_FATAL(top && part1 && end1 && part2);
    CU_ASSERT(top < strstr(c, "#include") && part1 < end1 && end1 < part2);
    CU_ASSERT(strstr(c, "ALWAYS_INLINE void mlp_dropout_product(") < part1);
    static const char *const layers[] = {"dense1", "hidden2", "dense3"};
    for (int i = 0; i < 3; i++) {
        char fn[96];
        snprintf(fn, sizeof fn, "static void mlp_dropout_%s_forward(", layers[i]);
        CU_ASSERT(strstr(c, fn) > part1 && strstr(c, fn) < end1);
        snprintf(fn, sizeof fn, "static void mlp_dropout_%s_backward(", layers[i]);
        CU_ASSERT(strstr(c, fn) > part2);
    }
    CU_ASSERT(strstr(c, "\nfloat mlp_dropout_train_step(") < end1);
    CU_ASSERT(strstr(c, "\nMLP_DROPOUT_SPLIT_LINK void mlp_dropout_backward(") < part1); /* the prototype */
    CU_ASSERT(strstr(strstr(c, "\nMLP_DROPOUT_SPLIT_LINK void mlp_dropout_backward(") + 1,
                     "\nMLP_DROPOUT_SPLIT_LINK void mlp_dropout_backward(") > part2); /* the definition */
    CU_ASSERT(contains(c, "#define MLP_DROPOUT_SPLIT_LINK __attribute__((visibility(\"hidden\")))"));
    CU_ASSERT(contains(c, "#define MLP_DROPOUT_SPLIT_LINK static"));
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

/* A program training a classifier of the drop-in kind ("@n@" for its name, "@N@" in
 * capitals): train steps on fixed pseudo-random data, then the bits of every loss, of the
 * parameters and of one prediction. */
static const char bits_main[] =
    "#include \"@n@.h\"\n"
    "#include <stdio.h>\n"
    "#include <string.h>\n"
    "\n"
    "static @n@_model model;\n"
    "static float x[@N@_BATCH * @N@_INPUTS], out[@N@_BATCH * @N@_OUTPUTS];\n"
    "static int32_t y[@N@_BATCH];\n"
    "\n"
    "static uint64_t fnv(uint64_t h, const void *p, size_t n)\n"
    "{\n"
    "    for (size_t i = 0; i < n; i++)\n"
    "        h = (h ^ ((const unsigned char *)p)[i]) * 1099511628211u;\n"
    "    return h;\n"
    "}\n"
    "\n"
    "int main(void)\n"
    "{\n"
    "    unsigned s = 1;\n"
    "    @n@_init(&model, 42);\n"
    "    for (int step = 0; step < 12; step++) {\n"
    "        for (int i = 0; i < @N@_BATCH * @N@_INPUTS; i++) {\n"
    "            s = s * 1664525u + 1013904223u;\n"
    "            x[i] = (float)(s >> 8) / 16777216.0f * 2 - 1;\n"
    "        }\n"
    "        for (int r = 0; r < @N@_BATCH; r++)\n"
    "            y[r] = (int32_t)((unsigned)(x[r * @N@_INPUTS] * 1000 + 1000) % @N@_OUTPUTS);\n"
    "        printf(\"step %d loss %a\\n\", step, @n@_train_step(&model, x, y, @N@_BATCH - step));\n"
    "    }\n"
    "    printf(\"loss_grad %a\\n\", @n@_loss_grad(&model, x, y, @N@_BATCH, 0));\n"
    "    for (int i = 0; i < @N@_NUM_PARAMS; i++) {\n"
    "        const uint64_t p = fnv(14695981039346656037u, @n@_param(&model, i),\n"
    "                               (size_t)@n@_param_size(i) * sizeof(float));\n"
    "        const uint64_t g = fnv(14695981039346656037u, @n@_grad(&model, i),\n"
    "                               (size_t)@n@_param_size(i) * sizeof(float));\n"
    "        printf(\"%s %016llx %016llx\\n\", @n@_param_name(i), (unsigned long long)p, (unsigned long long)g);\n"
    "    }\n"
    "    @n@_predict(&model, x, @N@_BATCH, out);\n"
    "    printf(\"predict %016llx\\n\", (unsigned long long)fnv(14695981039346656037u, out, sizeof out));\n"
    "    return 0;\n"
    "}\n";

/* The program's output built with the whole NAME.c, and with its two parts compiled apart
 * and linked (as the build cache does). */
static char *bits_of(const char *name, const char *cc, int split)
{
    char cmd[9000], macro[64], out_path[4600];
    upper(name, macro, sizeof macro);
    const char *flags = "-std=c11 -O2 -march=native -fopenmp -Wall -Wextra -Wpedantic -Werror";
    if (split)
        snprintf(cmd, sizeof cmd,
                 "{ cd '%s' && %s %s -D%s_PART=1 -c %s.c -o bits1.o && %s %s -D%s_PART=2 -c %s.c -o bits2.o && "
                 "%s %s bits_main.c bits1.o bits2.o -lm -o bits_split && OMP_NUM_THREADS=2 ./bits_split >bits.txt; }",
                 dir, cc, flags, macro, name, cc, flags, macro, name, cc, flags);
    else
        snprintf(cmd, sizeof cmd, "{ cd '%s' && %s %s bits_main.c %s.c -lm -o bits_whole && "
                 "OMP_NUM_THREADS=2 ./bits_whole >bits.txt; }", dir, cc, flags, name);
    CU_ASSERT_EQUAL(run(cmd), 0);
    snprintf(out_path, sizeof out_path, "%s/bits.txt", dir);
    char *text = rf_test_read_file(out_path, NULL);
    unlink(out_path);
    return text;
}

/* The parts linked together are the whole file's code: train steps (of several row counts),
 * a loss_grad, the parameters, gradients and a prediction are the same bits. */
static void test_parts_bitwise(void)
{
    setup();
    rf_model models[2];
    seed_model(&models[0]);
    tiny_model(&models[1]);
    for (int i = 0; i < 2; i++) {
        const char *name = models[i].name;
        emit(&models[i]);
        char main_text[sizeof bits_main + 512];
        size_t o = 0;
        for (const char *t = bits_main; *t && o + 64 < sizeof main_text; t++) {
            if (t[0] == '@' && (t[1] == 'n' || t[1] == 'N') && t[2] == '@') {
                char macro[64];
                upper(name, macro, sizeof macro);
                o += (size_t)snprintf(main_text + o, sizeof main_text - o, "%s", t[1] == 'n' ? name : macro);
                t += 2;
            } else {
                main_text[o++] = *t;
            }
        }
        main_text[o] = '\0';
        char path[4600];
        snprintf(path, sizeof path, "%s/bits_main.c", dir);
        FILE *f = fopen(path, "w");
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        fputs(main_text, f);
        fclose(f);
        for (int c = 0; c < (i == 0 ? 1 : 2); c++) { /* the seed model with clang only: the slow one */
            const char *cc = c ? "gcc" : "clang";
            char *whole = bits_of(name, cc, 0), *split = bits_of(name, cc, 1);
            CU_ASSERT_PTR_NOT_NULL_FATAL(whole);
            CU_ASSERT_PTR_NOT_NULL_FATAL(split);
            CU_ASSERT(strstr(whole, "step 11 loss ") && strstr(whole, "predict "));
            CU_ASSERT_STRING_EQUAL(whole, split);
            if (strcmp(whole, split) != 0)
                fprintf(stderr, "\n%s, %s: whole\n%s\nsplit\n%s", name, cc, whole, split);
            free(whole);
            free(split);
        }
        rf_model_free(&models[i]);
    }
}

int main(int argc, char **argv)
{
    static const rf_test_case cases[] = {
        {"generated files compile with clang and gcc, -Werror, with and without OpenMP, whole and in parts",
         test_compiles_with_clang_and_gcc},
        {"the glue compiles", test_glue_compiles},
        {"text: provenance, API, layer headings, constants, no malloc/stdio, formatting", test_text},
        {"drop-in: a plain cc build of the generated files trains", test_drop_in},
        {"the two parts linked together train as the whole file, bit for bit", test_parts_bitwise},
        {NULL, NULL},
    };
    return rf_test_main("codegen compile", cases, argc, argv);
}
