/* The IDX loaders' fast paths (whole-file libdeflate decompression where built with it,
 * the table of scaled pixels, the large-image path in 2 MiB pages on every thread): the
 * same floats as dividing each byte by 255, and the gzip files the fast path hands back
 * to zlib (several members, a trailer that lies) read or refused exactly as before. */
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

/* An idx3 file of n images of rows x cols; pixel k is a scramble of k covering 0..255. */
static unsigned char *images_file(uint32_t n, uint32_t rows, uint32_t cols, size_t *len)
{
    size_t payload = (size_t)n * rows * cols;
    unsigned char *buf = malloc(16 + payload);
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    put_be32(buf, 0x803);
    put_be32(buf + 4, n);
    put_be32(buf + 8, rows);
    put_be32(buf + 12, cols);
    for (size_t k = 0; k < payload; k++)
        buf[16 + k] = (unsigned char)((k * 2654435761u) >> 13);
    *len = 16 + payload;
    return buf;
}

/* Writes data as `members` gzip members one after the other (gzip -c a b > c does this). */
static const char *write_gz(const char *name, const unsigned char *data, size_t len, int members)
{
    const char *path = rf_test_write_bytes(name, "", 0);
    size_t at = 0;
    for (int m = 0; m < members; m++) {
        gzFile gz = gzopen(path, "ab");
        CU_ASSERT_PTR_NOT_NULL_FATAL(gz);
        size_t part = m == members - 1 ? len - at : len / members;
        CU_ASSERT_EQUAL(gzwrite(gz, data + at, (unsigned)part), (int)part);
        CU_ASSERT_EQUAL(gzclose(gz), Z_OK);
        at += part;
    }
    return path;
}

/* Every pixel is exactly (float)byte / 255.0f. */
static void check_pixels(const unsigned char *file, const float *x, size_t values)
{
    size_t bad = 0;
    for (size_t k = 0; k < values; k++)
        bad += x[k] != (float)file[16 + k] / 255.0f;
    CU_ASSERT_EQUAL(bad, 0);
}

static void test_same_floats_small_and_large(void)
{
    /* 3 images (the scalar path) and 6000 of 28 x 28, 4.7 million values (the large path) */
    const uint32_t counts[2] = {3, 6000};
    for (int i = 0; i < 2; i++) {
        size_t len;
        unsigned char *file = images_file(counts[i], 28, 28, &len);
        const char *path = write_gz("images.gz", file, len, 1);
        float *x;
        int n, rows, cols;
        CU_ASSERT_EQUAL_FATAL(rf_idx_load_images(path, &x, &n, &rows, &cols, err, sizeof err), 0);
        CU_ASSERT_EQUAL(n, (int)counts[i]);
        CU_ASSERT_EQUAL(rows * cols, 784);
        check_pixels(file, x, len - 16);
        free(x);
        /* the parser alone gives the same */
        CU_ASSERT_EQUAL_FATAL(rf_idx_parse_images(file, len, "P", &x, &n, &rows, &cols, err, sizeof err), 0);
        check_pixels(file, x, len - 16);
        free(x);
        free(file);
    }
}

static void test_several_gzip_members(void)
{
    size_t len;
    unsigned char *file = images_file(50, 28, 28, &len);
    const char *path = write_gz("members.gz", file, len, 3);
    float *x;
    int n, rows, cols;
    CU_ASSERT_EQUAL_FATAL(rf_idx_load_images(path, &x, &n, &rows, &cols, err, sizeof err), 0);
    CU_ASSERT_EQUAL(n, 50);
    check_pixels(file, x, len - 16);
    free(x);
    free(file);
}

/* The last 4 bytes of a gzip file are the data's length: a wrong one is refused by zlib,
 * with or without the fast path, and never sizes a buffer. */
static void test_lying_trailer(void)
{
    size_t len;
    unsigned char *file = images_file(50, 28, 28, &len);
    const char *path = write_gz("trailer.gz", file, len, 1);
    size_t gzlen;
    unsigned char *gz = (unsigned char *)rf_test_read_file(path, &gzlen);
    CU_ASSERT_PTR_NOT_NULL_FATAL(gz);
    const uint32_t lies[3] = {16, 0xffffffffu, (uint32_t)len + 1000};
    for (int i = 0; i < 3; i++) {
        for (int b = 0; b < 4; b++)
            gz[gzlen - 4 + b] = (unsigned char)(lies[i] >> (8 * b));
        path = rf_test_write_bytes("trailer.gz", gz, gzlen);
        float *x;
        int n, rows, cols;
        CU_ASSERT_EQUAL(rf_idx_load_images(path, &x, &n, &rows, &cols, err, sizeof err), -1);
        CU_ASSERT_PTR_NULL(x);
        RF_ASSERT_CONTAINS(err, "trailer.gz: corrupt gzip data (");
    }
    free(gz);
    free(file);
}

int main(int argc, char **argv)
{
    static const rf_test_case cases[] = {
        {"the same floats as byte / 255, small and large files", test_same_floats_small_and_large},
        {"several gzip members", test_several_gzip_members},
        {"a gzip trailer that lies about the length", test_lying_trailer},
        {NULL, NULL},
    };
    return rf_test_main("data_idx_fast", cases, argc, argv);
}
