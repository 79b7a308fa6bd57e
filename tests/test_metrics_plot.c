/* metrics.csv exactly as specified; loss.svg well-formed XML with the
 * parts of a semilogy plot, for ordinary and awkward data. */
#include "metrics_csv.h"
#include "plot_svg.h"
#include "rftest.h"

#include <dirent.h>
#include <math.h>
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

static rf_metrics_row row(int epoch, double train, double test, double train_acc, double test_acc, double s)
{
    rf_metrics_row r = {epoch, train, test, train_acc, test_acc, s};
    return r;
}

static void test_metrics_classes(void)
{
    rf_metrics_row rows[2] = {row(1, 0.5868, 0.45123456789, 0.7834, 0.8, 1.23456),
                              row(2, 0.4, 1.0 / 3.0, 0.85, 0.841, 0.0004)};
    const char *path = path_in_tmp("metrics.csv");
    CU_ASSERT_EQUAL_FATAL(rf_metrics_write(path, rows, 2, err, sizeof err), 0);
    char *text = rf_test_read_file(path, NULL);
    CU_ASSERT_STRING_EQUAL(text, "epoch,train_loss,test_loss,train_acc,test_acc,seconds\n"
                                 "1,0.5868,0.451234568,0.7834,0.8,1.234560\n"
                                 "2,0.4,0.333333333,0.85,0.841,0.000400\n");
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
    CU_ASSERT_STRING_EQUAL(text, "epoch,train_loss,test_loss,train_acc,test_acc,seconds\n"
                                 "1,1.23456789e-13,98.7654321,,,0.020000\n"
                                 "10,3e-14,123.5,,,\n");
    free(text);
    /* no rows: just the header */
    CU_ASSERT_EQUAL_FATAL(rf_metrics_write(path, rows, 0, err, sizeof err), 0);
    text = rf_test_read_file(path, NULL);
    CU_ASSERT_STRING_EQUAL(text, "epoch,train_loss,test_loss,train_acc,test_acc,seconds\n");
    free(text);
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
    CU_ASSERT_EQUAL(rf_plot_loss_svg(path_in_tmp("missing/loss.svg"), "t", &r, 1, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "missing/loss.svg: No such file or directory"));
    CU_ASSERT_EQUAL(temp_files_left(), 0);
}

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

/* Writes the plot and checks the things every loss.svg must have. */
static char *plot(const char *title, const rf_metrics_row *rows, int n)
{
    const char *path = path_in_tmp("loss.svg");
    CU_ASSERT_EQUAL_FATAL(rf_plot_loss_svg(path, title, rows, n, err, sizeof err), 0);
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
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">epoch</text>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">loss</text>"));
    CU_ASSERT_EQUAL(temp_files_left(), 0);
    return svg;
}

/* "10<tspan ...>K</tspan>" for decade k */
static int has_decade_label(const char *svg, int k)
{
    char want[64];
    snprintf(want, sizeof want, "font-size=\"8\">%s%d</tspan>", k < 0 ? "&#8722;" : "", k < 0 ? -k : k);
    return strstr(svg, want) != NULL;
}

static void test_plot_ordinary(void)
{
    rf_metrics_row rows[5];
    for (int e = 1; e <= 5; e++)
        rows[e - 1] = row(e, 2.0 / e, 0.5 + 0.1 * e, NAN, NAN, 1);
    char *svg = plot("mlp_dropout", rows, 5);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">mlp_dropout</text>"));
    /* losses 0.4 to 2: decades 10^-1, 10^0, 10^1, each labelled, with minor ticks */
    CU_ASSERT(has_decade_label(svg, -1));
    CU_ASSERT(has_decade_label(svg, 0));
    CU_ASSERT(has_decade_label(svg, 1));
    CU_ASSERT(!has_decade_label(svg, 2));
    CU_ASSERT(!has_decade_label(svg, -2));
    /* two curves, one marker per point plus the legend's */
    CU_ASSERT_EQUAL(count(svg, "<polyline"), 2);
    CU_ASSERT_EQUAL(count(svg, "<circle"), 5 + 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">train</text>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">test</text>"));
    /* epoch tick labels 1..5 */
    for (int e = 1; e <= 5; e++) {
        char want[32];
        snprintf(want, sizeof want, ">%d</text>", e);
        CU_ASSERT_PTR_NOT_NULL(strstr(svg, want));
    }
    /* the train curve starts at the top left: epoch 1 at the left edge, loss 2
     * at log10(2) = 0.301 of the way from 10^0 to 10^1 */
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "points=\"72.00,125.97"));
    free(svg);
}

/* The seed's no-decay run: train loss near 1e-13, test loss near 1e2. */
static void test_plot_wide_range(void)
{
    rf_metrics_row rows[100];
    for (int e = 1; e <= 100; e++)
        rows[e - 1] = row(e, 3e-14 * pow(1e13, (100.0 - e) / 99), 100 + e, NAN, NAN, 0.01);
    char *svg = plot("no decay", rows, 100);
    /* 1e-14 to 1e3: every decade has a tick, labels at a regular step */
    int labelled = 0;
    for (int k = -14; k <= 3; k++)
        labelled += has_decade_label(svg, k);
    CU_ASSERT(labelled >= 8 && labelled <= 11);
    CU_ASSERT(has_decade_label(svg, -14));
    CU_ASSERT(has_decade_label(svg, 2));
    CU_ASSERT(!has_decade_label(svg, -15));
    CU_ASSERT_EQUAL(count(svg, "<circle"), 100 + 1);
    CU_ASSERT_EQUAL(count(svg, "<rect x"), 100 + 3); /* test markers, legend box and sample, frame */
    /* epoch ticks at a round step: 0, 20, ..., 100 */
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">20</text>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">100</text>"));
    CU_ASSERT_PTR_NULL(strstr(svg, ">30</text>"));
    free(svg);
}

static void test_plot_awkward(void)
{
    /* one epoch */
    rf_metrics_row one = row(1, 0.25, 0.3, 0.9, 0.9, 1);
    char *svg = plot("one", &one, 1);
    CU_ASSERT_EQUAL(count(svg, "<circle"), 2);
    CU_ASSERT(has_decade_label(svg, -1) && has_decade_label(svg, 0));
    CU_ASSERT_PTR_NULL(strstr(svg, "nan"));
    CU_ASSERT_PTR_NULL(strstr(svg, "inf"));
    free(svg);
    /* zero, negative, NaN and infinite values are left out; the line breaks */
    rf_metrics_row rows[6] = {row(1, 1, 0, NAN, NAN, 1),        row(2, 0.5, -1, NAN, NAN, 1),
                              row(3, NAN, 2, NAN, NAN, 1),      row(4, 0.1, INFINITY, NAN, NAN, 1),
                              row(5, 0.05, NAN, NAN, NAN, 1),   row(6, 0.01, 3, NAN, NAN, 1)};
    svg = plot("holes", rows, 6);
    CU_ASSERT_EQUAL(count(svg, "<circle"), 5 + 1);
    CU_ASSERT_EQUAL(count(svg, "<polyline"), 2 + 2); /* train: 1-2, 4-6; test: 3, 6 */
    CU_ASSERT_PTR_NULL(strstr(svg, "nan"));
    CU_ASSERT_PTR_NULL(strstr(svg, "inf"));
    CU_ASSERT(has_decade_label(svg, -2) && has_decade_label(svg, 1));
    free(svg);
    /* identical values: still a decade of range */
    rf_metrics_row flat[2] = {row(1, 1, 1, NAN, NAN, 1), row(2, 1, 1, NAN, NAN, 1)};
    svg = plot("flat", flat, 2);
    CU_ASSERT(has_decade_label(svg, 0) && has_decade_label(svg, 1));
    free(svg);
    /* nothing to plot: a valid SVG that says so */
    rf_metrics_row none[2] = {row(1, NAN, NAN, NAN, NAN, 1), row(2, 0, -3, NAN, NAN, 1)};
    svg = plot("none", none, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "no finite positive loss values to plot"));
    CU_ASSERT_EQUAL(count(svg, "<polyline"), 0);
    free(svg);
    svg = plot("empty", NULL, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "no finite positive loss values to plot"));
    free(svg);
    /* a title with XML specials and a control character is escaped */
    svg = plot("a<b & \"c\" 'd'>\x01", &one, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;?</text>"));
    free(svg);
}

int main(int argc, char **argv)
{
    static const rf_test_case cases[] = {
        {"metrics.csv for class data", test_metrics_classes},
        {"metrics.csv for squared loss: empty acc cells", test_metrics_squared},
        {"unwritable destinations", test_unwritable},
        {"loss.svg: ordinary curves", test_plot_ordinary},
        {"loss.svg: 1e-14 to 1e3", test_plot_wide_range},
        {"loss.svg: one epoch, holes, nothing to plot, escaping", test_plot_awkward},
        {NULL, NULL},
    };
    return rf_test_main("metrics_plot", cases, argc, argv);
}
