/* synthetic_linear: the exact formula, the statistics, determinism. */
#include "dataset.h"
#include "rf_random.h"
#include "rftest.h"

#include <math.h>
#include <string.h>

/* Every number is the documented function of (seed, stream, index). */
static void test_exact_formula(void)
{
    rf_datasets d;
    const uint64_t seed = 42;
    const int features = 7;
    const double w = 0.01, b = 0.05, noise = 0.01;
    CU_ASSERT_EQUAL_FATAL(rf_synthetic_linear(seed, features, 20, 30, w, b, noise, &d), 0);
    CU_ASSERT_EQUAL(d.train.n, 20);
    CU_ASSERT_EQUAL(d.test.n, 30);
    CU_ASSERT_EQUAL(d.train.features, features);
    CU_ASSERT_EQUAL(d.train.targets, 1);
    CU_ASSERT_EQUAL(d.train.classes, 0);
    CU_ASSERT_PTR_NULL(d.train.labels);
    const rf_dataset *sets[2] = {&d.train, &d.test};
    for (int s = 0; s < 2; s++) {
        for (int i = 0; i < sets[s]->n; i++) {
            double dot = 0;
            for (int j = 0; j < features; j++) {
                double v = rf_normal(seed, RF_STREAM_DATA, (uint64_t)s, (uint64_t)i * features + j);
                CU_ASSERT_EQUAL(sets[s]->x[i * features + j], (float)v);
                dot += v * w;
            }
            double y = dot + b + noise * rf_normal(seed, RF_STREAM_DATA, (uint64_t)(2 + s), (uint64_t)i);
            CU_ASSERT_EQUAL(sets[s]->y[i], (float)y);
        }
    }
    rf_datasets_free(&d);
}

static void test_statistics(void)
{
    rf_datasets d;
    const int n = 4000, features = 5;
    const double w = 0.3, b = -2, noise = 0.1;
    CU_ASSERT_EQUAL_FATAL(rf_synthetic_linear(7, features, n, 100, w, b, noise, &d), 0);
    double sum = 0, sum2 = 0;
    for (int k = 0; k < n * features; k++) {
        sum += d.train.x[k];
        sum2 += (double)d.train.x[k] * d.train.x[k];
    }
    double mean = sum / (n * features), var = sum2 / (n * features) - mean * mean;
    /* 20000 draws: the standard error of the mean is 0.007, of the variance 0.01 */
    CU_ASSERT(fabs(mean) < 0.03);
    CU_ASSERT(fabs(var - 1) < 0.05);
    /* the residual y - (x . w + b) is the noise: mean 0, std 0.1 */
    double r_sum = 0, r_sum2 = 0, r_max = 0;
    for (int i = 0; i < n; i++) {
        double dot = 0;
        for (int j = 0; j < features; j++)
            dot += w * d.train.x[i * features + j];
        double r = d.train.y[i] - (dot + b);
        r_sum += r;
        r_sum2 += r * r;
        r_max = fmax(r_max, fabs(r));
    }
    double r_mean = r_sum / n, r_std = sqrt(r_sum2 / n - r_mean * r_mean);
    CU_ASSERT(fabs(r_mean) < 0.01);
    CU_ASSERT(fabs(r_std - noise) < 0.01);
    CU_ASSERT(r_max < 5 * noise);
    /* train and test are different draws */
    CU_ASSERT_NOT_EQUAL(d.train.x[0], d.test.x[0]);
    rf_datasets_free(&d);
}

static void test_determinism(void)
{
    rf_datasets a, b, c;
    CU_ASSERT_EQUAL_FATAL(rf_synthetic_linear(1, 200, 20, 100, 0.01, 0.05, 0.01, &a), 0);
    CU_ASSERT_EQUAL_FATAL(rf_synthetic_linear(1, 200, 20, 100, 0.01, 0.05, 0.01, &b), 0);
    CU_ASSERT_EQUAL_FATAL(rf_synthetic_linear(2, 200, 20, 100, 0.01, 0.05, 0.01, &c), 0);
    CU_ASSERT_EQUAL(memcmp(a.train.x, b.train.x, 20 * 200 * sizeof(float)), 0);
    CU_ASSERT_EQUAL(memcmp(a.test.y, b.test.y, 100 * sizeof(float)), 0);
    int same = 0;
    for (int k = 0; k < 20 * 200; k++)
        same += a.train.x[k] == c.train.x[k];
    CU_ASSERT(same < 10);
    CU_ASSERT_NOT_EQUAL(a.test.y[0], c.test.y[0]);
    rf_datasets_free(&a);
    rf_datasets_free(&b);
    rf_datasets_free(&c);
    CU_ASSERT_PTR_NULL(a.train.x);
}

int main(int argc, char **argv)
{
    static const rf_test_case cases[] = {
        {"the exact formula and streams", test_exact_formula},
        {"feature and noise statistics", test_statistics},
        {"same seed same bits, other seed other bits", test_determinism},
        {NULL, NULL},
    };
    return rf_test_main("data_synth", cases, argc, argv);
}
