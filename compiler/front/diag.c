/* Diagnostics (see diag.h). */
#include "diag.h"

#include <stdlib.h>
#include <string.h>

struct rf_diag {
    rf_diag_entry *entries;
    int n, cap;
};

rf_diag *rf_diag_new(void)
{
    return calloc(1, sizeof(rf_diag));
}

void rf_diag_free(rf_diag *d)
{
    if (d)
        free(d->entries);
    free(d);
}

int rf_diag_count(const rf_diag *d)
{
    return d ? d->n : 0;
}

int rf_diag_errors(const rf_diag *d)
{
    int n = 0;
    for (int i = 0; d && i < d->n; i++)
        n += d->entries[i].is_error;
    return n;
}

const rf_diag_entry *rf_diag_get(const rf_diag *d, int i)
{
    return d && i >= 0 && i < d->n ? &d->entries[i] : NULL;
}

int rf_diag_find(const rf_diag *d, const char *text)
{
    for (int i = 0; d && i < d->n; i++)
        if (strstr(d->entries[i].message, text))
            return i;
    return -1;
}

/* Appends; on out of memory the entry is dropped (the error count in the
 * sink still records that something went wrong). */
static void push(rf_diag *d, const rf_diag_entry *e)
{
    if (d->n == d->cap) {
        int cap = d->cap ? 2 * d->cap : 16;
        rf_diag_entry *grown = realloc(d->entries, (size_t)cap * sizeof *grown);
        if (!grown)
            return;
        d->entries = grown;
        d->cap = cap;
    }
    d->entries[d->n++] = *e;
}

void rf_diag_sink_init(rf_diag_sink *s, const char *path, FILE *out, rf_diag *collect)
{
    memset(s, 0, sizeof *s);
    s->path = path ? path : "<input>";
    s->out = out;
    s->collect = collect;
    s->pending = rf_diag_new();
}

static void report(rf_diag_sink *s, int is_error, int line, int col, const char *fmt, va_list ap)
{
    if (is_error)
        s->errors++;
    else
        s->warnings++;
    if (is_error && s->errors > RF_DIAG_MAX_ERRORS)
        return;
    if (!is_error && s->warnings > RF_DIAG_MAX_ERRORS)
        return;
    rf_diag_entry e;
    e.is_error = is_error;
    e.line = line;
    e.col = col;
    vsnprintf(e.message, sizeof e.message, fmt, ap);
    if (s->pending)
        push(s->pending, &e);
}

void rf_diag_error(rf_diag_sink *s, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(s, 1, line, col, fmt, ap);
    va_end(ap);
}

void rf_diag_warning(rf_diag_sink *s, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(s, 0, line, col, fmt, ap);
    va_end(ap);
}

/* Stable order by position (insertion sort: lists are short, <= 100). */
static void sort_by_position(rf_diag *d)
{
    for (int i = 1; i < d->n; i++) {
        rf_diag_entry e = d->entries[i];
        int j = i;
        while (j > 0 && (d->entries[j - 1].line > e.line ||
                         (d->entries[j - 1].line == e.line && d->entries[j - 1].col > e.col))) {
            d->entries[j] = d->entries[j - 1];
            j--;
        }
        d->entries[j] = e;
    }
}

static void print_entry(FILE *out, const char *path, const rf_diag_entry *e)
{
    const char *sev = e->is_error ? "error" : "warning";
    if (e->line > 0)
        fprintf(out, "%s:%d:%d: %s: %s\n", path, e->line, e->col, sev, e->message);
    else
        fprintf(out, "%s: %s: %s\n", path, sev, e->message);
}

void rf_diag_sink_finish(rf_diag_sink *s)
{
    rf_diag *d = s->pending;
    if (!d)
        return;
    sort_by_position(d);
    int hidden = s->errors > RF_DIAG_MAX_ERRORS ? s->errors - RF_DIAG_MAX_ERRORS : 0;
    for (int i = 0; i < d->n; i++) {
        if (s->out)
            print_entry(s->out, s->path, &d->entries[i]);
        if (s->collect)
            push(s->collect, &d->entries[i]);
    }
    if (hidden > 0 && s->out)
        fprintf(s->out, "%s: note: too many errors; %d more not shown\n", s->path, hidden);
    rf_diag_free(d);
    s->pending = NULL;
}
