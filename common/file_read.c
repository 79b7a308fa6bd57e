/* Bounded whole-file reads through zlib (see file_read.h). */
#include "file_read.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

enum { FIRST_CHUNK = 1 << 20, READ_CHUNK = 1 << 20 };

int rf_read_file(const char *path, size_t max_len, unsigned char **buf, size_t *len, int *more, char *err,
                 size_t errlen)
{
    *buf = NULL;
    *len = 0;
    *more = 0;
    errno = 0;
    gzFile gz = gzopen(path, "rb");
    if (!gz) {
        snprintf(err, errlen, "%s: cannot open: %s", path, errno ? strerror(errno) : "out of memory");
        return -1;
    }
    size_t cap = max_len < FIRST_CHUNK ? max_len : FIRST_CHUNK;
    unsigned char *data = malloc(cap + 1);
    size_t n = 0;
    if (!data)
        goto oom;
    for (;;) {
        if (n == cap) {
            if (cap == max_len) {
                /* at the limit: does the file go on? */
                unsigned char probe;
                int got = gzread(gz, &probe, 1);
                if (got < 0)
                    goto read_error;
                *more = got > 0;
                break;
            }
            size_t bigger = cap > max_len / 2 ? max_len : 2 * cap;
            unsigned char *grown = realloc(data, bigger + 1);
            if (!grown)
                goto oom;
            data = grown;
            cap = bigger;
        }
        size_t want = cap - n < READ_CHUNK ? cap - n : READ_CHUNK;
        int got = gzread(gz, data + n, (unsigned)want);
        if (got < 0)
            goto read_error;
        if (got == 0)
            break;
        n += (size_t)got;
    }
    /* a gzip stream that ends early reads as a short file; zlib says so here */
    int errnum = Z_OK;
    gzerror(gz, &errnum);
    if (errnum != Z_OK && errnum != Z_STREAM_END)
        goto read_error;
    gzclose(gz);
    data[n] = '\0';
    *buf = data;
    *len = n;
    return 0;

read_error: {
    int errnum2 = Z_OK;
    const char *msg = gzerror(gz, &errnum2);
    size_t plen = strlen(path); /* zlib puts "PATH: " before its message */
    if (strncmp(msg, path, plen) == 0 && msg[plen] == ':' && msg[plen + 1] == ' ')
        msg += plen + 2;
    if (errnum2 == Z_ERRNO)
        snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
    else if (errnum2 == Z_BUF_ERROR)
        snprintf(err, errlen, "%s: truncated gzip data (%s)", path, msg);
    else
        snprintf(err, errlen, "%s: corrupt gzip data (%s)", path, msg);
    free(data);
    gzclose(gz);
    return -1;
}
oom:
    snprintf(err, errlen, "%s: out of memory reading the file", path);
    free(data);
    gzclose(gz);
    return -1;
}
