/* FNV-1a 64 (see hash.h). */
#include "hash.h"

#include <string.h>

uint64_t rf_fnv1a64(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

uint64_t rf_fnv1a64_str(uint64_t h, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    uint64_t len = n;
    h = rf_fnv1a64(h, &len, sizeof len);
    return rf_fnv1a64(h, s, n);
}
