/* loss.svg of a run: the losses against epoch on a log y axis, like d2l's
 * semilogy figures, and for classification the accuracies below them on a
 * linear axis (the picture of d2l's dropout chapter). Each panel has its
 * ticks, grid, axis titles and a legend where it covers no data; one
 * coloured line with markers per curve: train (blue, circles), validation
 * (orange, triangles; only when there is validation data), test (magenta,
 * squares). */
#ifndef RF_PLOT_SVG_H
#define RF_PLOT_SVG_H

#include <stddef.h>

#include "metrics_csv.h"

/* Plots rows[i].train_loss, .valid_loss and .test_loss against .epoch and,
 * when classification is not 0, .train_acc, .valid_acc and .test_acc in a
 * second panel. The y ranges fit the data with a margin (no point lies on
 * a frame). Points that cannot be plotted (NaN or infinite; for a loss also
 * zero or negative) are left out and the line breaks there; a curve with no
 * point at all is not drawn and has no legend entry; a panel with no point
 * is still drawn and says so. The title is escaped for XML. Written
 * atomically. Returns 0, or -1 with a message in err. */
int rf_plot_loss_svg(const char *path, const char *title, const rf_metrics_row *rows, int n, int classification,
                     char *err, size_t errlen);

#endif
