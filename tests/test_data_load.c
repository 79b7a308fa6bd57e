/* rf_data_load: every data form of a model, the checks against the model
 * (features, classes, loss), the data folder search, the real
 * Fashion-MNIST; rf_dataset_gather, the batch copy. */
#include "dataset.h"
#include "rftest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static char err[2048];

#define ASSERT_ERR_HAS(s) RF_ASSERT_CONTAINS(err, s)

static rf_model model(rf_data_kind kind, int input, int outputs, rf_loss_kind loss)
{
    rf_model m;
    memset(&m, 0, sizeof m);
    m.data.kind = kind;
    m.input = input;
    m.outputs = outputs;
    m.loss = loss;
    m.train.seed = 3;
    return m;
}

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* Writes DIR/name: n images of 2 x 3 pixels (pixel value = sample index). */
static char *write_images(const char *name, int n)
{
    size_t len = 16 + (size_t)n * 6;
    unsigned char *buf = malloc(len);
    put_be32(buf, 0x803);
    put_be32(buf + 4, (uint32_t)n);
    put_be32(buf + 8, 2);
    put_be32(buf + 12, 3);
    for (int i = 0; i < n; i++)
        memset(buf + 16 + 6 * i, i, 6);
    char *path = strdup(rf_test_write_bytes(name, buf, len));
    free(buf);
    return path;
}

/* Writes DIR/name: n labels, label i = i % 4, or `bad` at index bad_at. */
static char *write_labels(const char *name, int n, int bad_at, int bad)
{
    unsigned char *buf = malloc(8 + (size_t)n);
    put_be32(buf, 0x801);
    put_be32(buf + 4, (uint32_t)n);
    for (int i = 0; i < n; i++)
        buf[8 + i] = (unsigned char)(i == bad_at ? bad : i % 4);
    char *path = strdup(rf_test_write_bytes(name, buf, 8 + (size_t)n));
    free(buf);
    return path;
}

static void set_idx_paths(rf_model *m, char *a, char *b, char *c, char *d)
{
    m->data.train_images = a;
    m->data.train_labels = b;
    m->data.test_images = c;
    m->data.test_labels = d;
}

static void free_idx_paths(rf_model *m)
{
    free(m->data.train_images);
    free(m->data.train_labels);
    free(m->data.test_images);
    free(m->data.test_labels);
}

static void test_idx_paths(void)
{
    rf_model m = model(RF_DATA_IDX, 6, 4, RF_LOSS_SOFTMAX_CE);
    set_idx_paths(&m, write_images("tr-img", 9), write_labels("tr-lab", 9, -1, 0), write_images("te-img", 5),
                  write_labels("te-lab", 5, -1, 0));
    rf_datasets d;
    CU_ASSERT_EQUAL_FATAL(rf_data_load(&m, NULL, &d, err, sizeof err), 0);
    CU_ASSERT_EQUAL(d.train.n, 9);
    CU_ASSERT_EQUAL(d.test.n, 5);
    CU_ASSERT_EQUAL(d.train.features, 6);
    CU_ASSERT_EQUAL(d.train.classes, 4);
    CU_ASSERT_PTR_NULL(d.train.y);
    CU_ASSERT_PTR_NULL(d.train.x); /* images come as their bytes */
    CU_ASSERT_EQUAL(d.train.pixels[6 * 8 + 5], 8);
    float row[6];
    int32_t label;
    const int eight = 8;
    rf_dataset_gather(&d.train, &eight, 1, row, &label, NULL);
    CU_ASSERT_EQUAL(row[5], 8.0f / 255.0f);
    CU_ASSERT_EQUAL(label, 0);
    CU_ASSERT_EQUAL(d.train.labels[7], 3);
    CU_ASSERT_EQUAL(d.test.labels[4], 0);
    rf_datasets_free(&d);

    /* the model's input must match the image size */
    m.input = 7;
    CU_ASSERT_EQUAL(rf_data_load(&m, NULL, &d, err, sizeof err), -1);
    ASSERT_ERR_HAS("tr-img: images of 2 x 3 = 6 pixels, but the model's input is 7 features");
    m.input = 6;
    /* IDX data is class data */
    m.loss = RF_LOSS_SQUARED;
    CU_ASSERT_EQUAL(rf_data_load(&m, NULL, &d, err, sizeof err), -1);
    ASSERT_ERR_HAS("needs loss softmax_cross_entropy");
    m.loss = RF_LOSS_SOFTMAX_CE;
    free_idx_paths(&m);
}

static void test_idx_label_range_and_counts(void)
{
    rf_model m = model(RF_DATA_IDX, 6, 4, RF_LOSS_SOFTMAX_CE);
    rf_datasets d;
    /* label 4 with 4 classes, in the test labels at sample 3 */
    set_idx_paths(&m, write_images("tr-img", 9), write_labels("tr-lab", 9, -1, 0), write_images("te-img", 5),
                  write_labels("te-lab", 5, 3, 4));
    memset(&d, 0x55, sizeof d);
    CU_ASSERT_EQUAL(rf_data_load(&m, NULL, &d, err, sizeof err), RF_DATA_MISMATCH);
    ASSERT_ERR_HAS("te-lab: label 4 of sample 3 is out of range (the model has 4 classes: 0 to 3)");
    CU_ASSERT_PTR_NULL(d.train.pixels); /* the train set loaded first is released */
    CU_ASSERT_PTR_NULL(d.train.pixels_block);
    free_idx_paths(&m);
    /* 9 images but 8 labels */
    set_idx_paths(&m, write_images("tr-img", 9), write_labels("tr-lab", 8, -1, 0), write_images("te-img", 5),
                  write_labels("te-lab", 5, -1, 0));
    CU_ASSERT_EQUAL(rf_data_load(&m, NULL, &d, err, sizeof err), -1);
    ASSERT_ERR_HAS("tr-lab: 8 labels, but ");
    ASSERT_ERR_HAS("tr-img holds 9 images");
    free_idx_paths(&m);
}

/* A folder laid out like Fashion-MNIST, plain files and gzip mixed. */
static char *make_folder(const char *name, int with_test_labels)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", rf_test_tmpdir(), name);
    mkdir(dir, 0777);
    char rel[512];
    snprintf(rel, sizeof rel, "%s/train-images-idx3-ubyte", name);
    free(write_images(rel, 12));
    snprintf(rel, sizeof rel, "%s/train-labels-idx1-ubyte", name);
    free(write_labels(rel, 12, -1, 0));
    snprintf(rel, sizeof rel, "%s/t10k-images-idx3-ubyte", name);
    free(write_images(rel, 4));
    if (with_test_labels) {
        snprintf(rel, sizeof rel, "%s/t10k-labels-idx1-ubyte", name);
        free(write_labels(rel, 4, -1, 0));
    }
    return strdup(dir);
}

static void test_folder_search(void)
{
    rf_model m = model(RF_DATA_FASHION_MNIST, 6, 10, RF_LOSS_SOFTMAX_CE);
    rf_datasets d;
    char *good = make_folder("fm", 1), *partial = make_folder("fm-partial", 0);
    /* --data */
    CU_ASSERT_EQUAL_FATAL(rf_data_load(&m, good, &d, err, sizeof err), 0);
    CU_ASSERT_EQUAL(d.train.n, 12);
    CU_ASSERT_EQUAL(d.test.n, 4);
    CU_ASSERT_EQUAL(d.train.classes, 10);
    rf_datasets_free(&d);
    /* $REGFIT_DATA when there is no --data; --data wins over it */
    setenv("REGFIT_DATA", good, 1);
    CU_ASSERT_EQUAL(rf_data_load(&m, NULL, &d, err, sizeof err), 0);
    rf_datasets_free(&d);
    CU_ASSERT_EQUAL(rf_data_load(&m, partial, &d, err, sizeof err), -1);
    ASSERT_ERR_HAS("t10k-labels-idx1-ubyte.gz nor ");
    ASSERT_ERR_HAS("fm-partial/t10k-labels-idx1-ubyte exists");
    ASSERT_ERR_HAS("apt-get install dataset-fashion-mnist");
    /* a missing folder says how to get the data */
    char missing[4096];
    snprintf(missing, sizeof missing, "%s/nowhere", rf_test_tmpdir());
    setenv("REGFIT_DATA", missing, 1);
    CU_ASSERT_EQUAL(rf_data_load(&m, NULL, &d, err, sizeof err), -1);
    ASSERT_ERR_HAS("fashion-mnist data not found: ");
    ASSERT_ERR_HAS("nowhere (from REGFIT_DATA) is not a folder");
    ASSERT_ERR_HAS("apt-get install dataset-fashion-mnist");
    CU_ASSERT_PTR_NULL(d.train.pixels);
    unsetenv("REGFIT_DATA");
    CU_ASSERT_EQUAL(rf_data_load(&m, missing, &d, err, sizeof err), -1);
    ASSERT_ERR_HAS("nowhere (from --data) is not a folder");
    free(good);
    free(partial);
}

static void test_csv_data(void)
{
    rf_model m = model(RF_DATA_CSV, 2, 3, RF_LOSS_SOFTMAX_CE);
    char *train = strdup(rf_test_write("train.csv", "a,b,label\n1,2,0\n3,4,2\n5,6,1\n"));
    char *test = strdup(rf_test_write("test.csv", "1,1,1\n"));
    m.data.csv_train = train;
    m.data.csv_test = test;
    rf_datasets d;
    CU_ASSERT_EQUAL_FATAL(rf_data_load(&m, NULL, &d, err, sizeof err), 0);
    CU_ASSERT_EQUAL(d.train.n, 3);
    CU_ASSERT_EQUAL(d.train.labels[1], 2);
    CU_ASSERT_EQUAL(d.test.n, 1);
    rf_datasets_free(&d);
    /* the same files as regression data: 1 feature and 2 targets */
    m.loss = RF_LOSS_SQUARED;
    m.input = 1;
    m.outputs = 2;
    CU_ASSERT_EQUAL_FATAL(rf_data_load(&m, NULL, &d, err, sizeof err), 0);
    CU_ASSERT_EQUAL(d.train.targets, 2);
    CU_ASSERT_EQUAL(d.train.y[3], 2.0f);
    rf_datasets_free(&d);
    /* a bad test file: the error names it, the train set is released */
    free(test);
    test = strdup(rf_test_write("test.csv", "1,1\n"));
    m.data.csv_test = test;
    CU_ASSERT_EQUAL(rf_data_load(&m, NULL, &d, err, sizeof err), -1);
    ASSERT_ERR_HAS("test.csv:1: expected 3 fields (1 features and 2 targets), found 2");
    CU_ASSERT_PTR_NULL(d.train.x);
    free(train);
    free(test);
}

static void test_synthetic_and_none(void)
{
    rf_model m = model(RF_DATA_SYNTHETIC_LINEAR, 200, 1, RF_LOSS_SQUARED);
    m.data.n_train = 20;
    m.data.n_test = 100;
    m.data.w = 0.01;
    m.data.b = 0.05;
    m.data.noise = 0.01;
    rf_datasets d, direct;
    CU_ASSERT_EQUAL_FATAL(rf_data_load(&m, NULL, &d, err, sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(rf_synthetic_linear(m.train.seed, 200, 20, 100, 0.01, 0.05, 0.01, &direct), 0);
    CU_ASSERT_EQUAL(d.train.n, 20);
    CU_ASSERT_EQUAL(d.test.n, 100);
    CU_ASSERT_EQUAL(memcmp(d.train.x, direct.train.x, 20 * 200 * sizeof(float)), 0);
    CU_ASSERT_EQUAL(memcmp(d.test.y, direct.test.y, 100 * sizeof(float)), 0);
    rf_datasets_free(&d);
    rf_datasets_free(&direct);
    m.loss = RF_LOSS_SOFTMAX_CE;
    CU_ASSERT_EQUAL(rf_data_load(&m, NULL, &d, err, sizeof err), -1);
    ASSERT_ERR_HAS("needs loss squared and 1 output");
    m.loss = RF_LOSS_SQUARED;
    m.data.n_train = 2000000000;
    CU_ASSERT_EQUAL(rf_data_load(&m, NULL, &d, err, sizeof err), -1);
    ASSERT_ERR_HAS("synthetic_linear: n_train 2000000000");
    m.data.kind = RF_DATA_NONE;
    m.path = "m.yaml";
    CU_ASSERT_EQUAL(rf_data_load(&m, NULL, &d, err, sizeof err), -1);
    ASSERT_ERR_HAS("m.yaml: the model file has no `data` entry");
}

/* The installed data set (Debian package dataset-fashion-mnist). */
static void test_real_fashion_mnist(void)
{
    struct stat st;
    if (stat("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz", &st) != 0) {
        fprintf(stderr, "\n  (skipped: apt-get install dataset-fashion-mnist) ");
        return;
    }
    rf_model m = model(RF_DATA_FASHION_MNIST, 784, 10, RF_LOSS_SOFTMAX_CE);
    unsetenv("REGFIT_DATA");
    rf_datasets d;
    CU_ASSERT_EQUAL_FATAL(rf_data_load(&m, NULL, &d, err, sizeof err), 0);
    CU_ASSERT_EQUAL(d.train.n, 60000);
    CU_ASSERT_EQUAL(d.test.n, 10000);
    CU_ASSERT_EQUAL(d.train.features, 784);
    CU_ASSERT_EQUAL(d.train.classes, 10);
    const rf_dataset *sets[2] = {&d.train, &d.test};
    for (int s = 0; s < 2; s++) {
        const rf_dataset *set = sets[s];
        int lo = 255, hi = 0;
        for (long k = 0; k < (long)set->n * 784; k++) {
            lo = set->pixels[k] < lo ? set->pixels[k] : lo;
            hi = set->pixels[k] > hi ? set->pixels[k] : hi;
        }
        CU_ASSERT_EQUAL(lo, 0);
        CU_ASSERT_EQUAL(hi, 255);
        int count[10] = {0};
        for (int i = 0; i < set->n; i++) {
            CU_ASSERT_FATAL(set->labels[i] >= 0 && set->labels[i] < 10);
            count[set->labels[i]]++;
        }
        for (int c = 0; c < 10; c++)
            CU_ASSERT_EQUAL(count[c], s == 0 ? 6000 : 1000);
    }
    /* known values: the first training image is an ankle boot (9) whose
     * pixels sum to 76247 / 255; the first test labels are 9 2 1 1 6 */
    CU_ASSERT_EQUAL(d.train.labels[0], 9);
    double sum = 0;
    float first[784];
    int32_t first_label;
    const int zero = 0;
    rf_dataset_gather(&d.train, &zero, 1, first, &first_label, NULL);
    for (int k = 0; k < 784; k++)
        sum += first[k];
    CU_ASSERT_DOUBLE_EQUAL(sum, 76247.0 / 255.0, 1e-3);
    CU_ASSERT_EQUAL(first_label, 9);
    const int32_t first_test[5] = {9, 2, 1, 1, 6};
    for (int i = 0; i < 5; i++)
        CU_ASSERT_EQUAL(d.test.labels[i], first_test[i]);
    rf_datasets_free(&d);
    /* the model must have 10 outputs for this data */
    m.outputs = 5;
    CU_ASSERT_EQUAL(rf_data_load(&m, NULL, &d, err, sizeof err), RF_DATA_MISMATCH);
    ASSERT_ERR_HAS("train-labels-idx1-ubyte.gz: label ");
    ASSERT_ERR_HAS("is out of range (the model has 5 classes: 0 to 4)");
}

/* Runs rf_dataset_gather on 1 and on 2 OpenMP threads (a batch big enough to be shared,
 * and one that is not): the same result, and each row the one asked for. */
static void gather_both_ways(const rf_dataset *d, const int *rows, int n, float *x, int32_t *labels, float *y)
{
    const size_t xs = sizeof(float) * (size_t)n * d->features;
    float *x1 = malloc(xs);
    CU_ASSERT_PTR_NOT_NULL_FATAL(x1);
    for (int threads = 1; threads <= 2; threads++) {
#ifdef _OPENMP
        omp_set_num_threads(threads);
#endif
        memset(x, 0xFF, xs);
        rf_dataset_gather(d, rows, n, x, labels, y);
        if (threads == 1)
            memcpy(x1, x, xs);
    }
    CU_ASSERT_EQUAL(memcmp(x, x1, xs), 0);
    free(x1);
}

static void test_gather(void)
{
    /* each byte's value is the float quotient byte / 255, which the product in double
     * rounded once gives without a division */
    for (int v = 0; v < 256; v++)
        CU_ASSERT_EQUAL(rf_pixel_value((uint8_t)v), (float)v / 255.0f);

    enum { N = 300, F = 70, T = 2 };
    static uint8_t pixels[N * F];
    static int32_t labels[N], got_labels[N];
    static float x[N * F], y[N * T], got[N * F], got_y[N * T];
    static int rows[N];
    for (int i = 0; i < N * F; i++) {
        pixels[i] = (uint8_t)((i * 37 + 11) % 256);
        x[i] = (float)i * 0.25f - 7.0f;
    }
    for (int i = 0; i < N; i++) {
        labels[i] = i % 10;
        rows[i] = (i * 7) % N; /* a permutation: 7 and 300 are coprime */
    }
    for (int i = 0; i < N * T; i++)
        y[i] = (float)i / 8.0f;
    const int sizes[2] = {N, 20}; /* 21,000 values (shared among the threads), 1,400 */
    for (int k = 0; k < 2; k++) {
        const int n = sizes[k];
        rf_dataset images = {.n = N, .features = F, .classes = 10, .pixels = pixels, .labels = labels};
        gather_both_ways(&images, rows, n, got, got_labels, NULL);
        int wrong = 0;
        for (int r = 0; r < n; r++) {
            wrong += got_labels[r] != labels[rows[r]];
            for (int j = 0; j < F; j++)
                wrong += got[r * F + j] != (float)pixels[rows[r] * F + j] / 255.0f;
        }
        CU_ASSERT_EQUAL(wrong, 0);
        rf_dataset floats = {.n = N, .features = F, .targets = T, .x = x, .y = y};
        gather_both_ways(&floats, rows, n, got, NULL, got_y);
        for (int r = 0; r < n; r++) {
            wrong += memcmp(&got[r * F], &x[rows[r] * F], sizeof(float) * F) != 0;
            wrong += memcmp(&got_y[r * T], &y[rows[r] * T], sizeof(float) * T) != 0;
        }
        CU_ASSERT_EQUAL(wrong, 0);
    }
}

int main(int argc, char **argv)
{
    static const rf_test_case cases[] = {
        {"idx: given paths", test_idx_paths},
        {"idx: label range and counts", test_idx_label_range_and_counts},
        {"fashion-mnist folder: --data, REGFIT_DATA, missing", test_folder_search},
        {"csv: classes and targets", test_csv_data},
        {"synthetic_linear and no data", test_synthetic_and_none},
        {"the real Fashion-MNIST", test_real_fashion_mnist},
        {"the batch copy: pixels, floats, labels, targets, any thread count", test_gather},
        {NULL, NULL},
    };
    return rf_test_main("data_load", cases, argc, argv);
}
