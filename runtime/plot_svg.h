/* loss.svg of a run: train and test loss against epoch on a log y axis,
 * like d2l's semilogy figures (decade ticks labelled 10^k, minor ticks,
 * grid, axis titles, legend, one coloured line with markers per curve). */
#ifndef RF_PLOT_SVG_H
#define RF_PLOT_SVG_H

#include <stddef.h>

#include "metrics_csv.h"

/* Plots rows[i].train_loss and .test_loss against .epoch. Points that are
 * NaN, infinite or not positive are left out (the line breaks there); with
 * no point at all the file is still a valid SVG that says so. The title is
 * escaped for XML. Written atomically. Returns 0, or -1 with a message. */
int rf_plot_loss_svg(const char *path, const char *title, const rf_metrics_row *rows, int n, char *err,
                     size_t errlen);

#endif
