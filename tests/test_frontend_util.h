/* Helpers shared by the test_frontend*.c programs: check YAML text and
 * assert diagnostics by severity, position and message. */
#ifndef TEST_FRONTEND_UTIL_H
#define TEST_FRONTEND_UTIL_H

#include "frontend.h"
#include "rftest.h"

#include <stdio.h>
#include <string.h>

static rf_diag *fe_diag;
static rf_model fe_model;

__attribute__((unused)) static void fe_dump(void)
{
    for (int i = 0; i < rf_diag_count(fe_diag); i++) {
        const rf_diag_entry *e = rf_diag_get(fe_diag, i);
        fprintf(stderr, "    [%d:%d %s] %s\n", e->line, e->col, e->is_error ? "error" : "warning",
                e->message);
    }
}

/* Checks `text` as the file "dir/model.yaml"; the result stays in fe_model
 * (free with fe_done) and the diagnostics in fe_diag. */
__attribute__((unused)) static int fe_check_as(const char *path, const char *text)
{
    rf_diag_free(fe_diag);
    fe_diag = rf_diag_new();
    rf_model_free(&fe_model);
    return rf_check_model_text(path, text, strlen(text), &fe_model, NULL, fe_diag);
}

__attribute__((unused)) static int fe_check(const char *text)
{
    return fe_check_as("dir/model.yaml", text);
}

__attribute__((unused)) static void fe_done(void)
{
    rf_model_free(&fe_model);
    rf_diag_free(fe_diag);
    fe_diag = NULL;
}

/* The diagnostic whose message contains `text`, asserted to exist with
 * the given severity and position (line 0: do not compare the position). */
__attribute__((unused)) static const rf_diag_entry *
fe_expect_at(int is_error, int line, int col, const char *text, const char *file, int src_line)
{
    const rf_diag_entry *e = NULL;
    for (int i = 0; !e && i < rf_diag_count(fe_diag); i++) {
        const rf_diag_entry *x = rf_diag_get(fe_diag, i);
        if (strstr(x->message, text) && x->is_error == is_error &&
            (line == 0 || (x->line == line && x->col == col)))
            e = x;
    }
    int ok = e != NULL;
    if (!ok) {
        fprintf(stderr, "\n  %s:%d: expected %s at %d:%d containing \"%s\"; got:\n", file,
                src_line, is_error ? "error" : "warning", line, col, text);
        fe_dump();
    }
    CU_ASSERT_TRUE(ok);
    return e;
}

#define EXPECT_ERROR(line, col, text) fe_expect_at(1, line, col, text, __FILE__, __LINE__)
#define EXPECT_WARNING(line, col, text) fe_expect_at(0, line, col, text, __FILE__, __LINE__)

/* The check succeeded with no diagnostics at all. */
#define EXPECT_CLEAN(rc)                                                                           \
    do {                                                                                           \
        if ((rc) != 0 || rf_diag_count(fe_diag) != 0) {                                            \
            fprintf(stderr, "\n  %s:%d: expected a clean model; got:\n", __FILE__, __LINE__);       \
            fe_dump();                                                                             \
        }                                                                                          \
        CU_ASSERT_EQUAL_FATAL(rc, 0);                                                              \
        CU_ASSERT_EQUAL(rf_diag_count(fe_diag), 0);                                                \
    } while (0)

/* The smallest valid model, to append to or edit. */
#define FE_HEAD "name: m\ninput: 4\nbatch: 2\n"
#define FE_TAIL "loss: squared\noptimizer: {sgd: {lr: 0.1}}\n"

#endif
