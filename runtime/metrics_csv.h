/* metrics.csv of a run (SPEC section 2): one row per epoch under the header
 * epoch,train_loss,test_loss,train_acc,test_acc,seconds,valid_loss,valid_acc,lr
 * The trainer rewrites the whole file (atomically) after every epoch; a
 * resumed run reads it back (rf_metrics_read) and goes on appending. */
#ifndef RF_METRICS_CSV_H
#define RF_METRICS_CSV_H

#include <stddef.h>

typedef struct {
    int epoch;
    double train_loss, test_loss, train_acc, test_acc; /* NaN: an empty cell */
    double seconds;                                    /* wall time of the epoch; NaN: empty */
    double valid_loss, valid_acc;                      /* NaN without validation */
    double lr;                                         /* the epoch's learning rate; NaN: empty */
} rf_metrics_row;

/* The header line, without the newline. */
#define RF_METRICS_HEADER "epoch,train_loss,test_loss,train_acc,test_acc,seconds,valid_loss,valid_acc,lr"

/* Rounds every value of the row except seconds to what metrics.csv holds
 * (%.9g; lr %.9g too): the trainer decides (early stopping) on the rounded
 * values, so a run resumed from metrics.csv decides exactly as one that
 * was never interrupted. */
void rf_metrics_round(rf_metrics_row *r);

/* Writes the rows to path atomically: losses, accuracies and lr with %.9g,
 * seconds with %.6f. Returns 0, or -1 with a message in err. */
int rf_metrics_write(const char *path, const rf_metrics_row *rows, int n, char *err, size_t errlen);

/* Reads a metrics.csv written by rf_metrics_write (this header, or the
 * v0.1 header without the last three columns). *rows is malloc'ed (free
 * it); *n its count. Returns 0, or -1 with "PATH:LINE: ..." in err. */
int rf_metrics_read(const char *path, rf_metrics_row **rows, int *n, char *err, size_t errlen);

#endif
