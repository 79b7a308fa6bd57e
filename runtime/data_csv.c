/* CSV data: one sample a line, the features then the target(s), comma
 * separated. A first line that is not all numbers is a header; blank lines
 * are skipped; CR before LF is ignored. Every error names FILE:LINE and the
 * column (1-based field number). */
#include "dataset.h"
#include "file_read.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CSV_MAX_FILE (1ull << 32) /* 4 GiB of text */
#define FIELD_MAX 512             /* longer than any number worth reading */

typedef struct {
    const char *p;
    size_t len;
} span;

static int is_blank(char c) { return c == ' ' || c == '\t'; }

static span trim(span s)
{
    while (s.len && is_blank(s.p[0])) {
        s.p++;
        s.len--;
    }
    while (s.len && is_blank(s.p[s.len - 1]))
        s.len--;
    return s;
}

/* The field as printable text for a message (shortened, odd bytes as '?'). */
static const char *show(span s, char *out, size_t outlen)
{
    size_t n = 0;
    for (size_t i = 0; i < s.len && n + 4 < outlen; i++)
        out[n++] = (s.p[i] >= 32 && s.p[i] < 127) ? s.p[i] : '?';
    if (n < s.len && n + 4 <= outlen) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
    return out;
}

/* Parses a whole (trimmed) field as a number; 0 on success. */
static int parse_number(span s, double *v)
{
    char buf[FIELD_MAX];
    if (s.len == 0 || s.len >= sizeof buf)
        return -1;
    memcpy(buf, s.p, s.len);
    buf[s.len] = '\0';
    char *end;
    *v = strtod(buf, &end);
    return end == buf + s.len ? 0 : -1;
}

/* The next field of a line: up to the next comma (or the line's end). */
static span next_field(span *rest)
{
    const char *comma = memchr(rest->p, ',', rest->len);
    span f = {rest->p, comma ? (size_t)(comma - rest->p) : rest->len};
    if (comma) {
        rest->p = comma + 1;
        rest->len -= f.len + 1;
    } else {
        rest->p += rest->len;
        rest->len = 0;
    }
    return trim(f);
}

static int count_fields(span line)
{
    int n = 1;
    for (size_t i = 0; i < line.len; i++)
        n += line.p[i] == ',';
    return n;
}

/* The first line is a header when most of its fields are text (neither a
 * number nor starting like one). A line with a stray word among numbers
 * ("1,2x,0", "1,2,x,1") stays a data line and gets a precise error instead
 * of being skipped. */
static int is_header(span line)
{
    span rest = line;
    int fields = count_fields(line), text = 0;
    for (int k = 0; k < fields; k++) {
        span f = next_field(&rest);
        double v;
        if (f.len == 0 || parse_number(f, &v) == 0)
            continue;
        text += !strchr("0123456789+-.", f.p[0]);
    }
    return 2 * text > fields;
}

/* Splits text into lines: *line gets the next one without its "\r\n". */
static int next_line(const char **pos, const char *end, span *line)
{
    if (*pos >= end)
        return 0;
    const char *nl = memchr(*pos, '\n', (size_t)(end - *pos));
    const char *stop = nl ? nl : end;
    line->p = *pos;
    line->len = (size_t)(stop - *pos);
    if (line->len && line->p[line->len - 1] == '\r')
        line->len--;
    *pos = nl ? nl + 1 : end;
    return 1;
}

/* Reads one sample's fields into x (features floats) and its target. */
static int parse_sample(span line, const char *name, int lineno, int features, int classes, int targets,
                        float *x, int32_t *label, float *y, char *err, size_t errlen)
{
    int want = features + (classes > 0 ? 1 : targets);
    int have = count_fields(line);
    if (have != want) {
        if (classes > 0)
            snprintf(err, errlen, "%s:%d: expected %d fields (%d features and a class label), found %d", name,
                     lineno, want, features, have);
        else
            snprintf(err, errlen, "%s:%d: expected %d fields (%d features and %d target%s), found %d", name,
                     lineno, want, features, targets, targets == 1 ? "" : "s", have);
        return -1;
    }
    span rest = line;
    char shown[40];
    for (int k = 0; k < want; k++) {
        span f = next_field(&rest);
        double v;
        if (f.len == 0) {
            snprintf(err, errlen, "%s:%d: column %d: empty field", name, lineno, k + 1);
            return -1;
        }
        if (parse_number(f, &v) != 0) {
            snprintf(err, errlen, "%s:%d: column %d: '%s' is not a number", name, lineno, k + 1,
                     show(f, shown, sizeof shown));
            return -1;
        }
        if (!isfinite(v) || !isfinite((float)v)) {
            snprintf(err, errlen, "%s:%d: column %d: '%s' is not a finite number", name, lineno, k + 1,
                     show(f, shown, sizeof shown));
            return -1;
        }
        if (k < features) {
            x[k] = (float)v;
        } else if (classes > 0) {
            if (v != floor(v)) {
                snprintf(err, errlen, "%s:%d: column %d: class label '%s' is not an integer", name, lineno, k + 1,
                         show(f, shown, sizeof shown));
                return -1;
            }
            if (v < 0 || v >= classes) {
                snprintf(err, errlen, "%s:%d: column %d: class label %s is out of range (%d classes: 0 to %d)",
                         name, lineno, k + 1, show(f, shown, sizeof shown), classes, classes - 1);
                return RF_DATA_MISMATCH;
            }
            *label = (int32_t)v;
        } else {
            y[k - features] = (float)v;
        }
    }
    return 0;
}

/* Room for twice as many samples (the first estimate was too small). */
static int grow(rf_dataset *d, size_t *cap, int targets)
{
    size_t more = 2 * *cap;
    float *x = realloc(d->x, more * (size_t)d->features * sizeof *x);
    if (!x)
        return -1;
    d->x = x;
    if (d->labels) {
        int32_t *labels = realloc(d->labels, more * sizeof *labels);
        if (!labels)
            return -1;
        d->labels = labels;
    } else {
        float *y = realloc(d->y, more * (size_t)targets * sizeof *y);
        if (!y)
            return -1;
        d->y = y;
    }
    *cap = more;
    return 0;
}

int rf_csv_parse(const char *text, size_t len, const char *name, int features, int classes, int targets,
                 rf_dataset *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (features < 1 || (classes > 0) == (targets > 0) || classes < 0 || targets < 0) {
        snprintf(err, errlen, "%s: bad CSV layout: %d features, %d classes, %d targets", name, features, classes,
                 targets);
        return -1;
    }
    int fields = features + (classes > 0 ? 1 : targets);

    /* Room for every sample the text can hold: a valid line has at least
     * 2 * fields - 1 bytes plus its newline, so a short-lined file cannot
     * make us allocate much more than its own size. */
    size_t lines = 0;
    const char *pos = text, *end = text + len;
    span line;
    while (next_line(&pos, end, &line))
        lines += trim(line).len > 0;
    size_t cap = (len + 1) / (2 * (size_t)fields);
    if (lines < cap)
        cap = lines;
    if (cap > (size_t)RF_DATA_MAX_SAMPLES || cap * (size_t)fields > (size_t)RF_DATA_MAX_VALUES) {
        snprintf(err, errlen, "%s: too large: more than %ld values", name, RF_DATA_MAX_VALUES);
        return -1;
    }
    if (cap == 0)
        cap = 1;
    out->features = features;
    out->classes = classes;
    out->targets = classes > 0 ? 0 : targets;
    out->x = malloc(cap * (size_t)features * sizeof *out->x);
    if (classes > 0)
        out->labels = malloc(cap * sizeof *out->labels);
    else
        out->y = malloc(cap * (size_t)targets * sizeof *out->y);
    if (!out->x || (!out->labels && !out->y)) {
        snprintf(err, errlen, "%s: out of memory", name);
        rf_dataset_free(out);
        return -1;
    }

    int lineno = 0, n = 0, seen_first = 0, header = 0;
    pos = text;
    while (next_line(&pos, end, &line)) {
        lineno++;
        span t = trim(line);
        if (t.len == 0)
            continue;
        if (!seen_first) {
            seen_first = 1;
            if (is_header(t)) {
                int want = features + (classes > 0 ? 1 : targets);
                if (count_fields(t) != want) {
                    snprintf(err, errlen, "%s:%d: the header line has %d fields, but the model needs %d (%d "
                             "features + %d %s)", name, lineno, count_fields(t), want, features,
                             classes > 0 ? 1 : targets, classes > 0 ? "class index" : "targets");
                    rf_dataset_free(out);
                    return -1;
                }
                header = 1;
                continue;
            }
        }
        if ((size_t)n == cap && grow(out, &cap, targets) != 0) {
            snprintf(err, errlen, "%s:%d: out of memory", name, lineno);
            rf_dataset_free(out);
            return -1;
        }
        float *y = out->y ? out->y + (size_t)n * targets : NULL;
        int32_t *label = out->labels ? out->labels + n : NULL;
        int rc = parse_sample(t, name, lineno, features, classes, targets, out->x + (size_t)n * features, label, y,
                              err, errlen);
        if (rc != 0) {
            rf_dataset_free(out);
            return rc;
        }
        n++;
    }
    if (n == 0) {
        snprintf(err, errlen, "%s: no samples (%s)", name, header ? "only a header line" : "empty file");
        rf_dataset_free(out);
        return -1;
    }
    out->n = n;
    return 0;
}

int rf_csv_load(const char *path, int features, int classes, int targets, rf_dataset *out, char *err,
                size_t errlen)
{
    unsigned char *buf;
    size_t len;
    int more;
    memset(out, 0, sizeof *out);
    if (rf_read_file(path, (size_t)CSV_MAX_FILE, &buf, &len, &more, err, errlen) != 0)
        return -1;
    if (more) {
        snprintf(err, errlen, "%s: too large (more than %llu bytes)", path, (unsigned long long)CSV_MAX_FILE);
        free(buf);
        return -1;
    }
    int rc = rf_csv_parse((const char *)buf, len, path, features, classes, targets, out, err, errlen);
    free(buf);
    return rc;
}
