/* The counter-based random numbers regfitc uses everywhere one seed
 * drives: parameter init, dropout masks, shuffling, synthetic data.
 *
 * Counter-based means every number is a pure function of its key
 * (seed, stream, indices), never of a state advanced in some order, so the
 * same seed gives the same bits whatever the number of threads.
 *
 * The code generator emits a copy of these functions into every generated
 * file (the generated code must stand alone); tests check that the copy and
 * this header give the same bits. Change both or neither. */
#ifndef RF_RANDOM_H
#define RF_RANDOM_H

#include <math.h>
#include <stdint.h>

/* splitmix64's finaliser: a bijective 64-bit mix. */
static inline uint64_t rf_mix64(uint64_t z)
{
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* A 32-bit integer hash (Wellons' lowbias32): cheap, and it vectorises
 * (AVX2 has 8-lane 32-bit multiplies), which a 64-bit mix does not. */
static inline uint32_t rf_hash32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7FEB352Du;
    x ^= x >> 15;
    x *= 0x846CA68Bu;
    x ^= x >> 16;
    return x;
}

/* Streams keep the uses of one seed apart. */
enum { RF_STREAM_INIT = 1, RF_STREAM_DROPOUT = 2, RF_STREAM_SHUFFLE = 3, RF_STREAM_DATA = 4, RF_STREAM_SPLIT = 5 };

/* A 64-bit key for (seed, stream, a, b). */
static inline uint64_t rf_key(uint64_t seed, uint64_t stream, uint64_t a, uint64_t b)
{
    return rf_mix64(rf_mix64(rf_mix64(seed ^ rf_mix64(stream)) ^ a) ^ b);
}

/* Dropout: the key of one (step, layer) is computed once; each element of
 * that layer's [row][unit] mask then costs two 32-bit hashes:
 *   bits = hash32(hash32(row * units + unit ^ k0) + k1)
 * A unit is kept when bits >= threshold, threshold = floor(p * 2^32)
 * (0 < p < 1; p = 0 and p = 1 are handled exactly, without bits). */
static inline uint64_t rf_dropout_key(uint64_t seed, uint64_t step, uint64_t layer)
{
    return rf_key(seed, RF_STREAM_DROPOUT, step, layer);
}

static inline uint32_t rf_dropout_bits(uint64_t key, uint32_t index)
{
    return rf_hash32(rf_hash32(index ^ (uint32_t)key) + (uint32_t)(key >> 32));
}

static inline uint32_t rf_dropout_threshold(double p)
{
    return (uint32_t)(p * 4294967296.0); /* 0 < p < 1 */
}

/* A uniform double in (0, 1) from 64 bits. */
static inline double rf_unit_double(uint64_t bits)
{
    return ((double)(bits >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/* The i-th uniform in (0, 1) of stream (seed, stream, a). */
static inline double rf_uniform(uint64_t seed, uint64_t stream, uint64_t a, uint64_t i)
{
    return rf_unit_double(rf_key(seed, stream, a, i));
}

/* The i-th standard normal of stream (seed, stream, a): Box-Muller on the
 * uniforms 2i and 2i+1, keeping the cosine branch. Computed in double. */
static inline double rf_normal(uint64_t seed, uint64_t stream, uint64_t a, uint64_t i)
{
    double u1 = rf_uniform(seed, stream, a, 2 * i);
    double u2 = rf_uniform(seed, stream, a, 2 * i + 1);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* Parameter init: element i of parameter tensor t (0-based, in layer order)
 *   normal STD:   STD * rf_normal(seed, RF_STREAM_INIT, t, i)
 *   uniform A:    A * (2 * rf_uniform(seed, RF_STREAM_INIT, t, i) - 1)
 *   constant C:   C
 * computed in double, stored as float. */

#endif
