/* The code templates (compiler/emit/templates/) compiled for a test as a generated file
 * holds them: vector.h, then what the emitter would generate between the two (the
 * epilogue, reduced to a bias and the transposed store, and the header's row-shards type),
 * then product.h. The includer may define BF16_INPUTS and BF16_PAIRS first (the bf16
 * sections). The products run serially: the tiles' order does not change their sums. */
#ifndef RF_TEMPLATES_COMPILED_H
#define RF_TEMPLATES_COMPILED_H

#include <stddef.h>
#include <stdint.h>

#define OMP_FOR_NOWAIT

#include "templates/vector.h"

typedef struct {
    const float *bias;
    int transposed;
} NAME_epilogue;

/* the row shards of a weight gradient (the header's type) */
typedef struct {
    int n, lo, hi, row0;
    int start[5];
} NAME_shards;

ALWAYS_INLINE vf NAME_epilogue_v(NAME_epilogue e, vf acc, ptrdiff_t at, int col)
{
    (void)at;
    return e.bias ? acc + vload(e.bias + col) : acc;
}

ALWAYS_INLINE float NAME_epilogue_1(NAME_epilogue e, float acc, ptrdiff_t at, int col)
{
    (void)at;
    return e.bias ? acc + e.bias[col] : acc;
}

#include "templates/product.h"

#endif
