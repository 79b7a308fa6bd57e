/* Typed readers for YAML scalars, key checks and "did you mean". */
#include "check_internal.h"
#include "yaml_set.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A message about a node that a --set put in ends with the argument
 * (yaml_set.h); the message is cut first so that the note always fits. */
static void vreport(rf_checker *c, int is_error, const rf_ynode *at, const char *fmt, va_list ap)
{
    char msg[RF_DIAG_MESSAGE_MAX], note[320];
    vsnprintf(msg, sizeof msg, fmt, ap);
    rf_yaml_set_note(at, msg, note, sizeof note);
    if (note[0]) {
        size_t room = sizeof msg - strlen(note) - 1;
        if (strlen(msg) > room)
            msg[room] = '\0';
        strcat(msg, note);
    }
    int line = at ? at->line : 0, col = at ? at->col : 0;
    if (is_error)
        rf_diag_error(c->s, line, col, "%s", msg);
    else
        rf_diag_warning(c->s, line, col, "%s", msg);
}

void ck_error(rf_checker *c, const rf_ynode *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(c, 1, at, fmt, ap);
    va_end(ap);
}

void ck_warning(rf_checker *c, const rf_ynode *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(c, 0, at, fmt, ap);
    va_end(ap);
}

/* ---- scalar classification (YAML core schema, plain scalars only) ---- */

int ck_is_null(const rf_ynode *n)
{
    if (n->kind != RF_YNODE_SCALAR || n->quoted)
        return 0;
    const char *v = n->value;
    return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
           !strcmp(v, "NULL");
}

static int is_bool(const char *v)
{
    return !strcmp(v, "true") || !strcmp(v, "false") || !strcmp(v, "True") ||
           !strcmp(v, "False") || !strcmp(v, "TRUE") || !strcmp(v, "FALSE");
}

/* [-+]?[0-9]+ */
static int looks_int(const char *v)
{
    if (*v == '-' || *v == '+')
        v++;
    if (!isdigit((unsigned char)*v))
        return 0;
    while (isdigit((unsigned char)*v))
        v++;
    return *v == '\0';
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? or [-+]?.inf or .nan */
static int looks_float(const char *v)
{
    if (*v == '-' || *v == '+')
        v++;
    if (!strcmp(v, ".inf") || !strcmp(v, ".Inf") || !strcmp(v, ".INF") || !strcmp(v, ".nan") ||
        !strcmp(v, ".NaN") || !strcmp(v, ".NAN"))
        return 1;
    int digits = 0;
    while (isdigit((unsigned char)*v))
        v++, digits++;
    if (*v == '.') {
        v++;
        while (isdigit((unsigned char)*v))
            v++, digits++;
    }
    if (!digits)
        return 0;
    if (*v == 'e' || *v == 'E') {
        v++;
        if (*v == '-' || *v == '+')
            v++;
        if (!isdigit((unsigned char)*v))
            return 0;
        while (isdigit((unsigned char)*v))
            v++;
    }
    return *v == '\0';
}

static int looks_number(const char *v)
{
    return looks_int(v) || looks_float(v);
}

const char *ck_describe(const rf_ynode *n, char *buf, size_t size)
{
    if (n->kind != RF_YNODE_SCALAR)
        return rf_ynode_kind_name(n->kind);
    if (ck_is_null(n))
        return "an empty value";
    if (n->quoted)
        snprintf(buf, size, "the string \"%.60s%s\"", n->value, n->len > 60 ? "..." : "");
    else
        snprintf(buf, size, "'%.60s%s'", n->value, n->len > 60 ? "..." : "");
    return buf;
}

/* ---- suggestions ---- */

/* Levenshtein distance, case-insensitive; words are short (keys, kinds). */
static int edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return 1000;
    int row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int up = row[j];
            int same = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]);
            int best = diag + !same;
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *ck_suggest(const char *word, const char *const *choices)
{
    const char *best = NULL;
    int best_d = 1000;
    for (int i = 0; choices[i]; i++) {
        int d = edit_distance(word, choices[i]);
        if (d < best_d) {
            best_d = d;
            best = choices[i];
        }
    }
    /* Close enough to be a slip: two edits, or a third of the longer word. */
    int len = (int)strlen(word);
    int allowed = len / 3 > 2 ? len / 3 : 2;
    if (best && len > 0 && best_d <= allowed && best_d < len)
        return best;
    /* A prefix or an extension ("softmax" for softmax_cross_entropy). */
    for (int i = 0; len >= 3 && choices[i]; i++)
        if (!strncmp(choices[i], word, (size_t)len) || strstr(word, choices[i]) == word)
            return choices[i];
    return NULL;
}

void ck_hint(char *buf, size_t size, const char *word, const char *const *choices)
{
    const char *s = ck_suggest(word, choices);
    buf[0] = '\0';
    if (s)
        snprintf(buf, size, "; did you mean '%s'?", s);
}

int ck_index_of(const char *word, const char *const *choices)
{
    for (int i = 0; choices[i]; i++)
        if (!strcmp(word, choices[i]))
            return i;
    return -1;
}

/* ---- typed readers ---- */

/* Reports n as not being `expected`; says so clearly for quoted numbers. */
static void wrong_type(rf_checker *c, const rf_ynode *n, const char *what, const char *expected)
{
    char buf[96];
    if (n->kind == RF_YNODE_SCALAR && n->quoted && looks_number(n->value))
        ck_error(c, n, "%s: expected %s, got the string \"%s\" (write it without quotes)", what,
                 expected, n->value);
    else
        ck_error(c, n, "%s: expected %s, got %s", what, expected, ck_describe(n, buf, sizeof buf));
}

int ck_number(rf_checker *c, const rf_ynode *n, const char *what, double *out)
{
    if (n->kind != RF_YNODE_SCALAR || n->quoted || !looks_number(n->value)) {
        wrong_type(c, n, what, "a number");
        return -1;
    }
    const char *v = n->value;
    const char *body = (*v == '-' || *v == '+') ? v + 1 : v;
    double x;
    if (body[0] == '.' && isalpha((unsigned char)body[1]))
        x = NAN; /* .inf, .nan: refused just below */
    else
        x = strtod(v, NULL);
    if (!isfinite(x)) {
        ck_error(c, n, "%s: expected a finite number, got %s", what, v);
        return -1;
    }
    *out = x;
    return 0;
}

int ck_int(rf_checker *c, const rf_ynode *n, const char *what, long long min, long long max,
           long long *out)
{
    if (n->kind == RF_YNODE_SCALAR && !n->quoted && !looks_int(n->value) &&
        looks_float(n->value)) {
        ck_error(c, n, "%s: expected an integer, got %s", what, n->value);
        return -1;
    }
    if (n->kind != RF_YNODE_SCALAR || n->quoted || !looks_int(n->value)) {
        wrong_type(c, n, what, "an integer");
        return -1;
    }
    errno = 0;
    long long x = strtoll(n->value, NULL, 10);
    if (errno == ERANGE || x < min || x > max) {
        if (errno != ERANGE && x < min)
            ck_error(c, n, "%s must be at least %lld, got %s", what, min, n->value);
        else
            ck_error(c, n, "%s must be at most %lld, got %s", what, max, n->value);
        return -1;
    }
    *out = x;
    return 0;
}

int ck_u64(rf_checker *c, const rf_ynode *n, const char *what, uint64_t *out)
{
    long long dummy;
    if (n->kind != RF_YNODE_SCALAR || n->quoted || !looks_int(n->value))
        return ck_int(c, n, what, 0, 0, &dummy); /* reports the type problem */
    if (n->value[0] == '-') {
        ck_error(c, n, "%s must be a non-negative integer, got %s", what, n->value);
        return -1;
    }
    errno = 0;
    unsigned long long x = strtoull(n->value, NULL, 10);
    if (errno == ERANGE) {
        ck_error(c, n, "%s must be at most 18446744073709551615, got %s", what, n->value);
        return -1;
    }
    *out = (uint64_t)x;
    return 0;
}

int ck_string(rf_checker *c, const rf_ynode *n, const char *what, const char **out)
{
    if (n->kind != RF_YNODE_SCALAR || ck_is_null(n) ||
        (!n->quoted && (is_bool(n->value) || looks_number(n->value)))) {
        char buf[96];
        ck_error(c, n, "%s: expected a string, got %s", what, ck_describe(n, buf, sizeof buf));
        return -1;
    }
    *out = n->value;
    return 0;
}

int ck_name(rf_checker *c, const rf_ynode *n, const char *what, char out[RF_NAME_MAX + 1])
{
    char buf[96];
    if (n->kind != RF_YNODE_SCALAR || ck_is_null(n)) {
        ck_error(c, n, "%s: expected a name, got %s", what, ck_describe(n, buf, sizeof buf));
        return -1;
    }
    const char *v = n->value;
    int ok = v[0] >= 'a' && v[0] <= 'z';
    for (const char *p = v; ok && *p; p++)
        ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_';
    if (!ok) {
        ck_error(c, n,
                 "%s '%.60s' is not a valid name: use a lower-case letter, then lower-case "
                 "letters, digits or '_'",
                 what, v);
        return -1;
    }
    if (n->len > RF_NAME_MAX) {
        ck_error(c, n, "%s '%.60s' is %zu characters long; at most %d are allowed", what, v,
                 n->len, RF_NAME_MAX);
        return -1;
    }
    memcpy(out, v, n->len + 1);
    return 0;
}

int ck_bool(rf_checker *c, const rf_ynode *n, const char *what, int *out)
{
    if (n->kind != RF_YNODE_SCALAR || n->quoted || !is_bool(n->value)) {
        wrong_type(c, n, what, "true or false");
        return -1;
    }
    *out = n->value[0] == 't' || n->value[0] == 'T';
    return 0;
}

int ck_range(rf_checker *c, const rf_ynode *n, const char *what, double lo, int lo_open,
             double hi, int hi_open, double *out)
{
    double x;
    if (ck_number(c, n, what, &x) < 0)
        return -1;
    int below = lo_open ? !(x > lo) : !(x >= lo);
    int above = hi_open ? !(x < hi) : !(x <= hi);
    if (below || above) {
        char range[96];
        if (isinf(hi) || (hi >= FLT_MAX && below))
            snprintf(range, sizeof range, "%s %g", lo_open ? "greater than" : "at least", lo);
        else if (hi >= FLT_MAX)
            snprintf(range, sizeof range, "at most %g (the largest float)", hi);
        else
            snprintf(range, sizeof range, "in %c%g, %g%c", lo_open ? '(' : '[', lo, hi,
                     hi_open ? ')' : ']');
        ck_error(c, n, "%s must be %s, got %s", what, range, n->value);
        return -1;
    }
    *out = x;
    return 0;
}

int ck_keys(rf_checker *c, const rf_ynode *n, const char *what, const char *const *allowed,
            const char *const *required)
{
    char buf[96];
    if (n->kind != RF_YNODE_MAPPING) {
        ck_error(c, n, "%s: expected a mapping, got %s", what, ck_describe(n, buf, sizeof buf));
        return -1;
    }
    for (int i = 0; i < n->n; i++) {
        const char *key = n->keys[i]->value;
        if (ck_index_of(key, allowed) >= 0)
            continue;
        char hint[96], list[256] = "";
        ck_hint(hint, sizeof hint, key, allowed);
        if (!hint[0]) {
            size_t used = 0;
            for (int k = 0; allowed[k] && used < sizeof list; k++)
                used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
                                         k ? ", " : "; expected one of ", allowed[k]);
        }
        ck_error(c, n->keys[i], "unknown key '%.60s' in %s%s%s", key, what, hint, list);
    }
    for (int k = 0; required && required[k]; k++) {
        if (rf_ynode_get(n, required[k]))
            continue;
        /* a misspelling of it was already reported with "did you mean" */
        const char *just_this[] = {required[k], NULL};
        int misspelt = 0;
        for (int i = 0; i < n->n && !misspelt; i++) {
            char hint[96];
            if (ck_index_of(n->keys[i]->value, allowed) >= 0)
                continue;
            ck_hint(hint, sizeof hint, n->keys[i]->value, just_this);
            misspelt = hint[0] != '\0';
        }
        if (!misspelt)
            ck_error(c, n, "%s: missing required key '%s'", what, required[k]);
    }
    return 0;
}

int ck_one_of(rf_checker *c, const rf_ynode *n, const char *what, const char *const *kinds,
              const rf_ynode **value)
{
    char buf[96], list[256] = "";
    size_t used = 0;
    for (int k = 0; kinds[k] && used < sizeof list; k++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", k ? ", " : "", kinds[k]);
    if (n->kind != RF_YNODE_MAPPING || n->n != 1) {
        if (n->kind == RF_YNODE_MAPPING && n->n > 1)
            ck_error(c, n->keys[1], "%s: expected one key (one of %s), got %d keys", what, list,
                     n->n);
        else
            ck_error(c, n, "%s: expected a mapping with one key (one of %s), got %s", what, list,
                     n->kind == RF_YNODE_MAPPING ? "an empty mapping"
                                                 : ck_describe(n, buf, sizeof buf));
        return -1;
    }
    const char *key = n->keys[0]->value;
    int k = ck_index_of(key, kinds);
    if (k < 0) {
        char hint[96];
        ck_hint(hint, sizeof hint, key, kinds);
        ck_error(c, n->keys[0], "unknown %s '%.60s'%s (expected one of %s)", what, key, hint, list);
        return -1;
    }
    *value = n->items[0];
    return k;
}
