/* IDX loaders: good files (plain and gzip), and each kind of bad one. */
#include "dataset.h"
#include "rftest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static char err[1024];

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* An idx3 image file of n images rows x cols, pixel k = (k * 37) % 256. */
static unsigned char *images_file(uint32_t magic, uint32_t n, uint32_t rows, uint32_t cols, size_t payload,
                                  size_t *len)
{
    unsigned char *buf = malloc(16 + payload + 1);
    put_be32(buf, magic);
    put_be32(buf + 4, n);
    put_be32(buf + 8, rows);
    put_be32(buf + 12, cols);
    for (size_t k = 0; k < payload; k++)
        buf[16 + k] = (unsigned char)((k * 37) % 256);
    *len = 16 + payload;
    return buf;
}

static unsigned char *labels_file(uint32_t magic, uint32_t n, size_t payload, size_t *len)
{
    unsigned char *buf = malloc(8 + payload + 1);
    put_be32(buf, magic);
    put_be32(buf + 4, n);
    for (size_t k = 0; k < payload; k++)
        buf[8 + k] = (unsigned char)(k % 10);
    *len = 8 + payload;
    return buf;
}

static const char *write_gz(const char *name, const void *data, size_t len)
{
    const char *path = rf_test_write_bytes(name, "", 0);
    gzFile gz = gzopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(gz);
    CU_ASSERT_EQUAL(gzwrite(gz, data, (unsigned)len), (int)len);
    CU_ASSERT_EQUAL(gzclose(gz), Z_OK);
    return path;
}

#define ASSERT_ERR_HAS(s) RF_ASSERT_CONTAINS(err, s)

static void check_images(const float *x, int n, int rows, int cols)
{
    CU_ASSERT_EQUAL(n, 3);
    CU_ASSERT_EQUAL(rows, 2);
    CU_ASSERT_EQUAL(cols, 3);
    for (int k = 0; k < 18; k++)
        CU_ASSERT_EQUAL(x[k], (float)((k * 37) % 256) / 255.0f);
}

static void test_images_plain_and_gz(void)
{
    size_t len;
    unsigned char *buf = images_file(0x803, 3, 2, 3, 18, &len);
    float *x;
    int n, rows, cols;
    const char *plain = rf_test_write_bytes("img", buf, len);
    CU_ASSERT_EQUAL_FATAL(rf_idx_load_images(plain, &x, &n, &rows, &cols, err, sizeof err), 0);
    check_images(x, n, rows, cols);
    CU_ASSERT_EQUAL(x[0], 0.0f);
    free(x);
    const char *gz = write_gz("img.gz", buf, len);
    CU_ASSERT_EQUAL_FATAL(rf_idx_load_images(gz, &x, &n, &rows, &cols, err, sizeof err), 0);
    check_images(x, n, rows, cols);
    free(x);
    /* as bytes: the file's own, in the decoded block, plain and gzipped */
    const char *both[2] = {plain, gz};
    for (int i = 0; i < 2; i++) {
        void *block;
        const uint8_t *pixels;
        n = rows = cols = 0;
        CU_ASSERT_EQUAL_FATAL(rf_idx_load_pixels(both[i], &block, &pixels, &n, &rows, &cols, err, sizeof err), 0);
        CU_ASSERT(n == 3 && rows == 2 && cols == 3);
        CU_ASSERT_PTR_EQUAL(pixels, (const uint8_t *)block + 16);
        CU_ASSERT_EQUAL(memcmp(pixels, buf + 16, 18), 0);
        free(block);
    }
    const uint8_t *in_place;
    CU_ASSERT_EQUAL_FATAL(rf_idx_parse_pixels(buf, len, "mem", &in_place, &n, &rows, &cols, err, sizeof err), 0);
    CU_ASSERT_PTR_EQUAL(in_place, buf + 16);
    /* a bad file: -1, the same message as the floats' loader, nothing allocated */
    void *block = (void *)1;
    const uint8_t *none = (const uint8_t *)1;
    CU_ASSERT_EQUAL(rf_idx_parse_pixels(buf, len - 1, "mem", &none, &n, &rows, &cols, err, sizeof err), -1);
    RF_ASSERT_CONTAINS(err, "mem: ");
    CU_ASSERT_PTR_NULL(none);
    CU_ASSERT_EQUAL(rf_idx_load_pixels(rf_test_tmpdir(), &block, &none, &n, &rows, &cols, err, sizeof err), -1);
    CU_ASSERT_PTR_NULL(block);
    CU_ASSERT_PTR_NULL(none);
    /* 255 maps to exactly 1 */
    buf[16] = 255;
    CU_ASSERT_EQUAL_FATAL(rf_idx_parse_images(buf, len, "mem", &x, &n, &rows, &cols, err, sizeof err), 0);
    CU_ASSERT_EQUAL(x[0], 1.0f);
    free(x);
    free(buf);
}

static void test_labels_plain_and_gz(void)
{
    size_t len;
    unsigned char *buf = labels_file(0x801, 25, 25, &len);
    buf[8 + 24] = 200; /* range is the caller's business (rf_data_load) */
    int32_t *labels;
    int n;
    const char *paths[2] = {rf_test_write_bytes("lab", buf, len), NULL};
    char plain[4096];
    snprintf(plain, sizeof plain, "%s", paths[0]);
    paths[0] = plain;
    paths[1] = write_gz("lab.gz", buf, len);
    for (int p = 0; p < 2; p++) {
        CU_ASSERT_EQUAL_FATAL(rf_idx_load_labels(paths[p], &labels, &n, err, sizeof err), 0);
        CU_ASSERT_EQUAL(n, 25);
        for (int i = 0; i < 24; i++)
            CU_ASSERT_EQUAL(labels[i], i % 10);
        CU_ASSERT_EQUAL(labels[24], 200);
        free(labels);
    }
    free(buf);
}

static void test_bad_magic(void)
{
    size_t len;
    unsigned char *buf = images_file(0x801, 3, 2, 3, 18, &len);
    float *x = (float *)1;
    int n, rows, cols;
    const char *path = rf_test_write_bytes("labels-as-images", buf, len);
    CU_ASSERT_EQUAL(rf_idx_load_images(path, &x, &n, &rows, &cols, err, sizeof err), -1);
    CU_ASSERT_PTR_NULL(x);
    ASSERT_ERR_HAS("labels-as-images: not an idx3 image file (magic 0x00000801");
    ASSERT_ERR_HAS("label file");
    free(buf);
    buf = labels_file(0x803, 5, 5, &len);
    int32_t *labels;
    CU_ASSERT_EQUAL(rf_idx_parse_labels(buf, len, "L", &labels, &n, err, sizeof err), -1);
    ASSERT_ERR_HAS("L: not an idx1 label file");
    free(buf);
    /* floats (type 0x0d) are another element type */
    buf = images_file(0xd03, 3, 2, 3, 18, &len);
    CU_ASSERT_EQUAL(rf_idx_parse_images(buf, len, "F", &x, &n, &rows, &cols, err, sizeof err), -1);
    ASSERT_ERR_HAS("another element type");
    free(buf);
    /* a text file */
    path = rf_test_write("text", "hello, world, this is not IDX\n");
    CU_ASSERT_EQUAL(rf_idx_load_images(path, &x, &n, &rows, &cols, err, sizeof err), -1);
    ASSERT_ERR_HAS("not an idx3 image file");
}

static void test_truncated(void)
{
    size_t len;
    unsigned char *buf = images_file(0x803, 3, 2, 3, 18, &len);
    float *x;
    int n, rows, cols;
    /* every shorter length fails, with the right words */
    for (size_t cut = 0; cut < len; cut++) {
        CU_ASSERT_EQUAL(rf_idx_parse_images(buf, cut, "T", &x, &n, &rows, &cols, err, sizeof err), -1);
        CU_ASSERT_PTR_NULL(x);
        if (cut == 0)
            ASSERT_ERR_HAS("empty file");
        else if (cut < 4 || (cut >= 4 && cut < 16))
            ASSERT_ERR_HAS("truncated");
        else
            ASSERT_ERR_HAS("truncated: header says 3 images (18 bytes of data) but only");
    }
    const char *path = write_gz("short.gz", buf, len - 5);
    CU_ASSERT_EQUAL(rf_idx_load_images(path, &x, &n, &rows, &cols, err, sizeof err), -1);
    ASSERT_ERR_HAS("short.gz: truncated: header says 3 images (18 bytes of data) but only 13 bytes follow it");
    free(buf);
    buf = labels_file(0x801, 10, 7, &len);
    int32_t *labels;
    path = rf_test_write_bytes("short-labels", buf, len);
    CU_ASSERT_EQUAL(rf_idx_load_labels(path, &labels, &n, err, sizeof err), -1);
    ASSERT_ERR_HAS("short-labels: truncated: header says 10 labels");
    free(buf);
}

static void test_truncated_gzip_stream(void)
{
    size_t len;
    unsigned char *buf = images_file(0x803, 100, 28, 28, 78400, &len);
    const char *gz = write_gz("cut.gz", buf, len);
    size_t gzlen;
    char *gzdata = rf_test_read_file(gz, &gzlen);
    CU_ASSERT_PTR_NOT_NULL_FATAL(gzdata);
    const char *path = rf_test_write_bytes("cut.gz", gzdata, gzlen / 2);
    float *x;
    int n, rows, cols;
    CU_ASSERT_EQUAL(rf_idx_load_images(path, &x, &n, &rows, &cols, err, sizeof err), -1);
    ASSERT_ERR_HAS("cut.gz: ");
    ASSERT_ERR_HAS("truncated gzip data (unexpected end of file)");
    /* corrupt the deflate data in the middle */
    for (size_t k = gzlen / 3; k < gzlen / 3 + 64; k++)
        gzdata[k] ^= 0x5a;
    path = rf_test_write_bytes("bad.gz", gzdata, gzlen);
    CU_ASSERT_EQUAL(rf_idx_load_images(path, &x, &n, &rows, &cols, err, sizeof err), -1);
    ASSERT_ERR_HAS("bad.gz: corrupt gzip data (");
    free(gzdata);
    free(buf);
}

static void test_trailing_bytes(void)
{
    size_t len;
    unsigned char *buf = images_file(0x803, 3, 2, 3, 19, &len);
    float *x;
    int n, rows, cols;
    const char *path = rf_test_write_bytes("long", buf, len);
    CU_ASSERT_EQUAL(rf_idx_load_images(path, &x, &n, &rows, &cols, err, sizeof err), -1);
    ASSERT_ERR_HAS("long: trailing bytes");
    path = write_gz("long.gz", buf, len);
    CU_ASSERT_EQUAL(rf_idx_load_images(path, &x, &n, &rows, &cols, err, sizeof err), -1);
    ASSERT_ERR_HAS("long.gz: trailing bytes");
    free(buf);
    buf = labels_file(0x801, 4, 9, &len);
    int32_t *labels;
    CU_ASSERT_EQUAL(rf_idx_parse_labels(buf, len, "L", &labels, &n, err, sizeof err), -1);
    ASSERT_ERR_HAS("L: trailing bytes");
    free(buf);
}

/* Headers claiming absurd sizes are refused before anything is allocated
 * (under AddressSanitizer a huge malloc would abort the test). */
static void test_absurd_headers(void)
{
    size_t len;
    float *x;
    int n, rows, cols;
    struct {
        uint32_t n, rows, cols;
        const char *says;
    } cases[] = {
        {0xffffffffu, 28, 28, "header claims 4294967295 images"},
        {0, 28, 28, "header claims 0 images"},
        {10, 0xffffffffu, 0xffffffffu, "pixels"},
        {10, 0, 28, "pixels"},
        {10000000, 1000, 1000, "values in all"},
        {10000000, 28, 28, "values in all"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned char *buf = images_file(0x803, cases[i].n, cases[i].rows, cases[i].cols, 64, &len);
        const char *path = write_gz("absurd.gz", buf, len);
        CU_ASSERT_EQUAL(rf_idx_load_images(path, &x, &n, &rows, &cols, err, sizeof err), -1);
        ASSERT_ERR_HAS(cases[i].says);
        free(buf);
    }
    /* a plausible header over a tiny file: truncated, and cheap */
    unsigned char *buf = images_file(0x803, 10000000, 10, 10, 100, &len);
    const char *path = write_gz("liar.gz", buf, len);
    CU_ASSERT_EQUAL(rf_idx_load_images(path, &x, &n, &rows, &cols, err, sizeof err), -1);
    ASSERT_ERR_HAS("truncated: header says 10000000 images (1000000000 bytes of data) but only 100 bytes");
    free(buf);
    buf = labels_file(0x801, 0x7fffffffu, 3, &len);
    int32_t *labels;
    path = rf_test_write_bytes("absurd-labels", buf, len);
    CU_ASSERT_EQUAL(rf_idx_load_labels(path, &labels, &n, err, sizeof err), -1);
    ASSERT_ERR_HAS("absurd-labels: header claims 2147483647 labels");
    free(buf);
}

static void test_missing_file(void)
{
    float *x;
    int n, rows, cols;
    char path[4096];
    snprintf(path, sizeof path, "%s/no-such-file", rf_test_tmpdir());
    CU_ASSERT_EQUAL(rf_idx_load_images(path, &x, &n, &rows, &cols, err, sizeof err), -1);
    ASSERT_ERR_HAS("no-such-file: cannot open: No such file or directory");
    /* a folder is not a file */
    CU_ASSERT_EQUAL(rf_idx_load_images(rf_test_tmpdir(), &x, &n, &rows, &cols, err, sizeof err), -1);
    ASSERT_ERR_HAS(rf_test_tmpdir());
}

int main(int argc, char **argv)
{
    static const rf_test_case cases[] = {
        {"images: plain and gzip", test_images_plain_and_gz},
        {"labels: plain and gzip", test_labels_plain_and_gz},
        {"bad magic", test_bad_magic},
        {"truncated at every length", test_truncated},
        {"truncated or corrupt gzip stream", test_truncated_gzip_stream},
        {"trailing bytes", test_trailing_bytes},
        {"absurd headers refused before allocating", test_absurd_headers},
        {"missing file", test_missing_file},
        {NULL, NULL},
    };
    return rf_test_main("data_idx", cases, argc, argv);
}
