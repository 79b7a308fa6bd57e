/* Writing NAME.h and NAME.c into a folder, each whole or not at all. */
#include "emit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "atomic_file.h"

/* mkdir -p: creates dir and its missing parents. */
static int make_dirs(const char *dir, char *err, size_t errlen)
{
    size_t n = strlen(dir);
    char *path = malloc(n + 1);
    if (!path) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(path, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        char c = path[i];
        path[i] = '\0';
        struct stat st;
        if (mkdir(path, 0777) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create folder %s: %s", path, strerror(errno));
            free(path);
            return -1;
        }
        if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
            snprintf(err, errlen, "cannot create folder %s: %s", path, "a file is in the way");
            free(path);
            return -1;
        }
        path[i] = c;
    }
    free(path);
    return 0;
}

int rf_emit_files(const rf_model *m, const char *dir, char *err, size_t errlen)
{
    char *h = NULL, *c = NULL;
    if (rf_emit_source(m, &h, &c) != 0) {
        snprintf(err, errlen, "out of memory while generating %s", m->name);
        return -1;
    }
    int rc = make_dirs(dir, err, errlen);
    size_t len = strlen(dir) + strlen(m->name) + 8;
    char *path = rc == 0 ? malloc(len) : NULL;
    if (rc == 0 && !path) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    if (rc == 0) {
        snprintf(path, len, "%s/%s.h", dir, m->name);
        rc = rf_atomic_write(path, h, strlen(h), err, errlen);
    }
    if (rc == 0) {
        snprintf(path, len, "%s/%s.c", dir, m->name);
        rc = rf_atomic_write(path, c, strlen(c), err, errlen);
    }
    free(path);
    free(h);
    free(c);
    return rc;
}
