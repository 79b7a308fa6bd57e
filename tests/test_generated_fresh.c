/* generated/ holds the emitted code of every shipped model, kept up to
 * date: this fails when re-emitting a model of models/ would change it.
 * (Regenerate with: ./dev regen, i.e. build/regfitc --emit on each model file; do build/regfitc --emit "$f"; done) */
#include "emit.h"
#include "frontend.h"
#include "rftest.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void compare(const char *path, const char *want)
{
    size_t len;
    char *have = rf_test_read_file(path, &len);
    if (!have) {
        fprintf(stderr, "\n  missing %s\n", path);
        CU_FAIL("a shipped model has no generated code");
        return;
    }
    if (strcmp(have, want) != 0) {
        fprintf(stderr, "\n  %s is stale: regenerate it with regfitc --emit\n", path);
        CU_FAIL("generated code is stale");
    }
    free(have);
}

static void test_every_model_is_fresh(void)
{
    /* paths as a user gives them from the top of the checkout */
    CU_ASSERT_EQUAL_FATAL(chdir(rf_test_source_dir()), 0);
    DIR *d = opendir("models");
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    struct dirent *e;
    int models = 0;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".yaml"))
            continue;
        char path[1024];
        snprintf(path, sizeof path, "models/%s", e->d_name);
        rf_model m;
        CU_ASSERT_EQUAL_FATAL(rf_load_model(path, &m, stderr, NULL), 0);
        char *h = NULL, *c = NULL;
        CU_ASSERT_EQUAL_FATAL(rf_emit_source(&m, &h, &c), 0);
        char gen[1024];
        snprintf(gen, sizeof gen, "generated/%s.h", m.name);
        compare(gen, h);
        snprintf(gen, sizeof gen, "generated/%s.c", m.name);
        compare(gen, c);
        free(h);
        free(c);
        rf_model_free(&m);
        models++;
    }
    closedir(d);
    CU_ASSERT(models >= 5);
}

/* A user drops generated/mlp_dropout.{c,h} into their own build: a plain
 * cc command line, no CMake, no runtime; 60 steps on a fixed, easily
 * separable batch must take the loss from ln 10 to under half of it. */
static const char drop_in_main[] =
    "#include \"mlp_dropout.h\"\n"
    "#include <math.h>\n"
    "#include <stdio.h>\n"
    "static mlp_dropout_model model;\n"
    "static float x[MLP_DROPOUT_BATCH][MLP_DROPOUT_INPUTS];\n"
    "static int32_t y[MLP_DROPOUT_BATCH];\n"
    "int main(void)\n"
    "{\n"
    "    for (int r = 0; r < MLP_DROPOUT_BATCH; r++) {\n"
    "        y[r] = r % MLP_DROPOUT_OUTPUTS;\n"
    "        for (int k = 0; k < MLP_DROPOUT_INPUTS; k++)\n"
    "            x[r][k] = (float)(k % MLP_DROPOUT_OUTPUTS == y[r]);\n"
    "    }\n"
    "    mlp_dropout_init(&model, 1);\n"
    "    float first = mlp_dropout_train_step(&model, &x[0][0], y, MLP_DROPOUT_BATCH), last = first;\n"
    "    for (int s = 0; s < 60; s++)\n"
    "        last = mlp_dropout_train_step(&model, &x[0][0], y, MLP_DROPOUT_BATCH);\n"
    "    printf(\"%f %f\\n\", first, last);\n"
    "    return isfinite(last) && last < 0.5f * first ? 0 : 1;\n"
    "}\n";

static void test_drop_in_build_of_generated_mlp_dropout(void)
{
    const char *main_path = rf_test_write("drop_in_main.c", drop_in_main);
    static const char *const compilers[] = {"cc", "clang"};
    static const char *const modes[] = {"", "-fopenmp"};
    for (int c = 0; c < 2; c++)
        for (int o = 0; o < 2; o++) {
            char cmd[8192];
            snprintf(cmd, sizeof cmd,
                     "%s -std=c11 -O2 -Wall -Wextra -Wpedantic -Werror %s -I%s/generated -o %s/drop_in '%s' "
                     "%s/generated/mlp_dropout.c -lm && %s/drop_in",
                     compilers[c], modes[o], rf_test_source_dir(), rf_test_tmpdir(), main_path,
                     rf_test_source_dir(), rf_test_tmpdir());
            int rc = system(cmd);
            if (rc != 0)
                fprintf(stderr, "\n  failed: %s\n", cmd);
            CU_ASSERT_EQUAL(rc, 0);
        }
}

int main(int argc, char **argv)
{
    static const rf_test_case cases[] = {
        {"generated/ matches re-emitting every model of models/", test_every_model_is_fresh},
        {"generated/mlp_dropout.c builds with a plain cc line and trains", test_drop_in_build_of_generated_mlp_dropout},
        {NULL, NULL},
    };
    return rf_test_main("generated_fresh", cases, argc, argv);
}
