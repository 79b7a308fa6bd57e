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

int main(int argc, char **argv)
{
    static const rf_test_case cases[] = {
        {"generated/ matches re-emitting every model of models/", test_every_model_is_fresh},
        {NULL, NULL},
    };
    return rf_test_main("generated_fresh", cases, argc, argv);
}
