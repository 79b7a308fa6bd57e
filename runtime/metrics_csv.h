/* metrics.csv of a run (SPEC section 2): one row per epoch under the header
 * epoch,train_loss,test_loss,train_acc,test_acc,seconds
 * The trainer rewrites the whole file (atomically) after every epoch. */
#ifndef RF_METRICS_CSV_H
#define RF_METRICS_CSV_H

#include <stddef.h>

typedef struct {
    int epoch;
    double train_loss, test_loss, train_acc, test_acc; /* NaN: an empty cell */
    double seconds;                                    /* wall time of the epoch; NaN: empty */
} rf_metrics_row;

/* Writes the rows to path atomically: losses and accuracies with %.9g,
 * seconds with %.3f. Returns 0, or -1 with a message in err. */
int rf_metrics_write(const char *path, const rf_metrics_row *rows, int n, char *err, size_t errlen);

#endif
