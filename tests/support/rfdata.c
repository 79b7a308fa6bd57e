/* Real-data slices for tests (see rfdata.h). Reads the gzipped IDX files
 * with zlib and writes the first samples back as plain IDX. */
#include "rfdata.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

const char *rf_test_fashion_dir(void)
{
    const char *env = getenv("REGFIT_DATA");
    return env && *env ? env : "/usr/share/datasets/fashion-mnist";
}

/* Copies the header (with the count replaced by n) and the first n records
 * of an IDX file. */
static int slice(const char *src_name, const char *dst_dir, int header_len, int record_len_from_header, int n)
{
    char src[4096], dst[4096];
    snprintf(src, sizeof src, "%s/%s.gz", rf_test_fashion_dir(), src_name);
    snprintf(dst, sizeof dst, "%s/%s", dst_dir, src_name);
    gzFile in = gzopen(src, "rb");
    if (!in) {
        snprintf(src, sizeof src, "%s/%s", rf_test_fashion_dir(), src_name);
        in = gzopen(src, "rb");
        if (!in)
            return -1;
    }
    unsigned char h[16];
    if (gzread(in, h, header_len) != header_len) {
        gzclose(in);
        return -1;
    }
    long record = 1;
    if (record_len_from_header)
        record = (long)((h[8] << 24) | (h[9] << 16) | (h[10] << 8) | h[11]) *
                 (long)((h[12] << 24) | (h[13] << 16) | (h[14] << 8) | h[15]);
    h[4] = (unsigned char)(n >> 24);
    h[5] = (unsigned char)(n >> 16);
    h[6] = (unsigned char)(n >> 8);
    h[7] = (unsigned char)n;
    size_t len = (size_t)record * n;
    unsigned char *buf = malloc(len ? len : 1);
    int ok = buf && gzread(in, buf, (unsigned)len) == (int)len;
    gzclose(in);
    FILE *out = ok ? fopen(dst, "wb") : NULL;
    ok = out && fwrite(h, 1, header_len, out) == (size_t)header_len && fwrite(buf, 1, len, out) == len;
    if (out && fclose(out) != 0)
        ok = 0;
    free(buf);
    return ok ? 0 : -1;
}

int rf_test_write_fashion_slice(const char *dir, int n_train, int n_test)
{
    mkdir(dir, 0777);
    if (slice("train-images-idx3-ubyte", dir, 16, 1, n_train) || slice("train-labels-idx1-ubyte", dir, 8, 0, n_train) ||
        slice("t10k-images-idx3-ubyte", dir, 16, 1, n_test) || slice("t10k-labels-idx1-ubyte", dir, 8, 0, n_test))
        return -1;
    return 0;
}
