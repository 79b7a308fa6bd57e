/* libFuzzer target: the model-file front end (libyaml events -> node tree
 * -> checked model). Any input must give a model or diagnostics, never a
 * crash, a leak, a hang or a huge allocation. */
#include "frontend.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rf_model m;
    if (rf_check_model_text("fuzz.yaml", (const char *)data, size, &m, NULL, NULL) == 0)
        rf_model_free(&m);
    return 0;
}
