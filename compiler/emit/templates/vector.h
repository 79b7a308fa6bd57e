/* Template: the vector types and helpers of the generated file's products.
 *
 * Real C, compiled and tested on its own by tests/test_templates.c; the build
 * embeds this file in regfitc (CMakeLists.txt, cmake/embed.cmake), and the
 * dense emitter copies its sections into every generated file, NAME_ renamed
 * to the model's prefix. A section runs from its marker comment to the next;
 * the text before the first marker (this comment) is not copied. A block
 * `#if BF16_INPUTS` ... [`#else` ...] `#endif` is resolved when it is copied: a
 * model of precision bf16 gets the first branch, any other the second, and the
 * directives themselves are not copied (compiled here, BF16_INPUTS is 0 unless
 * defined). */
/*@ section isa @*/
/* ---- Vectors and the register tile, chosen by the compiler's target ----
 * VL floats per vector (GNU vector extensions): 16 with AVX-512, 8 with AVX, else 4.
 * The micro-kernel keeps MR rows x NV vectors (NR = NV * VL columns) of C in registers:
 * 8 x 2 zmm with AVX-512 (32 registers), 6 x 2 otherwise (16 registers), enough
 * independent FMA chains to keep two FMA units busy. The sizes only change speed and
 * the rounding of a*b+c (fused where the target has FMA), never which thread computes
 * what: results are bit-identical for any number of threads. */
#if defined(__AVX512F__) || defined(__FMA__)
#include <immintrin.h>
#endif
#if defined(__AVX512F__)
#define VL 16
#define MR 8
#elif defined(__AVX__)
#define VL 8
#define MR 6
#else
#define VL 4
#define MR 6
#endif
#define NV 2
#define NR (NV * VL)
#define TILE_ROWS (8 * MR) /* rows of a forward or input-gradient work tile */

typedef float vf __attribute__((vector_size(VL * 4)));
typedef float vf_unaligned __attribute__((vector_size(VL * 4), aligned(4)));

#define ALWAYS_INLINE static inline __attribute__((always_inline))
/* gcc -O2 keeps the register loops rolled (and spills the tile) unless told to unroll;
 * clang unrolls them by itself and is slowed down by the pragma, so gcc only. */
#if defined(__GNUC__) && !defined(__clang__)
#define UNROLL _Pragma("GCC unroll 16")
#else
#define UNROLL
#endif
/* The micro-kernel's loop over the depth, kept rolled by clang: unrolled and interleaved,
 * it needs more vector registers than the tile leaves free (MR x NV accumulators, NV of B
 * and a broadcast of A: 15 of AVX2's 16), and where clang then spills an accumulator
 * every FMA of that chain waits for a store and a load (the seed's first layer measured
 * 1.6x slower in one inlining context). Rolled, the loop's body fits, in every context;
 * the kernel writes its two steps a turn one after the other, which reuse the registers. */
#if defined(__clang__)
#define DEPTH_LOOP _Pragma("clang loop unroll(disable)")
#else
#define DEPTH_LOOP
#endif

ALWAYS_INLINE vf vload(const float *p)
{
    return *(const vf_unaligned *)p;
}

ALWAYS_INLINE void vstore(float *p, vf v)
{
    *(vf_unaligned *)p = v;
}

/* x in every lane (scalar - vector is a splat; x - 0 == x exactly, -0 included) */
ALWAYS_INLINE vf vsplat(float x)
{
    return x - (vf){0};
}

/* a * b + c, rounded once where the target has FMA (-std=c11 never contracts a*b+c) */
ALWAYS_INLINE vf vfma(vf a, vf b, vf c)
{
#if VL == 16
    return _mm512_fmadd_ps(a, b, c);
#elif VL == 8 && defined(__FMA__)
    return _mm256_fmadd_ps(a, b, c);
#else
    return a * b + c;
#endif
}

/*@ section lanes @*/
typedef int32_t vi __attribute__((vector_size(VL * 4)));
typedef uint32_t vu __attribute__((vector_size(VL * 4)));
typedef uint32_t vu_unaligned __attribute__((vector_size(VL * 4), aligned(4)));

/* a where the lane's mask is all ones, else +0 */
ALWAYS_INLINE vf vand(vf a, vi mask)
{
    return (vf)((vi)a & mask);
}

/*@ section dropout_bits @*/
/* NAME_dropout_bits of VL consecutive indices from index */
ALWAYS_INLINE vu NAME_dropout_bits_v(uint64_t key, uint32_t index)
{
    static const uint32_t lanes[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    vu x = (index + *(const vu_unaligned *)lanes) ^ (uint32_t)key;
    for (int round = 0; round < 2; round++) { /* NAME_hash32, twice */
        x ^= x >> 16;
        x *= 0x7FEB352Du;
        x ^= x >> 15;
        x *= 0x846CA68Bu;
        x ^= x >> 16;
        if (round == 0)
            x += (uint32_t)(key >> 32);
    }
    return x;
}

/*@ section bf16 @*/
/* ---- bfloat16 inputs (precision: bf16, SPEC 1c) ----
 * Every matrix product takes its two inputs rounded to bfloat16 (the top 16 bits of a float:
 * 8 bits of significand) and sums in float32; parameters, gradients, losses and all the
 * elementwise math stay float32. Each operand is rounded once, as it is packed or copied
 * (product.h: NAME_pack, NAME_round_copy), and the float32 kernels sum the rounded values:
 * the results a bf16 dot-product instruction would give, without its speed. Round to nearest, ties to even: add 0x7FFF plus the lowest kept bit, then clear the
 * 16 bits below it (a carry into the exponent is right: the largest floats round to
 * infinity). A NaN cannot take the add (it could carry into infinity or wrap to zero): it
 * keeps its sign and top bits and is made quiet, so it stays a NaN. */
ALWAYS_INLINE float round_bf16(float x)
{
    union {
        float f;
        uint32_t bits;
    } u = {x};
    const uint32_t rounded = u.bits + 0x7FFFu + ((u.bits >> 16) & 1u);
    u.bits = ((u.bits & 0x7FFFFFFFu) > 0x7F800000u ? u.bits | 0x00400000u : rounded) & 0xFFFF0000u;
    return u.f;
}

/* The same lane by lane. */
ALWAYS_INLINE vf vround_bf16(vf x)
{
    const vu bits = (vu)x;
    const vu nan = (vu)((vi)(bits & 0x7FFFFFFFu) > 0x7F800000); /* all ones in a NaN lane */
    const vu rounded = bits + 0x7FFFu + ((bits >> 16) & 1u);
    return (vf)(((rounded & ~nan) | ((bits | 0x00400000u) & nan)) & 0xFFFF0000u);
}

/* ---- Pairs of bfloat16: the operands of the bf16 dot-product instruction ----
 * Where BF16_PAIRS is 1 (set before this by the generated file: 1 with AVX512_BF16, or
 * as the model's PAIRS macro says), the products whose B is packed read both operands as
 * pairs (product.h, NAME_product's `pairs`): 32 bits holding two consecutive elements
 * along the depth, each rounded, the even one in the low half. A pair's dot product adds
 * the odd element's product first, then the even one's (Intel's definition of VDPBF16PS:
 * two FMAs, the product of two bf16 exact), and the float32 kernels take the depth in
 * the same order (NAME_kernel), so the two layouts sum the same terms in the same order.
 * Without the instruction a pair's dot product is those two FMAs. The instruction
 * flushes subnormals, and AMD's may round otherwise in the last bit: the tests compare
 * the two layouts with the instruction emulated. A depth of odd length ends with the
 * pair (last, +0). */
#ifndef BF16_PAIRS
#define BF16_PAIRS 0
#endif
#define PAIRS_OF(count) (((count) + 1) / 2) /* pairs along a depth of count elements */

/* A pair, and VL of them side by side; may_alias: the buffers holding pairs are float arrays. */
typedef uint32_t pair_t __attribute__((may_alias));
typedef uint32_t vp __attribute__((vector_size(VL * 4), may_alias));
typedef uint32_t vp_unaligned __attribute__((vector_size(VL * 4), aligned(4), may_alias));

ALWAYS_INLINE vp vpload(const pair_t *p)
{
    return *(const vp_unaligned *)p;
}

#if BF16_PAIRS /* the copies' helpers (product.h, section pairs) */
ALWAYS_INLINE void vpstore(pair_t *p, vp v)
{
    *(vp_unaligned *)p = v;
}

/* The pair (even, odd), each rounded to bfloat16. */
ALWAYS_INLINE pair_t pair_bf16(float even, float odd)
{
    union {
        float f;
        uint32_t bits;
    } e = {round_bf16(even)}, o = {round_bf16(odd)};
    return e.bits >> 16 | o.bits;
}

/* The same lane by lane: VL pairs, lane j from even[j] and odd[j]. */
ALWAYS_INLINE vp vpair_bf16(vf even, vf odd)
{
    return (vp)((vu)vround_bf16(even) >> 16 | (vu)vround_bf16(odd));
}
#endif

/* acc + the dot products of the pair a with each lane's pair of b: the odd halves' product
 * added first, then the even halves', in float32. */
ALWAYS_INLINE vf vdot_bf16(vf acc, pair_t a, vp b)
{
#if defined(__AVX512BF16__) && VL == 16
    return (vf)_mm512_dpbf16_ps((__m512)acc, (__m512bh)(a + (vp){0}), (__m512bh)b);
#else
    union {
        uint32_t bits;
        float f;
    } odd = {a & 0xFFFF0000u}, even = {a << 16};
    acc = vfma(vsplat(odd.f), (vf)(b & 0xFFFF0000u), acc);
    return vfma(vsplat(even.f), (vf)(b << 16), acc);
#endif
}
