/* loss.svg: one or two panels of curves (see plot_svg.h). In order: the
 * curves and panels, their ranges, the ticks, the legend's place, and the
 * drawing. Every coordinate is computed here; the SVG holds no script. */
#include "plot_svg.h"
#include "atomic_file.h"

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
#define INSET 8.0           /* the legend's distance from the frame */

#define FONT "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\""
#define GRID "#e0e0e0"

#define MARGIN 0.06        /* of the data's span, added on each side of every range */
#define LOG_MARGIN_MAX 0.3 /* decades at most, so a wide log range ends near the data's top decade */
#define MARGIN_PX 8.0      /* and never less than this, so no marker touches the frame */
#define LABEL_GAP 15.0     /* least pixels between two y tick labels (11 px text) */
#define MAX_TICKS 160
#define MARKERS_UP_TO 150  /* more epochs than this: lines without markers */

/* ---- curves and panels ---- */

enum { MARK_CIRCLE, MARK_SQUARE, MARK_TRIANGLE };

typedef struct {
    const char *label;
    size_t offset; /* of the double in rf_metrics_row */
    const char *colour, *dash;
    int marker;
} series;

#define SERIES(label, field, colour, dash, marker) {label, offsetof(rf_metrics_row, field), colour, dash, marker}
#define NSERIES 3
static const series loss_series[NSERIES] = {
    SERIES("train", train_loss, "#1f77b4", NULL, MARK_CIRCLE),
    SERIES("validation", valid_loss, "#ff7f0e", "7,3,2,3", MARK_TRIANGLE),
    SERIES("test", test_loss, "#bf00bf", "6,3", MARK_SQUARE),
};
static const series acc_series[NSERIES] = {
    SERIES("train", train_acc, "#1f77b4", NULL, MARK_CIRCLE),
    SERIES("validation", valid_acc, "#ff7f0e", "7,3,2,3", MARK_TRIANGLE),
    SERIES("test", test_acc, "#bf00bf", "6,3", MARK_SQUARE),
};

typedef struct {
    const char *id, *y_title, *empty_text;
    const series *s;      /* NSERIES curves */
    int log;              /* a log y axis */
    const rf_metrics_row *rows;
    int n;
    double left, top, right, bottom;   /* the frame */
    double x_lo, x_hi;                 /* epochs */
    double y_lo, y_hi;                 /* values, or their log10 on a log axis */
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

static double px(const panel *p, double epoch)
{
    return p->left + (epoch - p->x_lo) / (p->x_hi - p->x_lo) * (p->right - p->left);
}

static double py(const panel *p, double v)
{
    double t = p->log ? log10(v) : v;
    return p->bottom - (t - p->y_lo) / (p->y_hi - p->y_lo) * (p->bottom - p->top);
}

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
    p->x_lo = lo - m;
    p->x_hi = hi + m;
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
        p->y_lo = 0;
        p->y_hi = 1;
        return;
    }
    double span = hi - lo;
    if (span < (p->log ? 1e-3 : 1e-6 * fmax(1, fabs(hi)))) {
        double mid = (lo + hi) / 2, half = p->log ? 0.15 : mid != 0 ? 0.05 * fabs(mid) : 0.05;
        p->y_lo = mid - half;
        p->y_hi = mid + half;
    } else {
        double h = p->bottom - p->top, m = p->log ? fmin(MARGIN * span, LOG_MARGIN_MAX) : MARGIN * span;
        m = fmax(m, span * MARGIN_PX / (h - 2 * MARGIN_PX));
        p->y_lo = lo - m;
        p->y_hi = hi + m;
    }
}

/* ---- ticks ---- */

typedef struct {
    double v;     /* the value (not its log10) */
    int exp;      /* the power of ten of its label's last digit */
    int labelled; /* else a minor tick */
} tick;

typedef struct {
    tick t[MAX_TICKS];
    int n;
    int sci;        /* labels as M x 10^k, not as plain decimals */
    int has_common; /* with sci: every label's 10^common written once, above the axis */
    int common;
} ticks;

static void add_tick(const panel *p, ticks *ts, double v, int exp, int labelled)
{
    if (ts->n == MAX_TICKS || !isfinite(v) || (p->log && v <= 0))
        return;
    double y = py(p, v);
    if (y >= p->top - 1e-6 && y <= p->bottom + 1e-6)
        ts->t[ts->n++] = (tick){v, exp, labelled};
}

static int labels(const ticks *ts)
{
    int n = 0;
    for (int i = 0; i < ts->n; i++)
        n += ts->t[i].labelled;
    return n;
}

/* Whether the labels are LABEL_GAP apart (they are added in ascending order). */
static int readable(const panel *p, const ticks *ts)
{
    double prev = NAN;
    for (int i = 0; i < ts->n; i++) {
        if (!ts->t[i].labelled)
            continue;
        double y = py(p, ts->t[i].v);
        if (fabs(prev - y) < LABEL_GAP)
            return 0;
        prev = y;
    }
    return 1;
}

/* Plain decimals, unless a label is 10^6 or more or needs more than 4 decimals. */
static void choose_notation(ticks *ts)
{
    ts->sci = 0;
    ts->has_common = 0;
    for (int i = 0; i < ts->n; i++) {
        double a = fabs(ts->t[i].v);
        if (ts->t[i].labelled && a != 0 && (a >= 1e6 || a < 1e-4 || ts->t[i].exp < -4))
            ts->sci = 1;
    }
}

/* A tick per decade in range, at most 9 labelled: every 1, 2, 3, 5, 10,
 * ... decades, counted down from the top one so that the top decade always
 * has its label; the minor ticks 2..9 x 10^k when the range spans few
 * decades. */
static void decade_ticks(const panel *p, ticks *ts)
{
    static const int steps[] = {1, 2, 3, 4, 5, 10, 20, 25, 50, 100, 200};
    int top = (int)fmin(floor(p->y_hi), 308), bottom = (int)ceil(p->y_lo); /* 10^308: the last finite decade */
    int decades = top - bottom + 1, every = 1;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0] && (decades - 1) / every + 1 > 9; i++)
        every = steps[i];
    ts->n = 0;
    ts->has_common = 0;
    for (int k = bottom; k <= top; k++) {
        int labelled = (top - k) % every == 0;
        if (labelled || decades <= 60)
            add_tick(p, ts, pow(10, k), k, labelled);
    }
    if (p->y_hi - p->y_lo <= 6)
        for (int k = bottom - 1; k <= top; k++)
            for (int m = 2; m <= 9; m++)
                add_tick(p, ts, m * pow(10, k), k, 0);
    ts->sci = 1;
}

/* Ticks at m x 10^k for m = 1..9, labelled where bit m of the set is on. */
static void mantissa_ticks(const panel *p, int set, ticks *ts)
{
    ts->n = 0;
    for (int k = (int)floor(p->y_lo); k <= (int)floor(p->y_hi); k++)
        for (int m = 1; m <= 9; m++)
            add_tick(p, ts, m * pow(10, k), k, (set >> m) & 1);
    choose_notation(ts);
}

/* Labelled ticks at the multiples of step (m x 10^j) between the values
 * lo and hi; 1 when they are at most 7 and readable. */
static int multiples(const panel *p, double lo, double hi, int m, int j, ticks *ts)
{
    double step = m * pow(10, j), first = ceil(lo / step), last = floor(hi / step);
    if (last - first > 6)
        return 0;
    ts->n = 0;
    for (double i = first; i <= last; i++)
        add_tick(p, ts, i * step + 0.0, j, 1); /* + 0.0: -0 * step is +0 */
    return readable(p, ts);
}

/* Evenly spaced labelled ticks between the values lo and hi at the
 * smallest round step (1, 2 or 5 x 10^j) that gives at most 7 labels a
 * readable distance apart. */
static void step_ticks(const panel *p, double lo, double hi, ticks *ts)
{
    int j0 = (int)floor(log10(hi - lo)) - 2, found = 0;
    ts->n = 0;
    for (int j = j0; j <= j0 + 4 && !found; j++)
        for (int m = 1; m <= 5 && !found; m += m == 1 ? 1 : 3) /* 1, 2, 5 */
            found = multiples(p, lo, hi, m, j, ts);
    choose_notation(ts);
    /* steps this narrow differ in the last digits only: the power of ten
     * is written once, above the axis, and the labels are mantissas */
    ts->has_common = ts->sci;
    ts->common = (int)floor(log10(fmax(fabs(lo), fabs(hi))));
}

/* The log axis's ticks. Labels at decades alone when three or more are in
 * range; a narrower range (the curves of a short run all within a decade
 * or two) would then have one or two labels, so it takes the sparsest of
 * 1,2,5 / 1,2,3,5 / 1..9 x 10^k that gives three readable labels, and a
 * range narrower still (under ~0.3 decade) takes evenly spaced values at a
 * round step, like a linear axis. */
static void log_ticks(const panel *p, ticks *ts)
{
    static const int sets[3] = {1 << 1 | 1 << 2 | 1 << 5, 1 << 1 | 1 << 2 | 1 << 3 | 1 << 5, 0x3fe};
    if (floor(p->y_hi) - ceil(p->y_lo) >= 2) {
        decade_ticks(p, ts);
        return;
    }
    for (int s = 0; s < 3; s++) {
        mantissa_ticks(p, sets[s], ts);
        if (labels(ts) >= 3 && readable(p, ts))
            return;
    }
    step_ticks(p, pow(10, p->y_lo), pow(10, p->y_hi), ts);
}

/* A number's text with its minus as U+2212, and none on a zero ("-0.00"). */
static void signed_text(char *out, size_t len, const char *num)
{
    int negative = num[0] == '-';
    if (negative)
        num++;
    if (strspn(num, "0.") == strlen(num))
        negative = 0;
    snprintf(out, len, "%s%s", negative ? "&#8722;" : "", num);
}

/* A tick's label as SVG text content: a plain decimal with the tick's
 * digits, 10^k, or M x 10^k (the exponent raised in a tspan); with a
 * common power of ten, the mantissa alone. */
static void tick_label(const tick *t, const ticks *ts, char *out, size_t len)
{
    char num[64], mant[80];
    int sci = ts->sci;
    if (ts->has_common) {
        int common = ts->common;
        snprintf(num, sizeof num, "%.*f", common > t->exp ? common - t->exp : 0, t->v / pow(10, common));
        signed_text(out, len, num);
        return;
    }
    if (!sci || t->v == 0) {
        snprintf(num, sizeof num, "%.*f", t->exp < 0 ? -t->exp : 0, t->v);
        signed_text(out, len, num);
        return;
    }
    int digits = (int)floor(log10(fabs(t->v))) - t->exp;
    snprintf(num, sizeof num, "%.*e", digits > 0 ? digits : 0, t->v);
    char *e = strchr(num, 'e');
    int k = e ? atoi(e + 1) : 0;
    if (e)
        *e = '\0';
    signed_text(mant, sizeof mant, num);
    snprintf(out, len, "%s%s10<tspan dy=\"-5\" font-size=\"8\">%s%d</tspan>", strcmp(num, "1") == 0 ? "" : mant,
             strcmp(num, "1") == 0 ? "" : "&#215;", k < 0 ? "&#8722;" : "", k < 0 ? -k : k);
}

/* Epoch ticks at whole numbers: the smallest step of 1, 2 or 5 x 10^j
 * that gives at most 8 ticks with room between their labels. */
static double epoch_step(const panel *p)
{
    double span = p->x_hi - p->x_lo, width = p->right - p->left;
    double digits = floor(log10(fmax(1, fmax(fabs(p->x_lo), fabs(p->x_hi))))) + 1;
    double step = 1;
    for (int j = 0; j < 16; j++) {
        for (int m = 1; m <= 5; m += m == 1 ? 1 : 3) {
            step = m * pow(10, j);
            if (span / step <= 8 && step / span * width >= 7 * digits + 14)
                return step;
        }
    }
    return step;
}

/* ---- the legend's place ---- */

/* Whether the segment (x0,y0)-(x1,y1) meets the box [bx0,bx1] x [by0,by1]
 * (Liang-Barsky clipping). */
static int segment_meets_box(double x0, double y0, double x1, double y1, double bx0, double by0, double bx1,
                             double by1)
{
    double t0 = 0, t1 = 1, dx = x1 - x0, dy = y1 - y0;
    double dir[4] = {-dx, dx, -dy, dy}, room[4] = {x0 - bx0, bx1 - x0, y0 - by0, by1 - y0};
    for (int i = 0; i < 4; i++) {
        if (dir[i] == 0) {
            if (room[i] < 0)
                return 0;
            continue;
        }
        double t = room[i] / dir[i];
        if (dir[i] < 0 && t > t0)
            t0 = t;
        else if (dir[i] > 0 && t < t1)
            t1 = t;
        if (t0 > t1)
            return 0;
    }
    return 1;
}

/* How much of the curves the box (x, y, w, h) would cover: each marker
 * (the box grown by its radius) and each line segment it meets. */
static int covered(const panel *p, double x, double y, double w, double h)
{
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
                hits += segment_meets_box(x0, y0, x1, y1, x - 1, y - 1, x + w + 1, y + h + 1);
            x0 = x1;
            y0 = y1;
        }
    }
    return hits;
}

/* Puts the legend in the first place that covers nothing: the corners,
 * then the middles of the top and bottom edges and of the sides; else in
 * the place that covers least. Returns 1 when it covers nothing. */
static int try_places(panel *p)
{
    double w = p->leg_w, h = p->leg_h;
    double xs[3] = {p->right - INSET - w, p->left + INSET, (p->left + p->right - w) / 2};
    double ys[3] = {p->top + INSET, p->bottom - INSET - h, (p->top + p->bottom - h) / 2};
    static const int order[8][2] = {{0, 0}, {1, 0}, {0, 1}, {1, 1}, {2, 0}, {2, 1}, {0, 2}, {1, 2}};
    int best = -1;
    for (int c = 0; c < 8; c++) {
        int hits = covered(p, xs[order[c][0]], ys[order[c][1]], w, h);
        if (best < 0 || hits < best) {
            best = hits;
            p->leg_x = xs[order[c][0]];
            p->leg_y = ys[order[c][1]];
        }
        if (hits == 0)
            return 1;
    }
    return 0;
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
    double frac = (p->leg_h + 2 * INSET) / (p->bottom - p->top);
    p->y_hi = p->y_lo + (p->y_hi - p->y_lo) / (1 - frac);
    try_places(p);
}

/* ---- drawing ---- */

/* The length of the UTF-8 sequence at s, 0 when it is not one. */
static size_t utf8_length(const unsigned char *s)
{
    if (s[0] < 0x80)
        return 1;
    size_t len = s[0] >= 0xc2 && s[0] <= 0xdf ? 2 : s[0] >= 0xe0 && s[0] <= 0xef ? 3
               : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4
                                               : 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) || (s[0] == 0xf0 && s[1] < 0x90) ||
        (s[0] == 0xf4 && s[1] >= 0x90))
        return 0; /* overlong, a surrogate, or past U+10FFFF */
    return len;
}

/* Text escaped for XML: the five specials as entities; control characters
 * and bytes that are not UTF-8 (neither allowed in XML) as '?'. */
static void put_escaped(FILE *f, const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    while (*s) {
        size_t len = utf8_length(s);
        if (len > 1) {
            fwrite(s, 1, len, f);
            s += len;
            continue;
        }
        unsigned char c = *s++;
        switch (c) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default: fputc(len == 0 || c < 32 || c == 127 ? '?' : c, f);
        }
    }
}

static void line(FILE *f, double x1, double y1, double x2, double y2, const char *colour)
{
    fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\"/>\n", x1, y1, x2, y2, colour);
}

static void draw_y_ticks(FILE *f, const panel *p)
{
    ticks ts;
    if (p->log)
        log_ticks(p, &ts);
    else
        step_ticks(p, p->y_lo, p->y_hi, &ts);
    for (int i = 0; i < ts.n; i++) {
        double y = py(p, ts.t[i].v);
        if (!ts.t[i].labelled) {
            line(f, p->left - 3, y, p->left, y, "black");
            continue;
        }
        char text[160];
        tick_label(&ts.t[i], &ts, text, sizeof text);
        line(f, p->left, y, p->right, y, GRID);
        line(f, p->left - 5, y, p->left, y, "black");
        fprintf(f, "<text class=\"ytick\" x=\"%.2f\" y=\"%.2f\" text-anchor=\"end\" font-size=\"11\">%s</text>\n",
                p->left - 8, y + 4, text);
    }
    if (ts.has_common)
        fprintf(f, "<text class=\"yscale\" x=\"%.2f\" y=\"%.2f\" font-size=\"11\">&#215;10<tspan dy=\"-5\" "
                   "font-size=\"8\">%s%d</tspan></text>\n",
                p->left, p->top - 6, ts.common < 0 ? "&#8722;" : "", abs(ts.common));
}

static void draw_x_ticks(FILE *f, const panel *p)
{
    double step = epoch_step(p);
    for (double i = ceil(p->x_lo / step); i * step <= p->x_hi; i++) {
        double e = i * step + 0.0, x = px(p, e); /* + 0.0: never a "-0" */
        line(f, x, p->top, x, p->bottom, GRID);
        line(f, x, p->bottom, x, p->bottom + 5, "black");
        fprintf(f, "<text class=\"xtick\" x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"11\">%.0f</text>\n",
                x, p->bottom + 18, e);
    }
}

static void marker(FILE *f, int kind, double x, double y, double r, const char *colour)
{
    if (kind == MARK_CIRCLE)
        fprintf(f, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%.1f\" fill=\"%s\"/>\n", x, y, r, colour);
    else if (kind == MARK_SQUARE)
        fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n", x - r, y - r, 2 * r,
                2 * r, colour);
    else /* a triangle a little larger than the circle, for the same weight */
        fprintf(f, "<polygon points=\"%.2f,%.2f %.2f,%.2f %.2f,%.2f\" fill=\"%s\"/>\n", x, y - 1.3 * r,
                x - 1.2 * r, y + 0.8 * r, x + 1.2 * r, y + 0.8 * r, colour);
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
            marker(f, s->marker, px(p, p->rows[i].epoch), py(p, value(p, k, i)), p->r, s->colour);
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
            marker(f, s->marker, p->leg_x + 20, y, 2.5, s->colour);
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
        draw_y_ticks(f, p);
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
            WIDTH, height, WIDTH, height, FONT);
    fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", WIDTH, height);
    fprintf(f, "<text class=\"title\" x=\"%.2f\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">",
            (LEFT + RIGHT) / 2);
    put_escaped(f, title ? title : "");
    fputs("</text>\n", f);
    for (int i = 0; i < np; i++)
        draw_panel(f, &panels[i], i == np - 1);
    fputs("</svg>\n", f);
    return rf_atomic_commit(&af, err, errlen);
}
