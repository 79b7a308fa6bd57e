/* The indentation-aware string builder (see codebuf.h). */
#include "codebuf.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RF_CB_WIDTH 100 /* wrap calls longer than this */

void rf_cb_init(rf_codebuf *cb)
{
    memset(cb, 0, sizeof *cb);
}

void rf_cb_free(rf_codebuf *cb)
{
    free(cb->text);
    rf_cb_init(cb);
}

static int reserve(rf_codebuf *cb, size_t more)
{
    if (cb->failed)
        return -1;
    if (cb->len + more + 1 <= cb->cap)
        return 0;
    size_t cap = cb->cap ? cb->cap : 4096;
    while (cb->len + more + 1 > cap)
        cap *= 2;
    char *text = realloc(cb->text, cap);
    if (!text) {
        cb->failed = 1;
        return -1;
    }
    cb->text = text;
    cb->cap = cap;
    return 0;
}

static void append(rf_codebuf *cb, const char *s, size_t n)
{
    if (reserve(cb, n) != 0)
        return;
    memcpy(cb->text + cb->len, s, n);
    cb->len += n;
    cb->text[cb->len] = '\0';
}

static void append_v(rf_codebuf *cb, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0) {
        cb->failed = 1;
        return;
    }
    if (reserve(cb, (size_t)n) != 0)
        return;
    vsnprintf(cb->text + cb->len, (size_t)n + 1, fmt, ap);
    cb->len += (size_t)n;
}

static void indent(rf_codebuf *cb)
{
    for (int i = 0; i < cb->indent; i++)
        append(cb, "    ", 4);
}

static void line_v(rf_codebuf *cb, const char *fmt, va_list ap)
{
    if (fmt[0] != '\0')
        indent(cb);
    append_v(cb, fmt, ap);
    append(cb, "\n", 1);
}

void rf_cb_line(rf_codebuf *cb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    line_v(cb, fmt, ap);
    va_end(ap);
}

void rf_cb_open(rf_codebuf *cb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    line_v(cb, fmt, ap);
    va_end(ap);
    cb->indent++;
}

void rf_cb_close(rf_codebuf *cb, const char *fmt, ...)
{
    if (cb->indent > 0)
        cb->indent--;
    va_list ap;
    va_start(ap, fmt);
    line_v(cb, fmt, ap);
    va_end(ap);
}

void rf_cb_raw(rf_codebuf *cb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    append_v(cb, fmt, ap);
    va_end(ap);
}

void rf_cb_call(rf_codebuf *cb, const char *head, const char *const *args, int n_args, const char *tail)
{
    size_t width = 4 * (size_t)cb->indent + strlen(head) + strlen(tail);
    for (int i = 0; i < n_args; i++)
        width += strlen(args[i]) + (i ? 2 : 0);
    size_t longest = 0;
    for (int i = 0; i < n_args; i++)
        longest = strlen(args[i]) > longest ? strlen(args[i]) : longest;
    indent(cb);
    append(cb, head, strlen(head));
    size_t column = 4 * (size_t)cb->indent + strlen(head), start = column;
    if (width > RF_CB_WIDTH && start + longest + 2 > RF_CB_WIDTH) {
        /* aligning under the parenthesis would not fit: a deeper indentation instead */
        start = 4 * (size_t)cb->indent + 8;
        append(cb, "\n", 1);
        for (size_t s = 0; s < start; s++)
            append(cb, " ", 1);
        column = start;
    }
    for (int i = 0; i < n_args; i++) {
        size_t n = strlen(args[i]);
        if (i > 0) {
            /* keep the argument and its comma (or the tail) within the width */
            size_t need = n + (i + 1 < n_args ? 1 : strlen(tail));
            if (width > RF_CB_WIDTH && column + 2 + need > RF_CB_WIDTH) {
                append(cb, ",\n", 2);
                for (size_t s = 0; s < start; s++)
                    append(cb, " ", 1);
                column = start;
            } else {
                append(cb, ", ", 2);
                column += 2;
            }
        }
        append(cb, args[i], n);
        column += n;
    }
    append(cb, tail, strlen(tail));
    append(cb, "\n", 1);
}

char *rf_cb_take(rf_codebuf *cb)
{
    if (cb->failed) {
        rf_cb_free(cb);
        return NULL;
    }
    if (!cb->text && reserve(cb, 0) == 0)
        cb->text[0] = '\0';
    char *text = cb->text;
    cb->text = NULL;
    rf_cb_free(cb);
    return text;
}

void rf_float_literal(double value, char *buf, size_t len)
{
    float f = (float)value;
    if (isnan(f)) {
        snprintf(buf, len, "NAN");
        return;
    }
    if (isinf(f)) {
        snprintf(buf, len, f > 0 ? "INFINITY" : "-INFINITY");
        return;
    }
    char digits[64];
    for (int precision = 1; precision <= 9; precision++) {
        snprintf(digits, sizeof digits, "%.*g", precision, (double)f);
        if ((float)strtod(digits, NULL) == f)
            break;
    }
    int plain = strpbrk(digits, ".e") == NULL;
    snprintf(buf, len, "%s%sf", digits, plain ? ".0" : "");
}

void rf_double_literal(double value, char *buf, size_t len)
{
    if (!isfinite(value)) {
        snprintf(buf, len, isnan(value) ? "NAN" : value > 0 ? "INFINITY" : "-INFINITY");
        return;
    }
    char digits[64];
    for (int precision = 15; precision <= 17; precision++) {
        snprintf(digits, sizeof digits, "%.*g", precision, value);
        if (strtod(digits, NULL) == value)
            break;
    }
    snprintf(buf, len, "%s%s", digits, strpbrk(digits, ".e") ? "" : ".0");
}

void rf_comment_safe(const char *text, char *buf, size_t len)
{
    if (len == 0)
        return;
    size_t o = 0;
    for (const char *s = text ? text : "(none)"; *s && o + 1 < len; s++) {
        char c = (*s >= 32 && *s < 127) ? *s : '?';
        if (o > 0 && ((c == '/' && buf[o - 1] == '*') || (c == '*' && buf[o - 1] == '/')))
            c = '?'; /* never close the comment, nor open one inside it (-Wcomment) */
        buf[o++] = c;
    }
    buf[o] = '\0';
}
