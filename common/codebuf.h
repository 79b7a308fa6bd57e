/* An indentation-aware string builder for emitting C.
 *
 * Emitters write whole lines; the buffer adds the current indentation (4
 * spaces a level) and the newline. Running out of memory sets `failed`,
 * after which every call does nothing and rf_cb_take() returns NULL, so an
 * emitter checks once at the end instead of after every line. */
#ifndef RF_CODEBUF_H
#define RF_CODEBUF_H

#include <stddef.h>

typedef struct {
    char *text;
    size_t len, cap;
    int indent; /* levels of 4 spaces */
    int failed; /* out of memory */
} rf_codebuf;

void rf_cb_init(rf_codebuf *cb);
void rf_cb_free(rf_codebuf *cb);

/* One line at the current indentation (an empty format gives an empty line). */
void rf_cb_line(rf_codebuf *cb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A line ending a block opener ("for (...) {"), then one level deeper. */
void rf_cb_open(rf_codebuf *cb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One level shallower, then a line ("}" or "} else {"). */
void rf_cb_close(rf_codebuf *cb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Text as is: no indentation, no newline. */
void rf_cb_raw(rf_codebuf *cb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* head(arg, arg, ...)tail on one line when it fits in 100 columns, else
 * wrapped between arguments and aligned under the first one:
 *     mlp_dense1_forward(m->dense1_out, input,
 *                        m->dense1_weight, m->dense1_bias, n);
 * or, when that alignment leaves too little room, all arguments on the
 * following lines, indented two levels deeper than the head.
 * head ends with "(", tail starts with ")". */
void rf_cb_call(rf_codebuf *cb, const char *head, const char *const *args, int n_args, const char *tail);

/* The finished text (malloc'd, the caller frees; the buffer is left empty),
 * or NULL when out of memory. */
char *rf_cb_take(rf_codebuf *cb);

/* A float constant as C source: shortest "%.9g" that round-trips the float
 * value, always with a '.' or an exponent, and the f suffix ("0.5f", "1e-05f"). */
void rf_float_literal(double value, char *buf, size_t len);

/* A double constant as C source: the shortest of "%.15g".."%.17g" that
 * round-trips, always with a '.' or an exponent ("0.01", "1.0"). */
void rf_double_literal(double value, char *buf, size_t len);

/* Copies text for use inside a C comment: printable ASCII only (others
 * become '?') and no comment terminator. */
void rf_comment_safe(const char *text, char *buf, size_t len);

#endif
