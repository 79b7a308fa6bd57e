/* loss.svg: a semilogy plot of the loss curves (see plot_svg.h). */
#include "plot_svg.h"
#include "atomic_file.h"

#include <math.h>
#include <stdio.h>

/* Canvas and plot area, in pixels. */
#define WIDTH 480
#define HEIGHT 340
#define LEFT 72.0
#define RIGHT 460.0
#define TOP 40.0
#define BOTTOM 286.0

#define FONT "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\""

typedef struct {
    double x_lo, x_hi; /* epochs */
    double y_lo, y_hi; /* log10 of the loss, whole decades */
} axes;

static double px(const axes *a, double epoch) { return LEFT + (epoch - a->x_lo) / (a->x_hi - a->x_lo) * (RIGHT - LEFT); }
static double py(const axes *a, double loss) { return BOTTOM - (log10(loss) - a->y_lo) / (a->y_hi - a->y_lo) * (BOTTOM - TOP); }

static int plottable(double v) { return isfinite(v) && v > 0; }

/* Text escaped for XML; control characters (not allowed in XML) become '?'. */
static void put_escaped(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default: fputc(c < 32 || c == 127 ? '?' : c, f);
        }
    }
}

/* The x axis: integer epoch ticks at a round step, at most 9. */
static void x_axis(FILE *f, const axes *a)
{
    double span = a->x_hi - a->x_lo, step = 1;
    for (int k = 0; span / step > 8; k++) /* 1, 2, 5, 10, 20, 50, ... */
        step *= k % 3 == 1 ? 2.5 : 2;
    for (double e = ceil(a->x_lo / step) * step; e <= a->x_hi + 1e-9; e += step) {
        double x = px(a, e);
        fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#e0e0e0\"/>\n", x, TOP, x, BOTTOM);
        fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"black\"/>\n", x, BOTTOM, x,
                BOTTOM + 5);
        fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"11\">%.0f</text>\n", x,
                BOTTOM + 18, e);
    }
}

/* The y axis: a tick per decade (labelled 10^k, every few decades when the
 * range is wide), minor ticks at 2..9 x 10^k when it is narrow. */
static void y_axis(FILE *f, const axes *a)
{
    int lo = (int)a->y_lo, hi = (int)a->y_hi, decades = hi - lo;
    int every = (decades + 9) / 10; /* at most 10 labels */
    for (int k = lo; k <= hi; k++) {
        double y = BOTTOM - (double)(k - lo) / decades * (BOTTOM - TOP);
        int labelled = (k - lo) % every == 0;
        if (labelled) {
            fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#e0e0e0\"/>\n", LEFT, y,
                    RIGHT, y);
            fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"black\"/>\n", LEFT - 5, y,
                    LEFT, y);
            fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"end\" font-size=\"11\">10<tspan dy=\"-5\" "
                       "font-size=\"8\">%s%d</tspan></text>\n",
                    LEFT - 8, y + 4, k < 0 ? "&#8722;" : "", k < 0 ? -k : k);
        } else if (decades <= 40) {
            fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"black\"/>\n", LEFT - 3, y,
                    LEFT, y);
        }
        if (decades <= 6 && k < hi) {
            for (int m = 2; m <= 9; m++) {
                double ym = y - log10(m) / decades * (BOTTOM - TOP);
                fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"black\"/>\n", LEFT - 3,
                        ym, LEFT, ym);
            }
        }
    }
}

/* One curve: a polyline per run of plottable points, and a marker on each. */
static void curve(FILE *f, const axes *a, const rf_metrics_row *rows, int n, int test, const char *colour,
                  const char *dash)
{
    int open = 0;
    for (int i = 0; i < n; i++) {
        double v = test ? rows[i].test_loss : rows[i].train_loss;
        if (!plottable(v)) {
            if (open)
                fputs("\"/>\n", f);
            open = 0;
            continue;
        }
        if (!open)
            fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"%s points=\"", colour, dash);
        fprintf(f, "%s%.2f,%.2f", open ? " " : "", px(a, rows[i].epoch), py(a, v));
        open = 1;
    }
    if (open)
        fputs("\"/>\n", f);
    for (int i = 0; i < n; i++) {
        double v = test ? rows[i].test_loss : rows[i].train_loss;
        if (!plottable(v))
            continue;
        double x = px(a, rows[i].epoch), y = py(a, v);
        double r = n > 40 ? 1.5 : 2.5; /* many epochs: small markers */
        if (test)
            fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n", x - r, y - r,
                    2 * r, 2 * r, colour);
        else
            fprintf(f, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%.1f\" fill=\"%s\"/>\n", x, y, r, colour);
    }
}

/* How many points of the curves (and midpoints of their segments) fall in
 * the box (x, y, w, h): the legend goes where this is least. */
static int points_in_box(const axes *a, const rf_metrics_row *rows, int n, double x, double y, double w, double h)
{
    int hits = 0;
    for (int test = 0; test < 2; test++) {
        double prev_x = NAN, prev_y = NAN;
        for (int i = 0; i < n; i++) {
            double v = test ? rows[i].test_loss : rows[i].train_loss;
            if (!plottable(v)) {
                prev_x = NAN;
                continue;
            }
            double cx = px(a, rows[i].epoch), cy = py(a, v);
            double probe[2][2] = {{cx, cy}, {(cx + prev_x) / 2, (cy + prev_y) / 2}};
            for (int k = 0; k < 2; k++)
                hits += probe[k][0] >= x && probe[k][0] <= x + w && probe[k][1] >= y && probe[k][1] <= y + h;
            prev_x = cx;
            prev_y = cy;
        }
    }
    return hits;
}

static void legend(FILE *f, const axes *a, const rf_metrics_row *rows, int n)
{
    const double w = 70, h = 40;
    const double corners[4][2] = {{RIGHT - w - 8, TOP + 8}, {RIGHT - w - 8, BOTTOM - h - 8},
                                  {LEFT + 8, TOP + 8}, {LEFT + 8, BOTTOM - h - 8}};
    int best = 0, best_hits = -1;
    for (int c = 0; c < 4; c++) {
        int hits = points_in_box(a, rows, n, corners[c][0], corners[c][1], w, h);
        if (best_hits < 0 || hits < best_hits) {
            best = c;
            best_hits = hits;
        }
    }
    double x = corners[best][0], y = corners[best][1];
    fprintf(f, "<g class=\"legend\">\n<rect x=\"%.2f\" y=\"%.2f\" width=\"%.0f\" height=\"%.0f\" fill=\"white\" "
               "fill-opacity=\"0.85\" stroke=\"#c0c0c0\"/>\n", x, y, w, h);
    fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#1f77b4\" stroke-width=\"1.5\"/>\n",
            x + 6, y + 13, x + 30, y + 13);
    fprintf(f, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"2.5\" fill=\"#1f77b4\"/>\n", x + 18, y + 13);
    fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"11\">train</text>\n", x + 36, y + 17);
    fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#bf00bf\" stroke-width=\"1.5\" "
               "stroke-dasharray=\"6,3\"/>\n", x + 6, y + 29, x + 30, y + 29);
    fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"5\" height=\"5\" fill=\"#bf00bf\"/>\n", x + 15.5, y + 26.5);
    fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"11\">test</text>\n", x + 36, y + 33);
    fputs("</g>\n", f);
}

int rf_plot_loss_svg(const char *path, const char *title, const rf_metrics_row *rows, int n, char *err,
                     size_t errlen)
{
    /* the ranges: all epochs, and whole decades around the plottable losses */
    axes a = {0, 1, 0, 1};
    double lmin = INFINITY, lmax = -INFINITY;
    for (int i = 0; i < n; i++) {
        a.x_lo = i == 0 || rows[i].epoch < a.x_lo ? rows[i].epoch : a.x_lo;
        a.x_hi = i == 0 || rows[i].epoch > a.x_hi ? rows[i].epoch : a.x_hi;
        double v[2] = {rows[i].train_loss, rows[i].test_loss};
        for (int k = 0; k < 2; k++) {
            if (plottable(v[k])) {
                lmin = fmin(lmin, v[k]);
                lmax = fmax(lmax, v[k]);
            }
        }
    }
    int empty = !(lmin <= lmax);
    if (a.x_hi - a.x_lo < 1) { /* one epoch: centre it */
        a.x_lo -= 0.5;
        a.x_hi += 0.5;
    }
    if (!empty) {
        a.y_lo = floor(log10(lmin));
        a.y_hi = ceil(log10(lmax));
        if (a.y_hi <= a.y_lo)
            a.y_hi = a.y_lo + 1;
    }

    rf_atomic_file af;
    if (rf_atomic_open(&af, path, err, errlen) != 0)
        return -1;
    FILE *f = af.f;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" %s>\n",
            WIDTH, HEIGHT, WIDTH, HEIGHT, FONT);
    fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", WIDTH, HEIGHT);
    fprintf(f, "<text x=\"%.2f\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">", (LEFT + RIGHT) / 2);
    put_escaped(f, title ? title : "");
    fputs("</text>\n", f);
    if (n > 0)
        x_axis(f, &a);
    if (!empty) {
        y_axis(f, &a);
        curve(f, &a, rows, n, 0, "#1f77b4", "");
        curve(f, &a, rows, n, 1, "#bf00bf", " stroke-dasharray=\"6,3\"");
        legend(f, &a, rows, n);
    } else {
        fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"12\" fill=\"#606060\">"
                   "no finite positive loss values to plot</text>\n", (LEFT + RIGHT) / 2, (TOP + BOTTOM) / 2);
    }
    fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"none\" stroke=\"black\"/>\n", LEFT,
            TOP, RIGHT - LEFT, BOTTOM - TOP);
    fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"12\">epoch</text>\n",
            (LEFT + RIGHT) / 2, BOTTOM + 38);
    fprintf(f, "<text x=\"16\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"12\" transform=\"rotate(-90 16 %.2f)\">"
               "loss</text>\n", (TOP + BOTTOM) / 2, (TOP + BOTTOM) / 2);
    fputs("</svg>\n", f);
    return rf_atomic_commit(&af, err, errlen);
}
