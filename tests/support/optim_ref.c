/* The double-precision reference of SPEC 1a and the golden.txt reader
 * (see optim_ref.h). */
#include "optim_ref.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rftest.h"

/* ---------- the reference ---------- */

static double sign(double w)
{
    return (double)((w > 0) - (w < 0)); /* sign(0) = 0 */
}

void rf_ref_update(const rf_ref_opt *o, const rf_ref_decay *d, uint64_t t, double *w,
                   const double *g, double *state0, double *state1, long n)
{
    const double lr = o->lr;
    for (long i = 0; i < n; i++) {
        double di;
        if (o->kind == RF_OPT_ADAMW) {
            w[i] = w[i] * (1 - lr * d->l2); /* decoupled */
            di = g[i] + d->l1 * sign(w[i]);
        } else {
            di = g[i] + d->l2 * w[i] + d->l1 * sign(w[i]); /* coupled */
        }
        if (o->kind == RF_OPT_SGD) {
            if (o->momentum != 0) {
                double *b = &state0[i];
                *b = t == 1 ? di : o->momentum * *b + (1 - o->dampening) * di;
                di = o->nesterov ? di + o->momentum * *b : *b;
            }
            w[i] = w[i] - lr * di;
        } else {
            double *m = &state0[i], *v = &state1[i];
            *m = o->beta1 * *m + (1 - o->beta1) * di;
            *v = o->beta2 * *v + (1 - o->beta2) * di * di;
            double bc1 = 1 - pow(o->beta1, (double)t), bc2 = 1 - pow(o->beta2, (double)t);
            w[i] = w[i] - lr / bc1 * *m / (sqrt(*v) / sqrt(bc2) + o->eps);
        }
        if (d->l1_prox != 0 && !isnan(w[i])) {
            double shrunk = fabs(w[i]) - lr * d->l1_prox;
            w[i] = sign(w[i]) * (shrunk > 0 ? shrunk : 0);
        }
    }
}

int rf_ref_state_count(const rf_ref_opt *o)
{
    if (o->kind == RF_OPT_ADAM || o->kind == RF_OPT_ADAMW)
        return 2;
    return o->momentum != 0 ? 1 : 0;
}

const char *rf_ref_state_suffix(const rf_ref_opt *o, int k)
{
    if (o->kind == RF_OPT_SGD)
        return k == 0 ? "momentum" : NULL;
    return k == 0 ? "exp_avg" : k == 1 ? "exp_avg_sq" : NULL;
}

rf_ref_opt rf_ref_opt_of_model(const rf_model *m)
{
    rf_ref_opt o = {m->optimizer, m->lr, m->momentum, m->dampening,
                    m->beta1, m->beta2, m->eps, m->nesterov};
    return o;
}

rf_ref_decay rf_ref_decay_of_param(const rf_param *p)
{
    rf_ref_decay d = {p->l2, p->l1, p->l1_prox};
    return d;
}

/* ---------- comparing ---------- */

double rf_ref_prox_floor(const rf_ref_opt *o, const rf_ref_decay *d)
{
    return fabs(o->lr * d->l1_prox);
}

double rf_ref_compare(const char *what, const double *expect, const double *got, long n,
                      double abs_floor, int quiet)
{
    double scale = 0;
    for (long i = 0; i < n; i++)
        scale = fmax(scale, fabs(expect[i]));
    double worst = 0;
    long at = 0;
    for (long i = 0; i < n; i++) {
        double bound = fmax(fmax(fabs(expect[i]), RF_REF_FLOOR * scale), abs_floor);
        double diff = fabs(got[i] - expect[i]);
        double err = bound > 0 ? diff / bound : diff > 0 ? INFINITY : 0;
        if (!(err <= worst)) { /* NaN is worst */
            worst = isnan(err) ? INFINITY : err;
            at = i;
        }
    }
    if (!quiet && !(worst <= RF_REF_REL_TOL))
        fprintf(stderr, "\n  %s: largest difference at [%ld]: %.9g, expected %.9g "
                        "(%.3g of the bound, tolerance %g)",
                what, at, got[at], expect[at], worst, RF_REF_REL_TOL);
    return worst;
}

/* ---------- golden.txt ---------- */

typedef struct {
    const char *at;   /* the start of the next line */
    int line;         /* 1-based number of the current line */
    char *buf;        /* the current line, split in place */
    size_t cap;
    char **tok;       /* its tokens */
    int ntok, tokcap;
    char *err;
    size_t errlen;
    int failed;
} parser;

static void fail(parser *p, const char *fmt, ...)
{
    if (p->failed)
        return;
    p->failed = 1;
    int k = snprintf(p->err, p->errlen, "line %d: ", p->line);
    if (k < 0 || (size_t)k >= p->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err + k, p->errlen - (size_t)k, fmt, ap);
    va_end(ap);
}

/* Reads the next line into tok[]: 0, or -1 at the end of the text (or out
 * of memory, which fails). Tokens are separated by single spaces; a line
 * with a tab, a carriage return, a NUL, or spaces at either end or doubled
 * is malformed. */
static int next_line(parser *p)
{
    if (p->failed || !*p->at)
        return -1;
    const char *end = strchr(p->at, '\n');
    size_t len = end ? (size_t)(end - p->at) : strlen(p->at);
    p->line++;
    if (len + 1 > p->cap) {
        char *bigger = realloc(p->buf, len + 1);
        if (!bigger) {
            fail(p, "out of memory");
            return -1;
        }
        p->buf = bigger;
        p->cap = len + 1;
    }
    memcpy(p->buf, p->at, len);
    p->buf[len] = '\0';
    p->at += len + (end ? 1 : 0);
    p->ntok = 0;
    if (len == 0) {
        fail(p, "empty line");
        return -1;
    }
    if (strchr(p->buf, '\t') || strchr(p->buf, '\r')) {
        fail(p, "tab or carriage return in the line");
        return -1;
    }
    if (p->buf[0] == '#') /* a comment is one token: the whole line */
        len = 0;
    char *s = p->buf;
    for (;;) {
        if (p->ntok == p->tokcap) {
            int cap = p->tokcap ? 2 * p->tokcap : 64;
            char **bigger = realloc(p->tok, (size_t)cap * sizeof *bigger);
            if (!bigger) {
                fail(p, "out of memory");
                return -1;
            }
            p->tok = bigger;
            p->tokcap = cap;
        }
        p->tok[p->ntok++] = s;
        if (len == 0)
            break;
        char *sp = strchr(s, ' ');
        if (!sp)
            break;
        *sp = '\0';
        if (*s == '\0' || sp[1] == '\0' || sp[1] == ' ') {
            fail(p, "a space at the start or end of the line, or two in a row");
            return -1;
        }
        s = sp + 1;
    }
    return 0;
}

/* Reads the next line and checks that it starts with keyword. */
static int expect_line(parser *p, const char *keyword)
{
    if (p->failed)
        return -1;
    if (next_line(p) != 0) {
        if (!p->failed) {
            p->line++;
            fail(p, "the file ends where '%s' was expected", keyword);
        }
        return -1;
    }
    if (strcmp(p->tok[0], keyword) != 0) {
        fail(p, "expected '%s', found '%s'", keyword, p->tok[0]);
        return -1;
    }
    return 0;
}

static int want_tokens(parser *p, int n)
{
    if (p->failed)
        return -1;
    if (p->ntok != n) {
        fail(p, "'%s' line with %d fields, expected %d", p->tok[0], p->ntok, n);
        return -1;
    }
    return 0;
}

/* A finite number written in full (hex or decimal). */
static int number(parser *p, const char *s, const char *what, double *out)
{
    if (p->failed)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno == ERANGE || !isfinite(v)) {
        fail(p, "%s: '%s' is not a finite number", what, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int integer(parser *p, const char *s, const char *what, long lo, long hi, long *out)
{
    if (p->failed)
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || errno == ERANGE || v < lo || v > hi) {
        fail(p, "%s: '%s' is not an integer in [%ld, %ld]", what, s, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

/* "key value": tok[at] must be key; the number after it into *out. */
static int keyed(parser *p, int at, const char *key, double *out)
{
    if (p->failed)
        return -1;
    if (strcmp(p->tok[at], key) != 0) {
        fail(p, "field %d is '%s', expected '%s'", at + 1, p->tok[at], key);
        return -1;
    }
    return number(p, p->tok[at + 1], key, out);
}

static int copy_name(parser *p, char *dst, const char *src)
{
    if (p->failed)
        return -1;
    if (strlen(src) > RF_GOLDEN_NAME_MAX) {
        fail(p, "name '%.20s...' longer than %d characters", src, RF_GOLDEN_NAME_MAX);
        return -1;
    }
    strcpy(dst, src);
    return 0;
}

/* The values from tok[first] on: exactly size of them, each a float32 value. */
static int tensor_values(parser *p, int first, const rf_golden_tensor *T, double *out)
{
    if (p->failed)
        return -1;
    long got = p->ntok - first;
    if (got != T->size) {
        fail(p, "'%s %s' with %ld values, expected %ld", p->tok[0], T->name, got, T->size);
        return -1;
    }
    for (long i = 0; i < got; i++) {
        if (number(p, p->tok[first + i], T->name, &out[i]) != 0)
            return -1;
        if ((double)(float)out[i] != out[i]) {
            fail(p, "%s: value %ld '%s' is not a float32 value", T->name, i + 1,
                 p->tok[first + i]);
            return -1;
        }
    }
    return 0;
}

/* A "KEYWORD NAME values..." line for tensor T (the name must be T's). */
static int named_values(parser *p, const char *keyword, const rf_golden_tensor *T,
                        const char *suffix, double *out)
{
    if (expect_line(p, keyword) != 0)
        return -1;
    char want[2 * RF_GOLDEN_NAME_MAX + 2];
    snprintf(want, sizeof want, "%s%s%s", T->name, suffix ? "." : "", suffix ? suffix : "");
    if (p->ntok < 2 || strcmp(p->tok[1], want) != 0) {
        fail(p, "'%s' for '%s' expected, found '%s'", keyword, want,
             p->ntok < 2 ? "nothing" : p->tok[1]);
        return -1;
    }
    return tensor_values(p, 2, T, out);
}

static void free_case(rf_golden_case *c)
{
    for (int j = 0; j < c->n_tensors; j++) {
        rf_golden_tensor *T = &c->tensors[j];
        free(T->init);
        free(T->grads);
        free(T->final);
        free(T->state[0]);
        free(T->state[1]);
    }
    free(c->tensors);
    c->tensors = NULL;
    c->n_tensors = 0;
}

static double *alloc_doubles(parser *p, long n)
{
    if (p->failed)
        return NULL;
    double *v = calloc((size_t)n, sizeof *v);
    if (!v)
        fail(p, "out of memory");
    return v;
}

#define MAX_STEPS 100000L
#define MAX_SIZE 10000000L
#define MAX_TENSORS 1000
#define MAX_GRAD_VALUES 50000000L /* steps x size of one tensor */

static int parse_optimizer(parser *p, rf_ref_opt *o)
{
    if (expect_line(p, "optimizer") != 0 || want_tokens(p, 16) != 0)
        return -1;
    const char *kind = p->tok[1];
    if (!strcmp(kind, "sgd"))
        o->kind = RF_OPT_SGD;
    else if (!strcmp(kind, "adam"))
        o->kind = RF_OPT_ADAM;
    else if (!strcmp(kind, "adamw"))
        o->kind = RF_OPT_ADAMW;
    else {
        fail(p, "unknown optimizer '%s' (sgd, adam, adamw)", kind);
        return -1;
    }
    long nesterov = 0;
    keyed(p, 2, "lr", &o->lr);
    keyed(p, 4, "momentum", &o->momentum);
    keyed(p, 6, "dampening", &o->dampening);
    if (!p->failed && strcmp(p->tok[8], "nesterov") != 0)
        fail(p, "field 9 is '%s', expected 'nesterov'", p->tok[8]);
    integer(p, p->tok[9], "nesterov", 0, 1, &nesterov);
    keyed(p, 10, "beta1", &o->beta1);
    keyed(p, 12, "beta2", &o->beta2);
    keyed(p, 14, "eps", &o->eps);
    o->nesterov = (int)nesterov;
    return p->failed ? -1 : 0;
}

static int parse_case(parser *p, rf_golden_case *c)
{
    if (expect_line(p, "case") != 0 || want_tokens(p, 2) != 0 ||
        copy_name(p, c->name, p->tok[1]) != 0)
        return -1;
    if (parse_optimizer(p, &c->opt) != 0)
        return -1;
    long steps = 0;
    if (expect_line(p, "steps") != 0 || want_tokens(p, 2) != 0 ||
        integer(p, p->tok[1], "steps", 1, MAX_STEPS, &steps) != 0)
        return -1;
    c->steps = (int)steps;

    /* the tensor lines, then the first init line */
    int cap = 0;
    for (;;) {
        if (next_line(p) != 0) {
            if (!p->failed) {
                p->line++;
                fail(p, "the file ends inside case '%s'", c->name);
            }
            return -1;
        }
        if (strcmp(p->tok[0], "tensor") != 0)
            break;
        if (want_tokens(p, 9) != 0)
            return -1;
        if (c->n_tensors == MAX_TENSORS) {
            fail(p, "more than %d tensors", MAX_TENSORS);
            return -1;
        }
        if (c->n_tensors == cap) {
            cap = cap ? 2 * cap : 4;
            rf_golden_tensor *bigger = realloc(c->tensors, (size_t)cap * sizeof *bigger);
            if (!bigger) {
                fail(p, "out of memory");
                return -1;
            }
            c->tensors = bigger;
        }
        rf_golden_tensor *T = &c->tensors[c->n_tensors];
        memset(T, 0, sizeof *T);
        c->n_tensors++;
        if (copy_name(p, T->name, p->tok[1]) != 0 ||
            integer(p, p->tok[2], "size", 1, MAX_SIZE, &T->size) != 0 ||
            keyed(p, 3, "l2", &T->decay.l2) != 0 || keyed(p, 5, "l1", &T->decay.l1) != 0 ||
            keyed(p, 7, "l1_prox", &T->decay.l1_prox) != 0)
            return -1;
        if ((double)c->steps * T->size > MAX_GRAD_VALUES) {
            fail(p, "%d steps of %ld values: too large", c->steps, T->size);
            return -1;
        }
        for (int j = 0; j < c->n_tensors - 1; j++)
            if (!strcmp(c->tensors[j].name, T->name)) {
                fail(p, "tensor '%s' twice", T->name);
                return -1;
            }
        T->init = alloc_doubles(p, T->size);
        T->grads = alloc_doubles(p, (long)c->steps * T->size);
        T->final = alloc_doubles(p, T->size);
        for (int k = 0; k < rf_ref_state_count(&c->opt); k++)
            T->state[k] = alloc_doubles(p, T->size);
        if (p->failed)
            return -1;
    }
    if (c->n_tensors == 0) {
        fail(p, "case '%s' has no 'tensor' lines", c->name);
        return -1;
    }
    /* the line already read is the first init */
    for (int j = 0; j < c->n_tensors; j++) {
        rf_golden_tensor *T = &c->tensors[j];
        if (j > 0 && expect_line(p, "init") != 0)
            return -1;
        if (strcmp(p->tok[0], "init") != 0) {
            fail(p, "expected 'tensor' or 'init', found '%s'", p->tok[0]);
            return -1;
        }
        if (p->ntok < 2 || strcmp(p->tok[1], T->name) != 0) {
            fail(p, "'init' for '%s' expected, found '%s'", T->name,
                 p->ntok < 2 ? "nothing" : p->tok[1]);
            return -1;
        }
        if (tensor_values(p, 2, T, T->init) != 0)
            return -1;
    }
    for (int s = 1; s <= c->steps; s++)
        for (int j = 0; j < c->n_tensors; j++) {
            rf_golden_tensor *T = &c->tensors[j];
            long k;
            if (expect_line(p, "grad") != 0)
                return -1;
            if (p->ntok < 3 || integer(p, p->tok[1], "grad step", 1, c->steps, &k) != 0 ||
                k != s || strcmp(p->tok[2], T->name) != 0) {
                fail(p, "'grad %d %s' expected", s, T->name);
                return -1;
            }
            if (tensor_values(p, 3, T, T->grads + (long)(s - 1) * T->size) != 0)
                return -1;
        }
    for (int j = 0; j < c->n_tensors; j++)
        if (named_values(p, "final", &c->tensors[j], NULL, c->tensors[j].final) != 0)
            return -1;
    for (int j = 0; j < c->n_tensors; j++)
        for (int k = 0; k < rf_ref_state_count(&c->opt); k++)
            if (named_values(p, "state", &c->tensors[j], rf_ref_state_suffix(&c->opt, k),
                             c->tensors[j].state[k]) != 0)
                return -1;
    long updates;
    if (expect_line(p, "updates") != 0 || want_tokens(p, 2) != 0 ||
        integer(p, p->tok[1], "updates", 0, MAX_STEPS, &updates) != 0)
        return -1;
    c->updates = (uint64_t)updates;
    if (expect_line(p, "end") != 0 || want_tokens(p, 1) != 0)
        return -1;
    return 0;
}

void rf_golden_free(rf_golden *g)
{
    if (!g)
        return;
    for (int i = 0; i < g->n_cases; i++)
        free_case(&g->cases[i]);
    free(g->cases);
    free(g->header);
    memset(g, 0, sizeof *g);
}

int rf_golden_parse(const char *text, rf_golden *out, char *err, size_t errlen)
{
    static char scratch[256];
    if (!err || errlen == 0) {
        err = scratch;
        errlen = sizeof scratch;
    }
    err[0] = '\0';
    memset(out, 0, sizeof *out);
    parser p = {.at = text, .err = err, .errlen = errlen};
    long n_cases = 0;

    /* comments, then "cases N" */
    for (;;) {
        if (next_line(&p) != 0) {
            if (!p.failed) {
                p.line++;
                fail(&p, "the file ends before 'cases'");
            }
            goto bad;
        }
        if (p.tok[0][0] != '#')
            break;
        if (!out->header) {
            const char *h = p.tok[0] + 1;
            h += *h == ' ';
            if (!(out->header = strdup(h))) {
                fail(&p, "out of memory");
                goto bad;
            }
        }
    }
    if (strcmp(p.tok[0], "cases") != 0) {
        fail(&p, "expected 'cases' (or a '#' comment), found '%s'", p.tok[0]);
        goto bad;
    }
    if (want_tokens(&p, 2) != 0 || integer(&p, p.tok[1], "cases", 1, 100000, &n_cases) != 0)
        goto bad;
    if (!(out->cases = calloc((size_t)n_cases, sizeof *out->cases))) {
        fail(&p, "out of memory");
        goto bad;
    }
    for (long i = 0; i < n_cases; i++) {
        out->n_cases++; /* counted first: a half-read case is freed too */
        if (parse_case(&p, &out->cases[i]) != 0)
            goto bad;
        for (long j = 0; j < i; j++)
            if (!strcmp(out->cases[j].name, out->cases[i].name)) {
                fail(&p, "case '%s' twice", out->cases[i].name);
                goto bad;
            }
    }
    if (next_line(&p) == 0) {
        fail(&p, "'%s' after the last of the %ld cases", p.tok[0], n_cases);
        goto bad;
    }
    if (p.failed)
        goto bad;
    free(p.buf);
    free(p.tok);
    return 0;
bad:
    free(p.buf);
    free(p.tok);
    rf_golden_free(out);
    return -1;
}

int rf_golden_load(const char *path, rf_golden *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    size_t len;
    char *text = rf_test_read_file(path, &len);
    if (!text) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    if (strlen(text) != len) {
        snprintf(err, errlen, "%s: a NUL byte in the file", path);
        free(text);
        return -1;
    }
    char msg[512];
    int rc = rf_golden_parse(text, out, msg, sizeof msg);
    if (rc != 0)
        snprintf(err, errlen, "%s: %s", path, msg);
    free(text);
    return rc;
}

const rf_golden_tensor *rf_golden_tensor_named(const rf_golden_case *c, const char *name)
{
    for (int j = 0; j < c->n_tensors; j++)
        if (!strcmp(c->tensors[j].name, name))
            return &c->tensors[j];
    return NULL;
}

const char *rf_golden_path(void)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/tests/optim/golden.txt", rf_test_source_dir());
    return path;
}
