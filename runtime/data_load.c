/* rf_data_load: from the model's `data` entry to train and test sets that
 * fit the model (feature count, class count or target count). */
#include "data_cache.h"
#include "dataset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"
#define MNIST_DIR "/usr/share/datasets/mnist"

void rf_dataset_free(rf_dataset *d)
{
    if (d->x_map)
        munmap(d->x_map, d->x_map_len);
    free(d->pixels_block);
    free(d->x);
    free(d->labels);
    free(d->y);
    memset(d, 0, sizeof *d);
}

void rf_datasets_free(rf_datasets *d)
{
    rf_dataset_free(&d->train);
    rf_dataset_free(&d->test);
}

/* rf_loss_name lives in the compiler library; the runtime stands alone. */
static const char *loss_name(rf_loss_kind loss)
{
    return loss == RF_LOSS_SQUARED ? "squared" : "softmax_cross_entropy";
}

/* An image file's way through the data cache: when its lookup missed, the
 * entry to store once the whole load has succeeded. */
typedef struct {
    int store;
    int rows, cols;
    rf_data_cache_key key;
} cache_note;

/* An image file: mapped from the cache when it holds it, else decoded. */
static int load_images(const char *path, const rf_data_cache *cache, rf_dataset *d, int *n, int *rows, int *cols,
                       cache_note *note, char *err, size_t errlen)
{
    note->store = 0;
    if (cache) {
        int found =
            rf_data_cache_lookup(cache, path, &note->key, &d->pixels, &d->x_map, &d->x_map_len, n, rows, cols);
        if (found == 1)
            return 0;
        note->store = found == 0;
    }
    if (rf_idx_load_pixels(path, &d->pixels_block, &d->pixels, n, rows, cols, err, errlen) != 0)
        return -1;
    note->rows = *rows;
    note->cols = *cols;
    return 0;
}

/* One image file and its label file as a class dataset. */
static int load_idx_pair(const char *images, const char *labels, const rf_model *m, const rf_data_cache *cache,
                         cache_note *note, rf_dataset *d, char *err, size_t errlen)
{
    int n_images, rows, cols, n_labels;
    memset(d, 0, sizeof *d);
    if (load_images(images, cache, d, &n_images, &rows, &cols, note, err, errlen) != 0)
        return -1;
    if (rows * cols != m->input) {
        snprintf(err, errlen, "%s: images of %d x %d = %d pixels, but the model's input is %d features", images,
                 rows, cols, rows * cols, m->input);
        rf_dataset_free(d);
        return -1;
    }
    if (rf_idx_load_labels(labels, &d->labels, &n_labels, err, errlen) != 0) {
        rf_dataset_free(d);
        return -1;
    }
    if (n_labels != n_images) {
        snprintf(err, errlen, "%s: %d labels, but %s holds %d images", labels, n_labels, images, n_images);
        rf_dataset_free(d);
        return -1;
    }
    for (int i = 0; i < n_labels; i++) {
        if (d->labels[i] >= m->outputs) {
            snprintf(err, errlen, "%s: label %d of sample %d is out of range (the model has %d classes: 0 to %d)",
                     labels, (int)d->labels[i], i, m->outputs, m->outputs - 1);
            rf_dataset_free(d);
            return RF_DATA_MISMATCH;
        }
    }
    d->n = n_images;
    d->features = rows * cols;
    d->classes = m->outputs;
    return 0;
}

/* Train and test IDX pairs; the first failure's code. The cache entries of
 * the images decoded are written last, when all four files have loaded and
 * fit the model: a data error leaves no entry. */
static int load_idx_sets(const char *train_images, const char *train_labels, const char *test_images,
                         const char *test_labels, const rf_model *m, const rf_data_cache *cache, rf_datasets *out,
                         char *err, size_t errlen)
{
    cache_note notes[2];
    int rc = load_idx_pair(train_images, train_labels, m, cache, &notes[0], &out->train, err, errlen);
    if (rc != 0)
        return rc;
    rc = load_idx_pair(test_images, test_labels, m, cache, &notes[1], &out->test, err, errlen);
    if (rc != 0) {
        rf_datasets_free(out);
        return rc;
    }
    const rf_dataset *sets[2] = {&out->train, &out->test};
    for (int i = 0; i < 2; i++)
        if (notes[i].store)
            (void)rf_data_cache_store(cache, &notes[i].key, sets[i]->pixels, sets[i]->n, notes[i].rows,
                                      notes[i].cols);
    return 0;
}

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* DIR/NAME.gz or else DIR/NAME; 0 with the path in out, or -1. */
static int find_idx_file(const char *dir, const char *name, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s/%s.gz", dir, name);
    if (is_file(out))
        return 0;
    snprintf(out, outlen, "%s/%s", dir, name);
    return is_file(out) ? 0 : -1;
}

static int load_mnist_folder(const rf_model *m, const char *data_dir, const rf_data_cache *cache, rf_datasets *out,
                             char *err, size_t errlen)
{
    const char *set = m->data.kind == RF_DATA_MNIST ? "mnist" : "fashion-mnist";
    const char *dir = data_dir, *from = "--data";
    if (!dir || !*dir) {
        dir = getenv("REGFIT_DATA");
        from = "REGFIT_DATA";
    }
    if (!dir || !*dir) {
        dir = m->data.kind == RF_DATA_MNIST ? MNIST_DIR : FASHION_MNIST_DIR;
        from = NULL;
    }
    static const char *const names[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
    const char *install = m->data.kind == RF_DATA_MNIST
                              ? "download the four MNIST IDX files into it, or point --data or REGFIT_DATA at "
                                "a folder holding them"
                              : "install it with `apt-get install dataset-fashion-mnist`, or point --data or "
                                "REGFIT_DATA at a folder holding the four IDX files";
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s data not found: %s%s%s%s is not a folder (%s)", set, dir, from ? " (from " : "",
                 from ? from : "", from ? ")" : "", install);
        return -1;
    }
    char paths[4][4096];
    for (int i = 0; i < 4; i++) {
        if (find_idx_file(dir, names[i], paths[i], sizeof paths[i]) != 0) {
            snprintf(err, errlen, "%s data incomplete: neither %s/%s.gz nor %s/%s exists (%s)", set, dir, names[i],
                     dir, names[i], install);
            return -1;
        }
    }
    return load_idx_sets(paths[0], paths[1], paths[2], paths[3], m, cache, out, err, errlen);
}

static int load_csv_pair(const rf_model *m, rf_datasets *out, char *err, size_t errlen)
{
    int classes = m->loss == RF_LOSS_SOFTMAX_CE ? m->outputs : 0;
    int targets = m->loss == RF_LOSS_SQUARED ? m->outputs : 0;
    int rc = rf_csv_load(m->data.csv_train, m->input, classes, targets, &out->train, err, errlen);
    if (rc != 0)
        return rc;
    rc = rf_csv_load(m->data.csv_test, m->input, classes, targets, &out->test, err, errlen);
    if (rc != 0)
        rf_datasets_free(out);
    return rc;
}

static int load_synthetic(const rf_model *m, rf_datasets *out, char *err, size_t errlen)
{
    const rf_data *d = &m->data;
    if (m->loss != RF_LOSS_SQUARED || m->outputs != 1) {
        snprintf(err, errlen, "synthetic_linear data has one real target per sample: it needs loss squared "
                              "and 1 output (the model has loss %s and %d outputs)",
                 loss_name(m->loss), m->outputs);
        return -1;
    }
    long most = d->n_train > d->n_test ? d->n_train : d->n_test;
    if (d->n_train < 1 || d->n_test < 1 || most > RF_DATA_MAX_SAMPLES ||
        (double)most * m->input > (double)RF_DATA_MAX_VALUES) {
        snprintf(err, errlen, "synthetic_linear: n_train %d and n_test %d with %d features: expected 1 to %ld "
                              "samples and at most %ld values",
                 d->n_train, d->n_test, m->input, RF_DATA_MAX_SAMPLES, RF_DATA_MAX_VALUES);
        return -1;
    }
    if (rf_synthetic_linear(m->train.seed, m->input, d->n_train, d->n_test, d->w, d->b, d->noise, out) != 0) {
        snprintf(err, errlen, "synthetic_linear: out of memory for %d + %d samples", d->n_train, d->n_test);
        return -1;
    }
    return 0;
}

int rf_data_load(const rf_model *m, const char *data_dir, rf_datasets *out, char *err, size_t errlen)
{
    rf_data_cache cache;
    return rf_data_load_with_cache(m, data_dir, rf_data_cache_default(&cache) == 0 ? &cache : NULL, out, err,
                                   errlen);
}

int rf_data_load_with_cache(const rf_model *m, const char *data_dir, const rf_data_cache *cache, rf_datasets *out,
                            char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    int idx = m->data.kind == RF_DATA_FASHION_MNIST || m->data.kind == RF_DATA_MNIST || m->data.kind == RF_DATA_IDX;
    if (idx && m->loss != RF_LOSS_SOFTMAX_CE) {
        snprintf(err, errlen, "IDX data holds class labels: it needs loss softmax_cross_entropy, not %s",
                 loss_name(m->loss));
        return -1;
    }
    switch (m->data.kind) {
    case RF_DATA_FASHION_MNIST:
    case RF_DATA_MNIST:
        return load_mnist_folder(m, data_dir, cache, out, err, errlen);
    case RF_DATA_IDX:
        return load_idx_sets(m->data.train_images, m->data.train_labels, m->data.test_images,
                             m->data.test_labels, m, cache, out, err, errlen);
    case RF_DATA_CSV:
        return load_csv_pair(m, out, err, errlen);
    case RF_DATA_SYNTHETIC_LINEAR:
        return load_synthetic(m, out, err, errlen);
    case RF_DATA_NONE:
        break;
    }
    snprintf(err, errlen, "%s: the model file has no `data` entry: nothing to train on", m->path ? m->path : "model");
    return -1;
}
