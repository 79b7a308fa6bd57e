/* What the SVG plots (loss.svg, the sweep's curve.svg and curves.svg) share:
 * an axis that maps values to pixels, its range fitted to the data, its
 * ticks and their labels, the legend's place off the data, and the small
 * pieces of SVG text (escaped text, lines, markers). Runtime-internal: the
 * plots' own headers are the interface. */
#ifndef RF_PLOT_AXES_H
#define RF_PLOT_AXES_H

#include <stddef.h>
#include <stdio.h>

#define RF_PLOT_FONT "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\""
#define RF_PLOT_GRID "#e0e0e0"
#define RF_PLOT_INSET 8.0   /* a legend's distance from its frame */
#define RF_PLOT_Y_GAP 15.0  /* least pixels between two y tick labels (11 px text) */
#define RF_MAX_TICKS 160

/* A linear or log axis: the range lo..hi (values, or their log10 on a log
 * axis) drawn from pixel p_lo to pixel p_hi (a y axis: from the frame's
 * bottom to its top). */
typedef struct {
    int log;
    double lo, hi;
    double p_lo, p_hi;
    double gap; /* least pixels between two labelled ticks */
} rf_axis;

/* The pixel of value v (not its log10). */
double rf_axis_px(const rf_axis *a, double v);

/* Sets the range from the data's lo..hi (log10 of the values on a log
 * axis) with a margin on both sides, so that no point lies on the frame;
 * a flat span gets a range around it. */
void rf_axis_fit(rf_axis *a, double lo, double hi);

/* Grows the range at its hi end so that frac of the axis's pixels are
 * free above the data (room for a legend). */
void rf_axis_grow_hi(rf_axis *a, double frac);

typedef struct {
    double v;     /* the value (not its log10) */
    int exp;      /* the power of ten of its label's last digit */
    int labelled; /* else a minor tick */
} rf_tick;

typedef struct {
    rf_tick t[RF_MAX_TICKS];
    int n;
    int sci;        /* labels as M x 10^k, not as plain decimals */
    int has_common; /* with sci: every label's 10^common written once, above the axis */
    int common;
} rf_ticks;

/* The axis's ticks, in ascending order, labels at least a->gap apart. A
 * log axis: decades when three or more are in range, else the sparsest of
 * 1,2,5 / 1,2,3,5 / 1..9 x 10^k giving three labels, else a round step. A
 * linear axis: the smallest round step (1, 2, 5 x 10^j) giving at most 7
 * labels. */
void rf_axis_ticks(const rf_axis *a, rf_ticks *ts);

/* A tick's label as SVG text content: a plain decimal with the tick's
 * digits, 10^k, or M x 10^k (the exponent raised in a tspan); with a
 * common power of ten, the mantissa alone. Never "-0". */
void rf_tick_label(const rf_tick *t, const rf_ticks *ts, char *out, size_t len);

/* A number's text (as printf wrote it) with its minus as U+2212, and none
 * on a zero ("-0.00"). */
void rf_signed_text(char *out, size_t len, const char *num);

/* The y axis's grid lines across left..right, tick marks and labels left
 * of the frame, and the common power of ten above it (at top). */
void rf_svg_y_ticks(FILE *f, const rf_axis *a, double left, double right, double top);

/* Epoch ticks at whole numbers for the range lo..hi over width pixels:
 * the smallest step of 1, 2 or 5 x 10^j giving at most 8 ticks with room
 * between their labels. */
double rf_epoch_step(double lo, double hi, double width);

/* Whether the segment (x0,y0)-(x1,y1) meets the box [bx0,bx1] x [by0,by1]. */
int rf_segment_meets_box(double x0, double y0, double x1, double y1, double bx0, double by0, double bx1, double by1);

/* How much data the box (x, y, w, h) would cover (0: none). */
typedef int (*rf_cover_fn)(const void *ctx, double x, double y, double w, double h);

/* Puts a w x h legend inside the frame in the first place that covers
 * nothing: the corners (top right first), then the middles of the top and
 * bottom edges and of the sides; else where it covers least. Returns 1
 * when it covers nothing. */
int rf_legend_place(double left, double top, double right, double bottom, double w, double h, rf_cover_fn covered,
                    const void *ctx, double *x, double *y);

/* Text escaped for XML: the five specials as entities; control characters
 * and bytes that are not UTF-8 as '?'. */
void rf_svg_text(FILE *f, const char *text);

/* The same, cut to at most max characters: a longer text keeps its first
 * max - 1 and ends with an ellipsis. */
void rf_svg_text_max(FILE *f, const char *text, size_t max);

/* The same, cut in the middle: the first and last characters, an
 * ellipsis between them (where values that differ tend to differ). */
void rf_svg_text_mid(FILE *f, const char *text, size_t max);

/* The characters of text, at most max (no limit when max is 0): what
 * rf_svg_text_max and rf_svg_text_mid write before an ellipsis. Each byte
 * that is not UTF-8 counts as one. */
size_t rf_text_chars(const char *text, size_t max);

/* The width in pixels text takes at font_px, estimated from the advances
 * of DejaVu Sans (the plots' first font; the others are narrower), each
 * character that is not ASCII as a wide letter. The first max characters
 * only when max is not 0. */
double rf_text_width(const char *text, size_t max, double font_px);

/* The width of what rf_svg_text_mid(text, max) writes. */
double rf_text_width_mid(const char *text, size_t max, double font_px);

void rf_svg_line(FILE *f, double x1, double y1, double x2, double y2, const char *colour);

enum { RF_MARK_CIRCLE, RF_MARK_SQUARE, RF_MARK_TRIANGLE, RF_MARK_DIAMOND, RF_MARK_TRIANGLE_DOWN, RF_MARK_COUNT };

/* A filled marker of radius r centred at x, y. */
void rf_svg_marker(FILE *f, int kind, double x, double y, double r, const char *colour);

#endif
