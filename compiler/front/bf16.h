/* bfloat16 rounding on the host (precision: bf16, SPEC 1c): the compiler (a bf16 inference
 * file's weights), the generic kernels of --bench and the tests. */
#ifndef RF_BF16_H
#define RF_BF16_H

#include <stdint.h>

/* x rounded to the nearest bfloat16 (ties to even), as a float: the generated
 * code's round_bf16 (compiler/emit/templates/vector.h). A NaN stays a NaN. */
static inline float rf_round_bf16(float x)
{
    union {
        float f;
        uint32_t bits;
    } u = {x};
    const uint32_t rounded = u.bits + 0x7FFFu + ((u.bits >> 16) & 1u);
    /* a NaN is made quiet, never carried into infinity or zero */
    u.bits = ((u.bits & 0x7FFFFFFFu) > 0x7F800000u ? u.bits | 0x00400000u : rounded) & 0xFFFF0000u;
    return u.f;
}

#endif
