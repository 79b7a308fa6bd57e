/* Shared helpers for the CUnit test programs (see rftest.h). */
#include "rftest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

static char tmpdir[4096];
static char pathbuf[4096];

static void remove_tmpdir(void)
{
    if (tmpdir[0] && !getenv("RF_KEEP_TMP")) {
        char cmd[4200];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "warning: could not remove %s\n", tmpdir);
    }
}

const char *rf_test_tmpdir(void)
{
    if (!tmpdir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(tmpdir, sizeof tmpdir, "%s/rftest.XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(tmpdir)) {
            perror("mkdtemp");
            exit(1);
        }
        atexit(remove_tmpdir);
    }
    return tmpdir;
}

const char *rf_test_write_bytes(const char *name, const void *data, size_t len)
{
    snprintf(pathbuf, sizeof pathbuf, "%s/%s", rf_test_tmpdir(), name);
    FILE *f = fopen(pathbuf, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        perror(pathbuf);
        exit(1);
    }
    return pathbuf;
}

const char *rf_test_write(const char *name, const char *text)
{
    return rf_test_write_bytes(name, text, strlen(text));
}

char *rf_test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *bigger = realloc(buf, 2 * cap + 1);
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf)
        return NULL;
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

const char *rf_test_source_dir(void) { return REGFIT_SOURCE_DIR; }
const char *rf_test_regfitc_exe(void) { return RF_REGFITC_EXE; }

rf_run_result rf_test_regfitc(const char *args)
{
    static rf_run_result last;
    free(last.out);
    free(last.err);
    memset(&last, 0, sizeof last);
    char out_path[4200], err_path[4200];
    snprintf(out_path, sizeof out_path, "%s/.stdout", rf_test_tmpdir());
    snprintf(err_path, sizeof err_path, "%s/.stderr", rf_test_tmpdir());
    size_t need = strlen(args) + 3 * 4200;
    char *cmd = malloc(need);
    snprintf(cmd, need, "'%s' %s >'%s' 2>'%s' </dev/null", RF_REGFITC_EXE, args, out_path, err_path);
    int rc = system(cmd);
    free(cmd);
    last.status = (rc != -1 && WIFEXITED(rc)) ? WEXITSTATUS(rc) : -1;
    last.out = rf_test_read_file(out_path, NULL);
    last.err = rf_test_read_file(err_path, NULL);
    if (!last.out)
        last.out = calloc(1, 1);
    if (!last.err)
        last.err = calloc(1, 1);
    return last;
}

int rf_test_main(const char *suite, const rf_test_case *cases, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    /* compiled models are cached per build tree, shared by all test programs */
    setenv("REGFIT_CACHE", RF_BINARY_DIR "/test-cache", 0);
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite s = CU_add_suite(suite, NULL, NULL);
    if (!s)
        return 1;
    for (const rf_test_case *c = cases; c->name; c++)
        if (!CU_add_test(s, c->name, c->fn))
            return 1;
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    unsigned run = CU_get_number_of_tests_run();
    CU_cleanup_registry();
    if (run == 0) {
        fprintf(stderr, "no test ran\n");
        return 1;
    }
    return failed ? 1 : 0;
}

int rf_test_ckpt_is_whole(const void *data, size_t len)
{
    const unsigned char *b = data;
    if (len < 20 || memcmp(b, "RGFTCKPT", 8) != 0)
        return 0;
    uLong crc = crc32(0L, b, (uInt)(len - 4));
    uLong stored = b[len - 4] | (b[len - 3] << 8) | (b[len - 2] << 16) | ((uLong)b[len - 1] << 24);
    return crc == stored;
}
