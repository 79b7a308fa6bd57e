/* The plots of a sweep (SPEC 6): curve.svg, the final losses (and
 * accuracies) of the points against the first swept key, and curves.svg,
 * every point's test loss against epoch. Same look as loss.svg: frames
 * with ticks and grid, the colours train blue, validation orange, test
 * magenta, legends that cover no data. */
#ifndef RF_PLOT_SWEEP_H
#define RF_PLOT_SWEEP_H

#include <stddef.h>

#include "metrics_csv.h"

/* One point of a sweep, final values (NaN when absent). */
typedef struct {
    const char *x_text; /* the first swept key's value as given ("0.01", "3", "{cosine: ...}") */
    double x;           /* that value as a number, NaN when it is not one */
    const char *group;  /* the second swept key's value text, or NULL when only one key is swept */
    unsigned long long seed;
    double train_loss, valid_loss, test_loss, train_acc, valid_acc, test_acc;
} rf_sweep_point;

/* curve.svg (SPEC 6): final train, test (and validation, when any is finite) loss against the first
 * swept key, the mean over the seeds of each (x, group) with the spread (min..max over seeds) drawn
 * as a shaded band or error bars; log x when all numeric x are >= 0, the positive ones span a decade
 * or more (max/min_positive >= 10); a 0 value still shown (a broken-axis stub left of the log range,
 * labelled 0); non-numeric x values as evenly spaced categories in the given order; one curve set per
 * distinct group (same colour family per loss kind, distinguished per group by colour with a legend
 * saying "KEY2=VALUE"); log y for losses; for classification a second panel with accuracy (linear y).
 * Points in any order; x values appear in order of first appearance for categories. Title and key
 * names XML-escaped. Written atomically (common/atomic_file.h). Returns 0 or -1 with a message.
 *
 * Details: the x axis is categorical as soon as one x is not finite. Two
 * points have the same x when both x are finite and equal, or else when
 * their x_text are equal (NULL reads as ""); the same group when their
 * group texts are equal (NULL only with NULL). Losses that are not finite
 * and positive, and accuracies that are not finite, are left out of the
 * mean and spread; an (x, group) with none left is not drawn and its
 * curve breaks there. Band or error bar only where two or more seeds
 * differ; on a category axis always error bars, the series (group, then
 * loss kind) side by side. Groups in order of first appearance. One group
 * (every group NULL): the legend is inside the frame, off the data,
 * entries train / validation / test and the band's "min-max, N seeds";
 * more groups: a table right of the frames, a row per group
 * ("KEY2=VALUE", the key cut in the middle to 20 characters and the whole
 * to 40), a column per loss kind. The x labels are the x values when they
 * fit (numbers formatted from x, never "-0"; other categories their
 * x_text, cut in the middle to fit, slanted when they do not fit level),
 * else round ticks. The strings are only read during the call. */
int rf_plot_sweep_svg(const char *path, const char *title, const char *x_key, const char *group_key,
                      const rf_sweep_point *points, int n, int classification, char *err, size_t errlen);

/* One point's run, for curves.svg. */
typedef struct {
    const char *label;          /* e.g. "decay.0.l2=3, seed 1" */
    const rf_metrics_row *rows; /* its metrics.csv rows */
    int n;
} rf_sweep_curve;

/* curves.svg: the test loss of every point against epoch on one semilog plot, each curve labelled
 * (a legend, or labels at the curve ends; with many curves (35) keep it readable: e.g. colour by the
 * first key's value with one legend entry per value and thin lines per seed, or direct labels).
 * Written atomically. Returns 0 or -1.
 *
 * Details: curves whose labels are equal once a trailing ", seed N" is cut
 * off (the seeds of one point of the grid) share a colour and one legend
 * entry, labelled without the seed; they are drawn as thin lines. Entries
 * in order of first appearance, in a legend right of the frame (in
 * columns when there are many; labels cut in the middle to 48 characters,
 * 28 with several columns); a NULL label reads "(no label)". Test losses
 * that are not finite and positive are left out and the line breaks
 * there; a point with neighbours on neither side gets a dot; a curve
 * without any point has no legend entry. The strings are only read
 * during the call. */
int rf_plot_sweep_curves_svg(const char *path, const char *title, const rf_sweep_curve *curves, int n, char *err,
                             size_t errlen);

/* ---- the aggregation behind curve.svg, for tests and callers ---- */

/* Which final value of a point. */
typedef enum {
    RF_SWEEP_TRAIN_LOSS,
    RF_SWEEP_VALID_LOSS,
    RF_SWEEP_TEST_LOSS,
    RF_SWEEP_TRAIN_ACC,
    RF_SWEEP_VALID_ACC,
    RF_SWEEP_TEST_ACC,
} rf_sweep_value;

/* One value of one (x, group) over its seeds. */
typedef struct {
    int point;       /* the first point of this (x, group), an index into points */
    int x_index;     /* its x among the distinct x values, in order of first appearance */
    int group_index; /* its group among the distinct groups, in order of first appearance */
    int seeds;       /* points of this (x, group) with a usable value */
    double mean, min, max; /* over those points; NaN when seeds is 0 */
} rf_sweep_stat;

/* Groups points by (x, group) as curve.svg does and computes the mean,
 * min and max of the value over each group's points, leaving out values
 * that cannot be plotted (losses not finite and positive, accuracies not
 * finite). stats must have room for n entries; they come in order of
 * first appearance. Returns their count (0 when n <= 0 or points is
 * NULL). */
int rf_sweep_aggregate(const rf_sweep_point *points, int n, rf_sweep_value value, rf_sweep_stat *stats);

#endif
