/* metrics.csv exactly as specified, read back bit for bit, and refused
 * with FILE:LINE when it is anything else; loss.svg well-formed XML with
 * the parts of its panels, for ordinary and awkward data. With
 * RF_PLOT_SAMPLES=DIR every plot a test makes is also written to DIR
 * (docs/render_plots.sh renders them to look at). */
#include "metrics_csv.h"
#include "plot_svg.h"
#include "rftest.h"

#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char err[1024];

static const char *path_in_tmp(const char *name)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", rf_test_tmpdir(), name);
    return path;
}

/* A row without validation and learning rate. */
static rf_metrics_row row(int epoch, double train, double test, double train_acc, double test_acc, double s)
{
    rf_metrics_row r = {epoch, train, test, train_acc, test_acc, s, NAN, NAN, NAN};
    return r;
}

/* A row with every column. */
static rf_metrics_row full_row(int epoch, double train, double test, double train_acc, double test_acc, double s,
                               double valid, double valid_acc, double lr)
{
    rf_metrics_row r = {epoch, train, test, train_acc, test_acc, s, valid, valid_acc, lr};
    return r;
}

static uint64_t bits(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return u;
}

/* Every double of the rows equal bit for bit (seconds too when with_seconds). */
static int rows_identical(const rf_metrics_row *a, const rf_metrics_row *b, int n, int with_seconds)
{
    for (int i = 0; i < n; i++) {
        const double va[] = {a[i].train_loss, a[i].test_loss, a[i].train_acc, a[i].test_acc,
                             a[i].valid_loss, a[i].valid_acc, a[i].lr,        with_seconds ? a[i].seconds : 0};
        const double vb[] = {b[i].train_loss, b[i].test_loss, b[i].train_acc, b[i].test_acc,
                             b[i].valid_loss, b[i].valid_acc, b[i].lr,        with_seconds ? b[i].seconds : 0};
        if (a[i].epoch != b[i].epoch)
            return 0;
        for (size_t k = 0; k < sizeof va / sizeof va[0]; k++) {
            if (bits(va[k]) != bits(vb[k])) {
                fprintf(stderr, "\nrow %d value %zu: %.17g != %.17g\n", i, k, va[k], vb[k]);
                return 0;
            }
        }
    }
    return 1;
}

/* ---- metrics.csv: writing ---- */

static void test_metrics_classes(void)
{
    rf_metrics_row rows[2] = {row(1, 0.5868, 0.45123456789, 0.7834, 0.8, 1.23456),
                              row(2, 0.4, 1.0 / 3.0, 0.85, 0.841, 0.0004)};
    const char *path = path_in_tmp("metrics.csv");
    CU_ASSERT_EQUAL_FATAL(rf_metrics_write(path, rows, 2, err, sizeof err), 0);
    char *text = rf_test_read_file(path, NULL);
    CU_ASSERT_STRING_EQUAL(text, "epoch,train_loss,test_loss,train_acc,test_acc,seconds,valid_loss,valid_acc,lr\n"
                                 "1,0.5868,0.451234568,0.7834,0.8,1.234560,,,\n"
                                 "2,0.4,0.333333333,0.85,0.841,0.000400,,,\n");
    free(text);
}

static void test_metrics_squared(void)
{
    /* squared loss: the acc columns are empty; tiny losses keep their digits */
    rf_metrics_row rows[2] = {row(1, 1.2345678912e-13, 98.7654321, NAN, NAN, 0.02),
                              row(10, 3e-14, 123.5, NAN, NAN, NAN)};
    const char *path = path_in_tmp("metrics.csv");
    CU_ASSERT_EQUAL_FATAL(rf_metrics_write(path, rows, 2, err, sizeof err), 0);
    char *text = rf_test_read_file(path, NULL);
    CU_ASSERT_STRING_EQUAL(text, RF_METRICS_HEADER "\n"
                                 "1,1.23456789e-13,98.7654321,,,0.020000,,,\n"
                                 "10,3e-14,123.5,,,,,,\n");
    free(text);
    /* no rows: just the header */
    CU_ASSERT_EQUAL_FATAL(rf_metrics_write(path, rows, 0, err, sizeof err), 0);
    text = rf_test_read_file(path, NULL);
    CU_ASSERT_STRING_EQUAL(text, "epoch,train_loss,test_loss,train_acc,test_acc,seconds,valid_loss,valid_acc,lr\n");
    free(text);
}

static void test_metrics_validation_lr(void)
{
    rf_metrics_row rows[2] = {full_row(1, 1.2, 0.9, 0.55, 0.65, 0.5, 0.95, 0.64, 0.25),
                              full_row(2, 0.6, 0.61, 0.78, 0.75, 0.5, 0.6123456789, 0.7525, 0.5)};
    const char *path = path_in_tmp("metrics.csv");
    CU_ASSERT_EQUAL_FATAL(rf_metrics_write(path, rows, 2, err, sizeof err), 0);
    char *text = rf_test_read_file(path, NULL);
    CU_ASSERT_STRING_EQUAL(text, RF_METRICS_HEADER "\n"
                                 "1,1.2,0.9,0.55,0.65,0.500000,0.95,0.64,0.25\n"
                                 "2,0.6,0.61,0.78,0.75,0.500000,0.612345679,0.7525,0.5\n");
    free(text);
}

/* ---- metrics.csv: rounding and reading back ---- */

static void test_metrics_round(void)
{
    rf_metrics_row r = full_row(7, 1.0 / 3.0, 2.0 / 3.0, 0.123456789012, NAN, 1.0 / 7.0, 1e-300 / 3, -0.0, 0.1);
    r.valid_acc = copysign(NAN, -1.0); /* a NaN with other bits than NAN's */
    rf_metrics_round(&r);
    CU_ASSERT_EQUAL(r.epoch, 7);
    CU_ASSERT_EQUAL(bits(r.train_loss), bits(strtod("0.333333333", NULL)));
    CU_ASSERT_EQUAL(bits(r.test_loss), bits(strtod("0.666666667", NULL)));
    CU_ASSERT_EQUAL(bits(r.train_acc), bits(strtod("0.123456789", NULL)));
    CU_ASSERT(isnan(r.test_acc));
    CU_ASSERT_EQUAL(bits(r.seconds), bits(1.0 / 7.0)); /* seconds are left alone */
    CU_ASSERT_EQUAL(bits(r.valid_loss), bits(strtod("3.33333333e-301", NULL)));
    CU_ASSERT_EQUAL(bits(r.valid_acc), bits(NAN)); /* every NaN becomes the reader's NaN */
    CU_ASSERT_EQUAL(bits(r.lr), bits(0.1));
    /* rounding twice changes nothing */
    rf_metrics_row again = r;
    rf_metrics_round(&again);
    CU_ASSERT(rows_identical(&r, &again, 1, 1));
    /* infinities and -0 stay what they are */
    rf_metrics_row inf = full_row(1, INFINITY, -INFINITY, -0.0, 0, 1, NAN, NAN, 1e308 * 10);
    rf_metrics_round(&inf);
    CU_ASSERT(isinf(inf.train_loss) && inf.train_loss > 0);
    CU_ASSERT(isinf(inf.test_loss) && inf.test_loss < 0);
    CU_ASSERT_EQUAL(bits(inf.train_acc), bits(-0.0));
    CU_ASSERT(isinf(inf.lr));
}

/* Rows like a run's: awkward values, every kind of empty cell. */
static int awkward_rows(rf_metrics_row *rows, int max)
{
    int n = 0;
    for (int e = 1; e <= max; e++) {
        double x = e * 0.7548776662466927; /* the plastic number's inverse, irrational steps */
        rf_metrics_row r = full_row(e, exp(-x) / 3, 1 / sqrt(x) + 1e-17, fmod(x, 1.0), NAN, x * 1.1e-3,
                                    e % 3 ? pow(10, -x) : NAN, e % 3 ? 1 - 1 / (x + 1) : NAN,
                                    0.5 * (1 + cos(3.141592653589793 * e / max)));
        if (e == 5)
            r.train_loss = 4.9406564584124654e-324; /* the smallest subnormal */
        if (e == 6)
            r.test_loss = 1.7976931348623157e308;
        if (e == 7)
            r.lr = 0.0;
        if (e == 8)
            r.seconds = NAN;
        rows[n++] = r;
    }
    return n;
}

static void test_metrics_round_trip(void)
{
    rf_metrics_row rows[40], *back = NULL;
    int n = awkward_rows(rows, 40), n_back = -1;
    for (int i = 0; i < n; i++)
        rf_metrics_round(&rows[i]);
    const char *path = path_in_tmp("metrics.csv");
    CU_ASSERT_EQUAL_FATAL(rf_metrics_write(path, rows, n, err, sizeof err), 0);
    char *first = rf_test_read_file(path, NULL);
    CU_ASSERT_EQUAL_FATAL(rf_metrics_read(path, &back, &n_back, err, sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(n_back, n);
    /* the rounded rows are what was read, bit for bit (seconds have %.6f) */
    CU_ASSERT(rows_identical(rows, back, n, 0));
    for (int i = 0; i < n; i++) {
        char text[64];
        snprintf(text, sizeof text, "%.6f", rows[i].seconds);
        CU_ASSERT(isnan(rows[i].seconds) ? isnan(back[i].seconds) : back[i].seconds == strtod(text, NULL));
    }
    /* written again: the same bytes */
    CU_ASSERT_EQUAL_FATAL(rf_metrics_write(path, back, n_back, err, sizeof err), 0);
    char *second = rf_test_read_file(path, NULL);
    CU_ASSERT_STRING_EQUAL(first, second);
    /* and read again: the same rows, seconds too */
    rf_metrics_row *back2 = NULL;
    int n_back2 = 0;
    CU_ASSERT_EQUAL_FATAL(rf_metrics_read(path, &back2, &n_back2, err, sizeof err), 0);
    CU_ASSERT_EQUAL(n_back2, n);
    CU_ASSERT(rows_identical(back, back2, n, 1));
    free(first);
    free(second);
    free(back);
    free(back2);
    /* a header alone: no rows */
    CU_ASSERT_EQUAL_FATAL(rf_metrics_write(path, rows, 0, err, sizeof err), 0);
    CU_ASSERT_EQUAL(rf_metrics_read(path, &back, &n_back, err, sizeof err), 0);
    CU_ASSERT_EQUAL(n_back, 0);
    free(back);
}

static void test_metrics_old_header(void)
{
    const char *path = rf_test_write("old.csv", "epoch,train_loss,test_loss,train_acc,test_acc,seconds\n"
                                                "1,1.19915662,0.977414052,0.53495,0.654,0.799347\n"
                                                "2,0.598605655,0.616043743,0.7779,0.7535,0.750367\n");
    rf_metrics_row *rows = NULL;
    int n = 0;
    CU_ASSERT_EQUAL_FATAL(rf_metrics_read(path, &rows, &n, err, sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(n, 2);
    CU_ASSERT_EQUAL(rows[0].epoch, 1);
    CU_ASSERT_EQUAL(rows[1].epoch, 2);
    CU_ASSERT_EQUAL(rows[0].train_loss, 1.19915662);
    CU_ASSERT_EQUAL(rows[1].test_acc, 0.7535);
    CU_ASSERT_EQUAL(rows[1].seconds, 0.750367);
    CU_ASSERT(isnan(rows[0].valid_loss) && isnan(rows[0].valid_acc) && isnan(rows[0].lr));
    CU_ASSERT(isnan(rows[1].valid_loss) && isnan(rows[1].valid_acc) && isnan(rows[1].lr));
    /* written back: the new header, the old values */
    CU_ASSERT_EQUAL_FATAL(rf_metrics_write(path, rows, n, err, sizeof err), 0);
    char *text = rf_test_read_file(path, NULL);
    CU_ASSERT_STRING_EQUAL(text, RF_METRICS_HEADER "\n"
                                 "1,1.19915662,0.977414052,0.53495,0.654,0.799347,,,\n"
                                 "2,0.598605655,0.616043743,0.7779,0.7535,0.750367,,,\n");
    free(text);
    free(rows);
    /* an old header with new rows is refused */
    path = rf_test_write("mixed.csv", "epoch,train_loss,test_loss,train_acc,test_acc,seconds\n"
                                      "1,1,1,,,1.000000,,,\n");
    CU_ASSERT_EQUAL(rf_metrics_read(path, &rows, &n, err, sizeof err), -1);
    RF_ASSERT_CONTAINS(err, "mixed.csv:2: 9 cells, expected 6");
}

/* Reads TEXT (len bytes) as a metrics.csv: it must fail with WANT in err,
 * which starts with the file's path, and leave no rows. */
static void refused(const char *text, size_t len, const char *want)
{
    const char *path = rf_test_write_bytes("bad.csv", text, len);
    rf_metrics_row *rows = (rf_metrics_row *)&rows;
    int n = -1;
    err[0] = '\0';
    CU_ASSERT_EQUAL(rf_metrics_read(path, &rows, &n, err, sizeof err), -1);
    CU_ASSERT_PTR_NULL(rows);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT(strncmp(err, path, strlen(path)) == 0);
    RF_ASSERT_CONTAINS(err, want);
}

#define REFUSED(text, want) refused(text, sizeof text - 1, want)
#define H RF_METRICS_HEADER "\n"

static void test_metrics_read_errors(void)
{
    /* the file as a whole */
    REFUSED("", "bad.csv:1: empty file");
    REFUSED("epoch,loss\n1,2\n", "bad.csv:1: not a metrics.csv header");
    REFUSED(RF_METRICS_HEADER, "bad.csv:1: the header line has no end");
    REFUSED(H "1,0.5,0.4,,,1.000000,,,\r\n", "bad.csv:2: lr '?' is not a number");
    REFUSED("epoch,train_loss,test_loss,train_acc,test_acc,seconds,valid_loss,valid_acc,lr,extra\n",
            "bad.csv:1: not a metrics.csv header");
    REFUSED("\x1f\x8b\x08\x00garbage", "bad.csv");
    REFUSED("\x7f" "ELF\x02\x01\x01\x00\x00\x00\n\x01\xff", "bad.csv:1: not a metrics.csv header");
    /* truncated rows */
    REFUSED(H "1,0.5,0.4,,,1.000000,,,\n2,0.3", "bad.csv:3: 2 cells, expected 9");
    REFUSED(H "1,0.5,0.4,,,1.000000,,,\n2,0.3,0.2,,,1.000000,,,0.1", "bad.csv:3: the last line has no end");
    REFUSED(H "1,0.5,0.4,,,1.000000,,,,\n", "bad.csv:2: 10 cells, expected 9");
    REFUSED(H "\n", "bad.csv:2: 1 cells, expected 9");
    /* cells that are not what the writer writes */
    REFUSED(H "1,abc,0.4,,,1.000000,,,\n", "bad.csv:2: train_loss 'abc' is not a number");
    REFUSED(H "1,0.5, 0.4,,,1.000000,,,\n", "bad.csv:2: test_loss ' 0.4' is not a number");
    REFUSED(H "1,0.5,0.4,0x10,,1.000000,,,\n", "bad.csv:2: train_acc '0x10' is not a number");
    REFUSED(H "1,0.5,0.4,,nan,1.000000,,,\n", "bad.csv:2: test_acc 'nan' is not a number");
    REFUSED(H "1,0.5,0.4,,,1e999,,,\n", "bad.csv:2: seconds '1e999' is not a number");
    REFUSED(H "1,0.5,0.4,,,1.000000,1.2.3,,\n", "bad.csv:2: valid_loss '1.2.3' is not a number");
    REFUSED(H "1,0.5,0.4,,,1.000000,,-,\n", "bad.csv:2: valid_acc '-' is not a number");
    REFUSED(H "1,0.5\0x,0.4,,,1.000000,,,\n", "bad.csv:2: train_loss '0.5?x' is not a number");
    /* epochs */
    REFUSED(H "x,0.5,0.4,,,1.000000,,,\n", "bad.csv:2: epoch 'x' is not a whole number");
    REFUSED(H "-1,0.5,0.4,,,1.000000,,,\n", "bad.csv:2: epoch '-1' is not a whole number");
    REFUSED(H "1.5,0.5,0.4,,,1.000000,,,\n", "bad.csv:2: epoch '1.5' is not a whole number");
    REFUSED(H "1234567890,0.5,0.4,,,1.000000,,,\n", "bad.csv:2: epoch '1234567890' is not a whole number");
    REFUSED(H "1,0.5,0.4,,,1.000000,,,\n3,0.5,0.4,,,1.000000,,,\n", "bad.csv:3: epoch 3 after epoch 1 (expected 2)");
    REFUSED(H "2,0.5,0.4,,,1.000000,,,\n2,0.5,0.4,,,1.000000,,,\n", "bad.csv:3: epoch 2 after epoch 2 (expected 3)");
    /* a long junk cell is quoted shortened */
    REFUSED(H "1,0123456789012345678901234567890123456789012345678901234567890123456789,,,,,,,\n",
            "is not a number");
    /* no such file */
    rf_metrics_row *rows = NULL;
    int n = 0;
    CU_ASSERT_EQUAL(rf_metrics_read(path_in_tmp("missing.csv"), &rows, &n, err, sizeof err), -1);
    RF_ASSERT_CONTAINS(err, "missing.csv");
    CU_ASSERT_PTR_NULL(rows);
}

/* A valid file with bytes changed, cut or repeated at random: each read
 * succeeds or fails with PATH:LINE, and never crashes (the sanitizer
 * build runs this too). */
static void test_metrics_read_junk(void)
{
    rf_metrics_row rows[12];
    int n = awkward_rows(rows, 12);
    const char *path = path_in_tmp("good.csv");
    CU_ASSERT_EQUAL_FATAL(rf_metrics_write(path, rows, n, err, sizeof err), 0);
    size_t len;
    char *good = rf_test_read_file(path, &len);
    char *junk = malloc(2 * len + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(junk);
    uint32_t state = 12345;
    int failures = 0, fine = 0;
    for (int round = 0; round < 3000; round++) {
        memcpy(junk, good, len);
        size_t jlen = len;
        for (int k = 0; k < 1 + round % 4; k++) {
            state = state * 1664525u + 1013904223u;
            size_t at = (state >> 8) % jlen;
            switch (round % 3) {
            case 0: junk[at] = (char)(state >> 24); break; /* a byte changed */
            case 1: jlen = at + 1; break;                   /* cut */
            default:                                        /* a piece repeated */
                memmove(junk + at + (state >> 28) + 1, junk + at, jlen - at);
                jlen += (state >> 28) + 1;
                if (jlen > len + 64)
                    jlen = len + 64;
            }
        }
        const char *bad = rf_test_write_bytes("junk.csv", junk, jlen);
        rf_metrics_row *back = NULL;
        int n_back = 0;
        if (rf_metrics_read(bad, &back, &n_back, err, sizeof err) == 0) {
            fine++;
            CU_ASSERT(n_back >= 0 && n_back <= n + 64);
            free(back);
        } else {
            failures++;
            CU_ASSERT(strncmp(err, bad, strlen(bad)) == 0 && err[strlen(bad)] == ':');
            CU_ASSERT_PTR_NULL(back);
        }
    }
    CU_ASSERT(failures > 1000);
    free(junk);
    free(good);
}

static int temp_files_left(void)
{
    int n = 0;
    DIR *dir = opendir(rf_test_tmpdir());
    struct dirent *e;
    while (dir && (e = readdir(dir)))
        n += strstr(e->d_name, ".tmp.") != NULL;
    if (dir)
        closedir(dir);
    return n;
}

static void test_unwritable(void)
{
    rf_metrics_row r = row(1, 1, 1, NAN, NAN, 1);
    CU_ASSERT_EQUAL(rf_metrics_write(path_in_tmp("missing/metrics.csv"), &r, 1, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "missing/metrics.csv: No such file or directory"));
    CU_ASSERT_EQUAL(rf_plot_loss_svg(path_in_tmp("missing/loss.svg"), "t", &r, 1, 0, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "missing/loss.svg: No such file or directory"));
    CU_ASSERT_EQUAL(temp_files_left(), 0);
}

/* ---- loss.svg: checking an SVG ---- */

/* A small XML well-formedness check: balanced and properly nested tags,
 * quoted attributes, only the five entities and numeric references, one
 * root element. Returns NULL when well formed, else what is wrong. */
static const char *xml_problem(const char *s)
{
    static char why[200];
    char stack[64][32];
    int depth = 0, roots = 0;
    const char *p = s;
    if (strncmp(p, "<?xml", 5) == 0) {
        p = strstr(p, "?>");
        if (!p)
            return "unterminated XML declaration";
        p += 2;
    }
    while (*p) {
        if (*p == '&') {
            const char *ents[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
            int ok = 0;
            for (int i = 0; i < 5; i++)
                ok |= strncmp(p, ents[i], strlen(ents[i])) == 0;
            if (!ok && p[1] == '#') {
                const char *q = p + 2;
                while (*q >= '0' && *q <= '9')
                    q++;
                ok = q > p + 2 && *q == ';';
            }
            if (!ok)
                return "bad entity";
            p++;
            continue;
        }
        if (*p == '>')
            return "stray '>' in text";
        if ((unsigned char)*p < 32 && *p != '\n' && *p != '\t')
            return "a control character";
        if (*p != '<') {
            p++;
            continue;
        }
        int closing = p[1] == '/';
        const char *name = p + 1 + closing;
        size_t n = strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_:");
        if (n == 0 || n >= 32)
            return "bad tag name";
        const char *q = name + n;
        char quote = 0;
        for (; *q && (quote || *q != '>'); q++) {
            if (quote && *q == quote)
                quote = 0;
            else if (!quote && (*q == '"' || *q == '\''))
                quote = *q;
            else if (*q == '<')
                return "'<' inside a tag";
        }
        if (!*q)
            return "unterminated tag";
        int self_closing = q[-1] == '/';
        if (closing) {
            if (depth == 0 || strlen(stack[depth - 1]) != n || strncmp(stack[depth - 1], name, n) != 0) {
                snprintf(why, sizeof why, "closing tag </%.*s> does not match", (int)n, name);
                return why;
            }
            depth--;
        } else {
            if (depth == 0)
                roots++;
            if (!self_closing) {
                if (depth == 64)
                    return "too deep";
                memcpy(stack[depth], name, n);
                stack[depth][n] = '\0';
                depth++;
            }
        }
        p = q + 1;
    }
    if (depth != 0)
        return "unclosed element";
    if (roots != 1)
        return "not exactly one root element";
    return NULL;
}

static int count(const char *s, const char *what)
{
    int n = 0;
    for (const char *p = strstr(s, what); p; p = strstr(p + 1, what))
        n++;
    return n;
}

/* The number after ATTR="  in the tag that starts at tag (NAN if none). */
static double attr(const char *tag, const char *name)
{
    char want[40];
    snprintf(want, sizeof want, " %s=\"", name);
    const char *end = strchr(tag, '>');
    const char *p = strstr(tag, want);
    return p && (!end || p < end) ? strtod(p + strlen(want), NULL) : NAN;
}

/* A tick label that reads as zero has no minus sign ('-' or U+2212). */
static int has_negative_zero(const char *svg)
{
    for (const char *p = strchr(svg, '>'); p; p = strchr(p + 1, '>')) {
        const char *q = p + 1;
        if (*q == '-')
            q++;
        else if (strncmp(q, "&#8722;", 7) == 0)
            q += 7;
        else
            continue;
        size_t zeros = strspn(q, "0.");
        if (zeros > 0 && q[zeros] == '<')
            return 1;
    }
    return 0;
}

typedef struct {
    double x, y, w, h;
} box;

static int strictly_inside(box b, double x, double y) { return x > b.x && x < b.x + b.w && y > b.y && y < b.y + b.h; }

/* One panel of a plot, as the checks see it. */
typedef struct {
    char id[32];
    box frame, legend;
    int has_legend;
    int points;       /* curve vertices */
    int outside;      /* vertices or markers not strictly inside the frame */
    int under_legend; /* vertices, markers or points along the lines inside the legend box */
    int y_labels;     /* labelled y ticks */
    double y_min, y_max; /* of the vertices, pixels */
} panel_view;

/* Reads the panels of svg into views (at most max); returns their count. */
static int read_panels(const char *svg, panel_view *views, int max)
{
    int n = 0;
    for (const char *p = strstr(svg, "<g class=\"panel\""); p && n < max; n++) {
        const char *next = strstr(p + 1, "<g class=\"panel\"");
        size_t len = next ? (size_t)(next - p) : strlen(p);
        char *part = malloc(len + 1);
        memcpy(part, p, len);
        part[len] = '\0';
        panel_view *v = &views[n];
        memset(v, 0, sizeof *v);
        v->y_min = INFINITY;
        v->y_max = -INFINITY;
        sscanf(part, "<g class=\"panel\" id=\"%31[^\"]\"", v->id);
        const char *fr = strstr(part, "class=\"frame\"");
        if (fr)
            v->frame = (box){attr(fr, "x"), attr(fr, "y"), attr(fr, "width"), attr(fr, "height")};
        char *leg = strstr(part, "<g class=\"legend\">");
        if (leg) {
            const char *r = strstr(leg, "<rect");
            v->legend = (box){attr(r, "x"), attr(r, "y"), attr(r, "width"), attr(r, "height")};
            v->has_legend = 1;
            *leg = '\0'; /* the legend's own markers are not data */
        }
        v->y_labels = count(part, "class=\"ytick\"");
        for (const char *c = strstr(part, "<polyline class=\"curve"); c; c = strstr(c + 1, "<polyline class=\"curve")) {
            const char *pts = strstr(c, "points=\"") + 8;
            double x0 = NAN, y0 = NAN, x, y;
            int used;
            while (sscanf(pts, "%lf,%lf%n", &x, &y, &used) == 2) {
                pts += used;
                v->points++;
                v->outside += !strictly_inside(v->frame, x, y);
                v->y_min = fmin(v->y_min, y);
                v->y_max = fmax(v->y_max, y);
                for (int s = 0; s <= (isnan(x0) ? 0 : 20); s++) {
                    double t = s / 20.0;
                    double sx = isnan(x0) ? x : x0 + t * (x - x0), sy = isnan(y0) ? y : y0 + t * (y - y0);
                    v->under_legend += v->has_legend && strictly_inside(v->legend, sx, sy);
                }
                x0 = x;
                y0 = y;
            }
        }
        for (const char *c = strstr(part, "<circle"); c; c = strstr(c + 1, "<circle")) {
            double x = attr(c, "cx"), y = attr(c, "cy");
            v->outside += !strictly_inside(v->frame, x, y);
            v->under_legend += v->has_legend && strictly_inside(v->legend, x, y);
        }
        free(part);
        p = next;
    }
    return n;
}

/* Writes the plot and checks what every loss.svg must have: well-formed,
 * one panel (two for classification) with its axis titles, every point
 * strictly inside its frame and none under the legend, no "-0" label. */
static char *plot_kind(const char *title, const rf_metrics_row *rows, int n, int classification)
{
    const char *path = path_in_tmp("loss.svg");
    CU_ASSERT_EQUAL_FATAL(rf_plot_loss_svg(path, title, rows, n, classification, err, sizeof err), 0);
    char *svg = rf_test_read_file(path, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(svg);
    const char *problem = xml_problem(svg);
    if (problem)
        fprintf(stderr, "\nnot well formed: %s\n", problem);
    CU_ASSERT_PTR_NULL(problem);
    CU_ASSERT(strncmp(svg, "<?xml", 5) == 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
    size_t len = strlen(svg);
    CU_ASSERT(len > 7 && strcmp(svg + len - 7, "</svg>\n") == 0);
    CU_ASSERT_EQUAL(count(svg, ">epoch</text>"), 1);
    CU_ASSERT_EQUAL(count(svg, ">loss</text>"), 1);
    CU_ASSERT_EQUAL(count(svg, ">accuracy</text>"), classification ? 1 : 0);
    CU_ASSERT_PTR_NULL(strstr(svg, ">-0<"));
    CU_ASSERT(!has_negative_zero(svg));
    CU_ASSERT_PTR_NULL(strstr(svg, "nan"));
    CU_ASSERT_PTR_NULL(strstr(svg, "inf"));
    panel_view v[3];
    int panels = read_panels(svg, v, 3);
    CU_ASSERT_EQUAL(panels, classification ? 2 : 1);
    CU_ASSERT_STRING_EQUAL(v[0].id, "loss");
    if (classification)
        CU_ASSERT_STRING_EQUAL(v[1].id, "accuracy");
    for (int i = 0; i < panels; i++) {
        if (v[i].outside || v[i].under_legend)
            fprintf(stderr, "\n%s, panel %s: %d points outside the frame, %d under the legend\n", title, v[i].id,
                    v[i].outside, v[i].under_legend);
        CU_ASSERT_EQUAL(v[i].outside, 0);
        CU_ASSERT_EQUAL(v[i].under_legend, 0);
        CU_ASSERT(v[i].frame.w > 300 && v[i].frame.h > 150);
    }
    CU_ASSERT_EQUAL(temp_files_left(), 0);
    const char *samples = getenv("RF_PLOT_SAMPLES");
    if (samples && *samples) {
        char name[200];
        snprintf(name, sizeof name, "%s/%s", samples, title);
        for (char *c = name + strlen(samples) + 1; *c; c++)
            *c = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' ? *c : '_';
        strncat(name, ".svg", sizeof name - strlen(name) - 1);
        FILE *f = fopen(name, "w");
        if (f) {
            fputs(svg, f);
            fclose(f);
        }
    }
    return svg;
}

static char *plot(const char *title, const rf_metrics_row *rows, int n) { return plot_kind(title, rows, n, 0); }

/* One panel's view (0: loss, 1: accuracy). */
static panel_view view_of(const char *svg, int which)
{
    panel_view v[3];
    memset(v, 0, sizeof v);
    read_panels(svg, v, 3);
    return v[which];
}

/* "10<tspan ...>K</tspan>" for decade k */
static int has_decade_label(const char *svg, int k)
{
    char want[64];
    snprintf(want, sizeof want, ">10<tspan dy=\"-5\" font-size=\"8\">%s%d</tspan>", k < 0 ? "&#8722;" : "",
             k < 0 ? -k : k);
    return strstr(svg, want) != NULL;
}

/* A tick label (class "ytick" or "xtick") with exactly this text. */
static int has_tick_label(const char *svg, const char *cls, const char *text)
{
    char key[40];
    snprintf(key, sizeof key, "class=\"%s\"", cls);
    for (const char *p = strstr(svg, key); p; p = strstr(p + 1, key)) {
        const char *start = strchr(p, '>') + 1, *end = strstr(start, "</text>");
        if (end && (size_t)(end - start) == strlen(text) && strncmp(start, text, strlen(text)) == 0)
            return 1;
    }
    return 0;
}

static int has_y_label(const char *svg, const char *text) { return has_tick_label(svg, "ytick", text); }

static int has_x_label(const char *svg, int epoch)
{
    char text[32];
    snprintf(text, sizeof text, "%d", epoch);
    return has_tick_label(svg, "xtick", text);
}

/* ---- loss.svg: regression ---- */

static void test_plot_ordinary(void)
{
    rf_metrics_row rows[5];
    for (int e = 1; e <= 5; e++)
        rows[e - 1] = row(e, 2.0 / e, 0.5 + 0.1 * e, NAN, NAN, 1);
    char *svg = plot("mlp_dropout", rows, 5);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">mlp_dropout</text>"));
    /* losses 0.4 to 2 span less than a decade: 0.5, 1 and 2 labelled */
    CU_ASSERT(has_y_label(svg, "0.5"));
    CU_ASSERT(has_y_label(svg, "1"));
    CU_ASSERT(has_y_label(svg, "2"));
    CU_ASSERT(!has_decade_label(svg, 1) && !has_decade_label(svg, -1));
    /* two curves, one marker per point plus the legend's */
    CU_ASSERT_EQUAL(count(svg, "<polyline"), 2);
    CU_ASSERT_EQUAL(count(svg, "<circle"), 5 + 1);
    CU_ASSERT_EQUAL(count(svg, ">train</text>"), 1);
    CU_ASSERT_EQUAL(count(svg, ">test</text>"), 1);
    CU_ASSERT_EQUAL(count(svg, ">validation</text>"), 0);
    /* epoch tick labels 1..5 */
    for (int e = 1; e <= 5; e++)
        CU_ASSERT(has_x_label(svg, e));
    CU_ASSERT(!has_x_label(svg, 0) && !has_x_label(svg, 6));
    /* the range fits the data: the curves fill most of the frame's height */
    panel_view v = view_of(svg, 0);
    CU_ASSERT(v.y_max - v.y_min > 0.8 * v.frame.h);
    free(svg);
}

/* The seed's no-decay run: train loss down to 3e-14, test loss near 1e2. */
static void test_plot_wide_range(void)
{
    rf_metrics_row rows[100];
    for (int e = 1; e <= 100; e++)
        rows[e - 1] = row(e, 3e-14 * pow(1e13, (100.0 - e) / 99), 100 + e, NAN, NAN, 0.01);
    char *svg = plot("no decay", rows, 100);
    /* 3e-14 to 200: decades labelled at a regular step, the top one (10^2) among them */
    int labelled = 0;
    for (int k = -15; k <= 3; k++)
        labelled += has_decade_label(svg, k);
    CU_ASSERT(labelled >= 6 && labelled <= 9);
    CU_ASSERT(has_decade_label(svg, 2));
    CU_ASSERT(!has_decade_label(svg, 3));
    CU_ASSERT(!has_decade_label(svg, -15));
    CU_ASSERT_EQUAL(count(svg, "<circle"), 100 + 1);
    /* epoch ticks at a round step: 0, 20, ..., 100 */
    CU_ASSERT(has_x_label(svg, 20) && has_x_label(svg, 100) && has_x_label(svg, 0));
    CU_ASSERT(!has_x_label(svg, 30));
    free(svg);
}

/* Like highdim_linreg: test loss 100 -> 0.1, train 0.1 -> 1e-6. */
static void test_plot_highdim(void)
{
    rf_metrics_row rows[100];
    for (int e = 1; e <= 100; e++) {
        double t = (e - 1) / 99.0;
        rows[e - 1] = row(e, 0.1 * pow(1e-5, t), 100 * pow(1e-3, sqrt(t)), NAN, NAN, 0.01);
    }
    char *svg = plot("highdim_linreg", rows, 100);
    for (int k = -6; k <= 2; k++)
        CU_ASSERT(has_decade_label(svg, k)); /* 10^2 too: the data reaches it */
    CU_ASSERT(!has_decade_label(svg, 3) && !has_decade_label(svg, -7));
    panel_view v = view_of(svg, 0);
    CU_ASSERT_EQUAL(v.points, 200);
    CU_ASSERT(v.y_labels == 9);
    CU_ASSERT(v.has_legend);
    free(svg);
}

/* A loss within one decade (0.30..0.45): at least three labels. */
static void test_plot_narrow(void)
{
    rf_metrics_row rows[20];
    for (int e = 1; e <= 20; e++)
        rows[e - 1] = row(e, 0.45 - 0.15 * (e - 1) / 19.0, 0.40 - 0.05 * sin(e / 3.0), NAN, NAN, 1);
    char *svg = plot("narrow", rows, 20);
    panel_view v = view_of(svg, 0);
    CU_ASSERT(v.y_labels >= 3 && v.y_labels <= 7);
    CU_ASSERT(has_y_label(svg, "0.30") || has_y_label(svg, "0.3"));
    CU_ASSERT(has_y_label(svg, "0.40") || has_y_label(svg, "0.4"));
    CU_ASSERT(v.y_max - v.y_min > 0.8 * v.frame.h);
    free(svg);
    /* narrower still, around 1e-13: mantissas, the power of ten written once above the axis */
    for (int e = 1; e <= 20; e++)
        rows[e - 1] = row(e, 3.0e-13 + 1e-15 * e, 3.1e-13 - 1e-15 * e, NAN, NAN, 1);
    svg = plot("narrow tiny", rows, 20);
    v = view_of(svg, 0);
    CU_ASSERT(v.y_labels >= 3);
    CU_ASSERT(has_y_label(svg, "3.00") && has_y_label(svg, "3.10"));
    CU_ASSERT_EQUAL(count(svg, "class=\"yscale\""), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">&#215;10<tspan dy=\"-5\" font-size=\"8\">&#8722;13</tspan></text>"));
    CU_ASSERT_EQUAL(count(svg, "&#215;"), 1);
    free(svg);
    /* a decade around 2e-6: M x 10^k labels */
    for (int e = 1; e <= 20; e++)
        rows[e - 1] = row(e, 1.5e-6 * pow(8, (e - 1) / 19.0), 2e-6, NAN, NAN, 1);
    svg = plot("a decade of tiny losses", rows, 20);
    CU_ASSERT(has_y_label(svg, "2&#215;10<tspan dy=\"-5\" font-size=\"8\">&#8722;6</tspan>"));
    CU_ASSERT(has_y_label(svg, "5&#215;10<tspan dy=\"-5\" font-size=\"8\">&#8722;6</tspan>"));
    CU_ASSERT(has_y_label(svg, "10<tspan dy=\"-5\" font-size=\"8\">&#8722;5</tspan>"));
    CU_ASSERT_PTR_NULL(strstr(svg, "class=\"yscale\""));
    free(svg);
    /* two decades (0.02 .. 1.5): 1, 2, 5 x 10^k */
    for (int e = 1; e <= 20; e++)
        rows[e - 1] = row(e, 1.5 * pow(0.02 / 1.5, (e - 1) / 19.0), 0.9, NAN, NAN, 1);
    svg = plot("two decades", rows, 20);
    CU_ASSERT(has_y_label(svg, "0.02") && has_y_label(svg, "0.05") && has_y_label(svg, "0.1"));
    CU_ASSERT(has_y_label(svg, "0.2") && has_y_label(svg, "0.5") && has_y_label(svg, "1"));
    free(svg);
}

/* ---- loss.svg: classification ---- */

/* A d2l dropout run's curves; with validation when valid is not 0. */
static int dropout_rows(rf_metrics_row *rows, int epochs, int valid)
{
    for (int e = 1; e <= epochs; e++) {
        double t = e - 1;
        double train = 0.3 + 0.9 * exp(-t / 1.5), test = 0.33 + 0.64 * exp(-t / 1.8) + 0.02 * sin(e);
        double tacc = 0.89 - 0.36 * exp(-t / 1.5), teacc = 0.88 - 0.23 * exp(-t / 1.8) - 0.01 * sin(e);
        rows[e - 1] = full_row(e, train, test, tacc, teacc, 0.8, valid ? test - 0.01 : NAN,
                               valid ? teacc + 0.005 : NAN, 0.5);
    }
    return epochs;
}

static void test_plot_classification(void)
{
    rf_metrics_row rows[20];
    int n = dropout_rows(rows, 20, 0);
    char *svg = plot_kind("mlp_dropout classification", rows, n, 1);
    CU_ASSERT_EQUAL(count(svg, "<polyline"), 4); /* train and test, in each panel */
    CU_ASSERT_EQUAL(count(svg, ">train</text>"), 2);
    CU_ASSERT_EQUAL(count(svg, ">test</text>"), 2);
    CU_ASSERT_EQUAL(count(svg, ">validation</text>"), 0);
    panel_view acc = view_of(svg, 1);
    CU_ASSERT(acc.y_labels >= 3 && acc.y_labels <= 7);
    CU_ASSERT(has_y_label(svg, "0.6") && has_y_label(svg, "0.8"));
    CU_ASSERT(acc.y_max - acc.y_min > 0.7 * acc.frame.h);
    panel_view loss = view_of(svg, 0);
    CU_ASSERT(acc.frame.y > loss.frame.y + loss.frame.h + 20); /* below, with room for tick labels */
    free(svg);

    /* with validation: a third curve and legend entry in each panel */
    n = dropout_rows(rows, 20, 1);
    svg = plot_kind("mlp_dropout validation", rows, n, 1);
    CU_ASSERT_EQUAL(count(svg, "<polyline"), 6);
    CU_ASSERT_EQUAL(count(svg, ">validation</text>"), 2);
    CU_ASSERT_EQUAL(count(svg, "class=\"curve validation\""), 2);
    free(svg);

    /* validation only in the loss panel when there is no valid_acc */
    for (int i = 0; i < n; i++)
        rows[i].valid_acc = NAN;
    svg = plot_kind("valid loss only", rows, n, 1);
    CU_ASSERT_EQUAL(count(svg, ">validation</text>"), 1);
    free(svg);

    /* classification with no accuracy at all: the panel says so */
    for (int i = 0; i < n; i++)
        rows[i].train_acc = rows[i].test_acc = NAN;
    svg = plot_kind("no accuracy", rows, n, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "no accuracy values to plot"));
    free(svg);
}

/* An accuracy of 1 or 0 is not on the frame, and the axis has no "-0". */
static void test_plot_accuracy_edges(void)
{
    rf_metrics_row rows[6];
    for (int e = 1; e <= 6; e++)
        rows[e - 1] = row(e, 1.0 / e, 1.0 / e, e >= 4 ? 1.0 : 0.2 * e, 0.0, 1);
    char *svg = plot_kind("accuracy 0 and 1", rows, 6, 1);
    CU_ASSERT(has_y_label(svg, "0.0") || has_y_label(svg, "0"));
    CU_ASSERT(has_y_label(svg, "1.0") || has_y_label(svg, "1"));
    free(svg);
    /* a flat accuracy of exactly 0: a range around it, labels -0.04 .. 0.04 without "-0" */
    for (int e = 1; e <= 6; e++)
        rows[e - 1].train_acc = 0.0;
    svg = plot_kind("flat zero accuracy", rows, 6, 1);
    panel_view acc = view_of(svg, 1);
    CU_ASSERT(acc.y_labels >= 3);
    free(svg);
}

/* ---- loss.svg: the x axis ---- */

static void test_plot_epochs(void)
{
    /* an evaluation-only run: epoch 0 alone */
    rf_metrics_row zero = row(0, 0.47, 0.51, 0.82, 0.81, 1);
    char *svg = plot_kind("evaluation", &zero, 1, 1);
    CU_ASSERT(has_x_label(svg, 0));
    CU_ASSERT_EQUAL(count(svg, "class=\"xtick\""), 2); /* one per panel */
    free(svg);
    /* thousands of epochs: round steps, lines without markers */
    static rf_metrics_row many[3000];
    for (int e = 1; e <= 3000; e++)
        many[e - 1] = row(e, 2 * exp(-e / 400.0) + 0.01, 2 * exp(-e / 600.0) + 0.05, NAN, NAN, 0.01);
    svg = plot("3000 epochs", many, 3000);
    CU_ASSERT(has_x_label(svg, 1000) && has_x_label(svg, 2000) && has_x_label(svg, 3000));
    CU_ASSERT(!has_x_label(svg, 1));
    int ticks = count(svg, "class=\"xtick\"");
    CU_ASSERT(ticks >= 3 && ticks <= 8);
    CU_ASSERT_EQUAL(count(svg, "<circle"), 0);
    panel_view v = view_of(svg, 0);
    CU_ASSERT_EQUAL(v.points, 6000);
    free(svg);
    /* 12 epochs: ticks that are whole numbers, at least every 2 */
    rf_metrics_row twelve[12];
    for (int e = 1; e <= 12; e++)
        twelve[e - 1] = row(e, 1.0 / e, 1.0 / sqrt(e), NAN, NAN, 1);
    svg = plot("12 epochs", twelve, 12);
    CU_ASSERT(has_x_label(svg, 2) && has_x_label(svg, 12));
    CU_ASSERT(count(svg, "class=\"xtick\"") >= 5);
    free(svg);
}

/* ---- loss.svg: awkward data ---- */

static void test_plot_awkward(void)
{
    /* one epoch */
    rf_metrics_row one = row(1, 0.25, 0.3, 0.9, 0.9, 1);
    char *svg = plot("one", &one, 1);
    CU_ASSERT_EQUAL(count(svg, "<circle"), 2);
    CU_ASSERT(view_of(svg, 0).y_labels >= 3);
    CU_ASSERT(has_x_label(svg, 1));
    free(svg);
    /* zero, negative, NaN and infinite values are left out; the line breaks */
    rf_metrics_row rows[6] = {row(1, 1, 0, NAN, NAN, 1),      row(2, 0.5, -1, NAN, NAN, 1),
                              row(3, NAN, 2, NAN, NAN, 1),    row(4, 0.1, INFINITY, NAN, NAN, 1),
                              row(5, 0.05, NAN, NAN, NAN, 1), row(6, 0.01, 3, NAN, NAN, 1)};
    svg = plot("holes", rows, 6);
    CU_ASSERT_EQUAL(count(svg, "<circle"), 5 + 1);
    CU_ASSERT_EQUAL(count(svg, "<polyline"), 2 + 2); /* train: 1-2, 4-6; test: 3, 6 */
    CU_ASSERT(has_decade_label(svg, -2) && has_decade_label(svg, 0));
    free(svg);
    /* identical values: a range around them, still three labels */
    rf_metrics_row flat[2] = {row(1, 1, 1, NAN, NAN, 1), row(2, 1, 1, NAN, NAN, 1)};
    svg = plot("flat", flat, 2);
    CU_ASSERT(view_of(svg, 0).y_labels >= 3);
    free(svg);
    /* extreme values: still a plot, ticks finite */
    rf_metrics_row extreme[3] = {row(1, 1e300, 1e-300, NAN, NAN, 1), row(2, 1e308, 4.9e-324, NAN, NAN, 1),
                                 row(3, 1.7e308, 1e-310, NAN, NAN, 1)};
    svg = plot("extreme", extreme, 3);
    CU_ASSERT(view_of(svg, 0).y_labels >= 3);
    CU_ASSERT(has_decade_label(svg, 308)); /* the top decade, though the range goes on */
    free(svg);
    /* nothing to plot: a valid SVG that says so */
    rf_metrics_row none[2] = {row(1, NAN, NAN, NAN, NAN, 1), row(2, 0, -3, NAN, NAN, 1)};
    svg = plot("none", none, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "no finite positive loss values to plot"));
    CU_ASSERT_EQUAL(count(svg, "<polyline"), 0);
    CU_ASSERT_PTR_NULL(strstr(svg, "class=\"legend\""));
    free(svg);
    svg = plot("empty", NULL, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "no finite positive loss values to plot"));
    free(svg);
    svg = plot_kind("empty classification", NULL, 0, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "no finite positive loss values to plot"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "no accuracy values to plot"));
    free(svg);
    /* a title with XML specials and a control character is escaped */
    svg = plot("a<b & \"c\" 'd'>\x01", &one, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;?</text>"));
    free(svg);
    /* UTF-8 stays, bytes that are not UTF-8 become '?' */
    svg = plot("r\xc3\xa9sum\xc3\xa9 \xff\xc3 \xed\xa0\x80", &one, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">r\xc3\xa9sum\xc3\xa9 ?\? ?\?\?</text>"));
    free(svg);
}

/* The legend moves off the data: curves through the top right corner
 * push it elsewhere, and curves through every corner make room for it. */
static void test_plot_legend_place(void)
{
    rf_metrics_row rows[30];
    for (int e = 1; e <= 30; e++) /* rising: the top right is taken */
        rows[e - 1] = row(e, 0.01 * e, 0.012 * e, NAN, NAN, 1);
    char *svg = plot("rising", rows, 30);
    panel_view v = view_of(svg, 0);
    CU_ASSERT(v.has_legend);
    CU_ASSERT(v.legend.x < v.frame.x + v.frame.w / 2 && v.legend.y < v.frame.y + v.frame.h / 2); /* top left */
    free(svg);
    for (int e = 1; e <= 30; e++) /* one curve along the top, one along the bottom, zigzags between */
        rows[e - 1] = row(e, e % 2 ? 1 : 1e-3, e % 3 ? 1e-3 : 1, NAN, NAN, 1);
    svg = plot("everywhere", rows, 30);
    v = view_of(svg, 0);
    CU_ASSERT(v.has_legend);
    free(svg);
}

int main(int argc, char **argv)
{
    static const rf_test_case cases[] = {
        {"metrics.csv for class data", test_metrics_classes},
        {"metrics.csv for squared loss: empty acc cells", test_metrics_squared},
        {"metrics.csv with validation and learning rate", test_metrics_validation_lr},
        {"rf_metrics_round: through %.9g text, NaN normalised, seconds left", test_metrics_round},
        {"metrics.csv: write, read, write: same bytes, same bits", test_metrics_round_trip},
        {"metrics.csv: the v0.1 header reads", test_metrics_old_header},
        {"metrics.csv: errors name FILE:LINE", test_metrics_read_errors},
        {"metrics.csv: mangled files fail cleanly", test_metrics_read_junk},
        {"unwritable destinations", test_unwritable},
        {"loss.svg: ordinary curves", test_plot_ordinary},
        {"loss.svg: 3e-14 to 2e2", test_plot_wide_range},
        {"loss.svg: highdim_linreg-like, 1e-6 to 1e2", test_plot_highdim},
        {"loss.svg: within a decade, and two", test_plot_narrow},
        {"loss.svg: classification, two panels, validation", test_plot_classification},
        {"loss.svg: accuracy 0 and 1", test_plot_accuracy_edges},
        {"loss.svg: epoch 0, 3000 epochs, 12 epochs", test_plot_epochs},
        {"loss.svg: one epoch, holes, extremes, nothing to plot, escaping", test_plot_awkward},
        {"loss.svg: the legend off the data", test_plot_legend_place},
        {NULL, NULL},
    };
    return rf_test_main("metrics_plot", cases, argc, argv);
}
