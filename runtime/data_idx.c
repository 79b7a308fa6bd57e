/* IDX files (LeCun's MNIST format, also Fashion-MNIST): a big-endian
 * header, then the values as unsigned bytes.
 *   images: magic 0x00000803, u32 count, u32 rows, u32 cols, count*rows*cols bytes
 *   labels: magic 0x00000801, u32 count, count bytes
 * The header is checked first (magic, sane sizes), then that the file holds
 * exactly the bytes it announces; only then is anything allocated. */
#define _DEFAULT_SOURCE /* madvise */
#include "dataset.h"
#include "file_read.h"

#include <sys/mman.h>

#include <stdio.h>
#include <stdlib.h>

#ifdef RF_HAVE_LIBDEFLATE
#include <fcntl.h>
#include <libdeflate.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

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

/* n floats for the images, freed with free(). A large block is asked for in 2 MiB
 * pages where the kernel gives them on request (transparent huge pages in "madvise"
 * mode): the 188 MB of Fashion-MNIST's training images otherwise cost 46,000 page
 * faults as they are first written, a third of the loading time. */
static float *alloc_floats(size_t n)
{
    size_t bytes = n * sizeof(float);
#if defined(MADV_HUGEPAGE)
    enum { HUGE_PAGE = 2 << 20 };
    if (bytes >= 4 * (size_t)HUGE_PAGE) {
        bytes = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE; /* aligned_alloc wants a multiple */
        float *p = aligned_alloc(HUGE_PAGE, bytes);
        if (p)
            madvise(p, bytes, MADV_HUGEPAGE); /* a hint: if refused, 4 KiB pages as before */
        return p;
    }
#endif
    return malloc(bytes);
}

int rf_idx_parse_pixels(const unsigned char *buf, size_t len, const char *name, const uint8_t **pixels, int *n,
                        int *rows, int *cols, char *err, size_t errlen)
{
    int count, r, c;
    *pixels = NULL;
    size_t values = check_images_header(buf, len, name, &count, &r, &c, err, errlen);
    if (values == 0 || check_length(len, 16, values, count, "images", name, err, errlen) != 0)
        return -1;
    *pixels = buf + 16;
    *n = count;
    *rows = r;
    *cols = c;
    return 0;
}

int rf_idx_parse_images(const unsigned char *buf, size_t len, const char *name, float **x, int *n, int *rows,
                        int *cols, char *err, size_t errlen)
{
    const uint8_t *pixels;
    *x = NULL;
    if (rf_idx_parse_pixels(buf, len, name, &pixels, n, rows, cols, err, errlen) != 0)
        return -1;
    const size_t values = (size_t)*n * (size_t)*rows * (size_t)*cols;
    float *out = alloc_floats(values);
    if (!out) {
        snprintf(err, errlen, "%s: out of memory for %zu pixels", name, values);
        return -1;
    }
    /* a large file on every core: the first writes, where the kernel clears the new pages,
     * are most of this loop's time; each value is independent, so the threads change nothing */
    const long long total = (long long)values;
#pragma omp parallel for schedule(static) if (total >= (1LL << 22))
    for (long long i = 0; i < total; i++)
        out[i] = rf_pixel_value(pixels[i]);
    *x = out;
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

#ifdef RF_HAVE_LIBDEFLATE
/* The fast path for a well-formed gzip file: the compressed file read whole and
 * decompressed in one call by libdeflate, into a buffer of the size the gzip trailer
 * announces (ISIZE), about 3x faster than zlib's streaming inflate. It takes only a
 * file that is one gzip member, whose trailer is plausible (at most `limit` bytes, and
 * at most deflate's largest ratio of 1032:1 to the compressed size) and which
 * decompresses to exactly that many bytes with a good CRC. Anything else (a plain
 * file, several members, corrupt or truncated data, a lying trailer) returns 0 with
 * nothing allocated, and the zlib reader then reads the file and says what is wrong,
 * so the messages are the same with or without libdeflate. Returns 1 with the data in
 * *buf (one spare byte after it), or 0. */
static int inflate_whole(const char *path, size_t limit, unsigned char **buf, size_t *len)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 0;
    struct stat st;
    unsigned char *in = NULL, *out = NULL;
    int ok = 0;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 18 || (uint64_t)st.st_size > limit)
        goto done;
    size_t in_len = (size_t)st.st_size, got = 0;
    in = malloc(in_len);
    if (!in)
        goto done;
    while (got < in_len) {
        ssize_t r = read(fd, in + got, in_len - got);
        if (r <= 0)
            goto done;
        got += (size_t)r;
    }
    if (in[0] != 0x1f || in[1] != 0x8b)
        goto done;
    const unsigned char *t = in + in_len - 4; /* ISIZE: the length mod 2^32, little-endian */
    size_t out_len = (size_t)t[0] | (size_t)t[1] << 8 | (size_t)t[2] << 16 | (size_t)t[3] << 24;
    if (out_len == 0 || out_len > limit || out_len / 1032 > in_len)
        goto done;
    out = malloc(out_len + 1);
    struct libdeflate_decompressor *d = out ? libdeflate_alloc_decompressor() : NULL;
    if (!d)
        goto done;
    size_t used_in = 0, used_out = 0;
    enum libdeflate_result r = libdeflate_gzip_decompress_ex(d, in, in_len, out, out_len, &used_in, &used_out);
    libdeflate_free_decompressor(d);
    ok = r == LIBDEFLATE_SUCCESS && used_in == in_len && used_out == out_len;
done:
    close(fd);
    free(in);
    if (!ok) {
        free(out);
        return 0;
    }
    out[out_len] = '\0';
    *buf = out;
    *len = out_len;
    return 1;
}
#endif

/* Reads the header, then at most one byte more than the header announces
 * (enough to tell "trailing bytes"), so a lying header costs nothing. */
static int read_idx(const char *path, size_t header, int images, unsigned char **buf, size_t *len, char *err,
                    size_t errlen)
{
    int more, count, r, c;
#ifdef RF_HAVE_LIBDEFLATE
    if (inflate_whole(path, header + (images ? (size_t)RF_DATA_MAX_VALUES : (size_t)RF_DATA_MAX_SAMPLES), buf,
                      len))
        return 0;
#endif
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

int rf_idx_load_pixels(const char *path, void **block, const uint8_t **pixels, int *n, int *rows, int *cols,
                       char *err, size_t errlen)
{
    unsigned char *buf;
    size_t len;
    *block = NULL;
    *pixels = NULL;
    if (read_idx(path, 16, 1, &buf, &len, err, errlen) != 0)
        return -1;
    if (rf_idx_parse_pixels(buf, len, path, pixels, n, rows, cols, err, errlen) != 0) {
        free(buf);
        return -1;
    }
    *block = buf;
    return 0;
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
