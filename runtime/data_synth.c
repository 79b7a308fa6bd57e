/* The d2l weight-decay data (d2l.synthetic_data): features N(0, 1), one
 * target y = x . (w, ..., w) + b + N(0, noise^2). Every number is a pure
 * function of (seed, stream, index), see dataset.h, so it is reproducible. */
#include "dataset.h"
#include "rf_random.h"

#include <stdlib.h>
#include <string.h>

/* a_features, a_noise: the rf_random stream indices of this set. */
static int make_set(uint64_t seed, uint64_t a_features, uint64_t a_noise, int features, int n, double w, double b,
                    double noise, rf_dataset *d)
{
    memset(d, 0, sizeof *d);
    d->n = n;
    d->features = features;
    d->targets = 1;
    d->x = malloc((size_t)n * features * sizeof *d->x + 1);
    d->y = malloc((size_t)n * sizeof *d->y + 1);
    if (!d->x || !d->y) {
        rf_dataset_free(d);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        double dot = 0;
        for (int j = 0; j < features; j++) {
            double v = rf_normal(seed, RF_STREAM_DATA, a_features, (uint64_t)i * features + j);
            d->x[(size_t)i * features + j] = (float)v;
            dot += v * w;
        }
        d->y[i] = (float)(dot + b + noise * rf_normal(seed, RF_STREAM_DATA, a_noise, (uint64_t)i));
    }
    return 0;
}

int rf_synthetic_linear(uint64_t seed, int features, int n_train, int n_test, double w, double b, double noise,
                        rf_datasets *out)
{
    memset(out, 0, sizeof *out);
    if (features < 1 || n_train < 0 || n_test < 0)
        return -1;
    if (make_set(seed, 0, 2, features, n_train, w, b, noise, &out->train) != 0)
        return -1;
    if (make_set(seed, 1, 3, features, n_test, w, b, noise, &out->test) != 0) {
        rf_datasets_free(out);
        return -1;
    }
    return 0;
}
