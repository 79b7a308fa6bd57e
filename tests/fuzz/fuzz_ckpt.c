/* libFuzzer target: the checkpoint loader, expecting a small fixed model
 * (two tensors); everything else must be refused cleanly. */
#include "checkpoint.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static float w[6], b[3];
    const char *names[] = {"dense1.weight", "dense1.bias"};
    const int sizes[] = {6, 3};
    float *const tensors[] = {w, b};
    char err[512];
    rf_ckpt_parse(data, size, 2, names, sizes, tensors, err, sizeof err);
    return 0;
}
