/* The plots' shared pieces (see plot_axes.h): axis ranges, ticks and
 * their labels, the legend's place, escaped text and the small shapes. */
#include "plot_axes.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MARGIN 0.06        /* of the data's span, added on each side of every range */
#define LOG_MARGIN_MAX 0.3 /* decades at most, so a wide log range ends near the data's top decade */
#define MARGIN_PX 8.0      /* and never less than this, so no marker touches the frame */

/* ---- the axis ---- */

double rf_axis_px(const rf_axis *a, double v)
{
    double t = a->log ? log10(v) : v;
    return a->p_lo + (t - a->lo) / (a->hi - a->lo) * (a->p_hi - a->p_lo);
}

void rf_axis_fit(rf_axis *a, double lo, double hi)
{
    double span = hi - lo;
    if (span < (a->log ? 1e-3 : 1e-6 * fmax(1, fabs(hi)))) {
        double mid = (lo + hi) / 2, half = a->log ? 0.15 : mid != 0 ? 0.05 * fabs(mid) : 0.05;
        a->lo = mid - half;
        a->hi = mid + half;
    } else {
        double h = fabs(a->p_lo - a->p_hi), m = a->log ? fmin(MARGIN * span, LOG_MARGIN_MAX) : MARGIN * span;
        m = fmax(m, span * MARGIN_PX / (h - 2 * MARGIN_PX));
        a->lo = lo - m;
        a->hi = hi + m;
    }
}

void rf_axis_grow_hi(rf_axis *a, double frac) { a->hi = a->lo + (a->hi - a->lo) / (1 - frac); }

/* ---- ticks ---- */

static void add_tick(const rf_axis *a, rf_ticks *ts, double v, int exp, int labelled)
{
    if (ts->n == RF_MAX_TICKS || !isfinite(v) || (a->log && v <= 0))
        return;
    double p = rf_axis_px(a, v);
    if (p >= fmin(a->p_lo, a->p_hi) - 1e-6 && p <= fmax(a->p_lo, a->p_hi) + 1e-6)
        ts->t[ts->n++] = (rf_tick){v, exp, labelled};
}

static int labels(const rf_ticks *ts)
{
    int n = 0;
    for (int i = 0; i < ts->n; i++)
        n += ts->t[i].labelled;
    return n;
}

/* Whether the labels are a->gap apart (they are added in ascending order). */
static int readable(const rf_axis *a, const rf_ticks *ts)
{
    double prev = NAN;
    for (int i = 0; i < ts->n; i++) {
        if (!ts->t[i].labelled)
            continue;
        double p = rf_axis_px(a, ts->t[i].v);
        if (fabs(prev - p) < a->gap)
            return 0;
        prev = p;
    }
    return 1;
}

/* Plain decimals, unless a label is 10^6 or more or needs more than 4 decimals. */
static void choose_notation(rf_ticks *ts)
{
    ts->sci = 0;
    ts->has_common = 0;
    for (int i = 0; i < ts->n; i++) {
        double v = fabs(ts->t[i].v);
        if (ts->t[i].labelled && v != 0 && (v >= 1e6 || v < 1e-4 || ts->t[i].exp < -4))
            ts->sci = 1;
    }
}

/* A tick per decade in range, at most 9 labelled: every 1, 2, 3, 5, 10,
 * ... decades, counted down from the top one so that the top decade always
 * has its label; the minor ticks 2..9 x 10^k when the range spans few
 * decades. */
static void decade_ticks(const rf_axis *a, rf_ticks *ts)
{
    static const int steps[] = {1, 2, 3, 4, 5, 10, 20, 25, 50, 100, 200};
    int top = (int)fmin(floor(a->hi), 308), bottom = (int)ceil(a->lo); /* 10^308: the last finite decade */
    int decades = top - bottom + 1, every = 1;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0] && (decades - 1) / every + 1 > 9; i++)
        every = steps[i];
    ts->n = 0;
    ts->has_common = 0;
    for (int k = bottom; k <= top; k++) {
        int labelled = (top - k) % every == 0;
        if (labelled || decades <= 60)
            add_tick(a, ts, pow(10, k), k, labelled);
    }
    if (a->hi - a->lo <= 6)
        for (int k = bottom - 1; k <= top; k++)
            for (int m = 2; m <= 9; m++)
                add_tick(a, ts, m * pow(10, k), k, 0);
    ts->sci = 1;
}

/* Ticks at m x 10^k for m = 1..9, labelled where bit m of the set is on. */
static void mantissa_ticks(const rf_axis *a, int set, rf_ticks *ts)
{
    ts->n = 0;
    for (int k = (int)floor(a->lo); k <= (int)floor(a->hi); k++)
        for (int m = 1; m <= 9; m++)
            add_tick(a, ts, m * pow(10, k), k, (set >> m) & 1);
    choose_notation(ts);
}

/* Labelled ticks at the multiples of step (m x 10^j) between the values
 * lo and hi; 1 when they are at most 7 and readable. */
static int multiples(const rf_axis *a, double lo, double hi, int m, int j, rf_ticks *ts)
{
    double step = m * pow(10, j), first = ceil(lo / step), last = floor(hi / step);
    if (last - first > 6)
        return 0;
    ts->n = 0;
    for (double i = first; i <= last; i++)
        add_tick(a, ts, i * step + 0.0, j, 1); /* + 0.0: -0 * step is +0 */
    return readable(a, ts);
}

/* Evenly spaced labelled ticks between the values lo and hi at the
 * smallest round step (1, 2 or 5 x 10^j) that gives at most 7 labels a
 * readable distance apart. */
static void step_ticks(const rf_axis *a, double lo, double hi, rf_ticks *ts)
{
    int j0 = (int)floor(log10(hi - lo)) - 2, found = 0;
    ts->n = 0;
    for (int j = j0; j <= j0 + 4 && !found; j++)
        for (int m = 1; m <= 5 && !found; m += m == 1 ? 1 : 3) /* 1, 2, 5 */
            found = multiples(a, lo, hi, m, j, ts);
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
static void log_ticks(const rf_axis *a, rf_ticks *ts)
{
    static const int sets[3] = {1 << 1 | 1 << 2 | 1 << 5, 1 << 1 | 1 << 2 | 1 << 3 | 1 << 5, 0x3fe};
    if (floor(a->hi) - ceil(a->lo) >= 2) {
        decade_ticks(a, ts);
        return;
    }
    for (int s = 0; s < 3; s++) {
        mantissa_ticks(a, sets[s], ts);
        if (labels(ts) >= 3 && readable(a, ts))
            return;
    }
    step_ticks(a, pow(10, a->lo), pow(10, a->hi), ts);
}

void rf_axis_ticks(const rf_axis *a, rf_ticks *ts)
{
    if (a->log)
        log_ticks(a, ts);
    else
        step_ticks(a, a->lo, a->hi, ts);
}

void rf_signed_text(char *out, size_t len, const char *num)
{
    int negative = num[0] == '-';
    if (negative)
        num++;
    if (strspn(num, "0.") == strlen(num))
        negative = 0;
    snprintf(out, len, "%s%s", negative ? "&#8722;" : "", num);
}

void rf_tick_label(const rf_tick *t, const rf_ticks *ts, char *out, size_t len)
{
    char num[64], mant[80];
    int sci = ts->sci;
    if (ts->has_common) {
        int common = ts->common;
        snprintf(num, sizeof num, "%.*f", common > t->exp ? common - t->exp : 0, t->v / pow(10, common));
        rf_signed_text(out, len, num);
        return;
    }
    if (!sci || t->v == 0) {
        snprintf(num, sizeof num, "%.*f", t->exp < 0 ? -t->exp : 0, t->v);
        rf_signed_text(out, len, num);
        return;
    }
    int digits = (int)floor(log10(fabs(t->v))) - t->exp;
    snprintf(num, sizeof num, "%.*e", digits > 0 ? digits : 0, t->v);
    char *e = strchr(num, 'e');
    int k = e ? atoi(e + 1) : 0;
    if (e)
        *e = '\0';
    rf_signed_text(mant, sizeof mant, num);
    snprintf(out, len, "%s%s10<tspan dy=\"-5\" font-size=\"8\">%s%d</tspan>", strcmp(num, "1") == 0 ? "" : mant,
             strcmp(num, "1") == 0 ? "" : "&#215;", k < 0 ? "&#8722;" : "", k < 0 ? -k : k);
}

void rf_svg_y_ticks(FILE *f, const rf_axis *a, double left, double right, double top)
{
    rf_ticks ts;
    rf_axis_ticks(a, &ts);
    for (int i = 0; i < ts.n; i++) {
        double y = rf_axis_px(a, ts.t[i].v);
        if (!ts.t[i].labelled) {
            rf_svg_line(f, left - 3, y, left, y, "black");
            continue;
        }
        char text[160];
        rf_tick_label(&ts.t[i], &ts, text, sizeof text);
        rf_svg_line(f, left, y, right, y, RF_PLOT_GRID);
        rf_svg_line(f, left - 5, y, left, y, "black");
        fprintf(f, "<text class=\"ytick\" x=\"%.2f\" y=\"%.2f\" text-anchor=\"end\" font-size=\"11\">%s</text>\n",
                left - 8, y + 4, text);
    }
    if (ts.has_common)
        fprintf(f, "<text class=\"yscale\" x=\"%.2f\" y=\"%.2f\" font-size=\"11\">&#215;10<tspan dy=\"-5\" "
                   "font-size=\"8\">%s%d</tspan></text>\n",
                left, top - 6, ts.common < 0 ? "&#8722;" : "", abs(ts.common));
}

double rf_epoch_step(double lo, double hi, double width)
{
    double span = hi - lo;
    double digits = floor(log10(fmax(1, fmax(fabs(lo), fabs(hi))))) + 1;
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

/* Liang-Barsky clipping. */
int rf_segment_meets_box(double x0, double y0, double x1, double y1, double bx0, double by0, double bx1, double by1)
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

int rf_legend_place(double left, double top, double right, double bottom, double w, double h, rf_cover_fn covered,
                    const void *ctx, double *x, double *y)
{
    double xs[3] = {right - RF_PLOT_INSET - w, left + RF_PLOT_INSET, (left + right - w) / 2};
    double ys[3] = {top + RF_PLOT_INSET, bottom - RF_PLOT_INSET - h, (top + bottom - h) / 2};
    static const int order[8][2] = {{0, 0}, {1, 0}, {0, 1}, {1, 1}, {2, 0}, {2, 1}, {0, 2}, {1, 2}};
    int best = -1;
    for (int c = 0; c < 8; c++) {
        int hits = covered(ctx, xs[order[c][0]], ys[order[c][1]], w, h);
        if (best < 0 || hits < best) {
            best = hits;
            *x = xs[order[c][0]];
            *y = ys[order[c][1]];
        }
        if (hits == 0)
            return 1;
    }
    return 0;
}

/* ---- SVG text and shapes ---- */

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

/* Writes the characters from .. to - 1 of text (to the end when to is 0). */
static void put_escaped(FILE *f, const char *text, size_t from, size_t to)
{
    const unsigned char *s = (const unsigned char *)text;
    for (size_t chars = 0; *s && (!to || chars < to); chars++) {
        size_t len = utf8_length(s);
        int out = chars >= from;
        if (len > 1) {
            if (out)
                fwrite(s, 1, len, f);
            s += len;
            continue;
        }
        unsigned char c = *s++;
        if (!out)
            continue;
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

void rf_svg_text(FILE *f, const char *text) { put_escaped(f, text, 0, 0); }

size_t rf_text_chars(const char *text, size_t max)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t chars = 0;
    while (*s) {
        size_t len = utf8_length(s);
        s += len > 1 ? len : 1;
        chars++;
    }
    return max && chars > max ? max : chars;
}

void rf_svg_text_max(FILE *f, const char *text, size_t max)
{
    if (max < 2 || rf_text_chars(text, 0) <= max) {
        put_escaped(f, text, 0, max);
        return;
    }
    put_escaped(f, text, 0, max - 1);
    fputs("&#8230;", f);
}

void rf_svg_text_mid(FILE *f, const char *text, size_t max)
{
    size_t chars = rf_text_chars(text, 0);
    if (max < 3 || chars <= max) {
        rf_svg_text_max(f, text, max);
        return;
    }
    size_t head = max / 2, tail = max - 1 - head;
    put_escaped(f, text, 0, head);
    fputs("&#8230;", f);
    put_escaped(f, text, chars - tail, 0);
}

/* DejaVu Sans advances of ' ' .. '~', in 1/2048 em. */
static const short advances[95] = {
    651,  821,  942,  1716, 1303, 1946, 1597, 563,  799,  799,  1024, 1716, 651,  739,  651,  690,  1303, 1303, 1303,
    1303, 1303, 1303, 1303, 1303, 1303, 1303, 690,  690,  1716, 1716, 1716, 1087, 2048, 1401, 1405, 1430, 1577, 1294,
    1178, 1587, 1540, 604,  604,  1343, 1141, 1767, 1532, 1612, 1235, 1612, 1423, 1300, 1251, 1499, 1401, 2025, 1403,
    1251, 1403, 799,  690,  799,  1716, 1024, 1024, 1255, 1300, 1126, 1300, 1260, 721,  1300, 1298, 569,  569,  1186,
    569,  1995, 1298, 1253, 1300, 1300, 842,  1067, 803,  1298, 1212, 1675, 1212, 1212, 1075, 1303, 690,  1303, 1716};

/* The advance of the character at s (of len bytes), in 1/2048 em. */
static int advance(const unsigned char *s, size_t len)
{
    if (len == 1 && *s >= 32 && *s < 127)
        return advances[*s - 32];
    if (len == 3 && s[0] == 0xe2 && s[1] == 0x80)
        return s[2] == 0xa6 ? 2048 : s[2] == 0x93 ? 1024 : 1300; /* the ellipsis, the en dash */
    return 1300;
}

/* The width of the characters from .. to - 1 (to the end when to is 0). */
static double range_width(const char *text, size_t from, size_t to, double font_px)
{
    const unsigned char *s = (const unsigned char *)text;
    double units = 0;
    for (size_t chars = 0; *s && (!to || chars < to); chars++) {
        size_t len = utf8_length(s);
        if (chars >= from)
            units += advance(s, len ? len : 1);
        s += len > 1 ? len : 1;
    }
    return units / 2048 * font_px;
}

double rf_text_width(const char *text, size_t max, double font_px) { return range_width(text, 0, max, font_px); }

double rf_text_width_mid(const char *text, size_t max, double font_px)
{
    size_t chars = rf_text_chars(text, 0);
    double ellipsis = font_px;
    if (chars <= max || max < 2)
        return range_width(text, 0, max, font_px);
    if (max < 3)
        return range_width(text, 0, max - 1, font_px) + ellipsis;
    size_t head = max / 2, tail = max - 1 - head;
    return range_width(text, 0, head, font_px) + ellipsis + range_width(text, chars - tail, 0, font_px);
}

void rf_svg_line(FILE *f, double x1, double y1, double x2, double y2, const char *colour)
{
    fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\"/>\n", x1, y1, x2, y2, colour);
}

void rf_svg_marker(FILE *f, int kind, double x, double y, double r, const char *colour)
{
    if (kind == RF_MARK_CIRCLE)
        fprintf(f, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%.1f\" fill=\"%s\"/>\n", x, y, r, colour);
    else if (kind == RF_MARK_SQUARE)
        fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n", x - r, y - r, 2 * r,
                2 * r, colour);
    else if (kind == RF_MARK_TRIANGLE) /* a little larger than the circle, for the same weight */
        fprintf(f, "<polygon points=\"%.2f,%.2f %.2f,%.2f %.2f,%.2f\" fill=\"%s\"/>\n", x, y - 1.3 * r,
                x - 1.2 * r, y + 0.8 * r, x + 1.2 * r, y + 0.8 * r, colour);
    else if (kind == RF_MARK_TRIANGLE_DOWN)
        fprintf(f, "<polygon points=\"%.2f,%.2f %.2f,%.2f %.2f,%.2f\" fill=\"%s\"/>\n", x, y + 1.3 * r,
                x - 1.2 * r, y - 0.8 * r, x + 1.2 * r, y - 0.8 * r, colour);
    else /* a diamond */
        fprintf(f, "<polygon points=\"%.2f,%.2f %.2f,%.2f %.2f,%.2f %.2f,%.2f\" fill=\"%s\"/>\n", x, y - 1.35 * r,
                x + 1.1 * r, y, x, y + 1.35 * r, x - 1.1 * r, y, colour);
}
