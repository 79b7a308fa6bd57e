/* libFuzzer target: the checkpoint loader, expecting a small fixed model
 * (two parameters with one momentum tensor each) in each load mode;
 * everything else must be refused cleanly. */
#include "checkpoint.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static float w[6], b[3], mw[6], mb[3];
    static const char *const names[] = {"dense1.weight", "dense1.bias", "dense1.weight.momentum",
                                        "dense1.bias.momentum"};
    static const int sizes[] = {6, 3, 6, 3};
    float *const tensors[] = {w, b, mw, mb};
    char err[512];
    for (int mode = RF_CKPT_PARAMS; mode <= RF_CKPT_WHOLE; mode++) {
        rf_ckpt ck = {.n_params = 2, .n_state = 2, .names = names, .sizes = sizes, .data = tensors};
        rf_ckpt_parse(data, size, &ck, (rf_ckpt_mode)mode, NULL, err, sizeof err);
    }
    return 0;
}
