/* A sweep's plots (see plot_sweep.h). curve.svg, in order: the points
 * grouped by (x, group) with their means and spreads, the x axis (its
 * scale, the pixel of each x, its labels), the panels and their y ranges,
 * the legends, and the drawing; then curves.svg. The axes, ticks and SVG
 * pieces are plot_axes.c's, as for loss.svg. */
#include "plot_sweep.h"
#include "atomic_file.h"
#include "plot_axes.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Canvas and frames, in pixels: the frames of loss.svg. */
#define LEFT 78.0
#define RIGHT 464.0
#define FIRST_TOP 40.0      /* the first frame's top, below the title */
#define SINGLE_HEIGHT 246.0 /* the loss frame alone */
#define LOSS_HEIGHT 210.0   /* the loss frame above the accuracy frame */
#define ACC_HEIGHT 170.0
#define BELOW_LABELS 22.0   /* from the x labels to the next frame (level labels: loss.svg's gap of 40) */
#define RIGHT_PAD 16.0      /* the canvas beyond the frame (or the legend right of it) */
#define OUTSIDE_GAP 16.0    /* from the frame to a legend right of it */
#define STUB 40.0           /* a log x axis's stub for the value 0, left of the break */
#define LABEL_MAX 48        /* characters of a legend label at most (two swept keys and their values fit) */
#define COLUMNS_LABEL_MAX 28 /* in a legend of several columns */
#define KEY_MAX 20          /* of them, characters of the key in "KEY=VALUE" */
#define TITLE_MAX 70        /* characters of an axis title */
#define SLANT_MAX 22        /* characters of a slanted category label */

/* ---- aggregation ---- */

static double point_value(const rf_sweep_point *p, rf_sweep_value v)
{
    switch (v) {
    case RF_SWEEP_TRAIN_LOSS: return p->train_loss;
    case RF_SWEEP_VALID_LOSS: return p->valid_loss;
    case RF_SWEEP_TEST_LOSS: return p->test_loss;
    case RF_SWEEP_TRAIN_ACC: return p->train_acc;
    case RF_SWEEP_VALID_ACC: return p->valid_acc;
    case RF_SWEEP_TEST_ACC: return p->test_acc;
    }
    return NAN;
}

static int is_loss(rf_sweep_value v)
{
    return v == RF_SWEEP_TRAIN_LOSS || v == RF_SWEEP_VALID_LOSS || v == RF_SWEEP_TEST_LOSS;
}

/* Whether a value can be drawn: finite, and for a loss (log axis) positive. */
static int usable(double v, int loss) { return isfinite(v) && (!loss || v > 0); }

static const char *text_or_empty(const char *s) { return s ? s : ""; }

static int same_x(const rf_sweep_point *a, const rf_sweep_point *b)
{
    if (isfinite(a->x) && isfinite(b->x))
        return a->x == b->x;
    return strcmp(text_or_empty(a->x_text), text_or_empty(b->x_text)) == 0;
}

static int same_group(const rf_sweep_point *a, const rf_sweep_point *b)
{
    if (!a->group || !b->group)
        return !a->group && !b->group;
    return strcmp(a->group, b->group) == 0;
}

int rf_sweep_aggregate(const rf_sweep_point *points, int n, rf_sweep_value value, rf_sweep_stat *stats)
{
    if (!points || n <= 0 || !stats)
        return 0;
    int m = 0, nx = 0, ng = 0, loss = is_loss(value);
    for (int i = 0; i < n; i++) {
        const rf_sweep_point *p = &points[i];
        int xi = -1, gi = -1, at = -1;
        for (int j = 0; j < m && at < 0; j++) {
            const rf_sweep_point *q = &points[stats[j].point];
            int sx = same_x(p, q), sg = same_group(p, q);
            if (xi < 0 && sx)
                xi = stats[j].x_index;
            if (gi < 0 && sg)
                gi = stats[j].group_index;
            if (sx && sg)
                at = j;
        }
        if (at < 0) {
            at = m++;
            stats[at] = (rf_sweep_stat){i, xi >= 0 ? xi : nx++, gi >= 0 ? gi : ng++, 0, NAN, NAN, NAN};
        }
        rf_sweep_stat *s = &stats[at];
        double v = point_value(p, value);
        if (!usable(v, loss))
            continue;
        s->seeds++;
        if (s->seeds == 1) {
            s->mean = s->min = s->max = v;
            continue;
        }
        s->mean += (v - s->mean) / s->seeds; /* a running mean: no sum to overflow */
        s->min = fmin(s->min, v);
        s->max = fmax(s->max, v);
    }
    for (int j = 0; j < m; j++)
        if (stats[j].seeds > 0)
            stats[j].mean = fmin(fmax(stats[j].mean, stats[j].min), stats[j].max); /* rounding stays inside */
    return m;
}

/* ---- colours ---- */

/* "#rrggbb" of hue h (degrees), saturation s and lightness l (0..1). */
static void hsl(char out[8], double h, double s, double l)
{
    double c = (1 - fabs(2 * l - 1)) * s, hp = fmod(fmod(h, 360) + 360, 360) / 60;
    double x = c * (1 - fabs(fmod(hp, 2) - 1)), m = l - c / 2, rgb[3] = {0, 0, 0};
    int sector = (int)hp;
    static const int pick[6][3] = {{0, 1, 2}, {1, 0, 2}, {2, 0, 1}, {2, 1, 0}, {1, 2, 0}, {0, 2, 1}};
    double part[3] = {c, x, 0};
    for (int i = 0; i < 3; i++)
        rgb[i] = part[pick[sector % 6][i]];
    snprintf(out, 8, "#%02x%02x%02x", (int)lround((rgb[0] + m) * 255), (int)lround((rgb[1] + m) * 255),
             (int)lround((rgb[2] + m) * 255));
}

/* ---- curve.svg: the loss kinds ---- */

enum { TRAIN, VALID, TEST, KINDS };

typedef struct {
    const char *label, *head; /* the legend's entry; a column's head in the group table */
    const char *colour;       /* with one group: loss.svg's */
    double hue, sat;          /* with groups: shades of this hue */
    const char *dash;
    int marker; /* with one group */
} kind_style;

static const kind_style kinds[KINDS] = {
    {"train", "train", "#1f77b4", 207, 0.75, NULL, RF_MARK_CIRCLE},
    {"validation", "valid", "#ff7f0e", 27, 0.95, "7,3,2,3", RF_MARK_TRIANGLE},
    {"test", "test", "#bf00bf", 300, 0.85, "6,3", RF_MARK_SQUARE},
};

/* The colour of kind k for group g of ng: loss.svg's with one group, else
 * from dark to light (and turning a little in hue) within the kind's hue. */
static void kind_colour(char out[8], int k, int g, int ng)
{
    if (ng <= 1) {
        snprintf(out, 8, "%s", kinds[k].colour);
        return;
    }
    double t = ng > 1 ? (double)g / (ng - 1) : 0;
    hsl(out, kinds[k].hue - 18 + 36 * t, kinds[k].sat, 0.26 + 0.36 * t);
}

static int group_marker(int g, int ng, int k) { return ng <= 1 ? kinds[k].marker : g % RF_MARK_COUNT; }

/* ---- curve.svg: the x axis ---- */

enum { X_LINEAR, X_LOG, X_CATEGORY };
static const char *const scale_names[] = {"linear", "log", "category"};

typedef struct {
    char text[160]; /* a number's SVG text content */
    size_t chars;   /* a category's characters (its x_text cut to them) */
    double width;   /* estimated pixels */
} xlabel;

typedef struct {
    int scale;
    int stub;                   /* log: a 0 drawn left of the break */
    int nx;                     /* distinct x */
    const rf_sweep_point **rep; /* per x index: its first point */
    int *rank;                  /* per x index: its place from the left */
    int *order;                 /* the x indices from the left */
    double *pos;                /* per x index: its pixel */
    rf_axis ax;                 /* numeric: the range (log10 of the positive values on a log axis) */
    double slot;                /* category: pixels per category */
    double break_px;            /* log with the stub: where the log range starts */
    int value_labels;           /* labels at the x values, else round ticks */
    int slanted, every;         /* category labels slanted, and every k-th only */
    xlabel *labels;             /* per x index, with value labels */
    double label_room;          /* pixels below the frame the labels take */
} xaxis;

/* A number as an x label: a plain decimal, the fewest digits that read
 * back (6 significant at most), between 1e-4 and 1e6; else M x 10^k with
 * k raised. Never "-0". */
static void number_label(double v, xlabel *l)
{
    char num[64];
    double a = fabs(v);
    v += 0.0; /* -0 is 0 */
    if (a == 0 || (a >= 1e-4 && a < 1e6)) {
        int most = a == 0 ? 0 : 5 - (int)floor(log10(a)), d = 0;
        most = most < 0 ? 0 : most;
        while (d < most && (snprintf(num, sizeof num, "%.*f", d, v), strtod(num, NULL) != v))
            d++;
        snprintf(num, sizeof num, "%.*f", d, v);
        if (strchr(num, '.')) { /* 6 digits that did not read back: no trailing zeros */
            size_t n = strlen(num);
            while (num[n - 1] == '0')
                num[--n] = '\0';
            if (num[n - 1] == '.')
                num[--n] = '\0';
        }
        rf_signed_text(l->text, sizeof l->text, num);
        l->width = rf_text_width(num, 0, 11);
        return;
    }
    int digits = 0;
    while (digits < 5 && (snprintf(num, sizeof num, "%.*e", digits, v), strtod(num, NULL) != v))
        digits++;
    snprintf(num, sizeof num, "%.*e", digits, v);
    char *e = strchr(num, 'e');
    int k = atoi(e + 1);
    *e = '\0';
    char mant[80], expo[16];
    rf_signed_text(mant, sizeof mant, num);
    snprintf(expo, sizeof expo, "%d", k);
    int one = strcmp(num, "1") == 0;
    snprintf(l->text, sizeof l->text, "%s%s10<tspan dy=\"-5\" font-size=\"8\">%s%d</tspan>", one ? "" : mant,
             one ? "" : "&#215;", k < 0 ? "&#8722;" : "", k < 0 ? -k : k);
    l->width = (one ? 0 : rf_text_width(num, 0, 11) + 9.2) + 14 + rf_text_width(expo, 0, 8);
}

typedef struct {
    double x;
    int index;
} x_sort;

static int by_x(const void *a, const void *b)
{
    const x_sort *p = a, *q = b;
    return p->x < q->x ? -1 : p->x > q->x;
}

/* Whether labels of these widths at these pixels (left to right) leave
 * room between them and stay on the canvas (0..canvas_right). */
static int labels_fit(const xaxis *xa, double canvas_right)
{
    for (int r = 0; r < xa->nx; r++) {
        int i = xa->order[r];
        double half = xa->labels[i].width / 2;
        if (xa->pos[i] - half < 4 || xa->pos[i] + half > canvas_right - 2)
            return 0;
        if (r > 0) {
            int j = xa->order[r - 1];
            if (xa->pos[i] - xa->pos[j] < half + xa->labels[j].width / 2 + 8)
                return 0;
        }
    }
    return 1;
}

/* The characters of text (at most all) whose first ones, cut in the
 * middle with an ellipsis, fit in room pixels. */
static size_t chars_in(const char *text, double room)
{
    size_t all = rf_text_chars(text, 0), c = all;
    while (c > 1 && rf_text_width_mid(text, c, 11) > room)
        c--;
    return c;
}

/* Category labels: a number formatted as on a numeric axis, any other
 * text as given. Level when every label fits its slot whole; else slanted
 * when that shows more of the texts (SLANT_MAX characters, and no more
 * than fit left of the anchor), every k-th when even slanted ones would
 * touch; else level, the texts cut in the middle. */
static void category_labels(xaxis *xa)
{
    double room = xa->slot - 6;
    size_t level = SIZE_MAX;
    int whole = 1;
    for (int i = 0; i < xa->nx; i++) {
        const rf_sweep_point *p = xa->rep[i];
        if (isfinite(p->x)) {
            number_label(p->x, &xa->labels[i]);
            whole &= xa->labels[i].width <= room;
            continue;
        }
        const char *text = text_or_empty(p->x_text);
        size_t c = chars_in(text, room);
        whole &= c == rf_text_chars(text, 0);
        level = c < level ? c : level;
    }
    xa->slanted = !whole && level < SLANT_MAX;
    xa->every = xa->slanted && xa->slot < 14 ? (int)ceil(14 / xa->slot) : 1;
    double widest = 0;
    for (int i = 0; i < xa->nx; i++) {
        if (!isfinite(xa->rep[i]->x)) {
            const char *text = text_or_empty(xa->rep[i]->x_text);
            size_t chars = whole ? 0 : level;
            if (xa->slanted) { /* at 45 degrees down to the left of its anchor: within the canvas */
                size_t fit = chars_in(text, (xa->pos[i] + 4 - 4) / 0.7071);
                chars = fit < SLANT_MAX ? fit : SLANT_MAX;
            }
            xa->labels[i].chars = chars;
            xa->labels[i].width = rf_text_width_mid(text, chars, 11);
        }
        if (i % xa->every == 0)
            widest = fmax(widest, xa->labels[i].width);
    }
    xa->label_room = xa->slanted ? 10 + widest * 0.7071 + 8 : 18;
}

/* The distinct x values of the stats, their scale, pixels and labels. */
static int setup_x(xaxis *xa, const rf_sweep_point *points, const rf_sweep_stat *stats, int m, double canvas_right)
{
    memset(xa, 0, sizeof *xa);
    for (int j = 0; j < m; j++)
        xa->nx = stats[j].x_index + 1 > xa->nx ? stats[j].x_index + 1 : xa->nx;
    size_t nx = (size_t)(xa->nx > 0 ? xa->nx : 1);
    xa->rep = calloc(nx, sizeof *xa->rep);
    xa->rank = calloc(nx, sizeof *xa->rank);
    xa->order = calloc(nx, sizeof *xa->order);
    xa->pos = calloc(nx, sizeof *xa->pos);
    xa->labels = calloc(nx, sizeof *xa->labels);
    x_sort *sorted = calloc(nx, sizeof *sorted);
    if (!xa->rep || !xa->rank || !xa->order || !xa->pos || !xa->labels || !sorted) {
        free(sorted);
        return -1;
    }
    for (int j = m - 1; j >= 0; j--)
        xa->rep[stats[j].x_index] = &points[stats[j].point];
    double lo = INFINITY, hi = -INFINITY, lo_pos = INFINITY;
    int category = 0, negative = 0, zero = 0;
    for (int i = 0; i < xa->nx; i++) {
        double x = xa->rep[i]->x;
        category |= !isfinite(x);
        negative |= x < 0;
        zero |= x == 0;
        lo = fmin(lo, x);
        hi = fmax(hi, x);
        if (x > 0)
            lo_pos = fmin(lo_pos, x);
        sorted[i] = (x_sort){x, i};
    }
    xa->scale = category ? X_CATEGORY : !negative && isfinite(lo_pos) && hi / lo_pos >= 10 ? X_LOG : X_LINEAR;
    if (xa->scale != X_CATEGORY)
        qsort(sorted, (size_t)xa->nx, sizeof *sorted, by_x); /* distinct values: the order is total */
    for (int r = 0; r < xa->nx; r++) {
        xa->order[r] = sorted[r].index;
        xa->rank[sorted[r].index] = r;
    }
    free(sorted);

    if (xa->scale == X_CATEGORY) {
        xa->slot = (RIGHT - LEFT) / xa->nx;
        for (int i = 0; i < xa->nx; i++)
            xa->pos[i] = LEFT + (i + 0.5) * xa->slot;
        xa->value_labels = 1;
        category_labels(xa);
        return 0;
    }
    xa->stub = xa->scale == X_LOG && zero;
    xa->break_px = LEFT + (xa->stub ? STUB : 0);
    if (xa->scale == X_LOG) {
        xa->ax = (rf_axis){1, 0, 1, xa->break_px, RIGHT, 40};
        rf_axis_fit(&xa->ax, log10(lo_pos), log10(hi));
    } else {
        xa->ax = (rf_axis){0, 0, 1, LEFT, RIGHT, 48};
        rf_axis_fit(&xa->ax, lo, hi);
    }
    for (int i = 0; i < xa->nx; i++) {
        double x = xa->rep[i]->x;
        xa->pos[i] = xa->stub && x == 0 ? LEFT + STUB / 2 : rf_axis_px(&xa->ax, x);
        number_label(x, &xa->labels[i]);
    }
    xa->value_labels = labels_fit(xa, canvas_right);
    xa->label_room = 18;
    return 0;
}

static void free_x(xaxis *xa)
{
    free(xa->rep);
    free(xa->rank);
    free(xa->order);
    free(xa->pos);
    free(xa->labels);
}

/* ---- curve.svg: panels ---- */

/* The stats of one group, left to right: slices of one index array. */
typedef struct {
    int *index; /* stat indices, by group then by x from the left */
    int *start; /* group g's are index[start[g]] .. index[start[g + 1] - 1] */
    int ng;
} groups;

typedef struct {
    int group, rank, stat;
} group_sort;

static int by_group_rank(const void *a, const void *b)
{
    const group_sort *p = a, *q = b;
    if (p->group != q->group)
        return (p->group > q->group) - (p->group < q->group);
    return (p->rank > q->rank) - (p->rank < q->rank);
}

static int setup_groups(groups *gs, const rf_sweep_stat *stats, int m, const xaxis *xa)
{
    gs->ng = 0;
    for (int j = 0; j < m; j++)
        gs->ng = stats[j].group_index + 1 > gs->ng ? stats[j].group_index + 1 : gs->ng;
    gs->index = calloc((size_t)(m > 0 ? m : 1), sizeof *gs->index);
    gs->start = calloc((size_t)gs->ng + 1, sizeof *gs->start);
    group_sort *s = calloc((size_t)(m > 0 ? m : 1), sizeof *s);
    if (!gs->index || !gs->start || !s) {
        free(s);
        return -1;
    }
    for (int j = 0; j < m; j++)
        s[j] = (group_sort){stats[j].group_index, xa->rank[stats[j].x_index], j};
    qsort(s, (size_t)m, sizeof *s, by_group_rank);
    for (int j = 0; j < m; j++) {
        gs->index[j] = s[j].stat;
        gs->start[s[j].group + 1] = j + 1;
    }
    for (int g = 1; g <= gs->ng; g++) /* a group index without stats cannot happen; keep the slices ordered */
        gs->start[g] = gs->start[g] > gs->start[g - 1] ? gs->start[g] : gs->start[g - 1];
    free(s);
    return 0;
}

typedef struct {
    const char *id, *y_title, *empty_text;
    rf_sweep_value first; /* RF_SWEEP_TRAIN_LOSS or RF_SWEEP_TRAIN_ACC: kind k is first + k */
    int log;
    double left, top, right, bottom;
    rf_axis y;
    rf_sweep_stat *stats[KINDS];
    int has[KINDS];  /* the kind has a value to plot */
    int points;      /* (x, group, kind) means drawn */
    int spread;      /* a band or error bar is drawn */
    int legend;      /* a legend inside the frame */
    double leg_x, leg_y, leg_w, leg_h;
} panel;

typedef struct {
    const rf_sweep_point *points;
    int m; /* stats per kind */
    xaxis x;
    groups g;
    double r; /* marker radius */
    int same_seeds; /* every (x, group) with a value has this many, else 0 */
    panel panels[2];
    int np;
} plot;

/* One drawn point of a curve, in pixels. */
typedef struct {
    double x, y, lo, hi; /* lo: the min's pixel (below), hi: the max's */
    int ok;              /* has a value */
    int spread;          /* min < max */
    int stub;            /* the 0 of a log axis */
} vertex;

/* The vertices of kind k of group g, left to right; returns their count. */
static int curve_vertices(const plot *pl, const panel *p, int k, int g, vertex *v)
{
    const xaxis *xa = &pl->x;
    int n = 0, ng = pl->g.ng;
    double dodge = 0;
    if (xa->scale == X_CATEGORY) { /* the series of a category side by side: by group, then kind */
        int kinds_drawn = 0, rank = 0;
        for (int j = 0; j < KINDS; j++) {
            rank += p->has[j] && j < k;
            kinds_drawn += p->has[j];
        }
        int series = ng * kinds_drawn;
        double step = series > 1 ? fmin(8, xa->slot * 0.6 / series) : 0;
        dodge = (g * kinds_drawn + rank - (series - 1) / 2.0) * step;
    }
    for (int j = pl->g.start[g]; j < pl->g.start[g + 1]; j++) {
        const rf_sweep_stat *s = &p->stats[k][pl->g.index[j]];
        vertex *w = &v[n++];
        w->x = xa->pos[s->x_index] + dodge;
        w->ok = s->seeds > 0;
        w->stub = xa->stub && xa->rep[s->x_index]->x == 0;
        w->spread = w->ok && s->seeds > 1 && s->max > s->min;
        w->y = w->ok ? rf_axis_px(&p->y, s->mean) : NAN;
        w->lo = w->ok ? rf_axis_px(&p->y, s->min) : NAN;
        w->hi = w->ok ? rf_axis_px(&p->y, s->max) : NAN;
    }
    return n;
}

/* Whether vertex i is drawn as part of a band (else a lone error bar). */
static int in_band(const plot *pl, const vertex *v, int n, int i)
{
    if (pl->x.scale == X_CATEGORY)
        return 0;
    int left = i > 0 && v[i - 1].ok && v[i - 1].stub == v[i].stub;
    int right = i + 1 < n && v[i + 1].ok && v[i + 1].stub == v[i].stub;
    return left || right;
}

/* Whether the box meets the band between two vertices (a trapezoid). */
static int box_meets_band(const vertex *a, const vertex *b, double x, double y, double w, double h)
{
    double corners[4][2] = {{x, y}, {x + w, y}, {x, y + h}, {x + w, y + h}};
    for (int c = 0; c < 4; c++) {
        double cx = corners[c][0], cy = corners[c][1];
        if (cx < a->x || cx > b->x || b->x <= a->x)
            continue;
        double t = (cx - a->x) / (b->x - a->x);
        if (cy >= a->hi + t * (b->hi - a->hi) && cy <= a->lo + t * (b->lo - a->lo))
            return 1;
    }
    double x1 = x + w, y1 = y + h;
    return rf_segment_meets_box(a->x, a->hi, b->x, b->hi, x, y, x1, y1) ||
           rf_segment_meets_box(a->x, a->lo, b->x, b->lo, x, y, x1, y1) ||
           rf_segment_meets_box(a->x, a->hi, a->x, a->lo, x, y, x1, y1) ||
           rf_segment_meets_box(b->x, b->hi, b->x, b->lo, x, y, x1, y1);
}

typedef struct {
    const plot *pl;
    const panel *p;
    vertex *v;
} cover_ctx;

/* How much of the panel's curves, bands and error bars the box covers. */
static int covered(const void *ctx, double x, double y, double w, double h)
{
    const cover_ctx *c = ctx;
    double pad = c->pl->r + 2;
    int hits = 0;
    for (int k = 0; k < KINDS; k++) {
        if (!c->p->has[k])
            continue;
        for (int g = 0; g < c->pl->g.ng; g++) {
            int n = curve_vertices(c->pl, c->p, k, g, c->v);
            for (int i = 0; i < n; i++) {
                const vertex *a = &c->v[i];
                if (!a->ok)
                    continue;
                hits += a->x >= x - pad && a->x <= x + w + pad && a->y >= y - pad && a->y <= y + h + pad;
                if (a->spread && !in_band(c->pl, c->v, n, i))
                    hits += rf_segment_meets_box(a->x, a->hi, a->x, a->lo, x - 4, y - 1, x + w + 4, y + h + 1);
                if (i + 1 < n && c->v[i + 1].ok) {
                    const vertex *b = &c->v[i + 1];
                    hits += rf_segment_meets_box(a->x, a->y, b->x, b->y, x - 1, y - 1, x + w + 1, y + h + 1);
                    if (a->stub == b->stub && c->pl->x.scale != X_CATEGORY && (a->spread || b->spread))
                        hits += box_meets_band(a, b, x - 1, y - 1, w + 2, h + 2);
                }
            }
        }
    }
    return hits;
}

/* The y range: every mean, min and max to draw, with a margin. */
static void fit_panel_y(const plot *pl, panel *p)
{
    double lo = INFINITY, hi = -INFINITY;
    for (int k = 0; k < KINDS; k++) {
        for (int j = 0; j < pl->m; j++) {
            const rf_sweep_stat *s = &p->stats[k][j];
            if (s->seeds == 0)
                continue;
            p->has[k] = 1;
            p->points++;
            p->spread |= s->seeds > 1 && s->max > s->min;
            lo = fmin(lo, p->log ? log10(s->min) : s->min);
            hi = fmax(hi, p->log ? log10(s->max) : s->max);
        }
    }
    if (p->points == 0) {
        p->y.lo = 0;
        p->y.hi = 1;
        return;
    }
    rf_axis_fit(&p->y, lo, hi);
}

/* The legend's note on the bands: "min-max, 5 seeds" (an en dash). */
static void spread_note(const plot *pl, char *out, size_t len)
{
    if (pl->same_seeds > 1)
        snprintf(out, len, "min\xe2\x80\x93max, %d seeds", pl->same_seeds);
    else
        snprintf(out, len, "min\xe2\x80\x93max over seeds");
}

/* A legend inside the frame (one group): its size from its entries, then
 * its place off the data; when every place covers data, the y range grows
 * at the top by the legend's height, and the legend goes there. */
static void place_legend(const plot *pl, panel *p, vertex *v)
{
    double longest = 0;
    int entries = 0;
    for (int k = 0; k < KINDS; k++) {
        if (p->has[k]) {
            entries++;
            longest = fmax(longest, rf_text_width(kinds[k].label, 0, 11));
        }
    }
    if (p->spread) {
        char note[64];
        spread_note(pl, note, sizeof note);
        entries++;
        longest = fmax(longest, rf_text_width(note, 0, 11));
    }
    p->legend = 1;
    p->leg_w = 48 + longest;
    p->leg_h = 8 + 16.0 * entries;
    cover_ctx c = {pl, p, v};
    if (rf_legend_place(p->left, p->top, p->right, p->bottom, p->leg_w, p->leg_h, covered, &c, &p->leg_x,
                        &p->leg_y))
        return;
    rf_axis_grow_hi(&p->y, (p->leg_h + 2 * RF_PLOT_INSET) / (p->bottom - p->top));
    rf_legend_place(p->left, p->top, p->right, p->bottom, p->leg_w, p->leg_h, covered, &c, &p->leg_x, &p->leg_y);
}

/* The legend of several groups, right of the frames: a row per group, a
 * column per loss kind. */
typedef struct {
    int cols[KINDS], ncols;
    double x, y, w, h;
    double label_w; /* the widest row label */
    int spread;
} group_table;

#define COL_W 40.0

/* A group's row label, "KEY=VALUE": the key cut (in the middle) to
 * KEY_MAX characters, the value to what is left of LABEL_MAX (12 at
 * least); without a key the value alone; "(none)" for a NULL value.
 * Written to f when f is not NULL; returns its estimated width. */
static double group_label(FILE *f, const char *group_key, const char *group)
{
    const char *value = group ? group : "(none)";
    size_t key = group_key && *group_key ? rf_text_chars(group_key, KEY_MAX) : 0;
    size_t room = key ? LABEL_MAX - key - 1 : LABEL_MAX;
    room = room < 12 ? 12 : room;
    if (f && key) {
        rf_svg_text_mid(f, group_key, KEY_MAX);
        fputc('=', f);
    }
    if (f)
        rf_svg_text_mid(f, value, room);
    return (key ? rf_text_width_mid(group_key, KEY_MAX, 11) + 9.2 : 0) + rf_text_width_mid(value, room, 11);
}

static const rf_sweep_point *group_point(const plot *pl, int g)
{
    return &pl->points[pl->panels[0].stats[0][pl->g.index[pl->g.start[g]]].point];
}

static void setup_table(group_table *t, const plot *pl, const char *group_key)
{
    memset(t, 0, sizeof *t);
    for (int k = 0; k < KINDS; k++) {
        int has = 0;
        for (int i = 0; i < pl->np; i++)
            has |= pl->panels[i].has[k];
        if (has)
            t->cols[t->ncols++] = k;
    }
    for (int i = 0; i < pl->np; i++)
        t->spread |= pl->panels[i].spread;
    for (int g = 0; g < pl->g.ng; g++)
        t->label_w = fmax(t->label_w, group_label(NULL, group_key, group_point(pl, g)->group));
    double row_w = t->ncols * COL_W + 6 + t->label_w;
    if (t->spread) {
        char note[64];
        spread_note(pl, note, sizeof note);
        row_w = fmax(row_w, 40 + rf_text_width(note, 0, 11));
    }
    t->x = RIGHT + OUTSIDE_GAP;
    t->y = FIRST_TOP;
    t->w = 8 + row_w + 10;
    t->h = 8 + 16.0 * (1 + pl->g.ng + t->spread);
}

/* ---- curve.svg: drawing ---- */

static void stroke_style(FILE *f, const char *colour, const char *dash, double width)
{
    fprintf(f, "fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\"", colour, width);
    if (dash)
        fprintf(f, " stroke-dasharray=\"%s\"", dash);
}

static void band_swatch(FILE *f, double x, double y)
{
    fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"26\" height=\"9\" fill=\"#808080\" fill-opacity=\"0.3\"/>\n",
            x, y - 4.5);
}

static void error_bar(FILE *f, const vertex *a, const char *colour)
{
    fprintf(f, "<g class=\"errorbar\" stroke=\"%s\" stroke-width=\"1.2\">\n", colour);
    rf_svg_line(f, a->x, a->hi, a->x, a->lo, colour);
    rf_svg_line(f, a->x - 3, a->hi, a->x + 3, a->hi, colour);
    rf_svg_line(f, a->x - 3, a->lo, a->x + 3, a->lo, colour);
    fputs("</g>\n", f);
}

/* Bands under every curve, then error bars, lines and markers. */
static void draw_data(FILE *f, const plot *pl, const panel *p, vertex *v)
{
    int ng = pl->g.ng;
    fputs("<g class=\"data\">\n", f);
    for (int pass = 0; pass < 3; pass++) {
        for (int k = 0; k < KINDS; k++) {
            if (!p->has[k])
                continue;
            for (int g = 0; g < ng; g++) {
                char colour[8];
                kind_colour(colour, k, g, ng);
                int n = curve_vertices(pl, p, k, g, v);
                for (int i = 0; i < n; i++) {
                    if (!v[i].ok)
                        continue;
                    int j = i; /* the run of points i..j that a line joins */
                    while (j + 1 < n && v[j + 1].ok && v[j + 1].stub == v[i].stub)
                        j++;
                    if (pass == 0) {
                        int spread = 0;
                        for (int t = i; t <= j; t++)
                            spread |= v[t].spread;
                        if (spread && j > i && pl->x.scale != X_CATEGORY) {
                            fprintf(f, "<polygon class=\"band %s g%d\" fill=\"%s\" fill-opacity=\"0.16\" points=\"",
                                    kinds[k].head, g, colour);
                            for (int t = i; t <= j; t++)
                                fprintf(f, "%.2f,%.2f ", v[t].x, v[t].hi);
                            for (int t = j; t >= i; t--)
                                fprintf(f, "%.2f,%.2f%s", v[t].x, v[t].lo, t > i ? " " : "");
                            fputs("\"/>\n", f);
                        }
                        for (int t = i; t <= j; t++)
                            if (v[t].spread && !in_band(pl, v, n, t))
                                error_bar(f, &v[t], colour);
                    } else if (pass == 1) {
                        fprintf(f, "<polyline class=\"curve %s g%d\" ", kinds[k].head, g);
                        stroke_style(f, colour, kinds[k].dash, 1.5);
                        fputs(" points=\"", f);
                        for (int t = i; t <= j; t++)
                            fprintf(f, "%s%.2f,%.2f", t > i ? " " : "", v[t].x, v[t].y);
                        fputs("\"/>\n", f);
                        if (j + 1 < n && v[j + 1].ok) { /* across the break: dotted */
                            fprintf(f, "<line class=\"bridge\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" ",
                                    v[j].x, v[j].y, v[j + 1].x, v[j + 1].y);
                            stroke_style(f, colour, "1.5,2.5", 1.2);
                            fputs("/>\n", f);
                        }
                    } else {
                        fprintf(f, "<g class=\"markers %s g%d\">\n", kinds[k].head, g);
                        for (int t = i; t <= j; t++)
                            rf_svg_marker(f, group_marker(g, ng, k), v[t].x, v[t].y, pl->r, colour);
                        fputs("</g>\n", f);
                    }
                    i = j;
                }
            }
        }
    }
    fputs("</g>\n", f);
}

static void draw_legend(FILE *f, const plot *pl, const panel *p)
{
    fprintf(f, "<g class=\"legend\">\n<rect x=\"%.2f\" y=\"%.2f\" width=\"%.1f\" height=\"%.1f\" fill=\"white\" "
               "fill-opacity=\"0.9\" stroke=\"#c0c0c0\"/>\n",
            p->leg_x, p->leg_y, p->leg_w, p->leg_h);
    double y = p->leg_y + 12;
    for (int k = 0; k < KINDS; k++) {
        if (!p->has[k])
            continue;
        fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" ", p->leg_x + 7, y, p->leg_x + 33, y);
        stroke_style(f, kinds[k].colour, kinds[k].dash, 1.5);
        fputs("/>\n", f);
        rf_svg_marker(f, kinds[k].marker, p->leg_x + 20, y, 2.5, kinds[k].colour);
        fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"11\">%s</text>\n", p->leg_x + 40, y + 4, kinds[k].label);
        y += 16;
    }
    if (p->spread) {
        char note[64];
        spread_note(pl, note, sizeof note);
        band_swatch(f, p->leg_x + 7, y);
        fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"11\">", p->leg_x + 40, y + 4);
        rf_svg_text(f, note);
        fputs("</text>\n", f);
    }
    fputs("</g>\n", f);
}

static void draw_table(FILE *f, const plot *pl, const group_table *t, const char *group_key)
{
    int ng = pl->g.ng;
    fprintf(f, "<g class=\"legend\" id=\"groups\">\n<rect x=\"%.2f\" y=\"%.2f\" width=\"%.1f\" height=\"%.1f\" "
               "fill=\"white\" stroke=\"#c0c0c0\"/>\n",
            t->x, t->y, t->w, t->h);
    double y = t->y + 14;
    for (int c = 0; c < t->ncols; c++)
        fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"10\" fill=\"#404040\">%s</text>\n",
                t->x + 8 + (c + 0.5) * COL_W, y, kinds[t->cols[c]].head);
    for (int g = 0; g < ng; g++) {
        y += 16;
        for (int c = 0; c < t->ncols; c++) {
            int k = t->cols[c];
            char colour[8];
            kind_colour(colour, k, g, ng);
            double x0 = t->x + 8 + c * COL_W + 5, x1 = x0 + COL_W - 10;
            fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" ", x0, y - 4, x1, y - 4);
            stroke_style(f, colour, kinds[k].dash, 1.5);
            fputs("/>\n", f);
            rf_svg_marker(f, group_marker(g, ng, k), (x0 + x1) / 2, y - 4, 2.5, colour);
        }
        fprintf(f, "<text class=\"group\" x=\"%.2f\" y=\"%.2f\" font-size=\"11\">", t->x + 8 + t->ncols * COL_W + 6,
                y);
        group_label(f, group_key, group_point(pl, g)->group);
        fputs("</text>\n", f);
    }
    if (t->spread) {
        char note[64];
        spread_note(pl, note, sizeof note);
        y += 16;
        band_swatch(f, t->x + 8 + 5, y - 4);
        fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"11\">", t->x + 8 + 40, y);
        rf_svg_text(f, note);
        fputs("</text>\n", f);
    }
    fputs("</g>\n", f);
}

/* An x tick: the grid line, the mark below the frame. */
static void x_tick(FILE *f, const panel *p, double x, int labelled)
{
    if (labelled)
        rf_svg_line(f, x, p->top, x, p->bottom, RF_PLOT_GRID);
    rf_svg_line(f, x, p->bottom, x, p->bottom + (labelled ? 5 : 3), "black");
}

static void x_label_text(FILE *f, double x, double y, const char *text)
{
    fprintf(f, "<text class=\"xtick\" x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"11\">%s</text>\n", x, y,
            text);
}

static void draw_x_axis(FILE *f, const plot *pl, const panel *p)
{
    const xaxis *xa = &pl->x;
    double y = p->bottom + 18;
    if (xa->scale == X_CATEGORY) {
        for (int i = 0; i < xa->nx; i++) {
            int labelled = i % xa->every == 0;
            x_tick(f, p, xa->pos[i], labelled);
            if (!labelled)
                continue;
            if (xa->slanted) {
                double lx = xa->pos[i] + 4, ly = p->bottom + 14;
                fprintf(f, "<text class=\"xtick\" x=\"%.2f\" y=\"%.2f\" text-anchor=\"end\" font-size=\"11\" "
                           "transform=\"rotate(-45 %.2f %.2f)\">",
                        lx, ly, lx, ly);
            } else {
                fprintf(f, "<text class=\"xtick\" x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"11\">",
                        xa->pos[i], y);
            }
            if (isfinite(xa->rep[i]->x))
                fputs(xa->labels[i].text, f);
            else
                rf_svg_text_mid(f, text_or_empty(xa->rep[i]->x_text), xa->labels[i].chars);
            fputs("</text>\n", f);
        }
        return;
    }
    if (xa->value_labels) {
        for (int r = 0; r < xa->nx; r++) {
            int i = xa->order[r];
            x_tick(f, p, xa->pos[i], 1);
            x_label_text(f, xa->pos[i], y, xa->labels[i].text);
        }
        return;
    }
    rf_ticks ts;
    rf_axis_ticks(&xa->ax, &ts);
    ts.has_common = 0; /* on an x axis every label is whole */
    for (int i = 0; i < ts.n; i++) {
        double x = rf_axis_px(&xa->ax, ts.t[i].v);
        x_tick(f, p, x, ts.t[i].labelled);
        if (ts.t[i].labelled) {
            char text[160];
            rf_tick_label(&ts.t[i], &ts, text, sizeof text);
            x_label_text(f, x, y, text);
        }
    }
    if (xa->stub) {
        x_tick(f, p, LEFT + STUB / 2, 1);
        x_label_text(f, LEFT + STUB / 2, y, "0");
    }
}

/* The break of a log axis with a 0: the frame's top and bottom edges cut
 * by a pair of slashes. */
static void draw_break(FILE *f, const panel *p, double x)
{
    double edges[2] = {p->top, p->bottom};
    fputs("<g class=\"xbreak\">\n", f);
    for (int e = 0; e < 2; e++) {
        double y = edges[e];
        fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"6\" height=\"3\" fill=\"white\"/>\n", x - 3, y - 1.5);
        rf_svg_line(f, x - 5, y + 4, x - 1, y - 4, "black");
        rf_svg_line(f, x + 1, y + 4, x + 5, y - 4, "black");
    }
    fputs("</g>\n", f);
}

static void draw_panel(FILE *f, const plot *pl, const panel *p, vertex *v, const char *x_key, int last)
{
    fprintf(f, "<g class=\"panel\" id=\"%s\" data-xscale=\"%s\">\n", p->id, scale_names[pl->x.scale]);
    if (pl->x.nx > 0)
        draw_x_axis(f, pl, p);
    if (p->points > 0) {
        rf_svg_y_ticks(f, &p->y, p->left, p->right, p->top);
        draw_data(f, pl, p, v);
    } else {
        fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"12\" fill=\"#606060\">%s</text>\n",
                (p->left + p->right) / 2, (p->top + p->bottom) / 2, p->empty_text);
    }
    fprintf(f, "<rect class=\"frame\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"none\" "
               "stroke=\"black\"/>\n",
            p->left, p->top, p->right - p->left, p->bottom - p->top);
    if (pl->x.stub)
        draw_break(f, p, pl->x.break_px);
    double mid = (p->top + p->bottom) / 2;
    fprintf(f, "<text x=\"18\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"12\" transform=\"rotate(-90 18 %.2f)\">"
               "%s</text>\n",
            mid, mid, p->y_title);
    if (last) {
        fprintf(f, "<text class=\"xtitle\" x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"12\">",
                (p->left + p->right) / 2, p->bottom + pl->x.label_room + 20);
        rf_svg_text_mid(f, x_key ? x_key : "", TITLE_MAX);
        fputs("</text>\n", f);
    }
    if (p->legend && p->points > 0)
        draw_legend(f, pl, p);
    fputs("</g>\n", f);
}

static void setup_panel(panel *p, const char *id, const char *y_title, const char *empty_text, rf_sweep_value first,
                        int log, double top, double height)
{
    p->id = id;
    p->y_title = y_title;
    p->empty_text = empty_text;
    p->first = first;
    p->log = log;
    p->left = LEFT;
    p->right = RIGHT;
    p->top = top;
    p->bottom = top + height;
    p->y = (rf_axis){log, 0, 1, p->bottom, top, RF_PLOT_Y_GAP};
}

static void free_plot(plot *pl)
{
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < KINDS; k++)
            free(pl->panels[i].stats[k]);
    free_x(&pl->x);
    free(pl->g.index);
    free(pl->g.start);
}

static int out_of_memory(char *err, size_t errlen)
{
    snprintf(err, errlen, "out of memory");
    return -1;
}

int rf_plot_sweep_svg(const char *path, const char *title, const char *x_key, const char *group_key,
                      const rf_sweep_point *points, int n, int classification, char *err, size_t errlen)
{
    if (!points || n < 0)
        n = 0;
    plot pl;
    memset(&pl, 0, sizeof pl);
    pl.points = points;
    pl.np = classification ? 2 : 1;
    setup_panel(&pl.panels[0], "loss", "loss", "no finite positive loss values to plot", RF_SWEEP_TRAIN_LOSS, 1,
                FIRST_TOP, pl.np == 2 ? LOSS_HEIGHT : SINGLE_HEIGHT);
    if (pl.np == 2)
        setup_panel(&pl.panels[1], "accuracy", "accuracy", "no accuracy values to plot", RF_SWEEP_TRAIN_ACC, 0, 0,
                    ACC_HEIGHT);
    for (int i = 0; i < pl.np; i++) {
        for (int k = 0; k < KINDS; k++) {
            panel *p = &pl.panels[i];
            p->stats[k] = calloc((size_t)(n > 0 ? n : 1), sizeof *p->stats[k]);
            if (!p->stats[k]) {
                free_plot(&pl);
                return out_of_memory(err, errlen);
            }
            pl.m = rf_sweep_aggregate(points, n, (rf_sweep_value)(p->first + k), p->stats[k]);
        }
    }
    vertex *v = calloc((size_t)(pl.m > 0 ? pl.m : 1), sizeof *v);
    if (!v || setup_x(&pl.x, points, pl.panels[0].stats[0], pl.m, RIGHT + RIGHT_PAD) != 0 ||
        setup_groups(&pl.g, pl.panels[0].stats[0], pl.m, &pl.x) != 0) {
        free(v);
        free_plot(&pl);
        return out_of_memory(err, errlen);
    }
    pl.r = pl.x.nx > 30 ? 2 : pl.x.nx > 12 ? 2.5 : 3;
    pl.same_seeds = -1;
    for (int i = 0; i < pl.np; i++)
        for (int k = 0; k < KINDS; k++)
            for (int j = 0; j < pl.m; j++) {
                int s = pl.panels[i].stats[k][j].seeds;
                if (s > 0)
                    pl.same_seeds = pl.same_seeds < 0 || pl.same_seeds == s ? s : 0;
            }

    /* the frames below the x labels of the one above, then the y ranges and legends */
    if (pl.np == 2) {
        panel *acc = &pl.panels[1];
        setup_panel(acc, acc->id, acc->y_title, acc->empty_text, acc->first, 0,
                    pl.panels[0].bottom + pl.x.label_room + BELOW_LABELS, ACC_HEIGHT);
    }
    for (int i = 0; i < pl.np; i++) {
        fit_panel_y(&pl, &pl.panels[i]);
        if (pl.g.ng <= 1 && pl.panels[i].points > 0)
            place_legend(&pl, &pl.panels[i], v);
    }
    group_table table;
    memset(&table, 0, sizeof table);
    double width = RIGHT + RIGHT_PAD, height = pl.panels[pl.np - 1].bottom + pl.x.label_room + 36;
    if (pl.g.ng > 1) {
        setup_table(&table, &pl, group_key);
        width = table.x + table.w + RIGHT_PAD;
        height = fmax(height, table.y + table.h + 12);
    }

    rf_atomic_file af;
    if (rf_atomic_open(&af, path, err, errlen) != 0) {
        free(v);
        free_plot(&pl);
        return -1;
    }
    FILE *f = af.f;
    int w = (int)ceil(width), h = (int)ceil(height);
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" %s>\n", w,
            h, w, h, RF_PLOT_FONT);
    fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", w, h);
    fprintf(f, "<text class=\"title\" x=\"%.2f\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">",
            (LEFT + RIGHT) / 2);
    rf_svg_text(f, title ? title : "");
    fputs("</text>\n", f);
    for (int i = 0; i < pl.np; i++)
        draw_panel(f, &pl, &pl.panels[i], v, x_key, i == pl.np - 1);
    if (pl.g.ng > 1)
        draw_table(f, &pl, &table, group_key);
    fputs("</svg>\n", f);
    free(v);
    free_plot(&pl);
    return rf_atomic_commit(&af, err, errlen);
}

/* ---- curves.svg ---- */

#define CURVES_HEIGHT 246.0
#define ROW_H 15.0 /* a legend entry */

static const char *const palette[10] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                        "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

/* The bytes of label before a trailing ", seed N" (all of it without one). */
static size_t stem_length(const char *label)
{
    const char *cut = NULL;
    for (const char *p = strstr(label, ", seed "); p; p = strstr(p + 1, ", seed "))
        cut = p;
    if (!cut)
        return strlen(label);
    const char *digits = cut + 7;
    size_t n = strspn(digits, "0123456789");
    return n > 0 && digits[n] == '\0' ? (size_t)(cut - label) : strlen(label);
}

typedef struct {
    char *text; /* the label without ", seed N" (malloc'ed) */
    int curves;
    char colour[8];
} entry;

typedef struct {
    const rf_sweep_curve *curves;
    int n;
    int *entry_of; /* per curve */
    entry *entries;
    int ne;
    rf_axis x, y;
    double left, top, right, bottom;
    int points;
    double width;     /* of the curves' lines */
    int cols, rows;   /* of the legend */
    double col_w, leg_x, leg_y, leg_w, leg_h;
    int note;         /* a line above the entries on the seeds */
    size_t label_max; /* characters of an entry's label */
    int same_count;   /* curves per entry when all have as many, else 0 */
} curves_plot;

static int plottable_loss(double v) { return isfinite(v) && v > 0; }

static int has_points(const rf_sweep_curve *c)
{
    for (int r = 0; c->rows && r < c->n; r++)
        if (plottable_loss(c->rows[r].test_loss))
            return 1;
    return 0;
}

/* An entry per distinct label without its seed, of the curves with a
 * point to draw (the others have entry -1). */
static int setup_entries(curves_plot *cp)
{
    cp->entry_of = calloc((size_t)(cp->n > 0 ? cp->n : 1), sizeof *cp->entry_of);
    cp->entries = calloc((size_t)(cp->n > 0 ? cp->n : 1), sizeof *cp->entries);
    if (!cp->entry_of || !cp->entries)
        return -1;
    for (int i = 0; i < cp->n; i++) {
        cp->entry_of[i] = -1;
        if (!has_points(&cp->curves[i]))
            continue;
        const char *label = cp->curves[i].label ? cp->curves[i].label : "(no label)";
        size_t len = stem_length(label);
        int e = 0;
        while (e < cp->ne && !(strlen(cp->entries[e].text) == len && memcmp(cp->entries[e].text, label, len) == 0))
            e++;
        if (e == cp->ne) {
            char *text = malloc(len + 1);
            if (!text)
                return -1;
            memcpy(text, label, len);
            text[len] = '\0';
            cp->entries[cp->ne++] = (entry){text, 0, ""};
        }
        cp->entries[e].curves++;
        cp->entry_of[i] = e;
    }
    cp->same_count = cp->ne > 0 ? cp->entries[0].curves : 0;
    for (int e = 0; e < cp->ne; e++) {
        if (cp->entries[e].curves != cp->same_count)
            cp->same_count = 0;
        if (cp->ne <= 10)
            snprintf(cp->entries[e].colour, 8, "%s", palette[e]);
        else
            hsl(cp->entries[e].colour, 360.0 * e / cp->ne, 0.7, e % 2 ? 0.36 : 0.5);
    }
    return 0;
}

static void free_entries(curves_plot *cp)
{
    for (int e = 0; e < cp->ne; e++)
        free(cp->entries[e].text);
    free(cp->entries);
    free(cp->entry_of);
}

/* The ranges: all epochs (as loss.svg), the plottable test losses. */
static void fit_curves(curves_plot *cp)
{
    double xlo = INFINITY, xhi = -INFINITY, lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < cp->n; i++) {
        const rf_sweep_curve *c = &cp->curves[i];
        for (int r = 0; c->rows && r < c->n; r++) {
            xlo = fmin(xlo, c->rows[r].epoch);
            xhi = fmax(xhi, c->rows[r].epoch);
            double v = c->rows[r].test_loss;
            if (!plottable_loss(v))
                continue;
            lo = fmin(lo, log10(v));
            hi = fmax(hi, log10(v));
            cp->points++;
        }
    }
    if (!isfinite(xlo)) {
        xlo = 0;
        xhi = 1;
    }
    double m = xhi > xlo ? fmax(0.25, 0.06 * (xhi - xlo)) : 0.5;
    cp->x = (rf_axis){0, xlo - m, xhi + m, cp->left, cp->right, 0};
    cp->y = (rf_axis){1, 0, 1, cp->bottom, cp->top, RF_PLOT_Y_GAP};
    if (cp->points > 0)
        rf_axis_fit(&cp->y, lo, hi);
}

/* The legend's line on the seeds. */
static void seeds_note(const curves_plot *cp, char *out, size_t len)
{
    if (cp->same_count > 1)
        snprintf(out, len, "a line per seed, %d seeds each", cp->same_count);
    else
        snprintf(out, len, "a line per seed");
}

/* The legend right of the frame: entries in columns of at most as many
 * rows as fit the frame's height. */
static void setup_curves_legend(curves_plot *cp)
{
    for (int e = 0; e < cp->ne; e++)
        cp->note |= cp->entries[e].curves > 1;
    char note[64];
    seeds_note(cp, note, sizeof note);
    double note_w = cp->note ? rf_text_width(note, 0, 10) + 4 : 0;
    int fit = (int)floor((cp->bottom - cp->top - 8 - (cp->note ? ROW_H : 0)) / ROW_H);
    cp->cols = (cp->ne + fit - 1) / fit;
    cp->rows = (cp->ne + cp->cols - 1) / cp->cols;
    cp->label_max = cp->cols > 1 ? COLUMNS_LABEL_MAX : LABEL_MAX; /* more columns: shorter labels */
    double longest = 0;
    for (int e = 0; e < cp->ne; e++)
        longest = fmax(longest, rf_text_width_mid(cp->entries[e].text, cp->label_max, 11));
    cp->col_w = 36 + longest + 10;
    cp->leg_x = cp->right + OUTSIDE_GAP;
    cp->leg_y = cp->top;
    cp->leg_w = fmax(cp->cols * cp->col_w + 4, note_w + 12);
    cp->leg_h = 8 + ROW_H * (cp->rows + cp->note);
}

static void draw_curves_legend(FILE *f, const curves_plot *cp)
{
    fprintf(f, "<g class=\"legend\" id=\"entries\">\n<rect x=\"%.2f\" y=\"%.2f\" width=\"%.1f\" height=\"%.1f\" "
               "fill=\"white\" stroke=\"#c0c0c0\"/>\n",
            cp->leg_x, cp->leg_y, cp->leg_w, cp->leg_h);
    double top = cp->leg_y + 4 + ROW_H / 2;
    if (cp->note) {
        char note[64];
        seeds_note(cp, note, sizeof note);
        fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"10\" fill=\"#404040\">%s</text>\n", cp->leg_x + 8,
                top + 4, note);
        top += ROW_H;
    }
    for (int e = 0; e < cp->ne; e++) {
        const entry *en = &cp->entries[e];
        double x = cp->leg_x + 4 + (e / cp->rows) * cp->col_w, y = top + (e % cp->rows) * ROW_H;
        fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\" stroke-width=\"2\"/>\n", x + 4,
                y, x + 30, y, en->colour);
        fprintf(f, "<text class=\"entry\" x=\"%.2f\" y=\"%.2f\" font-size=\"11\">", x + 36, y + 4);
        rf_svg_text_mid(f, en->text, cp->label_max);
        fputs("</text>\n", f);
    }
    fputs("</g>\n", f);
}

static void draw_curves_data(FILE *f, const curves_plot *cp)
{
    fputs("<g class=\"data\">\n", f);
    for (int i = 0; i < cp->n; i++) {
        const rf_sweep_curve *c = &cp->curves[i];
        if (cp->entry_of[i] < 0)
            continue;
        const char *colour = cp->entries[cp->entry_of[i]].colour;
        int rows = c->rows ? c->n : 0;
        for (int r = 0; r < rows; r++) {
            if (!plottable_loss(c->rows[r].test_loss))
                continue;
            int s = r;
            while (r + 1 < rows && plottable_loss(c->rows[r + 1].test_loss))
                r++;
            if (s == r) { /* a lone point: a dot */
                fprintf(f, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"2.0\" fill=\"%s\"/>\n",
                        rf_axis_px(&cp->x, c->rows[s].epoch), rf_axis_px(&cp->y, c->rows[s].test_loss), colour);
                continue;
            }
            fprintf(f, "<polyline class=\"curve e%d\" fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\" "
                       "stroke-opacity=\"0.85\" points=\"",
                    cp->entry_of[i], colour, cp->width);
            for (int t = s; t <= r; t++)
                fprintf(f, "%s%.2f,%.2f", t > s ? " " : "", rf_axis_px(&cp->x, c->rows[t].epoch),
                        rf_axis_px(&cp->y, c->rows[t].test_loss));
            fputs("\"/>\n", f);
        }
    }
    fputs("</g>\n", f);
}

int rf_plot_sweep_curves_svg(const char *path, const char *title, const rf_sweep_curve *curves, int n, char *err,
                             size_t errlen)
{
    curves_plot cp;
    memset(&cp, 0, sizeof cp);
    cp.curves = curves;
    cp.n = curves && n > 0 ? n : 0;
    cp.left = LEFT;
    cp.right = RIGHT;
    cp.top = FIRST_TOP;
    cp.bottom = FIRST_TOP + CURVES_HEIGHT;
    if (setup_entries(&cp) != 0) {
        free_entries(&cp);
        return out_of_memory(err, errlen);
    }
    fit_curves(&cp);
    cp.width = cp.same_count == 1 ? 1.5 : 1.0;
    double width = RIGHT + RIGHT_PAD, height = cp.bottom + 54;
    if (cp.points > 0 && cp.ne > 0) {
        setup_curves_legend(&cp);
        width = cp.leg_x + cp.leg_w + RIGHT_PAD;
        height = fmax(height, cp.leg_y + cp.leg_h + 12);
    }

    rf_atomic_file af;
    if (rf_atomic_open(&af, path, err, errlen) != 0) {
        free_entries(&cp);
        return -1;
    }
    FILE *f = af.f;
    int w = (int)ceil(width), h = (int)ceil(height);
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" %s>\n", w,
            h, w, h, RF_PLOT_FONT);
    fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", w, h);
    fprintf(f, "<text class=\"title\" x=\"%.2f\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">",
            (LEFT + RIGHT) / 2);
    rf_svg_text(f, title ? title : "");
    fputs("</text>\n", f);
    fputs("<g class=\"panel\" id=\"test_loss\">\n", f);
    int any_rows = 0;
    for (int i = 0; i < cp.n; i++)
        any_rows |= curves[i].rows && curves[i].n > 0;
    if (any_rows) {
        double step = rf_epoch_step(cp.x.lo, cp.x.hi, cp.right - cp.left);
        for (double i = ceil(cp.x.lo / step); i * step <= cp.x.hi; i++) {
            double e = i * step + 0.0, x = rf_axis_px(&cp.x, e); /* + 0.0: never a "-0" */
            char text[32];
            snprintf(text, sizeof text, "%.0f", e);
            x_tick(f, &(panel){.top = cp.top, .bottom = cp.bottom}, x, 1);
            x_label_text(f, x, cp.bottom + 18, text);
        }
    }
    if (cp.points > 0) {
        rf_svg_y_ticks(f, &cp.y, cp.left, cp.right, cp.top);
        draw_curves_data(f, &cp);
    } else {
        fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"12\" fill=\"#606060\">"
                   "no finite positive test loss values to plot</text>\n",
                (cp.left + cp.right) / 2, (cp.top + cp.bottom) / 2);
    }
    fprintf(f, "<rect class=\"frame\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"none\" "
               "stroke=\"black\"/>\n",
            cp.left, cp.top, cp.right - cp.left, cp.bottom - cp.top);
    double mid = (cp.top + cp.bottom) / 2;
    fprintf(f, "<text x=\"18\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"12\" transform=\"rotate(-90 18 %.2f)\">"
               "test loss</text>\n",
            mid, mid);
    fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"12\">epoch</text>\n",
            (cp.left + cp.right) / 2, cp.bottom + 38);
    fputs("</g>\n", f);
    if (cp.points > 0 && cp.ne > 0)
        draw_curves_legend(f, &cp);
    fputs("</svg>\n", f);
    free_entries(&cp);
    return rf_atomic_commit(&af, err, errlen);
}
