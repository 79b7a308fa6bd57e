/* FNV-1a 64: the content hash named in generated files and used as the
 * build cache key. Not cryptographic; collisions in the cache are caught by
 * checking the loaded model against the one asked for (build.c). */
#ifndef RF_HASH_H
#define RF_HASH_H

#include <stddef.h>
#include <stdint.h>

#define RF_FNV1A64_INIT 0xcbf29ce484222325ull

/* Continues hash h over len bytes (start with RF_FNV1A64_INIT). */
uint64_t rf_fnv1a64(uint64_t h, const void *data, size_t len);

/* Hashes a NUL-terminated string and its length (so "ab"+"c" != "a"+"bc"). */
uint64_t rf_fnv1a64_str(uint64_t h, const char *s);

#endif
