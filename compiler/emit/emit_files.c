/* Writing NAME.h and NAME.c (or NAME_infer.h and NAME_infer.c) into a folder: both or
 * neither, each whole, and a file whose content would not change is not written again
 * (so a build that depends on them rebuilds nothing). */
#include "emit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "run_dir.h"

/* 1 when the file at path holds exactly text (then it is left alone: its time stays). */
static int holds(const char *path, const char *text)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t len = strlen(text), got = 0;
    char buf[65536];
    int same = 1;
    for (size_t n; same && (n = fread(buf, 1, sizeof buf, f)) > 0; got += n)
        same = got + n <= len && memcmp(buf, text + got, n) == 0;
    fclose(f);
    return same && got == len;
}

int rf_write_file_pair(const char *dir, const char *const names[2], const char *const texts[2], int *written,
                       char *err, size_t errlen)
{
    char *path[2] = {NULL, NULL};
    rf_atomic_file af[2];
    int open[2] = {0, 0}, rc = 0;
    *written = 0;
    rc = rf_make_dirs(dir, err, errlen);
    for (int i = 0; i < 2 && rc == 0; i++) {
        size_t len = strlen(dir) + strlen(names[i]) + 2;
        if (!(path[i] = malloc(len))) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
            break;
        }
        snprintf(path[i], len, "%s/%s", dir, names[i]);
        struct stat st;
        if (stat(path[i], &st) == 0 && !S_ISREG(st.st_mode)) {
            snprintf(err, errlen, "cannot write %s: not a regular file", path[i]);
            rc = -1;
        }
    }
    /* both written to temporary files first, then both renamed into place: both or neither */
    for (int i = 0; i < 2 && rc == 0; i++) {
        if (holds(path[i], texts[i]))
            continue;
        if (rf_atomic_open(&af[i], path[i], err, errlen) != 0) {
            rc = -1;
            break;
        }
        open[i] = 1;
        fputs(texts[i], af[i].f);
    }
    for (int i = 0; i < 2 && rc == 0; i++)
        if (open[i]) {
            open[i] = 0;
            if (rf_atomic_commit(&af[i], err, errlen) != 0)
                rc = -1;
            else
                ++*written;
        }
    for (int i = 0; i < 2; i++) {
        if (open[i])
            rf_atomic_abort(&af[i]);
        free(path[i]);
    }
    return rc;
}

int rf_emit_files(const rf_model *m, const char *dir, int *written, char *err, size_t errlen)
{
    char *h = NULL, *c = NULL, names[2][RF_NAME_MAX + 8];
    *written = 0;
    if (rf_emit_source(m, &h, &c) != 0) {
        snprintf(err, errlen, "out of memory while generating %s", m->name);
        return -1;
    }
    snprintf(names[0], sizeof names[0], "%s.h", m->name);
    snprintf(names[1], sizeof names[1], "%s.c", m->name);
    const char *const name_ptrs[2] = {names[0], names[1]}, *const texts[2] = {h, c};
    int rc = rf_write_file_pair(dir, name_ptrs, texts, written, err, errlen);
    free(h);
    free(c);
    return rc;
}

int rf_output_path(const char *dir, const char *file, char *buf, size_t len)
{
    char cwd[4096] = "";
    if (dir[0] != '/' && !getcwd(cwd, sizeof cwd))
        return -1;
    while (dir[0] == '.' && dir[1] == '/') /* "./generated" is "generated" */
        dir += 2;
    if (!strcmp(dir, "."))
        dir = "";
    size_t d = strlen(dir);
    while (d > 1 && dir[d - 1] == '/') /* "generated/" */
        d--;
    int n;
    if (dir[0] == '/')
        n = snprintf(buf, len, "%.*s%s%s", (int)d, dir, d > 1 ? "/" : "", file);
    else if (d == 0)
        n = snprintf(buf, len, "%s/%s", cwd, file);
    else
        n = snprintf(buf, len, "%s/%.*s/%s", cwd, (int)d, dir, file);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}
