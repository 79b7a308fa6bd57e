/* Shared helpers for the CUnit test programs: a standard main, temporary
 * folders and files, and running the regfitc program as a user would. */
#ifndef RF_TEST_H
#define RF_TEST_H

#include <CUnit/Basic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* Asserts that `text` contains `part`, showing both when it does not. */
#define RF_ASSERT_CONTAINS(text, part)                                              \
    do {                                                                            \
        if (!strstr((text), (part)))                                                \
            fprintf(stderr, "\nmessage was: %s (wanted %s)\n", (text), (part));    \
        CU_ASSERT_PTR_NOT_NULL(strstr((text), (part)));                             \
    } while (0)

/* A test case table entry. */
typedef struct {
    const char *name;
    void (*fn)(void);
} rf_test_case;

/* Registers one suite of cases and runs every registered suite in CUnit's
 * basic mode (verbose). Returns the exit code for main: 0 when all passed. */
int rf_test_main(const char *suite, const rf_test_case *cases, int argc, char **argv);

/* A fresh folder under $TMPDIR (or /tmp), removed at exit. */
const char *rf_test_tmpdir(void);

/* Writes text to DIR/name (inside rf_test_tmpdir()) and returns the full
 * path (static storage, valid until the next call that returns a path). */
const char *rf_test_write(const char *name, const char *text);
const char *rf_test_write_bytes(const char *name, const void *data, size_t len);

/* Runs the regfitc program with the given argument string (split by sh),
 * captures stdout and stderr, returns its exit status (or -1). The captured
 * text stays valid until the next call. */
typedef struct {
    int status;
    char *out;
    char *err;
} rf_run_result;
rf_run_result rf_test_regfitc(const char *args);

/* Paths of the source tree and of the built regfitc. */
const char *rf_test_source_dir(void);
const char *rf_test_regfitc_exe(void);

/* Reads a whole file into a malloc'd NUL-terminated buffer (NULL on error). */
char *rf_test_read_file(const char *path, size_t *len);

/* A checkpoint file is whole: its magic, and a CRC-32 over all but its
 * last 4 bytes that equals those bytes (SPEC section 4). */
int rf_test_ckpt_is_whole(const void *data, size_t len);

#endif
