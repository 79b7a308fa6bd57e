/* loss.svg: one or two panels of curves (see plot_svg.h). In order: the
 * curves and panels, their ranges, the legend's place, and the drawing;
 * the axes, ticks and SVG pieces are plot_axes.c's. Every coordinate is
 * computed here; the SVG holds no script. */
#include "plot_svg.h"
#include "atomic_file.h"
#include "plot_axes.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Canvas and frames, in pixels. */
#define WIDTH 480
#define LEFT 78.0
#define RIGHT 464.0
#define FIRST_TOP 40.0      /* the first frame's top, below the title */
#define SINGLE_HEIGHT 246.0 /* the loss frame alone */
#define LOSS_HEIGHT 210.0   /* the loss frame above the accuracy frame */
#define ACC_HEIGHT 170.0
#define PANEL_GAP 40.0      /* from one frame's bottom to the next one's top: the tick labels */
#define BOTTOM_MARGIN 54.0  /* the tick labels and "epoch" under the last frame */

#define MARGIN 0.06        /* of the epochs' span, added on each side of the x range */
#define MARKERS_UP_TO 150  /* more epochs than this: lines without markers */

/* ---- curves and panels ---- */

typedef struct {
    const char *label;
    size_t offset; /* of the double in rf_metrics_row */
    const char *colour, *dash;
    int marker;
} series;

#define SERIES(label, field, colour, dash, marker) {label, offsetof(rf_metrics_row, field), colour, dash, marker}
#define NSERIES 3
static const series loss_series[NSERIES] = {
    SERIES("train", train_loss, "#1f77b4", NULL, RF_MARK_CIRCLE),
    SERIES("validation", valid_loss, "#ff7f0e", "7,3,2,3", RF_MARK_TRIANGLE),
    SERIES("test", test_loss, "#bf00bf", "6,3", RF_MARK_SQUARE),
};
static const series acc_series[NSERIES] = {
    SERIES("train", train_acc, "#1f77b4", NULL, RF_MARK_CIRCLE),
    SERIES("validation", valid_acc, "#ff7f0e", "7,3,2,3", RF_MARK_TRIANGLE),
    SERIES("test", test_acc, "#bf00bf", "6,3", RF_MARK_SQUARE),
};

typedef struct {
    const char *id, *y_title, *empty_text;
    const series *s;      /* NSERIES curves */
    int log;              /* a log y axis */
    const rf_metrics_row *rows;
    int n;
    double left, top, right, bottom;   /* the frame */
    rf_axis x, y;                      /* epochs; the values */
    int has[NSERIES];                  /* whether the curve has a point to plot */
    int points;                        /* plottable points of all curves */
    double r;                          /* marker radius; 0: no markers */
    double leg_x, leg_y, leg_w, leg_h; /* the legend box */
} panel;

static double value(const panel *p, int k, int i)
{
    return *(const double *)((const char *)&p->rows[i] + p->s[k].offset);
}

static int plottable(const panel *p, double v) { return isfinite(v) && (!p->log || v > 0); }

static double px(const panel *p, double epoch) { return rf_axis_px(&p->x, epoch); }

static double py(const panel *p, double v) { return rf_axis_px(&p->y, v); }

/* ---- ranges ---- */

/* The x range: every row's epoch, with a margin (half an epoch around one). */
static void fit_x(panel *p)
{
    double lo = p->n ? INFINITY : 0, hi = p->n ? -INFINITY : 1;
    for (int i = 0; i < p->n; i++) {
        lo = fmin(lo, p->rows[i].epoch);
        hi = fmax(hi, p->rows[i].epoch);
    }
    double m = hi > lo ? fmax(0.25, MARGIN * (hi - lo)) : 0.5;
    p->x.lo = lo - m;
    p->x.hi = hi + m;
}

/* The y range: the plottable values with a margin on both sides, so no
 * point lies on the frame; a flat curve gets a range around it. */
static void fit_y(panel *p)
{
    double lo = INFINITY, hi = -INFINITY;
    for (int k = 0; k < NSERIES; k++) {
        for (int i = 0; i < p->n; i++) {
            double v = value(p, k, i);
            if (!plottable(p, v))
                continue;
            double t = p->log ? log10(v) : v;
            lo = fmin(lo, t);
            hi = fmax(hi, t);
            p->has[k] = 1;
            p->points++;
        }
    }
    if (p->points == 0) {
        p->y.lo = 0;
        p->y.hi = 1;
        return;
    }
    rf_axis_fit(&p->y, lo, hi);
}

/* ---- the legend's place ---- */

/* How much of the curves the box (x, y, w, h) would cover: each marker
 * (the box grown by its radius) and each line segment it meets. */
static int covered(const void *ctx, double x, double y, double w, double h)
{
    const panel *p = ctx;
    double pad = p->r + 2;
    int hits = 0;
    for (int k = 0; k < NSERIES; k++) {
        double x0 = NAN, y0 = NAN;
        for (int i = 0; i < p->n; i++) {
            double v = value(p, k, i);
            if (!plottable(p, v)) {
                x0 = NAN;
                continue;
            }
            double x1 = px(p, p->rows[i].epoch), y1 = py(p, v);
            hits += x1 >= x - pad && x1 <= x + w + pad && y1 >= y - pad && y1 <= y + h + pad;
            if (!isnan(x0))
                hits += rf_segment_meets_box(x0, y0, x1, y1, x - 1, y - 1, x + w + 1, y + h + 1);
            x0 = x1;
            y0 = y1;
        }
    }
    return hits;
}

static int try_places(panel *p)
{
    return rf_legend_place(p->left, p->top, p->right, p->bottom, p->leg_w, p->leg_h, covered, p, &p->leg_x,
                           &p->leg_y);
}

/* The legend's size from its entries, then its place. When every place
 * covers data, the y range grows at the top by the legend's height: the
 * band above the curves is then free, and the legend goes there. */
static void place_legend(panel *p)
{
    size_t longest = 0;
    int entries = 0;
    for (int k = 0; k < NSERIES; k++) {
        if (p->has[k]) {
            entries++;
            longest = strlen(p->s[k].label) > longest ? strlen(p->s[k].label) : longest;
        }
    }
    p->leg_w = 42 + 6.4 * (double)longest;
    p->leg_h = 8 + 16.0 * entries;
    if (try_places(p))
        return;
    rf_axis_grow_hi(&p->y, (p->leg_h + 2 * RF_PLOT_INSET) / (p->bottom - p->top));
    try_places(p);
}

/* ---- drawing ---- */

static void draw_x_ticks(FILE *f, const panel *p)
{
    double step = rf_epoch_step(p->x.lo, p->x.hi, p->right - p->left);
    for (double i = ceil(p->x.lo / step); i * step <= p->x.hi; i++) {
        double e = i * step + 0.0, x = px(p, e); /* + 0.0: never a "-0" */
        rf_svg_line(f, x, p->top, x, p->bottom, RF_PLOT_GRID);
        rf_svg_line(f, x, p->bottom, x, p->bottom + 5, "black");
        fprintf(f, "<text class=\"xtick\" x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"11\">%.0f</text>\n",
                x, p->bottom + 18, e);
    }
}

static void stroke_style(FILE *f, const series *s)
{
    fprintf(f, "fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"", s->colour);
    if (s->dash)
        fprintf(f, " stroke-dasharray=\"%s\"", s->dash);
}

/* One curve: a polyline per run of plottable points, and a marker on each. */
static void draw_curve(FILE *f, const panel *p, int k)
{
    const series *s = &p->s[k];
    int open = 0;
    for (int i = 0; i <= p->n; i++) {
        double v = i < p->n ? value(p, k, i) : NAN;
        if (!plottable(p, v)) {
            if (open)
                fputs("\"/>\n", f);
            open = 0;
            continue;
        }
        if (!open) {
            fprintf(f, "<polyline class=\"curve %s\" ", s->label);
            stroke_style(f, s);
            fputs(" points=\"", f);
        }
        fprintf(f, "%s%.2f,%.2f", open ? " " : "", px(p, p->rows[i].epoch), py(p, v));
        open = 1;
    }
    if (p->r == 0)
        return;
    fprintf(f, "<g class=\"markers %s\">\n", s->label);
    for (int i = 0; i < p->n; i++)
        if (plottable(p, value(p, k, i)))
            rf_svg_marker(f, s->marker, px(p, p->rows[i].epoch), py(p, value(p, k, i)), p->r, s->colour);
    fputs("</g>\n", f);
}

static void draw_legend(FILE *f, const panel *p)
{
    fprintf(f, "<g class=\"legend\">\n<rect x=\"%.2f\" y=\"%.2f\" width=\"%.1f\" height=\"%.1f\" fill=\"white\" "
               "fill-opacity=\"0.9\" stroke=\"#c0c0c0\"/>\n",
            p->leg_x, p->leg_y, p->leg_w, p->leg_h);
    double y = p->leg_y + 12;
    for (int k = 0; k < NSERIES; k++) {
        if (!p->has[k])
            continue;
        const series *s = &p->s[k];
        fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" ", p->leg_x + 7, y, p->leg_x + 33, y);
        stroke_style(f, s);
        fputs("/>\n", f);
        if (p->r > 0)
            rf_svg_marker(f, s->marker, p->leg_x + 20, y, 2.5, s->colour);
        fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"11\">%s</text>\n", p->leg_x + 40, y + 4, s->label);
        y += 16;
    }
    fputs("</g>\n", f);
}

static void draw_panel(FILE *f, const panel *p, int last)
{
    fprintf(f, "<g class=\"panel\" id=\"%s\">\n", p->id);
    if (p->n > 0)
        draw_x_ticks(f, p);
    if (p->points > 0) {
        rf_svg_y_ticks(f, &p->y, p->left, p->right, p->top);
        for (int k = 0; k < NSERIES; k++)
            if (p->has[k])
                draw_curve(f, p, k);
    } else {
        fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"12\" fill=\"#606060\">%s</text>\n",
                (p->left + p->right) / 2, (p->top + p->bottom) / 2, p->empty_text);
    }
    fprintf(f, "<rect class=\"frame\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"none\" "
               "stroke=\"black\"/>\n",
            p->left, p->top, p->right - p->left, p->bottom - p->top);
    double mid = (p->top + p->bottom) / 2;
    fprintf(f, "<text x=\"18\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"12\" transform=\"rotate(-90 18 %.2f)\">"
               "%s</text>\n",
            mid, mid, p->y_title);
    if (last)
        fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"12\">epoch</text>\n",
                (p->left + p->right) / 2, p->bottom + 38);
    if (p->points > 0)
        draw_legend(f, p);
    fputs("</g>\n", f);
}

/* A panel's frame, ranges and legend. */
static void setup_panel(panel *p, const char *id, const char *y_title, const char *empty_text, const series *s,
                        int log, double top, double height, const rf_metrics_row *rows, int n)
{
    memset(p, 0, sizeof *p);
    p->id = id;
    p->y_title = y_title;
    p->empty_text = empty_text;
    p->s = s;
    p->log = log;
    p->rows = rows;
    p->n = n;
    p->left = LEFT;
    p->right = RIGHT;
    p->top = top;
    p->bottom = top + height;
    p->x = (rf_axis){0, 0, 1, LEFT, RIGHT, 0};
    p->y = (rf_axis){log, 0, 1, p->bottom, top, RF_PLOT_Y_GAP};
    p->r = n > MARKERS_UP_TO ? 0 : n > 40 ? 1.5 : 2.5; /* many epochs: small markers, then none */
    fit_x(p);
    fit_y(p);
    if (p->points > 0)
        place_legend(p);
}

int rf_plot_loss_svg(const char *path, const char *title, const rf_metrics_row *rows, int n, int classification,
                     char *err, size_t errlen)
{
    if (!rows || n < 0)
        n = 0;
    panel panels[2];
    int np = classification ? 2 : 1;
    setup_panel(&panels[0], "loss", "loss", "no finite positive loss values to plot", loss_series, 1, FIRST_TOP,
                np == 2 ? LOSS_HEIGHT : SINGLE_HEIGHT, rows, n);
    if (np == 2)
        setup_panel(&panels[1], "accuracy", "accuracy", "no accuracy values to plot", acc_series, 0,
                    panels[0].bottom + PANEL_GAP, ACC_HEIGHT, rows, n);
    int height = (int)(panels[np - 1].bottom + BOTTOM_MARGIN);

    rf_atomic_file af;
    if (rf_atomic_open(&af, path, err, errlen) != 0)
        return -1;
    FILE *f = af.f;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" %s>\n",
            WIDTH, height, WIDTH, height, RF_PLOT_FONT);
    fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", WIDTH, height);
    fprintf(f, "<text class=\"title\" x=\"%.2f\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">",
            (LEFT + RIGHT) / 2);
    rf_svg_text(f, title ? title : "");
    fputs("</text>\n", f);
    for (int i = 0; i < np; i++)
        draw_panel(f, &panels[i], i == np - 1);
    fputs("</svg>\n", f);
    return rf_atomic_commit(&af, err, errlen);
}
