/* The training protocol (see protocol.h). */
#include "protocol.h"

#include "rf_random.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RF_PI 3.14159265358979323846

int rf_split_count(int n, double fraction) { return (int)lround(fraction * (double)n); }

static int ascending(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

void rf_split(int n, double fraction, uint64_t seed, int *train, int *n_train, int *valid, int *n_valid)
{
    int held = fraction > 0 ? rf_split_count(n, fraction) : 0;
    /* the permutation is built in train[] and its tail moved to valid[] */
    for (int i = 0; i < n; i++)
        train[i] = i;
    if (held > 0)
        for (int i = n - 1; i > 0; i--) {
            int j = (int)(rf_key(seed, RF_STREAM_SPLIT, 0, (uint64_t)i) % (uint64_t)(i + 1));
            int t = train[i];
            train[i] = train[j];
            train[j] = t;
        }
    memcpy(valid, train + (n - held), sizeof(int) * (size_t)held);
    qsort(train, (size_t)(n - held), sizeof(int), ascending);
    qsort(valid, (size_t)held, sizeof(int), ascending);
    *n_train = n - held;
    *n_valid = held;
}

double rf_schedule_lr(const rf_train *t, double lr0, int e)
{
    int W = t->warmup_epochs;
    if (e <= W)
        return lr0 * e / W;
    int s = e - W;
    switch (t->schedule) {
    case RF_SCHED_STEP:
        return lr0 * pow(t->gamma, (double)((s - 1) / t->step_every));
    case RF_SCHED_EXPONENTIAL:
        return lr0 * pow(t->gamma, (double)(s - 1));
    case RF_SCHED_COSINE: {
        /* T defaults to the model file's epochs after the warm-up, so that a
         * run cut short by --epochs and resumed follows the same curve */
        int T = t->cosine_epochs > 0 ? t->cosine_epochs : t->epochs - W;
        if (T < 1)
            T = 1;
        int k = s - 1 < T ? s - 1 : T;
        return t->min_lr + (lr0 - t->min_lr) * (1 + cos(RF_PI * k / T)) / 2;
    }
    case RF_SCHED_CONSTANT:
        break;
    }
    return lr0;
}

int rf_schedule_varies(const rf_train *t) { return t->schedule != RF_SCHED_CONSTANT || t->warmup_epochs > 0; }

void rf_early_stop_init(rf_early_stop *es, const rf_train *t)
{
    memset(es, 0, sizeof *es);
    es->maximise = t->monitor == RF_MONITOR_VALID_ACC;
    es->min_delta = t->min_delta;
    es->patience = t->patience;
    es->best = NAN;
}

int rf_early_stop_update(rf_early_stop *es, int epoch, double v)
{
    if (isnan(v))
        return 0;
    int better = es->best_epoch == 0 || (es->maximise ? v > es->best + es->min_delta : v < es->best - es->min_delta);
    if (better) {
        es->best = v;
        es->best_epoch = epoch;
    }
    return better;
}

double rf_early_stop_value(const rf_train *t, const rf_metrics_row *r)
{
    return t->monitor == RF_MONITOR_VALID_ACC ? r->valid_acc : r->valid_loss;
}

void rf_early_stop_replay(rf_early_stop *es, const rf_train *t, const rf_metrics_row *rows, int n)
{
    for (int i = 0; i < n; i++)
        rf_early_stop_update(es, rows[i].epoch, rf_early_stop_value(t, &rows[i]));
}

int rf_early_stop_done(const rf_early_stop *es, int epoch)
{
    return es->patience > 0 && epoch - es->best_epoch >= es->patience;
}
