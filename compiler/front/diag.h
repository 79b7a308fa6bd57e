/* Diagnostics: errors and warnings about a model file, each with the
 * 1-based line and column of the YAML node it is about.
 *
 * A checking run reports into an rf_diag_sink. When the run ends,
 * rf_diag_sink_finish() sorts what was reported by position, prints it as
 *     FILE:LINE:COL: error: MESSAGE
 * to the sink's stream (stderr in the CLI) and appends it to a caller's
 * rf_diag collection (tests read messages and positions from there).
 * At most RF_DIAG_MAX_ERRORS errors are kept; the rest are counted and
 * summed up in one closing note. */
#ifndef RF_DIAG_H
#define RF_DIAG_H

#include <stdarg.h>
#include <stdio.h>

#define RF_DIAG_MESSAGE_MAX 512
#define RF_DIAG_MAX_ERRORS 50

typedef struct {
    int is_error; /* 1 error, 0 warning */
    int line, col; /* 1-based; 0 when the message is about the whole file */
    char message[RF_DIAG_MESSAGE_MAX];
} rf_diag_entry;

/* A growing list of entries (opaque). */
typedef struct rf_diag rf_diag;

rf_diag *rf_diag_new(void);
void rf_diag_free(rf_diag *d);
int rf_diag_count(const rf_diag *d);
int rf_diag_errors(const rf_diag *d);
const rf_diag_entry *rf_diag_get(const rf_diag *d, int i);
/* Index of the first entry whose message contains `text`, else -1 (for tests). */
int rf_diag_find(const rf_diag *d, const char *text);

/* Where one checking run reports. */
typedef struct {
    const char *path;  /* the file as the user named it, printed before each message */
    FILE *out;         /* may be NULL */
    rf_diag *collect;  /* may be NULL */
    rf_diag *pending;  /* this run's entries until finish (owned) */
    int errors, warnings; /* all reported, including those beyond the cap */
} rf_diag_sink;

void rf_diag_sink_init(rf_diag_sink *s, const char *path, FILE *out, rf_diag *collect);
void rf_diag_error(rf_diag_sink *s, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void rf_diag_warning(rf_diag_sink *s, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Sorts, prints, hands over to `collect` and releases the pending list. */
void rf_diag_sink_finish(rf_diag_sink *s);

#endif
