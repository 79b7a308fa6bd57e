/* Whole-or-nothing file writes (see atomic_file.h). */
#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void set_err(char *err, size_t errlen, const char *what, const char *path, int e)
{
    if (err && errlen)
        snprintf(err, errlen, "%s %s: %s", what, path, strerror(e));
}

int rf_atomic_open(rf_atomic_file *af, const char *dest, char *err, size_t errlen)
{
    memset(af, 0, sizeof *af);
    /* A destination that exists and is not a regular file (/dev/null,
     * /dev/full, a FIFO) is written in place: renaming over a device node
     * would replace it. */
    struct stat st;
    if (stat(dest, &st) == 0 && !S_ISREG(st.st_mode)) {
        if (S_ISDIR(st.st_mode)) {
            set_err(err, errlen, "cannot write", dest, EISDIR);
            errno = EISDIR;
            return -1;
        }
        af->f = fopen(dest, "wb");
        if (!af->f) {
            int e = errno;
            set_err(err, errlen, "cannot write", dest, e);
            errno = e;
            return -1;
        }
        af->final_path = strdup(dest);
        return 0;
    }
    size_t n = strlen(dest);
    af->final_path = strdup(dest);
    af->temp_path = malloc(n + 16);
    if (!af->final_path || !af->temp_path) {
        rf_atomic_abort(af);
        set_err(err, errlen, "cannot write", dest, ENOMEM);
        errno = ENOMEM;
        return -1;
    }
    snprintf(af->temp_path, n + 16, "%s.tmp.XXXXXX", dest);
    int fd = mkstemp(af->temp_path);
    if (fd < 0) {
        int e = errno;
        free(af->temp_path);
        af->temp_path = NULL;
        rf_atomic_abort(af);
        set_err(err, errlen, "cannot write", dest, e);
        errno = e;
        return -1;
    }
    /* mkstemp makes 0600; give the file the usual umask-governed mode */
    mode_t mask = umask(0);
    umask(mask);
    (void)fchmod(fd, 0666 & ~mask);
    af->f = fdopen(fd, "wb");
    if (!af->f) {
        int e = errno;
        close(fd);
        rf_atomic_abort(af);
        set_err(err, errlen, "cannot write", dest, e);
        errno = e;
        return -1;
    }
    return 0;
}

int rf_atomic_commit(rf_atomic_file *af, char *err, size_t errlen)
{
    int e = 0;
    if (ferror(af->f))
        e = errno ? errno : EIO;
    if (!e && fflush(af->f) != 0)
        e = errno;
    if (!e && fsync(fileno(af->f)) != 0 && errno != EINVAL && errno != EROFS)
        e = errno;
    if (fclose(af->f) != 0 && !e)
        e = errno;
    af->f = NULL;
    if (!e && af->temp_path && rename(af->temp_path, af->final_path) != 0)
        e = errno;
    if (e) {
        set_err(err, errlen, "cannot write", af->final_path, e);
        rf_atomic_abort(af);
        errno = e;
        return -1;
    }
    free(af->temp_path);
    free(af->final_path);
    memset(af, 0, sizeof *af);
    return 0;
}

void rf_atomic_abort(rf_atomic_file *af)
{
    if (af->f)
        fclose(af->f);
    if (af->temp_path)
        unlink(af->temp_path);
    free(af->temp_path);
    free(af->final_path);
    memset(af, 0, sizeof *af);
}

int rf_atomic_write(const char *dest, const void *data, size_t len, char *err, size_t errlen)
{
    rf_atomic_file af;
    if (rf_atomic_open(&af, dest, err, errlen) != 0)
        return -1;
    if (len && fwrite(data, 1, len, af.f) != len) {
        int e = errno ? errno : EIO;
        set_err(err, errlen, "cannot write", dest, e);
        rf_atomic_abort(&af);
        errno = e;
        return -1;
    }
    return rf_atomic_commit(&af, err, errlen);
}
