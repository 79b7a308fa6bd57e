/* libFuzzer target: the IDX image and label parsers. The first byte picks
 * which; the rest is the file. */
#include "dataset.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char err[512];
    if (data[0] & 1) {
        float *x = NULL;
        int n, rows, cols;
        if (rf_idx_parse_images(data + 1, size - 1, "fuzz.idx3", &x, &n, &rows, &cols, err, sizeof err) == 0)
            free(x);
    } else {
        int32_t *labels = NULL;
        int n;
        if (rf_idx_parse_labels(data + 1, size - 1, "fuzz.idx1", &labels, &n, err, sizeof err) == 0)
            free(labels);
    }
    return 0;
}
