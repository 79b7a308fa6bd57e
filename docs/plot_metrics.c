/* plot_metrics METRICS.csv OUT.svg [TITLE]: draws a run's loss.svg again
 * from its metrics.csv, as the trainer does (docs/render_plots.sh builds
 * and runs it). A file with any accuracy is plotted as classification. */
#include "metrics_csv.h"
#include "plot_svg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: plot_metrics METRICS.csv OUT.svg [TITLE]\n");
        return 2;
    }
    char err[4200];
    rf_metrics_row *rows;
    int n;
    if (rf_metrics_read(argv[1], &rows, &n, err, sizeof err) != 0) {
        fprintf(stderr, "plot_metrics: %s\n", err);
        return 1;
    }
    int classification = 0;
    for (int i = 0; i < n; i++)
        classification |= !isnan(rows[i].train_acc) || !isnan(rows[i].test_acc) || !isnan(rows[i].valid_acc);
    int rc = rf_plot_loss_svg(argv[2], argc == 4 ? argv[3] : "", rows, n, classification, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "plot_metrics: %s\n", err);
    free(rows);
    return rc == 0 ? 0 : 1;
}
