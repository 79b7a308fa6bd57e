/* The training protocol of SPEC 1b, as pure functions of the model file's
 * train section: the validation split, the learning rate of an epoch, and
 * early stopping. Nothing here depends on how far a run got before it was
 * interrupted, so a resumed run recomputes exactly what the first run did. */
#ifndef RF_PROTOCOL_H
#define RF_PROTOCOL_H

#include "metrics_csv.h"
#include "model.h"

#include <stdint.h>

/* The split of n training samples: a permutation keyed by the seed
 * (rf_key(seed, RF_STREAM_SPLIT, 0, i) draws, Fisher-Yates), whose last
 * round(fraction * n) entries are held out. Both index lists come out in
 * ascending order; with fraction 0, train is 0..n-1 and valid is empty.
 * train and valid need room for n entries each. */
void rf_split(int n, double fraction, uint64_t seed, int *train, int *n_train, int *valid, int *n_valid);

/* Held-out samples of a training set of n: round(fraction * n). */
int rf_split_count(int n, double fraction);

/* The learning rate of epoch e (1-based) for base rate lr0 (SPEC 1b). */
double rf_schedule_lr(const rf_train *t, double lr0, int epoch);

/* 1 when the epoch line should show the lr (a schedule or warm-up). */
int rf_schedule_varies(const rf_train *t);

/* Early stopping: the best monitored value so far and its epoch. */
typedef struct {
    int maximise;       /* valid_acc: higher is better */
    double min_delta;
    int patience;
    double best;        /* NaN before the first epoch */
    int best_epoch;     /* 0 before the first epoch */
} rf_early_stop;

void rf_early_stop_init(rf_early_stop *es, const rf_train *t);

/* Takes epoch's monitored value. Returns 1 when it improved on the best by
 * more than min_delta (the first finite value always does); NaN never does. */
int rf_early_stop_update(rf_early_stop *es, int epoch, double value);

/* The monitored value of a metrics row (valid_loss or valid_acc). */
double rf_early_stop_value(const rf_train *t, const rf_metrics_row *r);

/* Takes rows[0..n) as update would have, epoch by epoch (a resumed run
 * recovers its state from metrics.csv). */
void rf_early_stop_replay(rf_early_stop *es, const rf_train *t, const rf_metrics_row *rows, int n);

/* 1 when patience epochs have passed since the best one. */
int rf_early_stop_done(const rf_early_stop *es, int epoch);

#endif
