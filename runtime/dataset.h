/* Training and test data in memory, and the loaders for every data form of
 * SPEC section 1: IDX files (Fashion-MNIST, MNIST, or given paths), CSV,
 * and the d2l synthetic linear-regression data.
 *
 * Every loader validates what it reads and reports a problem as
 * "FILE: what is wrong" (CSV: "FILE:LINE: column K: ..."); on error nothing
 * stays allocated. Header sizes are checked before anything is allocated. */
#ifndef RF_DATASET_H
#define RF_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

typedef struct {
    int n;           /* samples */
    int features;    /* values per sample */
    int classes;     /* > 0: labels holds class indices in [0, classes) */
    int targets;     /* > 0: y holds n x targets floats (squared loss) */
    float *x;        /* (n, features) floats, row-major, malloc'd; or NULL, with pixels */
    const uint8_t *pixels; /* IDX images: (n, features) bytes, row-major, a sample's value
                              rf_pixel_value(byte); NULL with x. A quarter of the floats'
                              memory: a shuffled batch's copy (rf_dataset_gather) reads a
                              quarter as much */
    int32_t *labels; /* (n), or NULL */
    float *y;        /* (n, targets), or NULL */
    void *pixels_block; /* the malloc'd block pixels lies in (a decoded file), freed */
    void *x_map;     /* or the mapping of a data cache entry it lies in (data_cache.h),
                        x_map_len bytes, munmap'd */
    size_t x_map_len;
} rf_dataset;

/* The value of an image byte: byte / 255 in [0, 1], the float (float)byte / 255.0f (the
 * product in double, rounded once, is that quotient for each of the 256 bytes: tested),
 * without a float division, which compilers keep slow or scalar. */
static inline float rf_pixel_value(uint8_t byte)
{
    return (float)((double)byte * (1.0 / 255.0));
}

/* Copies samples rows[0..n) of d into x (n, features floats), and their labels into
 * labels (classes) or their targets into y (n, targets floats), shared among the
 * OpenMP threads (the copy waits on memory: two cores copy a Fashion-MNIST batch in
 * about 0.6x the time of one, bench/gather.c). The result does not depend on the
 * thread count. */
void rf_dataset_gather(const rf_dataset *d, const int *rows, int n, float *x, int32_t *labels, float *y);

typedef struct {
    rf_dataset train, test;
} rf_datasets;

/* Limits on what a file may claim, checked before allocating. */
#define RF_DATA_MAX_SAMPLES 10000000L    /* samples in one file */
#define RF_DATA_MAX_FEATURES (1L << 20)  /* rows * cols of one image */
#define RF_DATA_MAX_VALUES (1L << 30)    /* samples * features in one file */

/* A loader's return when the data disagrees with the model file (a class
 * label outside [0, outputs)): a model-file error (exit 2), not a failed
 * run; every other failure returns -1. */
#define RF_DATA_MISMATCH (-2)

/* Loads what m->data says. data_dir: the --data option or NULL (then
 * $REGFIT_DATA, then /usr/share/datasets/fashion-mnist, or .../mnist for
 * `data: mnist`). Class data (labels) for softmax_cross_entropy, with
 * classes = m->outputs; targets = m->outputs floats for squared loss.
 * features must equal m->input. Returns 0, or -1 (RF_DATA_MISMATCH) with a
 * message in err. IDX images come as pixels (the bytes), through the data
 * cache (data_cache.h: CACHE/data/, unless REGFIT_DATA_CACHE=0): a later
 * load of the same unchanged file maps the pixels this one decompressed. */
int rf_data_load(const rf_model *m, const char *data_dir, rf_datasets *out, char *err, size_t errlen);

/* Frees what a loader gave (malloc'd or mapped) and clears *d. */
void rf_dataset_free(rf_dataset *d);
void rf_datasets_free(rf_datasets *d);

/* IDX (idx3 unsigned-byte images, idx1 unsigned-byte labels), gzip or plain.
 * Images come out as (n, rows * cols) floats scaled to [0, 1], malloc'd
 * (these never use the data cache). name is the file name used in messages. */
int rf_idx_load_images(const char *path, float **x, int *n, int *rows, int *cols, char *err, size_t errlen);
int rf_idx_load_labels(const char *path, int32_t **labels, int *n, char *err, size_t errlen);
int rf_idx_parse_images(const unsigned char *buf, size_t len, const char *name, float **x, int *n, int *rows,
                        int *cols, char *err, size_t errlen);
/* The same as bytes, not converted: *block is the decoded file (free() it), *pixels the
 * n * rows * cols image bytes in it. parse: *pixels points into buf, nothing allocated. */
int rf_idx_load_pixels(const char *path, void **block, const uint8_t **pixels, int *n, int *rows, int *cols,
                       char *err, size_t errlen);
int rf_idx_parse_pixels(const unsigned char *buf, size_t len, const char *name, const uint8_t **pixels, int *n,
                        int *rows, int *cols, char *err, size_t errlen);
int rf_idx_parse_labels(const unsigned char *buf, size_t len, const char *name, int32_t **labels, int *n,
                        char *err, size_t errlen);

/* CSV: one sample a line, `features` numbers then the target(s): one
 * integer class index in [0, classes) when classes > 0, else `targets`
 * numbers. A first line that is not all numbers is a header and skipped;
 * blank lines are skipped; CRLF is fine. text need not end in '\0'. */
int rf_csv_parse(const char *text, size_t len, const char *name, int features, int classes, int targets,
                 rf_dataset *out, char *err, size_t errlen);
int rf_csv_load(const char *path, int features, int classes, int targets, rf_dataset *out, char *err,
                size_t errlen);

/* The d2l weight-decay data: x ~ N(0, 1) per feature, one target
 * y = x . (w, ..., w) + b + N(0, noise^2). Reproducible from the seed:
 *   train feature j of sample i: rf_normal(seed, RF_STREAM_DATA, 0, i * features + j)
 *   train noise of sample i:     rf_normal(seed, RF_STREAM_DATA, 2, i)
 *   test: streams a = 1 (features) and a = 3 (noise).
 * The dot product is computed in double and stored as float.
 * Returns 0, or -1 when out of memory (nothing allocated). */
int rf_synthetic_linear(uint64_t seed, int features, int n_train, int n_test, double w, double b, double noise,
                        rf_datasets *out);

#endif
