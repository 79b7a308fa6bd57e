/* libFuzzer target: the CSV loader. The first byte picks the shape asked
 * for (features, and class labels or float targets); the rest is the file. */
#include "dataset.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int features = 1 + (data[0] & 7);
    int classes = (data[0] & 8) ? 3 : 0;
    int targets = classes ? 0 : 1 + ((data[0] >> 4) & 1);
    rf_dataset d;
    memset(&d, 0, sizeof d);
    char err[512];
    if (rf_csv_parse((const char *)data + 1, size - 1, "fuzz.csv", features, classes, targets, &d, err,
                     sizeof err) == 0)
        rf_dataset_free(&d);
    return 0;
}
