/* IDX files (LeCun's MNIST format, also Fashion-MNIST): a big-endian
 * header, then the values as unsigned bytes.
 *   images: magic 0x00000803, u32 count, u32 rows, u32 cols, count*rows*cols bytes
 *   labels: magic 0x00000801, u32 count, count bytes
 * The header is checked first (magic, sane sizes), then that the file holds
 * exactly the bytes it announces; only then is anything allocated. */
#include "dataset.h"
#include "file_read.h"

#include <stdio.h>
#include <stdlib.h>

#define IDX_IMAGES_MAGIC 0x00000803u
#define IDX_LABELS_MAGIC 0x00000801u

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Says what a wrong magic number looks like, to help the user. */
static const char *magic_hint(uint32_t magic)
{
    if (magic == IDX_LABELS_MAGIC)
        return ", which is an idx1 label file";
    if (magic == IDX_IMAGES_MAGIC)
        return ", which is an idx3 image file";
    if ((magic >> 16) == 0x1f8b)
        return ", gzip data inside gzip data?";
    if ((magic & 0xffff0000u) == 0 && (magic & 0xff00u) != 0x0800u)
        return ", an IDX file of another element type (only unsigned bytes are read)";
    return "";
}

/* The header of an image file: checks everything but the payload length.
 * Returns the payload size in bytes, or 0 with a message. */
static size_t check_images_header(const unsigned char *buf, size_t len, const char *name, int *n, int *rows,
                                  int *cols, char *err, size_t errlen)
{
    if (len == 0) {
        snprintf(err, errlen, "%s: empty file (expected an idx3 image file)", name);
        return 0;
    }
    if (len < 16) {
        if (len >= 4 && be32(buf) != IDX_IMAGES_MAGIC)
            snprintf(err, errlen, "%s: not an idx3 image file (magic 0x%08x, expected 0x%08x%s)", name, be32(buf),
                     IDX_IMAGES_MAGIC, magic_hint(be32(buf)));
        else
            snprintf(err, errlen, "%s: truncated: %zu bytes, shorter than the 16-byte idx3 header", name, len);
        return 0;
    }
    uint32_t magic = be32(buf), count = be32(buf + 4), r = be32(buf + 8), c = be32(buf + 12);
    if (magic != IDX_IMAGES_MAGIC) {
        snprintf(err, errlen, "%s: not an idx3 image file (magic 0x%08x, expected 0x%08x%s)", name, magic,
                 IDX_IMAGES_MAGIC, magic_hint(magic));
        return 0;
    }
    if (count == 0 || count > RF_DATA_MAX_SAMPLES) {
        snprintf(err, errlen, "%s: header claims %u images (expected 1 to %ld)", name, count, RF_DATA_MAX_SAMPLES);
        return 0;
    }
    if (r == 0 || c == 0 || (uint64_t)r * c > RF_DATA_MAX_FEATURES) {
        snprintf(err, errlen, "%s: header claims images of %u x %u pixels (expected 1 to %ld pixels)", name, r, c,
                 RF_DATA_MAX_FEATURES);
        return 0;
    }
    uint64_t values = (uint64_t)count * r * c;
    if (values > RF_DATA_MAX_VALUES) {
        snprintf(err, errlen, "%s: header claims %u images of %u x %u pixels, %llu values in all (at most %ld)",
                 name, count, r, c, (unsigned long long)values, RF_DATA_MAX_VALUES);
        return 0;
    }
    *n = (int)count;
    *rows = (int)r;
    *cols = (int)c;
    return (size_t)values;
}

static size_t check_labels_header(const unsigned char *buf, size_t len, const char *name, int *n, char *err,
                                  size_t errlen)
{
    if (len == 0) {
        snprintf(err, errlen, "%s: empty file (expected an idx1 label file)", name);
        return 0;
    }
    if (len < 8) {
        if (len >= 4 && be32(buf) != IDX_LABELS_MAGIC)
            snprintf(err, errlen, "%s: not an idx1 label file (magic 0x%08x, expected 0x%08x%s)", name, be32(buf),
                     IDX_LABELS_MAGIC, magic_hint(be32(buf)));
        else
            snprintf(err, errlen, "%s: truncated: %zu bytes, shorter than the 8-byte idx1 header", name, len);
        return 0;
    }
    uint32_t magic = be32(buf), count = be32(buf + 4);
    if (magic != IDX_LABELS_MAGIC) {
        snprintf(err, errlen, "%s: not an idx1 label file (magic 0x%08x, expected 0x%08x%s)", name, magic,
                 IDX_LABELS_MAGIC, magic_hint(magic));
        return 0;
    }
    if (count == 0 || count > RF_DATA_MAX_SAMPLES) {
        snprintf(err, errlen, "%s: header claims %u labels (expected 1 to %ld)", name, count, RF_DATA_MAX_SAMPLES);
        return 0;
    }
    *n = (int)count;
    return count;
}

/* The payload must be exactly what the header announced. */
static int check_length(size_t len, size_t header, size_t payload, int count, const char *what, const char *name,
                        char *err, size_t errlen)
{
    if (len - header < payload) {
        snprintf(err, errlen, "%s: truncated: header says %d %s (%zu bytes of data) but only %zu bytes follow it",
                 name, count, what, payload, len - header);
        return -1;
    }
    if (len - header > payload) {
        snprintf(err, errlen, "%s: trailing bytes: the file is longer than the %d %s (%zu + %zu bytes) its header announces",
                 name, count, what, header, payload);
        return -1;
    }
    return 0;
}

int rf_idx_parse_images(const unsigned char *buf, size_t len, const char *name, float **x, int *n, int *rows,
                        int *cols, char *err, size_t errlen)
{
    int count, r, c;
    *x = NULL;
    size_t values = check_images_header(buf, len, name, &count, &r, &c, err, errlen);
    if (values == 0 || check_length(len, 16, values, count, "images", name, err, errlen) != 0)
        return -1;
    float *out = malloc(values * sizeof *out);
    if (!out) {
        snprintf(err, errlen, "%s: out of memory for %zu pixels", name, values);
        return -1;
    }
    const unsigned char *pixels = buf + 16;
    for (size_t i = 0; i < values; i++)
        out[i] = (float)pixels[i] / 255.0f;
    *x = out;
    *n = count;
    *rows = r;
    *cols = c;
    return 0;
}

int rf_idx_parse_labels(const unsigned char *buf, size_t len, const char *name, int32_t **labels, int *n,
                        char *err, size_t errlen)
{
    int count;
    *labels = NULL;
    size_t values = check_labels_header(buf, len, name, &count, err, errlen);
    if (values == 0 || check_length(len, 8, values, count, "labels", name, err, errlen) != 0)
        return -1;
    int32_t *out = malloc(values * sizeof *out);
    if (!out) {
        snprintf(err, errlen, "%s: out of memory for %zu labels", name, values);
        return -1;
    }
    for (size_t i = 0; i < values; i++)
        out[i] = buf[8 + i];
    *labels = out;
    *n = count;
    return 0;
}

/* Reads the header, then at most one byte more than the header announces
 * (enough to tell "trailing bytes"), so a lying header costs nothing. */
static int read_idx(const char *path, size_t header, int images, unsigned char **buf, size_t *len, char *err,
                    size_t errlen)
{
    int more, count, r, c;
    if (rf_read_file(path, header, buf, len, &more, err, errlen) != 0)
        return -1;
    size_t payload = images ? check_images_header(*buf, *len, path, &count, &r, &c, err, errlen)
                            : check_labels_header(*buf, *len, path, &count, err, errlen);
    free(*buf);
    *buf = NULL;
    if (payload == 0)
        return -1;
    if (rf_read_file(path, header + payload + 1, buf, len, &more, err, errlen) != 0)
        return -1;
    return 0;
}

int rf_idx_load_images(const char *path, float **x, int *n, int *rows, int *cols, char *err, size_t errlen)
{
    unsigned char *buf;
    size_t len;
    *x = NULL;
    if (read_idx(path, 16, 1, &buf, &len, err, errlen) != 0)
        return -1;
    int rc = rf_idx_parse_images(buf, len, path, x, n, rows, cols, err, errlen);
    free(buf);
    return rc;
}

int rf_idx_load_labels(const char *path, int32_t **labels, int *n, char *err, size_t errlen)
{
    unsigned char *buf;
    size_t len;
    *labels = NULL;
    if (read_idx(path, 8, 0, &buf, &len, err, errlen) != 0)
        return -1;
    int rc = rf_idx_parse_labels(buf, len, path, labels, n, err, errlen);
    free(buf);
    return rc;
}
