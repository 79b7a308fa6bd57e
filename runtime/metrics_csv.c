/* metrics.csv (see metrics_csv.h). The reader is strict: it takes what
 * rf_metrics_write writes (and the v0.1 file, without the last three
 * columns) and names FILE:LINE for anything else. */
#include "metrics_csv.h"
#include "atomic_file.h"
#include "file_read.h"

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OLD_HEADER "epoch,train_loss,test_loss,train_acc,test_acc,seconds"
#define MAX_FILE_MIB 64 /* thousands of epochs take a few hundred KiB */
#define SHOW_MAX 40     /* bytes of a bad cell quoted in a message */

/* The columns after epoch, in file order. */
static const struct {
    const char *name;
    size_t offset; /* of the double in rf_metrics_row */
    const char *fmt;
} columns[] = {
    {"train_loss", offsetof(rf_metrics_row, train_loss), "%.9g"},
    {"test_loss", offsetof(rf_metrics_row, test_loss), "%.9g"},
    {"train_acc", offsetof(rf_metrics_row, train_acc), "%.9g"},
    {"test_acc", offsetof(rf_metrics_row, test_acc), "%.9g"},
    {"seconds", offsetof(rf_metrics_row, seconds), "%.6f"},
    {"valid_loss", offsetof(rf_metrics_row, valid_loss), "%.9g"},
    {"valid_acc", offsetof(rf_metrics_row, valid_acc), "%.9g"},
    {"lr", offsetof(rf_metrics_row, lr), "%.9g"},
};
enum { NCOLS = sizeof columns / sizeof columns[0], OLD_NCOLS = 5, SECONDS_COL = 4 };

static double *value_at(rf_metrics_row *r, int c) { return (double *)((char *)r + columns[c].offset); }
static double get_value(const rf_metrics_row *r, int c)
{
    return *(const double *)((const char *)r + columns[c].offset);
}

/* ---- writing ---- */

static double round_9g(double v)
{
    if (isnan(v))
        return NAN; /* one NaN, the one the reader makes of an empty cell */
    char text[40];
    snprintf(text, sizeof text, "%.9g", v);
    return strtod(text, NULL);
}

void rf_metrics_round(rf_metrics_row *r)
{
    for (int c = 0; c < NCOLS; c++)
        if (c != SECONDS_COL)
            *value_at(r, c) = round_9g(*value_at(r, c));
}

int rf_metrics_write(const char *path, const rf_metrics_row *rows, int n, char *err, size_t errlen)
{
    rf_atomic_file af;
    if (rf_atomic_open(&af, path, err, errlen) != 0)
        return -1;
    fputs(RF_METRICS_HEADER "\n", af.f);
    for (int i = 0; i < n; i++) {
        fprintf(af.f, "%d", rows[i].epoch);
        for (int c = 0; c < NCOLS; c++) {
            double v = get_value(&rows[i], c);
            fputc(',', af.f);
            if (!isnan(v)) /* NaN: an empty cell */
                fprintf(af.f, columns[c].fmt, v);
        }
        fputc('\n', af.f);
    }
    return rf_atomic_commit(&af, err, errlen);
}

/* ---- reading ---- */

typedef struct {
    const char *p;
    size_t len;
} span;

typedef struct {
    const char *path;
    int line;
    char *err;
    size_t errlen;
} reader;

/* "PATH:LINE: " and the message into err; returns -1. */
__attribute__((format(printf, 2, 3))) static int fail(const reader *rd, const char *fmt, ...)
{
    int used = snprintf(rd->err, rd->errlen, "%s:%d: ", rd->path, rd->line);
    if (used >= 0 && (size_t)used < rd->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(rd->err + used, rd->errlen - (size_t)used, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* The cell as printable text for a message (shortened, odd bytes as '?'). */
static const char *show(span s, char *out, size_t outlen)
{
    size_t n = 0;
    for (size_t i = 0; i < s.len && i < SHOW_MAX && n + 4 < outlen; i++)
        out[n++] = s.p[i] >= 32 && s.p[i] < 127 ? s.p[i] : '?';
    if (n < s.len && n + 4 <= outlen) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
    return out;
}

/* The next cell of a line: up to the next comma or the line's end. */
static span next_cell(span *rest)
{
    const char *comma = memchr(rest->p, ',', rest->len);
    span c = {rest->p, comma ? (size_t)(comma - rest->p) : rest->len};
    size_t used = comma ? c.len + 1 : c.len;
    rest->p += used;
    rest->len -= used;
    return c;
}

static int count_cells(span line)
{
    int n = 1;
    for (size_t i = 0; i < line.len; i++)
        n += line.p[i] == ',';
    return n;
}

/* A cell as %.9g or %.6f writes it: an empty cell is NaN; otherwise only
 * the characters of a decimal number (no spaces, hex or "nan"), or "inf"
 * and "-inf", which the writer prints for an infinite value. */
static int parse_value(span s, double *v)
{
    char text[64];
    if (s.len == 0) {
        *v = NAN;
        return 0;
    }
    if (s.len >= sizeof text)
        return -1;
    memcpy(text, s.p, s.len);
    text[s.len] = '\0';
    int is_inf = strcmp(text, "inf") == 0 || strcmp(text, "-inf") == 0;
    if (!is_inf && strspn(text, "0123456789+-.eE") != s.len)
        return -1;
    char *end;
    *v = strtod(text, &end);
    if (end != text + s.len)
        return -1;
    return isinf(*v) && !is_inf ? -1 : 0; /* an overflow ("1e999") is not what the writer wrote */
}

/* An epoch: 1 to 9 digits, no sign. */
static int parse_epoch(span s, int *epoch)
{
    if (s.len == 0 || s.len > 9)
        return -1;
    int e = 0;
    for (size_t i = 0; i < s.len; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return -1;
        e = 10 * e + (s.p[i] - '0');
    }
    *epoch = e;
    return 0;
}

/* Reads one data line of ncols columns after the epoch into r. */
static int parse_row(const reader *rd, span line, int ncols, rf_metrics_row *r)
{
    char shown[SHOW_MAX + 8];
    int have = count_cells(line);
    if (have != 1 + ncols)
        return fail(rd, "%d cells, expected %d (a truncated or foreign row)", have, 1 + ncols);
    span rest = line;
    span cell = next_cell(&rest);
    if (parse_epoch(cell, &r->epoch) != 0)
        return fail(rd, "epoch '%s' is not a whole number", show(cell, shown, sizeof shown));
    for (int c = 0; c < NCOLS; c++) {
        if (c >= ncols) {
            *value_at(r, c) = NAN;
            continue;
        }
        cell = next_cell(&rest);
        if (parse_value(cell, value_at(r, c)) != 0)
            return fail(rd, "%s '%s' is not a number", columns[c].name, show(cell, shown, sizeof shown));
    }
    return 0;
}

/* The header line: the number of columns after epoch it announces. */
static int parse_header(const reader *rd, span line, int *ncols)
{
    if (line.len == strlen(RF_METRICS_HEADER) && memcmp(line.p, RF_METRICS_HEADER, line.len) == 0)
        *ncols = NCOLS;
    else if (line.len == strlen(OLD_HEADER) && memcmp(line.p, OLD_HEADER, line.len) == 0)
        *ncols = OLD_NCOLS;
    else
        return fail(rd, "not a metrics.csv header (expected '%s')", RF_METRICS_HEADER);
    return 0;
}

/* Splits off the next line (without its '\n'); -1 when it has no '\n'. */
static int next_line(const char **pos, const char *end, span *line)
{
    const char *nl = memchr(*pos, '\n', (size_t)(end - *pos));
    line->p = *pos;
    line->len = (size_t)((nl ? nl : end) - *pos);
    *pos = nl ? nl + 1 : end;
    return nl ? 0 : -1;
}

static int append_row(rf_metrics_row **rows, int *cap, int n, const rf_metrics_row *r)
{
    if (n == *cap) {
        int more = *cap ? 2 * *cap : 64;
        rf_metrics_row *grown = realloc(*rows, (size_t)more * sizeof *grown);
        if (!grown)
            return -1;
        *rows = grown;
        *cap = more;
    }
    (*rows)[n] = *r;
    return 0;
}

static int parse_file(reader *rd, const char *text, size_t len, rf_metrics_row **rows, int *n)
{
    const char *pos = text, *end = text + len;
    span line;
    int ncols, cap = 0;
    rd->line = 1;
    if (len == 0)
        return fail(rd, "empty file (expected the header '%s')", RF_METRICS_HEADER);
    int unterminated = next_line(&pos, end, &line);
    if (parse_header(rd, line, &ncols) != 0)
        return -1;
    if (unterminated)
        return fail(rd, "the header line has no end (a truncated file?)");
    while (pos < end) {
        rd->line++;
        unterminated = next_line(&pos, end, &line);
        rf_metrics_row r;
        if (parse_row(rd, line, ncols, &r) != 0)
            return -1;
        if (unterminated)
            return fail(rd, "the last line has no end (a truncated file?)");
        if (*n > 0 && r.epoch != (*rows)[*n - 1].epoch + 1)
            return fail(rd, "epoch %d after epoch %d (expected %d)", r.epoch, (*rows)[*n - 1].epoch,
                        (*rows)[*n - 1].epoch + 1);
        if (append_row(rows, &cap, *n, &r) != 0)
            return fail(rd, "out of memory");
        ++*n;
    }
    return 0;
}

int rf_metrics_read(const char *path, rf_metrics_row **rows, int *n, char *err, size_t errlen)
{
    *rows = NULL;
    *n = 0;
    unsigned char *text;
    size_t len;
    int more;
    if (rf_read_file(path, (size_t)MAX_FILE_MIB << 20, &text, &len, &more, err, errlen) != 0)
        return -1;
    reader rd = {path, 0, err, errlen};
    int rc = more ? (snprintf(err, errlen, "%s: larger than %d MiB: not a metrics.csv", path, MAX_FILE_MIB), -1)
                  : parse_file(&rd, (const char *)text, len, rows, n);
    free(text);
    if (rc != 0) {
        free(*rows);
        *rows = NULL;
        *n = 0;
    }
    return rc;
}
