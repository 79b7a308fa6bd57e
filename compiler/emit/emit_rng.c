/* The generated file carries its own copy of the runtime/rf_random.h
 * functions it needs (it must stand alone), renamed NAME_* and static. The
 * text below mirrors rf_random.h line for line; the tests check both give
 * the same bits. Change both or neither. */
#include "emit_internal.h"

#include <string.h>

/* Each piece: the lines of one function; "{n}" stands for the model's name,
 * "{N}" for its capitalised prefix. */
static const char *const mix64[] = {
    "/* splitmix64's finaliser: a bijective 64-bit mix. */",
    "static inline uint64_t {n}_mix64(uint64_t z)",
    "{",
    "    z += 0x9E3779B97F4A7C15ull;",
    "    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;",
    "    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;",
    "    return z ^ (z >> 31);",
    "}",
    NULL,
};

static const char *const key[] = {
    "/* A 64-bit key for (seed, stream, a, b). */",
    "static inline uint64_t {n}_key(uint64_t seed, uint64_t stream, uint64_t a, uint64_t b)",
    "{",
    "    const uint64_t s = {n}_mix64(seed ^ {n}_mix64(stream));",
    "    return {n}_mix64({n}_mix64(s ^ a) ^ b);",
    "}",
    NULL,
};

static const char *const hash32[] = {
    "/* A 32-bit integer hash (Wellons' lowbias32): cheap, and it vectorises. */",
    "static inline uint32_t {n}_hash32(uint32_t x)",
    "{",
    "    x ^= x >> 16;",
    "    x *= 0x7FEB352Du;",
    "    x ^= x >> 15;",
    "    x *= 0x846CA68Bu;",
    "    x ^= x >> 16;",
    "    return x;",
    "}",
    NULL,
};

static const char *const dropout_key[] = {
    "/* The key of one dropout layer's masks at one step. */",
    "static inline uint64_t {n}_dropout_key(uint64_t seed, uint64_t step, uint64_t layer)",
    "{",
    "    return {n}_key(seed, {N}_STREAM_DROPOUT, step, layer);",
    "}",
    NULL,
};

static const char *const dropout_bits[] = {
    "/* The random bits of element index (row * units + unit) of a mask. */",
    "static inline uint32_t {n}_dropout_bits(uint64_t key, uint32_t index)",
    "{",
    "    return {n}_hash32({n}_hash32(index ^ (uint32_t)key) + (uint32_t)(key >> 32));",
    "}",
    NULL,
};

static const char *const uniform[] = {
    "/* The i-th uniform in (0, 1) of stream (seed, stream, a), from 53 bits. */",
    "static inline double {n}_uniform(uint64_t seed, uint64_t stream, uint64_t a, uint64_t i)",
    "{",
    "    const uint64_t bits = {n}_key(seed, stream, a, i);",
    "    return ((double)(bits >> 11) + 0.5) * (1.0 / 9007199254740992.0);",
    "}",
    NULL,
};

static const char *const normal[] = {
    "/* The i-th standard normal of stream (seed, stream, a): Box-Muller on the",
    " * uniforms 2i and 2i+1, keeping the cosine branch. */",
    "static inline double {n}_normal(uint64_t seed, uint64_t stream, uint64_t a, uint64_t i)",
    "{",
    "    const double u1 = {n}_uniform(seed, stream, a, 2 * i);",
    "    const double u2 = {n}_uniform(seed, stream, a, 2 * i + 1);",
    "    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);",
    "}",
    NULL,
};

void rf_emit_lines(rf_codebuf *cb, const rf_plan *p, const char *const *lines)
{
    for (; *lines; lines++) {
        char out[512];
        size_t o = 0;
        for (const char *s = *lines; *s && o + RF_NAME_MAX + 1 < sizeof out; s++) {
            const char *with = NULL;
            if (strncmp(s, "{n}", 3) == 0)
                with = p->name;
            else if (strncmp(s, "{N}", 3) == 0)
                with = p->macro;
            if (with) {
                size_t n = strlen(with);
                memcpy(out + o, with, n);
                o += n;
                s += 2;
            } else {
                out[o++] = *s;
            }
        }
        out[o] = '\0';
        rf_cb_line(cb, "%s", out);
    }
    rf_cb_line(cb, "");
}

void rf_emit_rng(rf_codebuf *cb, const rf_plan *p)
{
    int need_normal = 0, need_uniform = 0;
    for (int i = 0; i < p->n_params; i++) {
        need_normal |= p->params[i].init.kind == RF_INIT_NORMAL;
        need_uniform |= p->params[i].init.kind == RF_INIT_UNIFORM;
    }
    need_uniform |= need_normal;
    if (!need_uniform && !p->has_dropout)
        return;
    rf_cb_line(cb, "/* ---- Random numbers: a copy of regfitc's rf_random.h (counter-based: every number is");
    rf_cb_line(cb, " * a pure function of its seed and indices, the same on any number of threads) ---- */");
    rf_cb_line(cb, "");
    rf_emit_lines(cb, p, mix64);
    /* the streams of rf_random.h this model uses */
    rf_cb_line(cb, "/* Streams keep the uses of one seed apart. */");
    if (p->has_dropout && need_uniform)
        rf_cb_line(cb, "enum { %s_STREAM_INIT = 1, %s_STREAM_DROPOUT = 2 };", p->macro, p->macro);
    else if (p->has_dropout)
        rf_cb_line(cb, "enum { %s_STREAM_DROPOUT = 2 };", p->macro);
    else
        rf_cb_line(cb, "enum { %s_STREAM_INIT = 1 };", p->macro);
    rf_cb_line(cb, "");
    rf_emit_lines(cb, p, key);
    if (p->has_dropout) {
        rf_emit_lines(cb, p, hash32);
        rf_emit_lines(cb, p, dropout_key);
        rf_emit_lines(cb, p, dropout_bits);
    }
    if (need_uniform)
        rf_emit_lines(cb, p, uniform);
    if (need_normal)
        rf_emit_lines(cb, p, normal);
}

void rf_emit_rng_dropout_bits(rf_codebuf *cb, const rf_plan *p)
{
    if (!p->has_dropout)
        return;
    rf_cb_line(cb, "/* ---- The dropout mask bits of regfitc's rf_random.h, which the shared kernels name ---- */");
    rf_cb_line(cb, "");
    rf_emit_lines(cb, p, hash32);
    rf_emit_lines(cb, p, dropout_bits);
}
