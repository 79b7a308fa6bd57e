/* A sweep's plots: curve.svg (means and spreads over seeds against the
 * first swept key, a curve set per value of the second) and curves.svg
 * (every point's test loss against epoch), checked as SVG text: well
 * formed, the panels and their parts, the x scale chosen as SPEC 6 says,
 * the means and spreads where they belong, every drawn point strictly
 * inside its frame and none under a legend. With RF_PLOT_SAMPLES=DIR every
 * plot is also written to DIR (docs/render_plots.sh --sweep-samples
 * renders them; the sweep_example_* cases are the docs/ pictures). */
#include "plot_sweep.h"
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

/* ---- checking an SVG ---- */

/* A small XML well-formedness check (as in test_metrics_plot.c): balanced
 * and nested tags, quoted attributes, only the five entities and numeric
 * references, one root element. NULL when well formed. */
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

/* The number after ATTR=" in the tag that starts at tag (NAN if none). */
static double attr(const char *tag, const char *name)
{
    char want[40];
    snprintf(want, sizeof want, " %s=\"", name);
    const char *end = strchr(tag, '>');
    const char *p = strstr(tag, want);
    return p && (!end || p < end) ? strtod(p + strlen(want), NULL) : NAN;
}

/* A text that reads as zero has no minus sign ('-' or U+2212). */
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
static int boxes_meet(box a, box b) { return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h; }

#define MAX_VERTS 4096

/* One panel as the checks see it. */
typedef struct {
    char id[32], scale[16];
    box frame, legend;
    int has_legend;
    int coords;       /* coordinate pairs of the drawn data */
    int outside;      /* of them, not strictly inside the frame */
    int under_legend; /* vertices, markers and points along lines inside the legend box */
    int curves, bands, errorbars, bridges;
    int y_labels, x_labels;
    double vx[MAX_VERTS], vy[MAX_VERTS]; /* the curves' vertices */
    int nv;
} panel_view;

/* The coordinate pairs of one element of the data (points, cx/cy, x1..y2,
 * a rect's corners); returns their count. */
static int element_coords(const char *tag, double *xs, double *ys, int max)
{
    int n = 0;
    const char *end = strchr(tag, '>');
    const char *pts = strstr(tag, " points=\"");
    if (pts && pts < end) {
        pts += 9;
        double x, y;
        int used;
        while (n < max && sscanf(pts, "%lf,%lf%n", &x, &y, &used) == 2) {
            xs[n] = x;
            ys[n++] = y;
            pts += used;
        }
        return n;
    }
    if (strncmp(tag, "<circle", 7) == 0) {
        xs[0] = attr(tag, "cx");
        ys[0] = attr(tag, "cy");
        return 1;
    }
    if (strncmp(tag, "<line", 5) == 0) {
        xs[0] = attr(tag, "x1");
        ys[0] = attr(tag, "y1");
        xs[1] = attr(tag, "x2");
        ys[1] = attr(tag, "y2");
        return 2;
    }
    if (strncmp(tag, "<rect", 5) == 0) {
        double x = attr(tag, "x"), y = attr(tag, "y"), w = attr(tag, "width"), h = attr(tag, "height");
        xs[0] = x;
        ys[0] = y;
        xs[1] = x + w;
        ys[1] = y + h;
        return 2;
    }
    return 0;
}

static void read_data(panel_view *v, const char *data, const char *data_end)
{
    static double xs[MAX_VERTS], ys[MAX_VERTS];
    for (const char *t = strchr(data + 1, '<'); t && t < data_end; t = strchr(t + 1, '<')) {
        if (t[1] == '/' || strncmp(t, "<g", 2) == 0)
            continue;
        int n = element_coords(t, xs, ys, MAX_VERTS);
        int curve = strncmp(t, "<polyline class=\"curve", 22) == 0, line = curve || strncmp(t, "<line", 5) == 0;
        v->curves += curve;
        v->bands += strncmp(t, "<polygon class=\"band", 20) == 0;
        v->bridges += strncmp(t, "<line class=\"bridge\"", 20) == 0;
        for (int i = 0; i < n; i++) {
            v->coords++;
            v->outside += !strictly_inside(v->frame, xs[i], ys[i]);
            if (curve && v->nv < MAX_VERTS) {
                v->vx[v->nv] = xs[i];
                v->vy[v->nv++] = ys[i];
            }
            /* along lines: 20 points per segment; else the coordinates themselves */
            for (int s = 0; s <= (line && i > 0 ? 20 : 0); s++) {
                double f = s / 20.0;
                double x = line && i > 0 ? xs[i - 1] + f * (xs[i] - xs[i - 1]) : xs[i];
                double y = line && i > 0 ? ys[i - 1] + f * (ys[i] - ys[i - 1]) : ys[i];
                v->under_legend += v->has_legend && strictly_inside(v->legend, x, y);
            }
        }
    }
    v->errorbars = count(data, "class=\"errorbar\"");
}

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
        sscanf(part, "<g class=\"panel\" id=\"%31[^\"]\"", v->id);
        const char *sc = strstr(part, "data-xscale=\"");
        if (sc)
            sscanf(sc, "data-xscale=\"%15[^\"]\"", v->scale);
        const char *fr = strstr(part, "class=\"frame\"");
        if (fr)
            v->frame = (box){attr(fr, "x"), attr(fr, "y"), attr(fr, "width"), attr(fr, "height")};
        const char *leg = strstr(part, "<g class=\"legend\">");
        if (leg) {
            const char *r = strstr(leg, "<rect");
            v->legend = (box){attr(r, "x"), attr(r, "y"), attr(r, "width"), attr(r, "height")};
            v->has_legend = 1;
        }
        const char *data = strstr(part, "<g class=\"data\">"), *data_end = strstr(part, "<rect class=\"frame\"");
        if (data)
            read_data(v, data, data_end ? data_end : part + len);
        v->y_labels = count(part, "class=\"ytick\"");
        v->x_labels = count(part, "class=\"xtick\"");
        free(part);
        p = next;
    }
    return n;
}

/* The legend right of the panels (the group table, curves.svg's). */
static int outer_legend(const char *svg, box *b)
{
    const char *leg = strstr(svg, "<g class=\"legend\" id=");
    if (!leg)
        return 0;
    const char *r = strstr(leg, "<rect");
    *b = (box){attr(r, "x"), attr(r, "y"), attr(r, "width"), attr(r, "height")};
    return 1;
}

static int saving = 1; /* off for the random cases: hundreds of plots nobody looks at */

static void save_sample(const char *name, const char *svg)
{
    const char *samples = getenv("RF_PLOT_SAMPLES");
    if (!saving || !samples || !*samples)
        return;
    char path[600];
    int at = snprintf(path, sizeof path, "%s/", samples);
    for (const char *c = name; *c && at < (int)sizeof path - 5; c++) /* a file name of the case's */
        path[at++] = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' ? *c : '_';
    snprintf(path + at, sizeof path - (size_t)at, ".svg");
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(svg, f);
        fclose(f);
    }
}

/* What every plot must be: well formed, the expected panels, the root's
 * size, no "-0", no NaN or infinity, every drawn point strictly inside
 * its frame and none under a legend, an outside legend clear of the
 * frames, no temporary file left. */
static void check_svg(const char *name, const char *svg, int panels, panel_view *v)
{
    const char *problem = xml_problem(svg);
    if (problem)
        fprintf(stderr, "\n%s: not well formed: %s\n", name, problem);
    CU_ASSERT_PTR_NULL(problem);
    CU_ASSERT(strncmp(svg, "<?xml", 5) == 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\""));
    size_t len = strlen(svg);
    CU_ASSERT(len > 7 && strcmp(svg + len - 7, "</svg>\n") == 0);
    CU_ASSERT(!has_negative_zero(svg));
    CU_ASSERT_PTR_NULL(strstr(svg, "nan"));
    CU_ASSERT_PTR_NULL(strstr(svg, "inf"));
    int n = read_panels(svg, v, 3);
    CU_ASSERT_EQUAL(n, panels);
    const char *root = strstr(svg, "<svg ");
    double width = attr(root, "width"), height = attr(root, "height");
    box legend;
    int outer = outer_legend(svg, &legend);
    for (int i = 0; i < n; i++) {
        if (v[i].outside || v[i].under_legend)
            fprintf(stderr, "\n%s, panel %s: %d of %d points outside the frame, %d under the legend\n", name, v[i].id,
                    v[i].outside, v[i].coords, v[i].under_legend);
        CU_ASSERT_EQUAL(v[i].outside, 0);
        CU_ASSERT_EQUAL(v[i].under_legend, 0);
        CU_ASSERT(v[i].frame.w > 300 && v[i].frame.h > 150);
        CU_ASSERT(v[i].frame.x + v[i].frame.w < width && v[i].frame.y + v[i].frame.h < height);
        if (v[i].has_legend) {
            CU_ASSERT(strictly_inside(v[i].frame, v[i].legend.x, v[i].legend.y));
            CU_ASSERT(strictly_inside(v[i].frame, v[i].legend.x + v[i].legend.w, v[i].legend.y + v[i].legend.h));
        }
        if (outer)
            CU_ASSERT(!boxes_meet(legend, v[i].frame));
        if (i > 0) /* below the one above, with room for its tick labels */
            CU_ASSERT(v[i].frame.y > v[i - 1].frame.y + v[i - 1].frame.h + 20);
    }
    if (outer)
        CU_ASSERT(legend.x + legend.w < width && legend.y + legend.h < height);
    CU_ASSERT_EQUAL(temp_files_left(), 0);
    save_sample(name, svg);
}

/* curve.svg of the points, checked; returns its text (free it). */
static char *sweep_plot(const char *name, const char *title, const char *x_key, const char *group_key,
                        const rf_sweep_point *pts, int n, int classification, panel_view *v)
{
    const char *path = path_in_tmp("curve.svg");
    CU_ASSERT_EQUAL_FATAL(rf_plot_sweep_svg(path, title, x_key, group_key, pts, n, classification, err, sizeof err), 0);
    char *svg = rf_test_read_file(path, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(svg);
    check_svg(name, svg, classification ? 2 : 1, v);
    CU_ASSERT_EQUAL(count(svg, ">loss</text>"), 1);
    CU_ASSERT_EQUAL(count(svg, ">accuracy</text>"), classification ? 1 : 0);
    CU_ASSERT_STRING_EQUAL(v[0].id, "loss");
    if (classification)
        CU_ASSERT_STRING_EQUAL(v[1].id, "accuracy");
    return svg;
}

static char *curves_plot(const char *name, const char *title, const rf_sweep_curve *curves, int n, panel_view *v)
{
    const char *path = path_in_tmp("curves.svg");
    CU_ASSERT_EQUAL_FATAL(rf_plot_sweep_curves_svg(path, title, curves, n, err, sizeof err), 0);
    char *svg = rf_test_read_file(path, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(svg);
    check_svg(name, svg, 1, v);
    CU_ASSERT_EQUAL(count(svg, ">test loss</text>"), 1);
    CU_ASSERT_EQUAL(count(svg, ">epoch</text>"), 1);
    return svg;
}

/* A tick label's value: a plain decimal, 10^k or M x 10^k as the plots
 * write them (U+2212 for the minus). */
static double label_value(const char *text)
{
    char plain[200];
    size_t n = 0;
    for (const char *p = text; *p && n + 1 < sizeof plain; p++) {
        if (strncmp(p, "&#8722;", 7) == 0) {
            plain[n++] = '-';
            p += 6;
        } else if (strncmp(p, "&#215;", 6) == 0) {
            plain[n++] = '*';
            p += 5;
        } else if (*p == '<') { /* a tspan: its content is the exponent */
            const char *close = strchr(p, '>');
            if (!close)
                break;
            if (strncmp(p, "</tspan", 7) != 0)
                plain[n++] = '^';
            p = close;
        } else {
            plain[n++] = *p;
        }
    }
    plain[n] = '\0';
    char *caret = strchr(plain, '^');
    if (!caret)
        return strtod(plain, NULL);
    double e = strtod(caret + 1, NULL);
    char *star = strchr(plain, '*');
    double m = star ? strtod(plain, NULL) : 1;
    return m * pow(10, e);
}

/* The labelled ticks of class cls ("ytick", "xtick") in part: their values
 * and pixels (y: the text's baseline less 4; x: its anchor). */
static int tick_values(const char *part, const char *cls, double *values, double *pixels, int max)
{
    char key[40];
    snprintf(key, sizeof key, "class=\"%s\"", cls);
    int n = 0;
    for (const char *p = strstr(part, key); p && n < max; p = strstr(p + 1, key)) {
        const char *start = strchr(p, '>') + 1, *end = strstr(start, "</text>");
        char text[200];
        snprintf(text, sizeof text, "%.*s", (int)(end - start), start);
        values[n] = label_value(text);
        pixels[n] = cls[0] == 'y' ? attr(p - 6, "y") - 4 : attr(p - 6, "x");
        n++;
    }
    return n;
}

/* The pixel a value gets on the axis whose labelled ticks are these (the
 * first and last two fix the map; log or linear). */
static double pixel_of(double value, const double *values, const double *pixels, int n, int log)
{
    double a = log ? log10(values[0]) : values[0], b = log ? log10(values[n - 1]) : values[n - 1];
    double t = log ? log10(value) : value;
    return pixels[0] + (t - a) / (b - a) * (pixels[n - 1] - pixels[0]);
}

/* The panel's text (from its opening tag to the next panel's). */
static char *panel_text(const char *svg, const char *id)
{
    char key[64];
    snprintf(key, sizeof key, "<g class=\"panel\" id=\"%s\"", id);
    const char *p = strstr(svg, key);
    if (!p)
        return NULL;
    const char *next = strstr(p + 1, "<g class=\"panel\"");
    size_t len = next ? (size_t)(next - p) : strlen(p);
    char *part = malloc(len + 1);
    memcpy(part, p, len);
    part[len] = '\0';
    return part;
}

/* A tick label (class cls) with exactly this text. */
static int has_label(const char *svg, const char *cls, const char *text)
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

static int has_x_label(const char *svg, const char *text) { return has_label(svg, "xtick", text); }

/* Whether some curve vertex lies within 0.02 px of (x, y). */
static int has_vertex(const panel_view *v, double x, double y)
{
    for (int i = 0; i < v->nv; i++)
        if (fabs(v->vx[i] - x) < 0.02 && fabs(v->vy[i] - y) < 0.02)
            return 1;
    return 0;
}

/* ---- sample data ---- */

/* A repeatable value in [0, 1) for (a, b). */
static double noise(unsigned a, unsigned b)
{
    unsigned long long h = (a + 1) * 0x9E3779B97F4A7C15ULL ^ (b + 7) * 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 31;
    h *= 0x94D049BB133111EBULL;
    h ^= h >> 29;
    return (double)(h >> 11) / 9007199254740992.0;
}

static rf_sweep_point point(const char *x_text, const char *group, unsigned long long seed, double train,
                            double test)
{
    rf_sweep_point p = {x_text, NAN, group, seed, train, NAN, test, NAN, NAN, NAN};
    char *end;
    double x = strtod(x_text, &end);
    if (end != x_text && *end == '\0')
        p.x = x;
    return p;
}

/* The d2l weight-decay sweep: decay.0.l2 in 0 .. 10, 5 seeds (final losses
 * like highdim_linreg's: train 1e-13 without decay, test ~100 falling to
 * ~0.01 at 3 and rising a little at 10). */
static const char *const lambdas[7] = {"0", "0.01", "0.1", "0.3", "1", "3", "10"};
static const double wd_train[7] = {1.2e-13, 2e-9, 4e-6, 6e-5, 1.1e-3, 4e-3, 0.05};
static const double wd_test[7] = {95, 55, 6, 0.6, 0.05, 0.0104, 0.021};

static int weight_decay_points(rf_sweep_point *pts)
{
    int n = 0;
    for (int s = 0; s < 5; s++) /* seed-major, as a sweep may finish them */
        for (int i = 0; i < 7; i++)
            pts[n++] = point(lambdas[i], NULL, (unsigned long long)s + 1, wd_train[i] * pow(2.5, 2 * noise(i, s) - 1),
                             wd_test[i] * pow(1.35, 2 * noise(i, s + 9) - 1));
    return n;
}

/* d2l's dropout MLP: layers.2.dropout x layers.5.dropout in {0, 0.2, 0.5}, 1 seed. */
static const char *const ps[3] = {"0", "0.2", "0.5"};

static int dropout_points(rf_sweep_point *pts)
{
    int n = 0;
    for (int a = 0; a < 3; a++) {
        for (int b = 0; b < 3; b++) {
            double pa = atof(ps[a]), pb = atof(ps[b]), wa = (pa - 0.25) * (pa - 0.25), wb = (pb - 0.3) * (pb - 0.3);
            rf_sweep_point p = point(ps[a], ps[b], 42, 0.30 + 0.12 * pa + 0.18 * pb,
                                     0.37 + 0.25 * wa + 0.35 * wb + 0.006 * noise(a, b));
            p.train_acc = 0.89 - 0.03 * pa - 0.04 * pb;
            p.test_acc = 0.878 - 0.2 * wa - 0.25 * wb - 0.004 * noise(a, b + 5);
            pts[n++] = p;
        }
    }
    return n;
}

/* The weight-decay sweep's runs: 35 curves of 100 epochs, the test loss
 * falling from ~180 towards the point's final value. */
static rf_metrics_row wd_rows[35][100];
static char wd_labels[35][64];

static int weight_decay_curves(rf_sweep_curve *curves)
{
    int n = 0;
    for (int i = 0; i < 7; i++) {
        for (int s = 0; s < 5; s++) {
            double start = 180 * pow(1.3, 2 * noise(i, s + 20) - 1);
            double final = wd_test[i] * pow(1.35, 2 * noise(i, s + 9) - 1), tau = 22 / (1 + 3 * atof(lambdas[i]));
            for (int e = 1; e <= 100; e++) {
                double t = exp(-(e - 1) / tau), wiggle = 1 + 0.04 * (noise(e, n) - 0.5);
                double test = exp(log(final) + (log(start) - log(final)) * t) * wiggle;
                wd_rows[n][e - 1] = (rf_metrics_row){e, NAN, test, NAN, NAN, 0.01, NAN, NAN, 0.003};
            }
            snprintf(wd_labels[n], sizeof wd_labels[n], "decay.0.l2=%s, seed %d", lambdas[i], s + 1);
            curves[n] = (rf_sweep_curve){wd_labels[n], wd_rows[n], 100};
            n++;
        }
    }
    return n;
}

/* ---- curve.svg: the samples of docs/ ---- */

static void test_weight_decay(void)
{
    rf_sweep_point pts[35];
    int n = weight_decay_points(pts);
    panel_view v[3];
    char *svg = sweep_plot("sweep_example_curve", "highdim_linreg sweep", "decay.0.l2", NULL, pts, n, 0, v);
    /* 0 .. 10 with the positive values spanning three decades: a log axis, 0 on a stub left of a break */
    CU_ASSERT_STRING_EQUAL(v[0].scale, "log");
    CU_ASSERT_EQUAL(count(svg, "class=\"xbreak\""), 1);
    for (int i = 0; i < 7; i++)
        CU_ASSERT(has_x_label(svg, lambdas[i]));
    CU_ASSERT_EQUAL(v[0].x_labels, 7);
    /* train and test, a mean line and a min..max band each, no validation */
    CU_ASSERT_EQUAL(count(svg, "class=\"curve train"), 2); /* the stub's point, then the log range's */
    CU_ASSERT_EQUAL(count(svg, "class=\"curve test"), 2);
    CU_ASSERT_EQUAL(v[0].bridges, 2);
    CU_ASSERT_EQUAL(v[0].bands, 2);
    CU_ASSERT_EQUAL(v[0].errorbars, 2); /* the stub's lone points */
    CU_ASSERT_EQUAL(count(svg, "class=\"curve valid"), 0);
    CU_ASSERT(v[0].has_legend);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">train</text>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">test</text>"));
    CU_ASSERT_PTR_NULL(strstr(svg, ">validation</text>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">min\xe2\x80\x93max, 5 seeds</text>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">decay.0.l2</text>"));
    CU_ASSERT_EQUAL(v[0].nv, 14);

    /* each mean where the axes put it: x at its tick label, y by the y labels */
    rf_sweep_stat st[35];
    int m = rf_sweep_aggregate(pts, n, RF_SWEEP_TEST_LOSS, st);
    CU_ASSERT_EQUAL_FATAL(m, 7);
    char *part = panel_text(svg, "loss");
    double yv[40], yp[40], xv[40], xp[40];
    int ny = tick_values(part, "ytick", yv, yp, 40), nx = tick_values(part, "xtick", xv, xp, 40);
    CU_ASSERT_FATAL(ny >= 3 && nx == 7);
    for (int j = 0; j < m; j++) {
        double x = NAN;
        for (int i = 0; i < nx; i++)
            if (xv[i] == pts[st[j].point].x)
                x = xp[i];
        double y = pixel_of(st[j].mean, yv, yp, ny, 1);
        if (!has_vertex(&v[0], x, y))
            fprintf(stderr, "\nno vertex at %.2f,%.2f for mean %g\n", x, y, st[j].mean);
        CU_ASSERT(has_vertex(&v[0], x, y));
    }
    /* the log range: equal ratios at equal distances (0.01 -> 0.1 and 0.1 -> 1) */
    CU_ASSERT_DOUBLE_EQUAL(xp[2] - xp[1], xp[4] - xp[2], 0.02);
    CU_ASSERT(xp[0] < xp[1] - 25); /* the stub, clear of the log range */
    free(part);
    free(svg);
}

static void test_dropout_groups(void)
{
    rf_sweep_point pts[9];
    int n = dropout_points(pts);
    panel_view v[3];
    char *svg =
        sweep_plot("sweep_example_dropout", "mlp_dropout sweep", "layers.2.dropout", "layers.5.dropout", pts, n, 1, v);
    /* 0, 0.2, 0.5: no decade, a linear axis labelled at the values */
    CU_ASSERT_STRING_EQUAL(v[0].scale, "linear");
    CU_ASSERT_EQUAL(count(svg, "class=\"xbreak\""), 0);
    CU_ASSERT(has_x_label(svg, "0") && has_x_label(svg, "0.2") && has_x_label(svg, "0.5"));
    /* a curve set per group, in both panels; one seed: no bands, no error bars */
    for (int i = 0; i < 2; i++) {
        CU_ASSERT_EQUAL(v[i].curves, 6);
        CU_ASSERT_EQUAL(v[i].bands + v[i].errorbars, 0);
        CU_ASSERT(!v[i].has_legend);
    }
    CU_ASSERT_EQUAL(count(svg, "class=\"curve train g2\""), 2);
    /* the legend right of the frames: a row per group saying KEY2=VALUE, in order */
    box legend;
    CU_ASSERT_FATAL(outer_legend(svg, &legend));
    CU_ASSERT(legend.x > v[0].frame.x + v[0].frame.w);
    const char *g0 = strstr(svg, "class=\"group\""), *g1 = g0 ? strstr(g0 + 1, "class=\"group\"") : NULL;
    CU_ASSERT_EQUAL(count(svg, "class=\"group\""), 3);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">layers.5.dropout=0</text>"));
    CU_ASSERT(g1 && strstr(g1, ">layers.5.dropout=0.2</text>") < strstr(g1, ">layers.5.dropout=0.5</text>"));
    CU_ASSERT(g0 && strstr(g0, ">layers.5.dropout=0</text>") < g1);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">train</text>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">test</text>"));
    CU_ASSERT_PTR_NULL(strstr(svg, "seeds</text>"));
    /* the accuracy panel is linear: the drawn accuracy of (0.2, 0.5) where its labels put it */
    char *part = panel_text(svg, "accuracy");
    double yv[20], yp[20];
    int ny = tick_values(part, "ytick", yv, yp, 20);
    CU_ASSERT_FATAL(ny >= 3);
    CU_ASSERT(yv[0] >= 0.8 && yv[ny - 1] <= 0.9);
    double x02 = NAN, xv[8], xp[8];
    int nx = tick_values(part, "xtick", xv, xp, 8);
    for (int i = 0; i < nx; i++)
        if (xv[i] == 0.2)
            x02 = xp[i];
    CU_ASSERT(has_vertex(&v[1], x02, pixel_of(pts[5].test_acc, yv, yp, ny, 0)));
    CU_ASSERT(has_vertex(&v[1], x02, pixel_of(pts[5].train_acc, yv, yp, ny, 0)));
    free(part);
    free(svg);
}

/* ---- curve.svg: the mean and spread ---- */

static void test_aggregate(void)
{
    /* points in any order: x 1 then 0.1 then "1e-1" (the same number), two groups, NaN, inf, 0 and -1 left out */
    rf_sweep_point pts[10] = {
        point("1", "a", 1, 2.0, 10),      point("0.1", "a", 1, 1.0, 1),    point("1", "b", 1, 4.0, NAN),
        point("1", "a", 2, 4.0, 20),      point("1e-1", "a", 2, 3.0, 0),   point("1", "a", 3, 9.0, INFINITY),
        point("0.1", "b", 2, -1.0, 5),    point("1", "b", 2, 8.0, 7),      point("0.1", "b", 3, NAN, 6),
        point("0.1", "a", 3, 1e-300, 2)};
    pts[0].train_acc = 0.5;
    pts[3].train_acc = 0.0; /* an accuracy of 0 counts */
    pts[5].train_acc = -INFINITY;
    rf_sweep_stat st[10];
    int m = rf_sweep_aggregate(pts, 10, RF_SWEEP_TRAIN_LOSS, st);
    CU_ASSERT_EQUAL_FATAL(m, 4);
    /* (1, a), (0.1, a), (1, b), (0.1, b): in order of first appearance, indices likewise */
    int want_point[4] = {0, 1, 2, 6}, want_x[4] = {0, 1, 0, 1}, want_g[4] = {0, 0, 1, 1};
    for (int j = 0; j < 4; j++) {
        CU_ASSERT_EQUAL(st[j].point, want_point[j]);
        CU_ASSERT_EQUAL(st[j].x_index, want_x[j]);
        CU_ASSERT_EQUAL(st[j].group_index, want_g[j]);
    }
    CU_ASSERT_EQUAL(st[0].seeds, 3);
    CU_ASSERT_DOUBLE_EQUAL(st[0].mean, 5.0, 1e-12);
    CU_ASSERT_EQUAL(st[0].min, 2.0);
    CU_ASSERT_EQUAL(st[0].max, 9.0);
    CU_ASSERT_EQUAL(st[1].seeds, 3);
    CU_ASSERT_DOUBLE_EQUAL(st[1].mean, (1.0 + 3.0 + 1e-300) / 3, 1e-12);
    CU_ASSERT_EQUAL(st[1].min, 1e-300);
    CU_ASSERT_EQUAL(st[1].max, 3.0);
    CU_ASSERT_EQUAL(st[2].seeds, 2);
    CU_ASSERT_DOUBLE_EQUAL(st[2].mean, 6.0, 1e-12);
    CU_ASSERT_EQUAL(st[3].seeds, 0); /* -1 and NaN: nothing left */
    CU_ASSERT(isnan(st[3].mean) && isnan(st[3].min) && isnan(st[3].max));
    /* the test loss: 0, NaN and inf left out */
    m = rf_sweep_aggregate(pts, 10, RF_SWEEP_TEST_LOSS, st);
    CU_ASSERT_EQUAL(m, 4);
    CU_ASSERT_EQUAL(st[0].seeds, 2);
    CU_ASSERT_DOUBLE_EQUAL(st[0].mean, 15.0, 1e-12);
    CU_ASSERT_EQUAL(st[1].seeds, 2);
    CU_ASSERT_DOUBLE_EQUAL(st[1].mean, 1.5, 1e-12);
    CU_ASSERT_EQUAL(st[2].seeds, 1);
    CU_ASSERT_EQUAL(st[2].mean, 7.0);
    CU_ASSERT_EQUAL(st[2].min, 7.0);
    CU_ASSERT_EQUAL(st[2].max, 7.0);
    CU_ASSERT_EQUAL(st[3].seeds, 2);
    CU_ASSERT_DOUBLE_EQUAL(st[3].mean, 5.5, 1e-12);
    /* accuracies: 0 counts, infinities do not */
    m = rf_sweep_aggregate(pts, 10, RF_SWEEP_TRAIN_ACC, st);
    CU_ASSERT_EQUAL(st[0].seeds, 2);
    CU_ASSERT_DOUBLE_EQUAL(st[0].mean, 0.25, 1e-15);
    CU_ASSERT_EQUAL(st[0].min, 0.0);
    CU_ASSERT_EQUAL(st[1].seeds, 0);
    /* every point alone, the mean between min and max for awkward values */
    rf_sweep_point many[50];
    for (int i = 0; i < 50; i++)
        many[i] = point("0.5", NULL, (unsigned long long)i, i % 2 ? 1.7e308 : 1e308, 0.1 + 1e-17 * i);
    m = rf_sweep_aggregate(many, 50, RF_SWEEP_TRAIN_LOSS, st);
    CU_ASSERT_EQUAL_FATAL(m, 1);
    CU_ASSERT_EQUAL(st[0].seeds, 50);
    CU_ASSERT(isfinite(st[0].mean) && st[0].mean >= st[0].min && st[0].mean <= st[0].max);
    CU_ASSERT_DOUBLE_EQUAL(st[0].mean / 1e308, 1.35, 1e-12);
    m = rf_sweep_aggregate(many, 50, RF_SWEEP_TEST_LOSS, st);
    CU_ASSERT(st[0].mean >= st[0].min && st[0].mean <= st[0].max);
    /* categories by text, NULL group only with NULL, no points at all */
    rf_sweep_point cats[4] = {point("{a: 1}", NULL, 1, 1, 1), point("{a: 1}", "x", 1, 2, 2),
                              point("{b}", NULL, 1, 3, 3), point("{a: 1}", NULL, 2, 5, 5)};
    m = rf_sweep_aggregate(cats, 4, RF_SWEEP_TEST_LOSS, st);
    CU_ASSERT_EQUAL(m, 3);
    CU_ASSERT_EQUAL(st[0].seeds, 2);
    CU_ASSERT_EQUAL(st[0].mean, 3.0);
    CU_ASSERT_EQUAL(st[1].group_index, 1);
    CU_ASSERT_EQUAL(st[2].x_index, 1);
    CU_ASSERT_EQUAL(st[2].group_index, 0);
    CU_ASSERT_EQUAL(rf_sweep_aggregate(cats, 0, RF_SWEEP_TEST_LOSS, st), 0);
    CU_ASSERT_EQUAL(rf_sweep_aggregate(NULL, 4, RF_SWEEP_TEST_LOSS, st), 0);
}

/* The drawn band spans min..max, the line goes through the mean. */
static void test_band_position(void)
{
    rf_sweep_point pts[6];
    double acc[3][2] = {{0.80, 0.86}, {0.84, 0.90}, {0.82, 0.88}};
    const char *xs[3] = {"1", "2", "4"};
    int n = 0;
    for (int i = 0; i < 3; i++)
        for (int s = 0; s < 2; s++) {
            pts[n] = point(xs[i], NULL, (unsigned long long)s, 0.5, 0.5);
            pts[n++].test_acc = acc[i][s];
        }
    panel_view v[3];
    char *svg = sweep_plot("band", "band", "k", NULL, pts, n, 1, v);
    CU_ASSERT_STRING_EQUAL(v[1].scale, "linear");
    CU_ASSERT_EQUAL(v[1].bands, 1);
    char *part = panel_text(svg, "accuracy");
    double yv[20], yp[20], xv[8], xp[8];
    int ny = tick_values(part, "ytick", yv, yp, 20), nx = tick_values(part, "xtick", xv, xp, 8);
    CU_ASSERT_FATAL(ny >= 3 && nx == 3);
    for (int i = 0; i < 3; i++)
        CU_ASSERT(has_vertex(&v[1], xp[i], pixel_of((acc[i][0] + acc[i][1]) / 2, yv, yp, ny, 0)));
    /* the band's polygon: the maxima left to right, then the minima right to left */
    const char *band = strstr(part, "<polygon class=\"band test");
    CU_ASSERT_PTR_NOT_NULL_FATAL(band);
    double bx[6], by[6];
    int nb = element_coords(band, bx, by, 6);
    CU_ASSERT_EQUAL_FATAL(nb, 6);
    for (int i = 0; i < 3; i++) {
        CU_ASSERT_DOUBLE_EQUAL(bx[i], xp[i], 0.02);
        CU_ASSERT_DOUBLE_EQUAL(by[i], pixel_of(acc[i][1], yv, yp, ny, 0), 0.02);
        CU_ASSERT_DOUBLE_EQUAL(bx[5 - i], xp[i], 0.02);
        CU_ASSERT_DOUBLE_EQUAL(by[5 - i], pixel_of(acc[i][0], yv, yp, ny, 0), 0.02);
    }
    /* the loss: equal over seeds, no band */
    CU_ASSERT_EQUAL(v[0].bands + v[0].errorbars, 0);
    free(part);
    free(svg);
}

/* ---- curve.svg: the x axis ---- */

static void xs_points(rf_sweep_point *pts, const char *const *xs, int n)
{
    for (int i = 0; i < n; i++)
        pts[i] = point(xs[i], NULL, 1, 0.1 * (i + 1), 0.2 * (i + 1));
}

static const char *scale_of(const char *name, const char *const *xs, int n, char **svg_out)
{
    static char scale[16];
    rf_sweep_point pts[64];
    panel_view v[3];
    xs_points(pts, xs, n);
    char *svg = sweep_plot(name, name, "k", NULL, pts, n, 0, v);
    snprintf(scale, sizeof scale, "%s", v[0].scale);
    if (svg_out)
        *svg_out = svg;
    else
        free(svg);
    return scale;
}

static void test_log_decision(void)
{
    const char *decade[] = {"1", "10"}, *short_span[] = {"1", "2", "5", "9.99"}, *with_zero[] = {"0", "1", "10"};
    const char *zero_short[] = {"0", "0.2", "0.5"}, *negative[] = {"-1", "1", "3"}, *one[] = {"3"};
    const char *tiny[] = {"1e-6", "1e-4", "1e-2"}, *neg_zero[] = {"-0", "0.5", "1"};
    char *svg;
    CU_ASSERT_STRING_EQUAL(scale_of("log 1 10", decade, 2, &svg), "log");
    CU_ASSERT_EQUAL(count(svg, "xbreak"), 0);
    CU_ASSERT(has_x_label(svg, "1") && has_x_label(svg, "10"));
    free(svg);
    CU_ASSERT_STRING_EQUAL(scale_of("linear 1 to 9.99", short_span, 4, NULL), "linear");
    CU_ASSERT_STRING_EQUAL(scale_of("log with 0", with_zero, 3, &svg), "log");
    CU_ASSERT_EQUAL(count(svg, "class=\"xbreak\""), 1);
    CU_ASSERT(has_x_label(svg, "0"));
    free(svg);
    CU_ASSERT_STRING_EQUAL(scale_of("linear with 0", zero_short, 3, &svg), "linear");
    CU_ASSERT_EQUAL(count(svg, "xbreak"), 0);
    free(svg);
    CU_ASSERT_STRING_EQUAL(scale_of("negative", negative, 3, &svg), "linear");
    CU_ASSERT(has_x_label(svg, "&#8722;1"));
    free(svg);
    CU_ASSERT_STRING_EQUAL(scale_of("one x", one, 1, &svg), "linear");
    CU_ASSERT(has_x_label(svg, "3"));
    free(svg);
    /* tiny values: labelled as powers of ten */
    CU_ASSERT_STRING_EQUAL(scale_of("tiny", tiny, 3, &svg), "log");
    CU_ASSERT(has_x_label(svg, "10<tspan dy=\"-5\" font-size=\"8\">&#8722;6</tspan>"));
    CU_ASSERT(has_x_label(svg, "0.01"));
    free(svg);
    /* -0 is 0, and labelled so */
    CU_ASSERT_STRING_EQUAL(scale_of("minus zero", neg_zero, 3, &svg), "linear");
    CU_ASSERT(has_x_label(svg, "0"));
    free(svg);
    /* 40 values over five decades, 0 too: too many to label, decades instead */
    static char texts[41][32];
    const char *many[41];
    for (int i = 0; i < 40; i++) {
        snprintf(texts[i], sizeof texts[i], "%.6g", pow(10, -3 + 5.0 * i / 39));
        many[i] = texts[i];
    }
    many[40] = "0";
    CU_ASSERT_STRING_EQUAL(scale_of("40 log values and 0", many, 41, &svg), "log");
    CU_ASSERT(has_x_label(svg, "0"));
    CU_ASSERT(has_x_label(svg, "10<tspan dy=\"-5\" font-size=\"8\">&#8722;2</tspan>") ||
              has_x_label(svg, "0.01"));
    panel_view v[3];
    read_panels(svg, v, 3);
    CU_ASSERT(v[0].x_labels >= 4 && v[0].x_labels <= 9);
    CU_ASSERT_EQUAL(v[0].nv, 2 * 41);
    free(svg);
    /* 0 .. 78: a decade and more, so log, 0 on its stub */
    for (int i = 0; i < 40; i++) {
        snprintf(texts[i], sizeof texts[i], "%d", i * 2);
        many[i] = texts[i];
    }
    CU_ASSERT_STRING_EQUAL(scale_of("0 to 78", many, 40, NULL), "log");
    /* 40 evenly spaced values within a decade (100 .. 178): too many to label, round steps */
    for (int i = 0; i < 40; i++)
        snprintf(texts[i], sizeof texts[i], "%d", 100 + i * 2);
    CU_ASSERT_STRING_EQUAL(scale_of("40 linear values", many, 40, &svg), "linear");
    read_panels(svg, v, 3);
    CU_ASSERT(v[0].x_labels >= 3 && v[0].x_labels <= 8);
    CU_ASSERT(has_x_label(svg, "100") && has_x_label(svg, "160") && !has_x_label(svg, "102"));
    free(svg);
}

static void test_categories(void)
{
    /* schedules: not numbers, evenly spaced in the given order, one "1" among them */
    const char *xs[4] = {"{cosine: {min_lr: 0.01}}", "constant", "1", "{step: {every: 5, gamma: 0.5}}"};
    rf_sweep_point pts[8];
    for (int s = 0; s < 2; s++)
        for (int i = 0; i < 4; i++)
            pts[s * 4 + i] =
                point(xs[i], NULL, (unsigned long long)s, 0.3 + 0.05 * i + 0.01 * s, 0.4 - 0.03 * i + 0.02 * s);
    panel_view v[3];
    char *svg = sweep_plot("categories", "schedules", "train.schedule", NULL, pts, 8, 0, v);
    CU_ASSERT_STRING_EQUAL(v[0].scale, "category");
    CU_ASSERT_EQUAL(v[0].x_labels, 4);
    CU_ASSERT(has_x_label(svg, "constant") && has_x_label(svg, "1"));
    CU_ASSERT_EQUAL(v[0].errorbars, 8); /* spreads on categories: error bars, per kind */
    CU_ASSERT_EQUAL(v[0].bands, 0);
    /* evenly spaced, in the given order */
    char *part = panel_text(svg, "loss");
    double xv[8], xp[8];
    int nx = tick_values(part, "xtick", xv, xp, 8);
    CU_ASSERT_EQUAL_FATAL(nx, 4);
    CU_ASSERT(xp[0] < xp[1] && xp[1] < xp[2] && xp[2] < xp[3]);
    CU_ASSERT_DOUBLE_EQUAL(xp[1] - xp[0], xp[3] - xp[2], 0.02);
    const char *c = strstr(part, "constant<"), *one = strstr(part, ">1<");
    CU_ASSERT(c && one && c < one);
    /* the long ones cut in the middle, with an ellipsis */
    CU_ASSERT(count(part, "&#8230;") >= 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(part, "{step"));
    free(part);
    free(svg);

    /* 40 categories: slanted labels, every other one, the frames below them */
    static char texts[40][32];
    rf_sweep_point many[40];
    for (int i = 0; i < 40; i++) {
        snprintf(texts[i], sizeof texts[i], "{id: %d, a long name}", i);
        many[i] = point(texts[i], NULL, 1, 0.1 + 0.01 * i, 0.2 + 0.01 * (i % 7));
        many[i].train_acc = 0.5 + 0.01 * i;
        many[i].test_acc = 0.6;
    }
    svg = sweep_plot("40 categories", "40 categories", "k", NULL, many, 40, 1, v);
    CU_ASSERT_STRING_EQUAL(v[0].scale, "category");
    CU_ASSERT_EQUAL(count(svg, "rotate(-45"), 2 * v[0].x_labels);
    CU_ASSERT(v[0].x_labels >= 10 && v[0].x_labels <= 20);
    CU_ASSERT(v[1].frame.y > v[0].frame.y + v[0].frame.h + 60);
    free(svg);
}

/* ---- curve.svg: groups, panels, awkward data ---- */

static void test_groups(void)
{
    /* 8 groups, 3 seeds, long group values: a legend row each, cut; colours differ per group */
    static const char *gv[8] = {"0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6",
                                "{a very long value that goes on and on: [1, 2, 3, 4, 5]}"};
    rf_sweep_point pts[8 * 5 * 3];
    int n = 0;
    const char *xs[5] = {"0.001", "0.01", "0.1", "1", "10"};
    for (int g = 0; g < 8; g++)
        for (int i = 0; i < 5; i++)
            for (int s = 0; s < 3; s++) {
                pts[n] = point(xs[i], gv[g], (unsigned long long)s, 0.01 * (g + 1) * (i + 1) * (1 + 0.1 * s),
                               0.02 * (g + 1) * (5 - i) * (1 + 0.1 * s));
                pts[n].valid_loss = pts[n].test_loss * 0.9;
                n++;
            }
    panel_view v[3];
    char *svg = sweep_plot("8 groups", "8 groups", "optimizer.sgd.lr", "layers.2.dropout", pts, n, 0, v);
    CU_ASSERT_STRING_EQUAL(v[0].scale, "log");
    CU_ASSERT_EQUAL(count(svg, "class=\"group\""), 8);
    CU_ASSERT_EQUAL(v[0].curves, 8 * 3);
    CU_ASSERT_EQUAL(v[0].bands, 8 * 3);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">valid</text>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">min\xe2\x80\x93max, 3 seeds</text>"));
    const char *longest = strstr(svg, ">layers.2.dropout={a very");
    CU_ASSERT_PTR_NOT_NULL(longest);
    CU_ASSERT(longest && strstr(longest, "&#8230;") && strstr(longest, "&#8230;") < strstr(longest, "</text>"));
    /* the lines of one kind: a different colour per group */
    char colours[8][16];
    int distinct = 0;
    for (int g = 0; g < 8; g++) {
        char key[48];
        snprintf(key, sizeof key, "class=\"curve test g%d\"", g);
        const char *c = strstr(svg, key);
        CU_ASSERT_PTR_NOT_NULL_FATAL(c);
        sscanf(strstr(c, "stroke=\"") + 8, "%15[^\"]", colours[g]);
        int same = 0;
        for (int h = 0; h < g; h++)
            same |= strcmp(colours[h], colours[g]) == 0;
        distinct += !same;
    }
    CU_ASSERT_EQUAL(distinct, 8);
    free(svg);
    /* no group key given: the legend says the values alone */
    svg = sweep_plot("groups without key", "t", "k", NULL, pts, 30, 0, v);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "class=\"group\" x="));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">0.1</text>"));
    free(svg);
}

static void test_panels(void)
{
    rf_sweep_point pts[9];
    int n = dropout_points(pts);
    panel_view v[3];
    char *svg = sweep_plot("regression panels", "t", "a", "b", pts, n, 0, v); /* accuracies present, not asked for */
    CU_ASSERT_PTR_NULL(strstr(svg, "id=\"accuracy\""));
    free(svg);
    /* classification without accuracies: the panel says so */
    for (int i = 0; i < n; i++)
        pts[i].train_acc = pts[i].test_acc = NAN;
    svg = sweep_plot("no accuracy", "t", "a", "b", pts, n, 1, v);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "no accuracy values to plot"));
    CU_ASSERT_EQUAL(v[1].curves, 0);
    free(svg);
    /* validation accuracy alone */
    for (int i = 0; i < n; i++)
        pts[i].valid_acc = 0.8 + 0.01 * i;
    svg = sweep_plot("validation accuracy", "t", "a", NULL, pts, n, 1, v);
    CU_ASSERT_EQUAL(count(svg, "class=\"curve valid"), 3); /* one per group, in the accuracy panel */
    free(svg);
}

static void test_awkward(void)
{
    panel_view v[3];
    /* nothing: a valid SVG that says so, in each panel */
    char *svg = sweep_plot("empty", "empty", "k", NULL, NULL, 0, 1, v);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "no finite positive loss values to plot"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "no accuracy values to plot"));
    CU_ASSERT_PTR_NULL(strstr(svg, "class=\"legend\""));
    free(svg);
    /* one point */
    rf_sweep_point one = point("0.5", NULL, 1, 0.25, 0.3);
    svg = sweep_plot("one point", "one", "k", NULL, &one, 1, 0, v);
    CU_ASSERT_EQUAL(v[0].nv, 2);
    CU_ASSERT(v[0].y_labels >= 3);
    CU_ASSERT(has_x_label(svg, "0.5"));
    free(svg);
    /* all equal, over seeds and x */
    rf_sweep_point flat[6];
    for (int i = 0; i < 6; i++)
        flat[i] = point(i < 3 ? "1" : "100", NULL, (unsigned long long)i, 0.5, 0.5);
    svg = sweep_plot("flat", "flat", "k", NULL, flat, 6, 0, v);
    CU_ASSERT(v[0].y_labels >= 3);
    CU_ASSERT_EQUAL(v[0].bands + v[0].errorbars, 0);
    free(svg);
    /* NaN, inf, 0 and negative losses left out: the curve breaks */
    const char *xs[5] = {"1", "2", "3", "4", "5"};
    double bad[5] = {0.5, NAN, 0.3, INFINITY, 0.2};
    rf_sweep_point holes[5];
    for (int i = 0; i < 5; i++)
        holes[i] = point(xs[i], NULL, 1, bad[i], i == 2 ? 0 : i == 4 ? -1 : 0.4);
    svg = sweep_plot("holes", "holes", "k", NULL, holes, 5, 0, v);
    CU_ASSERT_EQUAL(count(svg, "class=\"curve train"), 3);
    CU_ASSERT_EQUAL(v[0].nv, 3 + 3);
    free(svg);
    /* only bad values: empty */
    for (int i = 0; i < 5; i++)
        holes[i].train_loss = holes[i].test_loss = -1;
    svg = sweep_plot("only bad", "only bad", "k", NULL, holes, 5, 0, v);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "no finite positive loss values to plot"));
    CU_ASSERT(v[0].x_labels == 5);
    free(svg);
    /* extreme values */
    rf_sweep_point ext[3] = {point("1e-300", NULL, 1, 1e-300, 1.7e308), point("1", NULL, 1, 4.9e-324, 1),
                             point("1e300", NULL, 1, 1e300, 1e-10)};
    svg = sweep_plot("extreme", "extreme", "k", NULL, ext, 3, 0, v);
    CU_ASSERT_STRING_EQUAL(v[0].scale, "log");
    CU_ASSERT(v[0].y_labels >= 3);
    free(svg);
    /* XML specials everywhere: escaped */
    rf_sweep_point esc[2] = {point("<a & 'b'>", "\"g\" & <h>", 1, 0.5, 0.6),
                             point("x\x01y", "\"g\" & <h>", 1, 0.4, 0.5)};
    esc[0].x = NAN;
    svg = sweep_plot("escaping", "a<b & \"c\"", "k<&>", "g&\"", esc, 2, 0, v);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">a&lt;b &amp; &quot;c&quot;</text>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">k&lt;&amp;&gt;</text>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">&lt;a &amp; &apos;b&apos;&gt;</text>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">x?y</text>"));
    free(svg);
    esc[1].group = "other";
    svg = sweep_plot("escaping groups", "t", "k", "g&\"", esc, 2, 0, v);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">g&amp;&quot;=&quot;g&quot; &amp; &lt;h&gt;</text>"));
    free(svg);
    /* a long key: cut */
    char key[300];
    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = '\0';
    svg = sweep_plot("long key", "t", key, NULL, &one, 1, 0, v);
    const char *title = strstr(svg, "class=\"xtitle\"");
    CU_ASSERT(title && strstr(title, "&#8230;") && strstr(title, "&#8230;") < strstr(title, "</text>"));
    free(svg);
}

/* ---- curves.svg ---- */

static void test_curves_weight_decay(void)
{
    static rf_sweep_curve curves[35];
    int n = weight_decay_curves(curves);
    panel_view v[3];
    char *svg = curves_plot("sweep_example_curves", "highdim_linreg sweep", curves, n, v);
    CU_ASSERT_EQUAL(v[0].curves, 35);
    CU_ASSERT_EQUAL(v[0].nv, 3500);
    /* a legend entry per value of the key, without the seed, in order; the seeds said once */
    CU_ASSERT_EQUAL(count(svg, "class=\"entry\""), 7);
    const char *prev = svg;
    for (int i = 0; i < 7; i++) {
        char want[64];
        snprintf(want, sizeof want, ">decay.0.l2=%s</text>", lambdas[i]);
        const char *at = strstr(svg, want);
        CU_ASSERT(at && at > prev);
        prev = at ? at : prev;
    }
    CU_ASSERT_PTR_NULL(strstr(svg, "seed 1<"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "5 seeds each"));
    box legend;
    CU_ASSERT(outer_legend(svg, &legend));
    /* the seeds of one value share a colour, the values do not */
    CU_ASSERT_EQUAL(count(svg, "class=\"curve e0\""), 5);
    CU_ASSERT_EQUAL(count(svg, "class=\"curve e6\""), 5);
    /* 1e-2 .. 2e2: decades */
    CU_ASSERT(v[0].y_labels >= 4);
    free(svg);
}

static void test_curves_awkward(void)
{
    panel_view v[3];
    char *svg = curves_plot("curves empty", "none", NULL, 0, v);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "no finite positive test loss values to plot"));
    CU_ASSERT_PTR_NULL(strstr(svg, "class=\"legend\""));
    free(svg);
    /* holes, a lone point (a dot), a curve without rows, a NULL label, seeds that are not seeds */
    rf_metrics_row rows[6];
    double test[6] = {1, 0.5, NAN, 0.2, -1, 0.1};
    for (int e = 0; e < 6; e++)
        rows[e] = (rf_metrics_row){e + 1, NAN, test[e], NAN, NAN, 1, NAN, NAN, NAN};
    rf_metrics_row lone = {3, NAN, 0.3, NAN, NAN, 1, NAN, NAN, NAN};
    rf_sweep_curve curves[5] = {{"a, seed 1", rows, 6}, {"a, seed 2", &lone, 1}, {"b, seed x", rows, 6},
                                {NULL, rows, 3},        {"c, seed 3", NULL, 0}};
    svg = curves_plot("curves awkward", "awkward <&>", curves, 5, v);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">awkward &lt;&amp;&gt;</text>"));
    CU_ASSERT_EQUAL(count(svg, "class=\"entry\""), 3); /* a; b, seed x; no label (c has no point) */
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">a</text>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">b, seed x</text>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">(no label)</text>"));
    CU_ASSERT_PTR_NULL(strstr(svg, ">c</text>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "a line per seed<"));
    /* a: 1-2 a line, 4 and 6 dots; seed 2 a dot; b as a; the NULL label 1-2 a line */
    CU_ASSERT_EQUAL(count(svg, "<circle"), 2 + 1 + 2);
    CU_ASSERT_EQUAL(v[0].curves, 1 + 1 + 1);
    free(svg);
    /* 50 curves with long labels: a legend in columns, the canvas wide enough */
    static rf_metrics_row many[50][20];
    static char labels[50][128];
    rf_sweep_curve mc[50];
    for (int i = 0; i < 50; i++) {
        for (int e = 0; e < 20; e++)
            many[i][e] = (rf_metrics_row){e + 1, NAN, (1 + i) * exp(-e / 5.0) + 0.01, NAN, NAN, 1, NAN, NAN, NAN};
        snprintf(labels[i], sizeof labels[i],
                 "train.schedule={cosine: {min_lr: 0.0%d, epochs: 20}}, layers.2.dropout=0.%d", i, i % 10);
        mc[i] = (rf_sweep_curve){labels[i], many[i], 20};
    }
    svg = curves_plot("curves 50", "50", mc, 50, v);
    CU_ASSERT_EQUAL(count(svg, "class=\"entry\""), 50);
    CU_ASSERT(count(svg, "&#8230;") == 50);
    box legend;
    CU_ASSERT(outer_legend(svg, &legend));
    CU_ASSERT(legend.h < v[0].frame.h + 2);
    free(svg);
}

/* ---- random sweeps ---- */

/* A value for random sweeps: mostly in a range, sometimes awkward. */
static double random_value(unsigned *k, double lo_exp, double span, int accuracy)
{
    double r = noise(*k, 1);
    (*k)++;
    if (r < 0.04)
        return NAN;
    if (r < 0.06)
        return r < 0.05 ? INFINITY : -INFINITY;
    if (r < 0.08)
        return r < 0.07 ? 0 : -0.5;
    double u = noise(*k, 2);
    (*k)++;
    return accuracy ? 0.5 + 0.5 * u : pow(10, lo_exp + span * u);
}

/* Hundreds of random sweeps and their runs: every plot well formed, every
 * point inside its frame, none under a legend (check_svg). */
static void test_random(void)
{
    static const char *const texts[] = {"0",    "0.001", "0.01", "0.1", "0.3",   "1",      "3",
                                        "10",   "100",   "-1",   "-0",  "1e-9",  "{cosine: {min_lr: 0.01}}",
                                        "adam", "",      "<&>",  "2",   "1e300", "0.5"};
    static const char *const groups[] = {"a", "b", "0.2", "0.5", "{x: 1}", "long group value, long, long",
                                         "g", "h", "i"};
    static rf_sweep_point pts[120];
    static rf_metrics_row rows[60][30];
    static rf_sweep_curve curves[60];
    static char labels[60][64];
    unsigned k = 1000;
    saving = 0;
    for (int t = 0; t < 300; t++) {
        int nt = 1 + (int)(noise(t, 3) * 19), ng = (int)(noise(t, 4) * 9), seeds = 1 + (int)(noise(t, 5) * 4);
        int numeric = noise(t, 6) < 0.7, n = (int)(noise(t, 7) * noise(t, 8) * 120);
        double lo = -14 + 14 * noise(t, 9), span = 6 * noise(t, 10);
        for (int i = 0; i < n; i++) {
            int xi = (int)(noise(k++, 11) * nt);
            const char *x = numeric ? texts[xi % 12 == 11 ? 0 : xi % 12] : texts[xi % 19];
            const char *g = ng > 0 ? groups[(int)(noise(k++, 12) * ng)] : NULL;
            rf_sweep_point p = point(x, g, (unsigned long long)(i % seeds), random_value(&k, lo, span, 0),
                                     random_value(&k, lo, span, 0));
            p.valid_loss = noise(t, 13) < 0.3 ? random_value(&k, lo, span, 0) : NAN;
            p.train_acc = random_value(&k, 0, 0, 1);
            p.test_acc = random_value(&k, 0, 0, 1);
            p.valid_acc = noise(t, 14) < 0.3 ? random_value(&k, 0, 0, 1) : NAN;
            if (noise(k++, 15) < 0.02)
                p.x_text = NULL;
            pts[i] = p;
        }
        panel_view v[3];
        char name[64];
        snprintf(name, sizeof name, "random-%03d", t);
        free(sweep_plot(name, name, "key", ng > 0 ? "group" : NULL, pts, n, t % 2, v));
        int nc = n < 60 ? n : 60, epochs = 1 + (int)(noise(t, 16) * 29);
        for (int i = 0; i < nc; i++) {
            for (int e = 0; e < epochs; e++)
                rows[i][e] = (rf_metrics_row){e + (int)(noise(t, 17) * 2), NAN, random_value(&k, lo, span, 0), NAN,
                                              NAN, 1, NAN, NAN, NAN};
            snprintf(labels[i], sizeof labels[i], "key=%s, seed %d", pts[i].x_text ? pts[i].x_text : "", i % seeds);
            curves[i] = (rf_sweep_curve){noise(k++, 18) < 0.05 ? NULL : labels[i], rows[i], epochs};
        }
        snprintf(name, sizeof name, "random-curves-%03d", t);
        free(curves_plot(name, name, curves, nc, v));
    }
    saving = 1;
}

/* ---- errors ---- */

static void test_unwritable(void)
{
    rf_sweep_point one = point("1", NULL, 1, 1, 1);
    const char *path = path_in_tmp("missing/curve.svg");
    CU_ASSERT_EQUAL(rf_plot_sweep_svg(path, "t", "k", NULL, &one, 1, 0, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "missing/curve.svg: No such file or directory"));
    rf_metrics_row r = {1, NAN, 1, NAN, NAN, 1, NAN, NAN, NAN};
    rf_sweep_curve c = {"k=1, seed 1", &r, 1};
    CU_ASSERT_EQUAL(rf_plot_sweep_curves_svg(path_in_tmp("missing/curves.svg"), "t", &c, 1, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "missing/curves.svg: No such file or directory"));
    CU_ASSERT_EQUAL(temp_files_left(), 0);
}

int main(int argc, char **argv)
{
    static const rf_test_case cases[] = {
        {"curve.svg: the weight-decay sweep, log x with 0, bands over 5 seeds", test_weight_decay},
        {"curve.svg: the dropout sweep, 3 groups, two panels", test_dropout_groups},
        {"rf_sweep_aggregate: groups, means, spreads, values left out", test_aggregate},
        {"curve.svg: the band spans min..max, the line the mean", test_band_position},
        {"curve.svg: log x when positive and a decade wide, else linear", test_log_decision},
        {"curve.svg: categories in the given order, slanted when many", test_categories},
        {"curve.svg: 8 groups, long values, validation", test_groups},
        {"curve.svg: the accuracy panel for classification only", test_panels},
        {"curve.svg: empty, one point, flat, holes, extremes, escaping", test_awkward},
        {"curves.svg: 35 runs, a legend entry per value", test_curves_weight_decay},
        {"curves.svg: empty, holes, lone points, labels, 50 runs", test_curves_awkward},
        {"random sweeps: well formed, inside frames, legends clear", test_random},
        {"unwritable destinations", test_unwritable},
        {NULL, NULL},
    };
    return rf_test_main("plot_sweep", cases, argc, argv);
}
